"""pytest wiring for a real pool (`--target aws`): what the ledger holds is undone before
and after the run, and a scenario that needs a change the run may not make is skipped
with the reason (a read-only run), not failed.

Under pytest-xdist (`-n 2`, `-n auto`) the workers share the pool through a lease
(pool_lease.py): the first worker undoes an interrupted run's leftovers, the last one puts
the pool back, and scenarios that need different MFA configurations of the pool (or move
a shared clock) wait for each other. The workers' waits, skips and pre-flight table are
sent to the controller, which prints them in the run's summary.

Registered from conftest.py (`pytest_plugins`); pytest_plugin.py calls `start_run` and
`end_run` from its session `target` fixture.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from . import preflight, restore, startup
from .errors import HarnessError
from .gate import MutationRefused, UnsafeChangeRefused
from .ledger import Ledger, default_path
from .pool_lease import PoolLease, mfa_key
from .target import Target, aws_target, seconds_text

SKIPPED_FOR_CHANGES: Counter = Counter()
SKIPPED_AS_UNSAFE: Counter = Counter()
PREFLIGHT_TABLE: list[str] = []      # this process's pre-flight table (a worker sends it to the controller)
FROM_WORKERS: dict = {"tables": [], "lease_waits": [], "clock_waits": []}  # the controller's gathering


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    """-n on a real pool shares the pool through a lease (pool_lease.py) — but not a clock
    the harness moves: one worker's move (a TOTP window, a session's expiry) would expire
    another worker's session or code mid-scenario."""
    cfg = getattr(config, "_harness_config", None)
    workers = config.getoption("numprocesses", default=None)
    if (cfg is not None and cfg.target_name == "aws" and cfg.aws is not None and cfg.aws.clock_url
            and workers not in (None, 0, "0")):
        raise pytest.UsageError(
            "cognito-harness: -n with --target aws and targets.aws.clock_url: the workers would share the one clock "
            "the scenarios move (TOTP windows, session expiry), and one worker's move expires another's session or "
            "code mid-scenario. Run without -n, or without clock_url (the run then waits in real time where "
            "Cognito makes it wait, as on AWS)")


def _lease(config, target: Target) -> PoolLease | None:
    """This xdist worker's lease on the shared real pool; None for a serial run."""
    worker = getattr(config, "workerinput", None)
    if worker is None or target.ledger is None or target.ledger.path is None:
        return None
    return PoolLease.beside(target.ledger.path, worker["testrunuid"], worker["workerid"],
                            announce=lambda text: target.clock.announce(text))


def start_run(config, target: Target) -> None:
    """Before the first scenario: the ledger's leftovers undone (by the first worker of a
    parallel run, the others waiting for it)."""
    lease = target.lease = config._harness_lease = _lease(config, target)
    if lease is None:
        restore_before_run(target)
        return
    if lease.join():
        try:
            restore_before_run(target)
        except BaseException:
            lease.abandon()
            raise
        lease.ready(target.pool_mfa())


def end_run(target: Target) -> None:
    """After the last scenario (this worker's created users are deleted already): the pool
    put back — by the last worker of a parallel run."""
    lease = getattr(target, "lease", None)
    if lease is None:
        restore_after_run(target)
        return
    if lease.leave():
        try:
            restore_after_run(target)
        finally:
            lease.closed()


# A scenario whose first step is one of these establishes that MFA configuration of the pool
# (steps/common_steps.py): in a parallel run it holds it from its start (mode, authenticator apps).
FIRST_STEP_SETS = {
    "the pool offers optional MFA with authenticator apps only": ("OPTIONAL", True),
    "the pool requires MFA with authenticator apps only": ("ON", True),
    "the pool as the narrative found it, without MFA": ("OFF", False),
}


@pytest.fixture(autouse=True)
def _pool_mfa_lease(request):
    """A scenario of a parallel run on a real pool holds, from its set-up to the end of its
    tear-down whatever its outcome, the pool's MFA configuration it starts from: the one its
    first step establishes, else the one the run found; and establishes it first when the
    pool is in another. The gate moves the hold when the scenario sets another configuration
    (pool_lease.py). Scenarios do not put the pool's MFA back one by one: the next one
    establishes its own, and the last worker puts back the one the run found."""
    cfg = getattr(request.config, "_harness_config", None)
    if cfg is None or cfg.target_name != "aws" or not hasattr(request.config, "workerinput") \
            or not startup.is_scenario(request):
        yield
        return
    target = request.getfixturevalue("target")
    lease = getattr(target, "lease", None)
    if lease is None:
        yield
        return
    found = scenario_steps(request.node)
    first = FIRST_STEP_SETS.get(found[0][0]) if found and found[0] else None
    try:
        if first is not None:
            mode, totp = first
            if not lease.hold(mfa_key({"MfaConfiguration": mode, "SoftwareTokenMfaConfiguration": {"Enabled": totp}})):
                target.set_pool_mfa(mode, totp)  # the gate marks it applied
        else:
            baseline = lease.baseline()
            if not lease.hold(mfa_key(baseline)):
                lease.applied(mfa_key(target.restore_pool_mfa(baseline)))
        yield
    finally:
        lease.release()


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
    PREFLIGHT_TABLE[:] = table.splitlines()
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and not hasattr(config, "workerinput"):
        reporter.write_line("")
        for line in table.splitlines():
            reporter.write_line(line)


def pytest_sessionfinish(session):
    """An xdist worker sends what its summary would say to the controller, which prints it."""
    config = session.config
    if not hasattr(config, "workeroutput"):
        return
    clock = getattr(config, "_harness_clock", None)
    lease = getattr(config, "_harness_lease", None)
    config.workeroutput["cognito_harness"] = json.dumps({
        "worker": config.workerinput["workerid"],
        "for_changes": dict(SKIPPED_FOR_CHANGES), "as_unsafe": dict(SKIPPED_AS_UNSAFE),
        "table": PREFLIGHT_TABLE,
        "clock_waits": list(clock.waited) if clock is not None and not clock.controllable else [],
        "lease_waits": list(lease.waits) if lease is not None else [],
    })


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The controller of an xdist run gathers each worker's skips, waits and pre-flight table."""
    sent = getattr(node, "workeroutput", {}).get("cognito_harness")
    if not sent:
        return
    data = json.loads(sent)
    SKIPPED_FOR_CHANGES.update(data["for_changes"])
    SKIPPED_AS_UNSAFE.update(data["as_unsafe"])
    if data["table"]:
        FROM_WORKERS["tables"].append((data["worker"], data["table"]))
    FROM_WORKERS["clock_waits"] += data["clock_waits"]
    FROM_WORKERS["lease_waits"] += data["lease_waits"]


def _from_workers(terminalreporter):
    if FROM_WORKERS["tables"]:
        worker, table = sorted(FROM_WORKERS["tables"])[0]
        terminalreporter.write_line(f"cognito-harness: pre-flight of the real pool (as worker {worker} found it; "
                                    "each worker checks before its first scenario):")
        for line in table:
            terminalreporter.write_line(line)
    if FROM_WORKERS["clock_waits"]:
        total = sum(seconds for seconds, _ in FROM_WORKERS["clock_waits"])
        terminalreporter.write_line(f"cognito-harness: the workers waited {seconds_text(total)} in "
                                    f"{len(FROM_WORKERS['clock_waits'])} waits that the real pool forced "
                                    "(TOTP windows, session expiry)")
    if FROM_WORKERS["lease_waits"]:
        total = sum(seconds for seconds, _ in FROM_WORKERS["lease_waits"])
        terminalreporter.write_line(f"cognito-harness: -n on a real pool: {len(FROM_WORKERS['lease_waits'])} waits, "
                                    f"{seconds_text(total)} in all, for scenarios that need a different MFA "
                                    "configuration of the shared pool (or move its clock) to finish first")


def pytest_terminal_summary(terminalreporter):
    _from_workers(terminalreporter)
    for counter, why in ((SKIPPED_FOR_CHANGES, "the run may not change the pool (targets.aws.allow_mutation: false)"),
                         (SKIPPED_AS_UNSAFE, "they need a change the harness never makes on a real pool (a user the "
                                             "run did not create, or a change it cannot undo)")):
        if counter:
            terminalreporter.write_line(f"cognito-harness: {sum(counter.values())} scenarios skipped because {why}:")
            for what, count in counter.most_common():
                terminalreporter.write_line(f"  {count} x {what}")
