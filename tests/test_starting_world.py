"""POST /_harness/reset puts the narrative's starting world back (embedded/starting_world.py).

Each test changes one thing a scenario can change on the session's embedded pool, resets,
and checks the starting state is back. (Every scenario on the embedded target resets before
it starts, and after it when no scenario follows, so these changes never reach a scenario.)
"""

from __future__ import annotations

import statistics
import time

import pyotp
import pytest
from botocore.exceptions import ClientError

from cognito_harness.clock import CLOCK


@pytest.fixture
def pool(embedded, idp_clients, harness_config, http):
    """(admin, app, pool id, client id, reset()) on the narrative's pool; reset again after."""
    admin, app = idp_clients

    def reset() -> dict:
        status, body = http(f"{embedded.endpoint_url}/_harness/reset", {})
        assert status == 200, body
        return body

    reset()
    yield admin, app, embedded.user_pool_id, embedded.client_id, reset
    reset()


def _password(harness_config, key: str) -> str:
    return harness_config.persona(key).password_for("embedded")


def _sign_in(app, client_id: str, email: str, password: str) -> dict:
    return app.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": email, "PASSWORD": password})


def _error(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def test_an_enrolment_of_an_existing_user_is_undone(pool, harness_config):
    admin, app, pool_id, client_id, reset = pool
    demo, password = harness_config.persona("demo").email, _password(harness_config, "demo")
    admin.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL",
                                   SoftwareTokenMfaConfiguration={"Enabled": True})
    access = _sign_in(app, client_id, demo, password)["AuthenticationResult"]["AccessToken"]
    secret = app.associate_software_token(AccessToken=access)["SecretCode"]
    CLOCK.advance(30)
    app.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).at(CLOCK.now()))
    admin.admin_set_user_mfa_preference(UserPoolId=pool_id, Username=demo,
                                        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert _sign_in(app, client_id, demo, password).get("ChallengeName") == "SOFTWARE_TOKEN_MFA"

    reset()
    user = admin.admin_get_user(UserPoolId=pool_id, Username=demo)
    assert not {"UserMFASettingList", "PreferredMfaSetting"} & set(user), user
    assert admin.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "OFF"
    admin.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL",
                                   SoftwareTokenMfaConfiguration={"Enabled": True})
    assert "AuthenticationResult" in _sign_in(app, client_id, demo, password), "demo must sign in without a code"
    assert _error(lambda: app.associate_software_token(AccessToken=access))[0] == "NotAuthorizedException", \
        "tokens issued before the reset are gone with it"


def test_a_password_change_and_a_disabled_user_are_undone(pool, harness_config):
    admin, app, pool_id, client_id, reset = pool
    admin_email, password = harness_config.persona("admin").email, _password(harness_config, "admin")
    admin.admin_set_user_password(UserPoolId=pool_id, Username=admin_email, Password="Changed1234pass", Permanent=True)
    demo = harness_config.persona("demo").email
    admin.admin_disable_user(UserPoolId=pool_id, Username=demo)
    reset()
    assert "AuthenticationResult" in _sign_in(app, client_id, admin_email, password)
    assert "AuthenticationResult" in _sign_in(app, client_id, demo, _password(harness_config, "demo"))
    assert admin.admin_get_user(UserPoolId=pool_id, Username=demo)["Enabled"] is True


def test_a_global_sign_out_is_undone_and_its_tokens_stay_gone(pool, harness_config):
    admin, app, pool_id, client_id, reset = pool
    demo, password = harness_config.persona("demo").email, _password(harness_config, "demo")
    tokens = _sign_in(app, client_id, demo, password)["AuthenticationResult"]
    admin.admin_user_global_sign_out(UserPoolId=pool_id, Username=demo)
    reset()
    fresh = _sign_in(app, client_id, demo, password)["AuthenticationResult"]
    refreshed = app.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                  AuthParameters=_refresh_parameters(fresh))
    assert "AccessToken" in refreshed["AuthenticationResult"]
    code, _ = _error(lambda: app.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                               AuthParameters=_refresh_parameters(tokens)))
    assert code == "NotAuthorizedException"


def _refresh_parameters(tokens: dict) -> dict:
    """The pool tracks devices: a refresh token is used with the device it was issued to."""
    params = {"REFRESH_TOKEN": tokens["RefreshToken"]}
    device = (tokens.get("NewDeviceMetadata") or {}).get("DeviceKey")
    if device:
        params["DEVICE_KEY"] = device
    return params


def test_created_users_and_open_challenges_are_gone(pool, harness_config, embedded):
    admin, app, pool_id, client_id, reset = pool
    email, password = "reset-probe@example.com", _password(harness_config, "mfa user")
    admin.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS",
                            UserAttributes=[{"Name": "email", "Value": email}])
    admin.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    admin.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="ON",
                                   SoftwareTokenMfaConfiguration={"Enabled": True})
    challenge = _sign_in(app, client_id, email, password)
    assert challenge["ChallengeName"] == "MFA_SETUP"
    undone = reset()
    assert undone["users_removed"] == 1 and undone["sessions_ended"] >= 1, undone
    assert _error(lambda: admin.admin_get_user(UserPoolId=pool_id, Username=email))[0] == "UserNotFoundException"
    assert {u["Attributes"][0]["Value"] for u in admin.list_users(UserPoolId=pool_id)["Users"]} \
        == {p.email for p in harness_config.existing_personas}
    code, _ = _error(lambda: app.associate_software_token(Session=challenge["Session"]))
    assert code == "NotAuthorizedException"


def test_the_login_look_goes_back_to_the_configured_one(pool, embedded, http, harness_config):
    *_, reset = pool
    other = "managed" if harness_config.embedded.login_style == "classic" else "classic"
    assert http(f"{embedded.endpoint_url}/_harness/login-style", {"style": other})[0] == 200
    assert reset()["login_style"] == harness_config.embedded.login_style
    assert http(f"{embedded.endpoint_url}/_harness/info")[1]["login_style"] == harness_config.embedded.login_style


def test_other_pools_are_left_alone(pool, harness_config):
    admin, app, pool_id, client_id, reset = pool
    other = admin.create_user_pool(PoolName="not-the-narratives", MfaConfiguration="OFF")["UserPool"]["Id"]
    try:
        admin.admin_create_user(UserPoolId=other, Username="someone", MessageAction="SUPPRESS")
        reset()
        assert admin.admin_get_user(UserPoolId=other, Username="someone")["Username"] == "someone"
    finally:
        admin.delete_user_pool(UserPoolId=other)


def test_a_reset_costs_a_few_milliseconds(pool):
    *_, reset = pool
    times = []
    for _ in range(30):
        started = time.perf_counter()
        reset()
        times.append(time.perf_counter() - started)
    assert statistics.median(times) < 0.05, f"median reset {statistics.median(times) * 1000:.1f} ms"
