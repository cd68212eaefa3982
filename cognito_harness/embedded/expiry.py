"""Forgetting what has expired, so a long-running embedded server's memory stays flat.

Tokens, refresh-token records and challenge sessions are kept in dicts (moto's and the
fidelity layer's). Each one is also put on an `ExpiryQueue` with the harness-clock time after
which it can go; whoever issues a new one calls `due(now)` and drops what it returns —
O(log n) per item, no sweeping thread.

What is kept for an hour after it expires, so Cognito's "has expired" messages still show
(GRACE_SECONDS): refresh-token records and challenge sessions. Access and ID tokens go at
expiry: they are JWTs the pool can still verify, so "Access Token has expired" is told from
the token itself (backend.user_for_access_token).
"""

from __future__ import annotations

import heapq
import itertools
import threading

GRACE_SECONDS = 3600  # expired refresh tokens and sessions still answer "expired" for an hour


class ExpiryQueue:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str, str]] = []
        self._order = itertools.count()
        self._lock = threading.Lock()

    def add(self, forget_at: float, kind: str, key: str) -> None:
        with self._lock:
            heapq.heappush(self._heap, (forget_at, next(self._order), kind, key))

    def due(self, now: float, limit: int = 1000) -> list[tuple[str, str]]:
        """(kind, key) of up to `limit` entries whose time has come (bounded work per call)."""
        out = []
        with self._lock:
            while self._heap and self._heap[0][0] <= now and len(out) < limit:
                _, _, kind, key = heapq.heappop(self._heap)
                out.append((kind, key))
        return out

    def __len__(self) -> int:
        return len(self._heap)

    def __deepcopy__(self, memo) -> "ExpiryQueue":
        """A copy with its own lock (the starting world is a deep copy of the pool)."""
        copied = ExpiryQueue()
        with self._lock:
            copied._heap = list(self._heap)
        return copied
