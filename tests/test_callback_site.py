"""The local callback site (cognito_harness/callback_site.py): on a real pool whose callback
URL is http://localhost:<port>/..., the harness serves the narrative's verification pages
there (werkzeug, the security headers of security_headers.py) — and nothing else."""

from __future__ import annotations

import http.client
import json
import socket
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from cognito_harness import security_headers
from cognito_harness.callback_site import CallbackSite
from cognito_harness.errors import HarnessError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _target(callback_url: str):
    return SimpleNamespace(callback_url=callback_url, endpoint_url=None, region="eu-west-1",
                           user_pool_id="eu-west-1_Example", client_id="client123",
                           identity_pool_id="eu-west-1:0000", managed_login_url="https://example.auth.eu-west-1.amazoncognito.com")


def _get(url: str, method: str = "GET"):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""))
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


@pytest.fixture
def site():
    port = _free_port()
    served = CallbackSite(_target(f"http://localhost:{port}/app/callback.html"))
    yield served
    served.stop()


def test_serves_both_pages_and_the_pool_config_at_the_callback_folder(site):
    assert site.page_url("hosted-ui-verify.html").endswith("/app/hosted-ui-verify.html")
    for name in ("hosted-ui-verify.html", "auth-and-token-verify.html"):
        status, headers, body = _get(site.page_url(name))
        assert status == 200 and body.lstrip().lower().startswith(b"<!doctype html>"), name
        assert headers["content-type"] == "text/html; charset=utf-8"
        for header, value in security_headers.COMMON.items():
            assert headers[header.lower()] == value, (name, header)
    status, headers, body = _get(site.page_url("config.json"))
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body)["user_pool_id"] == "eu-west-1_Example"
    assert headers["cache-control"] == "no-store"


def test_answers_nothing_else(site):
    for url in (site.page_url("secret.txt"), site.page_url("../hosted-ui-verify.html"),
                site.base.replace("/app/", "/") + "hosted-ui-verify.html"):
        status, headers, _ = _get(url)
        assert status == 404, url
        assert headers["x-content-type-options"] == "nosniff"
    status, headers, _ = _get(site.page_url("config.json"), method="POST")
    assert status == 405 and headers["allow"] == "GET, HEAD"
    status, _, body = _get(site.page_url("config.json"), method="HEAD")
    assert status == 200 and body == b""


def test_a_non_local_callback_gets_a_free_local_port():
    served = CallbackSite(_target("https://app.example.com/callback"))
    try:
        assert served.base.startswith("http://127.0.0.1:") and served.base.endswith("/")
        status, _, _ = _get(served.page_url("auth-and-token-verify.html"))
        assert status == 200
    finally:
        served.stop()


def test_a_busy_port_is_a_clear_error_not_an_exit():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(HarnessError, match=f"cannot serve the callback page on port {port}"):
            CallbackSite(_target(f"http://localhost:{port}/callback"))
