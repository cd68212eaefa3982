"""Screenshots of the living documentation for the README, rendered in the headless Chromium.

    .venv/bin/python -m pytest features --living-doc=reports/specs.html
    .venv/bin/python docs/make_report_screenshot.py reports/specs.html

Writes docs/screenshots/living-doc.png (the top: totals, features, the first scenarios) and
docs/screenshots/living-doc-browser.png (a browser scenario with its final page). The report
is opened from disk (file://), as a reader would.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cognito_harness.browser import resolve_browser  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main(report: str) -> None:
    path = Path(report).resolve()
    if not path.is_file():
        sys.exit(f"{report}: no such file (write it first with: .venv/bin/python -m pytest features "
                 f"--living-doc={report})")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**resolve_browser().launch_args())
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.goto(path.as_uri())
        page.screenshot(path=str(OUT / "living-doc.png"))
        print("docs/screenshots/living-doc.png")
        figure = page.locator(".scenario:has(figure)").first
        if figure.count():
            figure.scroll_into_view_if_needed()
            figure.screenshot(path=str(OUT / "living-doc-browser.png"))
            print("docs/screenshots/living-doc-browser.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reports/specs.html")
