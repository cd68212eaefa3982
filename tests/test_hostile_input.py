"""Hostile and clumsy input to the embedded server, over real HTTP: never a 5xx, and on the
Cognito JSON APIs always Cognito's error shape (JSON `{"__type", "message"}`, status 400).

- A property-based test (hypothesis) generates requests from botocore's service model for
  every operation of the Cognito user-pool and identity-pool APIs — right shapes, wrong JSON
  types, non-ASCII text, signed with the admin key or not, against a throwaway pool of this
  module's own — plus raw bodies that are not JSON at all.
- The regressions found by hand: non-ASCII passwords and codes, malformed bodies, unknown
  operations, bad keys, Content-Length -1 or huge, bodies over the limit.

Runtime: the default profile is small and derandomized (the same examples every run);
`HYPOTHESIS_PROFILE=hostile-long .venv/bin/python -m pytest tests/test_hostile_input.py -s`
generates 100 times more. The counts of requests and 5xx answers are printed at the end of the
module (-s).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import uuid
from urllib.parse import urlencode, urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cognito_harness.embedded import api_requests, install

# (examples per operation, examples of raw bodies): the default keeps the suite quick and the
# same every run; HYPOTHESIS_PROFILE=hostile-long is for a soak (minutes).
PROFILES = {"hostile-default": (3, 60), "hostile-long": (300, 5000)}
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "hostile-default")
if PROFILE not in PROFILES:
    PROFILE = "hostile-default"
PER_OPERATION, RAW = PROFILES[PROFILE]
_COMMON = dict(deadline=None, database=None, derandomize=PROFILE == "hostile-default",
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                      HealthCheck.filter_too_much])

COUNTS = {"requests": 0, "5xx": 0}
OPERATIONS = [(prefix, op) for prefix, service in api_requests.SERVICES.items()
              for op in api_requests.service_model(service).operation_names]
JUNK = [[], {}, "", "x", 0, -1, 1.5, True, None, "Pässwörd1", "١٢٣٤٥٦", "１２３４５６", [["deep"]], {"a": {"b": []}}]


# --- the world the requests hit -------------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz_world(embedded):
    """A pool, a client with a secret and one without, a user: ids the generator mixes in so
    requests get past "not found" into the rules."""
    idp = boto3.Session(aws_access_key_id=embedded.admin_access_key_id,
                        aws_secret_access_key=embedded.admin_secret_access_key,
                        region_name=embedded.region).client("cognito-idp", endpoint_url=embedded.endpoint_url)
    pool = idp.create_user_pool(PoolName=f"fuzz-{uuid.uuid4().hex[:6]}", UsernameAttributes=["email"],
                                MfaConfiguration="OPTIONAL", )["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration="OPTIONAL",
                                 SoftwareTokenMfaConfiguration={"Enabled": True})
    flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    plain = idp.create_user_pool_client(UserPoolId=pool, ClientName="fuzz", ExplicitAuthFlows=flows)
    secret = idp.create_user_pool_client(UserPoolId=pool, ClientName="fuzz-secret", GenerateSecret=True,
                                         ExplicitAuthFlows=flows)
    idp.admin_create_user(UserPoolId=pool, Username="fuzz@example.com", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username="fuzz@example.com", Password="Fuzz1234pass!", Permanent=True)
    yield {"pool": pool, "clients": [plain["UserPoolClient"]["ClientId"], secret["UserPoolClient"]["ClientId"]],
           "user": "fuzz@example.com", "password": "Fuzz1234pass!"}
    try:
        idp.delete_user_pool(UserPoolId=pool)
    except Exception:  # a generated DeleteUserPool may have been first
        pass


@pytest.fixture(scope="module", autouse=True)
def report_counts():
    yield
    print(f"\nhostile input ({PROFILE}): {COUNTS['requests']} requests, {COUNTS['5xx']} answered 5xx")


# --- HTTP --------------------------------------------------------------------------------------

def send(embedded, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    conn = http.client.HTTPConnection(urlsplit(embedded.endpoint_url).netloc, timeout=20)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    COUNTS["requests"] += 1
    COUNTS["5xx"] += resp.status >= 500
    return resp.status, resp.getheader("Content-Type") or "", data


def signed_headers(embedded, target: str, body: bytes, service: str) -> dict:
    request = AWSRequest(method="POST", url=embedded.endpoint_url + "/", data=body,
                         headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    credentials = Credentials(embedded.admin_access_key_id, embedded.admin_secret_access_key)
    SigV4Auth(credentials, service, embedded.region).add_auth(request)
    return dict(request.headers.items())


def call_api(embedded, target: str, body: bytes, sign: bool):
    service = api_requests.SERVICES[target.split(".")[0]]
    headers = (signed_headers(embedded, target, body, service) if sign else
               {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    return send(embedded, "POST", "/", body, headers)


def assert_cognito_answer(status: int, ctype: str, data: bytes, what: str) -> None:
    assert status < 500, f"{what}: {status} {data[:300]!r}"
    if status >= 400:
        assert status == 400, f"{what}: Cognito answers its errors with 400, got {status} {data[:200]!r}"
        assert ctype.startswith("application/"), f"{what}: not JSON: {ctype} {data[:200]!r}"
        body = json.loads(data)
        assert isinstance(body.get("__type"), str) and body["__type"], f"{what}: no __type: {body}"
        assert isinstance(body.get("message", ""), str), f"{what}: {body}"


# --- strategies from the service model -----------------------------------------------------------

def _ids(world: dict, name: str):
    known = {"UserPoolId": [world["pool"]], "ClientId": world["clients"],
             "Username": [world["user"]], "USERNAME": [world["user"]], "PASSWORD": [world["password"]]}
    return known.get(name)


def value_strategy(shape, world: dict, name: str = "", depth: int = 0):
    kind = shape.type_name
    if depth > 4:
        return st.none()
    if kind == "structure":
        members = {n: wrong_or(value_strategy(m, world, n, depth + 1)) for n, m in shape.members.items()}
        required = {n: members[n] for n in shape.required_members}
        optional = {n: s for n, s in members.items() if n not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "list":
        return st.lists(wrong_or(value_strategy(shape.member, world, name, depth + 1)), max_size=3)
    if kind == "map":
        keys = st.one_of(st.sampled_from(["USERNAME", "PASSWORD", "SECRET_HASH", "SOFTWARE_TOKEN_MFA_CODE",
                                          "REFRESH_TOKEN", "NEW_PASSWORD"]), st.text(max_size=12))
        return st.dictionaries(keys, wrong_or(value_strategy(shape.value, world, name, depth + 1)), max_size=4)
    if kind in ("string", "blob"):
        options = [st.text(max_size=40)]
        if shape.metadata.get("enum"):
            options.append(st.sampled_from(shape.metadata["enum"]))
        known = _ids(world, name)
        if known:
            options.append(st.sampled_from(known))
        options.append(st.sampled_from(["Pässwörd1", "١٢٣٤٥٦", "１２３４５６", "123456", "a" * 300]))
        return st.one_of(options)
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "long"):
        return st.integers(min_value=-2**40, max_value=2**40)
    return st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False))


def wrong_or(valid):
    """Mostly the right type, sometimes any JSON value at all."""
    return st.one_of(valid, valid, valid, st.sampled_from(JUNK))


_STRATEGIES: dict = {}


def request_strategy(prefix: str, op: str, world: dict):
    key = (prefix, op)
    if key not in _STRATEGIES:
        shape = api_requests.service_model(api_requests.SERVICES[prefix]).operation_model(op).input_shape
        params = value_strategy(shape, world) if shape is not None else st.just({})
        _STRATEGIES[key] = st.tuples(wrong_or(params), st.booleans())
    return _STRATEGIES[key]


# --- the property ------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix,op", OPERATIONS, ids=[op for _, op in OPERATIONS])
def test_generated_requests_get_no_5xx_and_cognitos_error_shape(embedded, fuzz_world, prefix, op):
    target = f"{prefix}.{op}"

    @settings(max_examples=PER_OPERATION, **_COMMON)
    @given(request_strategy(prefix, op, fuzz_world))
    def one(request):
        params, sign = request
        body = json.dumps(params).encode()
        status, ctype, data = call_api(embedded, target, body, sign and install.needs_signature(target))
        assert_cognito_answer(status, ctype, data, f"{target} {body[:200]!r}")

    one()


@settings(max_examples=RAW, **_COMMON)
@given(target=st.sampled_from([f"{p}.{o}" for p, o in OPERATIONS] + ["AWSCognitoIdentityProviderService.Nope",
                                                                    "AWSCognitoIdentityService.", ""]),
       body=st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode),
                      st.sampled_from([b"{", b"[]", b"null", b"1", b'"s"', b"\xff\xfe", b'{"a": NaN}',
                                       b"[" * 5000, b'{"ClientId": []}', b"{}" * 3])))
def test_raw_malformed_bodies_get_no_5xx(embedded, target, body):
    status, ctype, data = call_api(embedded, target, body, sign=False) if target else \
        send(embedded, "POST", "/", body, {"Content-Type": "application/x-amz-json-1.1"})
    assert status < 500, f"{target} {body[:100]!r}: {status} {data[:200]!r}"
    if target:
        assert_cognito_answer(status, ctype, data, f"{target} {body[:100]!r}")


# --- the cases found by hand ---------------------------------------------------------------------

def api(embedded, op: str, params: dict, sign: bool = False):
    target = f"AWSCognitoIdentityProviderService.{op}"
    status, ctype, data = call_api(embedded, target, json.dumps(params).encode(), sign)
    assert_cognito_answer(status, ctype, data, op)
    return status, json.loads(data or b"{}")


@pytest.mark.parametrize("password", ["Pässwörd1", "密码密码Aa1", "\udcff".encode("utf-8", "surrogatepass").decode("latin-1")])
def test_non_ascii_passwords_are_wrong_passwords(embedded, fuzz_world, password):
    status, body = api(embedded, "InitiateAuth", {"ClientId": fuzz_world["clients"][0], "AuthFlow": "USER_PASSWORD_AUTH",
                                                  "AuthParameters": {"USERNAME": fuzz_world["user"], "PASSWORD": password}})
    assert (status, body["__type"]) == (400, "NotAuthorizedException")


@pytest.mark.parametrize("username", ["用户@example.com", "ü@example.com"])
def test_non_latin_usernames_with_a_client_secret(embedded, fuzz_world, username):
    status, body = api(embedded, "InitiateAuth", {"ClientId": fuzz_world["clients"][1], "AuthFlow": "USER_PASSWORD_AUTH",
                                                  "AuthParameters": {"USERNAME": username, "PASSWORD": "x",
                                                                     "SECRET_HASH": "bm9wZQ=="}})
    assert status == 400


@pytest.mark.parametrize("code", ["١٢٣٤٥٦", "１２３４５６", "12345６", "１"])
def test_codes_in_other_scripts_digits_are_wrong_codes(embedded, fuzz_world, code):
    admin = boto3.Session(aws_access_key_id=embedded.admin_access_key_id,
                          aws_secret_access_key=embedded.admin_secret_access_key,
                          region_name=embedded.region).client("cognito-idp", endpoint_url=embedded.endpoint_url)
    email = f"digits-{uuid.uuid4().hex[:6]}@example.com"
    admin.admin_create_user(UserPoolId=fuzz_world["pool"], Username=email, MessageAction="SUPPRESS")
    admin.admin_set_user_password(UserPoolId=fuzz_world["pool"], Username=email, Password="Fuzz1234pass!", Permanent=True)
    _, signed = api(embedded, "InitiateAuth", {"ClientId": fuzz_world["clients"][0], "AuthFlow": "USER_PASSWORD_AUTH",
                                               "AuthParameters": {"USERNAME": email, "PASSWORD": "Fuzz1234pass!"}})
    access = signed["AuthenticationResult"]["AccessToken"]
    api(embedded, "AssociateSoftwareToken", {"AccessToken": access})
    status, body = api(embedded, "VerifySoftwareToken", {"AccessToken": access, "UserCode": code})
    assert (status, body["__type"]) == (400, "InvalidParameterException"), "UserCode's pattern is [0-9]+"
    assert "userCode" in body["message"]


@pytest.mark.parametrize("body,kind", [
    (b"{not json", "SerializationException"), (b"[1, 2]", "SerializationException"),
    (b"\xff\xfe\x00", "SerializationException"), (b'{"a": NaN}', "SerializationException"),
    (b'{"ClientId": [], "AuthFlow": "USER_PASSWORD_AUTH"}', "InvalidParameterException"),
    (b'{"ClientId": "abc", "AuthFlow": [], "AuthParameters": "x"}', "InvalidParameterException"),
    (b'{"ClientId": "abc", "AuthFlow": "NOPE"}', "InvalidParameterException"),
])
def test_malformed_requests_get_cognitos_errors(embedded, body, kind):
    status, ctype, data = call_api(embedded, "AWSCognitoIdentityProviderService.InitiateAuth", body, sign=False)
    assert (status, json.loads(data)["__type"]) == (400, kind), data
    assert json.loads(data)["message"], "a message that says what is wrong"


def test_unknown_operation(embedded):
    status, _, data = call_api(embedded, "AWSCognitoIdentityProviderService.DoSomething", b"{}", sign=False)
    assert (status, json.loads(data)["__type"]) == (400, "UnknownOperationException")


def test_a_bad_key_on_an_admin_call_is_answered_in_json(embedded, fuzz_world):
    idp = boto3.client("cognito-idp", endpoint_url=embedded.endpoint_url, region_name=embedded.region,
                       aws_access_key_id="AKIANOTAKEY000000000", aws_secret_access_key="x" * 40)
    with pytest.raises(idp.exceptions.ClientError) as refused:
        idp.describe_user_pool(UserPoolId=fuzz_world["pool"])
    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    status, _, data = call_api(embedded, "AWSCognitoIdentityProviderService.DescribeUserPool",
                               json.dumps({"UserPoolId": fuzz_world["pool"]}).encode(), sign=False)
    assert (status, json.loads(data)["__type"]) == (400, "MissingAuthenticationTokenException")


def raw_socket(embedded, head: bytes, body: bytes = b"") -> bytes:
    host, port = urlsplit(embedded.endpoint_url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + body)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    COUNTS["requests"] += 1
    return b"".join(chunks)


@pytest.mark.parametrize("length,status", [(b"-1", b"400"), (b"99999999999999", b"413"), (b"abc", b"400")])
@pytest.mark.parametrize("path", [b"/_harness/clock", b"/", b"/oauth2/token", b"/login"])
def test_content_length_that_lies_is_refused_at_once(embedded, length, status, path):
    answer = raw_socket(embedded, b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"Connection: close\r\nContent-Length: " + length + b"\r\n\r\n", b"{}")
    assert answer.split(b" ", 2)[1] == status, answer[:300]


@pytest.mark.parametrize("path,ctype", [("/", "application/x-amz-json-1.1"),
                                        ("/oauth2/token", "application/x-www-form-urlencoded"),
                                        ("/login", "application/x-www-form-urlencoded"),
                                        ("/_harness/clock", "application/json")])
def test_bodies_over_the_limit_get_413(embedded, path, ctype):
    body = b"a=" + b"x" * (300 * 1024)
    status, _, data = send(embedded, "POST", path, body, {"Content-Type": ctype,
                                                          "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"})
    assert status == 413, data[:200]


def test_form_fields_past_the_form_limit_are_not_a_500(embedded):
    body = urlencode({"grant_type": "authorization_code", "code": "x" * (100 * 1024)}).encode()
    status, _, _ = send(embedded, "POST", "/oauth2/token", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert 400 <= status < 500


def test_clock_refuses_what_would_break_it(embedded, http):
    before = http(embedded.clock_url)[1]["offset"]
    for advance in ("1e308", "1" + "0" * 400, "9e15"):
        status, answer = http(embedded.clock_url, raw=b'{"advance": %s}' % advance.encode())
        assert status == 400 and "advance" in answer["error"], answer
    status, now = http(embedded.clock_url)
    assert status == 200 and now["offset"] == before


def test_login_style_with_bad_json_is_a_400(embedded, http):
    status, answer = http(embedded.endpoint_url + "/_harness/login-style", raw=b"{nope")
    assert status == 400 and "style" in answer["error"]


def test_openid_configuration_never_takes_the_host_header(embedded):
    status, _, data = send(embedded, "GET", f"/{embedded.user_pool_id}/.well-known/openid-configuration",
                           headers={"Host": "evil.example"})
    assert status == 200
    config = json.loads(data)
    assert "evil.example" not in data.decode()
    assert config["token_endpoint"] == embedded.endpoint_url + "/oauth2/token"


@pytest.mark.parametrize("code", ["١٢٣٤٥٦", "１２３４５６"])
def test_sign_in_codes_in_other_scripts_digits_are_code_mismatches(embedded, fuzz_world, code):
    admin = boto3.Session(aws_access_key_id=embedded.admin_access_key_id,
                          aws_secret_access_key=embedded.admin_secret_access_key,
                          region_name=embedded.region).client("cognito-idp", endpoint_url=embedded.endpoint_url)
    email = f"signin-digits-{uuid.uuid4().hex[:6]}@example.com"
    admin.admin_create_user(UserPoolId=fuzz_world["pool"], Username=email, MessageAction="SUPPRESS")
    admin.admin_set_user_password(UserPoolId=fuzz_world["pool"], Username=email, Password="Fuzz1234pass!", Permanent=True)
    import pyotp
    from cognito_harness.clock import CLOCK
    params = {"ClientId": fuzz_world["clients"][0], "AuthFlow": "USER_PASSWORD_AUTH",
              "AuthParameters": {"USERNAME": email, "PASSWORD": "Fuzz1234pass!"}}
    access = api(embedded, "InitiateAuth", params)[1]["AuthenticationResult"]["AccessToken"]
    secret = api(embedded, "AssociateSoftwareToken", {"AccessToken": access})[1]["SecretCode"]
    api(embedded, "VerifySoftwareToken", {"AccessToken": access, "UserCode": pyotp.TOTP(secret).at(CLOCK.now())})
    api(embedded, "SetUserMFAPreference", {"AccessToken": access,
                                           "SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}})
    challenge = api(embedded, "InitiateAuth", params)[1]
    status, body = api(embedded, "RespondToAuthChallenge", {
        "ClientId": fuzz_world["clients"][0], "ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": challenge["Session"],
        "ChallengeResponses": {"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code}})
    assert (status, body["__type"]) == (400, "CodeMismatchException")


@pytest.mark.parametrize("body", [b"", b"\x00", b"0", b"{}", b"Action=GetCallerIdentity&Version=2011-06-15"])
def test_an_unsigned_request_to_another_service_is_refused_not_a_500(embedded, body):
    """No X-Amz-Target, no signature: moto routes it to a signed service (found by the
    long hypothesis profile); AWS answers 403 MissingAuthenticationToken."""
    status, _, data = send(embedded, "POST", "/", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status < 500, data[:200]
