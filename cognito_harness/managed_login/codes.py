"""Authorization codes: single use, five minutes by the harness clock, bound to the
client, the redirect_uri and the PKCE challenge of the authorization request.

Kept in the emulator's memory (not on moto's objects): a code lives for minutes.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from dataclasses import dataclass

from ..clock import CLOCK

CODE_LIFETIME_SECONDS = 300  # Developer Guide, token endpoint: the code is valid for five minutes

# PKCE methods the authorize endpoint accepts (RFC 7636 defines both). AWS has answered that
# Cognito supports only S256 (re:Post); drop "plain" here to follow that reading.
PKCE_METHODS = ("S256", "plain")
# RFC 7636 §4.1/§4.2: 43-128 unreserved characters; an S256 challenge is 43 base64url chars.
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")


def pkce_challenge_well_formed(challenge: str, method: str) -> bool:
    if method == "S256":
        return bool(_S256_CHALLENGE.match(challenge))
    return bool(_VERIFIER.match(challenge))


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def pkce_matches(challenge: str, method: str, verifier: str) -> bool:
    """S256: base64url(sha256(verifier)) without padding equals the challenge; plain: equal."""
    if not verifier or not _VERIFIER.match(verifier):
        return False
    expected = s256(verifier) if method == "S256" else verifier
    return secrets.compare_digest(expected.encode(), challenge.encode())


@dataclass
class AuthorizationCode:
    pool_id: str
    client_id: str
    redirect_uri: str
    username: str  # moto's internal username
    scopes: tuple[str, ...]
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    issued_at: float

    @property
    def expires_at(self) -> float:
        return self.issued_at + CODE_LIFETIME_SECONDS

    def expired(self, now: float) -> bool:
        return now >= self.expires_at


class CodeStore:
    def __init__(self) -> None:
        self._codes: dict[str, AuthorizationCode] = {}
        self._lock = threading.Lock()

    def issue(self, **fields) -> str:
        now = CLOCK.now()
        code = secrets.token_urlsafe(32)
        with self._lock:
            for old in [c for c, rec in self._codes.items() if rec.expired(now)]:
                del self._codes[old]
            self._codes[code] = AuthorizationCode(issued_at=now, **fields)
        return code

    def redeem(self, code: str) -> AuthorizationCode | None:
        """Take the code out of the store: whatever happens next, it cannot be used again."""
        with self._lock:
            return self._codes.pop(code, None)
