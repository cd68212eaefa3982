"""pytest wiring for a real pool (`--target aws`): what the ledger holds is undone before
and after the run, and a scenario that needs a change the run may not make is skipped
with the reason (a read-only run), not failed.

Registered from conftest.py (`pytest_plugins`); pytest_plugin.py calls the two restore
functions from its session `target` fixture.
"""

from __future__ import annotations

from collections import Counter

import pytest

from . import restore
from .gate import MutationRefused
from .target import Target

SKIPPED_FOR_CHANGES: Counter = Counter()


def restore_before_run(target: Target) -> None:
    """An interrupted earlier run's changes are undone first (only if this run may change the pool)."""
    if not restore.pending(target):
        return
    if not target.can_mutate:
        target.clock.announce(
            f"[cognito-harness] WARNING: the ledger ({target.ledger.path}) holds changes an interrupted run made "
            f"to {target.user_pool_id}; this run may not change the pool, so they stay: "
            "`cognito-harness restore --target aws` undoes them")
        return
    lines = restore.restore(target)
    target.clock.announce("[cognito-harness] undone what an interrupted earlier run changed:\n  "
                          + "\n  ".join(line.text for line in lines))
    _fail_unless_all_undone(lines)


def restore_after_run(target: Target) -> None:
    lines = restore.restore(target)
    shown = [line.text for line in lines if "already" not in line.text]
    if shown:
        target.clock.announce("[cognito-harness] put the pool back as the run found it:\n  " + "\n  ".join(shown))
    _fail_unless_all_undone(lines)


def _fail_unless_all_undone(lines) -> None:
    failed = [line.text for line in lines if not line.ok]
    if failed:
        raise pytest.UsageError("cognito-harness: the pool could not be put back:\n  " + "\n  ".join(failed))


def refused_change_skips(item, call, report) -> None:
    """A change the gate refused (allow_mutation: false) makes the scenario a skip, with the reason."""
    if call.excinfo is None or not call.excinfo.errisinstance(MutationRefused) or report.when == "teardown":
        return
    reason = f"read-only run: {call.excinfo.value}"
    report.outcome = "skipped"
    report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {reason}")
    SKIPPED_FOR_CHANGES[str(call.excinfo.value).split(", and scenarios.yaml")[0]] += 1


def pytest_terminal_summary(terminalreporter):
    if SKIPPED_FOR_CHANGES:
        total = sum(SKIPPED_FOR_CHANGES.values())
        terminalreporter.write_line(
            f"cognito-harness: {total} scenarios skipped because the run may not change the pool "
            "(targets.aws.allow_mutation: false):")
        for what, count in SKIPPED_FOR_CHANGES.most_common():
            terminalreporter.write_line(f"  {count} x {what}")
