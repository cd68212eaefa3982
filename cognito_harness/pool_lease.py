"""pytest-xdist workers sharing one real pool: who cleans up, and who may set the pool's MFA.

A real pool has one MFA configuration for all workers, and one ledger of what the run
changed (ledger.py). Each worker of a parallel run (`-n 2`, `-n auto`) holds a lease on
both, kept in one small file next to the ledger (``pool-lease.json``, every read-modify-
write under an exclusive ``flock``), keyed by the xdist run (its ``testrunuid``):

- **The run's workers.** The first worker to join undoes what an interrupted earlier run
  left (`restore_before_run`) while the others wait for it; a worker that finishes deletes
  the users it created and leaves; the *last* to leave puts the pool back as the run found
  it (`restore_after_run`). A record of another run whose processes are all gone is stale
  and replaced; one whose processes still run is refused (two runs on one pool would undo
  each other's changes).
- **The pool's MFA configuration, a group lease.** Every scenario holds the configuration
  it runs under (a key: the configuration's fingerprint), from its set-up to the end of its
  tear-down, whatever its outcome. At its start that is the configuration its first step
  establishes, else the one the run found (pytest_real_pool.py sets the pool to it if it is
  in another: scenarios do not put the pool's MFA back one by one). A scenario that sets
  the pool's MFA to another configuration (the gate sees every `SetUserPoolMfaConfig`)
  first drops its hold, then waits until every holder holds that configuration too:
  scenarios that need the same configuration run side by side, a different one waits for
  them to finish. Waiting is first come, first served: once a worker waits for Y,
  newcomers for X queue behind it, so nobody waits for ever. A worker never holds while it
  waits (no deadlock). A newcomer joins a group only once the configuration has been
  applied (the gate marks it after Cognito answered).

Each wait is announced and counted (the run's summary says how many and how long) and is
bounded by `timeout` seconds: a wait that does not end names who holds what.

Serial runs have no lease (`PoolLease` is only made for an xdist worker on a real pool);
the ledger stays the source of truth for crash recovery (`cognito-harness restore`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import Callable

from .errors import HarnessError

MFA_FACTORS = ("SmsMfaConfiguration", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration",
               "WebAuthnConfiguration")
TIMEOUT = 600.0  # seconds a worker waits for the pool before the run fails with who holds what


def mfa_key(config: dict) -> str:
    """The fingerprint of an MFA configuration: a SetUserPoolMfaConfig request or a
    GetUserPoolMfaConfig answer (a factor shown as {"Enabled": false} is a factor not shown)."""
    kept = {k: v for k, v in config.items() if k in MFA_FACTORS and v != {"Enabled": False}}
    kept["MfaConfiguration"] = config.get("MfaConfiguration") or "OFF"
    return json.dumps(kept, sort_keys=True, separators=(",", ":"))


def shown(key: str) -> str:
    """'OPTIONAL (SoftwareTokenMfaConfiguration)': a key as a person reads it."""
    config = json.loads(key)
    factors = [k.replace("Configuration", "") for k in sorted(config) if k != "MfaConfiguration"]
    return config["MfaConfiguration"] + (f" ({', '.join(factors)})" if factors else "")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PoolLease:
    def __init__(self, path: Path | str, run_id: str, worker: str, timeout: float = TIMEOUT,
                 announce: Callable[[str], None] | None = None, poll: float = 0.02):
        self.path = Path(path)
        self.run_id = run_id
        self.worker = worker
        self.timeout = timeout
        self.poll = poll
        self.announce = announce or (lambda text: None)
        self.waits: list[tuple[float, str]] = []  # (seconds, what was waited for)
        self.held: str | None = None               # the key this worker holds

    @classmethod
    def beside(cls, ledger_path: Path | str, run_id: str, worker: str, **kw) -> PoolLease:
        return cls(Path(ledger_path).with_name("pool-lease.json"), run_id, worker, **kw)

    # --- storage ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _record(self):
        """The record, locked; written back when the block ends without an error."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                try:
                    data = json.loads(self.path.read_text(encoding="utf-8"))
                except (FileNotFoundError, ValueError):
                    data = {}
                data = self._current(data)
                yield data
                tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
                tmp.replace(self.path)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _current(self, data: dict) -> dict:
        """This run's record: another run's is replaced if all its processes are gone; the
        holds and waits of a worker whose process is gone are dropped."""
        if data.get("run") not in (None, self.run_id):
            live = {w: pid for w, pid in data.get("workers", {}).items() if _alive(pid)}
            if live:
                raise HarnessError(
                    f"another parallel run (workers {', '.join(f'{w} pid {p}' for w, p in sorted(live.items()))}) is "
                    f"using this pool ({self.path}): two runs on one real pool would undo each other's changes; "
                    "wait for it to finish")
            data = {}
        if not data:
            data = {"run": self.run_id, "workers": {}, "ready": False, "holders": {}, "queue": [], "pool": None,
                    "baseline": None, "leader": None}
        gone = {w for w, pid in data["workers"].items() if not _alive(pid)}
        for worker in gone:
            data["workers"].pop(worker)
            data["holders"].pop(worker, None)
        data["queue"] = [e for e in data["queue"] if e["worker"] not in gone]
        return data

    # --- the run's workers ----------------------------------------------------------------

    def join(self) -> bool:
        """Registers this worker; True if it leads (it then undoes an interrupted run's
        leftovers and calls `ready`, or `abandon` if it could not), else returns once the
        leader has (or, if the leader gave up, leads itself)."""
        with self._record() as data:
            data["workers"][self.worker] = os.getpid()
            outcome = self._claim(data)
        if outcome is None:
            outcome = self._wait_until(self._claim, "the first worker to undo what an interrupted earlier run left")
        return outcome == "lead"

    def _claim(self, data: dict) -> str | None:
        if data["ready"]:
            return "joined"
        if data.get("leader") not in data["workers"]:  # nobody leads, or the leader's process is gone
            data["leader"] = self.worker
            return "lead"
        return None

    def ready(self, baseline: dict) -> None:
        """The leader is done with the clean-up; `baseline`: the pool's MFA configuration
        now, which every scenario starts from."""
        with self._record() as data:
            data.update(ready=True, leader=None, baseline=baseline, pool=mfa_key(baseline))

    def abandon(self) -> None:
        """The leader could not clean up: it leaves, and a waiting worker tries in its place."""
        with self._record() as data:
            data["workers"].pop(self.worker, None)
            data["leader"] = None

    def baseline(self) -> dict:
        with self._record() as data:
            return dict(data["baseline"] or {"MfaConfiguration": "OFF"})

    def leave(self) -> bool:
        """This worker is done (its holds go with it). True if it is the last: it then puts
        the pool back and calls `closed`, while a worker of a next run that joins waits."""
        with self._record() as data:
            data["holders"].pop(self.worker, None)
            data["queue"] = [e for e in data["queue"] if e["worker"] != self.worker]
            last = set(data["workers"]) <= {self.worker}
            if last:
                data.update(ready=False, leader=self.worker)
            else:
                data["workers"].pop(self.worker, None)
        self.held = None
        return last

    def closed(self) -> None:
        with self._record() as data:
            data["workers"].pop(self.worker, None)
            data["leader"] = None

    # --- the pool's MFA configuration -----------------------------------------------------

    def hold(self, key: str) -> bool:
        """Holds `key` (dropping what this worker held first: it never holds while it waits);
        returns once granted. True if the pool is known to be in that configuration already
        (else the caller is about to set it)."""
        if key == self.held:
            with self._record() as data:
                return data["pool"] == key
        with self._record() as data:
            data["holders"].pop(self.worker, None)
            self.held = None
            data["queue"].append({"worker": self.worker, "key": key})
            granted = self._grant(data)
        if not granted:
            granted = self._wait_until(self._grant, f"the pool's MFA configuration {shown(key)}")
        self.held = key
        return granted["pool"] == key

    def _grant(self, data: dict) -> dict | None:
        """Moves this worker from the queue to the holders if it may hold now: every other
        holder holds the same configuration (applied already, if there are any), and nobody
        waiting before it waits for another one."""
        queue = data["queue"]
        mine = next((i for i, e in enumerate(queue) if e["worker"] == self.worker), None)
        if mine is None:
            return data if self.worker in data["holders"] else None
        key = queue[mine]["key"]
        others = {w: held for w, held in data["holders"].items() if w != self.worker}
        if any(held != key for held in others.values()):
            return None
        if others and data["pool"] != key:
            return None  # the group's first holder has not applied the configuration yet
        if any(e["key"] != key for e in queue[:mine]):
            return None  # first come, first served
        queue.pop(mine)
        data["holders"][self.worker] = key
        return data

    def applied(self, key: str) -> None:
        """The pool's MFA configuration is now `key` (Cognito answered the change)."""
        with self._record() as data:
            data["pool"] = key

    def release(self) -> None:
        """The scenario is over (its tear-down included): its hold goes."""
        if self.held is None:
            return
        with self._record() as data:
            data["holders"].pop(self.worker, None)
            data["queue"] = [e for e in data["queue"] if e["worker"] != self.worker]
        self.held = None

    # --- waiting ----------------------------------------------------------------------------

    def _wait_until(self, ready: Callable[[dict], object], why: str) -> dict:
        """Called after a first look found the worker must wait: every call is one wait."""
        start = time.monotonic()
        announced = False
        while True:
            with self._record() as data:
                if result := ready(data):
                    self.waits.append((time.monotonic() - start, why))
                    return data if result is True else result
                holders = dict(data["holders"])
            waited = time.monotonic() - start
            if not announced and waited > 0.5:
                self.announce(f"[cognito-harness] {self.worker} waiting for {why} (held by "
                              f"{_holders(holders) or 'nobody yet'})")
                announced = True
            if waited > self.timeout:
                with self._record() as data:
                    data["queue"] = [e for e in data["queue"] if e["worker"] != self.worker]
                raise HarnessError(f"{self.worker} waited {waited:.0f} s for {why}; still held by "
                                   f"{_holders(holders) or 'nobody'} ({self.path})")
            time.sleep(self.poll)


def _holders(holders: dict) -> str:
    return ", ".join(f"{w}: {shown(key)}" for w, key in sorted(holders.items()))
