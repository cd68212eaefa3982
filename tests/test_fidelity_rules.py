"""One test per Cognito rule the embedded target enforces, run on two backends.

Each test body asserts what real Amazon Cognito does (../shared/reference/cognito-vs-moto.md,
docs/fidelity.md) and runs twice through the module-scoped `world` fixture:

- ``faithful``: the embedded target (moto 5.2.5 + cognito_harness.embedded), over HTTP;
  admin calls signed with the harness's IAM key, app calls unsigned, time on the harness clock;
- ``plain-moto``: a plain ``ThreadedMotoServer`` with the fidelity layer uninstalled, time on
  the wall clock (moto cannot be moved in time, so a clock advance is a no-op there).

Every test carries ``plain_moto_fails(reason)``: its plain-moto variant is
``xfail(strict=True)`` (tests/conftest.py), so the suite stays green while *proving* that
plain moto breaks the rule; if plain moto ever gets it right, the strict xfail turns red.
A test marked ``plain_moto_agrees`` documents a rule plain moto already keeps.

moto state is process-global: the faithful world lives in the session's embedded server
(shared with features/), and the plain-moto variant saves moto's Cognito state, uninstalls
the layer, runs a plain server, then re-installs the layer and puts that state back.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

import boto3
import pyotp
import pytest
from botocore import UNSIGNED
from botocore.config import Config as BotoConfig
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from moto import settings as moto_settings
from moto.cognitoidp import models as idp_models
from moto.core.authorization import ActionAuthenticatorMixin
from moto.server import ThreadedMotoServer

from cognito_harness.clock import CLOCK
from cognito_harness.embedded import install, rules
from cognito_harness.embedded.provision import PROVIDER, client_definition, pool_definition
from cognito_harness.flows import Outcome, call, claims

STEP = 30
NO_RETRIES = BotoConfig(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)
MFA_FIELDS = ("MFAOptions", "UserMFASettingList", "PreferredMfaSetting")


# --- clocks and codes -------------------------------------------------------------------

class HarnessClock:
    """The embedded target's clock (cognito_harness.clock.CLOCK), moved instead of sleeping."""

    def now(self) -> float:
        return CLOCK.now()

    def advance(self, seconds: float) -> None:
        CLOCK.advance(seconds)


class WallClock:
    """Plain moto reads time.time() and cannot be moved: advance() is a no-op, so a test
    that needs time to pass shows that plain moto ignores it."""

    def now(self) -> float:
        return time.time()

    def advance(self, seconds: float) -> None:
        pass


class _AnyTOTP(pyotp.TOTP):
    # plain moto's fixed secret "asdfasdfasdf" (60 bits) is below pyotp's 112-bit minimum;
    # computing its codes anyway lets plain moto fail on the rule under test, not on pyotp
    min_secret_length_bits = 0


def code_at(secret: str, when: float) -> str:
    return _AnyTOTP(secret, interval=STEP).at(when)


def wrong_code(secret: str, when: float) -> str:
    """Six digits that are none of the codes of the five windows around `when`."""
    near = {code_at(secret, when + k * STEP) for k in range(-2, 3)}
    return next(c for c in (f"{d}" * 6 for d in range(10)) if c not in near)


# --- the world: the narrative's starting point, built with the same calls on both ------

@dataclass
class World:
    kind: str
    endpoint: str
    region: str
    admin_session: boto3.Session
    clock: object
    password: str
    existing: dict[str, str] = field(default_factory=dict)  # persona -> email
    pool_id: str = ""  # the narrative's pool after Step 1: MFA OPTIONAL, authenticator apps only
    client_id: str = ""  # the narrative's app client (USER_PASSWORD_AUTH + refresh only)
    admin_client_id: str = ""  # + ALLOW_ADMIN_USER_PASSWORD_AUTH
    short_client_id: str = ""  # 5-minute access and ID tokens
    off_pool_id: str = ""  # a fresh pool: MFA OFF, software token MFA not enabled
    off_client_id: str = ""
    on_pool_id: str = ""  # MFA required (ON), authenticator apps only
    on_client_id: str = ""
    identity_pool_id: str = ""
    bucket: str = ""
    role_name: str = ""
    _clients: dict = field(default_factory=dict, repr=False)

    # clients
    def admin(self, service: str = "cognito-idp"):
        if service not in self._clients:
            self._clients[service] = self.admin_session.client(service, endpoint_url=self.endpoint, config=NO_RETRIES)
        return self._clients[service]

    def app(self, service: str = "cognito-idp"):
        """As an app calls Cognito: unsigned; the server, not botocore, judges the parameters."""
        key = f"app-{service}"
        if key not in self._clients:
            self._clients[key] = boto3.client(service, region_name=self.region, endpoint_url=self.endpoint,
                                              config=NO_RETRIES.merge(BotoConfig(signature_version=UNSIGNED,
                                                                                 parameter_validation=False)))
        return self._clients[key]

    def s3_with(self, credentials: dict):
        return boto3.client("s3", region_name=self.region, endpoint_url=self.endpoint, config=NO_RETRIES,
                            aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretKey"],
                            aws_session_token=credentials["SessionToken"])

    @property
    def provider(self) -> str:
        return PROVIDER.format(region=self.region, pool=self.pool_id)

    # users
    def new_user(self, pool_id: str | None = None) -> str:
        email = f"fidelity-{uuid.uuid4().hex[:10]}@example.com"
        self.create_user(pool_id or self.pool_id, email)
        return email

    def create_user(self, pool_id: str, email: str) -> None:
        admin = self.admin()
        admin.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS",
                                UserAttributes=[{"Name": "email", "Value": email},
                                                {"Name": "email_verified", "Value": "true"}])
        admin.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=self.password, Permanent=True)

    # the app's calls
    def sign_in(self, email: str, client_id: str | None = None, password: str | None = None) -> Outcome:
        return call(self.app().initiate_auth, ClientId=client_id or self.client_id, AuthFlow="USER_PASSWORD_AUTH",
                    AuthParameters={"USERNAME": email, "PASSWORD": password or self.password})

    def tokens(self, email: str, client_id: str | None = None) -> dict:
        out = self.sign_in(email, client_id)
        assert out.tokens, f"{email} could not sign in: {out}"
        return out.tokens

    def associate(self, access_token: str) -> Outcome:
        return call(self.app().associate_software_token, AccessToken=access_token)

    def verify(self, access_token: str, code: str) -> Outcome:
        return call(self.app().verify_software_token, AccessToken=access_token, UserCode=code,
                    FriendlyDeviceName="fidelity")

    def prefer(self, email: str, enabled: bool = True, preferred: bool = True, pool_id: str | None = None) -> Outcome:
        return call(self.admin().admin_set_user_mfa_preference, UserPoolId=pool_id or self.pool_id, Username=email,
                    SoftwareTokenMfaSettings={"Enabled": enabled, "PreferredMfa": preferred})

    def answer(self, challenge: Outcome, email: str, code: str, client_id: str | None = None,
               challenge_name: str = "SOFTWARE_TOKEN_MFA", responses: dict | None = None) -> Outcome:
        return call(self.app().respond_to_auth_challenge, ClientId=client_id or self.client_id,
                    ChallengeName=challenge_name, Session=challenge.response.get("Session", ""),
                    ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code, **(responses or {})})

    # time
    def next_window(self) -> None:
        """Move to the start of the next 30-second window (a fresh TOTP code)."""
        now = self.clock.now()
        self.clock.advance(STEP - now % STEP + 0.5)

    def settle(self) -> None:
        """Stay clear of a window boundary while a request is in flight."""
        if self.clock.now() % STEP > STEP - 3:
            self.next_window()

    # the narrative's Step 2
    def enrol(self, email: str, enabled: bool = True, preferred: bool = True) -> str:
        """Sign in, associate, verify, set the preference; returns the secret. The verify code's
        window counts as used, so the clock moves on to a fresh window."""
        access = self.tokens(email)["AccessToken"]
        secret = self.associate(access)
        assert secret.ok, f"associate failed: {secret}"
        secret_code = secret.response["SecretCode"]
        self.settle()
        verified = self.verify(access, code_at(secret_code, self.clock.now()))
        assert verified.ok, f"verify failed: {verified}"
        preference = self.prefer(email, enabled, preferred)
        assert preference.ok, f"preference failed: {preference}"
        self.next_window()
        return secret_code

    def mfa_tokens(self, email: str, secret: str) -> dict:
        """A full MFA sign-in with a fresh code; the clock then moves to a fresh window."""
        out = self.answer(self.challenge(email), email, code_at(secret, self.clock.now()))
        assert out.tokens, f"MFA sign-in failed for {email}: {out}"
        self.next_window()
        return out.tokens

    def challenge(self, email: str, client_id: str | None = None) -> Outcome:
        out = self.sign_in(email, client_id)
        assert out.challenge == "SOFTWARE_TOKEN_MFA", f"expected the MFA challenge for {email}: {out}"
        return out


def build_world(kind: str, endpoint: str, region: str, admin_session: boto3.Session, clock, config) -> World:
    """The narrative's starting world (pool with email usernames, the app client, the existing
    users, an identity pool) plus the extra pools and clients the rules need."""
    world = World(kind=kind, endpoint=endpoint, region=region, admin_session=admin_session, clock=clock,
                  password=config.mfa_persona.password_for("embedded"))
    admin = world.admin()
    tag = uuid.uuid4().hex[:8]

    def new_pool(name: str, mfa: str | None) -> str:
        pool_id = admin.create_user_pool(**{**pool_definition(config), "PoolName": f"fidelity-{name}-{tag}"})["UserPool"]["Id"]
        if mfa:
            admin.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration=mfa,
                                           SoftwareTokenMfaConfiguration={"Enabled": True})
        return pool_id

    def new_client(pool_id: str, **changes) -> str:
        definition = {**client_definition(config, pool_id), **changes}
        return admin.create_user_pool_client(**definition)["UserPoolClient"]["ClientId"]

    world.pool_id = new_pool("optional", "OPTIONAL")
    flows = list(config.app_client.explicit_auth_flows)
    world.client_id = new_client(world.pool_id)
    world.admin_client_id = new_client(world.pool_id, ClientName="fidelity-admin",
                                       ExplicitAuthFlows=flows + ["ALLOW_ADMIN_USER_PASSWORD_AUTH"])
    world.short_client_id = new_client(world.pool_id, ClientName="fidelity-short", AccessTokenValidity=5,
                                       IdTokenValidity=5)
    world.off_pool_id = new_pool("off", None)
    world.off_client_id = new_client(world.off_pool_id)
    world.on_pool_id = new_pool("on", "ON")
    world.on_client_id = new_client(world.on_pool_id)
    for persona in config.existing_personas:
        world.create_user(world.pool_id, persona.email)
        world.existing[persona.key] = persona.email

    world.bucket = f"fidelity-{tag}"
    admin_s3 = world.admin("s3")
    admin_s3.create_bucket(Bucket=world.bucket)
    world.identity_pool_id = world.admin("cognito-identity").create_identity_pool(
        IdentityPoolName=f"fidelity_{tag}", AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[{"ProviderName": world.provider, "ClientId": world.client_id,
                                   "ServerSideTokenCheck": False}],
    )["IdentityPoolId"]
    world.role_name = f"fidelity-{tag}-authenticated"
    iam = world.admin("iam")
    role_arn = iam.create_role(RoleName=world.role_name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=world.role_name, PolicyName="list-buckets-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": list(config.identity_pool.authenticated_role_actions), "Resource": "*"}]}))
    roles = call(world.admin("cognito-identity").set_identity_pool_roles, IdentityPoolId=world.identity_pool_id,
                 Roles={"authenticated": role_arn})
    assert roles.ok or kind == "plain-moto", roles  # plain moto 5.2.5 does not implement SetIdentityPoolRoles
    return world


def tear_down(world: World) -> None:
    """Removes what build_world made in moto's shared (non-Cognito-IDP) backends too."""
    s3 = world.admin("s3")
    for obj in s3.list_objects_v2(Bucket=world.bucket).get("Contents", []):
        s3.delete_object(Bucket=world.bucket, Key=obj["Key"])
    s3.delete_bucket(Bucket=world.bucket)
    world.admin("cognito-identity").delete_identity_pool(IdentityPoolId=world.identity_pool_id)
    iam = world.admin("iam")
    iam.delete_role_policy(RoleName=world.role_name, PolicyName="list-buckets-only")
    iam.delete_role(RoleName=world.role_name)
    for pool_id in (world.pool_id, world.off_pool_id, world.on_pool_id):
        world.admin().delete_user_pool(UserPoolId=pool_id)


@contextmanager
def plain_moto_server():
    """A plain moto server in this process, leaving the process as it was found: the fidelity
    layer re-installed (if it was), moto's Cognito IDP state (e.g. the session's embedded pool)
    and the IAM-enforcement setting put back. No /moto-api/reset: it would wipe the shared
    IAM, S3 and identity-pool state of the session's embedded server as well."""
    was_installed = install.installed()
    saved_backends = dict(idp_models.cognitoidp_backends)
    saved_no_auth = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
    saved_request_count = ActionAuthenticatorMixin.request_count
    install.uninstall()
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")  # moto's default: no IAM enforcement
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        if was_installed:
            install.install()  # choices=None: rules.CHOICES stay as they were
        idp_models.cognitoidp_backends.clear()
        dict.update(idp_models.cognitoidp_backends, saved_backends)
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = saved_no_auth
        ActionAuthenticatorMixin.request_count = saved_request_count


@pytest.fixture(scope="module", params=["faithful", "plain-moto"])
def world(request, harness_config):
    region = harness_config.embedded.region
    if request.param == "faithful":
        info = request.getfixturevalue("embedded")
        session = boto3.Session(aws_access_key_id=info.admin_access_key_id,
                                aws_secret_access_key=info.admin_secret_access_key, region_name=info.region)
        the_world = build_world("faithful", info.endpoint_url, info.region, session, HarnessClock(), harness_config)
        yield the_world
        tear_down(the_world)
    else:
        with plain_moto_server() as endpoint:
            session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
            the_world = build_world("plain-moto", endpoint, region, session, WallClock(), harness_config)
            yield the_world
            tear_down(the_world)


@pytest.fixture
def moto_checks_codes(monkeypatch):
    """Plain moto accepts *any* TOTP code unless MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true.
    Set for tests where that accept-anything default would pass them by accident; with it,
    plain moto checks codes against its fixed secret with no ±1 window. (The faithful target
    does not read it.)"""
    monkeypatch.setenv("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")


def refused(outcome: Outcome, code: str, message: str | None = None) -> None:
    assert outcome.error_code == code, f"expected {code}, got {outcome}"
    if message is not None:
        assert outcome.error_message == message, f"expected {code} {message!r}, got {outcome}"


# =========================================================================================
# AssociateSoftwareToken / VerifySoftwareToken (reference rows 1-6)
# =========================================================================================

@pytest.mark.plain_moto_fails('every secret is the fixed 12-character "asdfasdfasdf"')
def test_secret_is_a_random_52_character_base32_string(world):
    access = world.tokens(world.new_user())["AccessToken"]
    secret = world.associate(access).response["SecretCode"]
    assert re.fullmatch(r"[A-Z2-7]{52}", secret), f"not 52 base32 characters: {len(secret)} characters"


@pytest.mark.plain_moto_fails("every user gets the same secret")
def test_different_users_get_different_secrets(world):
    first = world.associate(world.tokens(world.new_user())["AccessToken"]).response["SecretCode"]
    second = world.associate(world.tokens(world.new_user())["AccessToken"]).response["SecretCode"]
    assert first != second


@pytest.mark.plain_moto_fails("re-associating hands out the same secret again")
def test_reassociating_replaces_the_pending_secret(world):
    access = world.tokens(world.new_user())["AccessToken"]
    old = world.associate(access).response["SecretCode"]
    new = world.associate(access).response["SecretCode"]
    assert new != old, "re-associating must hand out a new secret"
    world.settle()
    now = world.clock.now()
    refused(world.verify(access, code_at(old, now)), "EnableSoftwareTokenMFAException", rules.MSG_VERIFY_MISMATCH)
    assert world.verify(access, code_at(new, now)).response.get("Status") == "SUCCESS"


