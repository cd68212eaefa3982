"""What a Given establishes, prerequisites included, one function each.

A Given states a situation ("mfa user" is signed in) and the harness makes it true,
whatever the scenario did before: the user exists, the pool offers authenticator apps
when the situation needs them, an enrolled user answers the authenticator challenge.
Each function is idempotent within a scenario (the `world` remembers what it did).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import flows
from .errors import HarnessError

if TYPE_CHECKING:
    from .pytest_plugin import World


def is_existing_persona(world: World, persona: str) -> bool:
    """`demo` and `admin` are in the narrative's starting world; the MFA persona is created by the run."""
    return any(p.key == persona for p in world.config.existing_personas)


def user_exists(world: World, persona: str) -> None:
    """The persona's user is in the pool: an existing persona already is; the MFA persona
    is created (confirmed, verified email, permanent password) unless this scenario did."""
    email = world.persona(persona).email
    if not is_existing_persona(world, persona) and email not in world.target.created_users:
        world.target.create_user(email, world.password(persona))


def pool_offers_authenticator_apps(world: World) -> None:
    """The pool offers TOTP: if it does not, MFA becomes optional with authenticator apps
    (a pool that requires MFA keeps requiring it)."""
    current = world.target.pool_mfa_for_given()
    if (current.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled"):
        return
    mode = current.get("MfaConfiguration", "OFF")
    world.target.set_pool_mfa("ON" if mode == "ON" else "OPTIONAL", totp=True)


def enrolled(world: World, persona: str, self_service: bool = False) -> None:
    """The persona has a verified authenticator app with TOTP turned on (the narrative's
    Step 2), the pool offering authenticator apps and the user existing first."""
    if persona in world.authenticators:
        return
    pool_offers_authenticator_apps(world)
    user_exists(world, persona)
    world.authenticators[persona] = flows.enrol(world.target, world.persona(persona).email, world.password(persona),
                                                world.config.authenticator.issuer, self_service=self_service)


def signed_in(world: World, persona: str) -> flows.Outcome:
    """The persona holds tokens from a sign-in with email and password, and the
    authenticator's code when the user is enrolled."""
    user_exists(world, persona)
    outcome = world.record(flows.sign_in_answering_mfa(world.target, world.persona(persona).email,
                                                       world.password(persona), world.authenticators.get(persona)),
                           persona)
    if outcome.tokens:
        return outcome
    if outcome.challenge:
        raise HarnessError(f'"{persona}" could not be signed in: Cognito asks for {outcome.challenge} and this '
                           f'scenario has no authenticator for "{persona}" (add: Given "{persona}" is enrolled '
                           "with an authenticator app)")
    raise HarnessError(f'"{persona}" could not be signed in: {outcome.error_code}: {outcome.error_message}')


def access_token(world: World, persona: str) -> str:
    """The persona's current access token, signing in first if the scenario has none."""
    if persona not in world.tokens:
        signed_in(world, persona)
    return world.tokens[persona]["AccessToken"]
