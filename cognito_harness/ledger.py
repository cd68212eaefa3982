"""A record, on disk, of the users a run created on a real pool.

Clean-up normally happens at the end of the run. A run that is killed (SIGKILL, a CI
timeout) cannot clean up; the next run reads this ledger and removes what the harness
created before — and only that: a user is deleted only if its internal username (the
`sub`) is still the one the harness created, so a same-email user made since by someone
else is left alone.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path


class Ledger:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def _read(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}

    def _write(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)

    def add(self, pool_id: str, email: str, username: str) -> None:
        with self._lock:
            data = self._read()
            data.setdefault(pool_id, {})[email] = username
            self._write(data)

    def remove(self, pool_id: str, email: str) -> None:
        with self._lock:
            data = self._read()
            if data.get(pool_id, {}).pop(email, None) is not None:
                if not data[pool_id]:
                    del data[pool_id]
                self._write(data)

    def entries(self, pool_id: str) -> dict[str, str]:
        with self._lock:
            return dict(self._read().get(pool_id, {}))
