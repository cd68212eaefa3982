"""What the narrative does, one function per action, on any target.

Each function returns an `Outcome`: what Cognito answered (tokens, a challenge, or an
error code and message). Steps call one function and assert on the outcome.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from . import redaction
from .authenticator import Authenticator
from .target import Target


@dataclass
class Outcome:
    response: dict = field(default_factory=dict)
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_code is None

    @property
    def tokens(self) -> dict | None:
        return self.response.get("AuthenticationResult")

    @property
    def challenge(self) -> str | None:
        return self.response.get("ChallengeName")

    def __repr__(self) -> str:  # never print tokens or sessions
        if not self.ok:
            return f"Outcome(error={self.error_code}: {self.error_message})"
        shown = {k: ("<redacted>" if k in ("AuthenticationResult", "Session", "SecretCode", "Credentials") else v)
                 for k, v in self.response.items() if k != "ResponseMetadata"}
        return f"Outcome({shown})"


def call(fn, **kwargs) -> Outcome:
    try:
        response = fn(**kwargs)
    except ClientError as err:
        return Outcome(error_code=err.response["Error"]["Code"], error_message=err.response["Error"].get("Message", ""))
    response = dict(response)
    response.pop("ResponseMetadata", None)
    redaction.register_response(response)
    return Outcome(response=response)


def claims(jwt_token: str) -> dict:
    """The payload of a JWT (not verified: see verify_token for that)."""
    payload = jwt_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# --- sign-in ------------------------------------------------------------------------------

def sign_in(target: Target, email: str, password: str) -> Outcome:
    """The app's USER_PASSWORD_AUTH sign-in (InitiateAuth)."""
    return call(target.app().initiate_auth, ClientId=target.client_id, AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password})


def admin_sign_in(target: Target, email: str, password: str) -> Outcome:
    return call(target.admin().admin_initiate_auth, UserPoolId=target.user_pool_id, ClientId=target.client_id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH", AuthParameters={"USERNAME": email, "PASSWORD": password})


def answer_mfa(target: Target, challenge: Outcome, email: str, code: str) -> Outcome:
    return call(target.app().respond_to_auth_challenge, ClientId=target.client_id,
                ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge.response["Session"],
                ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code})


def refresh(target: Target, refresh_token: str, device_key: str | None = None) -> Outcome:
    """REFRESH_TOKEN_AUTH. A pool that tracks devices binds the refresh token to the device
    the sign-in used (or was given): pass its DEVICE_KEY, as apps do."""
    params = {"REFRESH_TOKEN": refresh_token}
    if device_key:
        params["DEVICE_KEY"] = device_key
    return call(target.app().initiate_auth, ClientId=target.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters=params)


def device_key_of(tokens: dict) -> str | None:
    """The device a sign-in's tokens belong to, when the pool handed out a new one."""
    return (tokens.get("NewDeviceMetadata") or {}).get("DeviceKey")


# --- enrolment ----------------------------------------------------------------------------

def associate(target: Target, access_token: str) -> Outcome:
    return call(target.app().associate_software_token, AccessToken=access_token)


def verify(target: Target, access_token: str, code: str) -> Outcome:
    return call(target.app().verify_software_token, AccessToken=access_token, UserCode=code,
                FriendlyDeviceName="harness authenticator")


def admin_prefer_totp(target: Target, email: str) -> Outcome:
    return call(target.admin().admin_set_user_mfa_preference, UserPoolId=target.user_pool_id, Username=email,
                SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})


def prefer_totp_self_service(target: Target, access_token: str) -> Outcome:
    return call(target.app().set_user_mfa_preference, AccessToken=access_token,
                SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})


def admin_get_user(target: Target, email: str) -> Outcome:
    return call(target.admin().admin_get_user, UserPoolId=target.user_pool_id, Username=email)


def enrol(target: Target, email: str, password: str, issuer: str, *, verify_code: bool = True,
          prefer: bool = True, self_service: bool = False, signed_in: Outcome | None = None) -> Authenticator | None:
    """The narrative's Step 2 in one call: sign in, associate, (verify), (prefer TOTP —
    by the operator, or with `self_service` by the user's own access token, the log's
    "my page"). Returns the authenticator app holding the secret. In a pool that requires
    MFA the sign-in asks a user without a factor to set one up (MFA_SETUP): the set-up
    happens in that sign-in's session. `signed_in`: a sign-in already made (e.g. with the
    code of an authenticator the user is replacing)."""
    first = signed_in or sign_in(target, email, password)
    if first.challenge == "MFA_SETUP" and verify_code:
        return _enrol_in_setup_session(target, first, email, issuer)
    assert first.tokens, f"{email} could not sign in to enrol: {first}"
    access = first.tokens["AccessToken"]
    secret = associate(target, access)
    assert secret.ok, f"associating an authenticator for {email} failed: {secret}"
    app = Authenticator(secret.response["SecretCode"], email, issuer, target.clock)
    if verify_code:
        verified = verify(target, access, app.fresh_code())
        assert verified.ok, f"verifying the authenticator for {email} failed: {verified}"
        if prefer:
            preferred = prefer_totp_self_service(target, access) if self_service else admin_prefer_totp(target, email)
            assert preferred.ok, f"turning on TOTP for {email} failed: {preferred}"
    return app


def _enrol_in_setup_session(target: Target, challenge: Outcome, email: str, issuer: str) -> Authenticator:
    """MFA_SETUP (a pool that requires MFA): associate and verify with the challenge's
    Session, then answer the challenge; the verified factor is on from then."""
    secret = call(target.app().associate_software_token, Session=challenge.response["Session"])
    assert secret.ok, f"associating an authenticator for {email} in the set-up session failed: {secret}"
    app = Authenticator(secret.response["SecretCode"], email, issuer, target.clock)
    verified = call(target.app().verify_software_token, Session=secret.response["Session"],
                    UserCode=app.fresh_code(), FriendlyDeviceName="harness authenticator")
    assert verified.ok, f"verifying the authenticator for {email} in the set-up session failed: {verified}"
    done = call(target.app().respond_to_auth_challenge, ClientId=target.client_id, ChallengeName="MFA_SETUP",
                Session=verified.response["Session"], ChallengeResponses={"USERNAME": email})
    assert done.tokens, f"finishing the authenticator set-up for {email} failed: {done}"
    return app


def sign_in_answering_mfa(target: Target, email: str, password: str, app: Authenticator | None) -> Outcome:
    """Email and password, and the authenticator's code when Cognito asks for it (a user
    who has no authenticator gets the challenge back, for the caller to report)."""
    first = sign_in(target, email, password)
    if first.challenge == "SOFTWARE_TOKEN_MFA" and app is not None:
        return answer_mfa(target, first, email, app.fresh_code())
    return first


# --- the operator's and the user's MFA switches, sign-out ---------------------------------

def set_pool_mfa(target: Target, mode: str, totp: bool) -> Outcome:
    """SetUserPoolMfaConfig as the narrative's operator calls it: `mode` OFF / OPTIONAL /
    ON; authenticator apps on or off (left out when turning MFA off, as the CLI does)."""
    args = {"UserPoolId": target.user_pool_id, "MfaConfiguration": mode}
    if mode != "OFF" or totp:
        args["SoftwareTokenMfaConfiguration"] = {"Enabled": totp}
    return call(target.admin().set_user_pool_mfa_config, **args)


def admin_reset_totp(target: Target, email: str) -> Outcome:
    """The operator resets a user's MFA (a lost phone): AdminSetUserMFAPreference with TOTP
    neither enabled nor preferred. Cognito has no call that deletes a software token."""
    return call(target.admin().admin_set_user_mfa_preference, UserPoolId=target.user_pool_id, Username=email,
                SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False})


def turn_off_totp_self_service(target: Target, access_token: str) -> Outcome:
    """The user turns the authenticator off from their own signed-in page: SetUserMFAPreference."""
    return call(target.app().set_user_mfa_preference, AccessToken=access_token,
                SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False})


def global_sign_out(target: Target, access_token: str) -> Outcome:
    """GlobalSignOut: the user signs out of every device with their own access token."""
    return call(target.app().global_sign_out, AccessToken=access_token)


def admin_global_sign_out(target: Target, email: str) -> Outcome:
    """AdminUserGlobalSignOut: the operator signs a user out of every device."""
    return call(target.admin().admin_user_global_sign_out, UserPoolId=target.user_pool_id, Username=email)


def get_own_user(target: Target, access_token: str) -> Outcome:
    """GetUser: what a signed-in page reads with the user's access token."""
    return call(target.app().get_user, AccessToken=access_token)


# --- identity pool and S3 -----------------------------------------------------------------

def identity_credentials(target: Target, id_token: str) -> Outcome:
    logins = {target.provider_name: id_token}
    got = call(target.identity().get_id, IdentityPoolId=target.identity_pool_id, Logins=logins)
    if not got.ok:
        return got
    return call(target.identity().get_credentials_for_identity, IdentityId=got.response["IdentityId"], Logins=logins)


def list_buckets(target: Target, credentials: dict) -> Outcome:
    return call(target.s3_with(credentials).list_buckets)


def write_object(target: Target, credentials: dict, bucket: str) -> Outcome:
    return call(target.s3_with(credentials).put_object, Bucket=bucket, Key="harness-write-probe.txt", Body=b"probe")
