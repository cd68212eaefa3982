"""moto's Cognito IDP backend with Cognito's rules (rules.py) wired in.

Every route (InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge, the managed-login
emulator) ends in these methods, so the rules hold on every path. Time is read from
`cognito_harness.clock.CLOCK`. State lives on moto's own objects, so moto's reset wipes it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from typing import Any

from joserfc import jwk, jwt
from moto.cognitoidp import models as moto_models
from moto.cognitoidp.exceptions import (
    InvalidParameterException,
    NotAuthorizedError,
    ResourceNotFoundError,
    UserNotFoundError,
)

from .. import srp
from ..clock import CLOCK
from . import rules
from .devices import DeviceTrackingMixin
from .expiry import GRACE_SECONDS, ExpiryQueue
from .rules import AuthSession, SoftwareToken, SrpExchange


def _secret_hash_ok(client_secret: str, client_id: str, username: str, sent) -> bool:
    """SECRET_HASH = Base64(HMAC-SHA256(client secret, username + client id)), UTF-8 (moto's
    check encodes Latin-1 and fails on other usernames)."""
    digest = hmac.new(str(client_secret).encode(), (str(username) + client_id).encode(), hashlib.sha256).digest()
    return isinstance(sent, str) and secrets.compare_digest(base64.b64encode(digest), sent.encode())


def _payload(token: str) -> dict:
    """The payload of a JWT this process signed, unverified (only read from the pools' own stores)."""
    try:
        part = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        return {}


def software_token(user) -> SoftwareToken:
    token = getattr(user, "software_token", None)
    if token is None:
        token = user.software_token = SoftwareToken()
    return token


class FaithfulUser(moto_models.CognitoIdpUser):
    """admin-get-user shows MFA fields only for a user who has MFA (seed log, Check 2)."""

    def to_json(self, extended: bool = False, attributes_key: str = "Attributes",
                attributes_to_get: list[str] | None = None) -> dict[str, Any]:
        data = super().to_json(extended, attributes_key, attributes_to_get)
        if extended:
            token = software_token(self)
            settings = ["SOFTWARE_TOKEN_MFA"] if token.enabled and token.verified_secret else []
            data.pop("MFAOptions", None)
            data.pop("UserMFASettingList", None)
            data.pop("PreferredMfaSetting", None)
            if settings:
                data["UserMFASettingList"] = settings
                if token.preferred:
                    data["PreferredMfaSetting"] = "SOFTWARE_TOKEN_MFA"
        return data


FaithfulUser.__module__ = "moto.cognitoidp.models"


class FaithfulUserPool(moto_models.CognitoIdpUserPool):
    """Per-pool signing key; token claims, lifetimes and times as Cognito issues them."""

    def __init__(self, account_id: str, region: str, name: str, extended_config: dict[str, Any]):
        super().__init__(account_id, region, name, extended_config)
        self.json_web_key = jwk.RSAKey.generate_key(
            2048, parameters={"kid": str(uuid.uuid4()), "alg": "RS256", "use": "sig"}, private=True
        )
        self.refresh_meta: dict[str, dict[str, Any]] = {}
        self.access_token_exp: dict[str, int] = {}  # kept after sign-out: "revoked", not "invalid"
        self.expiring = ExpiryQueue()  # what to forget when (expiry.py)
        # device key -> (username, when its last refresh token is forgotten): an unconfirmed
        # device goes then (a sign-in on a device-tracking pool makes one every time)
        self.unconfirmed_until: dict[str, tuple[str, float]] = {}

    def forget_expired(self) -> None:
        """Drops expired tokens from moto's stores and ours (called on every token issue)."""
        for kind, token in self.expiring.due(CLOCK.now()):
            if kind == "access":
                self.access_tokens.pop(token, None)
                self.access_token_exp.pop(token, None)
            elif kind == "id":
                self.id_tokens.pop(token, None)
            elif kind == "device":
                self._forget_unconfirmed_device(token)
            else:
                self.refresh_tokens.pop(token, None)
                self.refresh_meta.pop(token, None)

    def _keep_device_until(self, username: str, device_key: str | None, forget_at: float) -> None:
        """A refresh token of this device is forgotten at `forget_at`; if the device is still
        unconfirmed by then, nobody can confirm or use it any more: it goes too."""
        if not device_key:
            return
        _, until = self.unconfirmed_until.get(device_key, (username, 0.0))
        if forget_at > until:
            self.unconfirmed_until[device_key] = (username, forget_at)
            self.expiring.add(forget_at, "device", device_key)

    def _forget_unconfirmed_device(self, device_key: str) -> None:
        username, until = self.unconfirmed_until.get(device_key, ("", 0.0))
        if CLOCK.now() < until:
            return  # a later refresh token (rotation) still holds it: its own entry comes later
        self.unconfirmed_until.pop(device_key, None)
        user = self._get_user(username) if username else None
        devices = rules.user_devices(user) if user is not None else {}
        device = devices.get(device_key)
        if device is not None and not device.confirmed:
            del devices[device_key]

    def expired_access_token(self, token: str) -> bool:
        """A forgotten access token this pool signed and that has expired (so the answer is
        still "Access Token has expired", not "Invalid Access Token")."""
        try:
            claims = jwt.decode(token, self.json_web_key).claims
        except Exception:  # noqa: BLE001 - not a JWT of this pool's key: not ours
            return False
        return claims.get("token_use") == "access" and CLOCK.now() >= float(claims.get("exp", "inf"))

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.id}"

    def public_jwks(self) -> dict[str, Any]:
        return {"keys": [self.json_web_key.as_dict(private=False)]}

    def _sign(self, payload: dict[str, Any]) -> str:
        header = {"kid": self.json_web_key.kid, "alg": "RS256"}
        return jwt.encode(header, payload, self.json_web_key)

    def _client(self, client_id: str):
        return self.clients.get(client_id)

    def _base_claims(self, client_id: str, user, token_use: str, origin_jti: str,
                     auth_time: int, lifetime: int) -> dict[str, Any]:
        now = int(CLOCK.now())
        return {
            "sub": user.id,
            "iss": self.issuer,
            "token_use": token_use,
            "auth_time": auth_time,
            "iat": now,
            "exp": now + lifetime,
            "jti": str(uuid.uuid4()),
            "origin_jti": origin_jti,
            "event_id": str(uuid.uuid4()),
        }

    def create_id_token(self, client_id: str, username: str, origin_jti: str,
                        auth_time: int | None = None, nonce: str | None = None) -> tuple[str, int]:
        user = self._get_user(username)
        lifetime = rules.token_validity_seconds(self._client(client_id), "id")
        claims = self._base_claims(client_id, user, "id", origin_jti,
                                   auth_time or int(CLOCK.now()), lifetime)
        claims["aud"] = client_id
        claims["cognito:username"] = user.username
        if nonce:
            claims["nonce"] = nonce
        claims.update(rules.id_token_user_claims(user))
        for attr in user.attributes:
            if attr["Name"].startswith("custom:"):
                claims[attr["Name"]] = attr["Value"]
        if user.groups:
            claims["cognito:groups"] = sorted(g.group_name for g in user.groups)
        token = self._sign(claims)
        self.id_tokens[token] = (client_id, user.username)
        self.expiring.add(claims["exp"], "id", token)
        return token, lifetime

    def create_access_token(self, client_id: str, username: str, origin_jti: str,
                            auth_time: int | None = None,
                            scope: str = "aws.cognito.signin.user.admin") -> tuple[str, int]:
        user = self._get_user(username)
        lifetime = rules.token_validity_seconds(self._client(client_id), "access")
        claims = self._base_claims(client_id, user, "access", origin_jti,
                                   auth_time or int(CLOCK.now()), lifetime)
        claims["client_id"] = client_id
        claims["scope"] = scope
        claims["username"] = user.username
        if user.groups:
            claims["cognito:groups"] = sorted(g.group_name for g in user.groups)
        token = self._sign(claims)
        self.forget_expired()
        self.access_tokens[token] = (client_id, user.username)
        self.access_token_exp[token] = claims["exp"]
        self.expiring.add(claims["exp"], "access", token)
        return token, lifetime

    def create_refresh_token(self, client_id: str, username: str,
                             scope: str = "aws.cognito.signin.user.admin",
                             device_key: str | None = None) -> tuple[str, str]:
        """`device_key`: with device tracking, the token belongs to that device (rules.require_refresh_device)."""
        user = self._get_user(username)
        token = "eyJ" + secrets.token_urlsafe(96)  # opaque, as Cognito's are to clients
        origin_jti = str(uuid.uuid4())
        self.refresh_tokens[token] = (client_id, user.username, origin_jti)
        now = CLOCK.now()
        self.refresh_meta[token] = {
            "expires_at": now + rules.token_validity_seconds(self._client(client_id), "refresh"),
            "auth_time": int(now),
            "scope": scope,
            "device_key": device_key,
        }
        self.expiring.add(self.refresh_meta[token]["expires_at"] + GRACE_SECONDS, "refresh", token)
        self._keep_device_until(user.username, device_key, self.refresh_meta[token]["expires_at"] + GRACE_SECONDS)
        return token, origin_jti

    def rotate_refresh_token(self, old: str, grace_seconds: int) -> str:
        """GetTokensFromRefreshToken with rotation: a new refresh token for the same sign-in
        (device, scope, auth_time); the old one lives `grace_seconds` more."""
        client_id, username, origin_jti = self.refresh_tokens[old]
        meta = self.refresh_meta.get(old, {})
        token = "eyJ" + secrets.token_urlsafe(96)
        self.refresh_tokens[token] = (client_id, username, origin_jti)
        now = CLOCK.now()
        self.refresh_meta[token] = {**meta, "expires_at": now + rules.token_validity_seconds(
            self._client(client_id), "refresh")}
        self.refresh_meta[token].pop("rotated_out_at", None)
        meta["rotated_out_at"] = min(meta.get("rotated_out_at", float("inf")), now + grace_seconds)
        self.refresh_meta[old] = meta
        forget_at = self.refresh_meta[token]["expires_at"] + GRACE_SECONDS
        self.expiring.add(forget_at, "refresh", token)
        self._keep_device_until(username, meta.get("device_key"), forget_at)
        return token

    def create_tokens_from_refresh_token(self, refresh_token: str, nonce: str | None = None) -> tuple[str, str, int]:
        record = self.refresh_tokens.get(refresh_token)
        if record is None:
            raise NotAuthorizedError("Refresh Token has been revoked")
        client_id, username, origin_jti = record
        meta = self.refresh_meta.get(refresh_token, {})
        auth_time = int(meta.get("auth_time", CLOCK.now()))
        scope = meta.get("scope", "aws.cognito.signin.user.admin")
        access, expires_in = self.create_access_token(client_id, username, origin_jti, auth_time, scope)
        id_token, _ = self.create_id_token(client_id, username, origin_jti, auth_time, nonce)
        return access, id_token, expires_in


FaithfulUserPool.__module__ = "moto.cognitoidp.models"


class FaithfulCognitoIdpBackend(moto_models.CognitoIdpBackend, DeviceTrackingMixin):
    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.auth_sessions: dict[str, AuthSession] = {}
        self.srp_exchanges: dict[str, SrpExchange] = {}  # by SECRET_BLOCK
        self.expiring_sessions = ExpiryQueue()

    def _remember_session(self, token: str, state: AuthSession, pool) -> None:
        for _, old in self.expiring_sessions.due(CLOCK.now()):
            self._end_session(old)
        self.auth_sessions[token] = state
        # moto routes session-carrying calls by looking in `sessions`
        self.sessions[token] = (state.username, pool)
        self.expiring_sessions.add(state.expires_at + GRACE_SECONDS, "session", token)

    # --- pools and clients ---------------------------------------------------------------

    def create_user_pool(self, name: str, extended_config: dict[str, Any]):
        pool = FaithfulUserPool(self.account_id, self.region_name, name, extended_config)
        self.user_pools[pool.id] = pool
        return pool

    def get_user_pool_mfa_config(self, user_pool_id: str) -> dict[str, Any]:
        """Only the parts that are set, as Cognito answers: {"MfaConfiguration": "OFF"}."""
        pool = self.describe_user_pool(user_pool_id)
        result: dict[str, Any] = {"MfaConfiguration": pool.mfa_config}
        if pool.sms_mfa_config:
            result["SmsMfaConfiguration"] = pool.sms_mfa_config
        if pool.token_mfa_config:
            result["SoftwareTokenMfaConfiguration"] = pool.token_mfa_config
        return result

    def find_client(self, client_id: str):
        for pool in self.user_pools.values():
            if client_id in pool.clients:
                return pool, pool.clients[client_id]
        raise ResourceNotFoundError(client_id)

    # --- helpers -------------------------------------------------------------------------

    def _find_user(self, pool, username: str | None):
        if not username:
            return None
        return pool._get_user(username)

    def _new_session(self, pool, client, user, challenge: str, extra: dict | None = None) -> str:
        token = secrets.token_urlsafe(192)
        self._remember_session(token, AuthSession(
            pool_id=pool.id, client_id=client.id, username=user.username, challenge=challenge,
            expires_at=rules.auth_session_expiry(client, CLOCK.now()), extra=dict(extra or {}),
        ), pool)
        return token

    def challenge_session_live(self, token: str | None) -> bool:
        """Whether a challenge session can still be answered (the managed login asks after a
        wrong code: the last allowed one ends the session)."""
        state = self.auth_sessions.get(token or "")
        return state is not None and CLOCK.now() < state.expires_at

    def _end_session(self, token: str) -> None:
        self.auth_sessions.pop(token, None)
        self.sessions.pop(token, None)

    def _challenge(self, pool, client, user, challenge: str, device_key: str | None = None) -> dict[str, Any]:
        params = rules.challenge_parameters(challenge, user)
        if challenge == "DEVICE_SRP_AUTH":
            params["USERNAME"] = user.username
        return {
            "ChallengeName": challenge,
            "ChallengeParameters": params,
            "Session": self._new_session(pool, client, user, challenge, {"device_key": device_key}),
        }

    def issue_tokens(self, pool, client, username: str, with_refresh: bool = True,
                     scope: str = "aws.cognito.signin.user.admin", nonce: str | None = None,
                     device_key: str | None = None, new_device: dict | None = None) -> dict[str, Any]:
        """A sign-in's tokens. `nonce` (managed login, OIDC) goes into the ID token only. With
        device tracking the refresh token belongs to `device_key`; `new_device` is the
        NewDeviceMetadata of a sign-in that named no device."""
        refresh, origin_jti = pool.create_refresh_token(client.id, username, scope, device_key)
        access, id_token, expires_in = pool.create_tokens_from_refresh_token(refresh, nonce)
        result = {"AccessToken": access, "ExpiresIn": expires_in, "TokenType": "Bearer",
                  "IdToken": id_token}
        if with_refresh:
            result["RefreshToken"] = refresh
        if new_device:
            result["NewDeviceMetadata"] = new_device
        return {"ChallengeParameters": {}, "AuthenticationResult": result}

    def _check_secret_hash(self, client, username: str, params: dict[str, str]) -> None:
        if client.generate_secret and not _secret_hash_ok(client.secret, client.id, username, params.get("SECRET_HASH")):
            raise NotAuthorizedError(f"Client {client.id} is configured with secret but SECRET_HASH was not received")

    def user_for_access_token(self, access_token: str):
        """GetUser, AssociateSoftwareToken, ... : the token must be live and unrevoked."""
        for pool in self.user_pools.values():
            if access_token in pool.access_tokens:
                if CLOCK.now() >= pool.access_token_exp.get(access_token, float("inf")):
                    raise NotAuthorizedError(rules.MSG_ACCESS_TOKEN_EXPIRED)
                _, username = pool.access_tokens[access_token]
                user = pool._get_user(username)
                if user is None or not user.enabled:
                    raise NotAuthorizedError("User is disabled.")
                return pool, user
            if access_token in pool.access_token_exp:
                raise NotAuthorizedError(rules.MSG_ACCESS_TOKEN_REVOKED)
        if any(pool.expired_access_token(access_token) for pool in self.user_pools.values()):
            raise NotAuthorizedError(rules.MSG_ACCESS_TOKEN_EXPIRED)
        raise NotAuthorizedError(rules.MSG_ACCESS_TOKEN_INVALID)

    def get_user(self, access_token: str):
        return self.user_for_access_token(access_token)[1]

    def global_sign_out(self, access_token: str) -> None:
        """GlobalSignOut: every refresh token of the user revoked ("Refresh Token has been
        revoked" afterwards), every access token too ("Access Token has been revoked"). A
        token already revoked or expired is refused as on any call (moto puts the token
        itself in the message)."""
        pool, user = self.user_for_access_token(access_token)
        pool.sign_out(user.username)

    def admin_user_global_sign_out(self, user_pool_id: str, username: str) -> None:
        """AdminUserGlobalSignOut, by any name the user signs in with: in a pool whose users
        sign in with their email, moto compares the email with the internal name its tokens
        carry, so nothing was revoked."""
        pool = self.describe_user_pool(user_pool_id)
        user = pool._get_user(username)
        if user is None:
            raise UserNotFoundError(rules.MSG_USER_NOT_FOUND)
        pool.sign_out(user.username)

    def knows_access_token(self, token: str) -> bool:
        """Whether a pool of this backend issued the token (live, revoked or forgotten after expiry)."""
        return any(token in pool.access_tokens or token in pool.access_token_exp or pool.expired_access_token(token)
                   for pool in self.user_pools.values())

    def user_info(self, access_token: str) -> dict[str, Any]:
        """The signed-in user for the managed login's userInfo endpoint: attributes, sub and
        username (NotAuthorizedException as GetUser for a dead token)."""
        _, user = self.user_for_access_token(access_token)
        attrs = {a["Name"]: a["Value"] for a in user.attributes}
        return {"attributes": attrs, "sub": attrs.get("sub", user.id), "username": user.username}

    def revoke_refresh_token(self, pool, client_id: str, token: str) -> str:
        """/oauth2/revoke: revokes a refresh token and the access and ID tokens minted from it.
        Returns "revoked", or why not: "not-a-refresh-token", "unknown", "already-revoked",
        "other-client"."""
        if token in pool.access_tokens or token in pool.id_tokens:
            return "not-a-refresh-token"
        if token not in pool.refresh_tokens:
            return "unknown"
        record = pool.refresh_tokens[token]
        if record is None:
            return "already-revoked"
        if record[0] != client_id:
            return "other-client"
        origin_jti = record[2]
        pool.refresh_tokens[token] = None  # moto's convention: None = revoked
        for store in (pool.access_tokens, pool.id_tokens):
            for minted in [t for t in store if _payload(t).get("origin_jti") == origin_jti]:
                del store[minted]  # access_token_exp keeps them: later use says "revoked"
        return "revoked"

    # --- sign-in -------------------------------------------------------------------------

    def _password_sign_in(self, pool, client, params: dict[str, str], hosted: bool = False) -> dict[str, Any]:
        username = params.get("USERNAME")
        if not username:
            raise InvalidParameterException("Missing required parameter USERNAME")
        user = self._find_user(pool, username)
        if user is None:
            raise rules.unknown_user_error(client)
        self._check_secret_hash(client, username, params)
        rules.check_password_sign_in(user, params.get("PASSWORD", ""))
        return self._password_verified(pool, client, user, params.get("DEVICE_KEY"), hosted)

    def _password_verified(self, pool, client, user, device_key: str | None, hosted: bool = False) -> dict[str, Any]:
        """After the password (plain or SRP): a forced new password, else the device named in
        DEVICE_KEY (it must be this user's confirmed device) and the second factor."""
        if str(user.status.value if hasattr(user.status, "value") else user.status) in (
            "FORCE_CHANGE_PASSWORD", "RESET_REQUIRED"
        ):
            out = self._challenge(pool, client, user, "NEW_PASSWORD_REQUIRED")
            out["ChallengeParameters"]["requiredAttributes"] = "[]"
            out["ChallengeParameters"]["userAttributes"] = "{}"
            return out
        device = None
        if device_key and not hosted and rules.device_configuration(pool) is not None:
            device = rules.find_device(user, device_key)
        return self._after_first_factor(pool, client, user, hosted, device)

    def _after_first_factor(self, pool, client, user, hosted: bool = False, device=None) -> dict[str, Any]:
        challenge = rules.challenge_after_password(pool, software_token(user), device)
        device_key = device.key if device is not None else None
        if challenge:
            return self._challenge(pool, client, user, challenge, device_key)
        return self._signed_in(pool, client, user, hosted, device_key)

    def _signed_in(self, pool, client, user, hosted: bool, device_key: str | None = None) -> dict[str, Any]:
        """API flows get tokens; the managed login gets the user and mints tokens at
        /oauth2/token, when the authorization code is exchanged. With device tracking, a
        sign-in that named no device gets NewDeviceMetadata (a device the app may confirm)."""
        if hosted:
            return {"SignedIn": user.username}
        new_device = None
        if device_key is None and rules.device_configuration(pool) is not None:
            device = rules.new_device(pool, CLOCK.now())
            rules.user_devices(user)[device.key] = device
            device_key = device.key
            new_device = {"DeviceKey": device.key, "DeviceGroupKey": device.group_key}
        return self.issue_tokens(pool, client, user.username, device_key=device_key, new_device=new_device)

    def _refresh_sign_in(self, pool, client, params: dict[str, str], secret_checked: bool = False) -> dict[str, Any]:
        token = params.get("REFRESH_TOKEN")
        if not token:
            raise InvalidParameterException("Missing required parameter REFRESH_TOKEN")
        if token not in pool.refresh_tokens:
            raise NotAuthorizedError("Invalid Refresh Token")
        record = pool.refresh_tokens[token]
        if record is None:
            raise NotAuthorizedError("Refresh Token has been revoked")
        token_client, username, _ = record
        if token_client != client.id:
            raise NotAuthorizedError("Invalid Refresh Token")
        meta = pool.refresh_meta.get(token, {})
        rules.require_refresh_token_live(meta, CLOCK.now())
        user = pool._get_user(username)
        if user is None:
            raise NotAuthorizedError(rules.MSG_INVALID_REFRESH_TOKEN)
        rules.require_refresh_device(meta, params.get("DEVICE_KEY"), user)
        if not secret_checked:
            self._check_secret_hash(client, params.get("USERNAME") or username, params)
        access, id_token, expires_in = pool.create_tokens_from_refresh_token(token)
        return {"ChallengeParameters": {}, "AuthenticationResult": {
            "AccessToken": access, "ExpiresIn": expires_in, "TokenType": "Bearer", "IdToken": id_token}}

    def get_tokens_from_refresh_token(self, refresh_token: str, client_id: str, client_secret: str | None,
                                      device_key: str | None) -> dict[str, Any]:
        """GetTokensFromRefreshToken: new ID and access tokens; with the client's
        RefreshTokenRotation ENABLED also a new refresh token, the old one then accepted only
        within RetryGracePeriodSeconds (API reference, RefreshTokenRotationType)."""
        pool, client = self.find_client(client_id)
        if client.generate_secret and not secrets.compare_digest(str(client_secret or "").encode(), str(client.secret).encode()):
            raise NotAuthorizedError(f"Client {client.id} is configured with secret but the secret was not received "
                                     "or is wrong")
        params = {"REFRESH_TOKEN": refresh_token or ""}
        if device_key:
            params["DEVICE_KEY"] = device_key
        out = self._refresh_sign_in(pool, client, params, secret_checked=True)
        rotating, grace = rules.refresh_token_rotation(client)
        if rotating:
            out["AuthenticationResult"]["RefreshToken"] = pool.rotate_refresh_token(refresh_token, grace)
        return {"AuthenticationResult": out["AuthenticationResult"]}

    def initiate_auth(self, client_id: str, auth_flow: str, auth_parameters: dict[str, str],
                      via_managed_login: bool = False) -> dict[str, Any]:
        pool, client = self.find_client(client_id)
        return self._initiate(pool, client, auth_flow, auth_parameters or {},
                              admin=False, hosted=via_managed_login)

    def admin_initiate_auth(self, user_pool_id: str, client_id: str, auth_flow: str,
                            auth_parameters: dict[str, str]) -> dict[str, Any]:
        pool = self.describe_user_pool(user_pool_id)
        client = pool.clients.get(client_id)
        if client is None:
            raise ResourceNotFoundError(client_id)
        return self._initiate(pool, client, auth_flow, auth_parameters or {}, admin=True)

    _USER_FLOWS = {"USER_PASSWORD_AUTH", "USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN", "CUSTOM_AUTH"}
    _ADMIN_FLOWS = {"ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN",
                    "CUSTOM_AUTH", "USER_SRP_AUTH"}

    def _initiate(self, pool, client, flow: str, params: dict[str, str], admin: bool,
                  hosted: bool = False) -> dict[str, Any]:
        valid = self._ADMIN_FLOWS if admin else self._USER_FLOWS
        if flow not in valid:
            raise InvalidParameterException(
                f"1 validation error detected: Value '{flow}' at 'authFlow' failed to satisfy "
                f"constraint: Member must satisfy enum value set: {sorted(valid)}")
        if not hosted:  # the managed login is not bound by ExplicitAuthFlows
            rules.require_auth_flow_enabled(client, flow, admin)
        if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            if not hosted:
                rules.require_refresh_flow_without_rotation(client)
            return self._refresh_sign_in(pool, client, params)
        if flow == "USER_SRP_AUTH":
            return self._srp_sign_in(pool, client, params)
        if flow == "CUSTOM_AUTH":
            raise InvalidParameterException(
                "CUSTOM_AUTH is not emulated by the embedded target of cognito-mfa-harness "
                "(it needs Lambda triggers); run custom-auth specs against a real pool")
        return self._password_sign_in(pool, client, params, hosted)

    # --- SRP -----------------------------------------------------------------------------

    def _new_exchange(self, exchange: SrpExchange) -> str:
        block = base64.b64encode(secrets.token_bytes(96)).decode("ascii")
        now = CLOCK.now()
        for key in [k for k, v in self.srp_exchanges.items() if now >= v.expires_at]:
            del self.srp_exchanges[key]
        self.srp_exchanges[block] = exchange
        return block

    def _srp_sign_in(self, pool, client, params: dict[str, str]) -> dict[str, Any]:
        """USER_SRP_AUTH: SRP_A in; PASSWORD_VERIFIER out with SALT, SRP_B, SECRET_BLOCK,
        USERNAME and USER_ID_FOR_SRP (no Session, as Cognito answers). An unknown user behind
        PreventUserExistenceErrors gets a challenge too and fails at the answer."""
        username = params.get("USERNAME")
        if not username:
            raise InvalidParameterException("Missing required parameter USERNAME")
        big_a = rules.srp_a_value(params.get("SRP_A"))
        user = self._find_user(pool, username)
        realm = srp.pool_realm(pool.id)
        if user is None:
            if not rules.prevents_user_existence_errors(client):
                raise UserNotFoundError(rules.MSG_USER_NOT_FOUND)
            salt, verifier, internal = srp.new_salt_hex(), secrets.randbits(3000), username
        else:
            self._check_secret_hash(client, username, params)
            if not user.enabled:
                raise NotAuthorizedError("User is disabled.")
            if str(getattr(user.status, "value", user.status)) == "UNCONFIRMED":
                raise moto_models.UserNotConfirmedException("User is not confirmed.")
            salt, verifier = rules.user_srp_verifier(user, pool.id)
            internal = user.username
        small_b, big_b = srp.server_b(verifier)
        block = self._new_exchange(SrpExchange(
            pool_id=pool.id, client_id=client.id, username=user.username if user else None, realm=realm,
            identity=internal, small_b=small_b, big_b=big_b, big_a=big_a, verifier=verifier,
            expires_at=CLOCK.now() + rules.SRP_EXCHANGE_SECONDS, device_key=params.get("DEVICE_KEY")))
        return {"ChallengeName": "PASSWORD_VERIFIER", "ChallengeParameters": {
            "SALT": salt, "SRP_B": f"{big_b:x}", "SECRET_BLOCK": block, "USERNAME": internal,
            "USER_ID_FOR_SRP": internal}}

    def _take_exchange(self, pool, client, responses: dict[str, str], kind: str):
        """The exchange a verifier answer continues, bound to pool, client, kind and user."""
        exchange = self.srp_exchanges.pop(responses.get("PASSWORD_CLAIM_SECRET_BLOCK") or "", None)
        if exchange is None or exchange.pool_id != pool.id or exchange.client_id != client.id or exchange.kind != kind:
            return None, None
        user = self._find_user(pool, responses.get("USERNAME"))
        if user is None or user.username != exchange.username:
            return None, None
        return exchange, user

    def _answer_password_verifier(self, pool, client, responses: dict[str, str], hosted: bool) -> dict[str, Any]:
        if not responses.get("USERNAME"):
            raise InvalidParameterException("Missing required parameter USERNAME")
        exchange, user = self._take_exchange(pool, client, responses, "PASSWORD_VERIFIER")
        rules.check_srp_claim(exchange, responses, CLOCK.now())
        self._check_secret_hash(client, responses.get("USERNAME", ""), responses)
        device_key = responses.get("DEVICE_KEY") or exchange.device_key
        return self._password_verified(pool, client, user, device_key, hosted)

    def _pending_device_session(self, pool, client, responses: dict[str, str]) -> str | None:
        """DEVICE_SRP_AUTH sent without Session (pycognito does so): the newest live
        DEVICE_SRP_AUTH session of this user, client and device — one that only a verified
        password opened, so the device alone never signs anyone in."""
        user = self._find_user(pool, responses.get("USERNAME"))
        if user is None:
            return None
        found = [(state.expires_at, token) for token, state in self.auth_sessions.items()
                 if state.pool_id == pool.id and state.client_id == client.id and state.username == user.username
                 and state.challenge == "DEVICE_SRP_AUTH"
                 and state.extra.get("device_key") == responses.get("DEVICE_KEY")]
        return max(found)[1] if found else None

    def _answer_device_srp(self, pool, client, session: str | None, responses: dict[str, str]) -> dict[str, Any]:
        """DEVICE_SRP_AUTH: SRP_A for the remembered device; DEVICE_PASSWORD_VERIFIER out with the
        device's SALT (from ConfirmDevice), SRP_B and a SECRET_BLOCK."""
        token = session or self._pending_device_session(pool, client, responses) or ""
        state = self.auth_sessions.get(token)
        user = self._find_user(pool, responses.get("USERNAME"))
        try:
            rules.require_session_usable(state, client.id, "DEVICE_SRP_AUTH", user, CLOCK.now())
        except NotAuthorizedError:
            if state is not None and CLOCK.now() >= state.expires_at:
                self._end_session(token)
            raise
        if responses.get("DEVICE_KEY") != state.extra.get("device_key"):
            raise NotAuthorizedError(rules.MSG_SESSION_INVALID)
        big_a = rules.srp_a_value(responses.get("SRP_A"))
        self._check_secret_hash(client, responses.get("USERNAME", ""), responses)
        device = rules.find_device(user, state.extra["device_key"])
        self._end_session(token)
        small_b, big_b = srp.server_b(device.verifier)
        block = self._new_exchange(SrpExchange(
            pool_id=pool.id, client_id=client.id, username=user.username, realm=device.group_key,
            identity=device.key, small_b=small_b, big_b=big_b, big_a=big_a, verifier=device.verifier,
            expires_at=CLOCK.now() + rules.SRP_EXCHANGE_SECONDS, device_key=device.key,
            kind="DEVICE_PASSWORD_VERIFIER"))
        return {"ChallengeName": "DEVICE_PASSWORD_VERIFIER", "ChallengeParameters": {
            "USERNAME": user.username, "SALT": device.salt_hex, "SRP_B": f"{big_b:x}", "SECRET_BLOCK": block}}

    def _answer_device_verifier(self, pool, client, responses: dict[str, str]) -> dict[str, Any]:
        """DEVICE_PASSWORD_VERIFIER: the device's proof (x from DeviceGroupKey, DeviceKey and its
        random password); right → tokens without the TOTP code; wrong → refused."""
        exchange, user = self._take_exchange(pool, client, responses, "DEVICE_PASSWORD_VERIFIER")
        if exchange is not None and responses.get("DEVICE_KEY") not in (None, exchange.device_key):
            exchange = None
        rules.check_srp_claim(exchange, responses, CLOCK.now())
        self._check_secret_hash(client, responses.get("USERNAME", ""), responses)
        device = rules.find_device(user, exchange.device_key)
        device.last_authenticated = CLOCK.now()
        return self._signed_in(pool, client, user, False, device.key)

    # --- challenges ----------------------------------------------------------------------

    def admin_respond_to_auth_challenge(self, session: str, client_id: str, challenge_name: str,
                                        challenge_responses: dict[str, str]) -> dict[str, Any]:
        return self.respond_to_auth_challenge(session, client_id, challenge_name, challenge_responses)

    def respond_to_auth_challenge(self, session: str, client_id: str, challenge_name: str,
                                  challenge_responses: dict[str, str],
                                  via_managed_login: bool = False) -> dict[str, Any]:
        hosted = via_managed_login
        responses = challenge_responses or {}
        pool, client = self.find_client(client_id)
        # SRP answers carry their state in SECRET_BLOCK (or a device sign-in's session)
        if challenge_name == "PASSWORD_VERIFIER":
            return self._answer_password_verifier(pool, client, responses, hosted)
        if challenge_name == "DEVICE_SRP_AUTH":
            return self._answer_device_srp(pool, client, session, responses)
        if challenge_name == "DEVICE_PASSWORD_VERIFIER":
            return self._answer_device_verifier(pool, client, responses)
        state = self.auth_sessions.get(session or "")
        if state is not None and state.pool_id != pool.id:
            state = None
        user = self._find_user(pool, responses.get("USERNAME"))
        if user is None and state is not None and not responses.get("USERNAME"):
            raise InvalidParameterException("Missing required parameter USERNAME")
        if user is None and state is not None:
            raise rules.unknown_user_error(client)
        try:
            rules.require_session_usable(state, client.id, challenge_name, user, CLOCK.now())
        except NotAuthorizedError:
            if state is not None and CLOCK.now() >= state.expires_at:
                self._end_session(session)
            raise
        self._check_secret_hash(client, responses.get("USERNAME", ""), responses)
        if challenge_name == "SOFTWARE_TOKEN_MFA":
            return self._answer_software_token(pool, client, user, session, state, responses, hosted)
        if challenge_name == "NEW_PASSWORD_REQUIRED":
            return self._answer_new_password(pool, client, user, session, responses, hosted)
        if challenge_name == "MFA_SETUP":
            if not state.mfa_setup_verified:
                raise InvalidParameterException("Software token MFA has not been verified for this session")
            self._end_session(session)
            return self._signed_in(pool, client, user, hosted, state.extra.get("device_key"))
        raise InvalidParameterException(f"Unsupported challenge {challenge_name}")

    def _answer_software_token(self, pool, client, user, session, state, responses, hosted) -> dict[str, Any]:
        code = responses.get("SOFTWARE_TOKEN_MFA_CODE")
        if not code:
            raise InvalidParameterException("Missing required parameter SOFTWARE_TOKEN_MFA_CODE")
        try:
            rules.check_sign_in_code(software_token(user), code, CLOCK.now())
        except moto_models.CodeMismatchException:
            if rules.wrong_code_ends_session(state):
                self._end_session(session)
            raise
        self._end_session(session)
        return self._signed_in(pool, client, user, hosted, state.extra.get("device_key"))

    def _answer_new_password(self, pool, client, user, session, responses, hosted) -> dict[str, Any]:
        new_password = responses.get("NEW_PASSWORD")
        if not new_password:
            raise InvalidParameterException("Missing required parameter NEW_PASSWORD")
        self._validate_password(pool.id, new_password)
        user.password = new_password
        user.status = moto_models.UserStatus.CONFIRMED
        self._end_session(session)
        return self._after_first_factor(pool, client, user, hosted)

    # --- software token enrolment --------------------------------------------------------

    def _enrolling_user(self, access_token: str | None, session: str | None):
        if session:
            state = self.auth_sessions.get(session)
            if state is None or state.challenge != "MFA_SETUP":
                raise NotAuthorizedError(rules.MSG_SESSION_INVALID)
            if CLOCK.now() >= state.expires_at:
                self._end_session(session)
                raise NotAuthorizedError(rules.MSG_SESSION_EXPIRED)
            pool = self.user_pools[state.pool_id]
            return pool, pool._get_user(state.username), state
        pool, user = self.user_for_access_token(access_token or "")
        return pool, user, None

    def _rotate_session(self, session: str, state: AuthSession) -> str:
        """Enrolment calls made with a Session hand back a new Session (API reference)."""
        self._end_session(session)
        token = secrets.token_urlsafe(192)
        self._remember_session(token, state, self.user_pools[state.pool_id])
        return token

    def associate_software_token(self, access_token: str, session: str) -> dict[str, str]:
        pool, user, state = self._enrolling_user(access_token, session)
        rules.require_pool_software_token_enabled(pool)
        token = software_token(user)
        token.pending_secret = rules.new_software_token_secret()
        result = {"SecretCode": token.pending_secret}
        if state is not None:
            result["Session"] = self._rotate_session(session, state)
        return result

    def verify_software_token(self, access_token: str, session: str, user_code: str,
                              friendly_device_name: str) -> dict[str, str]:
        pool, user, state = self._enrolling_user(access_token, session)
        rules.require_pool_software_token_enabled(pool)
        token = software_token(user)
        if not token.pending_secret:
            raise rules.EnableSoftwareTokenMFAException()
        step = rules.check_verify_code(token, user_code or "", CLOCK.now())
        token.verified_secret, token.pending_secret = token.pending_secret, None
        token.last_used_step = step if rules.CHOICES.verify_code_counts_as_used else -1
        user.token_verified = True
        result = {"Status": "SUCCESS"}
        if state is not None:
            state.mfa_setup_verified = True
            # In a required pool, a verified set-up turns the factor on.
            token.enabled = True
            result["Session"] = self._rotate_session(session, state)
        return result

    def set_user_mfa_preference(self, access_token: str, software_token_mfa_settings: dict[str, bool],
                                sms_mfa_settings: dict[str, bool]) -> None:
        pool, user = self.user_for_access_token(access_token)
        self._set_preference(pool, user, software_token_mfa_settings, sms_mfa_settings)

    def admin_set_user_mfa_preference(self, user_pool_id: str, username: str,
                                      software_token_mfa_settings: dict[str, bool],
                                      sms_mfa_settings: dict[str, bool]) -> None:
        pool = self.describe_user_pool(user_pool_id)
        user = pool._get_user(username)
        if user is None:
            raise UserNotFoundError(rules.MSG_USER_NOT_FOUND)
        self._set_preference(pool, user, software_token_mfa_settings, sms_mfa_settings)

    def _set_preference(self, pool, user, totp: dict[str, bool] | None, sms: dict[str, bool] | None) -> None:
        token = software_token(user)
        if totp:
            if totp.get("Enabled") or totp.get("PreferredMfa"):
                rules.require_pool_software_token_enabled(pool)
                rules.require_verified_token_for_preference(token)
            token.enabled = bool(totp.get("Enabled"))
            token.preferred = bool(totp.get("PreferredMfa")) and token.enabled
            user.software_token_mfa_enabled = token.enabled
            user.preferred_mfa_setting = "SOFTWARE_TOKEN_MFA" if token.preferred else ""
        if sms and (sms.get("Enabled") or sms.get("PreferredMfa")):
            raise InvalidParameterException("User does not have delivery config set to turn on SMS_MFA")


# moto finds a backend's URL module next to the class's module: keep moto's.
FaithfulCognitoIdpBackend.__module__ = "moto.cognitoidp.models"
