"""The managed login's authenticator pages: the code page (users with TOTP MFA) and the
set-up page (pools where MFA is required, users without an authenticator yet)."""

from __future__ import annotations

from playwright.sync_api import Locator

from .base import PageObject


class AuthenticatorCodePage(PageObject):
    """"Enter the code from your authenticator app": Code, Sign in."""

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", name="authenticator app")

    @property
    def code(self) -> Locator:
        return self._find("code", lambda p: p.get_by_label("Code", exact=True))

    @property
    def submit_button(self) -> Locator:
        return self._find("code_submit", lambda p: p.get_by_role("button", name="Sign in", exact=True))

    def is_shown(self, timeout: float | None = None) -> bool:
        """True once the code field is visible (within `timeout` ms)."""
        return self._shown(self.code, timeout)

    def title(self) -> str:
        """The page's heading (it names the authenticator app)."""
        return self.heading.first.inner_text().strip()

    def enter(self, code: str) -> None:
        self.code.fill(code)
        self.submit_button.click()

    def error_text(self, timeout: float | None = None) -> str:
        return self._text_when_visible(self._alert(), timeout)

    def sign_in_again(self) -> None:
        """After "Invalid session for the user...": back to the sign-in page."""
        self.page.get_by_role("link", name="Sign in again").click()


class MfaSetupPage(AuthenticatorCodePage):
    """"Set up an authenticator app": QR code, Secret key, Code, Verify."""

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", name="Set up an authenticator app")

    @property
    def qr_code(self) -> Locator:
        return self.page.get_by_role("img", name="QR code")

    @property
    def submit_button(self) -> Locator:
        return self._find("code_submit", lambda p: p.get_by_role("button", name="Verify", exact=True))

    def is_shown(self, timeout: float | None = None) -> bool:
        return self._shown(self._secret(), timeout)

    def _secret(self) -> Locator:
        return self._find("secret", lambda p: p.get_by_label("Secret key", exact=True))

    def secret(self) -> str:
        """The secret key shown as text (52 base32 characters), spaces removed."""
        return "".join(self._secret().inner_text().split())
