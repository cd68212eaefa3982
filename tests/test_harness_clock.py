"""The embedded target's clock control over HTTP (/_harness/clock, cognito_harness/embedded/app.py).

The clock only moves forward and every time rule of the embedded pool reads it, so tests
and the verification pages cross time limits (TOTP windows, session expiry) without sleeping.
"""

from __future__ import annotations

import time
import uuid

import pyotp
import pytest
from botocore.exceptions import ClientError

from cognito_harness.clock import CLOCK



@pytest.fixture(scope="module")
def clock_url(embedded):
    return embedded.clock_url


def test_get_returns_now_and_offset(clock_url, http):
    status, body = http(clock_url)
    assert status == 200, body
    assert set(body) == {"now", "offset"}, body
    assert body["offset"] == pytest.approx(CLOCK.offset)
    assert body["now"] == pytest.approx(time.time() + body["offset"], abs=2)


def test_post_advance_moves_the_clock_forward(clock_url, http):
    _, before = http(clock_url)
    status, after = http(clock_url, {"advance": 30})
    assert status == 200, after
    assert after["offset"] == pytest.approx(before["offset"] + 30)
    assert after["now"] - before["now"] == pytest.approx(30, abs=2)
    assert http(clock_url)[1]["offset"] == pytest.approx(after["offset"]), "the move must stick"


@pytest.mark.parametrize("body", [
    b'{"advance": -5}',
    b'{"advance": "soon"}',
    b'{"advance": [30]}',
    b'not json',
    b'[30]',
    b'{"advance": NaN}',
    b'{"advance": "inf"}',
    b'{"advance": true}',
    b'{}',
], ids=["negative", "non-numeric", "list", "not-json", "not-an-object", "nan", "infinite", "boolean", "missing"])
def test_bad_advance_is_refused_with_400_and_a_message(clock_url, http, body):
    _, before = http(clock_url)
    status, answer = http(clock_url, raw=body)
    assert status == 400, answer
    assert "advance" in answer.get("error", ""), f"the message should say what is expected: {answer}"
    assert http(clock_url)[1]["offset"] == pytest.approx(before["offset"]), "a refused request must not move the clock"


def test_other_methods_and_paths_are_refused(clock_url, http):
    assert http(clock_url, method="PUT", raw=b"{}")[0] == 405
    assert http(clock_url.replace("/clock", "/nothing-here"))[0] == 404


@pytest.fixture(scope="module")
def totp_user(embedded, idp_clients):
    """A user with a pending (associated, not yet verified) authenticator in a TOTP pool."""
    admin, app = idp_clients
    pool_id = admin.create_user_pool(PoolName=f"clock-{uuid.uuid4().hex[:8]}", UsernameAttributes=["email"])["UserPool"]["Id"]
    admin.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL",
                                   SoftwareTokenMfaConfiguration={"Enabled": True})
    client_id = admin.create_user_pool_client(UserPoolId=pool_id, ClientName="clock",
                                              ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
    email, password = "clock@example.com", "Clock-1234pass"
    admin.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS",
                            UserAttributes=[{"Name": "email", "Value": email}])
    admin.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    access = app.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": email, "PASSWORD": password})["AuthenticationResult"]["AccessToken"]
    secret = app.associate_software_token(AccessToken=access)["SecretCode"]
    yield app, access, secret
    admin.delete_user_pool(UserPoolId=pool_id)


def test_the_totp_window_follows_the_clock(clock_url, http, totp_user):
    app, access, secret = totp_user
    status, moved = http(clock_url, {"advance": 60})
    assert status == 200 and moved["offset"] >= 60, moved
    if moved["now"] % 30 > 27:  # keep clear of a window boundary while the requests are in flight
        moved = http(clock_url, {"advance": 30 - moved["now"] % 30 + 0.5})[1]
    totp = pyotp.TOTP(secret)
    wall_code, harness_code = totp.at(time.time()), totp.at(moved["now"])
    near_harness = {totp.at(moved["now"] + k * 30) for k in (-1, 0, 1)}
    assert wall_code not in near_harness, "the wall-clock code must be at least two windows behind the harness clock"
    with pytest.raises(ClientError) as refused:
        app.verify_software_token(AccessToken=access, UserCode=wall_code)
    assert refused.value.response["Error"]["Code"] == "EnableSoftwareTokenMFAException"
    assert app.verify_software_token(AccessToken=access, UserCode=harness_code)["Status"] == "SUCCESS"
