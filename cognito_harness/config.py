"""scenarios.yaml: loaded and validated into frozen dataclasses.

Every mistake is a `ConfigError` whose one-line message names the file, the full
key path, what was expected and what was found, e.g.
``scenarios.yaml: targets.embedded.port: expected an integer 0-65535, found 'abc'``.
Unknown keys are errors (with a "did you mean" hint): a typo is never ignored.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NoReturn
from urllib.parse import urlsplit

import yaml

from .errors import ConfigError, HarnessError

TARGETS = ("embedded", "aws")
MFA_MODES = ("OFF", "ON", "OPTIONAL")
MFA_METHODS = ("SOFTWARE_TOKEN_MFA", "SMS_MFA", "EMAIL_OTP")
USERNAME_ATTRIBUTES = ("email", "phone_number")
AUTH_FLOWS = ("ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH",
              "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_USER_AUTH")
LOGIN_SELECTOR_KEYS = ("username", "password", "next", "submit", "code", "code_submit", "error", "secret")


# --- the validated configuration --------------------------------------------------------

@dataclass(frozen=True)
class UndocumentedChoices:
    reject_reused_code: bool = True
    max_wrong_codes_per_session: int = 3
    verify_code_counts_as_used: bool = True
    srp_timestamp_tolerance_seconds: int = 300


@dataclass(frozen=True)
class EmbeddedTarget:
    region: str = "us-east-1"
    port: int = 0
    enforce_iam: bool = True
    login_style: str = "classic"
    undocumented: UndocumentedChoices = field(default_factory=UndocumentedChoices)


@dataclass(frozen=True)
class AwsTarget:
    region: str
    user_pool_id: str
    client_id: str
    identity_pool_id: str | None
    domain: str | None
    callback_url: str | None
    endpoint_url: str | None = None
    allow_mutation: bool = False
    login_selectors: dict[str, str] = field(default_factory=dict)
    # A Cognito-compatible endpoint whose clock the harness may move (the embedded server's
    # /_harness/clock). Unset for AWS: the run then waits when Cognito forces it.
    clock_url: str | None = None
    # What the target has: false = it has no managed login (hosted UI) / no identity pool,
    # and the scenarios that need one are skipped (e.g. cognito-local has neither).
    managed_login: bool = True
    identity_pool: bool = True


@dataclass(frozen=True)
class PasswordPolicy:
    minimum_length: int
    require_uppercase: bool
    require_lowercase: bool
    require_numbers: bool
    require_symbols: bool


@dataclass(frozen=True)
class DeviceTracking:
    """The pool's DeviceConfiguration (device remembering); absent = the pool tracks no devices."""
    challenge_required_on_new_device: bool
    device_only_remembered_on_user_prompt: bool

    def as_api(self) -> dict:
        return {"ChallengeRequiredOnNewDevice": self.challenge_required_on_new_device,
                "DeviceOnlyRememberedOnUserPrompt": self.device_only_remembered_on_user_prompt}


@dataclass(frozen=True)
class PoolPolicy:
    name: str
    username_attributes: list[str]
    mfa_before: str
    mfa_after: str
    mfa_methods: list[str]
    password_policy: PasswordPolicy
    device_tracking: DeviceTracking | None = None


@dataclass(frozen=True)
class AppClient:
    name: str
    explicit_auth_flows: list[str]
    auth_session_validity_minutes: int
    access_token_validity_minutes: int
    id_token_validity_minutes: int
    refresh_token_validity_days: int
    prevent_user_existence_errors: bool
    callback_urls: list[str]
    logout_urls: list[str]
    oauth_scopes: list[str]
    # RefreshTokenRotation: None = DISABLED; else RetryGracePeriodSeconds (0-60)
    refresh_token_rotation_grace_seconds: int | None = None


@dataclass(frozen=True)
class IdentityPoolSpec:
    name: str
    authenticated_role_actions: list[str]
    bucket: str


@dataclass(frozen=True)
class AuthenticatorSpec:
    issuer: str


@dataclass(frozen=True)
class Persona:
    key: str
    email: str
    password: str | None = field(repr=False)
    password_env: str | None
    existing: bool
    source: str = field(default="scenarios.yaml", repr=False, compare=False)

    def password_for(self, target_name: str) -> str:
        """The literal password on the embedded target; the environment variable's value on AWS."""
        if target_name == "embedded":
            if self.password is None:
                raise ConfigError(f"personas.{self.key}.password", "a literal password (used on the "
                                  "embedded target)", source=self.source)
            return self.password
        value = os.environ.get(self.password_env) if self.password_env else None
        if not value:
            what = (f"environment variable {self.password_env} to be set" if self.password_env
                    else "the name of an environment variable holding the password")
            raise ConfigError(f"personas.{self.key}.password_env", f"{what} (the real pool's password for "
                              f"{self.email}; literal passwords are used only on the embedded target)",
                              source=self.source)
        return value


@dataclass(frozen=True)
class Config:
    path: Path
    target_name: str
    embedded: EmbeddedTarget
    aws: AwsTarget | None
    pool: PoolPolicy
    app_client: AppClient
    identity_pool: IdentityPoolSpec
    authenticator: AuthenticatorSpec
    personas: dict[str, Persona]

    @property
    def is_embedded(self) -> bool:
        return self.target_name == "embedded"

    def persona(self, name: str) -> Persona:
        if name not in self.personas:
            names = ", ".join(self.personas)
            raise ConfigError("personas", f"one of {names}", name, source=self.mfa_persona.source)
        return self.personas[name]

    @property
    def mfa_persona(self) -> Persona:
        """The first persona with `existing: false`: the one who signs up and sets up MFA."""
        return next(p for p in self.personas.values() if not p.existing)

    @property
    def existing_personas(self) -> list[Persona]:
        return [p for p in self.personas.values() if p.existing]


def format_error(exc: BaseException) -> str:
    """One line for a person: harness errors as they are, anything else with its type."""
    return str(exc) if isinstance(exc, HarnessError) else f"{type(exc).__name__}: {exc}"


# --- loading -------------------------------------------------------------------------------

def load_config(path: str | os.PathLike = "scenarios.yaml", target: str | None = None) -> Config:
    """Read and validate scenarios.yaml; `target` (from --target) overrides `default_target`."""
    source = os.fspath(path)
    if target is not None and target not in TARGETS:
        raise ConfigError("--target", f"one of {', '.join(TARGETS)}", target, source="command line")
    try:
        return _build(_read_yaml(source), Path(source).resolve(), target, source)
    except ConfigError as exc:
        raise ConfigError(exc.key_path, exc.expected, exc.found, source) from None


MAX_YAML_NESTING = 64


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last, silently)."""

    def construct_mapping(self, node, deep=False):
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    mark = key_node.start_mark
                    raise ConfigError(f"line {mark.line + 1}, column {mark.column + 1}",
                                      "each key once per mapping", _Shown(f"{key_node.value!r} twice"))
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)

    def compose_node(self, parent, index):
        """Refuses nesting deeper than MAX_YAML_NESTING (PyYAML composes recursively: a
        5,000-deep file would end in a RecursionError)."""
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_YAML_NESTING:
                mark = self.peek_event().start_mark
                raise ConfigError(f"line {mark.line + 1}, column {mark.column + 1}",
                                  f"at most {MAX_YAML_NESTING} levels of nesting", _Shown("nested deeper"))
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _read_yaml(source: str) -> Any:
    try:
        text = Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("(file)", f"an existing file (looked for {Path(source).resolve()})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("(file)", "a readable UTF-8 text file", str(exc)) from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise ConfigError(where, f"valid YAML ({exc.problem or exc.context})") from None
    except yaml.YAMLError as exc:
        raise ConfigError("(file)", f"valid YAML ({exc})") from None


# --- validation helpers: each takes the value and its full key path ---------------------------

_MISSING = object()


class _Shown(str):
    """A `found` shown as plain text (ConfigError omits `found` when it is None)."""
    __repr__ = str.__str__


def _fail(path: str, expected: str, value: Any) -> NoReturn:
    raise ConfigError(path, expected, _Shown("nothing") if value is None else value)


def _hint(word: Any, choices) -> str:
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(str(word).lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {by_lower[close[0]]!r}?)" if close else ""


def _require_str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        _fail(path, "a non-empty string", value)
    return value


def _require_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        _fail(path, "true or false", value)
    return value


def _optional(check: Callable) -> Callable:
    return lambda value, path: None if value is None else check(value, path)


def _int_range(lo: int, hi: int | None = None) -> Callable:
    def check(value: Any, path: str) -> int:
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if not is_int or value < lo or (hi is not None and value > hi):
            _fail(path, f"an integer {lo}-{hi}" if hi is not None else f"an integer >= {lo}", value)
        return value
    return check


def _one_of(*choices: str) -> Callable:
    def check(value: Any, path: str) -> str:
        if value in choices and isinstance(value, str):
            return value
        expected = f"one of {', '.join(choices)}"
        if isinstance(value, bool) and {"ON", "OFF"} & set(choices):
            expected += f' (quote it: "{"ON" if value else "OFF"}")'  # YAML 1.1 reads bare ON/OFF as booleans
        elif isinstance(value, str):
            expected += _hint(value, choices)
        _fail(path, expected, value)
    return check


def _matching(pattern: str, description: str, flags: int = 0) -> Callable:
    def check(value: Any, path: str) -> str:
        if not isinstance(value, str) or not re.fullmatch(pattern, value, flags):
            _fail(path, description, value)
        return value
    return check


def _url(value: Any, path: str) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        _fail(path, "an http(s) URL", value)
    return value


def _list_of(check: Callable, non_empty: bool = False) -> Callable:
    def run(value: Any, path: str) -> list:
        if not isinstance(value, list) or (non_empty and not value):
            _fail(path, "a non-empty list" if non_empty else "a list", value)
        items = [check(item, f"{path}[{i}]") for i, item in enumerate(value)]
        for i, item in enumerate(items):
            if item in items[:i]:
                _fail(f"{path}[{i}]", "each value once", item)
        return items
    return run


_region = _matching(r"[a-z]{2}(-[a-z]+)+-\d+", "an AWS region like us-east-1")
_email = _matching(r"[^@\s]+@[^@\s]+\.[^@\s.]+", "an email address")
_env_name = _matching(r"[A-Za-z_][A-Za-z0-9_]*", "an environment variable name like HARNESS_DEMO_PASSWORD")
_action = _matching(r"[a-z0-9-]+:[A-Za-z*][A-Za-z0-9*]*", "an IAM action like s3:ListAllMyBuckets")
_bucket = _matching(r"(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
                    "an S3 bucket name (3-63 characters: lowercase letters, digits, dots, hyphens)")


class _Section:
    """A mapping at `path`; unknown keys are rejected up front, with a hint when one is close."""

    def __init__(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            _fail(path or "(top level)", "a mapping of keys to values", value)
        self.data, self.path = value, path

    def only(self, *keys: str) -> _Section:
        for key in self.data:
            if key not in keys:
                raise ConfigError(self.key_path(key), f"a known key{_hint(key, keys)}; "
                                                      f"known keys here: {', '.join(keys)}")
        return self

    def key_path(self, key: Any) -> str:
        return f"{self.path}.{key}" if self.path else str(key)

    def get(self, key: str, check: Callable, default: Any = _MISSING) -> Any:
        if key not in self.data:
            if default is _MISSING:
                raise ConfigError(self.key_path(key), "a value (required key is missing)")
            return default
        return check(self.data[key], self.key_path(key))

    def section(self, key: str, optional: bool = False) -> _Section:
        """The mapping under `key`; an optional one may be absent or empty."""
        value = self.data.get(key, {} if optional else _MISSING)
        if value is _MISSING:
            raise ConfigError(self.key_path(key), "a section (required key is missing)")
        return _Section({} if value is None and optional else value, self.key_path(key))


# --- the sections ------------------------------------------------------------------------------

def _build(raw: Any, path: Path, target: str | None, source: str) -> Config:
    top = _Section(raw, "").only("default_target", "targets", "pool", "app_client", "identity_pool",
                                 "authenticator", "personas")
    target_name = top.get("default_target", _one_of(*TARGETS), "embedded")
    target_name = target or target_name
    targets = top.section("targets", optional=True).only(*TARGETS)
    aws = _aws(targets.section("aws")) if "aws" in targets.data else None
    if target_name == "aws" and aws is None:
        raise ConfigError("targets.aws", "a section describing the real pool (needed for --target aws)")
    pool = _pool(top.section("pool"))
    return Config(
        path=path, target_name=target_name,
        embedded=_embedded(targets.section("embedded", optional=True)),
        aws=aws, pool=pool, app_client=_app_client(top.section("app_client")),
        identity_pool=_identity_pool(top.section("identity_pool")),
        authenticator=AuthenticatorSpec(
            issuer=top.section("authenticator").only("issuer").get("issuer", _require_str)),
        personas=_personas(top.section("personas"), pool.password_policy, source),
    )


def _embedded(s: _Section) -> EmbeddedTarget:
    s.only("region", "port", "enforce_iam", "login_style", "undocumented")
    u = s.section("undocumented", optional=True).only(*UndocumentedChoices.__dataclass_fields__)
    return EmbeddedTarget(
        region=s.get("region", _region, "us-east-1"),
        port=s.get("port", _int_range(0, 65535), 0),
        enforce_iam=s.get("enforce_iam", _require_bool, True),
        login_style=s.get("login_style", _one_of("classic", "managed"), "classic"),
        undocumented=UndocumentedChoices(
            reject_reused_code=u.get("reject_reused_code", _require_bool, True),
            max_wrong_codes_per_session=u.get("max_wrong_codes_per_session", _int_range(1), 3),
            verify_code_counts_as_used=u.get("verify_code_counts_as_used", _require_bool, True),
            srp_timestamp_tolerance_seconds=u.get("srp_timestamp_tolerance_seconds", _int_range(0), 300)))


def _aws(s: _Section) -> AwsTarget:
    s.only(*AwsTarget.__dataclass_fields__)
    endpoint_url = s.get("endpoint_url", _optional(_url), None)
    managed_login = s.get("managed_login", _require_bool, True)
    identity_pool = s.get("identity_pool", _require_bool, True)
    uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    selectors = s.section("login_selectors", optional=True).only(*LOGIN_SELECTOR_KEYS)
    if endpoint_url:
        # a Cognito-compatible endpoint: its ids need not have AWS's shape (cognito-local's pool
        # ids look like local_4DbMTFlz, its region is "local")
        region = s.get("region", _matching(r"[a-z0-9-]+", "a region name (letters, digits, hyphens)"))
        pool_id = _matching(r"\S+", "a user pool id")
        identity_id = _matching(r"\S+", "an identity pool id")
    else:
        region = s.get("region", _region)
        r = re.escape(region)
        pool_id = _matching(rf"{r}_[A-Za-z0-9]+", f"a user pool id like {region}_AbC123 (in targets.aws.region)")
        identity_id = _matching(rf"{r}:{uuid}", f"an identity pool id like {region}:<uuid>", re.IGNORECASE)
    return AwsTarget(
        region=region,
        user_pool_id=s.get("user_pool_id", pool_id),
        client_id=s.get("client_id", _matching(r"[\w+-]+", "an app client id (letters and digits)")),
        identity_pool_id=s.get("identity_pool_id", identity_id, *(() if identity_pool else (None,))),
        domain=s.get("domain", _url, *(() if managed_login else (None,))),
        callback_url=s.get("callback_url", _url, *(() if managed_login else (None,))),
        endpoint_url=endpoint_url,
        allow_mutation=s.get("allow_mutation", _require_bool, False),
        login_selectors={k: selectors.get(k, _require_str) for k in selectors.data},
        clock_url=s.get("clock_url", _optional(_url), None),
        managed_login=managed_login, identity_pool=identity_pool)


def _pool(s: _Section) -> PoolPolicy:
    s.only(*PoolPolicy.__dataclass_fields__)
    pp = s.section("password_policy").only(*PasswordPolicy.__dataclass_fields__)
    devices = None
    if s.data.get("device_tracking") is not None:
        d = s.section("device_tracking").only(*DeviceTracking.__dataclass_fields__)
        devices = DeviceTracking(**{k: d.get(k, _require_bool) for k in DeviceTracking.__dataclass_fields__})
    pool = PoolPolicy(
        device_tracking=devices,
        name=s.get("name", _require_str),
        username_attributes=s.get("username_attributes", _list_of(_one_of(*USERNAME_ATTRIBUTES))),
        mfa_before=s.get("mfa_before", _one_of(*MFA_MODES)),
        mfa_after=s.get("mfa_after", _one_of(*MFA_MODES)),
        mfa_methods=s.get("mfa_methods", _list_of(_one_of(*MFA_METHODS))),
        password_policy=PasswordPolicy(
            minimum_length=pp.get("minimum_length", _int_range(6, 99)),
            **{k: pp.get(k, _require_bool) for k in ("require_uppercase", "require_lowercase",
                                                      "require_numbers", "require_symbols")}))
    if not pool.mfa_methods and (pool.mfa_before, pool.mfa_after) != ("OFF", "OFF"):
        raise ConfigError("pool.mfa_methods", "at least one method when MFA is ON or OPTIONAL", [])
    return pool


def _app_client(s: _Section) -> AppClient:
    s.only(*AppClient.__dataclass_fields__)
    return AppClient(
        name=s.get("name", _require_str),
        explicit_auth_flows=s.get("explicit_auth_flows", _list_of(_one_of(*AUTH_FLOWS), non_empty=True)),
        auth_session_validity_minutes=s.get("auth_session_validity_minutes", _int_range(3, 15)),
        access_token_validity_minutes=s.get("access_token_validity_minutes", _int_range(5, 1440)),
        id_token_validity_minutes=s.get("id_token_validity_minutes", _int_range(5, 1440)),
        refresh_token_validity_days=s.get("refresh_token_validity_days", _int_range(1, 3650)),
        prevent_user_existence_errors=s.get("prevent_user_existence_errors", _require_bool),
        callback_urls=s.get("callback_urls", _list_of(_url, non_empty=True)),
        logout_urls=s.get("logout_urls", _list_of(_url)),
        oauth_scopes=s.get("oauth_scopes", _list_of(_require_str)),
        refresh_token_rotation_grace_seconds=s.get("refresh_token_rotation_grace_seconds",
                                                   _optional(_int_range(0, 60)), None))


def _identity_pool(s: _Section) -> IdentityPoolSpec:
    s.only(*IdentityPoolSpec.__dataclass_fields__)
    return IdentityPoolSpec(
        name=s.get("name", _require_str),
        authenticated_role_actions=s.get("authenticated_role_actions", _list_of(_action)),
        bucket=s.get("bucket", _bucket))


def _personas(s: _Section, policy: PasswordPolicy, source: str) -> dict[str, Persona]:
    if not s.data:
        _fail("personas", "at least one persona", s.data)
    personas: dict[str, Persona] = {}
    for key in s.data:
        if not isinstance(key, str) or not key.strip():
            _fail(f"personas.{key}", "a persona name (a non-empty string)", key)
        p = s.section(key).only("email", "password", "password_env", "existing")
        persona = Persona(key=key, email=p.get("email", _email),
                          password=p.get("password", _optional(_password(policy)), None),
                          password_env=p.get("password_env", _optional(_env_name), None),
                          existing=p.get("existing", _require_bool), source=source)
        if persona.password is None and persona.password_env is None:
            raise ConfigError(p.path, "password (embedded target) and/or password_env (aws target)")
        for other in personas.values():
            if other.email.lower() == persona.email.lower():
                raise ConfigError(f"{p.path}.email", f"an email no other persona uses ({other.key} has it)",
                                  persona.email)
        personas[key] = persona
    if all(p.existing for p in personas.values()):
        raise ConfigError("personas", "at least one persona with existing: false (the one who sets up MFA)")
    return personas


def _password(policy: PasswordPolicy) -> Callable:
    rules = [(policy.require_uppercase, str.isupper, "an uppercase letter"),
             (policy.require_lowercase, str.islower, "a lowercase letter"),
             (policy.require_numbers, str.isdigit, "a number"),
             (policy.require_symbols, lambda c: not c.isalnum() and not c.isspace(), "a symbol")]

    def check(value: Any, path: str) -> str:
        _require_str(value, path)
        needs = [what for on, test, what in rules if on]
        if len(value) < policy.minimum_length or any(
                on and not any(test(c) for c in value) for on, test, _ in rules):
            # the password itself is not echoed
            raise ConfigError(path, f"a password meeting pool.password_policy (at least "
                                    f"{policy.minimum_length} characters{''.join(', ' + n for n in needs)})")
        return value
    return check
