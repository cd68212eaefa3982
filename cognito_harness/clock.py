"""The embedded target's clock: wall time plus an offset the harness moves forward.

Every time rule of the embedded pool (TOTP windows, session expiry, token and
authorization-code lifetimes) reads `CLOCK.now()`. Tests move it with
`CLOCK.advance(seconds)` (or over HTTP: POST /_harness/clock) instead of sleeping.
"""

from __future__ import annotations

import math
import threading
import time


# Bounds: one move covers any Cognito lifetime (refresh tokens live up to ten years), and the
# clock never runs so far ahead that dates stop being representable.
MAX_ADVANCE_SECONDS = 3660 * 86400  # per call: ten years and ten days
MAX_OFFSET_SECONDS = 100 * 365 * 86400  # in total: a century


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
        seconds = float(seconds)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the clock only moves forward, by a finite number of seconds")
        if seconds > MAX_ADVANCE_SECONDS:
            raise ValueError(f"one move is at most {MAX_ADVANCE_SECONDS} seconds (ten years)")
        with self._lock:
            if self._offset + seconds > MAX_OFFSET_SECONDS:
                raise ValueError(f"the clock is at most {MAX_OFFSET_SECONDS} seconds (a century) ahead; "
                                 f"it is {self._offset:.0f} s ahead now")
            self._offset += seconds
            return time.time() + self._offset

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0


CLOCK = HarnessClock()
