"""The authenticator app and the real-pool clock: waits only when Cognito forces them, announced."""

import pyotp
import pytest

from cognito_harness import target as target_module
from cognito_harness.authenticator import Authenticator
from cognito_harness.target import TargetClock

SECRET = pyotp.random_base32(52)


@pytest.fixture
def real_clock(monkeypatch):
    """A TargetClock whose time.sleep moves a fake wall clock instead of sleeping."""
    now = [1_800_000_010.0]  # 10 s into a window
    monkeypatch.setattr(target_module.time, "time", lambda: now[0])
    monkeypatch.setattr(target_module.time, "sleep", lambda s: now.__setitem__(0, now[0] + s))
    clock = TargetClock()
    clock.said = []
    clock.announce = clock.said.append
    return clock, now


def test_a_second_code_in_the_same_window_waits_for_the_next_and_says_why(real_clock):
    clock, now = real_clock
    app = Authenticator(SECRET, "u@example.com", "cognito-demo", clock)
    app.fresh_code()
    assert clock.said == []
    second = app.fresh_code()
    assert int(now[0] // 30) == 1_800_000_010 // 30 + 1, "moved to the next window"
    assert len(clock.said) == 1 and "waiting 20 s on the real pool" in clock.said[0]
    assert "accepted once" in clock.said[0]
    assert pyotp.TOTP(SECRET).verify(second, for_time=now[0])


def test_no_code_is_computed_in_the_last_second_of_a_window(real_clock):
    clock, now = real_clock
    now[0] = 1_800_000_029.6  # 0.4 s before the window turns
    app = Authenticator(SECRET, "u@example.com", "cognito-demo", clock)
    code = app.code_now()
    assert now[0] % 30 < 1, "stepped past the edge first"
    assert pyotp.TOTP(SECRET).at(now[0]) == code


def test_the_authenticator_never_shows_its_secret():
    app = Authenticator(SECRET, "u@example.com", "cognito-demo", TargetClock())
    assert SECRET not in repr(app)
    assert app.otpauth_uri == f"otpauth://totp/u@example.com?secret={SECRET}&issuer=cognito-demo"
