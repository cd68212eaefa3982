"""Screenshots of the living documentation, rendered in the headless Chromium.

    .venv/bin/python -m pytest features --living-doc=reports/specs.html
    .venv/bin/python docs/make_report_screenshot.py reports/specs.html

Writes, into docs/screenshots/ (or --out DIR):
- living-doc.png: the top (totals, features, the first scenarios);
- living-doc-browser.png: the first browser scenario with its final page;
- with --failed, living-doc-failure.png: the first failed browser scenario (the step, the page's
  answer and the page it ended on).
The report is opened from disk (file://), as a reader would.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cognito_harness.browser import resolve_browser  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", default="reports/specs.html")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--failed", action="store_true", help="also the first failed scenario")
    args = parser.parse_args()
    path = Path(args.report).resolve()
    if not path.is_file():
        sys.exit(f"{args.report}: no such file (write it first with: .venv/bin/python -m pytest features "
                 f"--living-doc={args.report})")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**resolve_browser().launch_args())
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.goto(path.as_uri())
        shots = [("living-doc.png", None), ("living-doc-browser.png", ".scenario:has(figure)")]
        if args.failed:
            shots.append(("living-doc-failure.png", ".scenario.failed:has(table pre.answer):has(figure)"))
        for name, selector in shots:
            if selector is None:
                page.screenshot(path=str(out / name))
            else:
                element = page.locator(selector).first
                if not element.count():
                    continue
                element.scroll_into_view_if_needed()
                element.screenshot(path=str(out / name))
            print(out / name)
        browser.close()


if __name__ == "__main__":
    main()
