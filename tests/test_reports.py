"""Honest reports: Cucumber JSON, JUnit XML and the living documentation of a mini-project with
passing, failing, undefined and skipped scenarios — checked against what pytest itself counted.

The mini-project is a plain pytest-bdd project that loads only the reports plugin
(``cognito_harness.reports.plugin``), as a QA project would.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import processes

ROOT = Path(__file__).resolve().parents[1]
REPORTER = ROOT / "tools" / "cucumber-reporter"
SECRET = "JBSWY3DPEHPK3PXPSECRETVALUE"

CONFTEST = f'''
import pytest
from pytest_bdd import given, parsers, then, when

from cognito_harness import redaction

pytest_plugins = ["cognito_harness.reports.plugin"]


def pytest_bdd_apply_tag(tag, function):
    if tag == "looks":  # like the harness's @browser: one run per managed-login look
        pytest.mark.usefixtures("login_style")(function)
        return True
    return None


def pytest_generate_tests(metafunc):
    if "login_style" in metafunc.fixturenames:
        metafunc.parametrize("login_style", ["classic", "managed"], indirect=True)


@pytest.fixture
def login_style(request):
    return request.param


@pytest.fixture
def pool():
    return {{}}


@given("a pool with optional MFA")
def a_pool(pool):
    pool["mfa"] = "OPTIONAL"


@when(parsers.parse('the user enters "{{code}}"'))
def enters(pool, code):
    pool["answer"] = "ok" if code == "123456" else "CodeMismatchException: Invalid code received for user"


@then(parsers.parse('the pool answers "{{expected}}"'))
def answers(pool, expected):
    assert pool["answer"] == expected, f"Cognito answered {{pool['answer']}}"


@then("the user is signed in")
def signed_in(pool):
    assert pool.get("answer") == "ok"


@when("the user types the secret")
def types_secret(pool):
    redaction.register("{SECRET}")
    raise AssertionError("Cognito answered NotAuthorizedException for {SECRET}")
'''

FEATURES = {
    # file names chosen so that the narrative's order differs from the alphabetical one
    "a_new_chapter.feature": """\
        Feature: A chapter a QA added
          Scenario: A secret in a failure
            When the user types the secret
            Then the user is signed in
        """,
    "managed_login.feature": """\
        Feature: The managed login in two looks
          @looks
          Scenario: Both looks sign the user in
            When the user enters "123456"
            Then the user is signed in

          @skip
          Scenario: Not today
            When the user enters "123456"
            Then the user is signed in
        """,
    "pool_mfa_policy.feature": """\
        Feature: Codes <checked> by the pool
          The pool checks the authenticator code & answers.

          Background:
            Given a pool with optional MFA

          Rule: A right code passes
            The code from the app is accepted.

            Scenario: The right code passes
              When the user enters "123456"
              Then the pool answers "ok"

          Rule: A wrong code is refused

            Scenario: A wrong code is refused with Cognito's message
              When the user enters "000000"
              Then the pool answers "ok"
              And the user is signed in

            Scenario: Steps nobody wrote
              When the user dances
              Then the user is signed in
              And the user sings
        """,
}
NARRATIVE_ORDER = ["features/pool_mfa_policy.feature", "features/managed_login.feature",
                   "features/a_new_chapter.feature"]
PYTEST_SAYS = {"passed": 3, "failed": 3, "skipped": 1}
WRONG_CODE = "A wrong code is refused with Cognito's message"


def make_project(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_specs='from pytest_bdd import scenarios\n\nscenarios("features")\n')
    folder = pytester.path / "features"
    folder.mkdir()
    for name, text in FEATURES.items():
        (folder / name).write_text(textwrap.dedent(text))


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:playwright", *args)


def definition_line(conftest: Path, function: str) -> int:
    """The line of the step definition's decorator (where its text is)."""
    lines = conftest.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(f"def {function}(")) - 1


def steps_of(features: list[dict]) -> dict[str, list[tuple[str, str]]]:
    return {e["name"]: [(s["name"], s["result"]["status"]) for s in e["steps"]]
            for f in features for e in f["elements"]}


@pytest.fixture
def project(pytester):
    make_project(pytester)
    return pytester


def test_cucumber_json_lists_every_step_with_its_true_status(project):
    result = run(project, "--cucumberjson=out/deep/cucumber.json")
    result.assert_outcomes(**PYTEST_SAYS)
    assert_true_statuses(json.loads((project.path / "out" / "deep" / "cucumber.json").read_text()))


def assert_true_statuses(features: list[dict]) -> None:
    assert [f["uri"] for f in features] == NARRATIVE_ORDER
    steps = steps_of(features)
    # an undefined step, and every step after it, is in the report (pytest-bdd's writer left them out)
    assert steps["Steps nobody wrote"] == [
        ("a pool with optional MFA", "passed"), ("the user dances", "undefined"),
        ("the user is signed in", "skipped"), ("the user sings", "undefined")]
    # after a failed step: skipped, not failed
    assert [s for _, s in steps[WRONG_CODE]] == ["passed", "passed", "failed", "skipped"]
    assert [s for _, s in steps["Not today"]] == ["skipped", "skipped"]
    assert [s for _, s in steps["Both looks sign the user in [classic]"]] == ["passed", "passed"]


def test_cucumber_json_says_what_was_answered_where_the_step_is_and_which_rule_and_look(project):
    run(project, "--cucumberjson=cucumber.json").assert_outcomes(**PYTEST_SAYS)
    features = json.loads((project.path / "cucumber.json").read_text())
    elements = {e["name"]: e for f in features for e in f["elements"]}

    failed = elements[WRONG_CODE]["steps"][2]["result"]
    assert failed["error_message"] == "Cognito answered CodeMismatchException: Invalid code received for user"
    assert elements[WRONG_CODE]["description"].startswith("Rule: A wrong code is refused")
    assert elements["The right code passes"]["description"].startswith("Rule: A right code passes")

    looks = [e for name, e in elements.items() if name.startswith("Both looks")]
    assert sorted(e["name"] for e in looks) == ["Both looks sign the user in [classic]",
                                                "Both looks sign the user in [managed]"]
    assert len({e["id"] for e in elements.values()}) == len(elements), "ids are distinct"

    expected = {"a pool with optional MFA": "a_pool", 'the user enters "000000"': "enters",
                'the pool answers "ok"': "answers", "the user is signed in": "signed_in"}
    for step in elements[WRONG_CODE]["steps"]:
        assert step["match"]["location"] == f"conftest.py:{definition_line(project.path / 'conftest.py', expected[step['name']])}"
    assert "match" not in elements["Steps nobody wrote"]["steps"][1], "an undefined step has no definition"


def test_no_secret_reaches_the_reports(project):
    run(project, "--cucumberjson=cucumber.json", "--living-doc=specs.html")
    cucumber = (project.path / "cucumber.json").read_text()
    html = (project.path / "specs.html").read_text()
    assert SECRET not in cucumber and SECRET not in html
    assert "Cognito answered NotAuthorizedException for <redacted>" in json.dumps(json.loads(cucumber))


def test_under_xdist_junit_names_the_feature_and_the_scenario(project):
    """Also: the records travel from the xdist workers to the Cucumber JSON."""
    run(project, "--junitxml=junit.xml", "--cucumberjson=cucumber.json", "-n", "2").assert_outcomes(**PYTEST_SAYS)
    assert_true_statuses(json.loads((project.path / "cucumber.json").read_text()))
    cases = {(c.get("classname"), c.get("name")) for c in ET.parse(project.path / "junit.xml").iter("testcase")}
    assert ("Codes <checked> by the pool", "Steps nobody wrote") in cases
    assert ("The managed login in two looks", "Both looks sign the user in [classic]") in cases
    assert ("The managed login in two looks", "Both looks sign the user in [managed]") in cases
    assert len(cases) == sum(PYTEST_SAYS.values())


def test_the_readme_report_command_creates_its_folders(project):
    result = run(project, "-k", "right_code or both_looks", "--cucumberjson=reports/cucumber.json",
                 "--junitxml=reports/junit.xml", "--living-doc=reports/html/specs.html")
    result.assert_outcomes(passed=3)
    assert result.ret == 0
    for path in ("reports/cucumber.json", "reports/junit.xml", "reports/html/specs.html"):
        assert (project.path / path).is_file(), path


def _text_of(html: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}">([^<]*)<', html).group(1)


def test_living_doc_tells_the_story_with_pytests_totals(project):
    result = run(project, "--living-doc=out/specs.html")
    result.assert_outcomes(**PYTEST_SAYS)
    html = (project.path / "out" / "specs.html").read_text()

    # the narrative's order, whatever the file names
    titles = ["Codes &lt;checked&gt; by the pool", "The managed login in two looks", "A chapter a QA added"]
    positions = [html.index(f"Feature: {t}</h2>") for t in titles]
    assert positions == sorted(positions)
    # descriptions and rules, everything escaped
    assert "The pool checks the authenticator code &amp; answers." in html
    assert "Rule: A wrong code is refused</h3>" in html and "The code from the app is accepted." in html
    assert "<checked>" not in html
    # every scenario run and every step, with status and duration
    assert html.count('<div class="scenario ') == 7
    assert html.count("<tr class=") == (3 + 4 + 4) + (2 * 2 + 2) + 2
    assert re.search(r'<tr class="passed"><td class="st" title="passed">✔</td><td class="text">'
                     r'<span class="kw">When</span> the user enters &quot;123456&quot;</td><td class="dur">(\d+|&lt;1) ms</td>', html)
    assert "Cognito answered CodeMismatchException: Invalid code received for user" in html
    assert "undefined: no step definition matches this text" in html
    # totals: pytest's own line, and the scenarios counted the same way
    said = ", ".join(f"{n} {k}" for k, n in result.parseoutcomes().items() if k in PYTEST_SAYS)
    assert _text_of(html, "pytest-totals") == said == "3 failed, 3 passed, 1 skipped"
    assert _text_of(html, "scenario-totals") == said
    # self-contained: nothing is fetched
    assert all(ref.startswith(("data:", "#")) for ref in re.findall(r'(?:src|href)="([^"]*)"', html))
    assert "<script" not in html and "@import" not in html and "url(" not in html


BROWSER_CONFTEST = '''
import secrets
import pytest
from pytest_bdd import given, then

pytest_plugins = ["cognito_harness.pytest_browser", "cognito_harness.reports.plugin"]


def pytest_bdd_apply_tag(tag, function):
    if tag == "twice":
        pytest.mark.usefixtures("run")(function)
        return True
    return None


def pytest_generate_tests(metafunc):
    if "run" in metafunc.fixturenames:
        metafunc.parametrize("run", ["first", "second"], indirect=True)


@pytest.fixture
def run(request):
    return request.param


@given("the set-up page shows a new secret")
def setup_page(page, run):
    secret = secrets.token_hex(16).upper()  # a different secret in each run
    page.set_content(
        "<h1>Set up an authenticator app</h1><p>Or enter this secret key in the app:</p>"
        f'<p><code id="secret-key" aria-label="Secret key" style="font-size:30px">{secret}</code></p>'
        f'<p style="font-size:30px">the page is shown</p>')


@then("nothing else happens")
def nothing_else():
    pass
'''

BROWSER_FEATURE = """\
Feature: Set-up page
  @twice
  Scenario: The set-up page is shown
    Given the set-up page shows a new secret
    Then nothing else happens

  Scenario: No browser here
    Then nothing else happens
"""


def test_living_doc_shows_the_final_page_of_a_browser_scenario_with_the_secret_masked(pytester):
    pytester.makeconftest(BROWSER_CONFTEST)
    pytester.makepyfile(test_specs='from pytest_bdd import scenarios\n\nscenarios("setup.feature")\n')
    (pytester.path / "setup.feature").write_text(BROWSER_FEATURE)
    result = processes.runpytest_subprocess(pytester, "-p", "no:randomly", "-p", "no:cacheprovider", "--living-doc=specs.html",
                                           "--screenshot=on", "--output=out/playwright")
    result.assert_outcomes(passed=3)
    assert list((pytester.path / "out" / "playwright").rglob("*.png")), "Playwright's output folder is made too"
    html = (pytester.path / "specs.html").read_text()
    shots = re.findall(r'<img alt="final page of ([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert sorted(name for name, _ in shots) == ["The set-up page is shown [first]",
                                                 "The set-up page is shown [second]"]
    assert len(shots[0][1]) > 1000
    # two runs showing two different secrets give the same picture: the secret is masked
    assert shots[0][1] == shots[1][1]


def test_a_standard_cucumber_reporter_counts_what_pytest_counted(project, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the standard Cucumber reporter (npm) cannot run")
    assert (REPORTER / "node_modules" / "multiple-cucumber-html-reporter").is_dir(), \
        "the Cucumber reporter is not installed: run `bash scripts/setup.sh` (npm ci in tools/cucumber-reporter)"
    result = run(project, "--cucumberjson=cucumber.json")
    said = result.parseoutcomes()
    rendered = subprocess.run([node, str(REPORTER / "render.js"), str(project.path / "cucumber.json"),
                               str(tmp_path / "html")], capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    shown = json.loads(rendered.stdout.strip().splitlines()[-1])
    scenarios, steps = shown["scenarios"], shown["steps"]

    assert scenarios["passed"] == said["passed"] == 3
    # pytest fails a scenario with an undefined step; the reporter calls it "not defined"
    assert scenarios["failed"] + scenarios["notDefined"] == said["failed"] == 3
    assert scenarios["notDefined"] == 1
    assert scenarios["skipped"] == said["skipped"] == 1
    assert scenarios["total"] == sum(said.values())
    # the two undefined steps; skipped: one after each of the two failures, one after the
    # undefined step, two in the skipped scenario
    assert (steps["undefined"], steps["skipped"], steps["failed"]) == (2, 5, 2)
    assert (tmp_path / "html" / "index.html").is_file()


def test_a_scenario_whose_set_up_fails_is_reported_as_pytest_counts_it(pytester):
    """pytest says "1 error": the reports show the set-up's answer and no step as run."""
    pytester.makeconftest('''
import pytest
from pytest_bdd import given

pytest_plugins = ["cognito_harness.reports.plugin"]


def pytest_bdd_apply_tag(tag, function):
    if tag == "needs_pool":
        pytest.mark.usefixtures("pool")(function)
        return True
    return None


@pytest.fixture
def pool():
    raise RuntimeError("the embedded pool did not start: port 4566 is taken")


@given("a pool")
def a_pool():
    pass
''')
    pytester.makepyfile(test_specs='from pytest_bdd import scenarios\n\nscenarios("broken.feature")\n')
    (pytester.path / "broken.feature").write_text(
        "Feature: Broken set-up\n  @needs_pool\n  Scenario: Never starts\n    Given a pool\n")
    result = run(pytester, "--cucumberjson=cucumber.json", "--living-doc=specs.html")
    result.assert_outcomes(errors=1)
    [feature] = json.loads((pytester.path / "cucumber.json").read_text())
    [hook, step] = feature["elements"][0]["steps"]
    assert (hook["keyword"], hook["result"]["status"]) == ("Before", "failed")
    assert hook["result"]["error_message"] == "RuntimeError: the embedded pool did not start: port 4566 is taken"
    assert step["result"]["status"] == "skipped"
    html = (pytester.path / "specs.html").read_text()
    assert _text_of(html, "scenario-totals") == _text_of(html, "pytest-totals") == "1 error"


def test_a_file_that_cannot_be_collected_is_an_error_in_the_reports_too(project):
    """pytest stops at a file it cannot collect; a report must not show a shorter, greener run."""
    (project.path / "test_broken.py").write_text('raise ImportError("no module named steps.typo_steps")\n')
    result = run(project, "-k", "right_code", "--continue-on-collection-errors",
                 "--cucumberjson=cucumber.json", "--living-doc=specs.html")
    result.assert_outcomes(passed=1, errors=1)
    features = json.loads((project.path / "cucumber.json").read_text())
    broken = [f for f in features if f["uri"] == "test_broken.py"]
    assert len(broken) == 1
    [hook] = broken[0]["elements"][0]["steps"]
    assert hook["result"]["status"] == "failed" and "no module named steps.typo_steps" in hook["result"]["error_message"]
    html = (project.path / "specs.html").read_text()
    assert _text_of(html, "scenario-totals") == _text_of(html, "pytest-totals") == "1 passed, 1 error"
    assert "Files that cannot run as written" in html
