"""Sign-in state between the managed-login pages, kept on the server.

The browser holds only an opaque id in an HttpOnly, SameSite=Lax cookie. Everything else
(the CSRF token, the validated authorization request, the Cognito challenge session, the
set-up secret) stays here, never in a URL.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any

from ..clock import CLOCK

COOKIE_NAME = "cognito-harness-login"
FLOW_IDLE_SECONDS = 3600  # an unused browser flow is forgotten after an hour (harness clock)

# Stages of a sign-in waiting on a page after the password step.
STAGE_CODE = "SOFTWARE_TOKEN_MFA"
STAGE_SETUP = "MFA_SETUP"


@dataclass
class SignInFlow:
    id: str
    csrf: str
    touched_at: float
    stage: str | None = None
    request: Any = None  # oauth.AuthorizeRequest of the sign-in in progress
    email: str = ""
    cognito_session: str | None = None  # always the latest (Cognito rotates it)
    secret: str | None = None  # MFA set-up only

    def reset(self) -> None:
        """Back to the start (a new sign-in, a finished one, or a dead challenge session)."""
        self.stage = None
        self.request = None
        self.email = ""
        self.cognito_session = None
        self.secret = None

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and secrets.compare_digest(self.csrf.encode(), str(token).encode())


class FlowStore:
    def __init__(self) -> None:
        self._flows: dict[str, SignInFlow] = {}
        self._lock = threading.Lock()

    def get(self, flow_id: str | None) -> SignInFlow | None:
        if not flow_id:
            return None
        now = CLOCK.now()
        with self._lock:
            flow = self._flows.get(flow_id)
            if flow is None:
                return None
            if now - flow.touched_at >= FLOW_IDLE_SECONDS:
                del self._flows[flow_id]
                return None
            flow.touched_at = now
            return flow

    def get_or_create(self, flow_id: str | None) -> tuple[SignInFlow, bool]:
        flow = self.get(flow_id)
        if flow is not None:
            return flow, False
        now = CLOCK.now()
        flow = SignInFlow(id=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32), touched_at=now)
        with self._lock:
            for old in [k for k, f in self._flows.items() if now - f.touched_at >= FLOW_IDLE_SECONDS]:
                del self._flows[old]
            self._flows[flow.id] = flow
        return flow, True

    def drop(self, flow_id: str | None) -> None:
        with self._lock:
            self._flows.pop(flow_id or "", None)
