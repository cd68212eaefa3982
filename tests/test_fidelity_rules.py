"""One test per Cognito rule the embedded target enforces, run on two backends.

Each test body asserts what real Amazon Cognito does (docs/narrative.md "Sources",
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

import base64
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
    if kind == "faithful":  # plain moto 5.2.5 does not implement SetIdentityPoolRoles (HTTP 500)
        world.admin("cognito-identity").set_identity_pool_roles(IdentityPoolId=world.identity_pool_id,
                                                                Roles={"authenticated": role_arn})
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


@pytest.mark.plain_moto_agrees
def test_reassociating_keeps_the_verified_device_until_the_new_one_is_verified(world):
    email = world.new_user()
    verified = world.enrol(email)
    access = world.mfa_tokens(email, verified)["AccessToken"]
    assert world.associate(access).ok
    challenge = world.challenge(email)
    assert world.answer(challenge, email, code_at(verified, world.clock.now())).tokens


@pytest.mark.plain_moto_fails("any code passes VerifySoftwareToken (Status SUCCESS)")
def test_wrong_code_at_verify_is_refused_with_enable_software_token_mfa_exception(world):
    access = world.tokens(world.new_user())["AccessToken"]
    secret = world.associate(access).response["SecretCode"]
    out = world.verify(access, wrong_code(secret, world.clock.now()))
    refused(out, "EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA")


@pytest.mark.parametrize("garbage", ["abcdef", ""])
@pytest.mark.plain_moto_fails("any string, even '' or letters, passes VerifySoftwareToken")
def test_garbage_code_at_verify_is_refused(world, garbage):
    access = world.tokens(world.new_user())["AccessToken"]
    assert world.associate(access).ok
    out = world.verify(access, garbage)
    assert not out.ok and out.response.get("Status") != "SUCCESS", f"{garbage!r} was accepted: {out}"


@pytest.mark.parametrize("windows", [-1, 1], ids=["one-early", "one-late"])
@pytest.mark.plain_moto_fails("with MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP it checks codes with no ±1 window "
                              "(CodeMismatchException); without it any code passes")
def test_code_one_window_early_or_late_is_accepted(world, moto_checks_codes, windows):
    access = world.tokens(world.new_user())["AccessToken"]
    secret = world.associate(access).response["SecretCode"]
    world.settle()
    out = world.verify(access, code_at(secret, world.clock.now() + windows * STEP))
    assert out.response.get("Status") == "SUCCESS", out


@pytest.mark.parametrize("windows", [-2, 2], ids=["two-early", "two-late"])
@pytest.mark.plain_moto_fails("any code passes VerifySoftwareToken")
def test_code_two_windows_away_is_refused(world, windows):
    access = world.tokens(world.new_user())["AccessToken"]
    secret = world.associate(access).response["SecretCode"]
    world.settle()
    out = world.verify(access, code_at(secret, world.clock.now() + windows * STEP))
    refused(out, "EnableSoftwareTokenMFAException", rules.MSG_VERIFY_MISMATCH)


@pytest.mark.plain_moto_fails("Associate succeeds on a pool whose software token MFA is off")
def test_totp_on_a_pool_without_software_token_mfa_is_refused(world):
    email = world.new_user(world.off_pool_id)
    access = world.tokens(email, world.off_client_id)["AccessToken"]
    refused(world.associate(access), "SoftwareTokenMFANotFoundException",
            "Software Token MFA has not been enabled by the userPool.")


@pytest.mark.plain_moto_fails('same code, other text: "User has not verified software token mfa"')
def test_preference_before_verify_is_refused_without_delivery_config(world):
    out = world.prefer(world.new_user())
    refused(out, "InvalidParameterException", "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA")


# =========================================================================================
# Which challenge a sign-in gets, and its shape (rows 7-10)
# =========================================================================================

@pytest.mark.plain_moto_fails("only PreferredMfa=true is challenged; Enabled=true alone gets tokens")
def test_enabled_but_not_preferred_totp_is_challenged_in_an_optional_pool(world):
    email = world.new_user()
    world.enrol(email, enabled=True, preferred=False)
    out = world.sign_in(email)
    assert out.challenge == "SOFTWARE_TOKEN_MFA" and not out.tokens, out


@pytest.mark.plain_moto_fails("a confirmed user without a factor gets tokens in an ON pool")
def test_required_pool_sends_a_confirmed_unenrolled_user_to_mfa_setup(world):
    email = world.new_user(world.on_pool_id)
    out = world.sign_in(email, world.on_client_id)
    assert out.challenge == "MFA_SETUP" and out.response.get("Session"), out
    can_setup = out.response["ChallengeParameters"]["MFAS_CAN_SETUP"]
    assert isinstance(can_setup, str) and json.loads(can_setup) == ["SOFTWARE_TOKEN_MFA"], can_setup


@pytest.mark.plain_moto_fails("no MFA_SETUP challenge to answer: the user gets tokens at once")
def test_mfa_setup_session_enrols_the_user_and_then_signs_in(world):
    email = world.new_user(world.on_pool_id)
    setup = world.sign_in(email, world.on_client_id)
    assert setup.challenge == "MFA_SETUP", setup
    secret = call(world.app().associate_software_token, Session=setup.response["Session"])
    assert secret.ok and secret.response.get("Session"), secret
    world.settle()
    code = code_at(secret.response["SecretCode"], world.clock.now())
    verified = call(world.app().verify_software_token, Session=secret.response["Session"], UserCode=code)
    assert verified.response.get("Status") == "SUCCESS" and verified.response.get("Session"), verified
    done = call(world.app().respond_to_auth_challenge, ClientId=world.on_client_id, ChallengeName="MFA_SETUP",
                Session=verified.response["Session"], ChallengeResponses={"USERNAME": email})
    assert done.tokens, done


@pytest.mark.plain_moto_fails("ChallengeParameters is {}")
def test_challenge_carries_user_id_for_srp(world):
    email = world.new_user()
    world.enrol(email)
    params = world.challenge(email).response["ChallengeParameters"]
    assert "USER_ID_FOR_SRP" in params, params
    uuid.UUID(params["USER_ID_FOR_SRP"])  # the user's internal name: a UUID in an email-username pool


@pytest.mark.plain_moto_fails("any non-empty code passes RespondToAuthChallenge")
def test_wrong_code_at_sign_in_is_refused_with_code_mismatch(world):
    email = world.new_user()
    secret = world.enrol(email)
    out = world.answer(world.challenge(email), email, wrong_code(secret, world.clock.now()))
    refused(out, "CodeMismatchException", "Invalid code received for user")


@pytest.mark.plain_moto_fails("a code is accepted again and again")
def test_reused_code_is_refused_with_expired_code(world):
    if not rules.CHOICES.reject_reused_code:
        pytest.skip("targets.embedded.undocumented.reject_reused_code is false")
    email = world.new_user()
    secret = world.enrol(email)
    world.settle()
    code = code_at(secret, world.clock.now())
    assert world.answer(world.challenge(email), email, code).tokens
    again = world.answer(world.challenge(email), email, code)
    refused(again, "ExpiredCodeException", "Your software token has already been used once.")


@pytest.mark.plain_moto_fails("the code that verified the device signs in too")
def test_the_verify_code_cannot_sign_in_too(world):
    """UNVERIFIED choice (Choices.verify_code_counts_as_used, default true)."""
    if not rules.CHOICES.verify_code_counts_as_used:
        pytest.skip("targets.embedded.undocumented.verify_code_counts_as_used is false")
    email = world.new_user()
    access = world.tokens(email)["AccessToken"]
    secret = world.associate(access).response["SecretCode"]
    world.settle()
    code = code_at(secret, world.clock.now())
    assert world.verify(access, code).ok and world.prefer(email).ok
    refused(world.answer(world.challenge(email), email, code), "ExpiredCodeException", rules.MSG_CODE_REUSED)


# =========================================================================================
# The challenge session (rows 11-12)
# =========================================================================================

@pytest.mark.plain_moto_fails("a session never expires (it still worked 16 minutes later)")
def test_session_expires_after_auth_session_validity(world):
    email = world.new_user()
    secret = world.enrol(email)
    challenge = world.challenge(email)
    world.clock.advance(3 * 60 + 1)  # the app client's AuthSessionValidity is 3 minutes
    out = world.answer(challenge, email, code_at(secret, world.clock.now()))
    refused(out, "NotAuthorizedException", "Invalid session for the user, session is expired.")


@pytest.mark.plain_moto_fails("a used session is refused, but with ResourceNotFoundException")
def test_session_is_single_use(world):
    email = world.new_user()
    secret = world.enrol(email)
    challenge = world.challenge(email)
    assert world.answer(challenge, email, code_at(secret, world.clock.now())).tokens
    world.next_window()
    again = world.answer(challenge, email, code_at(secret, world.clock.now()))
    assert not again.tokens
    refused(again, "NotAuthorizedException")


@pytest.mark.plain_moto_fails("unlimited wrong codes per session (and, by default, no wrong code at all)")
def test_session_ends_after_too_many_wrong_codes(world):
    """UNVERIFIED choice (Choices.max_wrong_codes_per_session, default 3)."""
    email = world.new_user()
    secret = world.enrol(email)
    challenge = world.challenge(email)
    for _ in range(rules.CHOICES.max_wrong_codes_per_session):
        refused(world.answer(challenge, email, wrong_code(secret, world.clock.now())), "CodeMismatchException")
    out = world.answer(challenge, email, code_at(secret, world.clock.now()))
    assert not out.tokens
    refused(out, "NotAuthorizedException")


@pytest.mark.plain_moto_fails("another user's USERNAME redeems the session and gets that user's tokens")
def test_session_is_bound_to_its_user(world):
    first, second = world.new_user(), world.new_user()
    world.enrol(first)
    second_secret = world.enrol(second)
    challenge = world.challenge(first)
    out = world.answer(challenge, second, code_at(second_secret, world.clock.now()))
    assert not out.tokens, "a session for one user signed in another"
    refused(out, "NotAuthorizedException")


@pytest.mark.plain_moto_fails("another client of the pool redeems the session")
def test_session_is_bound_to_its_client(world):
    email = world.new_user()
    secret = world.enrol(email)
    challenge = world.challenge(email)
    out = world.answer(challenge, email, code_at(secret, world.clock.now()), client_id=world.admin_client_id)
    assert not out.tokens, "a session issued to one client was redeemed by another"
    refused(out, "NotAuthorizedException")


@pytest.mark.parametrize("other_challenge, responses", [
    ("SMS_MFA", {"SMS_MFA_CODE": "123456"}),
    ("NEW_PASSWORD_REQUIRED", {"NEW_PASSWORD": "Bbbb2222new"}),
], ids=["SMS_MFA", "NEW_PASSWORD_REQUIRED"])
@pytest.mark.plain_moto_fails("answering another challenge on the MFA session returns tokens (MFA skipped)")
def test_session_is_bound_to_its_challenge(world, other_challenge, responses):
    email = world.new_user()
    world.enrol(email)
    challenge = world.challenge(email)
    out = world.answer(challenge, email, "", challenge_name=other_challenge, responses=responses)
    assert not out.tokens, f"{other_challenge} on a SOFTWARE_TOKEN_MFA session skipped MFA"
    refused(out, "NotAuthorizedException")
    assert world.sign_in(email).challenge == "SOFTWARE_TOKEN_MFA", "the password must not have changed"


# =========================================================================================
# App client settings (rows 13-15)
# =========================================================================================

@pytest.mark.plain_moto_fails("ExplicitAuthFlows is never enforced: the admin flow works on any client")
def test_admin_flow_not_enabled_for_the_client_is_refused(world):
    email = world.existing["demo"]
    out = call(world.admin().admin_initiate_auth, UserPoolId=world.pool_id, ClientId=world.client_id,
               AuthFlow="ADMIN_USER_PASSWORD_AUTH", AuthParameters={"USERNAME": email, "PASSWORD": world.password})
    refused(out, "InvalidParameterException", "Auth flow not enabled for this client")


@pytest.mark.plain_moto_fails('always UserNotFoundException "User does not exist."')
def test_unknown_user_looks_like_a_wrong_password(world):
    out = world.sign_in(f"nobody-{uuid.uuid4().hex[:8]}@example.com")
    refused(out, "NotAuthorizedException", "Incorrect username or password.")


@pytest.mark.plain_moto_fails("the message is the user name")
def test_wrong_password_on_the_admin_flow_is_incorrect_username_or_password(world):
    email = world.existing["admin"]
    out = call(world.admin().admin_initiate_auth, UserPoolId=world.pool_id, ClientId=world.admin_client_id,
               AuthFlow="ADMIN_USER_PASSWORD_AUTH", AuthParameters={"USERNAME": email, "PASSWORD": "Wrong1234pass"})
    refused(out, "NotAuthorizedException", "Incorrect username or password.")


# =========================================================================================
# Tokens (rows 16-18)
# =========================================================================================

@pytest.mark.plain_moto_fails("no email_verified claim (the string \"true\" only with ReadAttributes) and no event_id")
def test_id_token_carries_email_boolean_email_verified_and_event_id(world):
    email = world.existing["demo"]
    id_claims = claims(world.tokens(email)["IdToken"])
    assert id_claims.get("email") == email, id_claims
    assert id_claims.get("email_verified") is True, "email_verified must be a JSON boolean"
    assert id_claims.get("event_id"), id_claims
    for name in ("sub", "aud", "token_use", "auth_time", "iss", "cognito:username", "exp", "iat", "jti", "origin_jti"):
        assert name in id_claims, f"{name} missing from the ID token"
    assert id_claims["token_use"] == "id" and id_claims["aud"] == world.client_id


@pytest.mark.plain_moto_fails("token lifetimes ignore the client: always 3600 s")
def test_token_lifetimes_follow_the_client(world):
    tokens = world.tokens(world.existing["demo"], world.short_client_id)
    access, id_token = claims(tokens["AccessToken"]), claims(tokens["IdToken"])
    assert access["exp"] - access["iat"] == 300, "AccessTokenValidity 5 minutes"
    assert id_token["exp"] - id_token["iat"] == 300, "IdTokenValidity 5 minutes"
    assert tokens["ExpiresIn"] == 300


def _jwks(world: World, pool_id: str) -> KeySet:
    with urllib.request.urlopen(f"{world.endpoint}/{pool_id}/.well-known/jwks.json", timeout=10) as resp:
        return KeySet.import_key_set(json.loads(resp.read()))


@pytest.mark.plain_moto_fails('one key, kid "dummy", signs the tokens of every pool')
def test_each_pool_signs_with_its_own_key(world):
    token = world.tokens(world.existing["demo"])["IdToken"]
    other = world.tokens(world.new_user(world.off_pool_id), world.off_client_id)["IdToken"]
    kid, other_kid = (json.loads(_b64(t.split(".")[0]))["kid"] for t in (token, other))
    assert kid != other_kid, f"both pools sign with kid {kid!r}"
    keys, other_keys = _jwks(world, world.pool_id), _jwks(world, world.off_pool_id)
    assert jwt.decode(token, keys).claims["iss"].endswith("/" + world.pool_id)
    assert jwt.decode(other, other_keys).claims["iss"].endswith("/" + world.off_pool_id)
    with pytest.raises((JoseError, ValueError)):
        jwt.decode(token, other_keys)


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# =========================================================================================
# Identity pool and AWS credentials (rows 20-22)
# =========================================================================================

def _get_id(world: World, logins: dict | None) -> Outcome:
    args = {"IdentityPoolId": world.identity_pool_id}
    if logins is not None:
        args["Logins"] = logins
    return call(world.app("cognito-identity").get_id, **args)


def _credentials(world: World, email: str) -> dict:
    logins = {world.provider: world.tokens(email)["IdToken"]}
    identity = _get_id(world, logins)
    assert identity.ok, identity
    out = call(world.app("cognito-identity").get_credentials_for_identity,
               IdentityId=identity.response["IdentityId"], Logins=logins)
    assert out.ok, out
    return out.response["Credentials"]


@pytest.mark.plain_moto_fails("GetId ignores Logins: a garbage token gets an identity")
def test_get_id_refuses_a_garbage_login_token(world):
    out = _get_id(world, {world.provider: "not.a.token"})
    refused(out, "NotAuthorizedException")


@pytest.mark.plain_moto_fails("GetId returns a new random IdentityId on every call")
def test_get_id_returns_the_same_identity_for_the_same_user(world):
    email = world.existing["admin"]
    first = _get_id(world, {world.provider: world.tokens(email)["IdToken"]})
    second = _get_id(world, {world.provider: world.tokens(email)["IdToken"]})
    assert first.ok and second.ok, (first, second)
    assert first.response["IdentityId"] == second.response["IdentityId"]


@pytest.mark.plain_moto_fails("GetId without Logins returns an identity on an authenticated-only pool")
def test_get_id_without_logins_is_refused_on_an_authenticated_only_pool(world):
    refused(_get_id(world, None), "NotAuthorizedException",
            "Unauthenticated access is not supported for this identity pool.")


@pytest.mark.plain_moto_fails("constant TESTACCESSKEY12345 for any identity")
def test_identity_credentials_are_not_constant_test_keys(world):
    credentials = _credentials(world, world.existing["admin"])
    assert credentials["AccessKeyId"] != "TESTACCESSKEY12345"
    assert credentials.get("SessionToken")


@pytest.mark.plain_moto_fails("no IAM: the constant keys may write to S3 too")
def test_identity_credentials_list_buckets_but_cannot_write(world):
    s3 = world.s3_with(_credentials(world, world.existing["admin"]))
    listed = call(s3.list_buckets)
    assert listed.ok, listed
    assert world.bucket in [b["Name"] for b in listed.response["Buckets"]]
    refused(call(s3.put_object, Bucket=world.bucket, Key="probe.txt", Body=b"probe"), "AccessDenied")


# =========================================================================================
# Admin views (seed log Step 1 and Check 2)
# =========================================================================================

@pytest.mark.plain_moto_fails("AdminGetUser always adds MFAOptions [], UserMFASettingList [] and "
                              'PreferredMfaSetting ""')
def test_admin_get_user_shows_no_mfa_fields_for_a_user_without_mfa(world):
    user = call(world.admin().admin_get_user, UserPoolId=world.pool_id, Username=world.existing["demo"])
    assert user.ok, user
    present = [name for name in MFA_FIELDS if name in user.response]
    assert not present, f"MFA fields for a user without MFA: {present}"


@pytest.mark.plain_moto_agrees
def test_admin_get_user_shows_totp_for_an_enrolled_user(world):
    email = world.new_user()
    world.enrol(email)
    user = call(world.admin().admin_get_user, UserPoolId=world.pool_id, Username=email).response
    assert user.get("UserMFASettingList") == ["SOFTWARE_TOKEN_MFA"], user
    assert user.get("PreferredMfaSetting") == "SOFTWARE_TOKEN_MFA", user


@pytest.mark.plain_moto_agrees  # its raw JSON carries null SmsMfaConfiguration/SoftwareTokenMfaConfiguration; SDKs drop them
def test_a_fresh_pool_mfa_config_is_only_mfa_configuration_off(world):
    out = call(world.admin().get_user_pool_mfa_config, UserPoolId=world.off_pool_id)
    assert out.response == {"MfaConfiguration": "OFF"}, out.response


# =========================================================================================
# Operating MFA once it is live: rollback, a lost phone, turning it off, sign-out (row 19)
# =========================================================================================

@pytest.mark.plain_moto_fails("an enrolled user of a pool whose MFA is OFF is still challenged")
def test_pool_mfa_off_lets_an_enrolled_user_in_without_a_code_and_optional_challenges_again(world):
    email = world.new_user()
    world.enrol(email)
    admin = world.admin()
    try:
        admin.set_user_pool_mfa_config(UserPoolId=world.pool_id, MfaConfiguration="OFF")
        out = world.sign_in(email)
        assert out.tokens and out.challenge is None, f"MFA OFF: 'MFA won't be used for any users' (API reference): {out}"
    finally:
        admin.set_user_pool_mfa_config(UserPoolId=world.pool_id, MfaConfiguration="OPTIONAL",
                                       SoftwareTokenMfaConfiguration={"Enabled": True})
    assert world.sign_in(email).challenge == "SOFTWARE_TOKEN_MFA", "optional again: the user's factor is still on"


def _mfa_fields(world, email: str) -> list[str]:
    user = call(world.admin().admin_get_user, UserPoolId=world.pool_id, Username=email)
    assert user.ok, user
    return [name for name in MFA_FIELDS if name in user.response]


@pytest.mark.plain_moto_fails("the user record keeps empty MFAOptions, UserMFASettingList and PreferredMfaSetting")
def test_operator_reset_of_totp_lets_the_user_in_without_a_code(world):
    email = world.new_user()
    world.enrol(email)
    assert world.prefer(email, enabled=False, preferred=False).ok
    out = world.sign_in(email)
    assert out.tokens and out.challenge is None, out
    assert not _mfa_fields(world, email), "a user whose TOTP is off has no MFA settings"


@pytest.mark.plain_moto_fails("the user record keeps empty MFAOptions, UserMFASettingList and PreferredMfaSetting")
def test_user_turning_totp_off_signs_in_without_a_code(world):
    email = world.new_user()
    secret = world.enrol(email)
    access = world.mfa_tokens(email, secret)["AccessToken"]
    assert call(world.app().set_user_mfa_preference, AccessToken=access,
                SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False}).ok
    out = world.sign_in(email)
    assert out.tokens and out.challenge is None, out
    assert not _mfa_fields(world, email)


def _refresh(world, tokens: dict) -> Outcome:
    params = {"REFRESH_TOKEN": tokens["RefreshToken"]}
    if (tokens.get("NewDeviceMetadata") or {}).get("DeviceKey"):
        params["DEVICE_KEY"] = tokens["NewDeviceMetadata"]["DeviceKey"]
    return call(world.app().initiate_auth, ClientId=world.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters=params)


@pytest.mark.plain_moto_fails("GetUser with the revoked access token answers with the token itself as the message")
def test_global_sign_out_revokes_the_refresh_and_the_access_token(world):
    tokens = world.tokens(world.new_user())
    assert _refresh(world, tokens).ok
    assert call(world.app().global_sign_out, AccessToken=tokens["AccessToken"]).ok
    refused(_refresh(world, tokens), "NotAuthorizedException", "Refresh Token has been revoked")
    refused(call(world.app().get_user, AccessToken=tokens["AccessToken"]),
            "NotAuthorizedException", "Access Token has been revoked")


@pytest.mark.plain_moto_agrees  # plain moto keys its tokens by the name signed in with; the faithful backend keys
# them by the internal name (the sub), so moto's AdminUserGlobalSignOut by email revoked nothing there
def test_admin_global_sign_out_by_email_revokes_the_refresh_token(world):
    email = world.new_user()
    tokens = world.tokens(email)
    assert call(world.admin().admin_user_global_sign_out, UserPoolId=world.pool_id, Username=email).ok
    refused(_refresh(world, tokens), "NotAuthorizedException", "Refresh Token has been revoked")
