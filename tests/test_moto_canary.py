"""The canary: fails loudly when a moto internal the fidelity layer relies on moves.

The embedded target is moto 5.2.5 with parts of its Cognito backend replaced
(cognito_harness/embedded/install.py, backend.py). A moto upgrade that renames a method,
changes a signature or moves an attribute would silently turn the embedded target back into
plain moto — or break it in confusing ways. Every check here says which internal moved and
that the fidelity layer must be updated before the moto pin in pyproject.toml moves.

What is checked: every moto name cognito_harness/embedded/ imports, reads or replaces, listed
from its source (the only package that touches moto: tests/test_moto_boundary.py); the
entries of install.MOTO_INTERNALS; the signatures the overrides must accept; what embedded/
reads on the objects moto hands back (user pools, clients, identity pools, STS credentials,
the IAM admin key); moto's error classes and the XML auth errors app.py answers as JSON; and,
over HTTP, that the installed layer is the one answering.
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib
import inspect
import json
import re
import tomllib
import uuid
from pathlib import Path

import moto
import pyotp
import pytest
from botocore.exceptions import ClientError
from moto.cognitoidp import models as idp_models
from packaging.requirements import Requirement

from cognito_harness.clock import CLOCK
from cognito_harness.embedded import api_requests, install
from cognito_harness.embedded.backend import FaithfulCognitoIdpBackend, FaithfulUser, FaithfulUserPool

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
EMBEDDED = Path(install.__file__).resolve().parent  # cognito_harness/embedded/


def moved(what: str, detail: str = "") -> str:
    text = f"moto internal {what} moved: the fidelity layer must be updated before moving the pin"
    return f"{text} ({detail})" if detail else text


def resolve(dotted: str):
    """Import the longest importable module prefix of `dotted`, then getattr the rest."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(dotted)


# --- the pin -----------------------------------------------------------------------------

def test_moto_version_is_within_the_pinned_range():
    deps = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = [Requirement(d) for d in deps if Requirement(d).name == "moto"]
    assert pins, "pyproject.toml no longer pins moto: the fidelity layer relies on its internals"
    assert pins[0].specifier.contains(moto.__version__, prereleases=True), (
        f"moto {moto.__version__} is outside the pinned range {pins[0].specifier}: run the canary and "
        "tests/test_fidelity_rules.py on it, update the fidelity layer, then move the pin")


# --- every moto name embedded/ uses, read from its source --------------------------------
# Only cognito_harness/embedded/ imports moto (tests/test_moto_boundary.py). Every name it
# imports from moto, and every attribute chain it reads or replaces on one of those names
# (`moto_models.UserStatus.CONFIRMED`, `idp_models.cognitoidp_backends.backend`,
# `ActionAuthenticatorMixin.PUBLIC_OPERATIONS`), is listed here from the syntax tree — no
# hand-kept list to forget — and must still resolve in the installed moto.

def _is_moto(name: str | None) -> bool:
    return bool(name) and (name == "moto" or name.startswith("moto."))


def _dotted(node) -> list[str] | None:
    """['a', 'b', 'c'] for the expression a.b.c (names and attributes only), else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def moto_names_used_in(path: Path) -> set[str]:
    """The dotted moto names one module imports, reads or replaces."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bound: dict[str, str] = {}  # local name -> the moto object's dotted path
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and _is_moto(node.module):
            for alias in node.names:
                bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _is_moto(alias.name):
                    bound[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else "moto"
    used = set(bound.values())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):  # a.b.c and its prefix a.b both: each must resolve
            chain = _dotted(node)
            if chain and chain[0] in bound:
                used.add(".".join([bound[chain[0]], *chain[1:]]))
    return used


def moto_names_used() -> dict[str, list[str]]:
    """dotted name -> the embedded/ modules using it."""
    found: dict[str, list[str]] = {}
    for path in sorted(EMBEDDED.glob("*.py")):
        for name in moto_names_used_in(path):
            found.setdefault(name, []).append(path.name)
    return found


MOTO_NAMES_USED = moto_names_used()


def test_the_scan_finds_what_embedded_relies_on():
    """The source scan is wired: it sees the identity-pool, STS, IAM and error-class names."""
    for name in ("moto.cognitoidentity.models.cognitoidentity_backends", "moto.sts.models.sts_backends",
                 "moto.iam.models.iam_backends", "moto.core.exceptions.JsonRESTError",
                 "moto.cognitoidp.exceptions.NotAuthorizedError", "moto.cognitoidp.models.UserStatus.CONFIRMED",
                 "moto.cognitoidp.models.cognitoidp_backends.backend",
                 "moto.core.authorization.ActionAuthenticatorMixin.PUBLIC_OPERATIONS",
                 "moto.cognitoidp.models.cognitoidp_backends.iter_backends"):
        assert name in MOTO_NAMES_USED, f"the scan of embedded/ no longer sees {name}"
    assert len(MOTO_NAMES_USED) > 40, sorted(MOTO_NAMES_USED)


@pytest.mark.parametrize("name", sorted(MOTO_NAMES_USED))
def test_every_moto_name_embedded_uses_still_resolves(name):
    try:
        resolve(name)
    except (ImportError, AttributeError) as err:
        pytest.fail(moved(name, f"used by embedded/{', '.join(MOTO_NAMES_USED[name])}: {err}"))


def test_a_moved_name_fails_the_check(monkeypatch):
    """What the parametrized check does when moto moves a name (here: JsonRESTError)."""
    import moto.core.exceptions as core_exceptions

    monkeypatch.delattr(core_exceptions, "JsonRESTError")
    with pytest.raises(AttributeError):
        resolve("moto.core.exceptions.JsonRESTError")


# --- every entry of install.MOTO_INTERNALS ----------------------------------------------

@functools.lru_cache(maxsize=1)
def _sample_pool():  # a plain moto pool object (makes an RSA key: built once)
    return idp_models.CognitoIdpUserPool("123456789012", "us-east-1", "canary", {})


def _sample_instance(path: str):
    if path.endswith("CognitoIdpUserPool"):
        return _sample_pool()
    if path.endswith("CognitoIdpUserPoolClient"):
        return idp_models.CognitoIdpUserPoolClient("us-east-1_canary", False, {})
    return resolve(path)


@pytest.mark.parametrize("entry", sorted(install.MOTO_INTERNALS))
def test_each_moto_internal_the_layer_names_still_exists(entry):
    path, _, attrs = entry.partition(" ")
    if "[..]" in path:  # a BackendDict: the rest is on its backend class
        head, _, tail = path.partition("[..]")
        backend_dict = resolve(head)
        assert hasattr(backend_dict, "backend"), moved(head, "no longer a BackendDict with .backend")
        owner, names = backend_dict.backend, [n for n in tail.split(".") if n]
    elif path.endswith(".<methods>"):
        owner, names = resolve(path[: -len(".<methods>")]), _overridden(FaithfulCognitoIdpBackend)
    else:
        try:
            resolve(path)
        except (ImportError, AttributeError) as err:
            pytest.fail(moved(path, str(err)))
        owner, names = None, []
    if attrs:  # "<class> a/b/c": attributes of an instance of that class
        assert re.fullmatch(r"[\w/]+", attrs), f"the canary cannot read the MOTO_INTERNALS entry {entry!r}"
        owner = _sample_instance(path)
        names = attrs.split("/")
    for name in names:
        assert hasattr(owner, name), moved(f"{path}.{name}", install.MOTO_INTERNALS[entry])


# --- what the layer reads and overrides --------------------------------------------------

def _overridden(cls) -> list[str]:
    base = cls.__mro__[1]
    return [n for n, v in vars(cls).items() if callable(v) and hasattr(base, n)]


OVERRIDES = [(FaithfulCognitoIdpBackend, idp_models.CognitoIdpBackend),
             (FaithfulUserPool, idp_models.CognitoIdpUserPool),
             (FaithfulUser, idp_models.CognitoIdpUser)]


@pytest.mark.parametrize("ours, theirs", OVERRIDES, ids=[o.__name__ for o, _ in OVERRIDES])
def test_overrides_accept_every_parameter_moto_passes(ours, theirs):
    """Our override must accept a call shaped like moto's method: the same positional names in
    the same order, every keyword-only name, and defaults for anything we added."""
    names = _overridden(ours)
    assert names, f"{ours.__name__} overrides nothing of {theirs.__name__}"
    for name in names:
        base = inspect.signature(getattr(theirs, name))
        mine = inspect.signature(getattr(ours, name))
        base_pos = [p for p in base.parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
        mine_pos = [p for p in mine.parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
        assert [p.name for p in mine_pos[: len(base_pos)]] == [p.name for p in base_pos], moved(
            f"{theirs.__name__}.{name}", f"moto's signature is {base}, ours is {mine}")
        for extra in mine_pos[len(base_pos):]:
            assert extra.default is not extra.empty, moved(
                f"{theirs.__name__}.{name}", f"our extra parameter {extra.name!r} needs a default; moto's is {base}")
        for p in base.parameters.values():
            if p.kind is p.KEYWORD_ONLY:
                assert p.name in mine.parameters or any(
                    q.kind is q.VAR_KEYWORD for q in mine.parameters.values()), moved(f"{theirs.__name__}.{name}")


def test_user_pool_keeps_the_stores_the_layer_uses():
    pool = _sample_pool()
    for name in ("access_tokens", "refresh_tokens", "id_tokens", "clients", "users", "_get_user",
                 "extended_config", "mfa_config", "token_mfa_config", "sms_mfa_config", "json_web_key"):
        assert hasattr(pool, name), moved(f"CognitoIdpUserPool.{name}")
    assert callable(pool._get_user), moved("CognitoIdpUserPool._get_user")


def test_backend_and_user_keep_what_the_layer_reads():
    backend = idp_models.CognitoIdpBackend("us-east-1", "123456789012")
    for name in ("sessions", "user_pools", "describe_user_pool", "_validate_password"):
        assert hasattr(backend, name), moved(f"CognitoIdpBackend.{name}")
    user = idp_models.CognitoIdpUser("pool", "someone", "Aaaa1111", "CONFIRMED", [])
    for name in ("attribute_lookup", "attributes", "groups", "password", "status", "enabled", "id", "username"):
        assert hasattr(user, name), moved(f"CognitoIdpUser.{name}")
    for name in ("UserStatus", "CodeMismatchException", "CognitoIdpUserPoolClient"):
        assert hasattr(idp_models, name), moved(f"moto.cognitoidp.models.{name}")
    client = idp_models.CognitoIdpUserPoolClient("pool", False, {"ClientName": "c"})
    for name in ("id", "secret", "generate_secret", "extended_config"):
        assert hasattr(client, name), moved(f"CognitoIdpUserPoolClient.{name}")


def test_backend_dict_plumbing():
    backends = idp_models.cognitoidp_backends
    assert isinstance(backends, moto.core.base_backend.BackendDict), moved("cognitoidp_backends (BackendDict)")
    assert hasattr(backends, "backend"), moved("BackendDict.backend")
    assert hasattr(backends, "iter_backends"), moved("BackendDict.iter_backends")
    assert resolve("moto.cognitoidp.urls"), moved("moto.cognitoidp.urls")
    assert FaithfulCognitoIdpBackend.__module__ == "moto.cognitoidp.models", (
        "FaithfulCognitoIdpBackend.__module__ must stay moto.cognitoidp.models: moto finds a backend's urls next to it")


def test_server_authorization_and_settings_plumbing():
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.moto_server import threaded_moto_server, werkzeug_app

    assert isinstance(ActionAuthenticatorMixin.PUBLIC_OPERATIONS, list), moved("ActionAuthenticatorMixin.PUBLIC_OPERATIONS")
    assert hasattr(ActionAuthenticatorMixin, "request_count"), moved("ActionAuthenticatorMixin.request_count")
    assert hasattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT"), moved("moto.settings.INITIAL_NO_AUTH_ACTION_COUNT")
    assert callable(getattr(threaded_moto_server.ThreadedMotoServer, "_server_entry", None)), moved(
        "ThreadedMotoServer._server_entry")
    server = threaded_moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    for name in ("_ip_address", "_port", "_server_ready_event"):
        assert hasattr(server, name), moved(f"ThreadedMotoServer.{name}")
    for name in ("DomainDispatcherApplication", "MotoRequestHandler", "create_backend_app"):
        assert hasattr(werkzeug_app, name), moved(f"moto.moto_server.werkzeug_app.{name}")


def test_sts_web_identity_takes_the_arguments_identity_py_passes():
    from moto.sts.models import sts_backends

    backend_cls = sts_backends.backend
    target = backend_cls.assume_role_with_web_identity
    params = inspect.signature(target).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):  # 5.2.5: (**kwargs) -> assume_role(**kwargs)
        assert "self.assume_role(**kwargs)" in inspect.getsource(target), moved(
            "StsBackend.assume_role_with_web_identity", "no longer forwards to assume_role(**kwargs)")
        target = backend_cls.assume_role
    passed = dict.fromkeys(("region_name", "role_session_name", "role_arn", "policy", "duration", "external_id"))
    try:
        inspect.signature(target).bind(None, **passed)  # None stands for self
    except TypeError as err:
        pytest.fail(moved(f"StsBackend.{target.__name__}", f"identity.py's call no longer binds: {err}"))


def test_identity_pool_internals_identity_py_reads():
    """identity.py keeps its state on moto's identity-pool objects and finds them by id."""
    from moto.cognitoidentity.models import CognitoIdentityBackend, CognitoIdentityPool, cognitoidentity_backends

    assert isinstance(cognitoidentity_backends, moto.core.base_backend.BackendDict), moved("cognitoidentity_backends")
    assert hasattr(CognitoIdentityBackend("us-east-1", "123456789012"), "identity_pools"), moved(
        "CognitoIdentityBackend.identity_pools")
    pool = CognitoIdentityPool("us-east-1", "pool", AllowUnauthenticatedIdentities=False,
                               CognitoIdentityProviders=[{"ProviderName": "p", "ClientId": "c"}])
    for name in ("identity_pool_id", "allow_unauthenticated_identities", "cognito_identity_providers"):
        assert hasattr(pool, name), moved(f"CognitoIdentityPool.{name}")


def test_iam_internals_the_server_uses_for_its_admin_key():
    """server._create_admin_identity: one IAM user with an all-actions policy and a key pair."""
    from moto.iam.models import IAMBackend, iam_backends

    assert isinstance(iam_backends, moto.core.base_backend.BackendDict), moved("iam_backends")
    for name, args in (("create_user", {"region_name", "user_name"}), ("put_user_policy", set()),
                       ("create_access_key", set())):
        method = getattr(IAMBackend, name, None)
        assert callable(method), moved(f"IAMBackend.{name}")
        assert args <= set(inspect.signature(method).parameters), moved(f"IAMBackend.{name}", "keyword arguments")
    assert hasattr(IAMBackend, "users") or "users" in inspect.getsource(IAMBackend.__init__), moved("IAMBackend.users")


def test_error_classes_the_layer_raises_and_catches():
    """rules.py/backend.py raise moto's Cognito errors and the managed login reads
    JsonRESTError.error_type / .message; app.py relies on moto raising NotImplementedError for
    an operation it does not implement and answering IAM refusals in XML with <Code>."""
    from moto.cognitoidp import exceptions as idp_errors
    from moto.core import responses as core_responses
    from moto.core.exceptions import JsonRESTError

    expected = {"InvalidParameterException": "InvalidParameterException", "NotAuthorizedError": "NotAuthorizedException",
                "ResourceNotFoundError": "ResourceNotFoundException", "UserNotFoundError": "UserNotFoundException",
                "CodeMismatchException": "CodeMismatchException", "ExpiredCodeException": "ExpiredCodeException",
                "UserNotConfirmedException": "UserNotConfirmedException"}
    for cls_name, error_type in expected.items():
        cls = getattr(idp_errors, cls_name, None)
        assert cls is not None and issubclass(cls, JsonRESTError), moved(f"moto.cognitoidp.exceptions.{cls_name}")
        err = cls("a message")
        assert (err.error_type, err.message, err.code) == (error_type, "a message", 400), moved(
            f"{cls_name}: error_type / message / code")
    assert "raise NotImplementedError" in inspect.getsource(core_responses.BaseResponse.call_action), moved(
        "BaseResponse.call_action", "no longer raises NotImplementedError for an unimplemented action")
    from moto.iam.access_control import IAMRequestBase

    assert "InvalidClientTokenId" in inspect.getsource(importlib.import_module("moto.core.exceptions")), moved(
        "moto.core.exceptions.InvalidClientTokenIdError (the XML app.py answers as UnrecognizedClientException)")
    assert hasattr(IAMRequestBase, "check_signature"), moved("IAMRequestBase.check_signature")


# --- what embedded/ reads on the objects moto hands back (beyond the names) --------------

def test_sts_web_identity_credentials_carry_what_identity_py_returns():
    """identity.get_credentials_for_identity: assume_role_with_web_identity's result gives
    AccessKeyId, SecretKey and SessionToken (on a fresh STS backend: nothing global)."""
    from moto.sts.models import sts_backends

    sts = sts_backends.backend("us-east-1", "123456789012")
    role = sts.assume_role_with_web_identity(
        region_name="us-east-1", role_session_name="CognitoIdentityCredentials",
        role_arn="arn:aws:iam::123456789012:role/canary", policy=None, duration=3600, external_id=None)
    for name in ("access_key_id", "secret_access_key", "session_token"):
        value = getattr(role, name, None)
        assert isinstance(value, str) and len(value) >= 16, moved(f"{type(role).__name__}.{name}")


def test_iam_builds_the_admin_identity_as_server_py_does():
    """server._create_admin_identity on a fresh IAM backend: user, all-actions policy, key pair,
    and `users` keyed by name (the server counts its admins there)."""
    from moto.iam.models import iam_backends

    iam = iam_backends.backend("us-east-1", "123456789012")
    iam.create_user(region_name="us-east-1", user_name="cognito-harness-admin-1")
    iam.put_user_policy("cognito-harness-admin-1", "harness-admin", json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key("cognito-harness-admin-1")
    assert key.access_key_id.startswith("AKIA") and len(key.secret_access_key) >= 30, moved("IAM AccessKey")
    assert [u for u in iam.users if u.startswith("cognito-harness-admin")] == ["cognito-harness-admin-1"], moved(
        "IAMBackend.users (a dict keyed by user name)")


def test_identity_pool_objects_hold_and_copy_the_harness_state():
    """identity.py keeps roles and identities on moto's identity-pool objects; starting_world.py
    deep-copies their state and puts it back."""
    from moto.cognitoidentity.models import CognitoIdentityPool

    pool = CognitoIdentityPool("us-east-1", "pool", AllowUnauthenticatedIdentities=False,
                               CognitoIdentityProviders=[{"ProviderName": "p", "ClientId": "c"}])
    pool.harness_roles = {"authenticated": "arn:aws:iam::123456789012:role/a"}
    pool.harness_identities = {"us-east-1:x": "p:sub"}
    copied = copy.deepcopy(vars(pool))
    assert copied["harness_roles"] == pool.harness_roles and copied["harness_identities"] is not pool.harness_identities
    assert pool.identity_pool_id.startswith("us-east-1:"), moved("CognitoIdentityPool.identity_pool_id")


@pytest.mark.parametrize("cls_name, args, cognito_code", [
    ("InvalidClientTokenIdError", (), "UnrecognizedClientException"),
    ("SignatureDoesNotMatchError", (), "InvalidSignatureException"),
    ("AccessDeniedError", ("arn:aws:iam::123456789012:user/x", "cognito-idp:DescribeUserPool"), "AccessDeniedException"),
])
def test_moto_auth_errors_still_convert_to_cognitos_json(cls_name, args, cognito_code):
    """moto's IAM check answers these in XML; api_requests.auth_error_as_json reads their
    status and <Code> to answer Cognito's JSON error instead."""
    from moto.core import exceptions as core_exceptions

    cls = getattr(core_exceptions, cls_name, None)
    assert cls is not None, moved(f"moto.core.exceptions.{cls_name}")
    err = cls(*args)
    body = err.get_body()
    converted = api_requests.auth_error_as_json(f"{err.code} X", body.encode() if isinstance(body, str) else body)
    assert converted is not None and converted.kind == cognito_code, moved(
        f"moto.core.exceptions.{cls_name}", f"status {err.code}, body {body[:200]!r}")


def test_region_agnostic_backend_still_routes_the_unsigned_calls():
    agnostic = idp_models.RegionAgnosticBackend
    for name in ("initiate_auth", "respond_to_auth_challenge", "admin_respond_to_auth_challenge",
                 "associate_software_token", "verify_software_token", "set_user_mfa_preference", "get_user"):
        assert hasattr(agnostic, name), moved(f"RegionAgnosticBackend.{name}")
        source = inspect.getsource(getattr(agnostic, name))
        assert f"backend.{name}(" in source, moved(f"RegionAgnosticBackend.{name}", "no longer calls backend." + name)


# --- behaviour: after install(), the HTTP server reaches the faithful backend ------------

@pytest.fixture(scope="module")
def live(embedded, idp_clients):
    """A pool with TOTP in the session's embedded server, and an enrolled user."""
    admin, app = idp_clients
    pool_id = admin.create_user_pool(PoolName=f"canary-{uuid.uuid4().hex[:8]}", UsernameAttributes=["email"],
                                     MfaConfiguration="OFF")["UserPool"]["Id"]
    admin.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL",
                                   SoftwareTokenMfaConfiguration={"Enabled": True})
    client_id = admin.create_user_pool_client(UserPoolId=pool_id, ClientName="canary",
                                              ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
                                              )["UserPoolClient"]["ClientId"]
    email, password = "canary@example.com", "Canary-1234pass"
    admin.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS",
                            UserAttributes=[{"Name": "email", "Value": email}])
    admin.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    yield {"admin": admin, "app": app, "pool_id": pool_id, "client_id": client_id, "email": email,
           "password": password, "account": embedded.account_id, "region": embedded.region}
    admin.delete_user_pool(UserPoolId=pool_id)


def test_installed_backend_and_user_classes_are_the_faithful_ones(live):
    assert install.installed(), "the session's embedded server should have installed the layer"
    backend = idp_models.cognitoidp_backends[live["account"]][live["region"]]
    assert isinstance(backend, FaithfulCognitoIdpBackend), moved(
        "cognitoidp_backends.backend", f"the backend is {type(backend).__name__}")
    assert isinstance(backend.user_pools[live["pool_id"]], FaithfulUserPool), moved("CognitoIdpBackend.create_user_pool")
    user = backend.user_pools[live["pool_id"]]._get_user(live["email"])
    assert isinstance(user, FaithfulUser), moved("moto.cognitoidp.models.CognitoIdpUser",
                                                 "admin_create_user no longer builds the swapped class")


def test_http_calls_reach_the_faithful_backend(live):
    """Each hop names the moto route it proves (responses.py -> RegionAgnosticBackend -> ours)."""
    admin, app, email = live["admin"], live["app"], live["email"]
    auth = {"USERNAME": email, "PASSWORD": live["password"]}
    try:
        admin.admin_initiate_auth(UserPoolId=live["pool_id"], ClientId=live["client_id"],
                                  AuthFlow="ADMIN_USER_PASSWORD_AUTH", AuthParameters=auth)
        pytest.fail(moved("CognitoIdpResponse.admin_initiate_auth -> backend.admin_initiate_auth",
                          "ExplicitAuthFlows was not enforced"))
    except ClientError as err:
        assert err.response["Error"]["Message"] == "Auth flow not enabled for this client", moved(
            "CognitoIdpResponse.admin_initiate_auth", str(err))
    access = app.initiate_auth(ClientId=live["client_id"], AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters=auth)["AuthenticationResult"]["AccessToken"]
    secret = app.associate_software_token(AccessToken=access)["SecretCode"]
    assert len(secret) == 52, moved("RegionAgnosticBackend.associate_software_token", f"{len(secret)}-char secret")
    code = pyotp.TOTP(secret).at(CLOCK.now())
    assert app.verify_software_token(AccessToken=access, UserCode=code)["Status"] == "SUCCESS"
    admin.admin_set_user_mfa_preference(UserPoolId=live["pool_id"], Username=email,
                                        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False})
    challenge = app.initiate_auth(ClientId=live["client_id"], AuthFlow="USER_PASSWORD_AUTH", AuthParameters=auth)
    session = challenge.get("Session", "")
    assert challenge.get("ChallengeName") == "SOFTWARE_TOKEN_MFA" and len(session) > 100, moved(
        "CognitoIdpResponse.initiate_auth -> RegionAgnosticBackend.initiate_auth(client_id, auth_flow, auth_parameters)",
        f"challenge {challenge.get('ChallengeName')}, session of {len(session)} chars (a moto uuid is 36)")
    with pytest.raises(ValueError):
        uuid.UUID(session[:36])
    try:
        app.respond_to_auth_challenge(ClientId=live["client_id"], ChallengeName="SOFTWARE_TOKEN_MFA", Session=session,
                                      ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": "000000"
                                                          if code != "000000" else "111111"})
        pytest.fail(moved("RegionAgnosticBackend.respond_to_auth_challenge", "a wrong code signed in"))
    except ClientError as err:
        assert err.response["Error"]["Code"] == "CodeMismatchException", moved(
            "RegionAgnosticBackend.respond_to_auth_challenge", str(err))
    mfa = admin.get_user_pool_mfa_config(UserPoolId=live["pool_id"])
    assert "SmsMfaConfiguration" not in mfa, moved("CognitoIdpResponse.get_user_pool_mfa_config")
