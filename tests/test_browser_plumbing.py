"""The browser plumbing: which Chromium is picked, that pytest-playwright drives it, and the two
verification pages (/verify/*.html) as far as they go without the harness's server.

The Cognito endpoints are faked with ``page.route`` on the same origin as a local
``http.server``; the end-to-end specs against the embedded pool live in features/.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from cognito_harness import browser as browser_mod
from cognito_harness.browser import BrowserChoice, Candidate, resolve_browser
from cognito_harness.errors import HarnessError

WEB_DIR = Path(__file__).resolve().parent.parent / "cognito_harness" / "web"
HEADLESS_SHELL = browser_mod.DEBIAN_HEADLESS_SHELL


# --------------------------------------------------------------------------- resolve_browser


@pytest.fixture
def fresh_resolver(monkeypatch):
    """No HARNESS_BROWSER, no cached result, before and after."""
    monkeypatch.delenv(browser_mod.ENV_VAR, raising=False)
    browser_mod.clear_cache()
    yield
    browser_mod.clear_cache()


def _fake_executable(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return str(path)


def test_explicit_missing_path_names_the_path_and_its_origin(fresh_resolver):
    with pytest.raises(HarnessError) as err:
        resolve_browser("/nonexistent/chrome-for-harness")
    assert "/nonexistent/chrome-for-harness" in str(err.value)
    assert "--browser-path" in str(err.value)


def test_explicit_path_that_is_not_executable_is_refused(fresh_resolver, tmp_path):
    not_exec = tmp_path / "chrome"
    not_exec.write_text("")
    with pytest.raises(HarnessError, match="not an executable file"):
        resolve_browser(str(not_exec))


def test_harness_browser_env_var_is_honoured(fresh_resolver, monkeypatch):
    if not os.access(HEADLESS_SHELL, os.X_OK):
        pytest.skip(f"{HEADLESS_SHELL} is not installed")
    monkeypatch.setenv("HARNESS_BROWSER", HEADLESS_SHELL)
    choice = resolve_browser()
    assert choice == BrowserChoice(HEADLESS_SHELL, "HARNESS_BROWSER", [])


def test_harness_browser_env_var_pointing_nowhere_is_an_error(fresh_resolver, monkeypatch):
    monkeypatch.setenv("HARNESS_BROWSER", "/nonexistent/env-chrome")
    with pytest.raises(HarnessError) as err:
        resolve_browser()
    assert "/nonexistent/env-chrome" in str(err.value) and "HARNESS_BROWSER" in str(err.value)


def test_explicit_path_beats_the_environment(fresh_resolver, monkeypatch, tmp_path):
    explicit = _fake_executable(tmp_path, "my-chrome")
    monkeypatch.setenv("HARNESS_BROWSER", "/nonexistent/env-chrome")
    assert resolve_browser(explicit) == BrowserChoice(explicit, "--browser-path", [])


def test_playwright_bundled_chromium_is_preferred_to_system_ones(fresh_resolver, monkeypatch):
    monkeypatch.setattr(browser_mod, "bundled_chromium_path", lambda playwright=None: "/pw/chrome")
    assert resolve_browser() == BrowserChoice(None, "playwright-bundled", [])


def test_system_candidates_in_order_full_chromium_gets_offline_dns_rules(fresh_resolver, monkeypatch, tmp_path):
    monkeypatch.setattr(browser_mod, "bundled_chromium_path", lambda playwright=None: None)
    shell = _fake_executable(tmp_path, "chromium-headless-shell")
    full = _fake_executable(tmp_path, "chromium")
    monkeypatch.setattr(
        browser_mod,
        "SYSTEM_CANDIDATES",
        (
            Candidate(shell, "debian-headless-shell", headless_only=True),
            Candidate(full, "debian-chromium", (browser_mod.OFFLINE_HOST_RESOLVER_ARG,)),
        ),
    )
    assert resolve_browser() == BrowserChoice(shell, "debian-headless-shell", [])
    # --headed skips the headless shell (it cannot show a window).
    headed = resolve_browser(headed=True)
    assert headed.source == "debian-chromium"
    assert headed.extra_args == ["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"]
    assert resolve_browser(headed=True, allow_network=True).extra_args == []


def test_no_browser_anywhere_tells_how_to_fix(fresh_resolver, monkeypatch):
    monkeypatch.setattr(browser_mod, "bundled_chromium_path", lambda playwright=None: None)
    monkeypatch.setattr(browser_mod, "SYSTEM_CANDIDATES", (Candidate("/nonexistent/chromium", "debian-chromium"),))
    with pytest.raises(HarnessError) as err:
        resolve_browser()
    message = str(err.value)
    assert message.startswith("No Chromium found for the browser specs.")
    assert "scripts/setup.sh" in message
    assert "python -m playwright install chromium" in message
    assert "HARNESS_BROWSER=" in message


def test_result_is_cached_per_process(fresh_resolver, monkeypatch):
    calls = []

    def lookup(playwright=None):
        calls.append(1)
        return "/pw/chrome"

    monkeypatch.setattr(browser_mod, "bundled_chromium_path", lookup)
    first = resolve_browser()
    assert resolve_browser() is first
    assert len(calls) == 1


# --------------------------------------------------------------------------- pytest-playwright


def test_page_fixture_drives_the_resolved_browser(page, browser_type_launch_args, browser_info):
    page.goto("data:text/html,<title>plumbing</title><h1 id=h>Hello from the harness</h1>")
    assert page.title() == "plumbing"
    assert page.locator("#h").text_content() == "Hello from the harness"
    # The plugin's own keys are kept; ours are added.
    if browser_info.executable_path:
        assert browser_type_launch_args["executable_path"] == browser_info.executable_path
    assert browser_info.launch_time is not None and browser_info.version


# --------------------------------------------------------------------------- verification pages


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature from the stdlib
        pass


@pytest.fixture(scope="module")
def verify_site(tmp_path_factory):
    """The two pages and a stub config.json on http://127.0.0.1:<port>/verify/."""
    root = tmp_path_factory.mktemp("site")
    verify = root / "verify"
    verify.mkdir()
    for page_file in WEB_DIR.glob("*.html"):
        shutil.copy(page_file, verify / page_file.name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    base = f"http://127.0.0.1:{server.server_address[1]}"
    config = {
        "endpoint_url": f"{base}/fake-aws/",
        "region": "us-east-1",
        "user_pool_id": "us-east-1_Plumbing",
        "client_id": "plumbingclient",
        "identity_pool_id": "us-east-1:00000000-0000-0000-0000-000000000000",
        "managed_login_url": f"{base}/fake-login",
        "callback_url": f"{base}/verify/hosted-ui-verify.html",
    }
    (verify / "config.json").write_text(json.dumps(config))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"base": base, "config": config}
    server.shutdown()
    server.server_close()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_jwt(claims: dict) -> str:
    header = _b64url(json.dumps({"alg": "RS256", "kid": "plumbing"}).encode())
    return f"{header}.{_b64url(json.dumps(claims).encode())}.{_b64url(b'not-a-real-signature')}"


ID_CLAIMS = {"sub": "1111-2222", "email": "demo-with-mfa@example.com", "token_use": "id", "cognito:username": "1111-2222"}
SECRET_VALUES = ("REFRESH-SECRET-VALUE", "ACCESS-SECRET-VALUE", "AKIDSECRETVALUE", "SECRETKEYVALUE")


def _assert_no_secrets(page, console: list[str], *secrets: str) -> None:
    html = page.content()
    for secret in (*SECRET_VALUES, *secrets):
        assert secret not in html, "a token or secret leaked into the page"
        assert not any(secret in line for line in console), "a token or secret leaked into the console"


def test_hosted_ui_state_mismatch_does_not_exchange_the_code(page, verify_site):
    token_requests = []
    page.route("**/fake-login/oauth2/token", lambda route: (token_requests.append(route.request), route.abort()))
    page.goto(f"{verify_site['base']}/verify/hosted-ui-verify.html?code=x&state=wrong")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.text_content() == "State mismatch: the response was not for this sign-in"
    assert "code=" not in page.url
    page.wait_for_timeout(100)  # give a (wrong) exchange the chance to start
    assert token_requests == []
    assert page.get_by_role("status").text_content() == ""


def test_hosted_ui_error_response_is_shown(page, verify_site):
    page.goto(f"{verify_site['base']}/verify/hosted-ui-verify.html?error=access_denied&error_description=User+cancelled")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.text_content() == "managed login error: access_denied (User cancelled)"


def test_hosted_ui_pkce_round_trip_with_faked_managed_login(page, verify_site):
    cfg = verify_site["config"]
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    id_token = fake_jwt(ID_CLAIMS)
    seen: dict = {}

    def authorize(route):
        query = {k: v[0] for k, v in parse_qs(urlsplit(route.request.url).query).items()}
        seen["authorize"] = query
        location = f"{cfg['callback_url']}?code=the-code&state={query['state']}"
        route.fulfill(status=302, headers={"Location": location})

    def token(route):
        seen["token"] = {k: v[0] for k, v in parse_qs(route.request.post_data or "").items()}
        seen["token_content_type"] = route.request.headers.get("content-type")
        route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({"id_token": id_token, "access_token": "ACCESS-SECRET-VALUE",
                             "refresh_token": "REFRESH-SECRET-VALUE", "token_type": "Bearer", "expires_in": 3600}),
        )

    page.route("**/fake-login/oauth2/authorize*", authorize)
    page.route("**/fake-login/oauth2/token", token)
    page.goto(f"{verify_site['base']}/verify/hosted-ui-verify.html")
    page.get_by_role("button", name="Sign in with the managed login").click()
    status = page.get_by_role("status")
    status.filter(has_text="Signed in as").wait_for()
    assert status.text_content() == "Signed in as demo-with-mfa@example.com"

    auth = seen["authorize"]
    assert auth["response_type"] == "code"
    assert auth["client_id"] == cfg["client_id"]
    assert auth["redirect_uri"] == cfg["callback_url"]
    assert auth["scope"] == "openid email profile"
    assert auth["code_challenge_method"] == "S256"
    tok = seen["token"]
    assert seen["token_content_type"].startswith("application/x-www-form-urlencoded")
    assert tok["grant_type"] == "authorization_code" and tok["code"] == "the-code"
    assert tok["client_id"] == cfg["client_id"] and tok["redirect_uri"] == cfg["callback_url"]
    verifier = tok["code_verifier"]
    assert 43 <= len(verifier) <= 128
    assert _b64url(hashlib.sha256(verifier.encode()).digest()) == auth["code_challenge"]

    claims = json.loads(page.get_by_label("ID token claims").text_content())
    assert claims["email"] == "demo-with-mfa@example.com"
    assert "code=" not in page.url
    assert page.evaluate("() => sessionStorage.length") == 0
    _assert_no_secrets(page, console, id_token)


class FakeCognito:
    """Answers the page's AWS JSON 1.1 calls (page.route on the endpoint)."""

    def __init__(self, challenge: str | None = "SOFTWARE_TOKEN_MFA"):
        self.challenge = challenge
        self.calls: list[tuple[str, dict]] = []
        self.id_token = fake_jwt(ID_CLAIMS)

    def result(self, refresh: bool = True) -> dict:
        out = {"IdToken": self.id_token, "AccessToken": "ACCESS-SECRET-VALUE", "ExpiresIn": 3600, "TokenType": "Bearer"}
        if refresh:
            out["RefreshToken"] = "REFRESH-SECRET-VALUE"
        return {"AuthenticationResult": out, "ChallengeParameters": {}}

    def __call__(self, route):
        target = route.request.headers.get("x-amz-target", "")
        body = json.loads(route.request.post_data or "{}")
        op = target.split(".")[-1]
        self.calls.append((target, body))
        assert route.request.headers.get("content-type") == "application/x-amz-json-1.1"
        if op == "InitiateAuth" and body["AuthFlow"] == "USER_PASSWORD_AUTH":
            if body["AuthParameters"]["PASSWORD"] != "Aaaa1111":
                return self.error("NotAuthorizedException", "Incorrect username or password.")
            if self.challenge:
                return self.ok({"ChallengeName": self.challenge, "Session": "SESSION-1",
                                "ChallengeParameters": {"USER_ID_FOR_SRP": "1111-2222"}})
            return self.ok(self.result())
        if op == "RespondToAuthChallenge":
            if body["ChallengeResponses"].get("SOFTWARE_TOKEN_MFA_CODE") != "123456":
                return self.error("CodeMismatchException", "Invalid code received for user")
            return self.ok(self.result())
        if op == "InitiateAuth" and body["AuthFlow"] == "REFRESH_TOKEN_AUTH":
            return self.ok(self.result(refresh=False))
        if op == "GlobalSignOut":
            return self.ok({})
        if op == "GetId":
            return self.ok({"IdentityId": "us-east-1:abcd-ef"})
        if op == "GetCredentialsForIdentity":
            return self.ok({"IdentityId": "us-east-1:abcd-ef", "Credentials": {
                "AccessKeyId": "AKIDSECRETVALUE", "SecretKey": "SECRETKEYVALUE", "SessionToken": "x", "Expiration": 0}})
        return self.error("InvalidAction", f"unexpected {target}")

    @staticmethod
    def ok(payload):
        return lambda route: route.fulfill(status=200, content_type="application/x-amz-json-1.1", body=json.dumps(payload))

    @staticmethod
    def error(kind, message):
        return lambda route: route.fulfill(
            status=400, content_type="application/x-amz-json-1.1", body=json.dumps({"__type": kind, "message": message}))


def _route_fake(page, fake: FakeCognito) -> None:
    page.route("**/fake-aws/", lambda route: fake(route)(route))


def _sign_in(page, base: str, password: str = "Aaaa1111") -> None:
    page.goto(f"{base}/verify/auth-and-token-verify.html")
    page.get_by_label("Email").fill("demo-with-mfa@example.com")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_in_app_sign_in_with_totp_challenge_then_session_actions(page, verify_site):
    fake = FakeCognito()
    _route_fake(page, fake)
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    prompts: list[str] = []
    page.on("dialog", lambda d: (prompts.append(d.message), d.accept("123456")))

    _sign_in(page, verify_site["base"])
    status = page.get_by_role("status")
    status.filter(has_text="Signed in as").wait_for()
    assert status.text_content() == "Signed in as demo-with-mfa@example.com"
    assert prompts == ["Enter the 6-digit code from your authenticator app"]
    respond = [b for t, b in fake.calls if t.endswith("RespondToAuthChallenge")][0]
    assert respond == {"ChallengeName": "SOFTWARE_TOKEN_MFA", "ClientId": "plumbingclient", "Session": "SESSION-1",
                       "ChallengeResponses": {"USERNAME": "demo-with-mfa@example.com", "SOFTWARE_TOKEN_MFA_CODE": "123456"}}
    claims = json.loads(page.get_by_label("ID token claims").text_content())
    assert claims["email"] == "demo-with-mfa@example.com"

    page.get_by_role("button", name="Get AWS credentials").click()
    status.filter(has_text="Identity").wait_for()
    assert status.text_content() == "Identity us-east-1:abcd-ef"
    get_id = [b for t, b in fake.calls if t == "AWSCognitoIdentityService.GetId"][0]
    assert get_id["Logins"] == {"cognito-idp.us-east-1.amazonaws.com/us-east-1_Plumbing": fake.id_token}

    page.get_by_role("button", name="Refresh tokens").click()
    status.filter(has_text="Tokens refreshed").wait_for()
    refresh = [b for t, b in fake.calls if b.get("AuthFlow") == "REFRESH_TOKEN_AUTH"][0]
    assert refresh["AuthParameters"] == {"REFRESH_TOKEN": "REFRESH-SECRET-VALUE"}

    _assert_no_secrets(page, console, fake.id_token)

    page.get_by_role("button", name="Sign out").click()
    status.filter(has_text="Signed out").wait_for()
    sign_out = [b for t, b in fake.calls if t.endswith("GlobalSignOut")][0]
    assert sign_out == {"AccessToken": "ACCESS-SECRET-VALUE"}
    assert page.get_by_label("ID token claims").is_hidden()
    assert page.get_by_role("alert").is_hidden()


@pytest.mark.parametrize(
    "challenge, password, expected",
    [
        (None, "wrong", "authentication error: Incorrect username or password."),
        ("NEW_PASSWORD_REQUIRED", "Aaaa1111", "authentication error: unsupported challenge NEW_PASSWORD_REQUIRED"),
        ("SOFTWARE_TOKEN_MFA", "Aaaa1111", "authentication error: Invalid code received for user"),
    ],
    ids=["wrong-password", "unsupported-challenge", "wrong-totp"],
)
def test_in_app_sign_in_errors_are_alerts(page, verify_site, challenge, password, expected):
    _route_fake(page, FakeCognito(challenge))
    page.on("dialog", lambda d: d.accept("000000"))
    _sign_in(page, verify_site["base"], password)
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.text_content() == expected
    assert page.get_by_role("button", name="Get AWS credentials").is_disabled()
