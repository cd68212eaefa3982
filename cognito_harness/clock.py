"""The embedded target's clock: wall time plus an offset the harness moves forward.

Every time rule of the embedded pool (TOTP windows, session expiry, token and
authorization-code lifetimes) reads `CLOCK.now()`. Tests move it with
`CLOCK.advance(seconds)` (or over HTTP: POST /_harness/clock) instead of sleeping.
"""

from __future__ import annotations

import math
import threading
import time


class HarnessClock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> float:
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the clock only moves forward, by a finite number of seconds")
        with self._lock:
            self._offset += float(seconds)
            return time.time() + self._offset

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0


CLOCK = HarnessClock()
