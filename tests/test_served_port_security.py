"""What the embedded server's port lets in (cognito_harness/embedded/guard.py): no moto debug
surface, CORS only where Cognito answers cross-origin, harness controls that a web page
cannot drive, GET /_harness/info without secrets — over HTTP, and from a page on another
origin in Chromium."""

from __future__ import annotations

import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from werkzeug.test import Client

from cognito_harness.clock import CLOCK
from cognito_harness.embedded.app import HarnessApp

EVIL = "http://evil.example"


def raw(info, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    conn = http.client.HTTPConnection(urlsplit(info.endpoint_url).netloc, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


# --- moto's debug surface -------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("GET", "/moto-api/data.json"), ("POST", "/moto-api/reset"), ("GET", "/moto-api/"),
    ("POST", "/moto-api/seed?a=42"), ("GET", "/latest/meta-data/iam/security-credentials/"),
])
def test_moto_debug_surface_is_not_served(embedded, method, path):
    status, headers, body = raw(embedded, method, path, headers={"Origin": EVIL})
    assert status == 404, body
    assert b"--expose-moto-api" in body, "the refusal names the flag that serves it"
    assert "access-control-allow-origin" not in headers


def _stub_moto(environ, start_response):
    """Stands in for moto's app: answers like /moto-api/data.json, reflecting the Origin."""
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Access-Control-Allow-Origin", environ.get("HTTP_ORIGIN", "*"))])
    return [b'{"cognitoidp": "every password"}']


def test_the_flag_serves_moto_api_but_still_without_cors():
    info = lambda: {"harness_token": "t" * 43}  # noqa: E731
    refused = Client(HarnessApp(_stub_moto, info)).get("/moto-api/data.json", headers={"Origin": EVIL})
    assert refused.status_code == 404
    served = Client(HarnessApp(_stub_moto, info, expose_moto_api=True)).get("/moto-api/data.json",
                                                                             headers={"Origin": EVIL})
    assert served.status_code == 200 and b"every password" in served.data
    assert "Access-Control-Allow-Origin" not in served.headers, "moto's reflected CORS is stripped"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_verification_pages_answer_other_methods_with_405(embedded, method):
    """A write to /verify/ once fell through to moto's S3 routes and answered 500."""
    for path in ("/verify/config.json", "/verify/hosted-ui-verify.html"):
        status, headers, body = raw(embedded, method, path, b"{}", {"Content-Type": "application/json"})
        assert status == 405 and headers["allow"] == "GET, HEAD", (path, body)
        assert headers["x-content-type-options"] == "nosniff"


# --- CORS ------------------------------------------------------------------------------------

def test_cognito_json_api_is_cross_origin_other_services_are_not(embedded):
    api = {"Content-Type": "application/x-amz-json-1.1", "Origin": EVIL}
    _, idp, _ = raw(embedded, "POST", "/", b'{"ClientId": "nosuch", "AuthFlow": "USER_PASSWORD_AUTH"}',
                    {**api, "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"})
    assert idp.get("access-control-allow-origin") == "*"
    _, sts, _ = raw(embedded, "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15",
                    {"Content-Type": "application/x-www-form-urlencoded", "Origin": EVIL})
    assert "access-control-allow-origin" not in sts, "moto reflects the Origin; Cognito's surface only"
    _, info, _ = raw(embedded, "GET", "/_harness/info", headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in info


def test_preflight_is_answered_for_cognito_only(embedded):
    pre = {"Origin": EVIL, "Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "content-type,x-harness-token"}
    status, headers, _ = raw(embedded, "OPTIONS", "/_harness/clock", headers=pre)
    assert status == 403 and "access-control-allow-origin" not in headers
    status, headers, _ = raw(embedded, "OPTIONS", "/moto-api/reset", headers=pre)
    assert "access-control-allow-origin" not in headers
    status, headers, _ = raw(embedded, "OPTIONS", "/", headers={**pre, "Access-Control-Request-Headers":
                                                                "content-type,x-amz-target"})
    assert status == 204 and headers["access-control-allow-origin"] == "*"
    assert "x-harness-token" not in headers["access-control-allow-headers"].lower()


# --- the harness controls ---------------------------------------------------------------------

@pytest.mark.parametrize("content_type,token,expected", [
    ("text/plain", "good", 415),  # what a form or a no-cors fetch can send
    ("application/x-www-form-urlencoded", "good", 415),
    ("application/json", None, 403),
    ("application/json", "wrong", 403),
])
@pytest.mark.parametrize("control,body", [
    ("/_harness/clock", {"advance": 3600}), ("/_harness/login-style", {"style": "managed"}),
])
def test_controls_refuse_what_a_web_page_can_send(embedded, http, content_type, token, expected, control, body):
    from conftest import http_json
    sent = {"good": embedded.harness_token, "wrong": "x" * 43, None: None}[token]
    before = (CLOCK.offset, http(embedded.endpoint_url + "/_harness/info")[1]["login_style"])
    status, answer = http_json(embedded.endpoint_url + control, body, token=sent, content_type=content_type)
    assert status == expected, answer
    assert "error" in answer
    assert (CLOCK.offset, http(embedded.endpoint_url + "/_harness/info")[1]["login_style"]) == before


def test_controls_accept_json_with_the_token(embedded, http):
    status, moved = http(embedded.clock_url, {"advance": 1})
    assert status == 200 and moved["offset"] >= 1


def test_info_shows_no_secret(embedded, http):
    status, info = http(embedded.endpoint_url + "/_harness/info")
    assert status == 200 and info["user_pool_id"] == embedded.user_pool_id
    text = json.dumps(info)
    for secret in (embedded.admin_secret_access_key, embedded.harness_token):
        assert secret and secret not in text
    assert "harness_token" not in info and "admin_secret_access_key" not in info


# --- from a page on another origin, in Chromium ------------------------------------------------

ATTACK = """
async ({endpoint}) => {
  const out = {};
  try {
    const r = await fetch(endpoint + "/moto-api/data.json");
    out.world = await r.text();
  } catch (e) { out.world = "blocked: " + e.name; }
  try {
    const r = await fetch(endpoint + "/_harness/info");
    out.info = await r.text();
  } catch (e) { out.info = "blocked: " + e.name; }
  for (const [kind, init] of [
    ["text", {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body: '{"advance": 86400}'}],
    ["json", {method: "POST", headers: {"Content-Type": "application/json"}, body: '{"advance": 86400}'}],
    ["reset", {method: "POST", mode: "no-cors", body: ""}],
  ]) {
    const url = endpoint + (kind === "reset" ? "/moto-api/reset" : "/_harness/clock");
    try { await fetch(url, init); out[kind] = "sent"; } catch (e) { out[kind] = "blocked: " + e.name; }
  }
  return out;
}
"""


@pytest.fixture
def other_origin():
    """A page on another local origin (another port: another app's dev server, say): what a
    developer's browser visits beside the harness. A public origin would also be held back
    by Chromium's private-network rules; a local one is not."""
    class Page(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = b"<!doctype html><title>another app</title>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_a_page_on_another_origin_cannot_read_the_world_or_move_the_clock(page, embedded, idp_clients,
                                                                            other_origin):
    admin, _ = idp_clients
    page.goto(other_origin)
    offset = CLOCK.offset
    out = page.evaluate(ATTACK, {"endpoint": embedded.endpoint_url})
    assert out["world"].startswith("blocked"), "the page read moto's data.json"
    assert out["info"].startswith("blocked"), "the page read /_harness/info"
    assert CLOCK.offset == offset, f"a page on another origin moved the clock: {out}"
    # the world is still there: no reset went through
    assert admin.describe_user_pool(UserPoolId=embedded.user_pool_id)["UserPool"]["Id"] == embedded.user_pool_id
