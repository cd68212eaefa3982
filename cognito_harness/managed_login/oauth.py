"""The OAuth 2.0 rules of Cognito's managed-login endpoints (Developer Guide, "User pool
endpoints and managed login reference"): authorize, token, userInfo, revoke, logout.

Each function checks one request and either returns what to do or raises:
- `ErrorPage`: the request cannot be trusted to name where to send the browser (bad
  client_id, redirect_uri or logout_uri): an error page, never a redirect;
- `RedirectError`: the redirect_uri is valid, so the error goes back to it
  (`?error=...&state=...`), as RFC 6749 §4.1.2.1 says;
- `OAuthError`: a JSON error from /oauth2/token, /oauth2/userInfo, /oauth2/revoke.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import quote, unquote, urlencode

from ..clock import CLOCK
from ..embedded import pool_access
from ..embedded.pool_access import AppClient, PoolError, find_client
from . import codes as codes_mod
from .codes import CodeStore

RESERVED_SCOPES = ("openid", "email", "phone", "profile", "aws.cognito.signin.user.admin")
ADMIN_SCOPE = "aws.cognito.signin.user.admin"
# "The phone, email, and profile scopes can only be requested if openid scope is also requested."
NEEDS_OPENID = ("email", "phone", "profile")


class ErrorPage(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class RedirectError(Exception):
    def __init__(self, redirect_uri: str, error: str, state: str | None, description: str = ""):
        super().__init__(error)
        self.redirect_uri, self.error, self.state, self.description = redirect_uri, error, state, description

    @property
    def location(self) -> str:
        params = {"error": self.error}
        if self.description:
            params["error_description"] = self.description
        if self.state is not None:
            params["state"] = self.state
        return add_query(self.redirect_uri, params)


class OAuthError(Exception):
    def __init__(self, error: str, description: str = "", status: int = 400):
        super().__init__(error)
        self.error, self.description, self.status = error, description, status

    def body(self) -> dict:
        out = {"error": self.error}
        if self.description:
            out["error_description"] = self.description
        return out


def add_query(url: str, params: Mapping[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params, quote_via=quote)


class _Params:
    """Query or form parameters; a parameter given twice is an error (RFC 6749 §3.1)."""

    def __init__(self, multi):
        self.multi = multi

    def one(self, name: str) -> str | None:
        values = self.multi.getlist(name)
        if len(values) > 1:
            raise _Duplicate(name)
        return values[0] if values else None


class _Duplicate(Exception):
    pass


# --- /oauth2/authorize (and /login, which re-validates the same query) --------------------

@dataclass
class AuthorizeRequest:
    client: AppClient
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    query: str  # the request's parameters, re-encoded, for /login?<query>

    @property
    def client_id(self) -> str:
        return self.client.client_id


def _client_oauth_enabled(ref: AppClient) -> bool:
    return bool(ref.config.get("AllowedOAuthFlowsUserPoolClient"))


def validate_authorize(args) -> AuthorizeRequest:
    """`args`: a werkzeug MultiDict of the query. Raises ErrorPage or RedirectError."""
    p = _Params(args)
    try:
        client_id = p.one("client_id")
    except _Duplicate:
        raise ErrorPage("client_id was given more than once.")
    ref = find_client(client_id)
    if ref is None:
        raise ErrorPage("The client_id is missing or does not name an app client.")
    if not _client_oauth_enabled(ref):
        raise ErrorPage("The app client is not set up for OAuth 2.0 (managed login).")
    try:
        redirect_uri = p.one("redirect_uri")
    except _Duplicate:
        raise ErrorPage("redirect_mismatch: redirect_uri was given more than once.")
    if not redirect_uri or redirect_uri not in (ref.config.get("CallbackURLs") or []):
        raise ErrorPage("redirect_mismatch: the redirect_uri is not a callback URL of this app client.")

    try:
        state = p.one("state")
    except _Duplicate:
        raise RedirectError(redirect_uri, "invalid_request", None, "state was given more than once")

    def fail(error: str, description: str) -> RedirectError:
        return RedirectError(redirect_uri, error, state, description)

    try:
        response_type = p.one("response_type")
        scope = p.one("scope")
        challenge = p.one("code_challenge")
        method = p.one("code_challenge_method")
        nonce = p.one("nonce")
        provider = p.one("identity_provider")
    except _Duplicate as dup:
        raise fail("invalid_request", f"{dup} was given more than once")

    flows = ref.config.get("AllowedOAuthFlows") or []
    if not response_type:
        raise fail("invalid_request", "response_type is required")
    if response_type not in ("code", "token"):
        raise fail("unsupported_response_type", "response_type must be code or token")
    if response_type == "token":
        if "implicit" not in flows:
            raise fail("unauthorized_client", "the implicit grant is not allowed for this client")
        raise fail("unsupported_response_type", "the embedded managed login emulates the code grant only")
    if "code" not in flows:
        raise fail("unauthorized_client", "the authorization code grant is not allowed for this client")

    allowed = list(ref.config.get("AllowedOAuthScopes") or [])
    scopes = tuple(dict.fromkeys(scope.split())) if scope and scope.strip() else tuple(allowed)
    unknown = [s for s in scopes if s not in allowed]
    if unknown or not scopes:
        raise fail("invalid_scope", "the scope is not allowed for this client")
    if any(s in NEEDS_OPENID for s in scopes) and "openid" not in scopes:
        raise fail("invalid_scope", "the email, phone and profile scopes need the openid scope")

    if method is not None and challenge is None:
        raise fail("invalid_request", "code_challenge_method without code_challenge")
    if challenge is not None:
        method = method or "plain"  # RFC 7636 §4.3: plain when the method is absent
        if method not in codes_mod.PKCE_METHODS:
            raise fail("invalid_request", "code_challenge_method is not supported")
        if not codes_mod.pkce_challenge_well_formed(challenge, method):
            raise fail("invalid_request", "code_challenge is malformed")

    if provider is not None and provider != "COGNITO":
        raise fail("invalid_request", "the embedded managed login signs in user pool users only")

    query = urlencode(list(args.items(multi=True)), quote_via=quote)
    return AuthorizeRequest(client=ref, redirect_uri=redirect_uri, scopes=scopes, state=state,
                            code_challenge=challenge, code_challenge_method=method if challenge else None,
                            nonce=nonce, query=query)


def callback_location(request: AuthorizeRequest, code: str) -> str:
    params = {"code": code}
    if request.state is not None:
        params["state"] = request.state
    return add_query(request.redirect_uri, params)


# --- client authentication (/oauth2/token, /oauth2/revoke) --------------------------------

def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "malformed Basic credentials", 401)
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "malformed Basic credentials", 401)
    return unquote(client_id), unquote(secret)  # RFC 6749 §2.3.1: form-encoded first


def authenticate_client(form, authorization: str | None) -> AppClient:
    """A client with a secret must prove it (Basic, or client_secret in the body);
    any failure is invalid_client, 401 (RFC 6749 §5.2)."""
    basic = _basic_credentials(authorization)
    p = _Params(form)
    try:
        body_id, body_secret = p.one("client_id"), p.one("client_secret")
    except _Duplicate as dup:
        raise OAuthError("invalid_request", f"{dup} was given more than once")
    if basic is not None:
        if body_secret is not None:
            raise OAuthError("invalid_request", "use one client authentication method only")
        if body_id is not None and body_id != basic[0]:
            raise OAuthError("invalid_client", "client_id does not match the Basic credentials", 401)
        client_id, secret = basic
    else:
        client_id, secret = body_id, body_secret
    ref = find_client(client_id)
    if ref is None:
        raise OAuthError("invalid_client", "unknown client", 401)
    if ref.has_secret:
        if not ref.secret_matches(secret):
            raise OAuthError("invalid_client", "client authentication failed", 401)
    return ref


# --- /oauth2/token ------------------------------------------------------------------------

def token_grant(form, authorization: str | None, store: CodeStore) -> dict[str, Any]:
    p = _Params(form)
    try:
        grant_type = p.one("grant_type")
    except _Duplicate:
        raise OAuthError("invalid_request", "grant_type was given more than once")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required")
    ref = authenticate_client(form, authorization)
    if not _client_oauth_enabled(ref):
        raise OAuthError("unauthorized_client", "the client is not set up for OAuth 2.0")
    try:
        if grant_type == "authorization_code":
            return _code_grant(ref, p, store)
        if grant_type == "refresh_token":
            return _refresh_grant(ref, p)
    except _Duplicate as dup:
        raise OAuthError("invalid_request", f"{dup} was given more than once")
    if grant_type == "client_credentials":
        raise OAuthError("unauthorized_client", "the client_credentials grant is not emulated")
    raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")


def _code_grant(ref: AppClient, p: _Params, store: CodeStore) -> dict[str, Any]:
    if "code" not in (ref.config.get("AllowedOAuthFlows") or []):
        raise OAuthError("unauthorized_client", "the authorization code grant is not allowed for this client")
    code, redirect_uri, verifier = p.one("code"), p.one("redirect_uri"), p.one("code_verifier")
    if not code or not redirect_uri:
        raise OAuthError("invalid_request", "code and redirect_uri are required")
    record = store.redeem(code)  # single use: gone from here on, whatever the outcome
    if record is None:
        raise OAuthError("invalid_grant", "the code is invalid or was already used")
    if record.expired(CLOCK.now()):
        raise OAuthError("invalid_grant", "the code has expired")
    if record.client_id != ref.client_id or record.pool_id != ref.pool_id:
        raise OAuthError("invalid_grant", "the code was issued to another client")
    if record.redirect_uri != redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
    if record.code_challenge:
        if not verifier:
            raise OAuthError("invalid_request", "code_verifier is required")
        if not codes_mod.pkce_matches(record.code_challenge, record.code_challenge_method, verifier):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
    elif verifier:
        # PKCE downgrade (OAuth 2.0 Security BCP, RFC 9700 §2.1.1): no challenge was sent.
        raise OAuthError("invalid_grant", "code_verifier given, but the authorization request had no code_challenge")
    if not ref.user_can_sign_in(record.username):
        raise OAuthError("invalid_grant", "the user cannot sign in")
    try:
        result = ref.issue_tokens(record.username, scope=" ".join(record.scopes), nonce=record.nonce)
    except PoolError:
        raise OAuthError("invalid_grant", "the user cannot sign in")
    out = {"access_token": result["AccessToken"], "refresh_token": result["RefreshToken"],
           "token_type": "Bearer", "expires_in": result["ExpiresIn"]}
    if "openid" in record.scopes:  # "An ID token is only returned if openid scope is requested."
        out["id_token"] = result["IdToken"]
    return out


def _refresh_grant(ref: AppClient, p: _Params) -> dict[str, Any]:
    token = p.one("refresh_token")
    if not token:
        raise OAuthError("invalid_request", "refresh_token is required")
    try:
        result = ref.refresh(token)  # the client proved its secret above
    except PoolError as err:
        if err.code == "NotAuthorizedException":
            raise OAuthError("invalid_grant", err.message)
        raise OAuthError("invalid_request", err.message)
    return {"access_token": result["AccessToken"], "id_token": result["IdToken"],
            "token_type": "Bearer", "expires_in": result["ExpiresIn"]}


# --- /oauth2/userInfo ---------------------------------------------------------------------

def bearer_token(authorization: str | None) -> str | None:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def jwt_claims(token: str) -> dict:
    """The payload of one of the pool's own JWTs, unverified (only read for a token the
    pool's token store knows, which the pool signed itself)."""
    try:
        part = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        return {}


_PROFILE_ATTRIBUTES = ("name", "given_name", "family_name", "middle_name", "nickname",
                       "preferred_username", "profile", "picture", "website", "gender",
                       "birthdate", "zoneinfo", "locale", "updated_at", "address")


def userinfo(token: str | None) -> dict[str, Any]:
    """The user's attributes that the access token's scopes release (Developer Guide,
    userInfo endpoint); email_verified / phone_number_verified as the strings userInfo returns."""
    if not token:
        raise OAuthError("invalid_request", "an access token is required (Authorization: Bearer)", 401)
    try:
        user = pool_access.user_info(token)
    except PoolError as err:
        raise OAuthError("invalid_token", err.message, 401)
    if user is None:
        raise OAuthError("invalid_token", "Invalid Access Token", 401)
    scopes = set(str(jwt_claims(token).get("scope", "")).split())
    if not scopes & {"openid", ADMIN_SCOPE}:
        raise OAuthError("insufficient_scope", "the access token has neither openid nor "
                         f"{ADMIN_SCOPE} scope", 403)
    attrs = user["attributes"]
    out: dict[str, Any] = {"sub": user["sub"]}
    everything = ADMIN_SCOPE in scopes
    if everything or "email" in scopes:
        for name in ("email", "email_verified"):
            if name in attrs:
                out[name] = str(attrs[name]).lower() if name.endswith("_verified") else attrs[name]
    if everything or "phone" in scopes:
        for name in ("phone_number", "phone_number_verified"):
            if name in attrs:
                out[name] = str(attrs[name]).lower() if name.endswith("_verified") else attrs[name]
    if everything or "profile" in scopes:
        for name, value in attrs.items():
            if name in _PROFILE_ATTRIBUTES or name.startswith("custom:"):
                out[name] = value
    out["username"] = user["username"]
    return out


# --- /oauth2/revoke -----------------------------------------------------------------------

def revoke(form, authorization: str | None) -> None:
    """Revoke a refresh token and every access and ID token minted from it."""
    ref = authenticate_client(form, authorization)
    if ref.config.get("EnableTokenRevocation") is False:
        raise OAuthError("unsupported_token_type", "token revocation is not enabled for this client")
    try:
        token = _Params(form).one("token")
    except _Duplicate:
        raise OAuthError("invalid_request", "token was given more than once")
    if not token:
        raise OAuthError("invalid_request", "token is required")
    outcome = ref.revoke_refresh_token(token)
    if outcome == "not-a-refresh-token":
        raise OAuthError("unsupported_token_type", "only refresh tokens can be revoked")
    if outcome == "other-client":
        raise OAuthError("invalid_request", "the token was issued to another client")
    # "unknown" / "already-revoked": RFC 7009 §2.2, answered with 200 like a revocation


# --- /logout ------------------------------------------------------------------------------

def validate_logout(args) -> tuple[str, str]:
    """Returns ("logout", logout_uri) or ("relogin", "/login?<query>").

    `logout_uri` must be EXACTLY one of the client's LogoutURLs; the other form
    (`redirect_uri` + `response_type`) re-validates as an authorization request."""
    p = _Params(args)
    try:
        client_id, logout_uri = p.one("client_id"), p.one("logout_uri")
    except _Duplicate as dup:
        raise ErrorPage(f"{dup} was given more than once.")
    ref = find_client(client_id)
    if ref is None:
        raise ErrorPage("The client_id is missing or does not name an app client.")
    if logout_uri is not None:
        if logout_uri not in (ref.config.get("LogoutURLs") or []):
            raise ErrorPage("The logout_uri is not a sign-out URL of this app client.")
        return "logout", logout_uri
    if args.get("redirect_uri") is not None and args.get("response_type") is not None:
        request = validate_authorize(args)
        return "relogin", "/login?" + request.query
    raise ErrorPage("Sign-out needs a logout_uri, or a redirect_uri and a response_type.")
