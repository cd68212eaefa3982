"""The managed-login emulator (werkzeug Request/Response): which paths it answers and with what.

  GET       /oauth2/authorize   validate, then 302 to /login?<same query>
  GET/POST  /login              sign-in page (classic: one form; managed: email, then password)
  GET/POST  /mfa                authenticator code page (enrolled users)
  GET/POST  /mfa-setup          authenticator set-up page (MFA required, not enrolled)
  POST      /oauth2/token       authorization_code (+PKCE) and refresh_token grants
  GET/POST  /oauth2/userInfo    the signed-in user's attributes (Bearer access token)
  POST      /oauth2/revoke      revoke a refresh token and the tokens minted from it
  GET       /logout             forget the browser's sign-in, 302 to a registered logout_uri
  GET       /error              the error page
  GET       /managed-login-static/<file>   stylesheet
"""

from __future__ import annotations

import re
import sys
import traceback
from importlib import resources
from typing import Callable

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from .. import security_headers
from . import oauth, pages
from .codes import CodeStore
from .flow import COOKIE_NAME, FlowStore
from .responses import clear_flow_cookie, html, json_body, preflight, redirect
from .signin import SignInPages

STATIC_PREFIX = "/managed-login-static/"
_STATIC_NAME = re.compile(r"^[\w-]+\.(css|svg|png)$")
_STATIC_TYPES = {"css": "text/css; charset=utf-8", "svg": "image/svg+xml", "png": "image/png"}


class _Request(Request):
    max_content_length = 256 * 1024
    max_form_memory_size = 64 * 1024


class ManagedLoginApp:
    def __init__(self, info: Callable[[], dict], login_style: str = "classic"):
        if login_style not in pages.STYLES:
            raise ValueError(f"login_style must be one of {pages.STYLES}, not {login_style!r}")
        self.info = info
        self.default_style = login_style
        self.flows = FlowStore()
        self.codes = CodeStore()
        self.sign_in = SignInPages(info, login_style, self.flows, self.codes)
        s = self.sign_in
        self.routes: dict[str, dict[str, Callable[[Request], Response]]] = {
            "/oauth2/authorize": {"GET": self.authorize},
            "/login": {"GET": s.login_get, "POST": s.login_post},
            "/mfa": {"GET": s.code_get, "POST": s.code_post},
            "/mfa-setup": {"GET": s.setup_get, "POST": s.setup_post},
            "/oauth2/token": {"POST": self.token, "OPTIONS": lambda r: preflight("POST, OPTIONS")},
            "/oauth2/userInfo": {"GET": self.userinfo, "POST": self.userinfo,
                                 "OPTIONS": lambda r: preflight("GET, POST, OPTIONS")},
            "/oauth2/revoke": {"POST": self.revoke, "OPTIONS": lambda r: preflight("POST, OPTIONS")},
            "/logout": {"GET": self.logout},
            "/error": {"GET": self.error},
        }
        self.routes["/oauth2/userinfo"] = self.routes["/oauth2/userInfo"]


    @property
    def style(self) -> str:
        return self.sign_in.style
    def handles(self, path: str) -> bool:
        return path in self.routes or path.startswith(STATIC_PREFIX)

    def __call__(self, environ, start_response):
        return self.respond(environ)(environ, start_response)

    def respond(self, environ) -> Response:
        """The answer to one request, as a Response (the embedded server's front calls this
        directly; __call__ is the same as a WSGI app)."""
        req = _Request(environ)
        try:
            resp = self.dispatch(req)
        except HTTPException as err:  # werkzeug's own refusals: a form over the size limits, ...
            resp = html(pages.error(self.style, err.description or err.name), err.code or 400)
        except Exception as err:  # never a traceback with request data in it
            frame = traceback.extract_tb(err.__traceback__)[-1]
            print(f"managed login: internal error {type(err).__name__} at "
                  f"{frame.filename}:{frame.lineno}", file=sys.stderr)
            resp = html(pages.error(self.style, "Something went wrong. Try again."), 500)
        return resp

    def dispatch(self, req: Request) -> Response:
        if req.path.startswith(STATIC_PREFIX):
            return self.static(req)
        methods = self.routes[req.path]
        method = "GET" if req.method == "HEAD" else req.method
        handler = methods.get(method)
        if handler is None:
            resp = html(pages.error(self.style, f"{req.method} is not allowed here."), 405)
            resp.headers["Allow"] = ", ".join(methods)
            return resp
        return handler(req)

    # --- OAuth endpoints ----------------------------------------------------------------

    def authorize(self, req: Request) -> Response:
        try:
            request = oauth.validate_authorize(req.args)
        except oauth.ErrorPage as err:
            return self.sign_in.error_page(err.message, err.status)
        except oauth.RedirectError as err:
            return redirect(err.location)
        return redirect("/login?" + request.query)

    def _oauth_error(self, err: oauth.OAuthError) -> Response:
        extra = {}
        if err.status == 401 and err.error == "invalid_client":
            extra["WWW-Authenticate"] = 'Basic realm="cognito-harness"'
        elif err.status in (401, 403):
            extra["WWW-Authenticate"] = f'Bearer error="{err.error}"'
        return json_body(err.body(), err.status, extra)

    def token(self, req: Request) -> Response:
        if req.mimetype != "application/x-www-form-urlencoded":
            return self._oauth_error(oauth.OAuthError(
                "invalid_request", "Content-Type must be application/x-www-form-urlencoded"))
        try:
            return json_body(oauth.token_grant(req.form, req.headers.get("Authorization"), self.codes))
        except oauth.OAuthError as err:
            return self._oauth_error(err)

    def userinfo(self, req: Request) -> Response:
        try:
            return json_body(oauth.userinfo(oauth.bearer_token(req.headers.get("Authorization"))))
        except oauth.OAuthError as err:
            return self._oauth_error(err)

    def revoke(self, req: Request) -> Response:
        if req.mimetype != "application/x-www-form-urlencoded":
            return self._oauth_error(oauth.OAuthError(
                "invalid_request", "Content-Type must be application/x-www-form-urlencoded"))
        try:
            oauth.revoke(req.form, req.headers.get("Authorization"))
        except oauth.OAuthError as err:
            return self._oauth_error(err)
        return json_body({}, 200)

    # --- sign-out, errors, static -------------------------------------------------------

    def logout(self, req: Request) -> Response:
        try:
            _, location = oauth.validate_logout(req.args)
        except oauth.ErrorPage as err:
            return self.sign_in.error_page(err.message, err.status)
        except oauth.RedirectError as err:
            return redirect(err.location)
        self.flows.drop(req.cookies.get(COOKIE_NAME))
        resp = redirect(location)
        clear_flow_cookie(resp)
        return resp

    def error(self, req: Request) -> Response:
        code = req.args.get("error") or "error"
        return self.sign_in.error_page(f"Error: {code}", 400)

    def static(self, req: Request) -> Response:
        name = req.path[len(STATIC_PREFIX):]
        match = _STATIC_NAME.match(name)
        if req.method not in ("GET", "HEAD") or not match:
            return Response("not found", status=404, content_type="text/plain")
        try:
            data = resources.files("cognito_harness.managed_login").joinpath("static", name).read_bytes()
        except (FileNotFoundError, OSError):
            return Response("not found", status=404, content_type="text/plain")
        resp = Response(data, content_type=_STATIC_TYPES[match.group(1)])
        resp.headers["X-Content-Type-Options"] = security_headers.COMMON["X-Content-Type-Options"]
        resp.headers["Cache-Control"] = "no-cache"  # the stylesheet may be cached, revalidated
        return resp
