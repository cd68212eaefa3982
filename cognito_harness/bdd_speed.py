"""pytest-bdd finds a step's definition by walking every fixture pytest knows (a few hundred:
pytest's, Playwright's, the harness's, every step), asking pytest which of their definitions
the scenario's file can see and each step parser whether it matches — for every step of every
scenario and again in the collection check, about a millisecond each. Which step definitions
a file sees does not change while its steps are looked up: the walk is made once per file
(`StepDefinitions`), and each step then asks only those definitions' parsers, in the same
order. Once collection is over, each (file, step) answer is also remembered.

The result is the list pytest-bdd itself computes (tests/test_scenario_isolation.py compares
the two before every step of its three rounds of the features). pytest-bdd still does
everything else: it injects the definitions and lets pytest pick the one that applies by its
own scoping rules.
"""

from __future__ import annotations

import importlib
import weakref

bdd_scenario = importlib.import_module("pytest_bdd.scenario")

_original = bdd_scenario.find_fixturedefs_for_step
_cache: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


class StepDefinitions:
    """The step definitions `node` sees, in the order pytest-bdd's look-up meets them: its
    walk over every fixture name, made once."""

    def __init__(self, fixturemanager, node) -> None:
        self.visible = []
        for name in bdd_scenario.get_fixture_names(fixturemanager=fixturemanager):
            for fixturedef in bdd_scenario.getfixturedefs(fixturemanager, name, node) or []:
                context = bdd_scenario.step_function_context_registry.get(fixturedef.func)
                if context is not None:
                    self.visible.append((fixturedef, context))

    def matching(self, step) -> list:
        """What pytest_bdd.scenario.find_fixturedefs_for_step yields for `step`."""
        return [fixturedef for fixturedef, context in self.visible
                if (context.type is None or context.type == step.type) and context.parser.is_matching(step.name)]


def _visibility(node) -> str:
    """Step definitions are seen per file (conftest.py, plugins, the file itself): the
    scenario's parent, not the scenario, decides."""
    parent = getattr(node, "parent", None)
    return parent.nodeid if parent is not None else node.nodeid


def find_fixturedefs_for_step(step, fixturemanager, node):
    per_manager = _cache.get(fixturemanager)
    if per_manager is None:  # collection not over (or another session): look, remember nothing
        return _original(step=step, fixturemanager=fixturemanager, node=node)
    where = _visibility(node)
    key = (step.type, step.name, where)
    found = per_manager.get(key)
    if found is None:
        definitions = per_manager.get(where)
        if definitions is None:
            definitions = per_manager[where] = StepDefinitions(fixturemanager, node)
        found = per_manager[key] = tuple(definitions.matching(step))
    return iter(found)


def collection_finished(session) -> None:
    """From here on the session's step definitions are fixed: remember its look-ups."""
    bdd_scenario.find_fixturedefs_for_step = find_fixturedefs_for_step
    _cache.setdefault(session._fixturemanager, {})
