"""The managed-login emulator over real HTTP: one test per security rule (each fails if the
rule is taken out), then the sign-in flows of the narrative (no MFA, authenticator code,
authenticator set-up in a pool where MFA is required) and the token endpoints.

The session's embedded server (tests/conftest.py `embedded`), with a pool and client of this
module's own; tests that need more make their own users or clients, so the order does not
matter. Time moves with CLOCK.advance, never sleep.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import secrets
import uuid
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit

import pyotp
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from werkzeug.test import Client

from cognito_harness.aws_clients import admin_session, public_client
from cognito_harness.clock import CLOCK
from cognito_harness.managed_login import create_app
from cognito_harness.managed_login.responses import origin_of

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PASSWORD = "Zxcv1234pass!"
USERS = {"demo@example.com": "Demo1234pass!", "admin@example.com": "Admin1234pass!"}


# --- fixtures and helpers ------------------------------------------------------------------

@pytest.fixture(scope="module")
def info(embedded, idp):
    """The session's embedded server, with a pool and app client of this module's own (so
    the narrative's pool, shared with features/, is left as it is): email sign-in, a
    code-grant client with the server's callback URL, demo@ and admin@ without MFA."""
    pool_id = idp.create_user_pool(
        PoolName=f"managed-login-{uuid.uuid4().hex[:6]}", UsernameAttributes=["email"], MfaConfiguration="OFF",
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
    )["UserPool"]["Id"]
    client_id = make_client(idp, pool_id, embedded.callback_url, AuthSessionValidity=3,
                            PreventUserExistenceErrors="ENABLED")
    for email, password in USERS.items():
        new_user(idp, pool_id, email, password)
    mine = dict(embedded.as_dict(), user_pool_id=pool_id, client_id=client_id)
    return SimpleNamespace(**mine, as_dict=lambda: dict(mine))


@pytest.fixture(scope="module")
def idp(embedded):
    session = admin_session(embedded.region, embedded.admin_access_key_id, embedded.admin_secret_access_key)
    return session.client("cognito-idp", endpoint_url=embedded.endpoint_url)


@pytest.fixture(scope="module")
def public_idp(embedded):
    return public_client("cognito-idp", embedded.region, embedded.endpoint_url)


class Browser:
    """http.client with a cookie jar; never follows redirects."""

    def __init__(self, endpoint_url: str):
        self.host = urlsplit(endpoint_url).netloc
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(self.host, timeout=10)
        hdrs = dict(headers or {})
        body = None
        if form is not None:
            body = urlencode(form)
            hdrs.setdefault("Content-Type", FORM["Content-Type"])
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8")
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value and "Max-Age=0" not in header and "expires=Thu, 01 Jan 1970" not in header:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        conn.close()
        return resp, text

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, form, headers=None):
        return self.request("POST", path, form=form, headers=headers)


def csrf_of(page: str) -> str:
    return re.search(r'name="_csrf" value="([^"]+)"', page).group(1)


def query(info, client_id=None, redirect_uri=None, **extra) -> str:
    params = {"response_type": "code", "client_id": client_id or info.client_id,
              "redirect_uri": redirect_uri or info.callback_url, "scope": "openid email profile"}
    params.update(extra)
    return urlencode({k: v for k, v in params.items() if v is not None})


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def open_login(browser: Browser, q: str):
    resp, page = browser.get("/login?" + q)
    assert resp.status == 200, page
    return page


def sign_in(browser: Browser, q: str, email: str, password: str):
    """GET /login, POST the form: returns the POST's response and body."""
    page = open_login(browser, q)
    return browser.post("/login?" + q, {"_csrf": csrf_of(page), "username": email, "password": password})


def callback_params(resp) -> dict[str, str]:
    assert resp.status == 302, resp.status
    location = resp.getheader("Location")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}


def exchange(browser: Browser, info, code: str, **extra):
    form = {"grant_type": "authorization_code", "client_id": info.client_id, "code": code,
            "redirect_uri": info.callback_url}
    form.update(extra)
    resp, text = browser.post("/oauth2/token", {k: v for k, v in form.items() if v is not None})
    return resp, json.loads(text)


def signed_in_code(info, state="s1", **extra) -> tuple[Browser, str]:
    """demo@example.com signs in (no MFA); the authorization code it gets."""
    browser = Browser(info.endpoint_url)
    resp, _ = sign_in(browser, query(info, state=state, **extra), "demo@example.com", USERS["demo@example.com"])
    return browser, callback_params(resp)["code"]


def new_user(idp, pool_id: str, email: str | None = None, password: str = PASSWORD) -> str:
    email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
    idp.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": email},
                                          {"Name": "email_verified", "Value": "true"}])
    idp.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    return email


def fresh_code(secret: str) -> str:
    """A code of a TOTP step no earlier sign-in used (one step on from the last)."""
    CLOCK.advance(30)
    return pyotp.TOTP(secret).at(CLOCK.now())


@pytest.fixture(scope="module")
def mfa_user(info, idp, public_idp):
    """The narrative's Step 1 + Step 2: pool MFA OPTIONAL (TOTP only), a new user enrolled."""
    idp.set_user_pool_mfa_config(UserPoolId=info.user_pool_id, MfaConfiguration="OPTIONAL",
                                 SoftwareTokenMfaConfiguration={"Enabled": True})
    email = new_user(idp, info.user_pool_id)
    auth = public_idp.initiate_auth(ClientId=info.client_id, AuthFlow="USER_PASSWORD_AUTH",
                                    AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    access = auth["AuthenticationResult"]["AccessToken"]
    secret = public_idp.associate_software_token(AccessToken=access)["SecretCode"]
    assert public_idp.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).at(CLOCK.now()),
                                            FriendlyDeviceName="test")["Status"] == "SUCCESS"
    idp.admin_set_user_mfa_preference(UserPoolId=info.user_pool_id, Username=email,
                                      SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    return email, secret


@pytest.fixture(scope="module")
def required_pool(info, idp):
    """A second pool with MFA ON (required), TOTP only, and a code-grant client."""
    pool_id = idp.create_user_pool(
        PoolName="required-mfa", UsernameAttributes=["email"], MfaConfiguration="OFF",
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
    )["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="ON",
                                 SoftwareTokenMfaConfiguration={"Enabled": True})
    client_id = make_client(idp, pool_id, info.callback_url)
    return pool_id, client_id


def make_client(idp, pool_id: str, callback_url: str, secret: bool = False, **overrides) -> str:
    spec = dict(UserPoolId=pool_id, ClientName=f"c-{uuid.uuid4().hex[:6]}", GenerateSecret=secret,
                ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                CallbackURLs=[callback_url], LogoutURLs=["http://localhost:3000/"],
                AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email", "profile"],
                AllowedOAuthFlowsUserPoolClient=True, SupportedIdentityProviders=["COGNITO"])
    spec.update(overrides)
    return idp.create_user_pool_client(**spec)["UserPoolClient"]["ClientId"]


# --- security rules -----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/oauth2/authorize", "/login"])
def test_unregistered_redirect_uri_gets_an_error_page_never_a_redirect(info, path):
    evil = "https://evil.example/steal"
    resp, page = Browser(info.endpoint_url).get(path + "?" + query(info, redirect_uri=evil, state="s"))
    assert resp.status == 400
    assert resp.getheader("Location") is None
    assert "redirect_mismatch" in page and evil not in page


def test_redirect_uri_must_match_exactly_not_by_prefix(info):
    for near_miss in (info.callback_url + "?x=1", info.callback_url + "/", info.callback_url.upper()):
        resp, _ = Browser(info.endpoint_url).get("/oauth2/authorize?" + query(info, redirect_uri=near_miss))
        assert resp.status == 400 and resp.getheader("Location") is None, near_miss


def test_unknown_client_id_gets_an_error_page(info):
    resp, _ = Browser(info.endpoint_url).get("/oauth2/authorize?" + query(info, client_id="nosuchclient"))
    assert resp.status == 400 and resp.getheader("Location") is None


def test_scope_not_allowed_redirects_back_with_invalid_scope_and_state(info):
    resp, _ = Browser(info.endpoint_url).get("/oauth2/authorize?" + query(info, scope="openid phone", state="st"))
    assert resp.getheader("Location").startswith(info.callback_url + "?")
    assert callback_params(resp) == {"error": "invalid_scope", "error_description": callback_params(resp)["error_description"], "state": "st"}


def test_unsupported_response_type_and_bad_pkce_method_redirect_with_an_error(info):
    b = Browser(info.endpoint_url)
    resp, _ = b.get("/oauth2/authorize?" + query(info, response_type="id_token", state="a"))
    assert callback_params(resp)["error"] == "unsupported_response_type"
    resp, _ = b.get("/oauth2/authorize?" + query(info, code_challenge=pkce_pair()[1], code_challenge_method="S512"))
    assert callback_params(resp)["error"] == "invalid_request"
    resp, _ = b.get("/oauth2/authorize?" + query(info, code_challenge="short", code_challenge_method="S256"))
    assert callback_params(resp)["error"] == "invalid_request"


def test_authorize_redirects_to_login_with_the_same_query(info):
    q = query(info, state="abc")
    resp, _ = Browser(info.endpoint_url).get("/oauth2/authorize?" + q)
    assert resp.status == 302
    location = resp.getheader("Location")
    assert location.startswith("/login?")
    assert parse_qs(urlsplit(location).query) == parse_qs(q)


def test_state_is_passed_through_unchanged(info):
    state = 'a b+c/d?e=f&g=h%20"<>{}' + "\u00e9"
    browser = Browser(info.endpoint_url)
    resp, _ = sign_in(browser, query(info, state=state), "demo@example.com", USERS["demo@example.com"])
    assert callback_params(resp)["state"] == state


def test_pkce_verifier_mismatch_is_invalid_grant(info):
    verifier, challenge = pkce_pair()
    browser, code = signed_in_code(info, code_challenge=challenge, code_challenge_method="S256")
    resp, body = exchange(browser, info, code, code_verifier=pkce_pair()[0])
    assert resp.status == 400 and body["error"] == "invalid_grant"


def test_pkce_verifier_missing_is_refused(info):
    _, challenge = pkce_pair()
    browser, code = signed_in_code(info, code_challenge=challenge, code_challenge_method="S256")
    resp, body = exchange(browser, info, code)
    assert resp.status == 400 and body["error"] == "invalid_request"


def test_pkce_verifier_without_a_challenge_is_refused(info):
    browser, code = signed_in_code(info)
    resp, body = exchange(browser, info, code, code_verifier=pkce_pair()[0])
    assert resp.status == 400 and body["error"] == "invalid_grant"


def test_pkce_plain_method(info):
    verifier = secrets.token_urlsafe(48)
    browser, code = signed_in_code(info, code_challenge=verifier, code_challenge_method="plain")
    resp, body = exchange(browser, info, code, code_verifier=verifier)
    assert resp.status == 200, body


def test_code_is_single_use(info):
    browser, code = signed_in_code(info)
    first, _ = exchange(browser, info, code)
    assert first.status == 200
    second, body = exchange(browser, info, code)
    assert second.status == 400 and body["error"] == "invalid_grant"


def test_code_expires_five_minutes_after_issue(info):
    browser, code = signed_in_code(info)
    CLOCK.advance(301)
    resp, body = exchange(browser, info, code)
    assert resp.status == 400 and body["error"] == "invalid_grant"


def test_code_is_still_good_just_before_five_minutes(info):
    browser, code = signed_in_code(info)
    CLOCK.advance(290)
    resp, body = exchange(browser, info, code)
    assert resp.status == 200, body


def test_code_is_bound_to_the_client_it_was_issued_to(info, idp):
    other = make_client(idp, info.user_pool_id, info.callback_url)
    browser, code = signed_in_code(info)
    resp, body = exchange(browser, info, code, client_id=other)
    assert resp.status == 400 and body["error"] == "invalid_grant"


def test_code_is_bound_to_its_redirect_uri(info):
    browser, code = signed_in_code(info)
    resp, body = exchange(browser, info, code, redirect_uri="http://localhost:3000/other.html")
    assert resp.status == 400 and body["error"] == "invalid_grant"


def test_client_with_a_secret_must_authenticate(info, idp):
    client_id = make_client(idp, info.user_pool_id, info.callback_url, secret=True)
    secret = idp.describe_user_pool_client(UserPoolId=info.user_pool_id, ClientId=client_id)["UserPoolClient"]["ClientSecret"]
    issue = lambda: signed_in_code(info, client_id=client_id)  # noqa: E731
    browser, code = issue()
    resp, body = exchange(browser, info, code, client_id=client_id)
    assert resp.status == 401 and body["error"] == "invalid_client"
    browser, code = issue()
    wrong = base64.b64encode(f"{client_id}:not-the-secret".encode()).decode()
    resp, text = browser.post("/oauth2/token", {"grant_type": "authorization_code", "code": code,
                                                "redirect_uri": info.callback_url},
                              headers={"Authorization": "Basic " + wrong})
    assert resp.status == 401 and json.loads(text)["error"] == "invalid_client"
    browser, code = issue()
    good = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    resp, text = browser.post("/oauth2/token", {"grant_type": "authorization_code", "code": code,
                                                "redirect_uri": info.callback_url},
                              headers={"Authorization": "Basic " + good})
    assert resp.status == 200, text


def test_email_field_html_injection_is_escaped(info):
    payload = '"><script>alert(1)</script><img src=x onerror=alert(2)>@x.com'
    browser = Browser(info.endpoint_url)
    resp, page = sign_in(browser, query(info), payload, "whatever1A")
    assert resp.status == 200 and resp.getheader("Location") is None
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'value="&quot;&gt;&lt;script&gt;' in page


def test_email_injection_is_escaped_in_the_managed_two_step_page(info):
    app = Client(create_app(info.as_dict, "managed"))
    q = query(info)
    page = app.get("/login?" + q).get_data(as_text=True)
    payload = '"><script>alert(1)</script>@x.com'
    step2 = app.post("/login?" + q, data={"_csrf": csrf_of(page), "username": payload})
    text = step2.get_data(as_text=True)
    assert step2.status_code == 200
    assert "<script>" not in text and 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@x.com"' in text


@pytest.mark.parametrize("tamper", ["no token", "wrong token", "no cookie", "other browser's token"])
def test_login_post_without_the_browsers_csrf_token_is_403(info, tamper):
    q = query(info)
    browser = Browser(info.endpoint_url)
    token = csrf_of(open_login(browser, q))
    form = {"username": "demo@example.com", "password": USERS["demo@example.com"], "_csrf": token}
    if tamper == "no token":
        del form["_csrf"]
    elif tamper == "wrong token":
        form["_csrf"] = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif tamper == "no cookie":
        browser.cookies.clear()
    else:
        form["_csrf"] = csrf_of(open_login(Browser(info.endpoint_url), q))
    resp, _ = browser.post("/login?" + q, form)
    assert resp.status == 403 and resp.getheader("Location") is None


def test_code_page_post_without_csrf_token_is_403(info, mfa_user):
    email, _ = mfa_user
    browser = Browser(info.endpoint_url)
    resp, _ = sign_in(browser, query(info), email, PASSWORD)
    assert resp.getheader("Location") == "/mfa"
    resp, _ = browser.post("/mfa", {"totp_code": "123456"})
    assert resp.status == 403


def test_flow_cookie_is_httponly_and_samesite_lax(info):
    browser = Browser(info.endpoint_url)
    conn = http.client.HTTPConnection(browser.host)
    conn.request("GET", "/login?" + query(info))
    resp = conn.getresponse()
    resp.read()
    cookie = resp.getheader("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_html_pages_carry_the_security_headers(info):
    resp, _ = Browser(info.endpoint_url).get("/login?" + query(info))
    csp = resp.getheader("Content-Security-Policy")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'none'" in csp and f"form-action 'self' {origin_of(info.callback_url)}" in csp
    assert resp.getheader("X-Frame-Options") == "DENY"
    assert resp.getheader("X-Content-Type-Options") == "nosniff"
    assert resp.getheader("Referrer-Policy") == "no-referrer"
    assert resp.getheader("Cache-Control") == "no-store"


def test_logout_uri_not_registered_is_an_error_page(info):
    resp, _ = Browser(info.endpoint_url).get(
        "/logout?" + urlencode({"client_id": info.client_id, "logout_uri": "https://evil.example/"}))
    assert resp.status == 400 and resp.getheader("Location") is None


def test_logout_to_a_registered_uri_forgets_the_browser(info):
    browser = Browser(info.endpoint_url)
    page = open_login(browser, query(info))
    assert browser.cookies
    resp, _ = browser.get("/logout?" + urlencode({"client_id": info.client_id, "logout_uri": "http://localhost:3000/"}))
    assert resp.status == 302 and resp.getheader("Location") == "http://localhost:3000/"
    assert not browser.cookies
    # the old form's token is dead with the flow it belonged to
    resp, _ = browser.post("/login?" + query(info), {"_csrf": csrf_of(page), "username": "demo@example.com",
                                                     "password": USERS["demo@example.com"]})
    assert resp.status == 403


def test_revoked_refresh_token_and_its_access_token_stop_working(info):
    browser, code = signed_in_code(info)
    _, tokens = exchange(browser, info, code)
    resp, _ = browser.post("/oauth2/revoke", {"token": tokens["refresh_token"], "client_id": info.client_id})
    assert resp.status == 200
    resp, text = browser.post("/oauth2/token", {"grant_type": "refresh_token", "client_id": info.client_id,
                                                "refresh_token": tokens["refresh_token"]})
    assert resp.status == 400 and json.loads(text)["error"] == "invalid_grant"
    resp, _ = browser.get("/oauth2/userInfo", headers={"Authorization": "Bearer " + tokens["access_token"]})
    assert resp.status == 401


def test_token_endpoint_errors(info):
    b = Browser(info.endpoint_url)
    resp, text = b.post("/oauth2/token", {"client_id": info.client_id})
    assert (resp.status, json.loads(text)["error"]) == (400, "invalid_request")
    resp, text = b.post("/oauth2/token", {"grant_type": "password", "client_id": info.client_id})
    assert (resp.status, json.loads(text)["error"]) == (400, "unsupported_grant_type")
    resp, text = b.post("/oauth2/token", {"grant_type": "authorization_code", "client_id": "nosuch",
                                          "code": "x", "redirect_uri": info.callback_url})
    assert (resp.status, json.loads(text)["error"]) == (401, "invalid_client")
    resp, text = b.post("/oauth2/token", {"grant_type": "authorization_code", "client_id": info.client_id,
                                          "code": "made-up", "redirect_uri": info.callback_url})
    assert (resp.status, json.loads(text)["error"]) == (400, "invalid_grant")
    resp, _ = b.request("OPTIONS", "/oauth2/token")
    assert resp.status == 204 and resp.getheader("Access-Control-Allow-Origin") == "*"


# --- the narrative's sign-ins -------------------------------------------------------------

def test_user_without_mfa_is_sent_to_the_callback_with_code_and_state(info):
    browser = Browser(info.endpoint_url)
    resp, _ = sign_in(browser, query(info, state="st-1"), "admin@example.com", USERS["admin@example.com"])
    assert resp.getheader("Location").startswith(info.callback_url + "?")
    params = callback_params(resp)
    assert params["state"] == "st-1" and len(params["code"]) >= 32


def test_wrong_password_stays_on_the_page_with_cognitos_message(info):
    resp, page = sign_in(Browser(info.endpoint_url), query(info), "demo@example.com", "Wrong1234pass")
    assert resp.status == 200 and resp.getheader("Location") is None
    assert 'class="errorMessage-customizable" role="alert">Incorrect username or password.<' in page


def test_code_exchange_gives_tokens_signed_by_the_pool(info):
    verifier, challenge = pkce_pair()
    browser, code = signed_in_code(info, code_challenge=challenge, code_challenge_method="S256", nonce="n-0S6_WzA2Mj")
    resp, tokens = exchange(browser, info, code, code_verifier=verifier)
    assert resp.status == 200 and resp.getheader("Access-Control-Allow-Origin") == "*"
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert set(tokens) == {"access_token", "id_token", "refresh_token", "token_type", "expires_in"}
    _, jwks = browser.get(f"/{info.user_pool_id}/.well-known/jwks.json")
    claims = jwt.decode(tokens["id_token"], KeySet.import_key_set(json.loads(jwks))).claims
    assert claims["email"] == "demo@example.com" and claims["aud"] == info.client_id
    assert claims["token_use"] == "id" and claims["iss"].endswith("/" + info.user_pool_id)
    assert claims["nonce"] == "n-0S6_WzA2Mj", "the authorization request's nonce is echoed (OIDC Core 3.1.3.6)"
    access = jwt.decode(tokens["access_token"], KeySet.import_key_set(json.loads(jwks))).claims
    assert access["scope"] == "openid email profile"

    resp, text = browser.get("/oauth2/userInfo", headers={"Authorization": "Bearer " + tokens["access_token"]})
    user = json.loads(text)
    assert resp.status == 200 and user["email"] == "demo@example.com" and user["email_verified"] == "true"
    assert user["sub"] == claims["sub"] and user["username"] == claims["cognito:username"]

    resp, text = browser.post("/oauth2/token", {"grant_type": "refresh_token", "client_id": info.client_id,
                                                "refresh_token": tokens["refresh_token"]})
    refreshed = json.loads(text)
    assert resp.status == 200 and "refresh_token" not in refreshed and refreshed["id_token"]
    assert "nonce" not in jwt.decode(refreshed["id_token"], KeySet.import_key_set(json.loads(jwks))).claims


def test_without_openid_scope_there_is_no_id_token(info, idp):
    client_id = make_client(idp, info.user_pool_id, info.callback_url,
                            AllowedOAuthScopes=["openid", "email", "aws.cognito.signin.user.admin"])
    browser, code = signed_in_code(info, client_id=client_id, scope="aws.cognito.signin.user.admin")
    resp, tokens = exchange(browser, info, code, client_id=client_id)
    assert resp.status == 200 and "id_token" not in tokens and tokens["access_token"]


def test_email_scope_without_openid_is_invalid_scope(info):
    resp, _ = Browser(info.endpoint_url).get("/oauth2/authorize?" + query(info, scope="email", state="x"))
    assert callback_params(resp)["error"] == "invalid_scope"


def test_enrolled_user_gets_the_authenticator_code_page(info, mfa_user):
    email, secret = mfa_user
    browser = Browser(info.endpoint_url)
    resp, _ = sign_in(browser, query(info, state="mfa-state"), email, PASSWORD)
    assert resp.status == 302 and resp.getheader("Location") == "/mfa"
    assert "Session" not in resp.getheader("Location")
    resp, page = browser.get("/mfa")
    assert resp.status == 200 and "authenticator app" in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page

    resp, page = browser.post("/mfa", {"_csrf": csrf_of(page), "totp_code": "000000"})
    assert resp.status == 200 and resp.getheader("Location") is None
    assert 'role="alert">Invalid code received for user<' in page

    resp, _ = browser.post("/mfa", {"_csrf": csrf_of(page), "totp_code": fresh_code(secret)})
    params = callback_params(resp)
    assert params["state"] == "mfa-state"
    _, tokens = exchange(browser, info, params["code"])
    _, jwks = browser.get(f"/{info.user_pool_id}/.well-known/jwks.json")
    assert jwt.decode(tokens["id_token"], KeySet.import_key_set(json.loads(jwks))).claims["email"] == email


def test_a_reused_code_is_refused_on_the_code_page(info, mfa_user):
    email, secret = mfa_user
    code = fresh_code(secret)
    browser = Browser(info.endpoint_url)
    sign_in(browser, query(info), email, PASSWORD)
    _, page = browser.get("/mfa")
    resp, _ = browser.post("/mfa", {"_csrf": csrf_of(page), "totp_code": code})
    assert resp.status == 302
    again = Browser(info.endpoint_url)
    sign_in(again, query(info), email, PASSWORD)
    _, page = again.get("/mfa")
    resp, page = again.post("/mfa", {"_csrf": csrf_of(page), "totp_code": code})
    assert resp.status == 200 and "Your software token has already been used once." in page


def test_too_many_wrong_codes_end_the_sign_in(info, mfa_user):
    email, secret = mfa_user
    browser = Browser(info.endpoint_url)
    sign_in(browser, query(info), email, PASSWORD)
    _, page = browser.get("/mfa")
    for attempt in range(3):
        resp, page = browser.post("/mfa", {"_csrf": csrf, "totp_code": "000000"}) if attempt else \
            browser.post("/mfa", {"_csrf": (csrf := csrf_of(page)), "totp_code": "000000"})
        assert "Invalid code received for user" in page
    # the third wrong code was the last: the page says so and shows no code form
    assert 'name="totp_code"' not in page and "Sign in again" in page and "last attempt" in page
    resp, page = browser.post("/mfa", {"_csrf": csrf, "totp_code": fresh_code(secret)})
    assert resp.status == 400 and resp.getheader("Location") is None, "no code is taken after the last attempt"


def test_an_expired_challenge_session_offers_to_sign_in_again(info, mfa_user):
    email, secret = mfa_user
    browser = Browser(info.endpoint_url)
    q = query(info, state="late")
    sign_in(browser, q, email, PASSWORD)
    _, page = browser.get("/mfa")
    CLOCK.advance(181)  # the client's AuthSessionValidity is 3 minutes
    resp, page = browser.post("/mfa", {"_csrf": csrf_of(page), "totp_code": pyotp.TOTP(secret).at(CLOCK.now())})
    assert resp.status == 200 and resp.getheader("Location") is None
    assert "Invalid session for the user, session is expired." in page
    restart = re.search(r'<a href="([^"]+)">Sign in again</a>', page).group(1).replace("&amp;", "&")
    assert restart.startswith("/login?") and parse_qs(urlsplit(restart).query) == parse_qs(q)
    resp, _ = browser.get("/mfa")  # the dead sign-in is forgotten
    assert resp.status == 400


def test_code_pages_without_a_sign_in_in_progress_are_errors(info):
    for path in ("/mfa", "/mfa-setup"):
        resp, _ = Browser(info.endpoint_url).get(path)
        assert resp.status == 400, path


def test_required_mfa_pool_sets_up_the_authenticator_then_signs_in(info, idp, required_pool):
    pool_id, client_id = required_pool
    email = new_user(idp, pool_id)
    browser = Browser(info.endpoint_url)
    q = query(info, client_id=client_id, state="setup")
    resp, _ = sign_in(browser, q, email, PASSWORD)
    assert resp.getheader("Location") == "/mfa-setup"
    resp, page = browser.get("/mfa-setup")
    assert resp.status == 200 and "Set up an authenticator app" in page
    secret = re.search(r'aria-label="Secret key">([A-Z2-7]+)<', page).group(1)
    assert len(secret) == 52
    assert 'src="data:image/svg+xml' in page

    resp, page = browser.post("/mfa-setup", {"_csrf": csrf_of(page), "totp_code": "000000"})
    assert resp.status == 200 and "Code mismatch and fail enable Software Token MFA" in page
    assert re.search(r'aria-label="Secret key">([A-Z2-7]+)<', page).group(1) == secret

    resp, _ = browser.post("/mfa-setup", {"_csrf": csrf_of(page), "totp_code": pyotp.TOTP(secret).at(CLOCK.now())})
    params = callback_params(resp)
    assert params["state"] == "setup"
    resp, tokens = exchange(browser, info, params["code"], client_id=client_id)
    assert resp.status == 200

    # next time the same user is asked for a code, not a set-up
    again = Browser(info.endpoint_url)
    resp, _ = sign_in(again, q, email, PASSWORD)
    assert resp.getheader("Location") == "/mfa"


def test_otpauth_uri_names_issuer_and_email(info, idp, required_pool):
    from cognito_harness.managed_login.qr import otpauth_uri

    assert otpauth_uri("cognito-demo", "demo-with-mfa@example.com", "ABC") == (
        "otpauth://totp/cognito-demo:demo-with-mfa@example.com?secret=ABC&issuer=cognito-demo")


def test_managed_style_signs_in_in_two_steps(info):
    app = Client(create_app(lambda: {**info.as_dict(), "login_style": "managed"}, "managed"))
    q = query(info, state="two-step")
    page = app.get("/login?" + q).get_data(as_text=True)
    assert "Email address" in page and ">Next<" in page and 'name="password"' not in page
    step2 = app.post("/login?" + q, data={"_csrf": csrf_of(page), "username": "demo@example.com"})
    text = step2.get_data(as_text=True)
    assert 'value="demo@example.com" readonly' in text and 'name="password"' in text
    done = app.post("/login?" + q, data={"_csrf": csrf_of(text), "username": "demo@example.com",
                                         "password": USERS["demo@example.com"]})
    assert done.status_code == 302 and "state=two-step" in done.headers["Location"]


@pytest.mark.parametrize("field,value", [("totp_code", "١٢٣٤٥٦"), ("totp_code", "１２３４５６"),
                                         ("_csrf", "ç" * 43), ("password", "Pässwörd1")])
def test_non_ascii_form_values_are_refused_not_a_500(info, mfa_user, field, value):
    email, _ = mfa_user
    browser = Browser(info.endpoint_url)
    if field == "password":
        resp, page = sign_in(browser, query(info), email, value)
        assert resp.status == 200 and "Incorrect username or password." in page
        return
    sign_in(browser, query(info), email, PASSWORD)
    _, page = browser.get("/mfa")
    form = {"_csrf": csrf_of(page), "totp_code": "000000", field: value}
    resp, page = browser.post("/mfa", form)
    assert resp.status == (403 if field == "_csrf" else 200), page[:300]
    if field == "totp_code":
        assert "Invalid code received for user" in page


def test_client_secret_that_is_not_ascii_is_invalid_client(info, idp):
    client_id = make_client(idp, info.user_pool_id, info.callback_url, secret=True)
    resp, text = Browser(info.endpoint_url).post("/oauth2/token", {
        "grant_type": "authorization_code", "client_id": client_id, "client_secret": "sécret",
        "code": "x", "redirect_uri": info.callback_url})
    assert (resp.status, json.loads(text)["error"]) == (401, "invalid_client")
