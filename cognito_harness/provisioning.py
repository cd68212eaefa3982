"""`cognito-harness provision --target aws`: the test world the specs expect, created through
the public AWS APIs — idempotently (what exists is found by name and reused) — on AWS or any
Cognito-compatible endpoint (`targets.aws.endpoint_url`). `--delete` removes what it created.

The world: the user pool (scenarios.yaml `pool`, MFA OFF), the app client (`app_client`), a
managed-login domain, the identity pool trusting that client, its authenticated role allowed
only `identity_pool.authenticated_role_actions` (s3:ListAllMyBuckets), the bucket, and the
existing personas with the passwords of their `password_env` variables.

Everything created carries the tag ``created-by: cognito-harness``; `--delete` removes only
tagged resources (a pool, identity pool, role or bucket someone else made is never deleted).
A part the endpoint does not implement is reported and declared in the printed block
(``managed_login: false``, ``identity_pool: false``), so the scenarios that need it skip.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Callable

import yaml
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError, EndpointConnectionError

from .config import Config
from .embedded.provision import PROVIDER, client_definition, pool_definition
from .errors import HarnessError

TAG_KEY, TAG_VALUE = "created-by", "cognito-harness"
NOT_IMPLEMENTED = {"NotImplemented", "NotImplementedException", "InternalFailure", "UnknownOperationException",
                   "InvalidAction", "UnsupportedOperation", "Unsupported", "404", "500", "501"}
ONE_TRY = BotoConfig(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30)


@dataclass
class World:
    region: str
    endpoint_url: str | None
    user_pool_id: str = ""
    client_id: str = ""
    domain: str | None = None
    identity_pool_id: str | None = None
    role_arn: str | None = None
    bucket: str | None = None
    callback_url: str = ""
    notes: list[str] = field(default_factory=list)

    def target_block(self) -> dict:
        block = {"region": self.region, "user_pool_id": self.user_pool_id, "client_id": self.client_id}
        if self.identity_pool_id:
            block["identity_pool_id"] = self.identity_pool_id
        else:
            block["identity_pool"] = False
        if self.domain:
            block["domain"] = self.domain
        else:
            block["managed_login"] = False
        block["callback_url"] = self.callback_url
        if self.endpoint_url:
            block["endpoint_url"] = self.endpoint_url
        block["allow_mutation"] = False
        return block

    def yaml(self) -> str:
        return yaml.safe_dump({"targets": {"aws": self.target_block()}}, sort_keys=False)


def _code(err: ClientError) -> str:
    return err.response.get("Error", {}).get("Code", "") or str(err.response.get("ResponseMetadata", {})
                                                                 .get("HTTPStatusCode", ""))


def _unsupported(err: Exception) -> bool:
    if isinstance(err, ClientError):
        code = _code(err)
        status = str(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        return code in NOT_IMPLEMENTED or status in ("404", "501") and code not in (
            "ResourceNotFoundException", "NoSuchEntity", "NoSuchBucket", "404")
    return isinstance(err, NotImplementedError)


def _tags(value: dict | None) -> bool:
    return (value or {}).get(TAG_KEY) == TAG_VALUE


class Provisioner:
    def __init__(self, config: Config, session, endpoint_url: str | None, region: str,
                 log: Callable[[str], None] = print):
        self.config, self.session, self.endpoint_url, self.region, self.log = config, session, endpoint_url, region, log
        self.idp = self._client("cognito-idp")

    def _client(self, service: str):
        return self.session.client(service, endpoint_url=self.endpoint_url, region_name=self.region, config=ONE_TRY)

    # --- finding what exists ----------------------------------------------------------------

    def find_pool(self) -> dict | None:
        token = None
        while True:
            page = self.idp.list_user_pools(MaxResults=60, **({"NextToken": token} if token else {}))
            for pool in page.get("UserPools", []):
                if pool["Name"] == self.config.pool.name:
                    return self.idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
            token = page.get("NextToken")
            if not token:
                return None

    def _find_identity_pool(self, identity) -> dict | None:
        token = None
        while True:
            page = identity.list_identity_pools(MaxResults=60, **({"NextToken": token} if token else {}))
            for pool in page.get("IdentityPools", []):
                if pool["IdentityPoolName"] == self.config.identity_pool.name:
                    return identity.describe_identity_pool(IdentityPoolId=pool["IdentityPoolId"])
            token = page.get("NextToken")
            if not token:
                return None

    @property
    def role_name(self) -> str:
        return f"{self.config.identity_pool.name}-authenticated"

    # --- creating ---------------------------------------------------------------------------

    def provision(self, domain_prefix: str | None = None) -> World:
        world = World(region=self.region, endpoint_url=self.endpoint_url,
                      callback_url=self.config.app_client.callback_urls[0])
        try:
            self._pool_and_client(world)
        except EndpointConnectionError as err:
            raise HarnessError(f"cannot reach the endpoint: {err}") from None
        self._domain(world, domain_prefix)
        self._identity(world)
        if world.identity_pool_id:
            self._bucket(world)
        else:
            self.log("bucket: not needed without an identity pool")
        self._personas(world)
        return world

    def _pool_and_client(self, world: World) -> None:
        pool = self.find_pool()
        if pool is None:
            definition = {**pool_definition(self.config), "UserPoolTags": {TAG_KEY: TAG_VALUE}}
            pool = self.idp.create_user_pool(**definition)["UserPool"]
            self.log(f"created the user pool {pool['Id']} ({self.config.pool.name})")
        else:
            self.log(f"found the user pool {pool['Id']} ({self.config.pool.name})")
        world.user_pool_id = pool["Id"]
        clients = self.idp.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60).get("UserPoolClients", [])
        found = next((c for c in clients if c["ClientName"] == self.config.app_client.name), None)
        if found is None:
            created = self.idp.create_user_pool_client(**client_definition(self.config, pool["Id"]))
            world.client_id = created["UserPoolClient"]["ClientId"]
            self.log(f"created the app client {world.client_id} ({self.config.app_client.name})")
        else:
            world.client_id = found["ClientId"]
            self.log(f"found the app client {world.client_id}")

    def _domain(self, world: World, prefix: str | None) -> None:
        pool = self.idp.describe_user_pool(UserPoolId=world.user_pool_id)["UserPool"]
        domain = pool.get("Domain")
        if not domain:
            domain = prefix or f"harness-{world.user_pool_id.split('_', 1)[-1].lower()}"
            try:
                self.idp.create_user_pool_domain(UserPoolId=world.user_pool_id, Domain=domain)
                self.log(f"created the managed-login domain {domain}")
            except ClientError as err:
                if not _unsupported(err):
                    raise
                world.notes.append(f"managed login: the endpoint does not implement domains ({_code(err)})")
                self.log(world.notes[-1])
                return
        else:
            self.log(f"found the managed-login domain {domain}")
        world.domain = (self.endpoint_url.rstrip("/") if self.endpoint_url
                        else f"https://{domain}.auth.{self.region}.amazoncognito.com")

    def _identity(self, world: World) -> None:
        identity = self._client("cognito-identity")
        try:
            found = self._find_identity_pool(identity)
        except (ClientError, NotImplementedError) as err:
            if not _unsupported(err):
                raise
            world.notes.append(f"identity pool: the endpoint does not implement Cognito Identity ({err})")
            self.log(world.notes[-1])
            return
        provider = PROVIDER.format(region=self.region, pool=world.user_pool_id)
        if found is None:
            found = identity.create_identity_pool(
                IdentityPoolName=self.config.identity_pool.name, AllowUnauthenticatedIdentities=False,
                CognitoIdentityProviders=[{"ProviderName": provider, "ClientId": world.client_id,
                                           "ServerSideTokenCheck": False}],
                IdentityPoolTags={TAG_KEY: TAG_VALUE})
            self.log(f"created the identity pool {found['IdentityPoolId']}")
        else:
            self.log(f"found the identity pool {found['IdentityPoolId']}")
        world.identity_pool_id = found["IdentityPoolId"]
        iam = self._client("iam")
        try:
            world.role_arn = iam.get_role(RoleName=self.role_name)["Role"]["Arn"]
            self.log(f"found the role {self.role_name}")
        except ClientError as err:
            if _code(err) != "NoSuchEntity":
                raise
            world.role_arn = iam.create_role(
                RoleName=self.role_name, Tags=[{"Key": TAG_KEY, "Value": TAG_VALUE}],
                AssumeRolePolicyDocument=json.dumps(trust_policy(world.identity_pool_id)))["Role"]["Arn"]
            self.log(f"created the role {self.role_name}")
        iam.put_role_policy(RoleName=self.role_name, PolicyName="list-buckets-only",
                            PolicyDocument=json.dumps(role_policy(self.config)))
        try:
            identity.set_identity_pool_roles(IdentityPoolId=world.identity_pool_id,
                                             Roles={"authenticated": world.role_arn})
        except (ClientError, NotImplementedError) as err:
            if not _unsupported(err):
                raise
            world.notes.append("identity pool: the endpoint does not implement SetIdentityPoolRoles: "
                               "the role is not attached")
            self.log(world.notes[-1])

    def _bucket(self, world: World) -> None:
        s3, bucket = self._client("s3"), self.config.identity_pool.bucket
        try:
            s3.head_bucket(Bucket=bucket)
            self.log(f"found the bucket {bucket}")
        except ClientError as err:
            if _code(err) not in ("404", "NoSuchBucket", "NotFound"):
                raise HarnessError(f"the bucket {bucket}: {_code(err)} (a bucket of that name exists "
                                   "and is not yours? set identity_pool.bucket)") from None
            args = {} if self.region == "us-east-1" else {
                "CreateBucketConfiguration": {"LocationConstraint": self.region}}
            s3.create_bucket(Bucket=bucket, **args)
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": TAG_KEY, "Value": TAG_VALUE}]})
            self.log(f"created the bucket {bucket}")
        world.bucket = bucket

    def _personas(self, world: World) -> None:
        for persona in self.config.existing_personas:
            password = os.environ.get(persona.password_env or "")
            try:
                self.idp.admin_get_user(UserPoolId=world.user_pool_id, Username=persona.email)
                self.log(f"found the persona {persona.key} ({persona.email})")
                continue
            except ClientError as err:
                if _code(err) != "UserNotFoundException":
                    raise
            if not password:
                world.notes.append(f"persona {persona.key}: not created, {persona.password_env} is not set")
                self.log(world.notes[-1])
                continue
            self.idp.admin_create_user(UserPoolId=world.user_pool_id, Username=persona.email, MessageAction="SUPPRESS",
                                       UserAttributes=[{"Name": "email", "Value": persona.email},
                                                       {"Name": "email_verified", "Value": "true"}])
            self.idp.admin_set_user_password(UserPoolId=world.user_pool_id, Username=persona.email,
                                             Password=password, Permanent=True)
            self.log(f"created the persona {persona.key} ({persona.email}) with the password of {persona.password_env}")

    # --- deleting -------------------------------------------------------------------------

    def delete(self) -> None:
        pool = self.find_pool()
        if pool is None:
            self.log(f"no user pool named {self.config.pool.name}")
        elif not _tags(pool.get("UserPoolTags")):
            self.log(f"left the user pool {pool['Id']} alone: not created by cognito-harness (no {TAG_KEY} tag)")
        else:
            if pool.get("Domain"):
                self.idp.delete_user_pool_domain(UserPoolId=pool["Id"], Domain=pool["Domain"])
                self.log(f"deleted the domain {pool['Domain']}")
            self.idp.delete_user_pool(UserPoolId=pool["Id"])
            self.log(f"deleted the user pool {pool['Id']} (with its clients and users)")
        identity = self._client("cognito-identity")
        try:
            found = self._find_identity_pool(identity)
        except (ClientError, NotImplementedError) as err:
            if not _unsupported(err):
                raise
            found = None
        if found is not None:
            if _tags(found.get("IdentityPoolTags")):
                identity.delete_identity_pool(IdentityPoolId=found["IdentityPoolId"])
                self.log(f"deleted the identity pool {found['IdentityPoolId']}")
            else:
                self.log(f"left the identity pool {found['IdentityPoolId']} alone: not created by cognito-harness")
        self._delete_role()
        self._delete_bucket()

    def _delete_role(self) -> None:
        iam = self._client("iam")
        try:
            role = iam.get_role(RoleName=self.role_name)["Role"]
        except (ClientError, NotImplementedError):
            return
        if {t["Key"]: t["Value"] for t in role.get("Tags", [])}.get(TAG_KEY) != TAG_VALUE:
            self.log(f"left the role {self.role_name} alone: not created by cognito-harness")
            return
        for name in iam.list_role_policies(RoleName=self.role_name).get("PolicyNames", []):
            iam.delete_role_policy(RoleName=self.role_name, PolicyName=name)
        iam.delete_role(RoleName=self.role_name)
        self.log(f"deleted the role {self.role_name}")

    def _delete_bucket(self) -> None:
        s3, bucket = self._client("s3"), self.config.identity_pool.bucket
        try:
            tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket).get("TagSet", [])}
        except ClientError as err:
            if _code(err) != "NoSuchTagSet":
                return  # no such bucket (or not ours to read)
            tags = {}
        except NotImplementedError:
            return
        if tags.get(TAG_KEY) != TAG_VALUE:
            self.log(f"left the bucket {bucket} alone: not created by cognito-harness")
            return
        for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
        s3.delete_bucket(Bucket=bucket)
        self.log(f"deleted the bucket {bucket}")


def trust_policy(identity_pool_id: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool_id},
                      "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}}]}


def role_policy(config: Config) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": list(config.identity_pool.authenticated_role_actions), "Resource": "*"}]}
