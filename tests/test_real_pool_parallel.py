"""`-n` (pytest-xdist) on a real pool: the workers share one pool through a lease
(cognito_harness/pool_lease.py). The lease itself, with real processes; and runs of the
features with `--target aws -n 2` against a `cognito-harness serve` process, compared with
a serial run and with the whole pool before and after."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from xml.etree import ElementTree

import processes
import real_pool_endpoints as rp
from cognito_harness.errors import HarnessError
from cognito_harness.pool_lease import PoolLease, mfa_key

ROOT = Path(__file__).resolve().parents[1]
OFF = mfa_key({"MfaConfiguration": "OFF"})
OPTIONAL = mfa_key({"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": {"Enabled": True}})
ON = mfa_key({"MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": True}})


# --- the lease, with real processes --------------------------------------------------------

def _lease(tmp_path: Path, worker: str, run: str = "run-1", timeout: float = 5) -> PoolLease:
    return PoolLease(tmp_path / "pool-lease.json", run, worker, timeout=timeout, poll=0.005)


def _ready(tmp_path: Path, *workers: str) -> list[PoolLease]:
    leases = [_lease(tmp_path, w) for w in workers]
    assert leases[0].join() is True  # the first leads the clean-up...
    leases[0].ready({"MfaConfiguration": "OFF"})
    assert all(lease.join() is False for lease in leases[1:])  # ...the others wait for it
    return leases


def _hold_in_process(tmp_path: Path, worker: str, key: str, timeout: float, out) -> None:
    lease = _lease(tmp_path, worker, timeout=timeout)
    lease.join()
    try:
        lease.hold(key)
        out.put((worker, "granted", time.monotonic()))
        lease.applied(key)
        time.sleep(0.3)
        lease.release()
    except HarnessError as err:
        out.put((worker, f"refused: {err}", time.monotonic()))


def _start(tmp_path, worker, key, timeout=5.0):
    out = multiprocessing.get_context("fork").Queue()
    proc = multiprocessing.get_context("fork").Process(target=_hold_in_process,
                                                       args=(tmp_path, worker, key, timeout, out))
    proc.start()
    return proc, out


def test_the_same_configuration_is_shared_a_different_one_waits(tmp_path):
    gw0, gw1 = _ready(tmp_path, "gw0", "gw1")
    assert gw0.hold(OPTIONAL) is False  # granted; the pool is not in it yet: gw0 sets it
    gw0.applied(OPTIONAL)
    assert gw1.hold(OPTIONAL) is True   # shared, already applied
    proc, out = _start(tmp_path, "gw2", ON)
    time.sleep(0.4)
    assert out.empty(), "ON was granted while two workers hold OPTIONAL"
    gw0.release()
    time.sleep(0.2)
    assert out.empty(), "ON was granted while one worker still holds OPTIONAL"
    released = time.monotonic()
    gw1.release()
    worker, what, when = out.get(timeout=5)
    assert (worker, what) == ("gw2", "granted") and when >= released
    proc.join(5)
    assert gw0.waits == [] and gw1.waits == []


def test_first_come_first_served_nobody_starves(tmp_path):
    """gw0 holds OPTIONAL, gw1 waits for ON: gw2, asking for OPTIONAL, queues behind gw1
    although the pool is in OPTIONAL."""
    gw0, gw1, gw2 = _ready(tmp_path, "gw0", "gw1", "gw2")
    gw0.hold(OPTIONAL)
    gw0.applied(OPTIONAL)
    proc, out = _start(tmp_path, "gw1", ON)
    time.sleep(0.3)
    gw2.timeout = 0.3
    with pytest.raises(HarnessError, match=r"gw2 waited 0 s for the pool's MFA configuration OPTIONAL "
                                           r"\(SoftwareTokenMfa\); still held by gw0: OPTIONAL"):
        gw2.hold(OPTIONAL)
    gw0.release()
    assert out.get(timeout=5)[:2] == ("gw1", "granted")
    gw2.timeout = 5
    assert gw2.hold(OPTIONAL) is False  # after gw1 (holding ON for 0.3 s): the pool is in ON
    assert len(gw2.waits) == 1
    proc.join(5)


def test_a_worker_never_holds_while_it_waits(tmp_path):
    """Changing its configuration, a worker drops its hold first: two workers each wanting
    the other's configuration do not wait for each other for ever."""
    gw0, gw1 = _ready(tmp_path, "gw0", "gw1")
    gw0.hold(OPTIONAL)
    gw0.applied(OPTIONAL)
    proc, out = _start(tmp_path, "gw1", ON)  # gw1 (another process) waits for ON
    time.sleep(0.2)
    gw0.hold(OFF)                               # gw0 drops OPTIONAL: gw1 goes first, then gw0
    assert out.get(timeout=5)[:2] == ("gw1", "granted")
    assert gw0.held == OFF and gw0.waits and gw0.waits[0][1] == "the pool's MFA configuration OFF"
    proc.join(5)


def test_a_killed_worker_s_hold_goes_with_it(tmp_path):
    """A worker killed mid-scenario (its tear-down never ran) holds nothing any more."""
    (gw0,) = _ready(tmp_path, "gw0")
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()

    def hold_for_ever():
        lease = _lease(tmp_path, "gw1")
        lease.join()
        lease.hold(ON)
        ready.set()
        signal.pause()  # until the SIGKILL below

    proc = ctx.Process(target=hold_for_ever)
    proc.start()
    assert ready.wait(5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(5)
    gw0.timeout = 2
    assert gw0.hold(OPTIONAL) is False


def test_another_run_s_record_is_stale_once_its_processes_are_gone(tmp_path):
    path = tmp_path / "pool-lease.json"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path.write_text(json.dumps({"run": "old", "workers": {"gw0": dead.pid}, "ready": True, "leader": None,
                                "holders": {"gw0": ON}, "queue": [], "pool": ON, "baseline": None}))
    lease = _lease(tmp_path, "gw0")
    assert lease.join() is True  # leads: the old run's record is gone
    assert lease.hold(OPTIONAL) is False
    alive = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        path.write_text(json.dumps({"run": "other", "workers": {"gw3": alive.pid}, "ready": True, "leader": None,
                                    "holders": {}, "queue": [], "pool": OFF, "baseline": None}))
        with pytest.raises(HarnessError, match=rf"another parallel run \(workers gw3 pid {alive.pid}\) is using "
                                               "this pool"):
            _lease(tmp_path, "gw0").join()
    finally:
        alive.kill()
        alive.wait()


def test_the_last_worker_to_leave_puts_the_pool_back_and_a_next_run_waits_for_it(tmp_path):
    gw0, gw1 = _ready(tmp_path, "gw0", "gw1")
    assert gw0.leave() is False
    assert gw1.leave() is True  # the last: it restores now; a next run's worker waits meanwhile
    nxt = _lease(tmp_path, "gw0", timeout=0.3)
    with pytest.raises(HarnessError, match="waited 0 s for the first worker to undo what an interrupted"):
        nxt.join()
    gw1.closed()
    assert _lease(tmp_path, "gw0").join() is True


# --- the features, -n 2 on a served pool ---------------------------------------------------

@pytest.fixture(scope="module")
def real_time_pool():
    """A `cognito-harness serve` process of this module's own, its clock never moved: the
    runs here have no clock_url (-n refuses one) and wait in real time, as on AWS."""
    with rp.served() as endpoint:
        yield endpoint


def _config(endpoint, tmp_path: Path, **aws) -> Path:
    path = rp.config_for(endpoint, tmp_path, allow_mutation=True, **aws)
    data = yaml.safe_load(path.read_text())
    data["targets"]["aws"].pop("clock_url", None)
    data["targets"]["aws"].update(aws)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _outcomes(junit: Path) -> dict[str, str]:
    """Each scenario's outcome, from the run's JUnit XML (the same for a serial and an xdist run)."""
    found = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        found[f"{case.get('classname')}::{case.get('name')}"] = kinds[0] if kinds else "passed"
    return found


# the scenarios whose authenticator would wait for a TOTP window in real time are left out
FAST = ["features/pool_mfa_policy.feature", "features/mfa_enrolment.feature",
        "features/operating_mfa.feature", "-k", "not every and not lost and not (turning and off)"]


def test_the_api_features_with_n_2_give_the_serial_results_and_put_the_pool_back(real_time_pool, tmp_path):
    """The serial results of these scenarios on a served pool: every one passes
    (test_real_pool_path.py runs them all serially, with the clock moved instead of waited for)."""
    config = _config(real_time_pool, tmp_path)
    before = real_time_pool.listing()
    env = real_time_pool.env(HARNESS_LEDGER=str(tmp_path / "ledger.json"))
    parallel = processes.run(
        [sys.executable, "-m", "pytest", "--config", str(config), "-q", "-p", "no:cacheprovider", "-rs",
         f"--junitxml={tmp_path / 'junit.xml'}", *FAST, "-n", "2",
         "-vv", "-p", "no:cognito-harness-scenario-lines"],  # -q -vv: pytest's own lines, one a scenario
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert parallel.returncode == 0, parallel.stdout[-4000:] + parallel.stderr[-2000:]
    outcomes = _outcomes(tmp_path / "junit.xml")
    assert len(outcomes) == 17 and set(outcomes.values()) == {"passed"}, outcomes
    # both workers ran scenarios, each with an MFA user of its own, created and deleted again
    for worker in ("gw0", "gw1"):
        assert re.search(rf"\[{worker}\] \[ *\d+%\] PASSED", parallel.stdout), parallel.stdout[-3000:]
    assert "persona mfa user" in parallel.stdout and "+gw0@example.com" in parallel.stdout
    after = real_time_pool.listing()
    assert before == after, rp.same(before, after)
    assert json.loads((tmp_path / "ledger.json").read_text()) == {}
    # the summary says how the workers waited for each other
    assert "cognito-harness: -n on a real pool: " in parallel.stdout


MIXED = """\
Feature: Scenarios that need different MFA configurations of the one pool

  Scenario Outline: A user without a factor is asked to set one up when MFA is required <n>
    Given the pool requires MFA with authenticator apps only
    And "mfa user" has been created by the operator
    When "mfa user" signs in with email and password
    Then the sign-in is challenged with MFA_SETUP

    Examples:
      | n |
{rows}

  Scenario Outline: An existing user signs in without a code while MFA is optional <n>
    Given the pool offers optional MFA with authenticator apps only
    When "demo" signs in with email and password
    Then "demo" receives tokens without any challenge

    Examples:
      | n |
{rows}

  Scenario Outline: The pool is as the run found it <n>
    When the operator reads the pool's MFA configuration
    Then the pool's MFA configuration is "OFF"

    Examples:
      | n |
{rows}
"""


def test_scenarios_needing_different_pool_mfa_do_not_interfere(real_time_pool, tmp_path):
    """Without the lease, the workers' scenarios change the one pool's MFA under each other:
    a scenario reads MFA required where it set optional, or the other way round."""
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "steps", tmp_path / "steps", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "mixed.feature").write_text(MIXED.format(rows="\n".join(f"      | {n} |"
                                                                                    for n in range(5))))
    config = _config(real_time_pool, tmp_path)
    before = real_time_pool.listing()
    env = real_time_pool.env(HARNESS_LEDGER=str(tmp_path / "ledger.json"))
    result = processes.run([sys.executable, "-m", "pytest", "features", "--config", str(config), "-q",
                             "-p", "no:cacheprovider", "-n", "2"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1].startswith("15 passed in "), result.stdout[-3000:]
    waits = [line for line in result.stdout.splitlines() if line.startswith("cognito-harness: -n on a real pool:")]
    assert waits and " waits, " in waits[0], result.stdout[-2000:]
    after = real_time_pool.listing()
    assert before == after, rp.same(before, after)


def test_n_with_a_clock_the_harness_moves_is_refused_with_the_reason(real_time_pool, tmp_path):
    config = _config(real_time_pool, tmp_path, clock_url=real_time_pool.clock_url)
    result = rp.run_features(config, real_time_pool.env(HARNESS_LEDGER=str(tmp_path / "ledger.json")),
                             "-n", "2", "-k", "read_as_off")
    assert result.returncode == 4, result.stdout[-2000:] + result.stderr[-2000:]
    assert ("-n with --target aws and targets.aws.clock_url: the workers would share the one clock the "
            "scenarios move") in result.stderr
    assert "Traceback" not in result.stderr
