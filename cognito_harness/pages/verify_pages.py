"""The narrative's two verification pages (cognito_harness/web/):

- hosted-ui-verify.html: sends the browser to the managed login and, as the callback,
  exchanges ?code= for tokens; "Signed in as <email>" in role=status, the ID token claims
  in <pre aria-label="ID token claims">, errors in role=alert.
- auth-and-token-verify.html: in-app sign-in with InitiateAuth; asks for the MFA code
  with window.prompt."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Dialog, Locator
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .base import PageObject


class _VerifyPage(PageObject):
    @property
    def status(self) -> Locator:
        return self.page.get_by_role("status")

    @property
    def alert(self) -> Locator:
        return self.page.get_by_role("alert")

    def goto(self, url: str):
        self._open(url)
        return self

    def status_text(self) -> str:
        return self.status.inner_text().strip()

    def alert_text(self, timeout: float | None = 0) -> str:
        """The error shown, or "" (waits up to `timeout` ms for one to appear; None: the
        page's default timeout, i.e. --browser-timeout)."""
        if timeout is None or timeout:
            return self._text_when_visible(self.alert, timeout)
        return self.alert.inner_text().strip() if self.alert.is_visible() else ""

    def claims(self) -> dict[str, Any]:
        """The decoded ID token claims the page shows."""
        pre = self.page.get_by_label("ID token claims")
        pre.wait_for(state="visible")
        return json.loads(pre.inner_text())

    def wait_for_status(self, text: str, timeout: float | None = None) -> str:
        """Wait until role=status contains `text`; an error shown first fails at once.

        One wait through the same locators as every other check (role=alert counts only
        while it is shown: a hidden element has no role), so the page's document is queried
        in one JavaScript world only."""
        done = self.status.filter(has_text=re.compile(re.escape(text))).or_(self.alert)
        try:
            done.first.wait_for(state="visible", timeout=timeout)
        except PlaywrightTimeoutError:
            raise AssertionError(f"the page never showed {text!r}; status {self.status_text()!r}") from None
        error = self.alert_text()
        if error:
            raise AssertionError(f"the page showed an error: {error}")
        return self.status_text()


class CallbackPage(_VerifyPage):
    """hosted-ui-verify.html: both the start of the managed-login sign-in and its callback."""

    def start_sign_in(self) -> None:
        """Choose "Sign in with the managed login" (the browser goes to /oauth2/authorize)."""
        self.page.get_by_role("button", name="Sign in with the managed login").click()

    def wait_until_signed_in(self, timeout: float | None = None) -> str:
        """After the redirect back: wait for the code exchange; returns "Signed in as <email>"."""
        return self.wait_for_status("Signed in as", timeout)

    def signed_in_as(self, timeout: float | None = None) -> str:
        return self.wait_until_signed_in(timeout).removeprefix("Signed in as").strip()


class InAppSignInPage(_VerifyPage):
    """auth-and-token-verify.html: InitiateAuth sign-in, MFA code through window.prompt."""

    def __init__(self, page, selectors=None):
        super().__init__(page, selectors)
        self.prompts: list[str] = []  # the prompt texts the page showed

    def sign_in(self, email: str, password: str, mfa_code: str | None = None, remember_device: bool = False) -> None:
        """Fill the form and choose Sign in. If the page asks for a code (window.prompt) it
        gets `mfa_code`; with None the prompt is dismissed (the page reports the cancel).
        `remember_device` ticks "Remember this device"."""

        def answer(dialog: Dialog) -> None:
            self.prompts.append(dialog.message)
            if dialog.type == "prompt" and mfa_code is not None:
                dialog.accept(mfa_code)
            else:
                dialog.dismiss()

        self.page.once("dialog", answer)
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password", exact=True).fill(password)
        if remember_device:
            self.page.get_by_label("Remember this device").check()
        self.page.get_by_role("button", name="Sign in", exact=True).click()

    def device_remembered(self, timeout: float | None = None) -> bool:
        """Whether the page says this browser is a remembered device (after a sign-in)."""
        try:
            self.page.get_by_text("This device is remembered").wait_for(state="visible", timeout=timeout)
        except Exception:  # noqa: BLE001 - Playwright's timeout: not remembered
            return False
        return True

    def wait_until_signed_in(self, timeout: float | None = None) -> str:
        return self.wait_for_status("Signed in as", timeout)

    def get_credentials(self, timeout: float | None = None) -> str:
        """"Get AWS credentials"; returns "Identity <id>"."""
        self.page.get_by_role("button", name="Get AWS credentials").click()
        return self.wait_for_status("Identity ", timeout)

    def refresh_tokens(self, timeout: float | None = None) -> str:
        self.page.get_by_role("button", name="Refresh tokens").click()
        return self.wait_for_status("Tokens refreshed", timeout)

    def sign_out(self, timeout: float | None = None) -> str:
        self.page.get_by_role("button", name="Sign out").click()
        return self.wait_for_status("Signed out", timeout)
