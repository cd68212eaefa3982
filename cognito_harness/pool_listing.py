"""Everything a run could change in a pool, listed as one JSON-able dict: the pool and its
MFA configuration, the app clients, the domain, every user with attributes and MFA
settings, the identity pool with its roles and their policies, the bucket's objects.

Two listings are compared to prove a run left a pool as it found it (tests/, and
`cognito-harness list-pool`). Left out, because they are not state a run should keep:
`LastModifiedDate` of the pool and clients (AWS moves it on a change that was then undone),
the domain's `AWSAccountId` (plain moto answers a new random one on every call), a role's
`RoleLastUsed` (IAM notes each use of the identity pool's role).
Parts an endpoint does not implement read as ``"<not available: Code>"``.
"""

from __future__ import annotations

import datetime
import json

from botocore.exceptions import ClientError

VOLATILE = ("LastModifiedDate", "ResponseMetadata", "AWSAccountId", "RoleLastUsed")


def _clean(value):
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in sorted(value.items()) if k not in VOLATILE}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def _try(fn, **kwargs):
    try:
        return _clean(fn(**kwargs))
    except ClientError as err:
        return f"<not available: {err.response['Error']['Code']}>"
    except NotImplementedError:
        return "<not available: NotImplemented>"


def _pages(fn, key: str, **kwargs) -> list:
    items, token_key = [], None
    while True:
        page = fn(**kwargs)
        items += page.get(key, [])
        token_key = next((k for k in ("NextToken", "PaginationToken") if page.get(k)), None)
        if token_key is None:
            return items
        kwargs = {**kwargs, token_key: page[token_key]}


def list_pool(session, endpoint_url: str | None, user_pool_id: str, identity_pool_id: str | None = None,
              bucket: str | None = None, role_names: tuple[str, ...] = ()) -> dict:
    """`role_names`: roles to list besides those the identity pool names (an endpoint without
    GetIdentityPoolRoles still shows the role this way)."""
    idp = session.client("cognito-idp", endpoint_url=endpoint_url)
    pool = _clean(idp.describe_user_pool(UserPoolId=user_pool_id)["UserPool"])
    listing = {"pool": pool, "mfa": _try(idp.get_user_pool_mfa_config, UserPoolId=user_pool_id)}
    clients = _pages(idp.list_user_pool_clients, "UserPoolClients", UserPoolId=user_pool_id, MaxResults=60)
    listing["clients"] = {c["ClientId"]: _try(idp.describe_user_pool_client, UserPoolId=user_pool_id,
                                              ClientId=c["ClientId"]) for c in clients}
    domain = pool.get("Domain") or pool.get("CustomDomain")
    listing["domain"] = _try(idp.describe_user_pool_domain, Domain=domain) if domain else None
    users = {}
    for user in _pages(idp.list_users, "Users", UserPoolId=user_pool_id):
        users[user["Username"]] = {"listed": _clean(user),
                                   "admin_get_user": _try(idp.admin_get_user, UserPoolId=user_pool_id,
                                                          Username=user["Username"])}
    listing["users"] = users
    if identity_pool_id:
        identity = session.client("cognito-identity", endpoint_url=endpoint_url)
        listing["identity_pool"] = _try(identity.describe_identity_pool, IdentityPoolId=identity_pool_id)
        roles = _try(identity.get_identity_pool_roles, IdentityPoolId=identity_pool_id)
        listing["identity_pool_roles"] = roles
        iam = session.client("iam", endpoint_url=endpoint_url)
        listing["roles"] = {}
        named = [arn.split("/")[-1] for arn in (roles.get("Roles", {}).values() if isinstance(roles, dict) else [])]
        for name in sorted(set(named) | set(role_names)):
            policies = _try(iam.list_role_policies, RoleName=name)
            listing["roles"][name] = {
                "role": _try(iam.get_role, RoleName=name),
                "inline": {p: _try(iam.get_role_policy, RoleName=name, PolicyName=p)
                           for p in (policies.get("PolicyNames", []) if isinstance(policies, dict) else [])},
                "attached": _try(iam.list_attached_role_policies, RoleName=name)}
    if bucket:
        s3 = session.client("s3", endpoint_url=endpoint_url)
        objects = _try(s3.list_objects_v2, Bucket=bucket)
        listing["bucket"] = sorted(o["Key"] for o in objects.get("Contents", [])) if isinstance(objects, dict) else objects
    return listing


def dumps(listing: dict) -> str:
    return json.dumps(listing, indent=1, sort_keys=True, default=str)
