"""The narrative's browser journeys, one call each, over the page objects.

A `Journey` drives one browser page: it starts the managed login from the
hosted-ui-verify page (which generates `state` and the PKCE pair), signs in, answers the
authenticator page or the set-up page, and records which managed-login endpoints the
browser called (URLs only, kept in memory) so specs can check PKCE and the code exchange.

On a real pool whose callback URL is not on this machine, the harness is the callback
(`captured_callback.py`): same questions, answered from the redirect it caught.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page

from .callback_site import is_local_callback
from .captured_callback import CapturedCallback
from .pages.base import DEFAULT_TIMEOUT_MS
from .pages import AuthenticatorCodePage, CallbackPage, InAppSignInPage, ManagedLoginPage, MfaSetupPage
from .target import Target

@dataclass
class Journey:
    page: Page
    target: Target
    authorize_queries: list[dict] = field(default_factory=list)
    token_requests: list[dict] = field(default_factory=list)
    in_app_url: str | None = None  # where the in-app page is served (None: beside the callback)
    captured: CapturedCallback | None = None
    came_back_to_callback: bool = False  # the managed login redirected to the callback (code or error)

    def __post_init__(self) -> None:
        self.page.on("request", self._seen)

    @property
    def harness_is_callback(self) -> bool:
        return not self.target.is_embedded and not is_local_callback(self.target.callback_url)

    def _seen(self, request) -> None:
        if self.captured is not None:
            self.captured.seen(request.url)
        url = urlsplit(request.url)
        if url.path == urlsplit(self.target.callback_url).path and ("code=" in url.query or "error=" in url.query):
            self.came_back_to_callback = True
        if url.path.endswith("/oauth2/authorize"):
            self.authorize_queries.append({k: v[0] for k, v in parse_qs(url.query).items()})
        elif url.path.endswith("/oauth2/token") and request.method == "POST":
            form = parse_qs(request.post_data or "")
            self.token_requests.append({k: v[0] for k, v in form.items()})

    @property
    def selectors(self) -> dict:
        return self.target.login_selectors

    # --- pages ---------------------------------------------------------------------------

    def login_page(self) -> ManagedLoginPage:
        return ManagedLoginPage(self.page, self.selectors)

    def code_page(self) -> AuthenticatorCodePage:
        return AuthenticatorCodePage(self.page, self.selectors)

    def setup_page(self) -> MfaSetupPage:
        return MfaSetupPage(self.page, self.selectors)

    def callback_page(self) -> CallbackPage:
        return CallbackPage(self.page, self.selectors)

    # --- journeys ------------------------------------------------------------------------

    def start_managed_login(self) -> ManagedLoginPage:
        """Open the hosted-ui-verify page and follow "Sign in with the managed login"
        (or, when the harness is the callback, go to /oauth2/authorize with its own PKCE)."""
        if self.harness_is_callback:
            self.captured = CapturedCallback(self.target.managed_login_url, self.target.client_id,
                                             self.target.callback_url)
            self.login_page().goto(self.captured.authorize_url())
        else:
            callback = self.callback_page()
            callback.goto(self.target.callback_url)
            callback.start_sign_in()
        login = self.login_page()
        assert login.is_shown(), f"the managed login did not open (at {urlsplit(self.page.url).path})"
        return login

    def sign_in(self, email: str, password: str) -> None:
        self.start_managed_login().sign_in(email, password)

    def forge_callback(self) -> None:
        """A sign-in response this page did not ask for: a code with another state."""
        forged = self.target.callback_url.split("?")[0] + "?code=forged-code&state=not-the-state-this-page-sent"
        if self.captured is not None:
            self.captured.redirected_to = forged
        else:
            self.page.goto(forged)

    def asked_for_code(self, timeout_ms: float = DEFAULT_TIMEOUT_MS) -> bool:
        """After email and password: True as soon as the managed login shows its code page,
        False as soon as it sends the browser back to the callback (it asked for nothing)."""
        deadline = time.monotonic() + timeout_ms / 1000
        code_field = self.code_page().code
        while time.monotonic() < deadline:
            if self.came_back_to_callback or (self.captured is not None and self.captured.redirected_to):
                return False
            if code_field.is_visible():
                return True
            self.page.wait_for_timeout(50)
        raise AssertionError("the managed login neither asked for a code nor sent the browser back to the callback "
                             f"within {timeout_ms / 1000:.0f} s (at {urlsplit(self.page.url).path})")

    # --- what the callback made of it ----------------------------------------------------

    def signed_in_claims(self) -> dict:
        """The ID token claims the callback obtained (fails with the callback's error)."""
        if self.captured is not None:
            claims = self.captured.complete(self.token_requests.append)
            assert claims, f"the callback did not sign in: {self.captured.error}"
            return claims
        callback = self.callback_page()
        callback.wait_until_signed_in()
        return callback.claims()

    def refusal(self) -> str:
        """What the callback said when it refused a response."""
        if self.captured is not None:
            self.captured.complete(self.token_requests.append)
            return self.captured.error
        return self.callback_page().alert_text(timeout=None)

    def in_app_sign_in(self, email: str, password: str, code: str | None,
                       remember_device: bool = False) -> InAppSignInPage:
        """The in-app page sits beside the callback page (on the embedded server, or on the
        local site the harness serves for a real pool). With `remember_device` the page's clock
        is set to the target's first: the device proof is stamped with the page's time, which
        the pool compares with its own (the embedded pool's clock may have been moved)."""
        page = InAppSignInPage(self.page, self.selectors)
        if remember_device:
            self.page.clock.set_system_time(self.target.clock.now())
        page.goto(self.in_app_url or self.target.callback_url.rsplit("/", 1)[0] + "/auth-and-token-verify.html")
        page.sign_in(email, password, code, remember_device)
        return page
