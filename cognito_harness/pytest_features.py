"""pytest collects the .feature files themselves: no Python module binds them.

Registered from conftest.py. For every ``*.feature`` file pytest meets (``pytest``,
``pytest features``, ``pytest features/x.feature``):

- the file is checked first (:mod:`cognito_harness.gherkin_lint`); any problem — a misspelt
  keyword, a scenario without steps, a line without Given/When/Then/And/But, ... — makes the
  file a collection error that names file and line, so the run fails instead of passing
  without the scenario;
- each scenario becomes a test whose id carries the feature file and the scenario's title,
  e.g. ``features/app_sign_in_with_mfa.feature::A wrong code is refused`` (``-k`` also matches
  the old Python-style name, ``a_wrong_code_is_refused``);
- each tag becomes a marker usable with ``-m`` (registered on the fly, so ``--strict-markers``
  still catches a misspelt marker in Python code);
- a scenario that uses a step needing a browser (a step whose fixtures reach pytest-playwright's
  ``page``) is a browser scenario, with or without ``@browser``: it gets the ``browser`` marker and
  runs in both managed-login looks;
- every step that no step definition matches is collected with the closest existing step
  texts; the run prints them all once, as one block, before running anything (under
  pytest-xdist: in the summary). ``cognito-harness check-features`` reports the same without
  running anything.

Matching is pytest-bdd's own (``find_fixturedefs_for_step``: the step definitions' parsers and
pytest's fixture visibility; its walk over every fixture made once per file, bdd_speed.py), so
"undefined" here means exactly what it means when the scenario runs.
"""

from __future__ import annotations

import contextlib
import io
import os
import types
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_bdd import exceptions as bdd_exceptions
from pytest_bdd import scenario as bdd_scenario
from pytest_bdd.compat import get_fixture_names, getfixturedefs
from pytest_bdd.feature import features as bdd_feature_cache
from pytest_bdd.feature import get_feature
from pytest_bdd.parser import FeatureParser
from pytest_bdd.scenario import iterparentnodeids, make_python_name
from pytest_bdd.steps import step_function_context_registry

from . import bdd_speed, qa_output
from .gherkin_lint import Problem, closest_steps, display_path, lint_with_reading

#: fixtures that mean "this step drives a browser" (pytest-playwright's)
BROWSER_FIXTURES = frozenset({"page", "context", "browser", "new_context"})
BROWSER_TAG = "browser"


@dataclass
class UndefinedStep:
    keyword: str  # as written: Given / When / Then / And / But
    type: str  # given / when / then
    text: str
    where: list[tuple[str, int]] = field(default_factory=list)
    closest: list[str] = field(default_factory=list)

    def locations(self) -> str:
        return ", ".join(f"{display_path(p)}:{line}" for p, line in self.where)


@dataclass
class FeatureCheck:
    """What collection found wrong, for the whole session (every .feature file)."""

    problems: list[Problem] = field(default_factory=list)
    undefined: dict[tuple[str, str], UndefinedStep] = field(default_factory=dict)
    features: int = 0
    scenarios: int = 0
    reported: bool = False

    def add_undefined(self, step, path: str, closest: list[str]) -> None:
        key = (step.type, step.name)
        entry = self.undefined.setdefault(key, UndefinedStep(step.keyword, step.type, step.name, closest=closest))
        if (path, step.line_number) not in entry.where:
            entry.where.append((path, step.line_number))

    def merge(self, data: dict) -> None:
        """Add what an xdist worker found (see :meth:`as_data`)."""
        for p in data.get("problems", []):
            problem = Problem(*p)
            if problem not in self.problems:
                self.problems.append(problem)
        for u in data.get("undefined", []):
            entry = UndefinedStep(u["keyword"], u["type"], u["text"], closest=u["closest"])
            existing = self.undefined.setdefault((entry.type, entry.text), entry)
            for where in u["where"]:
                if tuple(where) not in existing.where:
                    existing.where.append(tuple(where))

    def as_data(self) -> dict:
        return {"problems": [(p.path, p.line, p.message) for p in self.problems],
                "undefined": [{"keyword": u.keyword, "type": u.type, "text": u.text, "closest": u.closest,
                               "where": u.where} for u in self.undefined.values()]}

    def undefined_lines(self) -> list[str]:
        if not self.undefined:
            return []
        steps = sorted(self.undefined.values(), key=lambda u: u.where[0])
        count = f"{len(steps)} undefined step{'s' if len(steps) != 1 else ''}"
        lines = [f"cognito-harness: {count}: no step definition matches these lines "
                 "(`cognito-harness steps` lists the ones that exist):"]
        for u in steps:
            lines.append(f"  {u.locations()}: {u.keyword} {u.text}")
            if u.closest:
                lines.append(f"      closest: {u.closest[0]}")
                lines += [f"               {c}" for c in u.closest[1:]]
            else:
                lines.append("      closest: (nothing similar)")
        return lines


_CHECK = pytest.StashKey[FeatureCheck]()
_WORKEROUTPUT_KEY = "cognito_harness_feature_check"


def feature_check(config: pytest.Config) -> FeatureCheck:
    return config.stash.setdefault(_CHECK, FeatureCheck())


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix == ".feature":
        return FeatureFile.from_parent(parent, path=file_path)
    return None


class FeatureProblems(Exception):
    """A .feature file the harness refuses to run: its problems, one line each."""


class FeatureFile(pytest.Module):
    """A .feature file: its scenarios, as tests (no Python module behind it)."""

    def _getobj(self):
        module = types.ModuleType(f"feature:{self.path.name}")
        module.__file__ = str(self.path)
        return module

    def collect(self):
        check = feature_check(self.config)
        check.features += 1
        path = str(self.path)
        problems, as_read = lint_with_reading(path)
        bdd_feature_cache.pop(os.path.abspath(path), None)  # parsed afresh: the file may have changed
        feature = _parse(path, as_read if problems else None)
        for tag, line in _tags_of(path):
            _register_marker(self.config, tag, f"{display_path(path)}:{line}")
        steps = _StepIndex(self)
        needs_browser: dict[str, bool] = {}
        if feature is not None:
            check.scenarios += len(feature.scenarios)
            for name, template in feature.scenarios.items():
                needs_browser[name] = steps.check_scenario(template, path, check)
        if feature is None and not problems:  # not expected: the lint parses what pytest-bdd parses
            problems = [Problem(path, 1, "pytest-bdd cannot read this file")]
        if problems:
            check.problems.extend(p for p in problems if p not in check.problems)
            raise FeatureProblems("\n".join(str(p) for p in problems))
        for name, template in feature.scenarios.items():
            function = bdd_scenario(path, name, features_base_dir=str(self.path.parent))(_no_more_to_do)
            tags = template.tags | feature.tags | (template.rule.tags if template.rule else set())
            if needs_browser[name] and BROWSER_TAG not in tags:
                _register_marker(self.config, BROWSER_TAG, "a scenario with browser steps")
                self.config.hook.pytest_bdd_apply_tag(tag=BROWSER_TAG, function=function)
            function.__test__ = True
            setattr(self.obj, name, function)
            for made in self.ihook.pytest_pycollect_makeitem(collector=self, name=name, obj=function) or []:
                callspec = getattr(made, "callspec", None)
                item = ScenarioItem.from_parent(
                    self, name=made.name, callspec=callspec, fixtureinfo=made._fixtureinfo,
                    keywords={callspec.id: True} if callspec is not None else None, originalname=name,
                    scenario=template)
                # `-k a_wrong_code_is_refused` (the Python-style name) keeps working
                item.extra_keyword_matches.add(f"test_{make_python_name(name)}")
                yield item

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, FeatureProblems):
            return qa_output.file_problems_repr(display_path(self.path), str(excinfo.value).splitlines())
        return super().repr_failure(excinfo)


def _parse(path: str, as_read: str | None):
    """pytest-bdd's Feature of the file; for a file with problems, of the text as the lint read
    it (keywords repaired), so the steps under a misspelt `Scenerio:` are still checked."""
    if as_read is None:
        try:
            return get_feature(os.path.dirname(path), os.path.basename(path))
        except (bdd_exceptions.GherkinParseError, KeyError):
            return None
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / os.path.basename(path)
        copy.write_text(as_read, encoding="utf-8")
        try:
            return FeatureParser(folder, copy.name).parse()
        except (bdd_exceptions.GherkinParseError, KeyError):
            return None


def _no_more_to_do() -> None:
    """The scenario's steps are the test; nothing runs after them."""


class ScenarioItem(pytest.Function):
    """One scenario (one look of a browser scenario). Its id: ``features/x.feature::Title[look]``."""

    def __init__(self, *args, scenario=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scenario = scenario

    def reportinfo(self):
        return self.path, self.scenario.line_number - 1, self.name

    def repr_failure(self, excinfo):
        if qa_output.qa_mode(self.config):
            step = self.stash.get(qa_output.FAILED_STEP, None)
            closest = []
            if step is not None:
                entry = feature_check(self.config).undefined.get((step.type, step.name))
                closest = entry.closest if entry else []
            short = qa_output.failure_repr(self, excinfo, closest)
            if short is not None:
                return short
        return super().repr_failure(excinfo)


def _tags_of(path: str) -> list[tuple[str, int]]:
    """Every tag in the file with its line (from the Gherkin document; none if it does not parse)."""
    from pytest_bdd.gherkin_parser import get_gherkin_document

    try:
        feature = get_gherkin_document(path).feature
    except Exception:  # noqa: BLE001 - a file that does not parse has its problems reported already
        return []
    found = [(t.name.lstrip("@"), t.location.line) for t in feature.tags]

    def walk(children):
        for child in children:
            if child.rule is not None:
                found.extend((t.name.lstrip("@"), t.location.line) for t in child.rule.tags)
                walk(child.rule.children)
            if child.scenario is not None:
                found.extend((t.name.lstrip("@"), t.location.line) for t in child.scenario.tags)
                for ex in child.scenario.examples:
                    found.extend((t.name.lstrip("@"), t.location.line) for t in ex.tags)

    walk(feature.children)
    return found


def _register_marker(config: pytest.Config, tag: str, where: str) -> None:
    """A Gherkin tag is a marker: `-m smoke` works with no configuration edit."""
    from .gherkin_lint import PYTHON_WORDS, TAG_RE

    if not TAG_RE.match(tag) or tag in PYTHON_WORDS:
        return  # reported by the lint, naming the file
    known = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
    if tag not in known:
        config.addinivalue_line("markers", f"{tag}: a Gherkin tag (first seen at {where})")


class _StepIndex:
    """Which step definitions a feature file's steps resolve to, through pytest-bdd's own lookup."""

    def __init__(self, node: pytest.Collector):
        self.node = node
        self.fixturemanager = node.session._fixturemanager
        self._browser_cache: dict[str, bool] = {}
        self._patterns: list[str] | None = None
        # the step definitions this file sees, walked once for all its steps (bdd_speed.py)
        self.definitions = bdd_speed.StepDefinitions(self.fixturemanager, node)

    def check_scenario(self, template, path: str, check: FeatureCheck) -> bool:
        """Record the scenario's undefined steps; True when one of its steps needs a browser."""
        contexts = [c for ex in template.examples for c in ex.as_contexts()] or [{}]
        browser = False
        for context in contexts:
            for step in template.render(context).steps:
                defs = self.definitions.matching(step)
                if not defs:
                    check.add_undefined(step, path, self.closest(step))
                    continue
                defs.sort(key=lambda d: list(iterparentnodeids(d.baseid)))
                browser = browser or self._needs_browser(defs[-1])
        return browser

    def _needs_browser(self, fixturedef) -> bool:
        context = step_function_context_registry.get(fixturedef.func)
        func = context.step_func if context is not None else fixturedef.func
        key = f"{func.__module__}.{func.__qualname__}"
        if key not in self._browser_cache:
            from pytest_bdd.utils import get_required_args

            self._browser_cache[key] = self._reaches_browser(get_required_args(func), set())
        return self._browser_cache[key]

    def _reaches_browser(self, names, seen: set) -> bool:
        for name in names:
            if name in BROWSER_FIXTURES:
                return True
            if name in seen:
                continue
            seen.add(name)
            for fixturedef in getfixturedefs(self.fixturemanager, name, self.node) or []:
                if self._reaches_browser(fixturedef.argnames, seen):
                    return True
        return False

    def patterns(self) -> list[str]:
        """Every visible step definition, as `Keyword pattern` (what `cognito-harness steps` shows)."""
        if self._patterns is None:
            found = []
            for name in get_fixture_names(self.fixturemanager):
                for fixturedef in getfixturedefs(self.fixturemanager, name, self.node) or []:
                    context = step_function_context_registry.get(fixturedef.func)
                    if context is None:
                        continue
                    keyword = (context.type or "given/when/then").capitalize()
                    found.append(f"{keyword} {getattr(context.parser, 'name', context.parser)}")
            self._patterns = list(dict.fromkeys(found))
        return self._patterns

    def closest(self, step) -> list[str]:
        """Nearest existing steps: compared on the text, shown with their own keyword."""
        by_text: dict[str, list[str]] = {}
        for pattern in self.patterns():
            keyword, text = pattern.split(" ", 1)
            by_text.setdefault(text, []).append(pattern)
        best = closest_steps(step.name, list(by_text))
        same_type = step.type.capitalize()
        out = []
        for text in best:
            patterns = by_text[text]
            preferred = [p for p in patterns if p.startswith(same_type)] or patterns
            out.append(preferred[0] if preferred[0].startswith(same_type)
                       else f"{preferred[0]}   <- a {preferred[0].split(' ', 1)[0]} step")
        return out


# --- `cognito-harness check-features` ---------------------------------------------------------

def run_check(paths: list[str], write=print) -> int:
    """Collect `paths` (default: features) without running anything and write every Gherkin
    problem and undefined step. 0 when there is none, 1 when there are, 2 when pytest could not
    collect for another reason (a broken conftest.py, scenarios.yaml, ...)."""

    class Grab:
        check: FeatureCheck | None = None

        @pytest.hookimpl(trylast=True)
        def pytest_collection_finish(self, session):
            self.check = feature_check(session.config)

    grab = Grab()
    args = ["--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *(paths or ["features"])]
    pytest_output = io.StringIO()  # pytest's own listing is not what is asked for
    with contextlib.redirect_stdout(pytest_output):
        exit_code = pytest.main(args, plugins=[grab])
    check = grab.check
    if check is None:
        write(pytest_output.getvalue()[-3000:])
        write(f"check-features: pytest could not collect {' '.join(paths or ['features'])} (exit {int(exit_code)}); "
              "`.venv/bin/python -m pytest --collect-only` shows why")
        return 2
    for problem in sorted(check.problems):
        write(str(problem))
    for line in check.undefined_lines():
        write(line)
    n_problems, n_undefined = len(check.problems), len(check.undefined)
    if not check.features:
        write(f"check-features: no .feature file in {' '.join(paths or ['features'])}")
        return 1
    summary = (f"check-features: {check.features} feature file{'s' if check.features != 1 else ''}, "
               f"{check.scenarios} scenarios: ")
    if n_problems or n_undefined:
        write(summary + f"{n_problems} Gherkin problem{'s' if n_problems != 1 else ''}, "
                        f"{n_undefined} undefined step{'s' if n_undefined != 1 else ''}")
        return 1
    if int(exit_code) not in (0, 5):
        write(pytest_output.getvalue()[-3000:])
        write(summary + f"no Gherkin problem, but pytest's collection failed (exit {int(exit_code)}); "
                        "`.venv/bin/python -m pytest --collect-only` shows why")
        return 2
    write(summary + "no problems")
    return 0


# --- reporting the undefined steps once ------------------------------------------------------

def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        return  # the controller reports (see pytest_terminal_summary)
    check = feature_check(config)
    lines = check.undefined_lines()
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if lines and reporter is not None:
        check.reported = True
        reporter.ensure_newline()
        for line in lines:
            reporter.write_line(line, yellow=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[_WORKEROUTPUT_KEY] = feature_check(session.config).as_data()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    data = getattr(node, "workeroutput", {}).get(_WORKEROUTPUT_KEY)
    if data:
        feature_check(node.config).merge(data)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    check = feature_check(config)
    if check.reported:
        return
    for line in check.undefined_lines():
        terminalreporter.write_line(line, yellow=True)
