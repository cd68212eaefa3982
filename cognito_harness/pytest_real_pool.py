"""pytest wiring for a real pool (`--target aws`): what the ledger holds is undone before
and after the run, and a scenario that needs a change the run may not make is skipped
with the reason (a read-only run), not failed.

Registered from conftest.py (`pytest_plugins`); pytest_plugin.py calls the two restore
functions from its session `target` fixture.
"""

from __future__ import annotations

from collections import Counter

import pytest

from . import preflight, restore
from .errors import HarnessError
from .gate import MutationRefused, UnsafeChangeRefused
from .ledger import Ledger, default_path
from .target import Target, aws_target

SKIPPED_FOR_CHANGES: Counter = Counter()
SKIPPED_AS_UNSAFE: Counter = Counter()


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    """A real pool is one shared thing: parallel workers would undo each other's changes."""
    cfg = getattr(config, "_harness_config", None)
    workers = config.getoption("numprocesses", default=None)
    if cfg is not None and cfg.target_name == "aws" and workers not in (None, 0, "0"):
        raise pytest.UsageError("cognito-harness: --target aws runs on one worker: the scenarios share the real "
                                "pool (its MFA setting, the MFA user), so drop -n")


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
    """A change the gate refused makes the scenario a skip, with the reason: the run may not
    change the pool (allow_mutation: false), or the change would touch a user the run did not
    create / could not be undone (unsafe on a real pool, whatever allow_mutation says)."""
    if call.excinfo is None or not call.excinfo.errisinstance(MutationRefused) or report.when == "teardown":
        return
    err = call.excinfo.value
    report.outcome = "skipped"
    report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {err.skip_reason()}")
    counter = SKIPPED_AS_UNSAFE if isinstance(err, UnsafeChangeRefused) else SKIPPED_FOR_CHANGES
    counter[err.summary_key()] += 1


def scenario_steps(item) -> tuple[list[str], set[str]] | None:
    """The step texts (Background included, Outline examples filled in) and tags of a scenario item."""
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    template = scenario_wrapper_template_registry.get(getattr(item, "obj", None))
    if template is None:
        return None
    callspec = getattr(item, "callspec", None)
    example = callspec.params.get("_pytest_bdd_example", {}) if callspec else {}
    scenario = template.render(example)
    tags = set(template.tags) | set(template.feature.tags) | (set(template.rule.tags) if template.rule else set())
    return [step.name for step in scenario.steps], tags


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """Pre-flight (real pool): one table before the first scenario; what is missing skips the
    scenarios that need it; an unreachable endpoint or refused credentials stop the run."""
    cfg = getattr(config, "_harness_config", None)
    if cfg is None or cfg.target_name != "aws" or not items or config.option.collectonly:
        return
    scenarios = [(item, found) for item in items if (found := scenario_steps(item)) is not None]
    if not scenarios:
        return
    try:
        target = aws_target(cfg, Ledger(default_path(config.rootpath)))
        report = preflight.check(target)
    except HarnessError as err:
        pytest.exit(f"cognito-harness: {err}", returncode=4)
    config._harness_real_target = target
    needs = [preflight.needs_of(steps, cfg, tags) for _, (steps, tags) in scenarios]
    report.count(needs)
    skipped = 0
    for (item, _), need in zip(scenarios, needs):
        reason = report.skip_reason(need)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
            skipped += 1
    table = report.table(len(scenarios)) + (f"\n  -> {skipped} of {len(scenarios)} scenarios skipped for what is "
                                            "missing (-rs shows each reason)" if skipped else "")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and not hasattr(config, "workerinput"):
        reporter.write_line("")
        for line in table.splitlines():
            reporter.write_line(line)


def pytest_terminal_summary(terminalreporter):
    for counter, why in ((SKIPPED_FOR_CHANGES, "the run may not change the pool (targets.aws.allow_mutation: false)"),
                         (SKIPPED_AS_UNSAFE, "they need a change the harness never makes on a real pool (a user the "
                                             "run did not create, or a change it cannot undo)")):
        if counter:
            terminalreporter.write_line(f"cognito-harness: {sum(counter.values())} scenarios skipped because {why}:")
            for what, count in counter.most_common():
                terminalreporter.write_line(f"  {count} x {what}")
