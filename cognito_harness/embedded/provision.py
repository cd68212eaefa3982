"""The narrative's starting world, built over HTTP with the admin key pair — the same
API calls an operator makes against AWS (see docs/narrative.md, "Starting point")."""

from __future__ import annotations

import json

from ..aws_clients import admin_session
from ..config import Config
from .server import ServerInfo

PROVIDER = "cognito-idp.{region}.amazonaws.com/{pool}"


def pool_definition(config: Config) -> dict:
    pp = config.pool.password_policy
    devices = {"DeviceConfiguration": config.pool.device_tracking.as_api()} if config.pool.device_tracking else {}
    return {
        **devices,
        "PoolName": config.pool.name,
        "UsernameAttributes": list(config.pool.username_attributes),
        "AutoVerifiedAttributes": ["email"],
        "MfaConfiguration": "OFF",
        "Policies": {"PasswordPolicy": {
            "MinimumLength": pp.minimum_length,
            "RequireUppercase": pp.require_uppercase,
            "RequireLowercase": pp.require_lowercase,
            "RequireNumbers": pp.require_numbers,
            "RequireSymbols": pp.require_symbols,
        }},
        "Schema": [{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
    }


VERIFY_PAGE = "/verify/hosted-ui-verify.html"


def client_definition(config: Config, pool_id: str, served_at: str | None = None) -> dict:
    """The app client; with `served_at`, the embedded server's own copy of the narrative's
    hosted-ui-verify page is registered as a callback and logout URL too."""
    c = config.app_client
    own = [served_at + VERIFY_PAGE] if served_at else []
    return {
        "UserPoolId": pool_id,
        "ClientName": c.name,
        "GenerateSecret": False,
        "ExplicitAuthFlows": list(c.explicit_auth_flows),
        "AuthSessionValidity": c.auth_session_validity_minutes,
        "AccessTokenValidity": c.access_token_validity_minutes,
        "IdTokenValidity": c.id_token_validity_minutes,
        "RefreshTokenValidity": c.refresh_token_validity_days,
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
        "PreventUserExistenceErrors": "ENABLED" if c.prevent_user_existence_errors else "LEGACY",
        "CallbackURLs": list(c.callback_urls) + own,
        "LogoutURLs": list(c.logout_urls) + own,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": list(c.oauth_scopes),
        "AllowedOAuthFlowsUserPoolClient": True,
        "SupportedIdentityProviders": ["COGNITO"],
        **rotation_definition(c.refresh_token_rotation_grace_seconds),
    }


def rotation_definition(grace_seconds: int | None) -> dict:
    """The client's RefreshTokenRotation: ENABLED with a grace period, or DISABLED."""
    if grace_seconds is None:
        return {"RefreshTokenRotation": {"Feature": "DISABLED"}}
    return {"RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": grace_seconds}}


def provision_world(config: Config, info: ServerInfo, fidelity: bool = True) -> ServerInfo:
    session = admin_session(info.region, info.admin_access_key_id, info.admin_secret_access_key)
    idp = session.client("cognito-idp", endpoint_url=info.endpoint_url)
    pool_id = idp.create_user_pool(**pool_definition(config))["UserPool"]["Id"]
    idp.create_user_pool_domain(UserPoolId=pool_id, Domain=config.pool.name.lower().replace("_", "-"))
    client_id = idp.create_user_pool_client(**client_definition(config, pool_id, info.endpoint_url))["UserPoolClient"]["ClientId"]
    for persona in config.existing_personas:
        idp.admin_create_user(
            UserPoolId=pool_id, Username=persona.email, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": persona.email},
                            {"Name": "email_verified", "Value": "true"}],
        )
        idp.admin_set_user_password(UserPoolId=pool_id, Username=persona.email,
                                    Password=persona.password_for("embedded"), Permanent=True)

    iam = session.client("iam", endpoint_url=info.endpoint_url)
    identity = session.client("cognito-identity", endpoint_url=info.endpoint_url)
    identity_pool_id = identity.create_identity_pool(
        IdentityPoolName=config.identity_pool.name, AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[{"ProviderName": PROVIDER.format(region=info.region, pool=pool_id),
                                   "ClientId": client_id, "ServerSideTokenCheck": False}],
    )["IdentityPoolId"]
    role_name = f"{config.identity_pool.name}-authenticated-{identity_pool_id[-8:]}"  # one per world
    role_arn = iam.create_role(
        RoleName=role_name,
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool_id},
                          "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}},
        }]}),
    )["Role"]["Arn"]
    iam.put_role_policy(RoleName=role_name, PolicyName="list-buckets-only",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                            "Effect": "Allow", "Action": list(config.identity_pool.authenticated_role_actions),
                            "Resource": "*"}]}))
    if fidelity:  # plain moto does not implement SetIdentityPoolRoles
        identity.set_identity_pool_roles(IdentityPoolId=identity_pool_id, Roles={"authenticated": role_arn})
    session.client("s3", endpoint_url=info.endpoint_url).create_bucket(Bucket=config.identity_pool.bucket)

    info.user_pool_id, info.client_id, info.identity_pool_id = pool_id, client_id, identity_pool_id
    info.bucket, info.authenticated_role_arn = config.identity_pool.bucket, role_arn
    info.callback_url = info.endpoint_url + VERIFY_PAGE
    return info
