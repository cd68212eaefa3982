"""The managed-login emulator's one door to the user pools.

The emulator (cognito_harness/managed_login/) signs users in, mints and revokes tokens and
answers userInfo through this module only: it never imports moto nor reads moto's objects.
Everything here goes through the faithful backend (backend.py), so the managed login obeys
the same rules, clock and token stores as the API path. A Cognito error from the backend
reaches the emulator as `PoolError(code, message)` (moto's JsonRESTError stays in here).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from moto.cognitoidp.exceptions import ResourceNotFoundError
from moto.cognitoidp.models import cognitoidp_backends
from moto.core.exceptions import JsonRESTError


class PoolError(Exception):
    """A Cognito error answered by the pool: `code` is Cognito's error code
    (NotAuthorizedException, CodeMismatchException, ...), `message` its message."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@contextmanager
def _cognito_errors() -> Iterator[None]:
    try:
        yield
    except JsonRESTError as err:
        raise PoolError(err.error_type, err.message) from None


def secret_hash(secret: str, username: str, client_id: str) -> str:
    """SECRET_HASH = Base64(HMAC-SHA256(client secret, username + client id))."""
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class AppClient:
    """One app client of one user pool, and what the managed login may do with it."""

    _backend: Any
    _pool: Any
    _client: Any

    # --- settings -----------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        return self._client.id

    @property
    def pool_id(self) -> str:
        return self._pool.id

    @property
    def config(self) -> dict:
        """The client's settings as Create/UpdateUserPoolClient took them (CallbackURLs,
        AllowedOAuthFlows, AllowedOAuthScopes, LogoutURLs, EnableTokenRevocation, ...)."""
        return self._client.extended_config or {}

    @property
    def has_secret(self) -> bool:
        return bool(self._client.generate_secret)

    def secret_matches(self, sent: str | None) -> bool:
        """Whether `sent` is this client's secret (constant time; False without a secret)."""
        if not sent or not self.has_secret:
            return False
        return secrets.compare_digest(str(sent).encode(), str(self._client.secret).encode())

    def _signed(self, params: dict[str, str]) -> dict[str, str]:
        """The managed login is the client itself: for a client with a secret it adds the
        SECRET_HASH the API path asks apps for."""
        if self.has_secret:
            params = dict(params, SECRET_HASH=secret_hash(self._client.secret, params["USERNAME"], self.client_id))
        return params

    # --- sign-in (InitiateAuth / RespondToAuthChallenge / enrolment, via_managed_login) --

    def sign_in(self, username: str, password: str) -> dict[str, Any]:
        """USER_PASSWORD_AUTH: {"SignedIn": username} or a challenge (ChallengeName, Session)."""
        with _cognito_errors():
            return self._backend.initiate_auth(self.client_id, "USER_PASSWORD_AUTH",
                                               self._signed({"USERNAME": username, "PASSWORD": password}),
                                               via_managed_login=True)

    def answer_code(self, session: str | None, username: str, code: str) -> dict[str, Any]:
        """The SOFTWARE_TOKEN_MFA challenge answered with an authenticator code."""
        with _cognito_errors():
            return self._backend.respond_to_auth_challenge(
                session, self.client_id, "SOFTWARE_TOKEN_MFA",
                self._signed({"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code}), via_managed_login=True)

    def finish_setup(self, session: str | None, username: str) -> dict[str, Any]:
        """The MFA_SETUP challenge answered after a verified set-up."""
        with _cognito_errors():
            return self._backend.respond_to_auth_challenge(session, self.client_id, "MFA_SETUP",
                                                           self._signed({"USERNAME": username}),
                                                           via_managed_login=True)

    def associate_software_token(self, session: str | None) -> dict[str, str]:
        with _cognito_errors():
            return self._backend.associate_software_token(None, session)

    def verify_software_token(self, session: str | None, code: str) -> dict[str, str]:
        with _cognito_errors():
            return self._backend.verify_software_token(None, session, code, "Authenticator")

    def challenge_session_live(self, session: str | None) -> bool:
        return self._backend.challenge_session_live(session)

    # --- tokens -------------------------------------------------------------------------

    def user_can_sign_in(self, username: str) -> bool:
        user = self._pool._get_user(username)
        return user is not None and bool(user.enabled)

    def issue_tokens(self, username: str, scope: str, nonce: str | None) -> dict[str, Any]:
        """A code grant's tokens (AccessToken, IdToken, RefreshToken, ExpiresIn)."""
        with _cognito_errors():
            return self._backend.issue_tokens(self._pool, self._client, username, scope=scope,
                                              nonce=nonce)["AuthenticationResult"]

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        """The refresh_token grant: REFRESH_TOKEN_AUTH as the managed login (the client
        proved its secret to the token endpoint already)."""
        params = {"REFRESH_TOKEN": refresh_token}
        record = self._pool.refresh_tokens.get(refresh_token)
        if self.has_secret and record:
            # The client proved its secret; the API path wants it as a SECRET_HASH.
            params["USERNAME"] = record[1]
            params["SECRET_HASH"] = secret_hash(self._client.secret, record[1], self.client_id)
        with _cognito_errors():
            return self._backend.initiate_auth(self.client_id, "REFRESH_TOKEN_AUTH", params,
                                               via_managed_login=True)["AuthenticationResult"]

    def revoke_refresh_token(self, token: str) -> str:
        """/oauth2/revoke: "revoked", or why not ("not-a-refresh-token", "unknown",
        "already-revoked", "other-client"); see FaithfulCognitoIdpBackend.revoke_refresh_token."""
        return self._backend.revoke_refresh_token(self._pool, self.client_id, token)


def find_client(client_id: str | None) -> AppClient | None:
    """The app client with this id in any account/region, or None."""
    if not client_id:
        return None
    for _, _, backend in cognitoidp_backends.iter_backends():
        finder = getattr(backend, "find_client", None)
        if finder is None:  # plain moto: the fidelity layer is not installed
            continue
        try:
            pool, client = finder(client_id)
        except ResourceNotFoundError:
            continue
        return AppClient(backend, pool, client)
    return None


def user_info(access_token: str) -> dict[str, Any] | None:
    """The signed-in user of an access token (attributes, sub, username) for the userInfo
    endpoint; None if no pool issued the token; PoolError (as GetUser) if it is expired or
    revoked."""
    for _, _, backend in cognitoidp_backends.iter_backends():
        knows = getattr(backend, "knows_access_token", None)
        if knows is not None and knows(access_token):
            with _cognito_errors():
                return backend.user_info(access_token)
    return None
