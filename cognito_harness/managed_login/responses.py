"""HTTP responses of the emulator, with the headers each kind needs.

HTML: a strict Content-Security-Policy (no script at all), no framing, no sniffing, no
referrer, no caching. JSON endpoints: no caching, CORS for browser apps (the token,
userInfo and revoke endpoints are called by single-page apps)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from werkzeug.wrappers import Response

from .. import security_headers
from .flow import COOKIE_NAME

_COMMON = security_headers.COMMON


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def content_security_policy(redirect_uri: str | None = None) -> str:
    # Browsers apply form-action to the redirects that follow a form POST too, so the
    # callback's origin must be allowed there for sign-in to land on it.
    form_action = "'self'"
    origin = origin_of(redirect_uri) if redirect_uri else None
    if origin:
        form_action += " " + origin
    return ("default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
            f"form-action {form_action}")


def html(body: str, status: int = 200, redirect_uri: str | None = None) -> Response:
    resp = Response(body, status=status, content_type="text/html; charset=utf-8")
    resp.headers.update(dict(security_headers.html_page(content_security_policy(redirect_uri))))
    return resp


def redirect(location: str, status: int = 302) -> Response:
    resp = Response("", status=status)
    resp.headers["Location"] = location
    resp.headers.update(_COMMON)
    return resp


def cors(resp: Response) -> Response:
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def json_body(payload, status: int = 200, extra: dict | None = None) -> Response:
    resp = Response(json.dumps(payload), status=status, content_type="application/json;charset=UTF-8")
    resp.headers.update(_COMMON)
    resp.headers.update(extra or {})
    return cors(resp)


def preflight(methods: str) -> Response:
    resp = Response("", status=204)
    resp.headers.update({
        "Access-Control-Allow-Methods": methods,
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Max-Age": "600",
    })
    return cors(resp)


def set_flow_cookie(resp: Response, flow_id: str) -> None:
    resp.set_cookie(COOKIE_NAME, flow_id, httponly=True, samesite="Lax", path="/")


def clear_flow_cookie(resp: Response) -> None:
    resp.delete_cookie(COOKIE_NAME, httponly=True, samesite="Lax", path="/")
