"""Strict Gherkin and helpful matching (cognito_harness.pytest_features, gherkin_lint), tested the
way pytest-bdd tests itself: small pytester projects run in-process, outcomes asserted.

The mini-projects register only the feature collector and a handful of steps, so nothing here
starts the embedded pool or a browser."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CONFTEST = '''
import pytest
from pytest_bdd import given, parsers, then, when

pytest_plugins = ["cognito_harness.qa_output", "cognito_harness.pytest_features"]


@given(parsers.parse('"{who}" is signed in'))
def signed_in(who):
    pass


@given("the pool offers optional MFA")
def optional_mfa():
    pass


@when(parsers.parse('"{who}" refreshes the session'))
def refreshes(who):
    pass


@then("the request succeeds")
def succeeds():
    pass


@then("the request is refused")
def refused():
    assert False, "Outcome(error=NotAuthorizedException: Incorrect username or password.)"
'''

INI = """
[pytest]
addopts = -p no:cacheprovider -p no:randomly -p no:playwright --strict-markers
markers =
    browser: drives a browser
"""

GOOD = """\
Feature: Refresh
  Scenario: The admin refreshes
    Given "admin" is signed in
    When "admin" refreshes the session
    Then the request succeeds
"""


@pytest.fixture
def project(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    (pytester.path / "features").mkdir()

    def write(name: str, text: str) -> Path:
        path = pytester.path / "features" / name
        path.write_text(textwrap.dedent(text))
        return path

    pytester.write_feature = write
    return pytester


# --- the run fails, naming file and line ------------------------------------------------------

@pytest.mark.parametrize("text, line, says", [
    pytest.param(GOOD + "\n  Scenerio: Misspelt\n    Given \"admin\" is signed in\n", 7,
                 "'Scenerio:' is not a Gherkin keyword: did you mean 'Scenario:'?", id="misspelt-keyword"),
    pytest.param(GOOD + "\n  Scenario: Nothing yet\n", 7, "scenario 'Nothing yet' has no steps", id="empty-scenario"),
    pytest.param(GOOD + "\n  Scenario: No keyword\n    the admin is signed in\n    Then the request succeeds\n", 8,
                 "'the admin is signed in' is not a step", id="line-without-keyword-first"),
    pytest.param(GOOD + "    the admin is signed in\n", 6,
                 "'the admin is signed in' is not a step", id="line-without-keyword-after-a-step"),
    pytest.param(GOOD + "\n  Scenario: The admin refreshes\n    Given \"admin\" is signed in\n", 7,
                 "a second scenario titled 'The admin refreshes'", id="duplicate-title"),
    pytest.param(GOOD.replace("Feature: Refresh", "@JIRA:12\nFeature: Refresh"), 1,
                 "tag '@JIRA:12' cannot be used with -m", id="tag-that-is-no-marker"),
    pytest.param(GOOD.replace("Scenario:", "scenario:"), 2,
                 "keywords are case-sensitive: did you mean 'Scenario:'?", id="lower-case-keyword"),
])
def test_a_silently_dropped_line_fails_the_run_naming_file_and_line(project, text, line, says):
    project.write_feature("qa.feature", text)
    result = project.runpytest("features")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*features/qa.feature:{line}: *"])
    assert says in result.stdout.str()


def test_every_problem_of_every_file_is_reported_in_one_run(project):
    project.write_feature("one.feature", GOOD + "\n  Scenario: A\n\n  Scenario: B\n    Given x\n    y\n    z\n")
    project.write_feature("two.feature", GOOD.replace("Scenario:", "Scenaro:") + "\n  Scenario: C\n")
    result = project.runpytest("features")
    result.assert_outcomes(errors=2)
    out = result.stdout.str()
    for where in ("one.feature:7:", "one.feature:11:", "one.feature:12:", "two.feature:2:", "two.feature:7:"):
        assert where in out
    result.stdout.fnmatch_lines(["ERROR features/two.feature - 2 Gherkin problems; first: *"])


def test_a_misspelt_keyword_is_read_as_meant_so_the_rest_is_still_checked(project):
    project.write_feature("qa.feature", """\
        Feature: Refresh
          @smoke
          Scenerio: The admin refreshes
            Given "admin" is signed in
            When "admin" refreshes the sesion

          Scenario: Nothing yet
        """)
    result = project.runpytest("features")
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    assert "features/qa.feature:3: 'Scenerio:' is not a Gherkin keyword: did you mean 'Scenario:'?" in out
    assert "features/qa.feature:7: scenario 'Nothing yet' has no steps" in out
    assert 'features/qa.feature:5: When "admin" refreshes the sesion' in out  # its steps are still checked
    assert "step outside any scenario" not in out and "features/qa.feature:4:" not in out


# --- undefined steps: all of them, once, with the closest existing ones ----------------------

def test_all_undefined_steps_are_listed_once_with_the_closest_steps(project):
    project.write_feature("one.feature", """\
        Feature: One
          Background:
            Given "mfa user" is signed inn

          Scenario: First
            When "admin" refreshes the sesion
            Then the request succeeds

          Scenario: Second
            When "admin" dances
            Then the request succeeds
        """)
    project.write_feature("two.feature", """\
        Feature: Two
          Scenario: Third
            Given "admin" is signed in
            When "admin" refreshes the sesion
        """)
    result = project.runpytest("features")
    result.assert_outcomes(failed=3)
    out = result.stdout.str()
    block = out[out.index("3 undefined steps"):out.index("FAILURES")]
    # each once, with every place it is used, as written (no doubled quotes)
    assert block.count('Given "mfa user" is signed inn') == 1
    assert "features/one.feature:3: Given" in block
    assert 'features/one.feature:6, features/two.feature:4: When "admin" refreshes the sesion' in block
    assert 'closest: When "{who}" refreshes the session' in block
    assert 'closest: Given "{who}" is signed in' in block
    assert '""' not in block
    # the block comes before anything runs
    assert out.index("3 undefined steps") < out.index("FAILURES")


def test_a_step_defined_for_another_keyword_is_undefined_and_says_which(project):
    project.write_feature("qa.feature", """\
        Feature: Keywords
          Scenario: Then used as When
            Given "admin" is signed in
            When the request succeeds
        """)
    result = project.runpytest("features")
    result.assert_outcomes(failed=1)
    assert "Then the request succeeds   <- a Then step" in result.stdout.str()


def test_check_features_reports_without_running_and_exits_non_zero(project, capsys):
    from cognito_harness.cli import main

    project.write_feature("qa.feature", GOOD + "\n  Scenario: Broken\n    Given \"admin\" dances\n"
                                               "\n  Scenario: Empty\n")
    assert main(["check-features"]) == 1
    out = capsys.readouterr().out
    assert "features/qa.feature:10: scenario 'Empty' has no steps" in out
    assert 'features/qa.feature:8: Given "admin" dances' in out
    assert "1 Gherkin problem, 1 undefined step" in out

    project.write_feature("qa.feature", GOOD)
    assert main(["check-features", "features/qa.feature"]) == 0
    assert "1 feature file, 1 scenarios: no problems" in capsys.readouterr().out


def test_check_features_of_a_folder_without_features_is_not_a_pass(project, capsys):
    from cognito_harness.cli import main

    assert main(["check-features"]) == 1
    assert "no .feature file" in capsys.readouterr().out


# --- tags, files and ids -----------------------------------------------------------------------

def test_any_tag_is_a_marker_and_python_marker_typos_are_still_caught(project):
    project.write_feature("qa.feature", """\
        Feature: Tags
          @smoke
          Scenario: Quick
            Given "admin" is signed in

          @wip @needs-review
          Scenario: Slow
            Given "admin" is signed in
        """)
    project.runpytest("features", "-m", "smoke").assert_outcomes(passed=1, deselected=1)
    project.runpytest("features", "-m", "needs-review or wip").assert_outcomes(passed=1, deselected=1)
    project.makepyfile(test_typo="import pytest\n\n@pytest.mark.smok\ndef test_x():\n    pass\n")
    result = project.runpytest("test_typo.py")
    result.assert_outcomes(errors=1)
    assert "'smok' not found in `markers` configuration option" in result.stdout.str()


def test_a_feature_file_runs_on_its_own_and_ids_carry_the_feature(project):
    project.write_feature("a.feature", GOOD)
    project.write_feature("b.feature", GOOD.replace("Refresh", "Other").replace("admin", "demo"))
    project.runpytest("features/a.feature").assert_outcomes(passed=1)
    result = project.runpytest("--collect-only", "-q", "features")
    result.stdout.fnmatch_lines(["features/a.feature::The admin refreshes",
                                 "features/b.feature::The demo refreshes"])
    project.runpytest("features/b.feature::The demo refreshes").assert_outcomes(passed=1)
    # the Python-style name still selects with -k
    project.runpytest("features", "-k", "the_demo_refreshes").assert_outcomes(passed=1, deselected=1)


def test_the_readme_one_scenario_example_selects_one_scenario(pytester):
    readme = (ROOT / "README.md").read_text()
    marker = "One scenario: `"
    assert marker in readme, "the README shows how to run one scenario"
    command = readme[readme.index(marker) + len(marker):].split("`", 1)[0]
    args = command.split("pytest", 1)[1].split()
    args = [a.strip('"') for a in _rejoin_quoted(args)]
    result = pytester.runpytest("--collect-only", "-q", f"--rootdir={ROOT}", "-c", str(ROOT / "pyproject.toml"),
                                *[str(ROOT / a) if a.startswith("features") else a for a in args])
    selected = [line for line in result.stdout.lines if "::" in line]
    assert len(selected) == 1, result.stdout.str()


def _rejoin_quoted(words: list[str]) -> list[str]:
    out, current = [], None
    for word in words:
        if current is not None:
            current += " " + word
            if word.endswith('"'):
                out.append(current)
                current = None
        elif word.startswith('"') and not (word.endswith('"') and len(word) > 1):
            current = word
        else:
            out.append(word)
    return out


# --- browser scenarios are recognised by their steps --------------------------------------------

BROWSER_STEPS = '''
import pytest
from pytest_bdd import given, parsers, then, when


@pytest.fixture
def journey(page):
    return page


@when(parsers.parse('"{who}" signs in through the managed login'))
def through_managed_login(journey, who):
    pass
'''


def test_a_scenario_with_browser_steps_is_a_browser_scenario_without_the_tag(project):
    for name in ("scenarios.yaml",):
        (project.path / name).write_text((ROOT / name).read_text())
    conftest = CONFTEST.replace('pytest_plugins = [', 'pytest_plugins = ["cognito_harness.pytest_plugin", ')
    project.makeconftest(conftest + BROWSER_STEPS)
    project.write_feature("qa.feature", GOOD + """
  Scenario: Through the browser, untagged
    Given "admin" is signed in
    When "admin" signs in through the managed login
""")
    result = project.runpytest("--collect-only", "-q", "-m", "browser", "features")
    result.stdout.fnmatch_lines(["*::Through the browser, untagged[[]classic[]]",
                                 "*::Through the browser, untagged[[]managed[]]"])
    result.assert_outcomes(deselected=1)
    project.runpytest("--collect-only", "-q", "-m", "not browser", "features").assert_outcomes(deselected=2)
