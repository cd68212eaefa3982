"""The embedded server's HTTP front (werkzeug Request/Response): routes a request to the
harness controls, the Cognito Identity handler, the managed-login emulator, the
verification pages, or moto.

Paths (all on one 127.0.0.1 port):
  GET  /_harness/clock            {"now": <epoch s>, "offset": <s>}
  POST /_harness/clock            body {"advance": <seconds>} moves the clock forward
  GET  /_harness/info             the serve JSON line (without the admin secret key)
  POST /_harness/login-style      body {"style": "classic" | "managed"} switches the managed login's look
  POST /_harness/reset            back to the narrative's starting world (pool, users, look)
  GET  /<pool_id>/.well-known/jwks.json, /openid-configuration   the pool's own keys
  GET  /verify/<page>.html, /verify/config.json                 the narrative's pages
  /oauth2/*, /login, /logout, /mfa ...                            managed-login emulator
  anything else                                                   moto (IDP, Identity, STS, S3, IAM)

Every request passes guard.py first (bounded body, moto's debug surface, the controls'
token, CORS). The managed login (managed_login/app.py, werkzeug too) answers a Response;
moto stays a WSGI app below this front, its answer taken as a Response
(`Response.from_app`), so the CORS policy is applied to every answer in one place.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
import sys
import threading
import traceback
from importlib import resources
from typing import TYPE_CHECKING, Callable

from moto.cognitoidp.models import cognitoidp_backends
from moto.core import DEFAULT_ACCOUNT_ID
from werkzeug.wrappers import Request, Response

from .. import security_headers, web_pages
from ..clock import CLOCK
from . import api_requests, guard, identity, install
from .guard import SECURITY_HEADERS

if TYPE_CHECKING:
    from ..managed_login import ManagedLoginApp

_WELL_KNOWN = re.compile(r"^/([\w-]+_[0-9A-Za-z]+)/\.well-known/(jwks\.json|openid-configuration)$")
_VERIFY = re.compile(r"^/verify/([\w.-]+\.(?:html|js|css))$")
SECRET_INFO_KEYS = ("admin_secret_access_key", "harness_token")  # never in GET /_harness/info
_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            413: "Payload Too Large", 415: "Unsupported Media Type", 500: "Internal Server Error"}


def json_response(status: int, payload, extra_headers=()) -> Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload, allow_nan=False).encode()
    return Response(body, status=f"{status} {_REASONS.get(status, '')}".rstrip(),
                    headers=[("Content-Type", "application/json"), *SECURITY_HEADERS, *extra_headers])


def _json_body(req: Request):
    """The body as JSON (ValueError if it is not JSON, or not UTF-8)."""
    return json.loads(guard.body_of(req) or b"{}")


def _api_error(err: api_requests.ApiError) -> Response:
    return json_response(err.status, err.body(), [("X-Amzn-ErrorType", err.kind)])


# moto's IAM check on an unsigned request it routed to a signed service (STS, IAM, S3...)
_MISSING_TOKEN_XML = (b'<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Type>Sender</Type>'
                      b'<Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token'
                      b'</Message></Error></ErrorResponse>')


class PageFiles:
    """The verification pages' files, read once and kept with their size and modification
    time; read again when either changed, so an edited page is served as edited. (Where the
    package is not plain files, e.g. a zip, every request reads the file, as before.)"""

    def __init__(self, root=None) -> None:
        self.root = root if root is not None else resources.files("cognito_harness.web")
        self._kept: dict[str, tuple[tuple[int, int], bytes]] = {}
        self._lock = threading.Lock()

    def read(self, name: str) -> bytes:
        """The page file as it is now (FileNotFoundError if there is none)."""
        path = self.root.joinpath(name)
        try:
            stat = os.stat(os.fspath(path))
        except TypeError:  # not a file on disk
            return path.read_bytes()
        version = (stat.st_mtime_ns, stat.st_size)
        kept = self._kept.get(name)
        if kept is not None and kept[0] == version:
            return kept[1]
        data = path.read_bytes()
        with self._lock:
            self._kept[name] = (version, data)
        return data


class HarnessApp:
    def __init__(self, moto_app: Callable, info: Callable[[], dict], managed_login: "ManagedLoginApp | None" = None,
                 fidelity: bool = True, set_login_style: Callable[[str], None] | None = None,
                 expose_moto_api: bool = False, reset: Callable[[], dict] | None = None):
        self.fidelity = fidelity
        self.expose_moto_api = expose_moto_api
        self.reset = reset
        self.set_login_style = set_login_style
        self.moto_app = moto_app
        self.info = info
        self.managed_login = managed_login
        self.pages = PageFiles()

    def __call__(self, environ, start_response):
        req = Request(environ)
        try:
            resp = self.respond(req)
        except KeyError as err:
            if str(err.args[0] if err.args else "").lower() not in ("authorization", "http_authorization"):
                resp = self._internal_error(err)
            else:
                resp = Response(_MISSING_TOKEN_XML, status="403 Forbidden",
                                headers=[("Content-Type", "text/xml"), *SECURITY_HEADERS])
        except Exception as err:  # last resort: never a traceback with request data in it
            resp = self._internal_error(err)
        return resp(environ, start_response)

    @staticmethod
    def _internal_error(err) -> Response:
        frame = traceback.extract_tb(err.__traceback__)[-1]
        print(f"cognito-harness: internal error {type(err).__name__} at {frame.filename}:{frame.lineno}",
              file=sys.stderr)
        return json_response(500, {"__type": "InternalErrorException",
                                   "message": "Internal error in the embedded target."})

    def respond(self, req: Request) -> Response:
        path = req.path
        if guard.is_preflight(req):
            return guard.preflight(req)
        refusal = guard.read_body(req) or guard.debug_surface_refusal(path, self.expose_moto_api)
        if refusal is None and path.startswith(guard.CONTROL_PREFIX):
            refusal = guard.control_refusal(req, self.info().get("harness_token", ""))
        if refusal is not None:
            return json_response(refusal.status, refusal.payload, [("Connection", "close")] if refusal.close else [])
        return guard.apply_cors_policy(self._route(req, path), guard.cors_allowed(req))

    def _route(self, req: Request, path: str) -> Response:
        method = req.method
        if path.startswith(guard.CONTROL_PREFIX):
            return self._control(req, path, method)
        if not self.fidelity:  # plain moto behind the harness controls
            return self._moto(req)
        match = _WELL_KNOWN.match(path)
        if match and method == "GET":
            return self._well_known(match.group(1), match.group(2))
        target = req.headers.get("X-Amz-Target", "")
        if api_requests.is_cognito_target(target):
            return self._cognito_api(req, target)
        match = _VERIFY.match(path)
        if match or path == "/verify/config.json":
            if method not in ("GET", "HEAD"):
                return json_response(405, {"error": "the verification pages answer GET only"}, [("Allow", "GET, HEAD")])
            return self._verify_page(match.group(1) if match else "config.json")
        if self.managed_login is not None and self.managed_login.handles(path):
            return self.managed_login.respond(req.environ)
        return self._moto(req)

    def _moto(self, req: Request) -> Response:
        """moto's answer (a WSGI app below this front), as a Response."""
        return Response.from_app(self.moto_app, req.environ)

    # --- harness controls ----------------------------------------------------------------

    def _control(self, req: Request, path: str, method: str) -> Response:
        if path == "/_harness/clock":
            if method == "POST":
                try:
                    body = _json_body(req)
                    if not isinstance(body, dict) or isinstance(body.get("advance"), bool) or "advance" not in body:
                        raise ValueError("no number of seconds")
                    CLOCK.advance(float(body["advance"]))
                except (ValueError, TypeError, AttributeError, OverflowError) as err:
                    return json_response(400, {"error": f"body must be {{\"advance\": <seconds >= 0>}}: {err}"})
            elif method != "GET":
                return json_response(405, {"error": "GET or POST"})
            return json_response(200, {"now": CLOCK.now(), "offset": CLOCK.offset})
        if path == "/_harness/login-style" and method == "POST" and self.set_login_style:
            try:
                body = _json_body(req)
            except ValueError:
                body = None
            style = body.get("style") if isinstance(body, dict) else None
            if style not in ("classic", "managed"):
                return json_response(400, {"error": 'body must be {"style": "classic" | "managed"}'})
            self.set_login_style(style)
            return json_response(200, {"login_style": style})
        if path == "/_harness/reset" and method == "POST" and self.reset:
            return json_response(200, self.reset())
        if path == "/_harness/info" and method == "GET":
            public = {k: v for k, v in self.info().items() if k not in SECRET_INFO_KEYS}
            return json_response(200, public)
        return json_response(404, {"error": f"unknown harness control {path}"})

    # --- per-pool keys -------------------------------------------------------------------

    def _well_known(self, pool_id: str, doc: str) -> Response:
        pool = None
        for _, _, backend in cognitoidp_backends.iter_backends():
            pool = backend.user_pools.get(pool_id) or pool
        if pool is None:
            return json_response(404, {"__type": "ResourceNotFoundException",
                                       "message": f"User pool {pool_id} does not exist."})
        if doc == "jwks.json":
            return json_response(200, pool.public_jwks())
        base = self.info().get("endpoint_url", "").rstrip("/")  # never the request's Host
        return json_response(200, {
            "issuer": pool.issuer,
            "jwks_uri": f"{base}/{pool_id}/.well-known/jwks.json",
            "authorization_endpoint": f"{base}/oauth2/authorize",
            "token_endpoint": f"{base}/oauth2/token",
            "userinfo_endpoint": f"{base}/oauth2/userInfo",
            "revocation_endpoint": f"{base}/oauth2/revoke",
            "end_session_endpoint": f"{base}/logout",
            "response_types_supported": ["code"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256", "plain"],
        })

    # --- the Cognito JSON APIs ------------------------------------------------------------

    def _cognito_api(self, req: Request, target: str) -> Response:
        """Checked against the service model (api_requests.py), then the identity handler or
        moto; moto's XML auth errors answered as Cognito's JSON ones."""
        try:
            guard.check_signature_header(req)
            api_requests.check(target, guard.body_of(req))
            if not req.headers.get("Authorization") and install.needs_signature(target):
                raise api_requests.ApiError("MissingAuthenticationTokenException", "Missing Authentication Token")
        except api_requests.ApiError as err:
            return _api_error(err)
        operation = target.partition(".")[2]
        if target.startswith("AWSCognitoIdentityService.") and operation in identity.HANDLED:
            return self._identity(req, operation)
        try:
            resp = Response.from_app(self.moto_app, req.environ, buffered=True)
        except NotImplementedError:
            return _api_error(api_requests.ApiError(
                "UnsupportedOperationException",
                f"{operation} is not emulated by the embedded target of cognito-mfa-harness; "
                "run this against a real pool"))
        except Exception as err:
            # A request the service model accepts but moto's code trips over (e.g. a schema
            # attribute without a name): a refusal naming the emulator, not a 500. An error in
            # the harness's own code is not caught here (the 500 of __call__).
            frame = traceback.extract_tb(err.__traceback__)[-1]
            if "/moto/" not in frame.filename.replace("\\", "/"):
                raise
            print(f"cognito-harness: moto could not process {operation}: {type(err).__name__} at "
                  f"{frame.filename}:{frame.lineno}", file=sys.stderr)
            return _api_error(api_requests.ApiError(
                "InvalidParameterException",
                f"The embedded target cannot process this {operation} request (moto fails on it with "
                f"{type(err).__name__}); check the parameters, or run it against a real pool."))
        converted = api_requests.auth_error_as_json(resp.status, resp.get_data())
        return _api_error(converted) if converted is not None else resp

    # --- identity pools ------------------------------------------------------------------

    def _identity(self, req: Request, operation: str) -> Response:
        try:
            body = _json_body(req)
            account = self.info().get("account_id", DEFAULT_ACCOUNT_ID)
            return json_response(200, identity.handle(operation, body, account))
        except identity.IdentityError as err:
            return json_response(err.status, identity.error_body(err))
        except ValueError:
            return json_response(400, {"__type": "SerializationException", "message": "body is not JSON"})

    # --- verification pages --------------------------------------------------------------

    def _verify_page(self, name: str) -> Response:
        if name == "config.json":
            return json_response(200, web_pages.settings(self.info()))
        try:
            data = web_pages.with_settings(self.pages.read(name), web_pages.settings(self.info()))
        except (FileNotFoundError, OSError):
            return json_response(404, {"error": f"no page {name}"})
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return Response(data, status="200 OK", headers=[
            ("Content-Type", f"{ctype}; charset=utf-8"),
            *security_headers.html_page(security_headers.VERIFY_PAGE_CSP)])
