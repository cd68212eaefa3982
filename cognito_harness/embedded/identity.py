"""Cognito Identity (identity pools) as AWS does it, for the calls the narrative makes.

moto ignores `Logins`, hands out a new IdentityId per call and constant keys. Here:
- GetId validates the ID token in `Logins` (signature with the user pool's key, expiry on
  the harness clock, audience, token_use) and returns the same IdentityId per user;
- GetCredentialsForIdentity mints STS credentials for the pool's authenticated role (moto
  STS), so IAM policy decides what they may do (S3 list yes, write no);
- SetIdentityPoolRoles / GetIdentityPoolRoles are implemented.
State is kept on moto's identity-pool objects, so moto's reset wipes it.
"""

from __future__ import annotations

import json
import uuid

from joserfc import jwt
from joserfc.errors import JoseError
from moto.cognitoidentity.models import cognitoidentity_backends
from moto.cognitoidp.models import cognitoidp_backends
from moto.sts.models import sts_backends

from ..clock import CLOCK

HANDLED = {"GetId", "GetCredentialsForIdentity", "SetIdentityPoolRoles", "GetIdentityPoolRoles"}
_NAMESPACE = uuid.UUID("6f6e6f63-6f67-6e69-746f-6861726e6573")


class IdentityError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def handle(operation: str, body: dict, account_id: str) -> dict:
    if operation == "GetId":
        return get_id(body, account_id)
    if operation == "GetCredentialsForIdentity":
        return get_credentials_for_identity(body, account_id)
    if operation == "SetIdentityPoolRoles":
        pool = _identity_pool(body.get("IdentityPoolId", ""), account_id)
        pool.harness_roles = dict(body.get("Roles") or {})
        return {}
    if operation == "GetIdentityPoolRoles":
        pool = _identity_pool(body.get("IdentityPoolId", ""), account_id)
        return {"IdentityPoolId": pool.identity_pool_id, "Roles": getattr(pool, "harness_roles", {})}
    raise IdentityError("InvalidParameterException", f"{operation} is not handled")


def _identity_pool(identity_pool_id: str, account_id: str):
    region = identity_pool_id.split(":")[0]
    try:
        backend = cognitoidentity_backends[account_id][region]
    except KeyError:
        backend = None
    pool = backend.identity_pools.get(identity_pool_id) if backend else None
    if pool is None:
        raise IdentityError("ResourceNotFoundException", f"IdentityPool '{identity_pool_id}' not found.")
    return pool


def _user_pool_for_provider(provider: str, account_id: str):
    # provider = cognito-idp.<region>.amazonaws.com/<user_pool_id>
    try:
        host, user_pool_id = provider.split("/", 1)
        region = host.split(".")[1]
        return cognitoidp_backends[account_id][region].user_pools.get(user_pool_id)
    except (ValueError, IndexError, KeyError):
        return None


def validate_logins(pool, logins: dict, account_id: str) -> str:
    """Returns the `sub` of the (single) valid Cognito user-pool login, or raises."""
    providers = {p.get("ProviderName"): p for p in (pool.cognito_identity_providers or [])}
    for provider, token in (logins or {}).items():
        if provider not in providers:
            raise IdentityError("NotAuthorizedException",
                                f"Invalid login token. Couldn't verify signed token. ({provider} is not a provider of this identity pool)")
        user_pool = _user_pool_for_provider(provider, account_id)
        if user_pool is None:
            raise IdentityError("NotAuthorizedException", "Invalid login token. Issuer doesn't match providerName")
        try:
            claims = jwt.decode(token, user_pool.json_web_key).claims
        except (JoseError, ValueError):
            raise IdentityError("NotAuthorizedException", "Invalid login token. Not a valid OpenId Connect identity token.")
        if claims.get("token_use") != "id":
            raise IdentityError("NotAuthorizedException", "Invalid login token. Not a valid OpenId Connect identity token.")
        if claims.get("iss") != user_pool.issuer:
            raise IdentityError("NotAuthorizedException", "Invalid login token. Issuer doesn't match providerName")
        if int(claims.get("exp", 0)) <= CLOCK.now():
            raise IdentityError("NotAuthorizedException", f"Invalid login token. Token expired: {int(claims['exp'])} >= {int(CLOCK.now())}")
        client_id = providers[provider].get("ClientId")
        if client_id and claims.get("aud") != client_id:
            raise IdentityError("NotAuthorizedException", "Invalid login token. Incorrect token audience.")
        return f"{provider}:{claims['sub']}"
    raise IdentityError("NotAuthorizedException", "Unauthenticated access is not supported for this identity pool.")


def get_id(body: dict, account_id: str) -> dict:
    pool = _identity_pool(body.get("IdentityPoolId", ""), account_id)
    if not body.get("Logins") and not pool.allow_unauthenticated_identities:
        raise IdentityError("NotAuthorizedException", "Unauthenticated access is not supported for this identity pool.")
    if not body.get("Logins"):  # a pool that allows guests: an unauthenticated identity
        login = f"unauthenticated:{uuid.uuid4()}"
    else:
        login = validate_logins(pool, body["Logins"], account_id)
    identity_id = f"{pool.identity_pool_id.split(':')[0]}:{uuid.uuid5(_NAMESPACE, pool.identity_pool_id + login)}"
    identities = getattr(pool, "harness_identities", None)
    if identities is None:
        identities = pool.harness_identities = {}
    identities[identity_id] = login
    return {"IdentityId": identity_id}


def get_credentials_for_identity(body: dict, account_id: str) -> dict:
    identity_id = body.get("IdentityId", "")
    region = identity_id.split(":")[0]
    pool = None
    try:
        pools = cognitoidentity_backends[account_id][region].identity_pools.values()
    except KeyError:
        pools = []
    for candidate in pools:
        if identity_id in getattr(candidate, "harness_identities", {}):
            pool = candidate
    if pool is None:
        raise IdentityError("ResourceNotFoundException", f"Identity '{identity_id}' not found.")
    if not body.get("Logins"):
        raise IdentityError("NotAuthorizedException",
                            "Logins don't match. Please include at least one valid login for this identity or identity pool.")
    login = validate_logins(pool, body["Logins"], account_id)
    if pool.harness_identities[identity_id] != login:
        raise IdentityError("NotAuthorizedException",
                            "Logins don't match. Please include at least one valid login for this identity or identity pool.")
    role_arn = getattr(pool, "harness_roles", {}).get("authenticated")
    if not role_arn:
        raise IdentityError("InvalidIdentityPoolConfigurationException",
                            "Invalid identity pool configuration. Check assigned IAM roles for this pool.")
    sts = sts_backends[account_id]["aws"]
    role = sts.assume_role_with_web_identity(
        region_name=region, role_session_name="CognitoIdentityCredentials", role_arn=role_arn,
        policy=None, duration=3600, external_id=None,
    )
    return {
        "IdentityId": identity_id,
        "Credentials": {
            "AccessKeyId": role.access_key_id,
            "SecretKey": role.secret_access_key,
            "SessionToken": role.session_token,
            "Expiration": int(CLOCK.now()) + 3600,
        },
    }


def error_body(err: IdentityError) -> bytes:
    return json.dumps({"__type": err.code, "message": err.message}).encode()
