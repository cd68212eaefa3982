"""QA workflow: a new .feature file that uses existing steps runs with no Python written;
a step nobody defined is reported by its text."""

import shutil
import sys
from pathlib import Path

import processes

ROOT = Path(__file__).resolve().parents[1]

NEW_FEATURE = """\
Feature: Scenarios a QA engineer added
  Scenario: The admin refreshes after signing in
    Given the pool offers optional MFA with authenticator apps only
    And "admin" is signed in
    When "admin" refreshes the session with the refresh token
    Then "admin" receives new tokens without any challenge

  Scenario: A check with no request before it
    Given the pool offers optional MFA with authenticator apps only
    Then the pool's MFA configuration is "OPTIONAL"

  Scenario: A step nobody wrote yet
    Given "admin" is signed in
    When "admin" dances with the refresh token
"""


def test_a_new_feature_file_runs_without_python(tmp_path):
    for name in ("conftest.py", "scenarios.yaml", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("features", "steps"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__", "*.feature"))
    (tmp_path / "features" / "qa_added.feature").write_text(NEW_FEATURE)
    result = processes.run([sys.executable, "-m", "pytest", "features", "-q", "-p", "no:cacheprovider"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "2 failed, 1 passed" in result.stdout, result.stdout[-3000:]
    check = result.stdout.split("A check with no request before it", 1)[1]
    assert "no step before it made one (Givens record no answer)" in check, result.stdout[-3000:]
    assert "AttributeError" not in result.stdout
    assert "features/qa_added.feature::A step nobody wrote yet" in result.stdout
    assert "dances with the refresh token" in result.stdout
