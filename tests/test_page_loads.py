"""What a page load costs the browser (issue 9): the managed login's pages and the
verification pages, as the embedded server serves them, load without further requests —
the stylesheet is in the page, and so are the verification pages' settings (a plain file
server's copy of the pages still fetches config.json: tests/test_browser_plumbing.py).
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from cognito_harness import web_pages


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read().decode("utf-8")


def _settings_in(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="settings">(.*?)</script>', html, re.S)
    assert match, "the page has no settings element"
    return json.loads(match.group(1))


@pytest.mark.parametrize("name", ["hosted-ui-verify.html", "auth-and-token-verify.html"])
def test_verification_pages_carry_the_settings_config_json_serves(embedded, name):
    html = _get(f"{embedded.endpoint_url}/verify/{name}")
    config = json.loads(_get(f"{embedded.endpoint_url}/verify/config.json"))
    assert _settings_in(html) == config
    assert config["client_id"] == embedded.client_id and config["callback_url"] == embedded.callback_url


def test_no_settings_value_can_close_the_script_element():
    hostile = {"client_id": "</script><script>alert(1)</script>", "callback_url": "https://x/?a=1&b=<2>"}
    page = web_pages.with_settings(b"<p>" + web_pages.SETTINGS_SLOT + b"</p>", hostile).decode()
    assert page.count("</script>") == 1 and "<script>alert" not in page
    assert _settings_in(page) == hostile


def test_a_page_without_the_settings_element_is_served_as_it_is():
    assert web_pages.with_settings(b"<p>plain</p>", {"client_id": "x"}) == b"<p>plain</p>"


def test_managed_login_pages_load_no_stylesheet_or_script(embedded):
    query = urlencode({"response_type": "code", "client_id": embedded.client_id,
                       "redirect_uri": embedded.callback_url, "scope": "openid email"})
    html = _get(f"{embedded.endpoint_url}/login?{query}")
    assert "<link" not in html and "src=" not in html, "the sign-in page asks for another resource"
    assert re.search(r"<style>[^<]*\.card \{", html), "the stylesheet is not in the page"


def test_the_journey_to_the_managed_login_makes_only_its_own_requests(page, embedded):
    """The start page reads its inline settings (no config.json), the sign-in page has its
    stylesheet inline: three requests from the start page to the sign-in form."""
    paths: list[str] = []
    page.on("request", lambda request: paths.append(urlsplit(request.url).path))
    page.goto(embedded.callback_url)
    page.get_by_role("button", name="Sign in with the managed login").click()
    page.get_by_label("Email").wait_for()
    assert paths == [urlsplit(embedded.callback_url).path, "/oauth2/authorize", "/login"]


# --- the verification pages' status wait: one wait, in the locators' world ------------------

_STATUS_PAGE = """<div role="status"></div><div role="alert" hidden>{hidden_alert}</div>
<script>setTimeout(() => {{ {later} }}, 50);</script>"""


def _status_page(page, later: str, hidden_alert: str = ""):
    from cognito_harness.pages.verify_pages import CallbackPage

    page.set_content(_STATUS_PAGE.format(later=later, hidden_alert=hidden_alert))
    return CallbackPage(page)


def test_status_wait_returns_the_status_once_it_shows_the_text(page):
    callback = _status_page(page, "document.querySelector('[role=status]').textContent = 'Signed in as a@example.com'",
                            hidden_alert="an old error, hidden")
    assert callback.wait_until_signed_in(timeout=2000) == "Signed in as a@example.com"


def test_status_wait_fails_at_once_with_an_error_the_page_shows(page):
    callback = _status_page(page, "const a = document.querySelector('[role=alert]'); "
                                  "a.textContent = 'token error: invalid_grant'; a.hidden = false;")
    with pytest.raises(AssertionError, match="the page showed an error: token error: invalid_grant"):
        callback.wait_until_signed_in(timeout=2000)


def test_status_wait_matches_the_text_exactly_not_ignoring_case(page):
    callback = _status_page(page, "document.querySelector('[role=status]').textContent = 'signed in as a@example.com'")
    with pytest.raises(AssertionError, match="never showed 'Signed in as'; status 'signed in as a@example.com'"):
        callback.wait_until_signed_in(timeout=300)


def test_status_wait_runs_apart_from_the_pages_own_scripts(page):
    """The wait queries the page in Playwright's own JavaScript world, like every locator, so a
    page script that replaces document.querySelector changes nothing (the wait used to run in
    the page's world, as a second injected copy of Playwright's script in every callback page)."""
    callback = _status_page(page, "document.querySelector('[role=status]').textContent = 'Signed in as b@example.com'; "
                                  "document.querySelector = () => null;")
    assert callback.wait_until_signed_in(timeout=2000) == "Signed in as b@example.com"


# --- the browser is ready before the first scenario ------------------------------------------

WARM_FEATURE = """\
Feature: The browser is ready before the first scenario
  Scenario: An API scenario runs first
    Given the pool offers optional MFA with authenticator apps only

  @browser
  Scenario: A browser scenario runs later
    Given the callback page has started a sign-in through the managed login
"""

WARM_PROBE = '''

def pytest_bdd_before_step(request, feature, scenario, step, step_func):
    from cognito_harness.pytest_browser import _infos
    launched = any(info.launch_seconds for info in _infos(request.config))
    with open("steps-saw.txt", "a") as fh:
        fh.write(f"{scenario.name}: browser launched {launched}\\n")
'''


def _warm_project(tmp_path):
    import shutil

    root = Path(__file__).resolve().parents[1]
    for name in ("conftest.py", "scenarios.yaml", "pyproject.toml"):
        shutil.copy(root / name, tmp_path / name)
    shutil.copytree(root / "steps", tmp_path / "steps", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "warm.feature").write_text(WARM_FEATURE)
    with open(tmp_path / "conftest.py", "a") as fh:
        fh.write(WARM_PROBE)


def _run_features(tmp_path, *args, env=None):
    import os
    import processes
    import sys

    return processes.run([sys.executable, "-m", "pytest", "features", "-p", "no:randomly", "-p", "no:cacheprovider",
                          *args], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={**os.environ, **(env or {})})


def test_the_browser_is_launched_before_the_first_scenario_even_an_api_one(tmp_path):
    """A run with browser scenarios launches (and warms) the browser before its first
    scenario's steps, whichever scenario comes first: no scenario pays for the launch."""
    _warm_project(tmp_path)
    result = _run_features(tmp_path, "-q")
    assert "3 passed" in result.stdout, result.stdout[-3000:]
    saw = (tmp_path / "steps-saw.txt").read_text().splitlines()
    assert saw[0] == "An API scenario runs first: browser launched True", saw


def test_a_browser_that_cannot_start_is_not_the_first_scenarios_failure():
    """The warm-up before the first scenario keeps a browser failure (an error, or pytest.fail
    as for --headed without a display) for the browser scenarios to report."""
    from cognito_harness.pytest_browser import warm_up_before_first_scenario

    class Request:
        asked: list[str] = []

        def __init__(self, error):
            self.error = error

        def getfixturevalue(self, name):
            self.asked.append(name)
            raise self.error

    for error in (RuntimeError("no Chromium"), pytest.fail.Exception("--headed needs a display", pytrace=False)):
        warm_up_before_first_scenario(Request(error))
    assert Request.asked == ["browser_warmed", "browser_warmed"]
    with pytest.raises(KeyboardInterrupt):
        warm_up_before_first_scenario(Request(KeyboardInterrupt()))


def test_the_warm_up_page_is_closed(browser_warmed, browser):
    assert browser_warmed is browser
    assert browser.contexts == [], "the warm-up left a context open"
