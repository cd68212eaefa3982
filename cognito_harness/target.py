"""The target seam: one interface over the embedded pool and a real (or any
Cognito-compatible) pool. Steps and flows only ever talk to a `Target`.

A real pool is someone's production-like system: the run only creates users when
scenarios.yaml allows it (`targets.aws.allow_mutation`), remembers what it created and
removes it at the end — even after a failure — and never modifies anyone else.
"""

from __future__ import annotations

import copy
import http.client
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError

from .aws_clients import RETRIES, admin_session, credentials_client, public_client
from .clock import CLOCK
from .config import Config
from .errors import HarnessError
from .gate import MutationGate, MutationRefused, UnsafeChangeRefused
from .ledger import Ledger


def seconds_text(seconds: float) -> str:
    """'0.4 s', '7.5 s', '181 s': a sub-second wait is never shown as '0 s'."""
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"


class TargetClock:
    """Real time. On a real pool the harness waits only when Cognito forces it, and says so
    (through `announce`, which the pytest plugin points at the terminal)."""

    def __init__(self) -> None:
        self.announce = lambda text: print(text, file=sys.stderr, flush=True)
        self.waited: list[tuple[float, str]] = []

    def now(self) -> float:
        return time.time()

    def advance(self, seconds: float, reason: str) -> None:
        if seconds <= 0:
            return
        self.announce(f"[cognito-harness] waiting {seconds_text(seconds)} on the real pool: {reason}")
        self.waited.append((seconds, reason))
        time.sleep(seconds)

    @property
    def controllable(self) -> bool:
        return False


HARNESS_TOKEN_ENV = "HARNESS_CONTROL_TOKEN"  # targets.aws.clock_url: the serving harness's token


def harness_control(url: str, token: str | None, body: dict | None = None) -> dict:
    """GET (body None) or POST a JSON body to one of the embedded server's /_harness/
    controls, with the server's token (embedded/guard.py). Over a connection kept open per
    thread and server (a scenario makes ~4 such calls: resets, clock reads)."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Harness-Token"] = token
    status, payload = _CONTROLS.send(url, "GET" if data is None else "POST", data, headers)
    if status >= 400:
        detail = payload.decode("utf-8", "replace")[:300]
        hint = (f" (set {HARNESS_TOKEN_ENV} to the harness_token the server printed)"
                if status == 403 and not token else "")
        raise HarnessError(f"{url} answered {status}: {detail}{hint}")
    return json.loads(payload)


class _KeptConnections(threading.local):
    """One HTTP connection per thread and scheme://host:port, reused while the server keeps it
    open. A request that finds its reused connection closed under it (the server closed it
    as idle just then: nothing was answered) is sent once more on a new one."""

    def __init__(self) -> None:
        self.open: dict[tuple[str, str], http.client.HTTPConnection] = {}

    def send(self, url: str, method: str, data: bytes | None, headers: dict) -> tuple[int, bytes]:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        for attempt in (1, 2):
            conn = self.open.pop(key, None)
            reused = conn is not None
            if conn is None:
                kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
                conn = kind(parts.netloc, timeout=10)
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as err:
                conn.close()
                if reused and attempt == 1:
                    continue
                raise HarnessError(f"{url}: the embedded server closed the connection ({err})") from None
            except (OSError, http.client.HTTPException) as err:
                conn.close()
                raise HarnessError(f"cannot reach {url}: {err}") from None
            if resp.will_close:
                conn.close()
            else:
                self.open[key] = conn
            return resp.status, payload
        raise AssertionError("unreachable")


_CONTROLS = _KeptConnections()


class EmbeddedClock(TargetClock):
    """The embedded server's clock, read and moved over its HTTP control."""

    def __init__(self, clock_url: str, token: str | None = None):
        super().__init__()
        self.clock_url = clock_url
        self.token = token

    def _call(self, body: dict | None = None) -> dict:
        return harness_control(self.clock_url, self.token, body)

    def now(self) -> float:
        return float(self._call()["now"])

    def advance(self, seconds: float, reason: str) -> None:
        if seconds > 0:
            self._call({"advance": seconds})

    @property
    def controllable(self) -> bool:
        return True


class InProcessClock(EmbeddedClock):
    """The clock of an embedded server running in this process: the very clock its
    /_harness/clock control reads and moves (cognito_harness.clock.CLOCK), without a round
    trip to it."""

    def now(self) -> float:
        return CLOCK.now()

    def advance(self, seconds: float, reason: str) -> None:
        if seconds > 0:
            try:
                CLOCK.advance(seconds)
            except ValueError as err:
                raise HarnessError(f"the embedded clock cannot move {seconds} s forward: {err}") from None


@dataclass
class Target:
    name: str
    config: Config
    region: str
    user_pool_id: str
    client_id: str
    identity_pool_id: str
    endpoint_url: str | None
    managed_login_url: str
    callback_url: str
    clock: TargetClock
    session: boto3.Session
    can_mutate: bool
    login_style: str = "classic"
    login_selectors: dict = field(default_factory=dict)
    created_users: list[str] = field(default_factory=list)
    created_usernames: set[str] = field(default_factory=set)
    ledger: Ledger | None = None  # real pools: every change the harness made, kept across runs
    harness_url: str | None = None  # embedded target: its /_harness controls
    harness_token: str | None = field(default=None, repr=False)  # their X-Harness-Token
    _clients: dict = field(default_factory=dict, repr=False)
    _pool_mfa: PoolMfaKnowledge = field(default=None, repr=False)  # embedded target: see pool_mfa_for_given
    # embedded target whose server runs in this process: its reset, called without HTTP
    local_reset: Callable[[], dict] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.gate = MutationGate(self)
        self._pool_mfa = PoolMfaKnowledge(self.user_pool_id)
        if self.ledger is None and not self.is_embedded:
            self.ledger = Ledger(None)

    # --- clients: on a real pool every one of them goes through the mutation gate ----------

    @property
    def is_embedded(self) -> bool:
        return self.name == "embedded"

    def _client(self, key: str, make):
        if key not in self._clients:
            client = make()
            if not self.is_embedded:
                self.gate.attach(client)
            elif key == "admin":
                self._pool_mfa.attach(client)
            self._clients[key] = client
        return self._clients[key]

    def admin(self):
        """cognito-idp signed with the operator's credentials."""
        return self._client("admin", lambda: self.session.client("cognito-idp", endpoint_url=self.endpoint_url,
                                                                  config=RETRIES))

    def app(self):
        """cognito-idp as an app calls it: no AWS credentials."""
        return self._client("app", lambda: public_client("cognito-idp", self.region, self.endpoint_url))

    def identity(self):
        return self._client("identity", lambda: public_client("cognito-identity", self.region, self.endpoint_url))

    def s3_with(self, credentials: dict):
        client = credentials_client("s3", self.region, self.endpoint_url, credentials)
        return client if self.is_embedded else self.gate.attach(client)

    def admin_s3(self):
        """S3 with the operator's credentials (the restore's clean-up of a write probe)."""
        return self._client("admin_s3", lambda: self.session.client("s3", endpoint_url=self.endpoint_url,
                                                                     config=RETRIES))

    def warm_up(self) -> None:
        """Creates the clients every scenario uses and reads the S3 model (for the clients
        signed with identity-pool credentials), so that no scenario pays for it. No call
        is made."""
        self.admin(), self.app(), self.identity()
        credentials_client("s3", self.region, self.endpoint_url,
                           {"AccessKeyId": "warm-up", "SecretKey": "warm-up", "SessionToken": "warm-up"})

    @property
    def provider_name(self) -> str:
        return f"cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    # --- changes (checked by the gate, gate.py) ------------------------------------------

    def require_mutation(self, what: str) -> None:
        if not self.can_mutate:
            raise MutationRefused(f"needs to change the pool ({what}), and scenarios.yaml "
                                  f"targets.aws.allow_mutation is false for {self.user_pool_id}")

    def owns_user(self, who: str | None) -> bool:
        """A user this run created, or one an interrupted run created (in the ledger)."""
        if self.is_embedded:
            return True
        if not who:
            return False
        if who in self.created_users or who in self.created_usernames:
            return True
        recorded = self.ledger.entries(self.user_pool_id) if self.ledger is not None else {}
        return who in recorded or who in {name for name in recorded.values() if name}

    def user_was_created(self, email: str, username: str) -> None:
        """Called by the gate with Cognito's answer to AdminCreateUser."""
        if email not in self.created_users:
            self.created_users.append(email)
        self.created_usernames.add(username)
        if self.ledger is not None:
            self.ledger.user_created(self.user_pool_id, email, username)

    def create_user(self, email: str, password: str) -> None:
        """Creates a user the way the narrative does and remembers it for clean-up; a user of
        that name is replaced. On a real pool the harness first looks whether the user exists
        (it never replaces one this run did not create); the embedded pool is the harness's
        own, so there it creates at once and replaces only when told the name is taken."""
        admin = self.admin()
        if self.is_embedded:
            try:
                created = self._admin_create_user(email)
            except ClientError as err:
                if err.response["Error"]["Code"] != "UsernameExistsException":
                    raise
                self.delete_user(email)
                created = self._admin_create_user(email)
        else:
            try:
                admin.admin_get_user(UserPoolId=self.user_pool_id, Username=email)
                exists = True
            except ClientError as err:
                if err.response["Error"]["Code"] != "UserNotFoundException":
                    raise
                exists = False
            if exists:
                if email not in self.created_users:
                    raise HarnessError(f"the user {email} already exists in {self.user_pool_id} and this run did not "
                                       "create it: the harness never modifies users it did not create")
                self.delete_user(email)
            created = self._admin_create_user(email)
        self.user_was_created(email, created["User"]["Username"])
        admin.admin_set_user_password(UserPoolId=self.user_pool_id, Username=email, Password=password, Permanent=True)

    def _admin_create_user(self, email: str) -> dict:
        return self.admin().admin_create_user(
            UserPoolId=self.user_pool_id, Username=email, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}])

    def require_own_user(self, what: str, email: str | None = None, username: str | None = None) -> None:
        """On a real pool, only users this run created may be changed."""
        if not (self.owns_user(email) or self.owns_user(username)):
            raise UnsafeChangeRefused(f"refusing to {what} for {email or username}: this run did not create that "
                                      "user, and the harness never modifies users it did not create")

    def delete_user(self, email: str) -> bool:
        """Deletes a user this run created (False if it was already gone)."""
        try:
            self.admin().admin_delete_user(UserPoolId=self.user_pool_id, Username=email)
            gone = True
        except ClientError as err:
            if err.response["Error"]["Code"] != "UserNotFoundException":
                raise
            gone = False
        if email in self.created_users:
            self.created_users.remove(email)
        if self.ledger is not None:
            self.ledger.remove(self.user_pool_id, email)
        return gone

    def delete_created_users(self) -> list[str]:
        return [email for email in list(self.created_users) if self.delete_user(email)]

    def set_login_style(self, style: str) -> None:
        """Embedded target only: the managed login's look (classic | managed)."""
        if not self.harness_url:
            raise HarnessError("the managed login's look can only be switched on the embedded target")
        harness_control(f"{self.harness_url}/login-style", self.harness_token, {"style": style})
        self.login_style = style

    def reset_to_starting_world(self) -> dict:
        """Embedded target only: the narrative's starting world again (POST /_harness/reset)."""
        if not self.harness_url:
            raise HarnessError("only the embedded target can be reset to the starting world")
        self._pool_mfa.forget()
        if self.local_reset is not None:  # the server's own reset, which POST /_harness/reset calls
            undone = self.local_reset()
        else:
            undone = harness_control(f"{self.harness_url}/reset", self.harness_token, {})
        self._pool_mfa.reset()
        self.created_users.clear()
        self.created_usernames.clear()
        self.login_style = undone.get("login_style", self.login_style)
        return undone

    def pool_mfa(self) -> dict:
        out = self.admin().get_user_pool_mfa_config(UserPoolId=self.user_pool_id)
        out.pop("ResponseMetadata", None)
        return out

    def pool_mfa_for_given(self) -> dict:
        """The pool's MFA configuration, for a Given deciding whether it must change it. On
        the embedded target, without a call when the harness knows it (PoolMfaKnowledge):
        the starting world's right after a reset, or Cognito's last answer about it (a
        GetUserPoolMfaConfig or SetUserPoolMfaConfig) with nothing since that could change it.
        Otherwise (a real pool, or anything unknown) it is read. Never for a step that
        checks what Cognito answers: those call get_user_pool_mfa_config themselves."""
        if self.is_embedded:
            self.admin()  # its answers are what the knowledge is made of
            known = self._pool_mfa.known()
            if known is not None:
                return known
        return self.pool_mfa()

    def set_pool_mfa(self, mode: str, totp: bool) -> dict:
        args = {"UserPoolId": self.user_pool_id, "MfaConfiguration": mode,
                "SoftwareTokenMfaConfiguration": {"Enabled": totp}}
        out = self.admin().set_user_pool_mfa_config(**args)
        out.pop("ResponseMetadata", None)
        return out

    def restore_pool_mfa(self, previous: dict) -> dict:
        """Puts the whole MFA configuration back as `previous` (a GetUserPoolMfaConfig answer).

        Sent as it was first; an endpoint that keeps a factor the answer did not mention
        (cognito-local keeps authenticator apps on when only OFF is sent) is then told
        explicitly that the factor is off. Returns the configuration read back."""
        if self.pool_mfa() == previous:
            return previous
        args = {"UserPoolId": self.user_pool_id, "MfaConfiguration": previous.get("MfaConfiguration", "OFF")}
        args.update({k: v for k, v in previous.items() if k in MFA_FACTORS})
        self.admin().set_user_pool_mfa_config(**args)
        now = self.pool_mfa()
        if not same_mfa(now, previous) and "SoftwareTokenMfaConfiguration" not in previous:
            self.admin().set_user_pool_mfa_config(**args, SoftwareTokenMfaConfiguration={"Enabled": False})
            now = self.pool_mfa()
        return now


class PoolMfaKnowledge:
    """What the embedded pool's MFA configuration is, as far as the harness's operator client
    (the only client whose calls can change a pool's configuration) has seen, so that a
    Given needs no GetUserPoolMfaConfig to know it.

    - Cognito's answer to a GetUserPoolMfaConfig or SetUserPoolMfaConfig of this pool is the
      configuration (on the embedded pool a Set answers exactly what a Get then reads:
      tests/test_embedded_speed.py);
    - any other call of the operator's client that could change a pool (any operation but
      Admin*, Get*, Describe*, List* — those act on users or only read), or a call whose
      answer was not seen (an error, a refusal), makes it unknown until the next answer;
    - `POST /_harness/reset` puts the starting world back: its configuration is the one
      first read after a reset with nothing changed since, remembered for the later resets.
    """

    _UNCHANGING = ("Admin", "Get", "Describe", "List")
    _ANSWERS = ("GetUserPoolMfaConfig", "SetUserPoolMfaConfig")

    def __init__(self, user_pool_id: str) -> None:
        self.user_pool_id = user_pool_id
        self._now: dict | None = None
        self._after_reset: dict | None = None
        self._since_reset = False  # nothing that could change it since the last reset

    def attach(self, client) -> None:
        client.meta.events.register("before-parameter-build.cognito-idp", self._before_call)
        client.meta.events.register("after-call.cognito-idp", self._after_call)

    def known(self) -> dict | None:
        return copy.deepcopy(self._now)

    def forget(self) -> None:
        self._now, self._since_reset = None, False

    def reset(self) -> None:
        self._now, self._since_reset = copy.deepcopy(self._after_reset), True

    def _before_call(self, params, model, context, **_) -> None:
        ours = params.get("UserPoolId") == self.user_pool_id
        context["harness_pool_mfa"] = ours and model.name in self._ANSWERS
        if model.name == "GetUserPoolMfaConfig" and ours:
            self._now = None  # until its answer is seen
        elif not model.name.startswith(self._UNCHANGING):
            self.forget()

    def _after_call(self, http_response, parsed, model, context, **_) -> None:
        if not context.get("harness_pool_mfa") or http_response.status_code != 200:
            return
        answer = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
        self._now = copy.deepcopy(answer)
        if self._since_reset and model.name == "GetUserPoolMfaConfig":
            self._after_reset = copy.deepcopy(answer)


MFA_FACTORS = ("SmsMfaConfiguration", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration",
               "WebAuthnConfiguration")


def same_mfa(a: dict, b: dict) -> bool:
    """Two MFA configurations with the same effect: a factor shown as {"Enabled": false} is
    the same as a factor not shown (an endpoint that never forgets a factor shows the former)."""
    def effective(config: dict) -> dict:
        return {k: v for k, v in config.items() if v != {"Enabled": False}}
    return effective(a) == effective(b)


def embedded_target(config: Config, info) -> Target:
    """The target of an embedded server; when that server runs in this process (the pytest
    plugin starts it so), its clock and reset are called directly rather than over HTTP
    (the same clock object and reset function its /_harness/ controls call)."""
    from .embedded.server import serving_here

    here = serving_here(info.endpoint_url)
    clock_kind = InProcessClock if here is not None else EmbeddedClock
    return Target(
        name="embedded", config=config, region=info.region, user_pool_id=info.user_pool_id,
        client_id=info.client_id, identity_pool_id=info.identity_pool_id, endpoint_url=info.endpoint_url,
        managed_login_url=info.managed_login_url, callback_url=info.callback_url,
        clock=clock_kind(info.clock_url, info.harness_token),
        session=admin_session(info.region, info.admin_access_key_id, info.admin_secret_access_key),
        can_mutate=True, login_style=info.login_style, harness_url=info.endpoint_url + "/_harness",
        harness_token=info.harness_token, local_reset=here.reset if here is not None else None,
    )


def aws_target(config: Config, ledger: Ledger | None = None, check: bool = True) -> Target:
    aws = config.aws
    if aws is None:
        raise HarnessError("scenarios.yaml: targets.aws: expected a section describing the real pool (--target aws)")
    session = boto3.Session(region_name=aws.region)
    try:
        if session.get_credentials() is None:
            raise NoCredentialsError()
    except NoCredentialsError:
        raise HarnessError(
            "no AWS credentials for --target aws: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
            "(the operator's credentials, allowed cognito-idp:Admin* on the pool)") from None
    target = Target(
        name="aws", config=config, region=aws.region, user_pool_id=aws.user_pool_id, client_id=aws.client_id,
        identity_pool_id=aws.identity_pool_id or "", endpoint_url=aws.endpoint_url,
        managed_login_url=(aws.domain or "").rstrip("/"), callback_url=aws.callback_url or "",
        clock=EmbeddedClock(aws.clock_url, os.environ.get(HARNESS_TOKEN_ENV)) if aws.clock_url else TargetClock(),
        session=session, can_mutate=aws.allow_mutation, login_selectors=dict(aws.login_selectors),
        ledger=ledger,
    )
    if check:
        from .preflight import reach

        reach(target)  # one message, no traceback: unreachable endpoint, refused credentials, no such pool
    return target
