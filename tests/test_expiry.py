"""A long-running embedded server forgets what has expired (cognito_harness/embedded/expiry.py):
tokens, refresh-token records, challenge sessions — and Cognito's answers stay the same
("Access Token has expired", "Refresh Token has expired" for an hour after expiry).
Time moves with the harness clock."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pyotp
import pytest
from botocore.exceptions import ClientError
from moto.cognitoidp.models import cognitoidp_backends

from cognito_harness.clock import CLOCK
from cognito_harness.embedded.expiry import GRACE_SECONDS

PASSWORD = "Expiry1234pass!"


@pytest.fixture(scope="module")
def world(embedded, idp_clients):
    admin, app = idp_clients
    pool_id = admin.create_user_pool(PoolName=f"expiry-{uuid.uuid4().hex[:6]}", UsernameAttributes=["email"])["UserPool"]["Id"]
    admin.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL",
                                   SoftwareTokenMfaConfiguration={"Enabled": True})
    client = admin.create_user_pool_client(
        UserPoolId=pool_id, ClientName="expiry", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AccessTokenValidity=5, IdTokenValidity=5, RefreshTokenValidity=60,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "minutes"},
    )["UserPoolClient"]["ClientId"]
    users = []
    for kind in ("plain", "mfa"):
        email = f"{kind}-{uuid.uuid4().hex[:6]}@example.com"
        admin.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
        admin.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True)
        users.append(email)
    access = sign_in(app, client, users[1])["AuthenticationResult"]["AccessToken"]
    secret = app.associate_software_token(AccessToken=access)["SecretCode"]
    app.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).at(CLOCK.now()))
    app.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    backend = cognitoidp_backends[embedded.account_id][embedded.region]
    yield {"app": app, "client": client, "plain": users[0], "mfa": users[1], "totp": pyotp.TOTP(secret),
           "pool": backend.user_pools[pool_id], "backend": backend, "endpoint": embedded.endpoint_url}
    admin.delete_user_pool(UserPoolId=pool_id)


def sign_in(app, client, email):
    return app.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})


def refused(call, **kwargs) -> str:
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return f"{err.value.response['Error']['Code']}: {err.value.response['Error']['Message']}"


def test_expired_tokens_are_forgotten_and_still_answer_expired(world):
    app, pool = world["app"], world["pool"]
    old = sign_in(app, world["client"], world["plain"])["AuthenticationResult"]
    assert old["AccessToken"] in pool.access_tokens and old["IdToken"] in pool.id_tokens
    CLOCK.advance(5 * 60 + 1)
    sign_in(app, world["client"], world["plain"])  # any token issue forgets what has expired
    assert old["AccessToken"] not in pool.access_tokens and old["AccessToken"] not in pool.access_token_exp
    assert old["IdToken"] not in pool.id_tokens
    assert refused(app.get_user, AccessToken=old["AccessToken"]) == "NotAuthorizedException: Access Token has expired"
    request = urllib.request.Request(world["endpoint"] + "/oauth2/userInfo",
                                     headers={"Authorization": "Bearer " + old["AccessToken"]})
    with pytest.raises(urllib.error.HTTPError) as user_info:
        urllib.request.urlopen(request, timeout=10)
    assert user_info.value.code == 401
    assert json.loads(user_info.value.read())["error_description"] == "Access Token has expired"
    forged = old["AccessToken"][:-4] + ("AAAA" if not old["AccessToken"].endswith("AAAA") else "BBBB")
    assert refused(app.get_user, AccessToken=forged) == "NotAuthorizedException: Invalid Access Token"


def test_refresh_records_are_kept_for_the_grace_hour_then_forgotten(world):
    app, pool = world["app"], world["pool"]
    refresh = sign_in(app, world["client"], world["plain"])["AuthenticationResult"]["RefreshToken"]
    CLOCK.advance(60 * 60 + 1)
    sign_in(app, world["client"], world["plain"])
    assert refused(app.initiate_auth, ClientId=world["client"], AuthFlow="REFRESH_TOKEN_AUTH",
                   AuthParameters={"REFRESH_TOKEN": refresh}) == "NotAuthorizedException: Refresh Token has expired"
    CLOCK.advance(GRACE_SECONDS)
    sign_in(app, world["client"], world["plain"])
    assert refresh not in pool.refresh_tokens and refresh not in pool.refresh_meta


def test_abandoned_challenge_sessions_are_forgotten(world):
    app, backend = world["app"], world["backend"]
    session = sign_in(app, world["client"], world["mfa"])["Session"]
    assert session in backend.auth_sessions and session in backend.sessions
    CLOCK.advance(3 * 60 + 1)
    assert refused(app.respond_to_auth_challenge, ClientId=world["client"], ChallengeName="SOFTWARE_TOKEN_MFA",
                   Session=session, ChallengeResponses={"USERNAME": world["mfa"], "SOFTWARE_TOKEN_MFA_CODE": "000000"}) \
        == "NotAuthorizedException: Invalid session for the user, session is expired."
    abandoned = sign_in(app, world["client"], world["mfa"])["Session"]
    CLOCK.advance(3 * 60 + GRACE_SECONDS + 1)
    sign_in(app, world["client"], world["mfa"])  # a new session forgets the old ones
    assert abandoned not in backend.auth_sessions and abandoned not in backend.sessions


def test_stores_stay_bounded_under_many_sign_ins(world):
    app, pool, backend = world["app"], world["pool"], world["backend"]
    for _ in range(3):  # three rounds, each past every lifetime and the grace hour
        for _ in range(20):
            sign_in(app, world["client"], world["plain"])
            sign_in(app, world["client"], world["mfa"])
        CLOCK.advance(60 * 60 + GRACE_SECONDS + 1)
    sign_in(app, world["client"], world["plain"])
    sign_in(app, world["client"], world["mfa"])
    mine = [t for t, (client, _) in pool.access_tokens.items() if client == world["client"]]
    assert len(mine) <= 2 and len(pool.refresh_meta) <= 2, "only the last sign-ins' tokens are left"
    assert sum(1 for s in backend.auth_sessions.values() if s.pool_id == pool.id) <= 1


def test_unconfirmed_devices_are_forgotten_with_their_sign_in(world, idp_clients):
    """On a device-tracking pool every sign-in without a DEVICE_KEY makes a new device
    (NewDeviceMetadata). One the app never confirms goes when its sign-in's refresh token is
    forgotten (an hour after it expires); a confirmed one stays (bench/RESULTS.md: this was the
    last memory growth under load)."""
    from cognito_harness.device_flows import confirm_new_device

    admin, app = idp_clients
    pool_id = admin.create_user_pool(PoolName=f"expiry-devices-{uuid.uuid4().hex[:6]}", UsernameAttributes=["email"],
                                     DeviceConfiguration={"ChallengeRequiredOnNewDevice": False,
                                                          "DeviceOnlyRememberedOnUserPrompt": False})["UserPool"]["Id"]
    try:
        client = admin.create_user_pool_client(
            UserPoolId=pool_id, ClientName="devices", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            RefreshTokenValidity=60, TokenValidityUnits={"RefreshToken": "minutes"})["UserPoolClient"]["ClientId"]
        email = f"devices-{uuid.uuid4().hex[:6]}@example.com"
        admin.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
        admin.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True)
        pool = world["backend"].user_pools[pool_id]
        devices = lambda: pool._get_user(email).devices  # noqa: E731
        kept = sign_in(app, client, email)["AuthenticationResult"]
        out, confirmed = confirm_new_device(app, kept)
        assert out.ok, out
        abandoned = [sign_in(app, client, email)["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"]
                     for _ in range(5)]
        assert set(abandoned) | {confirmed.key} == set(devices())
        CLOCK.advance(60 * 60 + GRACE_SECONDS - 10)
        recent = [sign_in(app, client, email)["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"]]
        assert set(abandoned) <= set(devices()), "not yet: an hour past the refresh tokens' expiry"
        CLOCK.advance(20)
        recent.append(sign_in(app, client, email)["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"])
        assert set(devices()) == {confirmed.key, *recent}, "the confirmed device and the recent sign-ins' are left"
        assert confirmed.key not in pool.unconfirmed_until and not set(abandoned) & set(pool.unconfirmed_until)
    finally:
        admin.delete_user_pool(UserPoolId=pool_id)


def test_rotated_refresh_tokens_are_forgotten_too(world, idp_clients):
    """GetTokensFromRefreshToken with rotation: the new refresh token is forgotten an hour after
    it expires, like one from a sign-in (it was never put on the expiry queue)."""
    admin, app = idp_clients
    pool = world["pool"]
    client = admin.create_user_pool_client(
        UserPoolId=pool.id, ClientName="rotating", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        RefreshTokenValidity=60, TokenValidityUnits={"RefreshToken": "minutes"},
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0})["UserPoolClient"]["ClientId"]
    first = sign_in(app, client, world["plain"])["AuthenticationResult"]["RefreshToken"]
    rotated = app.get_tokens_from_refresh_token(RefreshToken=first, ClientId=client)["AuthenticationResult"]["RefreshToken"]
    assert rotated != first and rotated in pool.refresh_meta
    CLOCK.advance(60 * 60 + GRACE_SECONDS + 1)
    sign_in(app, world["client"], world["plain"])
    assert rotated not in pool.refresh_tokens and rotated not in pool.refresh_meta


def test_the_queue_survives_a_deep_copy():
    import copy

    from cognito_harness.embedded.expiry import ExpiryQueue

    queue = ExpiryQueue()
    queue.add(10.0, "access", "t1")
    copied = copy.deepcopy(queue)
    copied.add(5.0, "id", "t2")
    assert copied.due(20.0) == [("id", "t2"), ("access", "t1")] and queue.due(20.0) == [("access", "t1")]
