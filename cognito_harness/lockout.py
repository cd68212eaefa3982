"""Wrong passwords on a real pool never hit a person's account.

Amazon Cognito locks a user out for a while after repeated failed sign-ins, so the
wrong-password scenarios must not sign a real person (an existing persona: demo, admin) in
with wrong passwords. On a real pool they use instead:

- with `allow_mutation: true`: a user of the run's own, created for the purpose (and deleted
  like every user the run creates) — a wrong password of a user that exists;
- read-only: a made-up user that does not exist. With PreventUserExistenceErrors ENABLED (the
  pre-flight checks it) Cognito answers exactly as for a wrong password.

On the embedded target the persona itself is used.
"""

from __future__ import annotations

import secrets

from .config import PasswordPolicy, Persona
from .target import Target


def probe_password(policy: PasswordPolicy) -> str:
    """A random password the pool's policy accepts."""
    password = "Hq" + secrets.token_hex(max(8, policy.minimum_length)) + "7k"
    return password + ("!" if policy.require_symbols else "")


def account_for_wrong_password(target: Target, persona: Persona, policy: PasswordPolicy) -> str:
    """The email to sign in as with a wrong password for `persona`."""
    if target.is_embedded or not persona.existing:
        return persona.email  # the embedded pool, or the run's own user
    local, _, domain = persona.email.partition("@")
    email = f"harness-wrong-password-{secrets.token_hex(4)}@{domain}"
    if target.can_mutate:
        target.create_user(email, probe_password(policy))
    return email
