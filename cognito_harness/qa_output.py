"""The terminal output of a run, written for a QA engineer.

Registered from conftest.py. Two things change, both for scenarios only (the harness's own
tests under tests/ keep pytest's usual output):

- **Progress** (default verbosity): one line per scenario under its feature's title, instead of
  a dot per scenario::

      features/app_sign_in_with_mfa.feature — The app signs the MFA user in with a code ...
        passed  The sign-in is challenged with SOFTWARE_TOKEN_MFA
        FAILED  A wrong code is refused

  ``-q`` gives pytest's dots back; ``-v`` pytest's one line per test id
  (``features/x.feature::Scenario title PASSED``).
- **A failure** (with the default ``--tb=auto``) is a few lines: the feature, the scenario, the
  step that failed and what Cognito or the page answered (the assertion's message), or for an
  undefined step the closest existing steps. No Python frames, no step source, no reprs of the
  harness's objects. ``--tb=long`` (or short/native/line) gives pytest's own report back.

The failing step is recorded by pytest-bdd's hooks (``pytest_bdd_step_error``,
``pytest_bdd_step_func_lookup_error``); the text is scrubbed of secrets like every report.
"""

from __future__ import annotations

from typing import Any

import pytest
from _pytest._code.code import ReprEntryNative, ReprExceptionInfo, ReprFileLocation, ReprTraceback

from . import redaction
from .gherkin_lint import display_path

FAILED_STEP = pytest.StashKey[Any]()  # the pytest-bdd Step that failed, on the item
STEP_UNDEFINED = pytest.StashKey[bool]()

#: report attribute carrying what the progress line needs (survives pytest-xdist's serialisation)
REPORT_ATTR = "harness_scenario"

MAX_ANSWER_LINES = 6
MAX_LINE = 300


def qa_mode(config: pytest.Config) -> bool:
    """Short QA failure reports: the default --tb=auto."""
    return config.getoption("tbstyle", "auto") == "auto"


def progress_mode(config: pytest.Config) -> bool:
    """One line per scenario: pytest's default verbosity (not -q, not -v)."""
    return config.get_verbosity(pytest.Config.VERBOSITY_TEST_CASES) == 0


# --- which step failed ---------------------------------------------------------------------

@pytest.hookimpl(tryfirst=True)
def pytest_bdd_step_error(request, feature, scenario, step, step_func, step_func_args, exception):
    request.node.stash[FAILED_STEP] = step


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_step_func_lookup_error(request, feature, scenario, step, exception):
    request.node.stash[FAILED_STEP] = step
    request.node.stash[STEP_UNDEFINED] = True


# --- the failure report --------------------------------------------------------------------

def failure_repr(item: pytest.Item, excinfo: pytest.ExceptionInfo, closest: list[str]) -> ReprExceptionInfo | None:
    """The QA form of a scenario's failure, or None when no step failed (a fixture did, say)."""
    step = item.stash.get(FAILED_STEP, None)
    if step is None:
        return None
    scenario = item.scenario
    feature = scenario.feature
    path = display_path(feature.filename)
    written = f"{step.keyword} {step.name}"
    lines = [f"Feature:  {feature.name}  ({path})",
             f"Scenario: {item.name}  (line {scenario.line_number})"]
    if item.stash.get(STEP_UNDEFINED, False):
        lines.append(f"Undefined step: {written}  (line {step.line_number})")
        lines.append("          no step definition matches this text (`cognito-harness steps` lists them)")
        if closest:
            lines.append("Closest:  " + closest[0])
            lines += ["          " + c for c in closest[1:]]
        crash = f"undefined step: {written}"
    else:
        answer = short_answer(excinfo.value)
        lines.append(f"Failed:   {written}  (line {step.line_number})")
        lines.append("Answer:   " + answer[0])
        lines += ["          " + a for a in answer[1:]]
        crash = answer[0]
    lines.append("(the Python details: --tb=long)")
    text = [redaction.scrub(line) + "\n" for line in lines]
    return ReprExceptionInfo(
        reprtraceback=ReprTraceback(reprentries=[ReprEntryNative(text)], extraline=None, style="native"),
        reprcrash=ReprFileLocation(path, step.line_number, redaction.scrub(crash)),
    )


def file_problems_repr(path: str, problems: list[str]) -> ReprExceptionInfo:
    """A .feature file refused at collection: its problems, one line each (the first one is
    also the short summary's message)."""
    text = ["this .feature file cannot run as written:\n"] + [p + "\n" for p in problems]
    count = f"{len(problems)} Gherkin problem{'s' if len(problems) != 1 else ''}"
    first = problems[0].split(": ", 1)[-1] if problems else ""
    return ReprExceptionInfo(
        reprtraceback=ReprTraceback(reprentries=[ReprEntryNative(text)], extraline=None, style="native"),
        reprcrash=ReprFileLocation(path, 1, f"{count}; first: {first}"),
    )


def short_answer(exc: BaseException) -> list[str]:
    """What went wrong, in at most a few lines: the assertion's own message (where the steps put
    what Cognito or the page answered) without pytest's `+ where` expansion, else the error."""
    text = str(exc).strip()
    if isinstance(exc, AssertionError):
        kept = []
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith(("+", "where ", "At index", "Full diff", "Use -v")):
                break
            kept.append(line.rstrip())
        if len(kept) > 1 and kept[-1].strip() in ("assert False", "assert None"):
            kept.pop()  # says nothing the message did not
        lines = kept or ["assertion failed"]
    else:
        lines = [line.rstrip() for line in text.splitlines() if line.strip()] or [""]
        name = type(exc).__name__
        if not lines[0].startswith(name):
            lines[0] = f"{name}: {lines[0]}".rstrip(": ")
    if len(lines) > MAX_ANSWER_LINES:
        lines = lines[:MAX_ANSWER_LINES] + ["…"]
    return [line if len(line) <= MAX_LINE else line[:MAX_LINE] + "…" for line in lines]


# --- one line per scenario -----------------------------------------------------------------

class ScenarioLines:
    """Writes the per-scenario progress lines; pytest's dot for a scenario is left out."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.current_feature: str | None = None
        self.quiet_report = None  # the report whose letter pytest must not print

    @property
    def reporter(self):
        return self.config.pluginmanager.get_plugin("terminalreporter")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logstart(self, nodeid, location):
        reporter = self.reporter
        if reporter is not None and location[0].endswith(".feature"):
            # no "features/x.feature " prefix for dots that are not printed
            reporter.currentfspath = self.config.rootpath / nodeid.split("::")[0]

    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(self, report, config):
        result = yield
        if report is self.quiet_report:
            category = result[0]
            return category, "", ""
        return result

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_logreport(self, report):
        info = getattr(report, REPORT_ATTR, None)
        shown = info is not None and self._shown(report)
        if shown:
            self.quiet_report = report
        try:
            return (yield)
        finally:
            self.quiet_report = None
            if shown:
                self._write(report, info)

    @staticmethod
    def _shown(report) -> bool:
        return report.when == "call" or not report.passed

    def _write(self, report, info: dict) -> None:
        reporter = self.reporter
        if reporter is None:
            return
        category, _, word = self.config.hook.pytest_report_teststatus(report=report, config=self.config)
        if isinstance(word, tuple):
            word, markup = word
        else:
            markup = {"green": report.passed, "red": report.failed, "yellow": report.skipped}
        if not word:
            return
        if report.when != "call":
            word = {"failed": "ERROR", "error": "ERROR"}.get(category, word)
        reporter._progress_nodeids_reported.add(report.nodeid)  # keeps pytest's [NN%] right for the rest
        tw = reporter._tw
        if tw.width_of_current_line:
            tw.line()
        if info["file"] != self.current_feature:
            self.current_feature = info["file"]
            tw.line()
            tw.write(info["file"], bold=True)
            tw.line(f" — {info['feature']}")
        tw.write(f"  {word.lower() if report.passed else word:<8}", **{k: v for k, v in markup.items() if v})
        tw.write(info["scenario"])  # the line is ended by the next one (or by pytest's [100%])
        reporter.currentfspath = self.config.rootpath / report.nodeid.split("::")[0]  # ensure_newline ends it
        tw.flush()


def pytest_configure(config: pytest.Config) -> None:
    if progress_mode(config) and not config.pluginmanager.has_plugin("cognito-harness-scenario-lines"):
        config.pluginmanager.register(ScenarioLines(config), "cognito-harness-scenario-lines")


def scenario_info(item) -> dict:
    """What a report needs to be written as a QA line (plain data: it crosses xdist)."""
    feature = item.scenario.feature
    return {"file": display_path(feature.filename), "feature": feature.name, "scenario": item.name,
            "line": item.scenario.line_number}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    scenario = getattr(item, "scenario", None)
    if scenario is not None and hasattr(scenario, "feature"):
        setattr(report, REPORT_ATTR, scenario_info(item))
    return report
