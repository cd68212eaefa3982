"""pytest-xdist workers on a real pool: a persona of its own for each worker.

On the embedded target every worker has its own pool (its own server), so nothing is
shared. On a real pool the workers share one pool: the personas a run creates (the MFA
user, `existing: false` in scenarios.yaml) get one address per worker — `gw0` creates
`demo-with-mfa+gw0@example.com`, `gw1` `demo-with-mfa+gw1@example.com` — so no worker
deletes, enrols or signs out another's user. The existing users (`demo`, `admin`) are
only read and signed in, which workers can share.
"""

from __future__ import annotations

import dataclasses
import os

from .config import Config


def worker_id() -> str | None:
    """The pytest-xdist worker this process is (gw0, gw1, ...), or None."""
    return os.environ.get("PYTEST_XDIST_WORKER") or None


def per_worker_email(email: str, worker: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local}+{worker}@{domain}"


def with_worker_personas(config: Config, worker: str | None) -> Config:
    """`config` with each created persona's address made unique to `worker` (real pools only)."""
    if worker is None or config.is_embedded:
        return config
    personas = {key: p if p.existing else dataclasses.replace(p, email=per_worker_email(p.email, worker))
                for key, p in config.personas.items()}
    return dataclasses.replace(config, personas=personas)
