"""Givens establish their state in as few calls as the target allows (issue 9)."""

from __future__ import annotations


def test_the_operator_creates_a_user_in_one_call_and_replaces_one_that_exists(target, harness_config):
    """On the embedded pool: AdminCreateUser at once (no AdminGetUser first); a user of the
    same name is replaced (deleted, created anew)."""
    persona = harness_config.persona("mfa user")
    admin = target.admin()
    calls: list[str] = []

    def record(model, **kwargs):
        calls.append(model.name)
    admin.meta.events.register("before-call.cognito-idp.*", record)
    try:
        target.create_user(persona.email, persona.password_for("embedded"))
        first = admin.admin_get_user(UserPoolId=target.user_pool_id, Username=persona.email)
        assert calls == ["AdminCreateUser", "AdminSetUserPassword", "AdminGetUser"]
        calls.clear()
        target.create_user(persona.email, persona.password_for("embedded"))
        second = admin.admin_get_user(UserPoolId=target.user_pool_id, Username=persona.email)
        assert calls == ["AdminCreateUser", "AdminDeleteUser", "AdminCreateUser", "AdminSetUserPassword", "AdminGetUser"]
    finally:
        admin.meta.events.unregister("before-call.cognito-idp.*", record)
        target.reset_to_starting_world()

    def sub(user):
        return {a["Name"]: a["Value"] for a in user["UserAttributes"]}["sub"]
    assert sub(first) != sub(second), "the user was replaced, not kept"
    assert second["UserStatus"] == "CONFIRMED"


LEAKING = """\
Feature: Two scenarios that leave a user behind
  Scenario: The operator creates the MFA user
    Given "mfa user" has been created by the operator

  Scenario: The operator creates the MFA user again
    Given "mfa user" has been created by the operator
"""

AFTER = """\
from botocore.exceptions import ClientError


def test_what_runs_after_the_scenarios_finds_the_starting_world(target, harness_config):
    email = harness_config.persona("mfa user").email
    try:
        target.admin().admin_get_user(UserPoolId=target.user_pool_id, Username=email)
        found = True
    except ClientError:
        found = False
    assert not found, "the scenarios' user is still there"
"""

COUNT_RESETS = """

from cognito_harness.target import Target

_reset = Target.reset_to_starting_world


def _counted(self):
    print("HARNESS-RESET")
    return _reset(self)


Target.reset_to_starting_world = _counted
"""


def test_one_reset_between_two_scenarios_and_one_before_what_follows(tmp_path):
    """A scenario's tear-down leaves the reset to the next scenario's set-up; a test that is
    not a scenario still finds the starting world after the last one."""
    import shutil
    import processes
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for name in ("scenarios.yaml", "pyproject.toml"):
        shutil.copy(root / name, tmp_path / name)
    (tmp_path / "conftest.py").write_text((root / "conftest.py").read_text() + COUNT_RESETS)
    shutil.copytree(root / "steps", tmp_path / "steps", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "leaking.feature").write_text(LEAKING)
    (tmp_path / "test_after.py").write_text(AFTER)
    result = processes.run([sys.executable, "-m", "pytest", "features/leaking.feature", "test_after.py", "-q", "-s",
                            "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:playwright"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "3 passed" in result.stdout, result.stdout[-3000:]
    assert result.stdout.count("HARNESS-RESET") == 3, result.stdout[-3000:]  # before each scenario, after the last
