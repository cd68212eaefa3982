"""SRP, remembered devices and refresh-token rotation: one test per Cognito rule, run on the
embedded target and on plain moto (the plain-moto variant of a `plain_moto_fails` test is
xfail(strict=True): it proves plain moto breaks the rule). Same set-up as
test_fidelity_rules.py (whose clocks, plain-moto server and helpers are reused), with a pool
that tracks devices (DeviceConfiguration as scenarios.yaml provisions it), an app client
allowing USER_SRP_AUTH, a client that rotates refresh tokens and a pool that remembers
devices without asking.

The app side of SRP is cognito_harness.srp / device_flows (TIMESTAMP from the world's clock);
tests/test_unmodified_clients.py proves the same rules with pycognito and
amazon-cognito-identity-js.
"""

from __future__ import annotations

import time
import uuid

import boto3
import pytest

from cognito_harness import srp
from cognito_harness.device_flows import AppDevice, confirm_new_device, device_exchange, srp_exchange
from cognito_harness.embedded import rules
from cognito_harness.embedded.provision import client_definition, pool_definition
from cognito_harness.flows import Outcome, call
from test_fidelity_rules import HarnessClock, WallClock, World, code_at, plain_moto_server, refused

GRACE = 5  # RetryGracePeriodSeconds of the rotating client


class DeviceWorld(World):
    always_pool_id: str = ""
    always_client_id: str = ""
    rotating_client_id: str = ""
    legacy_client_id: str = ""

    def srp(self, email: str, password: str | None = None, device: AppDevice | None = None,
            client_id: str | None = None, pool_id: str | None = None) -> Outcome:
        return srp_exchange(self.app(), client_id or self.client_id, pool_id or self.pool_id, email,
                            password or self.password, self.clock.now, device)

    def srp_tokens(self, email: str, **kw) -> dict:
        out = self.srp(email, **kw)
        assert out.tokens, f"SRP sign-in of {email} failed: {out}"
        return out.tokens

    def mfa_user(self) -> tuple[str, str]:
        email = self.new_user()
        return email, self.enrol(email)

    def answer_code(self, challenge: Outcome, email: str, secret: str, device: AppDevice | None = None) -> Outcome:
        responses = {"DEVICE_KEY": device.key} if device else None
        self.settle()
        out = self.answer(challenge, email, code_at(secret, self.clock.now()), responses=responses)
        self.next_window()
        return out

    def remembered_device(self, email: str, secret: str | None) -> tuple[AppDevice, dict]:
        """Sign in (with the code when enrolled), confirm the new device, remember it."""
        out = self.srp(email)
        if secret:
            assert out.challenge == "SOFTWARE_TOKEN_MFA", out
            out = self.answer_code(out, email, secret)
        assert out.tokens, out
        confirmed, device = confirm_new_device(self.app(), out.tokens)
        assert confirmed.ok, confirmed
        status = call(self.app().update_device_status, AccessToken=out.tokens["AccessToken"], DeviceKey=device.key,
                      DeviceRememberedStatus="remembered")
        assert status.ok, status
        return device, out.tokens

    def on_device(self, email: str, device: AppDevice) -> Outcome:
        first = self.srp(email, device=device)
        if first.challenge != "DEVICE_SRP_AUTH":
            return first
        return device_exchange(self.app(), self.client_id, first,
                               first.response["ChallengeParameters"].get("USERNAME", email), device, self.clock.now)


def build_device_world(kind, endpoint, region, session, clock, config) -> DeviceWorld:
    world = DeviceWorld(kind=kind, endpoint=endpoint, region=region, admin_session=session, clock=clock,
                        password=config.mfa_persona.password_for("embedded"))
    admin = world.admin()
    tag = uuid.uuid4().hex[:8]
    devices = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True}

    def new_pool(name: str, device_config: dict) -> str:
        definition = {**pool_definition(config), "PoolName": f"fidelity-{name}-{tag}", "DeviceConfiguration": device_config}
        pool_id = admin.create_user_pool(**definition)["UserPool"]["Id"]
        admin.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL",
                                       SoftwareTokenMfaConfiguration={"Enabled": True})
        return pool_id

    def new_client(pool_id: str, **changes) -> str:
        definition = {**client_definition(config, pool_id), "ExplicitAuthFlows": [
            "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], **changes}
        return admin.create_user_pool_client(**definition)["UserPoolClient"]["ClientId"]

    world.pool_id = new_pool("devices", devices)
    world.client_id = new_client(world.pool_id)
    world.rotating_client_id = new_client(world.pool_id, ClientName="fidelity-rotating", RefreshTokenRotation={
        "Feature": "ENABLED", "RetryGracePeriodSeconds": GRACE})
    world.legacy_client_id = new_client(world.pool_id, ClientName="fidelity-legacy",
                                        PreventUserExistenceErrors="LEGACY")
    world.always_pool_id = new_pool("always", {**devices, "DeviceOnlyRememberedOnUserPrompt": False})
    world.always_client_id = new_client(world.always_pool_id)
    return world


@pytest.fixture(scope="module", params=["faithful", "plain-moto"])
def world(request, harness_config):
    region = harness_config.embedded.region
    if request.param == "faithful":
        info = request.getfixturevalue("embedded")
        session = boto3.Session(aws_access_key_id=info.admin_access_key_id,
                                aws_secret_access_key=info.admin_secret_access_key, region_name=info.region)
        the_world = build_device_world("faithful", info.endpoint_url, info.region, session, HarnessClock(),
                                       harness_config)
        yield the_world
        for pool_id in (the_world.pool_id, the_world.always_pool_id):
            the_world.admin().delete_user_pool(UserPoolId=pool_id)
    else:
        with plain_moto_server() as endpoint:
            session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
            yield build_device_world("plain-moto", endpoint, region, session, WallClock(), harness_config)


# =========================================================================================
# USER_SRP_AUTH -> PASSWORD_VERIFIER
# =========================================================================================

@pytest.mark.plain_moto_fails("a Session comes with PASSWORD_VERIFIER")
def test_srp_challenge_is_password_verifier_without_session(world):
    email = world.new_user()
    client = srp.SrpClient()
    out = call(world.app().initiate_auth, ClientId=world.client_id, AuthFlow="USER_SRP_AUTH",
               AuthParameters={"USERNAME": email, "SRP_A": client.srp_a})
    assert out.challenge == "PASSWORD_VERIFIER", out
    params = out.response["ChallengeParameters"]
    assert set(params) >= {"SALT", "SRP_B", "SECRET_BLOCK", "USERNAME", "USER_ID_FOR_SRP"}, params
    username = world.admin().admin_get_user(UserPoolId=world.pool_id, Username=email)["Username"]
    assert params["USER_ID_FOR_SRP"] == params["USERNAME"] == username
    assert "Session" not in out.response, "Cognito answers USER_SRP_AUTH without a Session"
    assert int(params["SRP_B"], 16) % srp.N != 0


@pytest.mark.plain_moto_agrees  # any proof passes there, so the right one does too
def test_srp_right_password_signs_in(world):
    email = world.new_user()
    assert world.srp_tokens(email)["IdToken"]


@pytest.mark.plain_moto_fails("any PASSWORD_CLAIM_SIGNATURE passes: a wrong password gets tokens")
def test_srp_wrong_password_is_refused(world):
    email = world.new_user()
    out = world.srp(email, password=world.password + "x")
    refused(out, "NotAuthorizedException", "Incorrect username or password.")


@pytest.mark.plain_moto_fails("the TIMESTAMP is not read: any text passes")
@pytest.mark.parametrize("form", ["wrong weekday", "ISO 8601", "an hour ago"])
def test_srp_timestamp_must_be_cognitos_format_and_near_the_clock(world, form):
    """The claim is signed over the TIMESTAMP sent, with the right key: only the TIMESTAMP is wrong."""
    email = world.new_user()
    client = srp.SrpClient()
    first = call(world.app().initiate_auth, ClientId=world.client_id, AuthFlow="USER_SRP_AUTH",
                 AuthParameters={"USERNAME": email, "SRP_A": client.srp_a})
    params = first.response["ChallengeParameters"]
    now = world.clock.now()
    good = srp.timestamp(now)
    day, rest = good.split(" ", 1)
    stamp = {"wrong weekday": f"{'Tue' if day == 'Mon' else 'Mon'} {rest}",
             "ISO 8601": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
             "an hour ago": srp.timestamp(now - 3600)}[form]
    claim = client.claim(srp.pool_realm(world.pool_id), params["USER_ID_FOR_SRP"], world.password, params, stamp)
    out = call(world.app().respond_to_auth_challenge, ClientId=world.client_id, ChallengeName="PASSWORD_VERIFIER",
               ChallengeResponses={"USERNAME": params["USER_ID_FOR_SRP"], "TIMESTAMP": stamp,
                                   "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
                                   "PASSWORD_CLAIM_SIGNATURE": claim})
    refused(out, "NotAuthorizedException", "Incorrect username or password.")


@pytest.mark.plain_moto_fails("a replayed answer is refused, but with ResourceNotFoundException")
def test_srp_answer_is_single_use(world):
    email = world.new_user()
    client = srp.SrpClient()
    first = call(world.app().initiate_auth, ClientId=world.client_id, AuthFlow="USER_SRP_AUTH",
                 AuthParameters={"USERNAME": email, "SRP_A": client.srp_a})
    params = first.response["ChallengeParameters"]
    sig, stamp = client.signature(srp.pool_realm(world.pool_id), params["USER_ID_FOR_SRP"], world.password, params,
                                  world.clock.now())
    answer = dict(ClientId=world.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses={
        "USERNAME": params["USER_ID_FOR_SRP"], "TIMESTAMP": stamp, "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
        "PASSWORD_CLAIM_SIGNATURE": sig})
    if first.response.get("Session"):
        answer["Session"] = first.response["Session"]
    assert call(world.app().respond_to_auth_challenge, **answer).tokens
    refused(call(world.app().respond_to_auth_challenge, **answer), "NotAuthorizedException")


@pytest.mark.plain_moto_fails("UserNotFoundException at once: PreventUserExistenceErrors is ignored")
def test_srp_unknown_user_behind_prevent_user_existence_errors_fails_at_the_answer(world):
    out = world.srp(f"nobody-{uuid.uuid4().hex[:6]}@example.com")
    refused(out, "NotAuthorizedException", "Incorrect username or password.")


@pytest.mark.plain_moto_agrees
def test_srp_unknown_user_on_a_legacy_client_is_user_not_found(world):
    out = world.srp(f"nobody-{uuid.uuid4().hex[:6]}@example.com", client_id=world.legacy_client_id)
    refused(out, "UserNotFoundException")


@pytest.mark.plain_moto_agrees  # moto challenges too (and then takes any code: see test_fidelity_rules.py)
def test_srp_mfa_user_is_challenged_like_on_the_password_path(world):
    email, secret = world.mfa_user()
    out = world.srp(email)
    assert out.challenge == "SOFTWARE_TOKEN_MFA" and out.response.get("Session"), out
    assert world.answer_code(out, email, secret).tokens


# =========================================================================================
# Device tracking
# =========================================================================================

@pytest.mark.plain_moto_fails("no NewDeviceMetadata on a pool with DeviceConfiguration")
def test_sign_in_on_a_device_tracking_pool_hands_out_a_new_device(world):
    email = world.new_user()
    metadata = world.srp_tokens(email).get("NewDeviceMetadata")
    assert metadata, "a sign-in that names no device gets NewDeviceMetadata"
    prefix, _, rest = metadata["DeviceKey"].partition("_")
    assert prefix == world.region
    uuid.UUID(rest)
    assert metadata["DeviceGroupKey"]


@pytest.mark.plain_moto_fails("ConfirmDevice is not implemented")
def test_confirm_device_asks_the_user_first_when_the_pool_says_so(world):
    email = world.new_user()
    tokens = world.srp_tokens(email)
    out, device = confirm_new_device(world.app(), tokens)
    assert out.ok and out.response["UserConfirmationNecessary"] is True, out
    got = call(world.app().get_device, AccessToken=tokens["AccessToken"], DeviceKey=device.key)
    attrs = {a["Name"]: a["Value"] for a in got.response["Device"]["DeviceAttributes"]}
    assert attrs["dev:device_remembered_status"] == "not_remembered", attrs


@pytest.mark.plain_moto_fails("ConfirmDevice is not implemented")
def test_confirm_device_remembers_at_once_when_the_pool_does_not_ask(world):
    email = world.new_user(world.always_pool_id)
    tokens = world.srp_tokens(email, client_id=world.always_client_id, pool_id=world.always_pool_id)
    out, device = confirm_new_device(world.app(), tokens)
    assert out.ok and out.response["UserConfirmationNecessary"] is False, out
    got = call(world.admin().admin_get_device, UserPoolId=world.always_pool_id, Username=email, DeviceKey=device.key)
    attrs = {a["Name"]: a["Value"] for a in got.response["Device"]["DeviceAttributes"]}
    assert attrs["dev:device_remembered_status"] == "remembered", attrs


@pytest.mark.plain_moto_fails("no device tracking: the code is asked on every device")
def test_remembered_device_replaces_the_totp_code(world):
    email, secret = world.mfa_user()
    device, _ = world.remembered_device(email, secret)
    first = world.srp(email, device=device)
    assert first.challenge == "DEVICE_SRP_AUTH", first
    out = world.on_device(email, device)
    assert out.tokens and "NewDeviceMetadata" not in out.tokens, out


@pytest.mark.plain_moto_fails("UpdateDeviceStatus is not implemented")
def test_device_not_remembered_is_asked_for_the_code(world):
    email, secret = world.mfa_user()
    device, tokens = world.remembered_device(email, secret)
    status = call(world.app().update_device_status, AccessToken=tokens["AccessToken"], DeviceKey=device.key,
                  DeviceRememberedStatus="not_remembered")
    assert status.ok, status
    out = world.srp(email, device=device)
    assert out.challenge == "SOFTWARE_TOKEN_MFA", out
    done = world.answer_code(out, email, secret, device)
    assert done.tokens and "NewDeviceMetadata" not in done.tokens, "the named device keeps its key"


@pytest.mark.plain_moto_fails("DEVICE_SRP_AUTH is never offered, so no device proof is checked")
def test_wrong_device_proof_is_refused(world):
    email, secret = world.mfa_user()
    device, _ = world.remembered_device(email, secret)
    impostor = AppDevice(device.key, device.group_key, "not-the-device-password")
    out = world.on_device(email, impostor)
    refused(out, "NotAuthorizedException", "Incorrect username or password.")


@pytest.mark.plain_moto_fails("ForgetDevice is not implemented")
def test_forgotten_device_does_not_exist_and_the_code_is_asked_again(world):
    email, secret = world.mfa_user()
    device, tokens = world.remembered_device(email, secret)
    assert call(world.app().forget_device, AccessToken=tokens["AccessToken"], DeviceKey=device.key).ok
    refused(world.srp(email, device=device), "ResourceNotFoundException", rules.MSG_DEVICE_NOT_FOUND)
    assert world.srp(email).challenge == "SOFTWARE_TOKEN_MFA"


@pytest.mark.plain_moto_fails("AdminListDevices is not implemented")
def test_operator_lists_and_forgets_a_users_devices(world):
    email, secret = world.mfa_user()
    device, _ = world.remembered_device(email, secret)
    listed = call(world.admin().admin_list_devices, UserPoolId=world.pool_id, Username=email)
    assert [d["DeviceKey"] for d in listed.response["Devices"]] == [device.key], listed
    assert call(world.admin().admin_forget_device, UserPoolId=world.pool_id, Username=email, DeviceKey=device.key).ok
    assert call(world.admin().admin_list_devices, UserPoolId=world.pool_id, Username=email).response["Devices"] == []


# =========================================================================================
# Refresh
# =========================================================================================

@pytest.mark.plain_moto_fails("no device tracking: no NewDeviceMetadata, the refresh token belongs to no device")
def test_refresh_token_belongs_to_its_device(world):
    email = world.new_user()
    tokens = world.srp_tokens(email)
    key = tokens["NewDeviceMetadata"]["DeviceKey"]

    def refresh(device_key):
        params = {"REFRESH_TOKEN": tokens["RefreshToken"], **({"DEVICE_KEY": device_key} if device_key else {})}
        return call(world.app().initiate_auth, ClientId=world.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                    AuthParameters=params)

    assert refresh(key).tokens
    refused(refresh(None), "NotAuthorizedException", rules.MSG_INVALID_REFRESH_TOKEN)
    assert call(world.admin().admin_forget_device, UserPoolId=world.pool_id, Username=email, DeviceKey=key).ok
    refused(refresh(key), "NotAuthorizedException", rules.MSG_INVALID_REFRESH_TOKEN)


@pytest.mark.plain_moto_fails("GetTokensFromRefreshToken is not implemented")
def test_get_tokens_from_refresh_token_rotates_with_a_grace_period(world):
    email = world.new_user()
    tokens = world.srp_tokens(email, client_id=world.rotating_client_id)
    key = tokens["NewDeviceMetadata"]["DeviceKey"]

    def renew(token):
        return call(world.app().get_tokens_from_refresh_token, ClientId=world.rotating_client_id,
                    RefreshToken=token, DeviceKey=key)

    first = renew(tokens["RefreshToken"])
    rotated = first.tokens["RefreshToken"]
    assert rotated != tokens["RefreshToken"] and first.tokens["AccessToken"], first
    assert renew(tokens["RefreshToken"]).tokens, "the old token still works within the grace period"
    world.clock.advance(GRACE + 1)
    refused(renew(tokens["RefreshToken"]), "NotAuthorizedException", rules.MSG_INVALID_REFRESH_TOKEN)
    assert renew(rotated).tokens["RefreshToken"] not in (rotated, tokens["RefreshToken"])


@pytest.mark.plain_moto_fails("GetTokensFromRefreshToken is not implemented")
def test_get_tokens_from_refresh_token_without_rotation_returns_no_refresh_token(world):
    email = world.new_user()
    tokens = world.srp_tokens(email)
    out = call(world.app().get_tokens_from_refresh_token, ClientId=world.client_id, RefreshToken=tokens["RefreshToken"],
               DeviceKey=tokens["NewDeviceMetadata"]["DeviceKey"])
    assert out.tokens and "RefreshToken" not in out.tokens, out


@pytest.mark.plain_moto_fails("REFRESH_TOKEN_AUTH works on a client that rotates refresh tokens")
def test_refresh_token_auth_is_refused_on_a_rotating_client(world):
    email = world.new_user()
    tokens = world.srp_tokens(email, client_id=world.rotating_client_id)
    out = call(world.app().initiate_auth, ClientId=world.rotating_client_id, AuthFlow="REFRESH_TOKEN_AUTH",
               AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"],
                               "DEVICE_KEY": tokens["NewDeviceMetadata"]["DeviceKey"]})
    refused(out, "NotAuthorizedException")
