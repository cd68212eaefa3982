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
import uuid
from dataclasses import dataclass, field

import pyotp
from moto.cognitoidp.exceptions import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    NotAuthorizedError,
    ResourceNotFoundError,
    UserNotConfirmedException,
    UserNotFoundError,
)

from .. import srp
from moto.core.exceptions import JsonRESTError

TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
SECRET_BYTES = 32  # 32 bytes -> 52 base32 characters, as real pools hand out

# Cognito's messages (sources in docs/fidelity.md and docs/narrative.md)
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
    # SRP: how far the client's TIMESTAMP may be from the pool's clock (0 = not checked).
    # Cognito checks it ("the date needs to be within a certain time interval of the server
    # date", amazon-cognito-identity-js #58) but publishes no number.
    srp_timestamp_tolerance_seconds: int = 300


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
    if not isinstance(code, str) or len(code) != TOTP_DIGITS or not (code.isascii() and code.isdigit()):
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
    if user.password is None or not secrets.compare_digest(str(user.password).encode(), str(password or "").encode()):
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


# --- SRP: USER_SRP_AUTH -> PASSWORD_VERIFIER --------------------------------------------
# Sources: amazon-cognito-identity-js src/AuthenticationHelper.js and CognitoUser.js
# (authenticateUserDefaultAuth), pycognito aws_srp.py; AWS behaviour measured on a real
# pool in ministack PR #1758 (no Session with PASSWORD_VERIFIER, USER_ID_FOR_SRP is the
# username, a wrong password / signature / SECRET_BLOCK / zero-padded day / wrong weekday
# is NotAuthorizedException "Incorrect username or password.").

MSG_DEVICE_NOT_FOUND = "Device does not exist."
MSG_INVALID_REFRESH_TOKEN = "Invalid Refresh Token"
MSG_ROTATION_NEEDS_GET_TOKENS = ("Refresh token rotation is enabled for this app client: "
                                 "renew the session with GetTokensFromRefreshToken")
SRP_EXCHANGE_SECONDS = 300  # how long a PASSWORD_VERIFIER / DEVICE_PASSWORD_VERIFIER may wait


@dataclass
class SrpExchange:
    """The pool's half of one SRP exchange, found again by its SECRET_BLOCK (the clients
    send no Session with PASSWORD_VERIFIER). Single use."""

    pool_id: str
    client_id: str
    username: str | None  # None: an unknown user behind PreventUserExistenceErrors
    realm: str  # pool name without region, or the DeviceGroupKey
    identity: str  # USER_ID_FOR_SRP, or the DeviceKey
    small_b: int
    big_b: int
    big_a: int
    verifier: int
    expires_at: float
    device_key: str | None = None  # DEVICE_KEY the app named (PASSWORD_VERIFIER) / proves (device)
    kind: str = "PASSWORD_VERIFIER"  # or DEVICE_PASSWORD_VERIFIER


def srp_a_value(text: str | None) -> int:
    """SRP_A: required hex, at most the modulus's size, not 0 mod N (RFC 5054 §2.5.4)."""
    if not text:
        raise InvalidParameterException("Missing required parameter SRP_A")
    if len(text) > len(srp.N_HEX) + 2:
        raise InvalidParameterException("SRP_A is longer than the SRP group's modulus")
    try:
        value = int(text, 16)
    except ValueError:
        raise InvalidParameterException("SRP_A must be a hexadecimal number") from None
    if value % srp.N == 0:
        raise NotAuthorizedError(MSG_INCORRECT_CREDENTIALS)
    return value


def user_srp_verifier(user, user_pool_id: str) -> tuple[str, int]:
    """The user's (SALT, verifier v = g^x). Cognito stores these when the password is set;
    here they are made on first use and again whenever moto's password changed."""
    cached = getattr(user, "srp_verifier", None)
    password = str(user.password or "")
    fingerprint = srp.hash_text(password)
    if cached and cached[0] == fingerprint:
        return cached[1], cached[2]
    salt = srp.new_salt_hex()
    value = srp.verifier(salt, srp.pool_realm(user_pool_id), user.username, password)
    user.srp_verifier = (fingerprint, salt, value)
    return salt, value


def check_srp_claim(exchange: SrpExchange | None, responses: dict, now: float) -> None:
    """PASSWORD_VERIFIER / DEVICE_PASSWORD_VERIFIER: the TIMESTAMP is Cognito's format with
    the right weekday and near the pool's clock (choice), and PASSWORD_CLAIM_SIGNATURE is the
    HMAC of realm|identity|SECRET_BLOCK|TIMESTAMP under the key only the password (or the
    device secret) gives. Anything else: NotAuthorizedException "Incorrect username or password."."""
    refused = NotAuthorizedError(MSG_INCORRECT_CREDENTIALS)
    if exchange is None or exchange.username is None or now >= exchange.expires_at:
        raise refused
    stamp = responses.get("TIMESTAMP") or ""
    when = srp.parse_timestamp(stamp)
    if when is None:
        raise refused
    tolerance = CHOICES.srp_timestamp_tolerance_seconds
    if tolerance and abs(now - when) > tolerance:
        raise refused
    key = srp.server_key(exchange.big_a, exchange.small_b, exchange.big_b, exchange.verifier)
    if key is None:
        raise refused
    try:
        expected = srp.claim_signature(key, exchange.realm, exchange.identity,
                                       responses.get("PASSWORD_CLAIM_SECRET_BLOCK") or "", stamp)
    except ValueError:  # not base64
        raise refused from None
    if not secrets.compare_digest(expected.encode(), str(responses.get("PASSWORD_CLAIM_SIGNATURE") or "").encode()):
        raise refused


# --- device tracking ---------------------------------------------------------------------
# Sources: Developer Guide "Working with user devices in your user pool"; API reference
# DeviceConfigurationType, NewDeviceMetadataType, ConfirmDevice, UpdateDeviceStatus;
# AWS blog "Tracking and Remembering Devices Using Amazon Cognito Your User Pools".

@dataclass
class Device:
    """A device Cognito tracks for one user; kept on moto's user object, so deleting the
    user (or resetting moto) forgets it too."""

    key: str
    group_key: str
    created: float
    last_modified: float
    confirmed: bool = False
    remembered: bool = False
    name: str | None = None
    salt_hex: str | None = None
    verifier: int | None = None
    last_authenticated: float | None = None

    def to_json(self) -> dict:
        attributes = [{"Name": "device_status", "Value": "valid"},
                      {"Name": "dev:device_remembered_status",
                       "Value": "remembered" if self.remembered else "not_remembered"}]
        if self.name:
            attributes.append({"Name": "device_name", "Value": self.name})
        out = {"DeviceKey": self.key, "DeviceAttributes": attributes, "DeviceCreateDate": self.created,
               "DeviceLastModifiedDate": self.last_modified}
        if self.last_authenticated is not None:
            out["DeviceLastAuthenticatedDate"] = self.last_authenticated
        return out


def device_configuration(pool) -> dict | None:
    """DeviceConfiguration of the pool; None when the pool does not track devices ("when you
    provide a value for any property of DeviceConfiguration, you activate device remembering")."""
    config = (pool.extended_config or {}).get("DeviceConfiguration")
    return config if isinstance(config, dict) and config else None


def new_device(pool, now: float) -> Device:
    """NewDeviceMetadata: DeviceKey `<region>_<uuid>` (pattern [\\w-]+_[0-9a-f-]+), a group key."""
    return Device(key=f"{pool.region}_{uuid.uuid4()}", group_key="-" + secrets.token_hex(5),
                  created=now, last_modified=now)


def user_devices(user) -> dict[str, Device]:
    devices = getattr(user, "devices", None)
    if devices is None:
        devices = user.devices = {}
    return devices


def find_device(user, device_key: str | None, confirmed_only: bool = True) -> Device:
    """A device of this user, else ResourceNotFoundException "Device does not exist." — the
    answer amazon-cognito-identity-js recognises to drop a forgotten device and sign in anew."""
    device = user_devices(user).get(device_key or "")
    if device is None or (confirmed_only and not device.confirmed):
        raise ResourceNotFoundError(MSG_DEVICE_NOT_FOUND)
    return device


def remembered_on_confirm(pool) -> bool:
    """ConfirmDevice remembers the device at once unless DeviceOnlyRememberedOnUserPrompt,
    when the app must ask and call UpdateDeviceStatus (UserConfirmationNecessary true)."""
    return not bool((device_configuration(pool) or {}).get("DeviceOnlyRememberedOnUserPrompt"))


def device_verifier_from_config(config: dict | None) -> tuple[str, int]:
    """ConfirmDevice's DeviceSecretVerifierConfig: base64 PasswordVerifier and Salt."""
    try:
        verifier_hex = srp.b64_to_hex((config or {})["PasswordVerifier"])
        salt_hex = srp.b64_to_hex((config or {})["Salt"])
        value = int(verifier_hex, 16)
    except (KeyError, ValueError, TypeError):
        raise InvalidParameterException(
            "DeviceSecretVerifierConfig needs a base64 PasswordVerifier and Salt") from None
    if not salt_hex or value % srp.N in (0, 1):
        raise InvalidParameterException("DeviceSecretVerifierConfig: the PasswordVerifier is not a verifier")
    return salt_hex, value


def challenge_after_password(pool, token: SoftwareToken, device: Device | None) -> str | None:
    """What follows a verified password. A remembered device takes the place of the TOTP code
    when the pool's ChallengeRequiredOnNewDevice is true ("a remembered device can sign in with
    device authentication instead of SMS and TOTP factors"); a remembered device of a user
    without MFA still proves itself (DEVICE_SRP_AUTH). A device that is not remembered, or
    none, changes nothing: "users who sign in with devices that have not been confirmed or
    remembered must still provide a second factor"."""
    mfa = mfa_challenge_for(pool, token)
    config = device_configuration(pool)
    if device is None or config is None or not (device.confirmed and device.remembered):
        return mfa
    if mfa is None:
        return "DEVICE_SRP_AUTH"
    if mfa == "SOFTWARE_TOKEN_MFA" and config.get("ChallengeRequiredOnNewDevice"):
        return "DEVICE_SRP_AUTH"
    return mfa


# --- refresh ------------------------------------------------------------------------------

def refresh_token_rotation(client) -> tuple[bool, int]:
    """The client's RefreshTokenRotation: (enabled, RetryGracePeriodSeconds 0-60, default 0)."""
    config = (client.extended_config or {}).get("RefreshTokenRotation") or {}
    enabled = config.get("Feature") == "ENABLED"
    grace = int(config.get("RetryGracePeriodSeconds") or 0)
    return enabled, max(0, min(60, grace))


def require_refresh_flow_without_rotation(client) -> None:
    """"Refresh token rotation must be completed with GetTokensFromRefreshToken" (API reference,
    RefreshTokenRotationType): REFRESH_TOKEN_AUTH on a rotating client is refused. (The exact
    error text is not published: the message here is the harness's.)"""
    if refresh_token_rotation(client)[0]:
        raise NotAuthorizedError(MSG_ROTATION_NEEDS_GET_TOKENS)


def require_refresh_token_live(meta: dict, now: float) -> None:
    """A refresh token rotated out stays valid for the grace period only; then "Invalid
    Refresh Token". An expired one: "Refresh Token has expired"."""
    if now >= meta.get("expires_at", float("inf")):
        raise NotAuthorizedError("Refresh Token has expired")
    if now >= meta.get("rotated_out_at", float("inf")):
        raise NotAuthorizedError(MSG_INVALID_REFRESH_TOKEN)


def require_refresh_device(meta: dict, device_key: str | None, user) -> None:
    """With device tracking, a refresh token belongs to the device it was issued to: without
    that DEVICE_KEY, with another, or after ForgetDevice, "Invalid Refresh Token" (AWS blog on
    device tracking: "if a refresh token is used on any other device, the call fails";
    aws-sdk-java #2841, aws-sdk-cpp #851)."""
    bound = meta.get("device_key")
    if bound is None:
        return
    if device_key != bound or bound not in user_devices(user):
        raise NotAuthorizedError(MSG_INVALID_REFRESH_TOKEN)
