"""What the page objects share: locators that a `selectors` dict can override.

Keys (scenarios.yaml `login_selectors`): username, password, next, submit, code,
code_submit, error, secret. A key given there is a CSS selector for a real pool's
branded pages; otherwise the role/label locator of the page object is used. Either way
only visible elements count (the classic hosted UI renders its form twice, one hidden)."""

from __future__ import annotations

from typing import Callable, Mapping

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

#: How long a browser wait (a page, a field, a message) lasts before the step fails, unless
#: `--browser-timeout` / HARNESS_BROWSER_TIMEOUT says otherwise. The harness sets it as the
#: browser context's default timeout (cognito_harness.pytest_browser); the page objects' waits
#: take `timeout=None`, i.e. that default. Playwright's own default would be 30 s.
DEFAULT_TIMEOUT_MS = 5000


class PageObject:
    def __init__(self, page: Page, selectors: Mapping[str, str] | None = None):
        self.page = page
        self.selectors = dict(selectors or {})

    def _find(self, key: str, default: Callable[[Page], Locator]) -> Locator:
        css = self.selectors.get(key)
        locator = self.page.locator(css) if css else default(self.page)
        return locator.filter(visible=True).first

    def _open(self, url: str) -> None:
        """Go to `url`; a page that answers with an HTTP error fails here, at once and by
        name, instead of in the next step's wait for something the error page lacks."""
        response = self.page.goto(url)
        if response is not None and response.status >= 400:
            path = url.split("?", 1)[0]
            raise AssertionError(f"{path} answered HTTP {response.status}: the page is not served there")

    def _text_when_visible(self, locator: Locator, timeout: float | None) -> str:
        try:
            locator.wait_for(state="visible", timeout=timeout)
        except PlaywrightTimeoutError:
            return ""
        return locator.inner_text().strip()

    def _shown(self, locator: Locator, timeout: float | None) -> bool:
        try:
            locator.wait_for(state="visible", timeout=timeout)
            return True
        except PlaywrightTimeoutError:
            return False

    def _alert(self) -> Locator:
        return self._find("error", lambda p: p.get_by_role("alert"))
