"""Pre-flight for a real pool: before the first scenario, one table of what the selected
scenarios need and what the target has. What is missing skips the scenarios that need it,
with the reason; an unreachable endpoint, refused credentials or a missing pool stop the run
with one message (`reach`). `cognito-harness check-config --target aws --online` prints the
same table for every scenario of features/.

A scenario's needs are read from its steps' text (`NEEDS`), so a new .feature file written
with the existing steps is covered without Python.
"""

from __future__ import annotations

import os
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from botocore.exceptions import (BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError,
                                 NoCredentialsError, ReadTimeoutError)

from botocore.config import Config as BotoConfig

from .config import Config
from .errors import HarnessError
from .target import Target

CREDENTIAL_ERRORS = {"UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException",
                     "SignatureDoesNotMatch", "ExpiredTokenException", "ExpiredToken", "AccessDeniedException",
                     "MissingAuthenticationToken", "IncompleteSignature", "AuthFailure"}

# (regex on a step's text, need). Every scenario needs "endpoint", "credentials", "pool".
NEEDS: list[tuple[str, str]] = [
    (r"signs? .*in|signed in|challenged|enrol|authenticator secret|registered the secret|verified an authenticator"
     r"|verifies|refreshes|can sign in|identity for|ID token|admin flow|in-app page", "client"),
    (r"signs? .*in|signed in|challenged|enrol|authenticator secret|registered the secret|verified an authenticator"
     r"|can sign in|ID token", "flow:ALLOW_USER_PASSWORD_AUTH"),
    (r"refreshes", "flow:ALLOW_REFRESH_TOKEN_AUTH"),
    (r"admin flow", "no-admin-flow"),
    (r"session validity", "session validity"),
    (r"unknown user|wrong password", "user-existence errors"),
    (r"managed login|callback page|in-app page", "managed login"),
    (r"managed login|callback page", "callback URL"),
    (r"identity pool|AWS credentials", "identity pool"),
    (r"demo bucket", "bucket"),
    (r"pool offers optional MFA", "pool MFA:OPTIONAL"),
    (r"narrative found it, without MFA", "pool MFA:OFF"),
    (r"pool requires MFA", "pool MFA:ON"),
]
ONE_TRY = BotoConfig(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=20)
PERSONA = re.compile(r'"([^"]+)"')


def needs_of(steps: list[str], config: Config, tags: set[str] = frozenset()) -> set[str]:
    needs = {"endpoint", "credentials", "pool"}
    for text in steps:
        needs |= {need for pattern, need in NEEDS if re.search(pattern, text, re.IGNORECASE)}
        if re.search(r"wrong password", text):
            continue  # on a real pool never the persona's own account (lockout.py): no password needed
        for name in PERSONA.findall(text):
            if name in config.personas:
                needs |= {f"persona:{name}", f"password:{name}"}
    if "browser" in tags:
        needs |= {"managed login", "callback URL"}
    return needs


@dataclass
class Row:
    need: str
    label: str
    ok: bool | None          # True ok, False missing (skips what needs it), None: shown, not checked
    detail: str
    needed_by: int = 0
    skip_reason: str = ""

    @property
    def status(self) -> str:
        return {True: "ok", False: "MISSING", None: "note"}[self.ok]


@dataclass
class Report:
    target: Target
    rows: dict[str, Row] = field(default_factory=dict)

    def add(self, need: str, label: str, ok: bool | None, detail: str, skip_reason: str = "") -> None:
        self.rows[need] = Row(need, label, ok, detail, skip_reason=skip_reason or f"pre-flight: {label}: {detail}")

    def skip_reason(self, needs: set[str]) -> str | None:
        for need in sorted(needs):
            row = self.rows.get(need)
            if row is not None and row.ok is False:
                return row.skip_reason
        return None

    def count(self, needs_per_scenario: list[set[str]]) -> None:
        for row in self.rows.values():
            row.needed_by = sum(1 for needs in needs_per_scenario if row.need in needs)

    def table(self, total: int) -> str:
        t = self.target
        where = t.endpoint_url or f"AWS {t.region}"
        lines = [f"cognito-harness pre-flight: {total} scenarios, pool {t.user_pool_id} at {where}, "
                 f"changes {'allowed' if t.can_mutate else 'NOT allowed (read-only run)'}"]
        width = max(len(r.label) for r in self.rows.values())
        lines.append(f"  {'what':<{width}}  {'status':<7}  {'needed by':>9}  the target has")
        for row in self.rows.values():
            lines.append(f"  {row.label:<{width}}  {row.status:<7}  {row.needed_by:>9}  {row.detail}")
        return "\n".join(lines)

    @property
    def missing(self) -> list[Row]:
        return [r for r in self.rows.values() if r.ok is False and r.needed_by]


# --- stopping problems: one message, no traceback -------------------------------------------

def reach(target: Target) -> None:
    """The endpoint answers, the credentials are accepted and the pool exists — or one HarnessError."""
    url = target.endpoint_url or f"https://cognito-idp.{target.region}.amazonaws.com"
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=5).close()
    except OSError as err:
        raise HarnessError(f"cannot reach the endpoint {url}: {err.strerror or err} "
                           "(check targets.aws.endpoint_url / region and the network)") from None
    try:
        target.admin().describe_user_pool(UserPoolId=target.user_pool_id)
    except NoCredentialsError:
        raise HarnessError("no AWS credentials for --target aws: set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
                           "AWS_SECRET_ACCESS_KEY (the operator's credentials)") from None
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as err:
        raise HarnessError(f"cannot reach the endpoint {url}: {err}") from None
    except ClientError as err:
        code, message = err.response["Error"].get("Code", ""), err.response["Error"].get("Message", "") or ""
        inner = re.search(r"<Code>([^<]+)</Code>.*?<Message>([^<]*)</Message>", message, re.S)
        if inner:  # an IAM-style XML error body where JSON was expected
            code, message = inner.groups()
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in CREDENTIAL_ERRORS or status in (401, 403):
            raise HarnessError(f"the endpoint {url} refused the credentials: {code}: {message} (check AWS_PROFILE "
                               "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and the IAM policy in the README)") from None
        if code == "ResourceNotFoundException":
            raise HarnessError(f"targets.aws.user_pool_id: no pool {target.user_pool_id} at {url} "
                               f"({message})") from None
        raise HarnessError(f"targets.aws.user_pool_id {target.user_pool_id}: {code}: {message}") from None
    except BotoCoreError as err:
        raise HarnessError(f"the endpoint {url}: {err}") from None


# --- the checks -----------------------------------------------------------------------------

def _error(err: Exception) -> str:
    """One short line: Cognito's code and message (an endpoint's HTML error page cut down)."""
    if isinstance(err, ClientError):
        code = err.response["Error"].get("Code", "")
        message = re.sub(r"<[^>]+>", " ", err.response["Error"].get("Message", "") or "")
        text = f"{code}: {' '.join(message.split())}".strip(": ")
    else:
        text = " ".join(str(err).split())
    return text if len(text) <= 120 else text[:117] + "..."


def _client_of(target: Target, service: str):
    return target.session.client(service, endpoint_url=target.endpoint_url, config=ONE_TRY)


def check(target: Target) -> Report:
    """Everything the specs may need, looked up (`reach` has passed)."""
    config, aws = target.config, target.config.aws
    report = Report(target)
    report.add("endpoint", "endpoint reachable", True, target.endpoint_url or f"AWS {target.region}")
    report.add("credentials", "credentials", True, "accepted")
    pool = target.admin().describe_user_pool(UserPoolId=target.user_pool_id)["UserPool"]
    report.add("pool", "user pool", True, f"{target.user_pool_id} ({pool.get('Name', '?')})")
    _client(target, report, config)
    _managed_login(target, report, pool, aws)
    _identity(target, report, aws, config)
    _personas(target, report, config)
    mfa = target.pool_mfa()
    totp = (mfa.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled")
    state = f"{mfa.get('MfaConfiguration', '?')}{', authenticator apps on' if totp else ''}"
    for mode in ("OFF", "OPTIONAL", "ON"):
        has = mfa.get("MfaConfiguration") == mode and (mode == "OFF" or totp)
        if target.can_mutate or has:
            report.add(f"pool MFA:{mode}", f"pool MFA {mode}", True,
                       state if has else f"{state} (the run sets {mode} and puts it back)")
        else:
            report.add(f"pool MFA:{mode}", f"pool MFA {mode}", False, f"{state}; the run may not change it",
                       skip_reason=f"read-only run: needs the pool's MFA {mode}, it is {state} "
                                   "(targets.aws.allow_mutation is false)")
    return report


def _client(target: Target, report: Report, config: Config) -> None:
    try:
        client = target.admin().describe_user_pool_client(UserPoolId=target.user_pool_id,
                                                          ClientId=target.client_id)["UserPoolClient"]
    except ClientError as err:
        report.add("client", "app client", False, f"{target.client_id}: {_error(err)} (targets.aws.client_id)")
        for need in ("flow:ALLOW_USER_PASSWORD_AUTH", "flow:ALLOW_REFRESH_TOKEN_AUTH", "no-admin-flow",
                     "session validity", "user-existence errors", "callback URL"):
            report.add(need, need.replace("flow:", "auth flow "), False, "no app client to look at")
        return
    if client.get("ClientSecret"):
        report.add("client", "app client", False, f"{target.client_id} has a client secret: the specs sign in "
                                                  "as a public app (create the client without a secret)")
    else:
        report.add("client", "app client", True, f"{target.client_id} ({client.get('ClientName', '?')})")
    flows = set(client.get("ExplicitAuthFlows") or [])
    for flow in ("ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"):
        report.add(f"flow:{flow}", f"auth flow {flow}", flow in flows or (
            flow == "ALLOW_REFRESH_TOKEN_AUTH" and not flows), "enabled" if flow in flows else "not enabled")
    admin = "ALLOW_ADMIN_USER_PASSWORD_AUTH" in flows
    report.add("no-admin-flow", "admin flow disabled", not admin,
               "ALLOW_ADMIN_USER_PASSWORD_AUTH is enabled: the scenario expecting its refusal cannot pass"
               if admin else "ALLOW_ADMIN_USER_PASSWORD_AUTH not enabled")
    want, has = config.app_client.auth_session_validity_minutes, client.get("AuthSessionValidity")
    report.add("session validity", "session validity", has == want,
               f"AuthSessionValidity {has} min" + ("" if has == want else f"; the specs expect {want} min"))
    prevent = client.get("PreventUserExistenceErrors")
    report.add("user-existence errors", "user-existence errors prevented", prevent == "ENABLED",
               f"PreventUserExistenceErrors {prevent or 'not set (LEGACY)'}")
    aws = target.config.aws
    if not aws.managed_login:
        report.add("callback URL", "callback URL", False, "targets.aws.managed_login: false",
                   skip_reason="the target has no managed login (targets.aws.managed_login: false)")
    else:
        urls = client.get("CallbackURLs") or []
        report.add("callback URL", "callback URL", aws.callback_url in urls,
                   aws.callback_url + (" registered" if aws.callback_url in urls
                                       else f" is not among the client's callback URLs {urls}"))


def _managed_login(target: Target, report: Report, pool: dict, aws) -> None:
    if not aws.managed_login:
        report.add("managed login", "managed-login domain", False, "none (targets.aws.managed_login: false)",
                   skip_reason="the target has no managed login (targets.aws.managed_login: false)")
        return
    domain = pool.get("Domain") or pool.get("CustomDomain")
    if not domain:
        report.add("managed login", "managed-login domain", False, "the pool has no domain")
        return
    query = urlencode({"client_id": target.client_id, "response_type": "code", "scope": "openid",
                       "redirect_uri": aws.callback_url})
    url = f"{target.managed_login_url}/login?{query}"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            html = "html" in resp.headers.get("Content-Type", "")
            ok, detail = html, f"{domain}: {target.managed_login_url}/login answers" + ("" if html else " no page")
    except urllib.error.HTTPError as err:
        ok, detail = False, f"{domain}: no managed login served at {target.managed_login_url} (HTTP {err.code})"
    except (OSError, ValueError) as err:
        ok, detail = False, f"{domain}: {target.managed_login_url} not reachable ({err})"
    report.add("managed login", "managed-login domain", ok, detail)


def _identity(target: Target, report: Report, aws, config: Config) -> None:
    if not aws.identity_pool:
        report.add("identity pool", "identity pool + role", False, "none (targets.aws.identity_pool: false)",
                   skip_reason="the target has no identity pool (targets.aws.identity_pool: false)")
    else:
        identity = _client_of(target, "cognito-identity")
        try:
            described = identity.describe_identity_pool(IdentityPoolId=target.identity_pool_id)
            providers = {(p.get("ProviderName"), p.get("ClientId")) for p in described.get("CognitoIdentityProviders", [])}
            if (target.provider_name, target.client_id) not in providers:
                report.add("identity pool", "identity pool + role", False,
                           f"{target.identity_pool_id} does not trust {target.provider_name} / {target.client_id}")
            else:
                try:
                    roles = identity.get_identity_pool_roles(IdentityPoolId=target.identity_pool_id).get("Roles", {})
                    role = roles.get("authenticated")
                    report.add("identity pool", "identity pool + role", bool(role),
                               f"{target.identity_pool_id}, authenticated role {role}" if role
                               else f"{target.identity_pool_id} has no authenticated role")
                except (ClientError, BotoCoreError) as err:
                    report.add("identity pool", "identity pool + role", None,
                               f"{target.identity_pool_id}; its roles could not be read ({_error(err)})")
        except ClientError as err:
            report.add("identity pool", "identity pool + role", False, f"{target.identity_pool_id}: {_error(err)}")
        except BotoCoreError as err:
            report.add("identity pool", "identity pool + role", False, f"not available at this endpoint ({_error(err)})")
    bucket = config.identity_pool.bucket
    if not aws.identity_pool:
        report.add("bucket", "bucket", False, "not needed: no identity pool to list it with",
                   skip_reason="the target has no identity pool (targets.aws.identity_pool: false)")
        return
    try:
        _client_of(target, "s3").head_bucket(Bucket=bucket)
        report.add("bucket", "bucket", True, bucket)
    except ClientError as err:
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        report.add("bucket", "bucket", status == 403,
                   f"{bucket} (exists; not readable with these credentials)" if status == 403
                   else f"{bucket}: not found (identity_pool.bucket)")
    except BotoCoreError as err:
        report.add("bucket", "bucket", False, f"{bucket}: S3 not available at this endpoint ({_error(err)})")


def _personas(target: Target, report: Report, config: Config) -> None:
    for key, persona in config.personas.items():
        env = persona.password_env
        has_password = bool(env and os.environ.get(env))
        report.add(f"password:{key}", f"password of {key}", has_password,
                   f"{env} is set" if has_password else f"{env or 'no password_env'} is not set "
                   f"(personas.{key}.password_env)")
        try:
            user = target.admin().admin_get_user(UserPoolId=target.user_pool_id, Username=persona.email)
        except ClientError as err:
            if err.response["Error"]["Code"] != "UserNotFoundException":
                report.add(f"persona:{key}", f"persona {key}", False, f"{persona.email}: {_error(err)}")
                continue
            user = None
        if persona.existing:
            if user is None:
                report.add(f"persona:{key}", f"persona {key}", False, f"{persona.email} does not exist in the pool")
                continue
            attrs = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
            problems = []
            if attrs.get("email_verified") != "true":
                problems.append("no email_verified attribute" if "email_verified" not in attrs
                                else f"email_verified is {attrs['email_verified']!r}")
            if user.get("UserStatus") != "CONFIRMED" or not user.get("Enabled", True):
                problems.append(f"status {user.get('UserStatus')}, enabled {user.get('Enabled')}")
            if user.get("UserMFASettingList"):
                problems.append(f"has MFA settings {user['UserMFASettingList']} (the specs expect none)")
            report.add(f"persona:{key}", f"persona {key}", not problems,
                       f"{persona.email}: " + ("; ".join(problems) if problems else "confirmed, verified email"))
        elif user is not None and not target.owns_user(persona.email):
            report.add(f"persona:{key}", f"persona {key}", False, f"{persona.email} already exists and the harness "
                       "did not create it (the run creates this user itself)")
        else:
            report.add(f"persona:{key}", f"persona {key}", True, f"{persona.email}: absent, the run creates it"
                       if target.can_mutate else f"{persona.email}: absent (a read-only run cannot create it)")


# --- without pytest: check-config ------------------------------------------------------------

PLACEHOLDERS = {"user_pool_id": r"_EXAMPLE$", "client_id": r"^exampleclientid$",
                "identity_pool_id": r":0{8}-0{4}-0{4}-0{4}-0{12}$", "domain": r"//example\.auth\."}


def offline_problems(config: Config) -> list[str]:
    """What stops a run on the real pool before it reaches the pool: the example's placeholders,
    unset password variables."""
    aws = config.aws
    problems = []
    for key, pattern in PLACEHOLDERS.items():
        value = getattr(aws, key, None)
        if value and re.search(pattern, value):
            problems.append(f"targets.aws.{key}: {value!r} is the example's placeholder (put your pool's value, "
                            "or create a pool with `cognito-harness provision --target aws`)")
    for key, persona in config.personas.items():
        if not persona.password_env:
            problems.append(f"personas.{key}.password_env: not set (the real pool's password comes from a variable)")
        elif not os.environ.get(persona.password_env):
            problems.append(f"personas.{key}.password_env: the environment variable {persona.password_env} is not set")
    return problems


def feature_needs(config: Config, features_dir: str) -> list[set[str]]:
    """The needs of every scenario (and Outline example) of the .feature files in `features_dir`."""
    from pytest_bdd.feature import get_features

    found = []
    for feature in get_features([features_dir]):
        for template in feature.scenarios.values():
            contexts = [c for examples in template.examples for c in examples.as_contexts()] or [{}]
            tags = set(template.tags) | set(feature.tags) | (set(template.rule.tags) if template.rule else set())
            for context in contexts:
                found.append(needs_of([step.name for step in template.render(context).steps], config, tags))
    return found
