"""The managed-login (hosted UI) emulator of the embedded target.

`create_app(info, login_style)` returns a WSGI app with `handles(path)`; the embedded
server mounts it in front of moto (see cognito_harness/embedded/app.py). It serves every
user pool of the embedded target: the pool is found by the request's client_id, and every
sign-in, token and userInfo answer comes from the faithful backend through
cognito_harness/embedded/pool_access.py — nothing in this package imports moto.
"""

from __future__ import annotations

from typing import Callable

from .app import ManagedLoginApp


def create_app(info: Callable[[], dict], login_style: str = "classic") -> ManagedLoginApp:
    return ManagedLoginApp(info, login_style)


__all__ = ["ManagedLoginApp", "create_app"]
