"""Output for QA (cognito_harness.qa_output, pytest_browser): feature and scenario titles by
default, a failure in a few lines, the Python details on demand, browser waits of 5 s
(configurable) and a missing display said once. pytester mini-projects; only the last two
tests start a browser (in a subprocess: pytest-playwright cannot nest in-process)."""

from __future__ import annotations

import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest

import processes
from tests.test_gherkin_rules import CONFTEST, INI

FEATURE = """\
Feature: Sign-in answers
  Scenario: A sign-in that works
    Given "admin" is signed in
    Then the request succeeds

  Scenario: A sign-in that is refused
    Given "admin" is signed in
    When "admin" refreshes the session
    Then the request is refused
    And the request succeeds
"""

BIG_REPR = '''

class Huge:
    def __repr__(self):
        return "World(" + "x" * 5000 + ")"


@pytest.fixture
def world():
    return Huge()


@then("the world is inspected")
def inspected(world):
    assert world is None
'''


@pytest.fixture
def project(pytester):
    pytester.makeconftest(CONFTEST + BIG_REPR)
    pytester.makeini(INI)
    (pytester.path / "features").mkdir()
    (pytester.path / "features" / "answers.feature").write_text(FEATURE)
    return pytester


def test_the_default_output_shows_feature_and_scenario_titles(project):
    result = project.runpytest("features")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "features/answers.feature — Sign-in answers",
        "  passed  A sign-in that works*",
        "  FAILED  A sign-in that is refused*",
    ])
    # -q keeps pytest's compact dots
    quiet = project.runpytest("features", "-q")
    quiet.stdout.fnmatch_lines([".F*"])
    assert "Sign-in answers" not in quiet.stdout.str().split("FAILURES")[0]


def test_a_failure_is_feature_scenario_step_and_answer(project):
    result = project.runpytest("features")
    result.assert_outcomes(passed=1, failed=1)
    failure = result.stdout.str().split("FAILURES", 1)[1]
    result.stdout.fnmatch_lines([
        "Feature:  Sign-in answers  (features/answers.feature)",
        "Scenario: A sign-in that is refused  (line 6)",
        "Failed:   Then the request is refused  (line 9)",
        "Answer:   Outcome(error=NotAuthorizedException: Incorrect username or password.)",
        "(the Python details: --tb=long)",
    ])
    for internal in ("def refused", "conftest.py:", "pytest_bdd", "_ _ _", "request = <FixtureRequest"):
        assert internal not in failure, internal
    report = failure.split("short test summary")[0].strip().splitlines()[2:-1]  # between the rules
    assert len(report) <= 6, report
    result.stdout.fnmatch_lines(["FAILED features/answers.feature::A sign-in that is refused - Outcome(error=*"])


def test_the_python_details_stay_available_with_tb_long(project):
    result = project.runpytest("features", "-v", "--tb=long")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["features/answers.feature::A sign-in that is refused FAILED*",
                                 "*def refused():*", "*conftest.py:*: AssertionError"])


def test_no_multi_kilobyte_reprs_in_a_failure(project):
    (project.path / "features" / "answers.feature").write_text(textwrap.dedent("""\
        Feature: Reprs
          Scenario: The world is inspected
            Given "admin" is signed in
            Then the world is inspected
        """))
    result = project.runpytest("features")
    result.assert_outcomes(failed=1)
    assert "x" * 400 not in result.stdout.str()
    result.stdout.fnmatch_lines(["Failed:   Then the world is inspected  (line 4)", "Answer:   *"])
    assert max(len(line) for line in result.stdout.lines) < 600


def test_an_undefined_step_failure_shows_it_as_written_with_the_closest(project):
    (project.path / "features" / "answers.feature").write_text(textwrap.dedent("""\
        Feature: Typos
          Scenario: A typo
            Given "admin" is signed inn
        """))
    result = project.runpytest("features")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        'Undefined step: Given "admin" is signed inn  (line 3)',
        '*no step definition matches this text*',
        'Closest:  Given "{who}" is signed in',
    ])


BROWSER_CONFTEST = 'pytest_plugins = ["cognito_harness.pytest_browser"]\n'
BROWSER_TESTS = """
import pytest


def test_a_missing_field_gives_up_quickly(page):
    page.set_content("<p>no form here</p>")
    page.fill("#code", "123456")


@pytest.mark.parametrize("n", [1, 2, 3])
def test_more(page, n):
    pass
"""


def test_browser_waits_give_up_after_the_configured_time(pytester):
    pytester.makeconftest(BROWSER_CONFTEST)
    pytester.makepyfile(test_waits=BROWSER_TESTS)
    result = processes.runpytest_subprocess(pytester, "-p", "no:cacheprovider", "--browser-timeout", "0.5", "-k", "missing",
                                           "--junitxml=junit.xml")
    result.assert_outcomes(failed=1, deselected=3)
    assert "Timeout 500ms exceeded" in result.stdout.str()
    # the test's own time (not the subprocess's start-up, which a loaded machine stretches)
    case = ET.parse(pytester.path / "junit.xml").getroot().find(".//testcase")
    assert float(case.get("time")) < 25


def test_the_default_browser_wait_is_5_s_and_configurable(pytester, monkeypatch):
    from cognito_harness.pytest_browser import browser_timeout_ms

    monkeypatch.delenv("HARNESS_BROWSER_TIMEOUT", raising=False)
    config = pytester.parseconfig("-p", "cognito_harness.pytest_browser")
    assert browser_timeout_ms(config) == 5000
    monkeypatch.setenv("HARNESS_BROWSER_TIMEOUT", "12")
    assert browser_timeout_ms(config) == 12000
    assert browser_timeout_ms(pytester.parseconfig("-p", "cognito_harness.pytest_browser",
                                                   "--browser-timeout", "2")) == 2000
    monkeypatch.setenv("HARNESS_BROWSER_TIMEOUT", "soon")
    with pytest.raises(pytest.UsageError, match="HARNESS_BROWSER_TIMEOUT='soon'"):
        browser_timeout_ms(config)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a display is checked for on Linux (X/Wayland)")
def test_headed_without_a_display_is_said_once(pytester, monkeypatch):
    pytester.makeconftest(BROWSER_CONFTEST)
    pytester.makepyfile(test_headed=BROWSER_TESTS)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    result = processes.runpytest_subprocess(pytester, "-p", "no:cacheprovider", "--headed")
    result.assert_outcomes(errors=4)
    out = result.stdout.str()
    # pytest's own short summary repeats each error's first line (in full when CI is set), so
    # the harness's saying is counted in the error reports above it
    reports, _, summary = out.partition("short test summary info")
    assert summary, out
    assert reports.count("--headed needs a display") == 1, out  # in full once...
    assert reports.count("xvfb-run") == 1, out
    assert reports.count("the browser could not start (said in full for") == 3, out  # ...one line for the others
    assert summary.count("ERROR test_headed.py::") == 4, out
