"""The record of one scenario run: every step of the scenario with its status, duration, step
definition and — for a failure — a short message saying what Cognito or the page answered.

A record is a plain JSON-able dict, so it travels on the pytest test report from an xdist worker
to the controller. It is built on the process that ran the scenario, where the secrets of that
scenario are known, and every text in it is scrubbed there (:func:`redaction.scrub`).

Step statuses are Cucumber's:

- ``passed`` / ``failed``: the step ran;
- ``undefined``: no step definition matches the text (pytest-bdd stops at the first one; the
  steps after it are looked up too, so every undefined step of the scenario is named);
- ``skipped``: a defined step that did not run because an earlier step failed or was undefined,
  or the scenario was skipped or could not be set up.
"""

from __future__ import annotations

import inspect
import os
import re
import time
from pathlib import Path
from typing import Any, Callable

from .. import redaction

PASSED, FAILED, UNDEFINED, SKIPPED = "passed", "failed", "undefined", "skipped"
MESSAGE_LIMIT = 600  # characters: a report shows what was answered, not a traceback


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def short_message(exc: BaseException | None) -> str:
    """What went wrong in a few lines: an assertion's own message (which, in the steps, is what
    Cognito or the page answered), else the exception's name and first line. No traceback."""
    if exc is None:
        return ""
    text = str(exc).strip()
    if isinstance(exc, AssertionError):
        # pytest's rewritten assertion: "<message>\nassert <expr>\n + where ..." — the message is
        # the answer; without a message keep the comparison, not the "where" internals.
        head, sep, _rest = text.partition("\nassert ")
        if sep and head.strip():
            text = head
        else:
            text = "\n".join(line for line in text.splitlines()
                             if not line.lstrip().startswith(("+  where", "+ where", "where ")))[:MESSAGE_LIMIT]
    else:
        name = type(exc).__name__
        first = text.splitlines()[0] if text else ""
        # pytest.fail(msg) / pytest.skip(msg): the message is all there is to say
        text = first if name in ("Failed", "Skipped", "XFailed") else f"{name}: {first}" if first else name
    text = redaction.scrub(text.strip())
    if len(text) > MESSAGE_LIMIT:
        text = text[: MESSAGE_LIMIT - 1] + "…"
    return text


def definition_location(func: Callable[..., Any] | None, rootdir: str) -> str:
    """``steps/sign_in_steps.py:34``: where the step definition is, relative to the project."""
    if func is None:
        return ""
    func = inspect.unwrap(func)
    try:
        path = inspect.getsourcefile(func) or ""
        line = func.__code__.co_firstlineno
    except (TypeError, AttributeError):
        return ""
    try:
        rel = os.path.relpath(path, rootdir)
        if not rel.startswith(".."):
            path = rel
    except ValueError:  # another drive (Windows)
        pass
    return f"{path.replace(os.sep, '/')}:{line}"


class ScenarioRun:
    """Built while pytest-bdd runs the scenario (its hooks call in here), then frozen into a record."""

    def __init__(self, scenario: Any, background_count: int, rootdir: str) -> None:
        self.scenario = scenario
        self.rootdir = rootdir
        self.steps: list[dict] = [
            {"keyword": step.keyword, "name": step.name, "line": step.line_number, "type": step.type,
             "background": index < background_count, "status": None, "duration": 0.0, "location": "",
             "message": "", "docstring": step.docstring,
             "datatable": step.datatable.raw() if step.datatable is not None else None}
            for index, step in enumerate(scenario.steps)
        ]
        self._started: dict[int, float] = {}
        self.screenshot: tuple[str | None, str] | None = None  # (base64 PNG, note) of the final page

    def _index(self, step: Any) -> int:
        for index, candidate in enumerate(self.scenario.steps):
            if candidate is step:
                return index
        for index, candidate in enumerate(self.scenario.steps):  # a re-rendered copy of the step
            if (candidate.line_number, candidate.name) == (step.line_number, step.name):
                return index
        raise LookupError(step)

    def start(self, step: Any, func: Callable[..., Any] | None) -> None:
        index = self._index(step)
        self._started[index] = time.perf_counter()
        self.steps[index]["location"] = definition_location(func, self.rootdir)

    def _finish(self, step: Any, status: str, message: str = "") -> None:
        index = self._index(step)
        started = self._started.get(index)
        entry = self.steps[index]
        entry["status"] = status
        entry["message"] = message
        if started is not None:
            entry["duration"] = time.perf_counter() - started

    def passed(self, step: Any) -> None:
        self._finish(step, PASSED)

    def failed(self, step: Any, exc: BaseException) -> None:
        self._finish(step, FAILED, short_message(exc))

    def undefined(self, step: Any) -> None:
        self._finish(step, UNDEFINED)

    def resolve_rest(self, lookup: Callable[[Any], Callable[..., Any] | None | bool]) -> None:
        """The steps that did not run: undefined if nothing matches their text, else skipped."""
        for index, step in enumerate(self.scenario.steps):
            entry = self.steps[index]
            if entry["status"] is not None:
                continue
            if index in self._started:  # started, never finished: pytest.skip() in the step
                entry["status"] = SKIPPED
                entry["duration"] = time.perf_counter() - self._started[index]
                continue
            found = lookup(step)
            if found is None:
                entry["status"] = UNDEFINED
            else:
                entry["status"] = SKIPPED
                if callable(found):
                    entry["location"] = definition_location(found, self.rootdir)


def variant(item: Any) -> str:
    """What tells two runs of one scenario apart, other than an outline's example: the managed
    login's look (``classic`` / ``managed``) for browser scenarios."""
    params = dict(getattr(getattr(item, "callspec", None), "params", {}) or {})
    params.pop("_pytest_bdd_example", None)
    return "-".join(str(v) for v in params.values())


def scenario_record(item: Any, run: ScenarioRun, template: Any) -> dict:
    """The JSON-able record of `run` for the pytest item that ran it."""
    scenario = run.scenario
    feature = scenario.feature
    rule = scenario.rule
    callspec_id = getattr(getattr(item, "callspec", None), "id", "")
    return {
        "nodeid": item.nodeid,
        "feature": {
            "keyword": feature.keyword, "name": feature.name or feature.rel_filename,
            "uri": feature.rel_filename.replace(os.sep, "/"), "line": feature.line_number,
            "description": feature.description or "", "language": feature.language,
            "tags": sorted(feature.tags),
        },
        "rule": None if rule is None else {
            "keyword": rule.keyword, "name": rule.name, "description": rule.description or "",
            "tags": sorted(rule.tags),
        },
        "scenario": {
            "keyword": scenario.keyword, "name": scenario.name, "line": scenario.line_number,
            "description": scenario.description or "", "tags": sorted(scenario.tags),
            "template_name": template.name if template is not None else scenario.name,
        },
        "variant": variant(item),
        "callspec_id": callspec_id,
        "steps": run.steps,
        "hooks": [],          # {"keyword": "Before"|"After", "status": "failed", "message": ...}
        "outcome": None,      # pytest's: passed / failed / skipped
        "duration": 0.0,
        "screenshot": None,   # base64 PNG of the final page (browser scenarios, --living-doc)
        "screenshot_note": "",
    }


def scenario_status(record: dict) -> str:
    """Cucumber's status of the scenario: failed > undefined > skipped > passed."""
    statuses = [s["status"] for s in record["steps"]] + [h["status"] for h in record["hooks"]]
    for status in (FAILED, UNDEFINED):
        if status in statuses:
            return status
    if record["outcome"] == FAILED:
        return FAILED
    if not statuses:  # a scenario without steps: what pytest said
        return record["outcome"] or SKIPPED
    if SKIPPED in statuses or record["outcome"] == SKIPPED:
        return SKIPPED
    return PASSED


_FEATURE_LINE = re.compile(r"^\s*Feature:\s*(.*?)\s*$", re.M)


def collection_error(report: Any, rootdir: str) -> dict:
    """A file pytest could not collect (a .feature file with a Gherkin mistake, a step module that
    does not import): pytest counts it as an error, and so do the reports."""
    path = str(getattr(report, "fspath", "") or report.nodeid.split("::")[0])
    name = report.nodeid or path
    try:
        found = _FEATURE_LINE.search(Path(rootdir, path).read_text(encoding="utf-8"))
        if found and found.group(1):
            name = found.group(1)
    except (OSError, UnicodeDecodeError):
        pass
    text = redaction.scrub(str(report.longrepr).strip())
    if len(text) > 2 * MESSAGE_LIMIT:
        text = text[: 2 * MESSAGE_LIMIT - 1] + "…"
    return {"uri": path.replace(os.sep, "/"), "name": name, "message": text}
