"""The callback for a real pool whose registered callback URL is not on this machine.

The harness plays the app's callback itself: it starts the managed login with its own
`state` and PKCE pair, catches the browser's redirect to the callback URL (by watching the
browser's requests — `page.route` never sees the target of a 302), checks the state and
exchanges the code at /oauth2/token. The browser may fail to load the callback page; the
URL it asked for is all that is needed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

from . import redaction
from .flows import claims as jwt_claims

STATE_MISMATCH = "State mismatch: the response was not for this sign-in"


@dataclass
class CapturedCallback:
    managed_login_url: str
    client_id: str
    callback_url: str
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    state: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    redirected_to: str | None = None
    error: str = ""
    id_claims: dict | None = None

    def authorize_url(self) -> str:
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest()).decode().rstrip("=")
        return f"{self.managed_login_url}/oauth2/authorize?" + urlencode({
            "response_type": "code", "client_id": self.client_id, "redirect_uri": self.callback_url,
            "scope": " ".join(self.scopes), "state": self.state,
            "code_challenge": challenge, "code_challenge_method": "S256"})

    def is_callback(self, url: str) -> bool:
        return url.split("?")[0] == self.callback_url.split("?")[0]

    def seen(self, url: str) -> None:
        if self.is_callback(url) and ("code=" in url or "error=" in url):
            self.redirected_to = url

    def wait(self, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        while self.redirected_to is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.redirected_to is None:
            raise AssertionError(f"the browser was never sent back to {self.callback_url}")
        return self.redirected_to

    def complete(self, record_exchange) -> dict:
        """Check the state, exchange the code (once) and return the ID token's claims."""
        if self.id_claims is not None or self.error:
            return self.id_claims or {}
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.wait()).query).items()}
        if query.get("state") != self.state:
            self.error = STATE_MISMATCH
            return {}
        if "error" in query:
            self.error = f"managed login error: {query['error']}"
            return {}
        form = {"grant_type": "authorization_code", "client_id": self.client_id, "code": query.get("code", ""),
                "redirect_uri": self.callback_url, "code_verifier": self.verifier}
        record_exchange(form)
        request = urllib.request.Request(f"{self.managed_login_url}/oauth2/token", data=urlencode(form).encode(),
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                tokens = json.loads(response.read())
        except urllib.error.HTTPError as err:
            self.error = f"token error: {json.loads(err.read() or b'{}').get('error', err.code)}"
            return {}
        redaction.register_response({"AuthenticationResult": {
            "IdToken": tokens.get("id_token"), "AccessToken": tokens.get("access_token"),
            "RefreshToken": tokens.get("refresh_token")}})
        self.id_claims = jwt_claims(tokens["id_token"])
        return self.id_claims
