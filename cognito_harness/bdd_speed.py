"""pytest-bdd finds a step's definition by walking every fixture pytest knows (a few hundred:
pytest's, Playwright's, the harness's, every step) and asking each step parser whether it
matches — for every step of every scenario, about a millisecond each. The answer only depends
on the step's type and text and on which definitions the scenario's file can see, which does
not change once collection is over; so from then on it is looked up once per (file, step)
and remembered.

The result is the list pytest-bdd itself computes (tests/test_speed.py compares the two for
every step the specs run). pytest-bdd still does everything else: it injects the definitions
and lets pytest pick the one that applies by its own scoping rules.
"""

from __future__ import annotations

import importlib
import weakref

bdd_scenario = importlib.import_module("pytest_bdd.scenario")

_original = bdd_scenario.find_fixturedefs_for_step
_cache: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


def _visibility(node) -> str:
    """Step definitions are seen per file (conftest.py, plugins, the file itself): the
    scenario's parent, not the scenario, decides."""
    parent = getattr(node, "parent", None)
    return parent.nodeid if parent is not None else node.nodeid


def find_fixturedefs_for_step(step, fixturemanager, node):
    per_manager = _cache.get(fixturemanager)
    if per_manager is None:  # collection not over (or another session): look, remember nothing
        return _original(step=step, fixturemanager=fixturemanager, node=node)
    key = (step.type, step.name, _visibility(node))
    found = per_manager.get(key)
    if found is None:
        found = per_manager[key] = tuple(_original(step=step, fixturemanager=fixturemanager, node=node))
    return iter(found)


def collection_finished(session) -> None:
    """From here on the session's step definitions are fixed: remember its look-ups."""
    bdd_scenario.find_fixturedefs_for_step = find_fixturedefs_for_step
    _cache.setdefault(session._fixturemanager, {})
