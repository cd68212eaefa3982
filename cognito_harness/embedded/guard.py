"""What the served port lets in, and what a web page on another origin may read from it.

Every request to the embedded server passes here first (HarnessApp.__call__, with the
request as a werkzeug Request):

- the body: read once, at most MAX_BODY_BYTES (413 beyond), a Content-Length that is not a
  non-negative integer is a 400 — nothing blocks a thread or allocates what a client asks;
- moto's debug and admin surface (`/moto-api/`: data.json with every password and token,
  reset, seed, the recorder; the EC2 instance-metadata paths) answers 404 unless the server
  was started with `expose_moto_api` (`cognito-harness serve --expose-moto-api`);
- CORS: only what Cognito itself answers cross-origin — the Cognito JSON APIs (user pools
  and identity pools, told apart by X-Amz-Target), the token, userInfo and revoke endpoints
  and the pool's public keys — get `Access-Control-Allow-Origin: *`. moto's own permissive
  CORS (it reflects any Origin) is stripped from everything else;
- the harness controls under /_harness/: any request that changes something (not GET/HEAD)
  needs `Content-Type: application/json` and the server's token in the `X-Harness-Token`
  header. The token is in the JSON line `serve` prints (`harness_token`) and nowhere a
  web page can read it. A page cannot send either without a CORS preflight, which this
  module refuses for /_harness/.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from .. import security_headers

MAX_BODY_BYTES = 256 * 1024
_BODY_KEY = "cognito_harness.body"
TOKEN_HEADER = "X-Harness-Token"
CONTROL_PREFIX = "/_harness/"

# moto's debug/admin surface: moto_api (dashboard, data.json, reset, seed, recorder,
# state manager, proxy), its favicon, and the EC2 instance-metadata emulation.
_DEBUG_SURFACE = re.compile(r"^/(moto-api(/|$)|favicon\.ico$|latest/(meta-data|api|dynamic|user-data)(/|$))")

# What Cognito answers cross-origin (browser apps call these directly).
_CORS_PATHS = {"/oauth2/token", "/oauth2/userInfo", "/oauth2/userinfo", "/oauth2/revoke"}
_CORS_TARGETS = ("AWSCognitoIdentityProviderService.", "AWSCognitoIdentityService.")
_WELL_KNOWN = re.compile(r"^/[\w-]+_[0-9A-Za-z]+/\.well-known/(jwks\.json|openid-configuration)$")
_API_HEADERS = ("Content-Type, X-Amz-Target, X-Amz-User-Agent, X-Amz-Date, X-Amz-Security-Token, "
                "X-Amz-Content-Sha256, Authorization, Amz-Sdk-Invocation-Id, Amz-Sdk-Request, Cache-Control")
_OAUTH_HEADERS = "Authorization, Content-Type"


@dataclass
class Refusal:
    status: int
    payload: dict
    close: bool = False  # the body was not read: the connection cannot be reused


def new_token() -> str:
    return secrets.token_urlsafe(32)


def read_body(req: Request) -> Refusal | None:
    """Reads the request body once (bounded), before anything else looks at it, and leaves
    it readable again in the WSGI environ for moto (`body_of(req)` gives it to the harness)."""
    environ = req.environ
    raw = environ.get("CONTENT_LENGTH") or ""
    chunked = "chunked" in (environ.get("HTTP_TRANSFER_ENCODING") or "").lower()
    if raw.strip():
        if not raw.strip().isdigit():
            return Refusal(400, _error("SerializationException", f"Content-Length must be a non-negative integer, not {raw[:40]!r}"), close=True)
        length = int(raw)
        if length > MAX_BODY_BYTES:
            return _too_large()
        body = environ["wsgi.input"].read(length) if length else b""
    elif chunked and environ.get("wsgi.input_terminated"):
        body = environ["wsgi.input"].read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            return _too_large()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ[_BODY_KEY] = body
    return None


def body_of(req: Request) -> bytes:
    """The request body read by read_body (never req.get_data(): that would consume the
    stream moto reads after the harness)."""
    return req.environ.get(_BODY_KEY, b"")


def _too_large() -> Refusal:
    return Refusal(413, _error("RequestEntityTooLarge", f"The request body is larger than {MAX_BODY_BYTES} bytes."), close=True)


def _error(kind: str, message: str) -> dict:
    return {"__type": kind, "message": message}


def debug_surface_refusal(path: str, expose_moto_api: bool) -> Refusal | None:
    if expose_moto_api or not _DEBUG_SURFACE.match(path):
        return None
    return Refusal(404, {"error": f"{path} is moto's debug surface: not served "
                                  "(start the server with --expose-moto-api to serve it)"})


def control_refusal(req: Request, token: str) -> Refusal | None:
    """A /_harness/ request that changes something must carry JSON and the server's token."""
    if req.method in ("GET", "HEAD"):
        return None
    if req.mimetype != "application/json":
        return Refusal(415, {"error": "harness controls accept only Content-Type: application/json"})
    sent = (req.headers.get(TOKEN_HEADER) or "").encode("utf-8", "replace")
    if not token or not secrets.compare_digest(sent, token.encode()):
        return Refusal(403, {"error": f"harness controls need the {TOKEN_HEADER} header: the harness_token "
                                      "of the JSON line `cognito-harness serve` printed"})
    return None


_SIGV4 = re.compile(r"^AWS4-HMAC-SHA256 Credential=[^/\s]+/\d{8}/[\w-]+/[\w-]+/aws4_request,\s*"
                    r"SignedHeaders=[a-z0-9;-]+,\s*Signature=[0-9a-f]{64}$")


def check_signature_header(req: Request) -> None:
    """A signed Cognito call's Authorization header must be a whole SigV4 one (moto's IAM
    check fails with a KeyError on a partial one)."""
    from .api_requests import ApiError

    auth = req.headers.get("Authorization")
    if auth is None:
        return
    signed = auth.partition("SignedHeaders=")[2].partition(",")[0].split(";")
    if not _SIGV4.match(auth.strip()) or "host" not in signed or (
            "x-amz-date" not in signed or not req.headers.get("X-Amz-Date")):
        raise ApiError("IncompleteSignatureException",
                       "The Authorization header must be AWS Signature Version 4 with Credential, "
                       "SignedHeaders (host, x-amz-date) and Signature, and X-Amz-Date must be sent.")


# --- CORS --------------------------------------------------------------------------------

def cors_allowed(req: Request) -> bool:
    """True if Cognito answers this request cross-origin."""
    path = req.path
    if path in _CORS_PATHS or _WELL_KNOWN.match(path):
        return True
    return path == "/" and (req.headers.get("X-Amz-Target") or "").startswith(_CORS_TARGETS)


def is_preflight(req: Request) -> bool:
    return req.method == "OPTIONS" and bool(req.headers.get("Access-Control-Request-Method"))


def preflight(req: Request) -> Response:
    """The answer to a CORS preflight: allowed for the Cognito APIs and endpoints only.
    (A preflight does not carry X-Amz-Target's value, so "/" is allowed as a whole; the
    actual response then carries the CORS header only for a Cognito target.)"""
    path = req.path
    if path in _CORS_PATHS:
        methods, headers = "GET, POST, OPTIONS", _OAUTH_HEADERS
    elif path == "/":
        methods, headers = "POST, OPTIONS", _API_HEADERS
    elif _WELL_KNOWN.match(path):
        methods, headers = "GET, OPTIONS", "Content-Type"
    else:
        return _empty("403 Forbidden", [])
    return _empty("204 No Content", [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Methods", methods),
                                     ("Access-Control-Allow-Headers", headers), ("Access-Control-Max-Age", "600")])


def _empty(status: str, headers: list[tuple[str, str]]) -> Response:
    """A response without a body (and without a Content-Type: there is nothing to type).
    werkzeug sends no Content-Length on a 204 (RFC 9110 §8.6)."""
    resp = Response(b"", status=status, headers=[*headers, *SECURITY_HEADERS])
    resp.headers.remove("Content-Type")
    return resp


def apply_cors_policy(resp: Response, allowed: bool) -> Response:
    """Drops every Access-Control-* header the app below set (moto reflects any Origin) and
    adds `Access-Control-Allow-Origin: *` where Cognito does."""
    for name in {k for k, _ in resp.headers if k.lower().startswith("access-control-")}:
        del resp.headers[name]
    if allowed:
        resp.headers.add("Access-Control-Allow-Origin", "*")
    return resp


SECURITY_HEADERS = security_headers.common()
