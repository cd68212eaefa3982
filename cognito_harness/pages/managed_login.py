"""The managed login's sign-in page, in either look: classic (one form: Email, Password,
Sign in) or managed (Email address, Next; then Password, Sign in)."""

from __future__ import annotations

from playwright.sync_api import Locator

from .base import PageObject


class ManagedLoginPage(PageObject):
    def goto(self, url: str) -> "ManagedLoginPage":
        """Open the managed login (an /oauth2/authorize or /login URL)."""
        self._open(url)
        return self

    @property
    def username(self) -> Locator:
        return self._find("username", lambda p: p.get_by_label("Email"))

    @property
    def password(self) -> Locator:
        return self._find("password", lambda p: p.get_by_label("Password", exact=True))

    @property
    def next_button(self) -> Locator:
        return self._find("next", lambda p: p.get_by_role("button", name="Next", exact=True))

    @property
    def submit_button(self) -> Locator:
        return self._find("submit", lambda p: p.get_by_role("button", name="Sign in", exact=True))

    def is_shown(self, timeout: float | None = None) -> bool:
        return self._shown(self.username, timeout)

    def enter_email(self, email: str) -> None:
        """Fill the email; on the two-step page also choose Next. (On the password step,
        where the email is shown read-only, there is nothing to fill.)"""
        if not self.username.is_editable():
            return
        self.username.fill(email)
        if self.next_button.is_visible():
            self.next_button.click()
            self.password.wait_for(state="visible")

    def sign_in(self, email: str, password: str) -> None:
        """Email (+ Next on the two-step page), password, Sign in. Does not wait for what
        comes next: a code page, the callback, or an error on this page."""
        self.enter_email(email)
        self.password.fill(password)
        self.submit_button.click()

    def error_text(self, timeout: float | None = None) -> str:
        """The error shown on the page ("Incorrect username or password."), or "" if none
        appears within `timeout` ms."""
        return self._text_when_visible(self._alert(), timeout)
