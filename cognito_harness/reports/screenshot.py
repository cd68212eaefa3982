"""The final page of a browser scenario, for the living documentation.

Taken through the scenario's Playwright ``page`` (pytest-playwright's fixture) once the last
step has run, before the page is closed. A page that shows a secret is masked: the managed
login's authenticator set-up page (secret key and QR code), the same way
docs/make_screenshots.py masks it. Passwords are in password fields (dots); tokens are never
displayed by the verification pages (they show the ID token's claims only).
"""

from __future__ import annotations

import base64
from typing import Any

# What may show a TOTP secret: the emulator's set-up page (aria-label "Secret key", the QR code
# image) and the usual shapes of a real managed login's set-up page.
SECRET_SELECTORS = (
    '[aria-label="Secret key" i]',
    "#secret-key",
    ".secret",
    'img[alt*="QR" i]',
    '[role="img"][aria-label*="QR" i]',
    "canvas",
)
TIMEOUT_MS = 5_000


def capture(page: Any) -> tuple[str | None, str]:
    """(base64 PNG or None, a note saying why there is none)."""
    try:
        if page.is_closed():
            return None, "the page was closed before the end of the scenario"
        masks = [page.locator(selector) for selector in SECRET_SELECTORS]
        png = page.screenshot(full_page=True, mask=masks, animations="disabled", timeout=TIMEOUT_MS)
    except Exception as err:  # noqa: BLE001 - a report must not fail the scenario
        return None, f"no screenshot: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    return base64.b64encode(png).decode("ascii"), ""
