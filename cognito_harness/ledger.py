"""A record, on disk, of every change a run made to a real pool, written *before* the change.

Clean-up normally happens at the end of the run. A run that is killed (SIGKILL, a CI
timeout) cannot clean up; the next run (or `cognito-harness restore`) reads this ledger and
undoes what the harness changed — and only that. Per pool id:

- ``users``: users the harness created. ``username`` is the internal name (the ``sub``) once
  Cognito answered; a user is deleted only if it is still that user, so a same-email user
  made since by someone else is left alone. An entry whose answer never came (killed between
  the request and the answer) keeps ``since``: the user is deleted only if it was created
  after that moment.
- ``pool_mfa``: the pool's whole MFA configuration (every field GetUserPoolMfaConfig returns)
  as it was before the run first changed it.
- ``objects``: S3 objects the harness may have written (``bucket``, ``key``).

The file is shared by processes (pytest-xdist workers, the restore command): every
read-modify-write holds an exclusive lock on a side file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from pathlib import Path


def default_path(root: Path | str) -> Path:
    """$HARNESS_LEDGER, else .cognito-harness/ledger.json under the project folder."""
    return Path(os.environ.get("HARNESS_LEDGER") or Path(root) / ".cognito-harness" / "ledger.json")


class Ledger:
    def __init__(self, path: Path | str | None):
        """`path` None: kept in memory only (a target built outside a pytest run)."""
        self.path = Path(path) if path is not None else None
        self._memory: dict = {}
        self._lock = threading.RLock()

    # --- storage ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self):
        with self._lock:
            if self.path is None:
                yield
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path.with_name(self.path.name + ".lock"), "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def _read(self) -> dict:
        if self.path is None:
            return json.loads(json.dumps(self._memory))
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        for pool, entry in data.items():  # the first ledgers held {pool: {email: username}}
            if entry and not {"users", "pool_mfa", "objects"} & set(entry):
                data[pool] = {"users": {email: {"username": name} for email, name in entry.items()}}
        return data

    def _write(self, data: dict) -> None:
        data = {pool: entry for pool, entry in data.items() if any(entry.get(k) for k in entry if k != "endpoint")}
        if self.path is None:
            self._memory = data
            return
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)

    @contextlib.contextmanager
    def _pool(self, pool_id: str, endpoint: str | None = None):
        with self._locked():
            data = self._read()
            entry = data.setdefault(pool_id, {})
            if endpoint:
                entry["endpoint"] = endpoint
            yield entry
            self._write(data)

    # --- users --------------------------------------------------------------------------

    def user_requested(self, pool_id: str, email: str, since: float, endpoint: str | None = None) -> None:
        with self._pool(pool_id, endpoint) as entry:
            entry.setdefault("users", {})[email] = {"username": None, "since": since}

    def user_created(self, pool_id: str, email: str, username: str) -> None:
        with self._pool(pool_id) as entry:
            entry.setdefault("users", {}).setdefault(email, {})["username"] = username

    def add(self, pool_id: str, email: str, username: str) -> None:
        """A user created and answered for (both steps at once)."""
        self.user_created(pool_id, email, username)

    def remove(self, pool_id: str, email: str) -> None:
        with self._pool(pool_id) as entry:
            entry.get("users", {}).pop(email, None)

    def entries(self, pool_id: str) -> dict[str, str | None]:
        """email -> internal username (None if the answer never came)."""
        return {email: user.get("username") for email, user in self.users(pool_id).items()}

    def users(self, pool_id: str) -> dict[str, dict]:
        with self._locked():
            return dict(self._read().get(pool_id, {}).get("users", {}))

    # --- the pool's MFA configuration ---------------------------------------------------

    def pool_mfa_changing(self, pool_id: str, original: dict, endpoint: str | None = None) -> bool:
        """Keeps the configuration before the *first* change; True if this call recorded it."""
        with self._pool(pool_id, endpoint) as entry:
            if "pool_mfa" in entry:
                return False
            entry["pool_mfa"] = original
            return True

    def original_pool_mfa(self, pool_id: str) -> dict | None:
        with self._locked():
            return self._read().get(pool_id, {}).get("pool_mfa")

    def pool_mfa_restored(self, pool_id: str) -> None:
        with self._pool(pool_id) as entry:
            entry.pop("pool_mfa", None)

    # --- S3 objects ----------------------------------------------------------------------

    def object_writing(self, pool_id: str, bucket: str, key: str, endpoint: str | None = None) -> None:
        with self._pool(pool_id, endpoint) as entry:
            objects = entry.setdefault("objects", [])
            if {"bucket": bucket, "key": key} not in objects:
                objects.append({"bucket": bucket, "key": key})

    def object_removed(self, pool_id: str, bucket: str, key: str) -> None:
        with self._pool(pool_id) as entry:
            objects = entry.get("objects", [])
            if {"bucket": bucket, "key": key} in objects:
                objects.remove({"bucket": bucket, "key": key})

    # --- everything -----------------------------------------------------------------------

    def changes(self, pool_id: str) -> dict:
        with self._locked():
            return json.loads(json.dumps(self._read().get(pool_id, {})))

    def pools(self) -> dict[str, dict]:
        with self._locked():
            return self._read()
