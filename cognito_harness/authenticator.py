"""The authenticator app: a secret plus a clock gives a 6-digit code (RFC 6238).

It reads the target's clock, so on the embedded target codes follow the harness clock.
A code is accepted once: `fresh_code()` moves to the next 30-second window when the
current one was already used — on the embedded target by moving its clock, on a real
pool by waiting (announced), because Cognito forces it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import pyotp

STEP = 30


@dataclass
class Authenticator:
    secret: str
    account: str
    issuer: str
    clock: object  # TargetClock
    used_steps: set[int] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        from . import redaction

        redaction.register(self.secret)
        try:
            pyotp.TOTP(self.secret, interval=STEP).byte_secret()
        except (ValueError, TypeError) as err:  # binascii.Error is a ValueError
            from .errors import HarnessError

            raise HarnessError(
                f"the pool answered a {len(self.secret or '')}-character authenticator secret that no authenticator "
                f"app accepts ({err}); Cognito's secrets are 52 base32 characters (plain moto's is always the "
                "12-character 'asdfasdfasdf'): this endpoint's TOTP cannot be tested") from None

    def __repr__(self) -> str:  # never show the secret
        return f"Authenticator(account={self.account!r}, issuer={self.issuer!r})"

    @property
    def otpauth_uri(self) -> str:
        label = quote(f"{self.account}", safe="@")
        return f"otpauth://totp/{label}?{urlencode({'secret': self.secret, 'issuer': self.issuer})}"

    def code_at(self, when: float) -> str:
        return pyotp.TOTP(self.secret, interval=STEP).at(when)

    def _now_clear_of_a_window_edge(self) -> float:
        """A code computed in the last second of its window may reach Cognito in the next
        one; step past the edge first (moves the embedded clock, or waits < 1 s)."""
        now = self.clock.now()
        left = STEP - now % STEP
        if left < 1.0:
            self.clock.advance(left + 0.05, "the authenticator's window is about to turn")
            now = self.clock.now()
        return now

    def code_now(self) -> str:
        """The code the app shows now (may already have been used)."""
        now = self._now_clear_of_a_window_edge()
        self.used_steps.add(int(now // STEP))
        return self.code_at(now)

    def fresh_code(self) -> str:
        """A code from a window no earlier code of this authenticator came from."""
        now = self._now_clear_of_a_window_edge()
        step = int(now // STEP)
        if self.used_steps and step <= max(self.used_steps):
            wait = (max(self.used_steps) + 1) * STEP - now + 0.5
            self.clock.advance(wait, "a TOTP code is accepted once; waiting for the authenticator's next code")
            now = self.clock.now()
            step = int(now // STEP)
        self.used_steps.add(step)
        return self.code_at(now)

    def fresh_code_from_previous_window(self) -> str:
        """A never-used code of the window before the current one (Cognito accepts one
        window early or late): moves on until the previous window is fresh."""
        now = self._now_clear_of_a_window_edge()
        if self.used_steps and int(now // STEP) - 1 <= max(self.used_steps):
            wait = (max(self.used_steps) + 2) * STEP - now + 0.5
            self.clock.advance(wait, "the previous window's code must not have been used yet")
            now = self.clock.now()
        self.used_steps.add(int(now // STEP) - 1)
        return self.code_at(now - STEP)

    def code_from_window(self, offset: int) -> str:
        """The code of the window `offset` steps away (-1 = previous window)."""
        return self.code_at(self._now_clear_of_a_window_edge() + offset * STEP)
