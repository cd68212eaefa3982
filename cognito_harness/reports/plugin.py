"""pytest wiring of the reports (registered from the root conftest.py, or ``-p cognito_harness.reports.plugin``).

- ``--cucumberjson=PATH`` (pytest-bdd's option): written by :mod:`.cucumber_json`; pytest-bdd's
  own writer is unregistered, so there is one writer.
- ``--junitxml=PATH`` (pytest's option): feature as ``classname``, scenario title as ``name``.
- ``--living-doc=PATH``: the self-contained HTML living documentation, with the final page of
  each browser scenario.

Every report's folder is created as needed. Records are built where the scenario ran (an
xdist worker too) and travel on the test report; the files are written by the controller.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from . import cucumber_json, junit, living_doc, screenshot
from .cucumber_json import scenario_name
from .record import (FAILED, UNDEFINED, ScenarioRun, collection_error, scenario_record, short_message,
                     variant as _variant)

_RUN = pytest.StashKey[ScenarioRun]()
_RECORD_ATTR = "cognito_scenario"       # the record, on the report of the setup (if it failed) or the call
_NAMES_ATTR = "cognito_names"           # (feature, scenario title), on every report of a scenario
_TEARDOWN_ATTR = "cognito_teardown"     # what a failed teardown said


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cognito-harness reports")
    group.addoption("--living-doc", dest="living_doc_path", metavar="PATH", default=None,
                    help="write the living documentation: one self-contained HTML file (features in the "
                         "narrative's order, every scenario and step with its status, failures with what "
                         "Cognito answered, the final page of each browser scenario)")
    parser.addini("living_doc_title", "title of the --living-doc page (default: the project folder's name)")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(ReportsPlugin(config), "cognito-harness-reports")


def _template(item: Any) -> Any:
    """The pytest-bdd scenario template behind a test item (None: not a scenario)."""
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    func = getattr(item, "obj", None)
    if func is None:
        return None
    try:
        return scenario_wrapper_template_registry.get(func)
    except TypeError:  # not weak-referenceable: not a scenario
        return None


def _lookup(request: Any, step: Any) -> Any:
    """The step definition for `step` (its function), None if there is none, True if unknown."""
    from pytest_bdd.scenario import get_step_function

    try:
        context = get_step_function(request=request, step=step)
    except Exception:  # noqa: BLE001 - could not tell: not "undefined"
        return True
    return None if context is None else context.step_func


class ReportsPlugin:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.rootdir = str(config.rootpath)
        self.cucumber_path = config.getoption("cucumber_json_path", default=None)
        self.living_doc_path = config.getoption("living_doc_path", default=None)
        self.records: dict[str, dict] = {}
        self.collection_errors: dict[str, dict] = {}
        self.written: list[str] = []
        self.is_worker = hasattr(config, "workerinput")

    # --- one Cucumber JSON writer -------------------------------------------------------------
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        bdd_writer = getattr(self.config, "_bddcucumberjson", None)
        if bdd_writer is not None:
            self.config.pluginmanager.unregister(bdd_writer)
            del self.config._bddcucumberjson

    # --- building the record where the scenario runs ------------------------------------------
    def _new_run(self, item: Any, scenario: Any) -> ScenarioRun:
        template = _template(item)
        backgrounds = len(template.all_background_steps) if template is not None else 0
        return ScenarioRun(scenario, backgrounds, self.rootdir)

    def pytest_bdd_before_scenario(self, request: Any, feature: Any, scenario: Any) -> None:
        request.node.stash[_RUN] = self._new_run(request.node, scenario)

    def _run(self, request: Any) -> ScenarioRun | None:
        return request.node.stash.get(_RUN, None)

    def pytest_bdd_before_step(self, request: Any, feature: Any, scenario: Any, step: Any, step_func: Any) -> None:
        if (run := self._run(request)) is not None:
            run.start(step, step_func)

    def pytest_bdd_after_step(self, request: Any, feature: Any, scenario: Any, step: Any, step_func: Any,
                              step_func_args: Any) -> None:
        if (run := self._run(request)) is not None:
            run.passed(step)

    def pytest_bdd_step_error(self, request: Any, feature: Any, scenario: Any, step: Any, step_func: Any,
                              step_func_args: Any, exception: BaseException) -> None:
        if (run := self._run(request)) is not None:
            run.failed(step, exception)

    def pytest_bdd_step_func_lookup_error(self, request: Any, feature: Any, scenario: Any, step: Any,
                                          exception: BaseException) -> None:
        if (run := self._run(request)) is not None:
            run.undefined(step)

    def pytest_bdd_after_scenario(self, request: Any, feature: Any, scenario: Any) -> None:
        if (run := self._run(request)) is not None:
            run.resolve_rest(partial(_lookup, request))
            # the final page of a browser scenario, through its own (already open) page fixture
            if self.living_doc_path and "page" in request.fixturenames:
                try:
                    page = request.getfixturevalue("page")
                except (Exception, pytest.fail.Exception, pytest.skip.Exception) as err:
                    # the page never opened: the scenario's own error says why; do not replace it
                    run.screenshot = (None, f"no screenshot: the page did not open ({short_message(err)})")
                else:
                    run.screenshot = screenshot.capture(page)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        template = _template(item)
        if template is None:
            yield
            return
        outcome = yield
        report = outcome.get_result()
        run = item.stash.get(_RUN, None)
        example = (getattr(getattr(item, "callspec", None), "params", {}) or {}).get("_pytest_bdd_example", {})
        if (call.when == "setup" and report.passed) or call.when == "teardown":
            scenario = run.scenario if run is not None else template.render(example)
            setattr(report, _NAMES_ATTR, (scenario.feature.name or scenario.feature.rel_filename,
                                          scenario_name({"scenario": {"name": scenario.name},
                                                         "variant": _variant(item)})))
            if call.when == "teardown" and report.failed:
                setattr(report, _TEARDOWN_ATTR, short_message(call.excinfo.value if call.excinfo else None))
            return
        if run is None:  # the scenario never started (its set-up failed or it was skipped): no step ran
            run = self._new_run(item, template.render(example))
            run.resolve_rest(lambda step: True)
        record = scenario_record(item, run, template)
        setattr(report, _NAMES_ATTR, (record["feature"]["name"], scenario_name(record)))
        record["outcome"] = report.outcome
        record["duration"] = report.duration
        error = call.excinfo.value if call.excinfo is not None else None
        if call.when == "setup" and report.failed:
            record["hooks"].append({"keyword": "Before", "status": FAILED, "message": short_message(error),
                                    "location": "set-up (pytest fixtures)"})
        elif report.failed and not any(s["status"] in (FAILED, UNDEFINED) for s in record["steps"]):
            record["hooks"].append({"keyword": "After", "status": FAILED, "message": short_message(error),
                                    "location": "the scenario, outside its steps"})
        if run.screenshot is not None:
            record["screenshot"], record["screenshot_note"] = run.screenshot
        setattr(report, _RECORD_ATTR, record)

    # --- gathering them where the reports are written (the controller under xdist) ------------
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors[report.nodeid] = collection_error(report, self.rootdir)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        names = getattr(report, _NAMES_ATTR, None)
        if names is None:
            return
        junit.name_testcase(self.config, report, *names)
        record = getattr(report, _RECORD_ATTR, None)
        if record is not None:
            self.records[report.nodeid] = record
        message = getattr(report, _TEARDOWN_ATTR, None)
        if message is not None and report.nodeid in self.records:
            self.records[report.nodeid]["hooks"].append(
                {"keyword": "After", "status": FAILED, "message": message, "location": "tear-down (pytest fixtures)"})

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            return
        records = list(self.records.values())
        broken = list(self.collection_errors.values())
        if self.cucumber_path:
            path = cucumber_json.write(_resolve(self.cucumber_path), records, broken)
            self.written.append(f"Cucumber JSON: {path} ({len(records)} scenarios"
                                + (f", {len(broken)} file(s) that could not run)" if broken else ")"))
        if self.living_doc_path:
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            totals = outcome_counts(reporter.stats if reporter is not None else {})
            path = living_doc.write(_resolve(self.living_doc_path), records, totals, broken,
                                    title=self.config.getini("living_doc_title")
                                    or f"Living documentation: {Path(self.rootdir).name}")
            self.written.append(f"living documentation: {path}")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        for line in self.written:
            terminalreporter.write_line(f"cognito-harness: {line}")


def _resolve(path: str) -> Path:
    return Path(os.path.abspath(os.path.expanduser(os.path.expandvars(path))))


PYTEST_OUTCOMES = ("failed", "passed", "skipped", "xfailed", "xpassed", "error")


def outcome_counts(stats: dict) -> dict[str, int]:
    """The counts of pytest's last line ("2 failed, 80 passed, ..."), from the terminal's own stats."""
    return {key: n for key in PYTEST_OUTCOMES
            if (n := sum(1 for r in stats.get(key, []) if getattr(r, "count_towards_summary", True)))}
