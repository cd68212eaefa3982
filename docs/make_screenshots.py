"""Screenshots of the managed-login emulator and the verification pages for the README.

    .venv/bin/python docs/make_screenshots.py

Runs the embedded pool, drives the pages with the same page objects the specs use and writes
docs/screenshots/*.png. The set-up page's secret and QR code are masked.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cognito_harness import flows  # noqa: E402
from cognito_harness.authenticator import Authenticator  # noqa: E402
from cognito_harness.browser import resolve_browser  # noqa: E402
from cognito_harness.browser_flows import Journey  # noqa: E402
from cognito_harness.config import load_config  # noqa: E402
from cognito_harness.embedded.server import EmbeddedServer  # noqa: E402
from cognito_harness.target import embedded_target  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    config = load_config(ROOT / "scenarios.yaml")
    server = EmbeddedServer(config)
    target = embedded_target(config, server.start())
    mfa = config.mfa_persona
    choice = resolve_browser()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**choice.launch_args())

        def journey() -> Journey:
            page = browser.new_page(viewport={"width": 900, "height": 640})
            return Journey(page, target)

        def shot(j: Journey, name: str, mask=()) -> None:
            j.page.screenshot(path=str(OUT / f"{name}.png"), mask=list(mask))
            print(f"docs/screenshots/{name}.png")

        for style in ("classic", "managed"):
            target.set_login_style(style)
            j = journey()
            j.start_managed_login()
            shot(j, f"login-{style}")
        target.set_login_style("classic")

        j = journey()
        j.sign_in("demo@example.com", "not-the-password")
        j.login_page().error_text()
        shot(j, "login-error")

        target.set_pool_mfa("OPTIONAL", totp=True)
        target.create_user(mfa.email, mfa.password)
        app = flows.enrol(target, mfa.email, mfa.password, config.authenticator.issuer)
        j = journey()
        j.sign_in(mfa.email, mfa.password)
        j.code_page().is_shown()
        shot(j, "code-page")
        j.code_page().enter("000000")
        j.code_page().error_text()
        shot(j, "code-error")
        j.code_page().enter(app.fresh_code())
        j.callback_page().signed_in_as()
        shot(j, "callback")

        target.set_pool_mfa("ON", totp=True)
        target.create_user("new-user@example.com", mfa.password)
        j = journey()
        j.sign_in("new-user@example.com", mfa.password)
        setup = j.setup_page()
        setup.is_shown()
        Authenticator(setup.secret(), "new-user@example.com", "cognito-demo", target.clock)
        shot(j, "setup-page", mask=[setup.qr_code, j.page.get_by_label("Secret key")])
        browser.close()
    server.stop()


if __name__ == "__main__":
    main()
