"""Scenario isolation: whatever a scenario changes, the next one starts from the narrative's
starting world, in any order.

The features run in a copy of the project (as a QA engineer's checkout would) with one
extra feature whose scenarios change the world and leave it changed: "demo" enrols an
authenticator from their own signed-in page (the issue's case: nine later scenarios
failed), "admin" is enrolled by the operator, the pool is made to require MFA. A small
plugin runs those first and then every other scenario, in several rounds, each round in
the order of its own seed (`--randomly-seed` + round): the same item objects run again,
as pytest-rerunfailures does. Every scenario of every round must pass. To keep the run
short, browser scenarios take part in the first round only, in the classic look (the
look is switched by the same fixture for both, and the issue's browser victims failed
in both looks for the same reason: "demo" was still enrolled).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = 4242
ROUNDS = 3

LEAKS = """\
Feature: Scenarios that change the world and leave it changed

  Scenario: Leak: demo enrols an authenticator app from their own page
    Given the pool offers optional MFA with authenticator apps only
    When "demo" enrols an authenticator app from their own signed-in page
    Then the next sign-in of "demo" is challenged with SOFTWARE_TOKEN_MFA

  Scenario: Leak: the operator enrols admin
    Given the pool offers optional MFA with authenticator apps only
    And "admin" is enrolled with an authenticator app
    Then the next sign-in of "admin" is challenged with SOFTWARE_TOKEN_MFA

  Scenario: Leak: the pool requires MFA
    Given the pool requires MFA with authenticator apps only
    And "mfa user" has been created by the operator
    When "mfa user" signs in with email and password
    Then the sign-in is challenged with MFA_SETUP
"""

ROUNDS_PLUGIN = '''\
"""Leaking scenarios first, then everything else; ROUNDS rounds, each shuffled by its seed."""
import os
import zlib

import pytest

ROUNDS = int(os.environ["ISOLATION_ROUNDS"])


def _order(items, seed):
    return sorted(items, key=lambda item: zlib.crc32(f"{seed}::{item.nodeid}".encode()))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    seed = config.getoption("randomly_seed")
    leaks = [i for i in items if i.name.startswith("test_leak_")]
    others = [i for i in items if i not in leaks]
    api_only = [i for i in others if i.get_closest_marker("browser") is None]
    one_look = [i for i in others if i in api_only or "[classic]" in i.name]
    order = []
    for n in range(ROUNDS):
        order += _order(leaks, seed + n) + _order(one_look if n == 0 else api_only, seed + n)
        print(f"round {n + 1}: seed {seed + n}, first after the leaks: {_order(others, seed + n)[0].name}")
    items[:] = order
'''


def _project_copy(tmp_path: Path) -> Path:
    for name in ("conftest.py", "scenarios.yaml", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("features", "steps"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "features" / "leaks.feature").write_text(LEAKS)
    (tmp_path / "isolation_rounds.py").write_text(ROUNDS_PLUGIN)
    return tmp_path


def test_a_scenario_that_enrols_demo_leaves_every_other_scenario_green_in_any_order(tmp_path):
    project = _project_copy(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "features", "-p", "no:cacheprovider", "-p", "isolation_rounds",
         "-p", "randomly", f"--randomly-seed={SEED}", "-q", "-s", "-rfE"],
        cwd=project, capture_output=True, text=True, timeout=600,
        env={**__import__("os").environ, "ISOLATION_ROUNDS": str(ROUNDS), "PYTHONPATH": str(project)})
    out = result.stdout
    rounds = re.findall(r"round \d: seed (\d+), first after the leaks: (\w+)", out)
    assert [int(seed) for seed, _ in rounds] == [SEED + n for n in range(ROUNDS)], out[-3000:]
    assert len({first for _, first in rounds}) > 1, "the rounds must run in different orders"
    assert result.returncode == 0 and " failed" not in out, out[-6000:]
    passed = int(re.search(r"(\d+) passed", out).group(1))
    assert passed > 3 * 37 + 9, f"expected every scenario of every round to run: {out[-2000:]}"
