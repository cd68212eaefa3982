"""Cognito's rules, one function per behaviour, named after it.

Each function states what real Amazon Cognito does (with its source) and raises the
error Cognito raises, with Cognito's code and message. `backend.py` wires them into
moto. `tests/test_fidelity_rules.py` has one test per rule that fails on plain moto.

Behaviours AWS does not document are `Choices` (scenarios.yaml:
`targets.embedded.undocumented`), defaulting to the stricter reading.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field

import pyotp
from moto.cognitoidp.exceptions import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    NotAuthorizedError,
    UserNotConfirmedException,
    UserNotFoundError,
)
from moto.core.exceptions import JsonRESTError

TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
SECRET_BYTES = 32  # 32 bytes -> 52 base32 characters, as real pools hand out

# Cognito's messages (sources in docs/fidelity.md and ../shared/reference/cognito-vs-moto.md)
MSG_INCORRECT_CREDENTIALS = "Incorrect username or password."
MSG_USER_NOT_FOUND = "User does not exist."
MSG_SESSION_EXPIRED = "Invalid session for the user, session is expired."
MSG_SESSION_INVALID = "Invalid session for the user."
MSG_CODE_MISMATCH = "Invalid code received for user"
MSG_CODE_REUSED = "Your software token has already been used once."
MSG_VERIFY_MISMATCH = "Code mismatch and fail enable Software Token MFA"
MSG_POOL_WITHOUT_TOTP = "Software Token MFA has not been enabled by the userPool."
MSG_NO_DELIVERY_CONFIG = "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA"
MSG_ADMIN_FLOW_NOT_ENABLED = "Auth flow not enabled for this client"
MSG_ACCESS_TOKEN_EXPIRED = "Access Token has expired"
MSG_ACCESS_TOKEN_INVALID = "Invalid Access Token"
MSG_ACCESS_TOKEN_REVOKED = "Access Token has been revoked"


class SoftwareTokenMFANotFoundException(JsonRESTError):
    def __init__(self, message: str = MSG_POOL_WITHOUT_TOTP):
        super().__init__("SoftwareTokenMFANotFoundException", message)


class EnableSoftwareTokenMFAException(JsonRESTError):
    def __init__(self, message: str = MSG_VERIFY_MISMATCH):
        super().__init__("EnableSoftwareTokenMFAException", message)


@dataclass
class Choices:
    """Behaviours AWS does not document. Stricter defaults; see docs/fidelity.md."""

    reject_reused_code: bool = True
    max_wrong_codes_per_session: int = 3
    verify_code_counts_as_used: bool = True


CHOICES = Choices()


@dataclass
class SoftwareToken:
    """A user's authenticator enrolment, kept on moto's user object (wiped by moto reset)."""

    verified_secret: str | None = None
    pending_secret: str | None = None
    last_used_step: int = -1
    enabled: bool = False
    preferred: bool = False


@dataclass
class AuthSession:
    """A sign-in that waits for a challenge answer: one user, one client, one challenge."""

    pool_id: str
    client_id: str
    username: str  # moto's internal username
    challenge: str
    expires_at: float
    wrong_codes: int = 0
    mfa_setup_verified: bool = False
    extra: dict = field(default_factory=dict)


# --- software token (TOTP) -------------------------------------------------------------

def new_software_token_secret() -> str:
    """AssociateSoftwareToken: a fresh random secret per call (52 base32 characters)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def totp_step(now: float) -> int:
    return int(now // TOTP_STEP_SECONDS)


def matching_totp_step(secret: str, code: str, now: float) -> int | None:
    """RFC 6238, 30-second steps, 6 digits, one step early or late accepted
    (Developer Guide, "TOTP software token MFA"). Returns the matched step or None."""
    if not isinstance(code, str) or len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS)
    current = totp_step(now)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_sign_in_code(token: SoftwareToken, code: str, now: float) -> int:
    """RespondToAuthChallenge SOFTWARE_TOKEN_MFA: wrong code -> CodeMismatchException;
    a code already accepted -> ExpiredCodeException (RFC 6238 §5.2)."""
    step = matching_totp_step(token.verified_secret or "", code, now)
    if step is None:
        raise CodeMismatchException(MSG_CODE_MISMATCH)
    if CHOICES.reject_reused_code and step <= token.last_used_step:
        raise ExpiredCodeException(MSG_CODE_REUSED)
    token.last_used_step = step
    return step


def check_verify_code(token: SoftwareToken, code: str, now: float) -> int:
    """VerifySoftwareToken: a wrong code -> EnableSoftwareTokenMFAException."""
    step = matching_totp_step(token.pending_secret or "", code, now)
    if step is None:
        raise EnableSoftwareTokenMFAException()
    return step


def require_pool_software_token_enabled(pool) -> None:
    """TOTP calls on a pool whose SoftwareTokenMfaConfiguration is not enabled ->
    SoftwareTokenMFANotFoundException (Developer Guide)."""
    if not (pool.token_mfa_config or {}).get("Enabled"):
        raise SoftwareTokenMFANotFoundException()


def require_verified_token_for_preference(token: SoftwareToken) -> None:
    """SetUserMFAPreference / AdminSetUserMFAPreference enabling TOTP before the
    authenticator is verified (the seed log's ordering error)."""
    if not token.verified_secret:
        raise InvalidParameterException(MSG_NO_DELIVERY_CONFIG)


# --- which challenge a sign-in gets ----------------------------------------------------

def mfa_challenge_for(pool, token: SoftwareToken) -> str | None:
    """OPTIONAL pool: a user with an enabled, verified factor is challenged on every
    sign-in; others are not. ON pool: a user without a factor must set one up
    (MFA_SETUP). OFF: never (Developer Guide; CloudFormation MfaConfiguration)."""
    mode = pool.mfa_config or "OFF"
    pool_has_totp = bool((pool.token_mfa_config or {}).get("Enabled"))
    if mode == "OFF" or not pool_has_totp:
        return None
    if token.verified_secret and (token.enabled or mode == "ON"):
        return "SOFTWARE_TOKEN_MFA"
    if mode == "ON":
        return "MFA_SETUP"
    return None


def challenge_parameters(challenge: str, user) -> dict[str, str]:
    """USER_ID_FOR_SRP is the user's internal username (the sub in an email pool);
    MFAS_CAN_SETUP is a JSON string (API model)."""
    params = {"USER_ID_FOR_SRP": user.username}
    if challenge == "MFA_SETUP":
        params["MFAS_CAN_SETUP"] = json.dumps(["SOFTWARE_TOKEN_MFA"])
    return params


# --- sessions --------------------------------------------------------------------------

def auth_session_expiry(client, now: float) -> float:
    """A challenge session lives for the client's AuthSessionValidity minutes (3-15, default 3)."""
    minutes = int(client.extended_config.get("AuthSessionValidity") or 3)
    return now + 60 * minutes


def require_session_usable(session: AuthSession | None, client_id: str, challenge: str,
                           user, now: float) -> AuthSession:
    """Single use; bound to its user, client and challenge; expires."""
    if session is None:
        raise NotAuthorizedError(MSG_SESSION_INVALID)
    if now >= session.expires_at:
        raise NotAuthorizedError(MSG_SESSION_EXPIRED)
    if session.client_id != client_id or session.challenge != challenge:
        raise NotAuthorizedError(MSG_SESSION_INVALID)
    if user is None or user.username != session.username:
        raise NotAuthorizedError(MSG_SESSION_INVALID)
    return session


def wrong_code_ends_session(session: AuthSession) -> bool:
    session.wrong_codes += 1
    return session.wrong_codes >= CHOICES.max_wrong_codes_per_session


# --- app clients -----------------------------------------------------------------------

DEFAULT_EXPLICIT_AUTH_FLOWS = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"]
_FLOW_PERMISSION = {
    "USER_PASSWORD_AUTH": {"ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"},
    "ADMIN_USER_PASSWORD_AUTH": {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
    "ADMIN_NO_SRP_AUTH": {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"},
    "USER_SRP_AUTH": {"ALLOW_USER_SRP_AUTH"},
    "CUSTOM_AUTH": {"ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"},
    "REFRESH_TOKEN_AUTH": {"ALLOW_REFRESH_TOKEN_AUTH"},
    "REFRESH_TOKEN": {"ALLOW_REFRESH_TOKEN_AUTH"},
}


def client_auth_flows(client) -> list[str]:
    """A client created without ExplicitAuthFlows allows refresh, SRP and custom (API model)."""
    return list(client.extended_config.get("ExplicitAuthFlows") or DEFAULT_EXPLICIT_AUTH_FLOWS)


def require_auth_flow_enabled(client, flow: str, admin: bool) -> None:
    """ExplicitAuthFlows is enforced: AdminInitiateAuth -> "Auth flow not enabled for this
    client" (seed log); InitiateAuth -> "<FLOW> flow not enabled for this client"."""
    allowed = set(client_auth_flows(client))
    if allowed & _FLOW_PERMISSION.get(flow, {f"ALLOW_{flow}"}):
        return
    if admin:
        raise InvalidParameterException(MSG_ADMIN_FLOW_NOT_ENABLED)
    raise InvalidParameterException(f"{flow} flow not enabled for this client")


def prevents_user_existence_errors(client) -> bool:
    return client.extended_config.get("PreventUserExistenceErrors") == "ENABLED"


def unknown_user_error(client) -> JsonRESTError:
    """PreventUserExistenceErrors ENABLED: an unknown user looks like a wrong password
    (Developer Guide, "Managing error responses")."""
    if prevents_user_existence_errors(client):
        return NotAuthorizedError(MSG_INCORRECT_CREDENTIALS)
    return UserNotFoundError(MSG_USER_NOT_FOUND)


def check_password_sign_in(user, password: str) -> None:
    """Wrong password -> NotAuthorizedException "Incorrect username or password." (every flow)."""
    if not user.enabled:
        raise NotAuthorizedError("User is disabled.")
    if user.password is None or not secrets.compare_digest(str(user.password), str(password or "")):
        raise NotAuthorizedError(MSG_INCORRECT_CREDENTIALS)
    if str(getattr(user.status, "value", user.status)) == "UNCONFIRMED":
        raise UserNotConfirmedException("User is not confirmed.")


# --- tokens ----------------------------------------------------------------------------

_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def token_validity_seconds(client, kind: str) -> int:
    """Per-client AccessTokenValidity / IdTokenValidity / RefreshTokenValidity with
    TokenValidityUnits (units default to hours, hours, days). A validity not set is the
    default lifetime (1 h, 1 h, 30 days) whatever the units say (API model)."""
    cfg = client.extended_config if client is not None else {}
    units = cfg.get("TokenValidityUnits") or {}
    key, unit_key, default_unit, default_seconds = {
        "access": ("AccessTokenValidity", "AccessToken", "hours", 3600),
        "id": ("IdTokenValidity", "IdToken", "hours", 3600),
    }.get(kind, ("RefreshTokenValidity", "RefreshToken", "days", 30 * 86400))
    value = cfg.get(key)
    if not value:
        return default_seconds
    return int(value) * _UNIT_SECONDS[units.get(unit_key, default_unit)]


def id_token_user_claims(user) -> dict:
    """The ID token carries email and a JSON-boolean email_verified (Developer Guide, ID token)."""
    attrs = user.attribute_lookup
    claims: dict = {}
    if "email" in attrs:
        claims["email"] = attrs["email"]
    if "email_verified" in attrs:
        claims["email_verified"] = str(attrs["email_verified"]).lower() == "true"
    for name in ("phone_number", "name", "given_name", "family_name"):
        if name in attrs:
            claims[name] = attrs[name]
    if "phone_number_verified" in attrs:
        claims["phone_number_verified"] = str(attrs["phone_number_verified"]).lower() == "true"
    return claims
