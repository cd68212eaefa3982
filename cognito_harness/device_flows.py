"""The Amplify way of signing in, one function per action: SRP (USER_SRP_AUTH), the TOTP
answer, remembering the device (ConfirmDevice + UpdateDeviceStatus), signing in again on it
(DEVICE_SRP_AUTH), the operator's device calls, and GetTokensFromRefreshToken.

Like flows.py, each returns an `Outcome`. The SRP arithmetic is cognito_harness.srp; the
TIMESTAMP is read from the target's clock (the embedded pool's, or real time on AWS).
The low-level `srp_exchange` / `device_exchange` take a plain boto3 client, so the harness's
own tests can use them against any endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import redaction, srp
from .flows import Outcome, call
from .target import Target


@dataclass
class AppDevice:
    """What an app keeps about its device: the keys Cognito handed out and the random
    password whose verifier it confirmed. Printing it shows no secret."""

    key: str
    group_key: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        redaction.register(self.password)


# --- the exchanges, on any client --------------------------------------------------------------

def srp_exchange(app, client_id: str, user_pool_id: str, username: str, password: str,
                 now: Callable[[], float], device: AppDevice | None = None, admin=None) -> Outcome:
    """InitiateAuth USER_SRP_AUTH, then the PASSWORD_VERIFIER answer (with DEVICE_KEY when the
    app has a device). Returns what Cognito answered to the proof: tokens, a challenge
    (SOFTWARE_TOKEN_MFA, DEVICE_SRP_AUTH, ...) or an error."""
    redaction.register(password)
    client = srp.SrpClient()
    params = {"USERNAME": username, "SRP_A": client.srp_a}
    if device:
        params["DEVICE_KEY"] = device.key
    if admin is not None:
        first = call(admin.admin_initiate_auth, UserPoolId=user_pool_id, ClientId=client_id,
                     AuthFlow="USER_SRP_AUTH", AuthParameters=params)
    else:
        first = call(app.initiate_auth, ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params)
    if not first.ok or first.challenge != "PASSWORD_VERIFIER":
        return first
    challenge = first.response["ChallengeParameters"]
    user_id = challenge["USER_ID_FOR_SRP"]
    signature, stamp = client.signature(srp.pool_realm(user_pool_id), user_id, password, challenge, now())
    responses = {"USERNAME": user_id, "PASSWORD_CLAIM_SECRET_BLOCK": challenge["SECRET_BLOCK"],
                 "PASSWORD_CLAIM_SIGNATURE": signature, "TIMESTAMP": stamp}
    if device:
        responses["DEVICE_KEY"] = device.key
    args = {"ClientId": client_id, "ChallengeName": "PASSWORD_VERIFIER", "ChallengeResponses": responses}
    if first.response.get("Session"):
        args["Session"] = first.response["Session"]
    return call(app.respond_to_auth_challenge, **args)


def device_exchange(app, client_id: str, challenge: Outcome, username: str, device: AppDevice,
                    now: Callable[[], float]) -> Outcome:
    """The answer to DEVICE_SRP_AUTH: SRP_A for the device, then its DEVICE_PASSWORD_VERIFIER proof."""
    client = srp.SrpClient()
    args = {"ClientId": client_id, "ChallengeName": "DEVICE_SRP_AUTH",
            "ChallengeResponses": {"USERNAME": username, "DEVICE_KEY": device.key, "SRP_A": client.srp_a}}
    if challenge.response.get("Session"):
        args["Session"] = challenge.response["Session"]
    second = call(app.respond_to_auth_challenge, **args)
    if not second.ok or second.challenge != "DEVICE_PASSWORD_VERIFIER":
        return second
    params = second.response["ChallengeParameters"]
    signature, stamp = client.signature(device.group_key, device.key, device.password, params, now())
    args = {"ClientId": client_id, "ChallengeName": "DEVICE_PASSWORD_VERIFIER", "ChallengeResponses": {
        "USERNAME": params.get("USERNAME", username), "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
        "PASSWORD_CLAIM_SIGNATURE": signature, "TIMESTAMP": stamp, "DEVICE_KEY": device.key}}
    if second.response.get("Session"):
        args["Session"] = second.response["Session"]
    return call(app.respond_to_auth_challenge, **args)


def confirm_new_device(app, tokens: dict, name: str = "harness device") -> tuple[Outcome, AppDevice | None]:
    """ConfirmDevice for the NewDeviceMetadata of a sign-in, with a fresh SRP verifier."""
    metadata = tokens.get("NewDeviceMetadata")
    if not metadata:
        return Outcome(error_code="NoNewDeviceMetadata",
                       error_message="the sign-in's tokens carry no NewDeviceMetadata: the pool tracks no devices"), None
    password, config = srp.device_verifier_config(metadata["DeviceGroupKey"], metadata["DeviceKey"])
    device = AppDevice(metadata["DeviceKey"], metadata["DeviceGroupKey"], password)
    out = call(app.confirm_device, AccessToken=tokens["AccessToken"], DeviceKey=device.key,
               DeviceSecretVerifierConfig=config, DeviceName=name)
    return out, (device if out.ok else None)


# --- on a Target ------------------------------------------------------------------------------

def srp_sign_in(target: Target, email: str, password: str, device: AppDevice | None = None) -> Outcome:
    return srp_exchange(target.app(), target.client_id, target.user_pool_id, email, password,
                        target.clock.now, device)


def sign_in_on_device(target: Target, email: str, password: str, device: AppDevice) -> Outcome:
    """The sign-in an app makes on a device it confirmed: SRP with DEVICE_KEY; a DEVICE_SRP_AUTH
    challenge is answered with the device's proof. As amazon-cognito-identity-js does, a
    device Cognito no longer knows ("Device does not exist.") is dropped and the sign-in made anew."""
    first = srp_sign_in(target, email, password, device)
    if first.error_code == "ResourceNotFoundException" and "device" in (first.error_message or "").lower():
        return srp_sign_in(target, email, password)
    if first.challenge != "DEVICE_SRP_AUTH":
        return first
    username = first.response["ChallengeParameters"].get("USERNAME", email)
    return device_exchange(target.app(), target.client_id, first, username, device, target.clock.now)


def answer_totp(target: Target, challenge: Outcome, username: str, code: str, device: AppDevice | None = None) -> Outcome:
    responses = {"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code}
    if device:
        responses["DEVICE_KEY"] = device.key
    return call(target.app().respond_to_auth_challenge, ClientId=target.client_id, ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=challenge.response["Session"], ChallengeResponses=responses)


def confirm_device(target: Target, tokens: dict) -> tuple[Outcome, AppDevice | None]:
    return confirm_new_device(target.app(), tokens)


def set_device_remembered(target: Target, access_token: str, device: AppDevice, remembered: bool = True) -> Outcome:
    return call(target.app().update_device_status, AccessToken=access_token, DeviceKey=device.key,
                DeviceRememberedStatus="remembered" if remembered else "not_remembered")


def forget_device(target: Target, access_token: str, device: AppDevice) -> Outcome:
    return call(target.app().forget_device, AccessToken=access_token, DeviceKey=device.key)


def admin_list_devices(target: Target, email: str) -> Outcome:
    return call(target.admin().admin_list_devices, UserPoolId=target.user_pool_id, Username=email)


def admin_forget_device(target: Target, email: str, device_key: str) -> Outcome:
    target.require_own_user("forget a device", email=email)
    return call(target.admin().admin_forget_device, UserPoolId=target.user_pool_id, Username=email,
                DeviceKey=device_key)


def tokens_from_refresh_token(target: Target, refresh_token: str, device_key: str | None = None) -> Outcome:
    args = {"ClientId": target.client_id, "RefreshToken": refresh_token}
    if device_key:
        args["DeviceKey"] = device_key
    return call(target.app().get_tokens_from_refresh_token, **args)


def device_configuration(target: Target) -> dict | None:
    """The pool's DeviceConfiguration (None: the pool tracks no devices)."""
    pool = target.admin().describe_user_pool(UserPoolId=target.user_pool_id)["UserPool"]
    return pool.get("DeviceConfiguration") or None


def refresh_token_rotation(target: Target) -> dict:
    client = target.admin().describe_user_pool_client(UserPoolId=target.user_pool_id,
                                                     ClientId=target.client_id)["UserPoolClient"]
    return client.get("RefreshTokenRotation") or {"Feature": "DISABLED"}


def _client_settings(target: Target) -> dict:
    """The app client's settings as UpdateUserPoolClient takes them (it resets what is left out)."""
    admin = target.admin()
    client = admin.describe_user_pool_client(UserPoolId=target.user_pool_id,
                                             ClientId=target.client_id)["UserPoolClient"]
    accepted = admin.meta.service_model.operation_model("UpdateUserPoolClient").input_shape.members
    return {k: v for k, v in client.items() if k in accepted}


def set_refresh_token_rotation(target: Target, grace_seconds: int) -> dict:
    """Turns on the client's refresh token rotation; returns the settings to put back."""
    target.require_mutation("turn on refresh token rotation for the app client")
    before = _client_settings(target)
    target.admin().update_user_pool_client(**{**before, "RefreshTokenRotation": {
        "Feature": "ENABLED", "RetryGracePeriodSeconds": grace_seconds}})
    return before


def restore_client(target: Target, settings: dict) -> None:
    target.admin().update_user_pool_client(**settings)
