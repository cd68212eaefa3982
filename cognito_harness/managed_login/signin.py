"""The sign-in pages: /login (password), /mfa (authenticator code), /mfa-setup
(authenticator set-up in a pool where MFA is required).

Each POST needs the flow cookie and that flow's CSRF token (403 otherwise). The sign-in
itself is the backend's: the same rules as InitiateAuth / RespondToAuthChallenge /
AssociateSoftwareToken / VerifySoftwareToken, called in process through
cognito_harness/embedded/pool_access.py (the emulator's one door to the pools)."""

from __future__ import annotations

from typing import Callable

from werkzeug.wrappers import Request, Response

from ..embedded.pool_access import PoolError
from . import pages, qr
from .codes import CodeStore
from .flow import COOKIE_NAME, STAGE_CODE, STAGE_SETUP, FlowStore, SignInFlow
from .oauth import AuthorizeRequest, ErrorPage, RedirectError, callback_location, validate_authorize
from .responses import html, redirect, set_flow_cookie

DEFAULT_ISSUER = "cognito-demo"
MSG_FORBIDDEN = "The form has expired or did not come from this page. Go back to the app and sign in again."
MSG_NO_SIGN_IN = "There is no sign-in in progress here. Go back to the app and sign in again."
MSG_TOO_MANY_CODES = "That was the last attempt for this sign-in."
MSG_NEW_PASSWORD = ("This account must set a new password first. The embedded managed login does not "
                    "emulate that page: give the user a permanent password (admin-set-user-password).")


class SignInPages:
    def __init__(self, info: Callable[[], dict], style: str, flows: FlowStore, codes: CodeStore):
        self.info = info
        self.default_style = style
        self.flows = flows
        self.codes = codes

    @property
    def style(self) -> str:
        """The look, read per request: the server's login_style can be switched at run time
        (POST /_harness/login-style), so one server serves both looks."""
        style = self.info().get("login_style") or self.default_style
        return style if style in pages.STYLES else self.default_style

    # --- helpers ------------------------------------------------------------------------

    def error_page(self, message: str, status: int = 400) -> Response:
        return html(pages.error(self.style, message), status)

    def _authorize(self, req: Request) -> AuthorizeRequest | Response:
        try:
            return validate_authorize(req.args)
        except ErrorPage as err:
            return self.error_page(err.message, err.status)
        except RedirectError as err:
            return redirect(err.location)

    def _flow_at(self, req: Request, stage: str, posted: bool) -> SignInFlow | Response:
        """The browser's sign-in flow if it is at `stage` (a form post must also carry the
        flow's CSRF token); otherwise the error page to answer with."""
        flow = self._posted_flow(req) if posted else self.flows.get(req.cookies.get(COOKIE_NAME))
        if flow is None and posted:
            return self.error_page(MSG_FORBIDDEN, 403)
        if flow is None or flow.stage != stage:
            return self.error_page(MSG_NO_SIGN_IN)
        return flow

    def _posted_flow(self, req: Request) -> SignInFlow | None:
        """The browser's flow, if the form carries its CSRF token (else None: answer 403)."""
        flow = self.flows.get(req.cookies.get(COOKIE_NAME))
        if flow is None or not flow.csrf_ok(req.form.get("_csrf")):
            return None
        return flow

    def _password_form(self, flow: SignInFlow, auth: AuthorizeRequest, email: str, error: str) -> Response:
        action = "/login?" + auth.query
        if self.style == "managed" and email:
            body = pages.password_step(action, flow.csrf, email, error)
        else:
            body = pages.sign_in(self.style, action, flow.csrf, email, error)
        return html(body, redirect_uri=auth.redirect_uri)

    def _complete(self, flow: SignInFlow, auth: AuthorizeRequest, username: str) -> Response:
        code = self.codes.issue(
            pool_id=auth.client.pool_id, client_id=auth.client_id, redirect_uri=auth.redirect_uri,
            username=username, scopes=auth.scopes, code_challenge=auth.code_challenge,
            code_challenge_method=auth.code_challenge_method, nonce=auth.nonce)
        flow.reset()
        return redirect(callback_location(auth, code))

    def _ended(self, flow: SignInFlow, message: str) -> Response:
        restart = "/login?" + flow.request.query
        flow.reset()
        return html(pages.session_ended(self.style, message, restart))

    # --- /login -------------------------------------------------------------------------

    def login_get(self, req: Request) -> Response:
        auth = self._authorize(req)
        if isinstance(auth, Response):
            return auth
        flow, _ = self.flows.get_or_create(req.cookies.get(COOKIE_NAME))
        flow.reset()
        resp = html(pages.sign_in(self.style, "/login?" + auth.query, flow.csrf), redirect_uri=auth.redirect_uri)
        set_flow_cookie(resp, flow.id)
        return resp

    def login_post(self, req: Request) -> Response:
        flow = self._posted_flow(req)
        if flow is None:
            return self.error_page(MSG_FORBIDDEN, 403)
        auth = self._authorize(req)
        if isinstance(auth, Response):
            return auth
        flow.reset()
        email = (req.form.get("username") or "").strip()
        password = req.form.get("password")
        action = "/login?" + auth.query
        if self.style == "managed" and password is None:  # step 1 of 2: the email address
            if not email:
                return html(pages.email_step(action, flow.csrf, "", "Enter your email address."),
                            redirect_uri=auth.redirect_uri)
            return html(pages.password_step(action, flow.csrf, email), redirect_uri=auth.redirect_uri)
        client = auth.client
        try:
            result = client.sign_in(email, password or "")
        except PoolError as err:
            return self._password_form(flow, auth, email, err.message)
        if "SignedIn" in result:
            return self._complete(flow, auth, result["SignedIn"])
        challenge = result.get("ChallengeName")
        if challenge == "SOFTWARE_TOKEN_MFA":
            flow.stage, flow.request, flow.email = STAGE_CODE, auth, email
            flow.cognito_session = result["Session"]
            return redirect("/mfa")
        if challenge == "MFA_SETUP":
            try:
                assoc = client.associate_software_token(result["Session"])
            except PoolError as err:
                return self._password_form(flow, auth, email, err.message)
            flow.stage, flow.request, flow.email = STAGE_SETUP, auth, email
            flow.cognito_session, flow.secret = assoc["Session"], assoc["SecretCode"]
            return redirect("/mfa-setup")
        if challenge == "NEW_PASSWORD_REQUIRED":
            return self._password_form(flow, auth, email, MSG_NEW_PASSWORD)
        return self._password_form(flow, auth, email, f"Unsupported challenge {challenge}")

    # --- /mfa ---------------------------------------------------------------------------

    def code_get(self, req: Request) -> Response:
        flow = self._flow_at(req, STAGE_CODE, posted=False)
        if isinstance(flow, Response):
            return flow
        return html(pages.authenticator_code(self.style, flow.csrf), redirect_uri=flow.request.redirect_uri)

    def code_post(self, req: Request) -> Response:
        flow = self._flow_at(req, STAGE_CODE, posted=True)
        if isinstance(flow, Response):
            return flow
        auth = flow.request
        code = (req.form.get("totp_code") or "").strip()
        try:
            result = auth.client.answer_code(flow.cognito_session, flow.email, code)
        except PoolError as err:
            if err.code == "NotAuthorizedException":  # the challenge session is over
                return self._ended(flow, err.message)
            if not auth.client.challenge_session_live(flow.cognito_session):
                return self._ended(flow, f"{err.message}. {MSG_TOO_MANY_CODES}")
            return html(pages.authenticator_code(self.style, flow.csrf, err.message),
                        redirect_uri=auth.redirect_uri)
        return self._complete(flow, auth, result["SignedIn"])

    # --- /mfa-setup ---------------------------------------------------------------------

    def _setup_page(self, flow: SignInFlow, error: str | None = None) -> Response:
        issuer = self.info().get("authenticator_issuer") or DEFAULT_ISSUER
        uri = qr.otpauth_uri(issuer, flow.email, flow.secret)
        body = pages.authenticator_setup(self.style, flow.csrf, qr.qr_svg_data_uri(uri), flow.secret, error)
        return html(body, redirect_uri=flow.request.redirect_uri)

    def setup_get(self, req: Request) -> Response:
        flow = self._flow_at(req, STAGE_SETUP, posted=False)
        if isinstance(flow, Response):
            return flow
        return self._setup_page(flow)

    def setup_post(self, req: Request) -> Response:
        flow = self._flow_at(req, STAGE_SETUP, posted=True)
        if isinstance(flow, Response):
            return flow
        auth = flow.request
        code = (req.form.get("totp_code") or "").strip()
        try:
            verified = auth.client.verify_software_token(flow.cognito_session, code)
        except PoolError as err:
            if err.code == "NotAuthorizedException":
                return self._ended(flow, err.message)
            return self._setup_page(flow, err.message)
        flow.cognito_session = verified["Session"]
        try:
            result = auth.client.finish_setup(flow.cognito_session, flow.email)
        except PoolError as err:
            return self._ended(flow, err.message)
        return self._complete(flow, auth, result["SignedIn"])
