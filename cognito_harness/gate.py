"""The one gate every change to a real pool goes through.

It is hooked into every boto3 client a real-pool `Target` hands out (botocore's
``before-parameter-build`` event fires for each API call, whatever code makes it), so no
step, flow or helper can change the pool past it. Per operation it decides:

- reads (``Get*``, ``Describe*``, ``List*``, ``Admin*Get*``…) and sign-ins (``InitiateAuth``,
  ``RespondToAuthChallenge``, the identity pool's ``GetId``/``GetCredentialsForIdentity``…)
  pass;
- everything else is a change: refused with `MutationRefused` unless
  ``targets.aws.allow_mutation`` is true, and then only the changes the harness knows how to
  undo, each written to the ledger *before* it is made:
  - ``AdminCreateUser`` (the user is deleted again),
  - a change to a user the run created (``Username`` or the ``AccessToken``'s user): undone
    by deleting that user,
  - ``SetUserPoolMfaConfig`` (the whole previous MFA configuration is kept; in a parallel
    run the worker first waits until no other worker's scenario needs another
    configuration: pool_lease.py),
  - an S3 ``PutObject`` with identity-pool credentials (the write probe: the object is
    deleted);
  - any other change (``UpdateUserPool``, a user the run did not create, …) is refused.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import TYPE_CHECKING

from .errors import HarnessError
from .pool_lease import mfa_key

if TYPE_CHECKING:
    from .target import Target

READ_PREFIXES = ("Get", "Describe", "List", "AdminGet", "AdminList", "Head")
SIGN_INS = {
    ("cognito-idp", "InitiateAuth"), ("cognito-idp", "RespondToAuthChallenge"),
    ("cognito-idp", "AdminInitiateAuth"), ("cognito-idp", "AdminRespondToAuthChallenge"),
    # revokes only the refresh token this run was given
    ("cognito-idp", "RevokeToken"),
    # renews a session of this run (the rotated-out token is the run's own)
    ("cognito-idp", "GetTokensFromRefreshToken"),
}


class MutationRefused(HarnessError):
    """A scenario needs to change a pool the configuration does not let the run change
    (``allow_mutation: false``): the scenario is skipped with this reason, not failed."""

    def skip_reason(self) -> str:
        return f"read-only run: {self}"

    def summary_key(self) -> str:
        return str(self).split(", and scenarios.yaml")[0]


class UnsafeChangeRefused(MutationRefused):
    """A scenario needs a change the harness never makes on a real pool, even when it may
    change the pool: a change to a user the run did not create, or one it cannot undo. The
    scenario cannot be verified safely on this pool: skipped with the reason, not failed
    (the pool is not at fault; the scenario needs a persona the run creates)."""

    def skip_reason(self) -> str:
        return f"unsafe on a real pool: {self}"

    def summary_key(self) -> str:
        return str(self).split(":")[0]


def classify(service: str, operation: str) -> str:
    """read | sign-in | change"""
    if (service, operation) in SIGN_INS:
        return "sign-in"
    if operation.startswith(READ_PREFIXES):
        return "read"
    return "change"


def token_username(access_token: str | None) -> str | None:
    """The `username` claim of an access token (not verified: Cognito does that)."""
    try:
        payload = access_token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("username")
    except (AttributeError, IndexError, ValueError):
        return None


class MutationGate:
    def __init__(self, target: Target):
        self.target = target
        self.undoing = False  # set while the ledger's changes are being undone
        self._sessions: dict[str, str] = {}  # sign-in session -> the user signing in
        self._signed_in: dict[str, str] = {}  # an access token's username claim -> the name it signed in with

    def _token_user(self, access_token: str | None) -> str | None:
        """The user an access token belongs to, by the name the run signed in with (an email)
        where the run signed it in, else the token's own username claim."""
        claim = token_username(access_token)
        return self._signed_in.get(claim, claim) if claim else None

    def attach(self, client):
        client.meta.events.register("before-parameter-build", self._before_call)
        client.meta.events.register("after-call.cognito-identity-provider", self._after_call)
        return client

    # --- the decision ---------------------------------------------------------------------

    def _before_call(self, params, model, context=None, **_):
        service, operation = model.service_model.service_name, model.name
        if context is not None:
            context["harness_params"] = params
        if classify(service, operation) != "change":
            return
        what = _describe(operation, params)
        target = self.target
        if not (target.can_mutate or self.undoing):
            raise MutationRefused(
                f"needs to change the pool ({what}), and scenarios.yaml targets.aws.allow_mutation is false "
                f"for {target.user_pool_id}")
        ledger = target.ledger
        if service == "cognito-idp" and operation == "AdminCreateUser":
            ledger.user_requested(target.user_pool_id, params["Username"], time.time(), target.endpoint_url)
        elif service == "cognito-idp" and operation == "SetUserPoolMfaConfig":
            if params.get("UserPoolId") != target.user_pool_id:
                raise HarnessError(f"refusing to {what}: not the pool of this run ({target.user_pool_id})")
            lease = getattr(target, "lease", None)
            if lease is not None and not self.undoing:  # a parallel run: wait for the workers that need another
                lease.hold(mfa_key(params))
            if ledger.original_pool_mfa(target.user_pool_id) is None:
                ledger.pool_mfa_changing(target.user_pool_id, target.pool_mfa(), target.endpoint_url)
        elif service == "cognito-idp" and {"Username", "AccessToken", "Session"} & set(params):
            who = (params.get("Username") or self._token_user(params.get("AccessToken"))
                   or self._sessions.get(params.get("Session")))
            if not target.owns_user(who):
                raise UnsafeChangeRefused(f"refusing to {what} for {who}: this run did not create that user, "
                                          "and the harness never modifies users it did not create")
        elif service == "s3" and operation == "PutObject":
            ledger.object_writing(target.user_pool_id, params["Bucket"], params["Key"], target.endpoint_url)
        elif service == "s3" and operation == "DeleteObject" and self.undoing:
            pass  # the restore deletes an object the ledger holds
        else:
            raise UnsafeChangeRefused(f"refusing to {what} on the real pool {target.user_pool_id}: the harness "
                                      "makes no change it cannot undo (users it creates, the pool's MFA "
                                      "configuration)")

    def _after_call(self, parsed, model, context=None, **_):
        """Remembers who a sign-in session belongs to, and the internal name of a created user."""
        params = (context or {}).get("harness_params") or {}
        parsed = parsed or {}
        lease = getattr(self.target, "lease", None)
        if model.name == "SetUserPoolMfaConfig" and lease is not None and not parsed.get("Error"):
            lease.applied(mfa_key(params))
        if model.name == "AdminCreateUser" and (parsed.get("User") or {}).get("Username"):
            self.target.user_was_created(params["Username"], parsed["User"]["Username"])
        elif parsed.get("Session") or (parsed.get("AuthenticationResult") or {}).get("AccessToken"):
            who = (params.get("AuthParameters") or params.get("ChallengeResponses") or {}).get("USERNAME")
            who = who or self._sessions.get(params.get("Session"))
            if not who:
                return
            if parsed.get("Session"):
                self._sessions[parsed["Session"]] = who
            claim = token_username((parsed.get("AuthenticationResult") or {}).get("AccessToken"))
            if claim:
                self._signed_in[claim] = who


def _describe(operation: str, params: dict) -> str:
    if operation == "SetUserPoolMfaConfig":
        token = (params.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled")
        return f"set the pool's MFA to {params.get('MfaConfiguration')}" + (
            "" if token is None else f" with authenticator apps {'on' if token else 'off'}")
    words = " ".join(w if w.isupper() and len(w) > 1 else w.lower()
                     for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z]*", operation))
    target = params.get("Username") or params.get("Key")
    return f"{words} {target}" if target else words
