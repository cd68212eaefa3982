"""The embedded target: one HTTP endpoint on 127.0.0.1 that answers Cognito IDP,
Cognito Identity, STS, IAM and S3 (moto + the fidelity layer), the managed-login
emulator and the harness controls; provisioned with the narrative's starting world.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field

from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from werkzeug.serving import make_server

from ..config import Config
from ..errors import HarnessError
from . import guard, install, keep_alive, moto_speed, rules
from .app import HarnessApp
from .starting_world import StartingWorld

ADMIN_USER = "cognito-harness-admin"


@dataclass
class ServerInfo:
    endpoint_url: str
    region: str
    user_pool_id: str = ""
    client_id: str = ""
    identity_pool_id: str = ""
    bucket: str = ""
    managed_login_url: str = ""
    callback_url: str = ""
    account_id: str = DEFAULT_ACCOUNT_ID
    admin_access_key_id: str = ""
    admin_secret_access_key: str = ""
    authenticated_role_arn: str = ""
    login_style: str = "classic"
    authenticator_issuer: str = "cognito-demo"
    clock_url: str = ""
    # sent as X-Harness-Token with every change to a /_harness/ control (guard.py); only in
    # this printed line, never in GET /_harness/info
    harness_token: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items() if k != "extra"}
        data.update(self.extra)
        return data


def _listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as err:
        sock.close()
        raise HarnessError(
            f"cannot serve the embedded pool on {host}:{port} ({err.strerror or err}): free the port, or "
            "choose another with `cognito-harness serve --port N` or targets.embedded.port in "
            "scenarios.yaml (0 picks a free port)") from None
    return sock


class _HarnessMotoServer(ThreadedMotoServer):
    """moto's threaded server with the harness's WSGI front (see app.py), keeping HTTP/1.1
    connections open between requests (keep_alive.py)."""

    def __init__(self, host: str, port: int, front_factory):
        """Binds the port at once (HarnessError if it is taken), and not in moto's serving
        thread: werkzeug's make_server answers a taken port with `sys.exit(1)`, which in a
        thread ends only that thread and left `serve` (and a run's start) waiting for ever."""
        self._socket = _listening_socket(host, port)
        super().__init__(ip_address=host, port=self._socket.getsockname()[1], verbose=False)
        self._front_factory = front_factory

    def start(self) -> None:
        app = self._front_factory(DomainDispatcherApplication(moto_speed.create_backend_app))
        sock, self._socket = self._socket, None
        try:
            self._server = make_server(self._ip_address, sock.getsockname()[1], app, True,
                                       request_handler=keep_alive.KeepAliveHandler, fd=sock.fileno())
        finally:
            sock.close()  # werkzeug serves on its own duplicate of the socket
        self._thread = threading.Thread(target=self._server_entry, name="embedded-server", daemon=True)
        self._thread.start()
        self._server_ready_event.set()

    def close_unstarted(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _server_entry(self) -> None:
        # stop() waits for the loop to look at its flag: every 50 ms, not moto's 500 ms
        self._server.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        server = self._server
        super().stop()
        if server is not None:
            keep_alive.close_all(server)  # no kept connection answers once stopped


class EmbeddedServer:
    def __init__(self, config: Config, port: int | None = None, host: str = "127.0.0.1",
                 fidelity: bool = True, expose_moto_api: bool = False):
        """fidelity=False serves plain moto (no rules, no identity handler, no managed
        login): only for showing which scenarios plain moto would let pass or fail.
        expose_moto_api=True serves moto's /moto-api/ (data.json: every user's password,
        every live token, the admin key; reset; seed) on the port: debugging only."""
        self.config = config
        self.expose_moto_api = expose_moto_api
        self.fidelity = fidelity
        self.host = host
        self.port = config.embedded.port if port is None else port
        self._server: _HarnessMotoServer | None = None
        self.info: ServerInfo | None = None
        self.start_seconds = 0.0
        self.starting_world: StartingWorld | None = None

    def _make_front(self, moto_app):
        set_style = lambda style: setattr(self.info, "login_style", style)  # noqa: E731
        if not self.fidelity:
            return HarnessApp(moto_app, self._info_dict, None, fidelity=False, set_login_style=set_style,
                              expose_moto_api=self.expose_moto_api,
                              reset=self.reset)
        from ..managed_login import create_app  # the emulator: part of the package, never optional

        managed_login = create_app(self._info_dict, login_style=self.config.embedded.login_style)
        return HarnessApp(moto_app, self._info_dict, managed_login,
                          set_login_style=set_style, expose_moto_api=self.expose_moto_api,
                          reset=self.reset)

    def _info_dict(self) -> dict:
        return self.info.as_dict() if self.info else {}

    def start(self) -> ServerInfo:
        started = time.perf_counter()
        emb = self.config.embedded
        server = _HarnessMotoServer(self.host, self.port, self._make_front)  # first: a taken port changes nothing
        try:
            moto_speed.install()
            if self.fidelity:
                install.install(rules.Choices(**vars(emb.undocumented)), enforce_iam=False)
            else:
                install.uninstall()
        except BaseException:
            server.close_unstarted()
            raise
        self._server = server
        self._server.start()
        host, port = self._server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        key_id, secret = _create_admin_identity()
        self.info = ServerInfo(endpoint_url=endpoint, region=emb.region, admin_access_key_id=key_id,
                               admin_secret_access_key=secret, managed_login_url=endpoint,
                               login_style=emb.login_style, clock_url=f"{endpoint}/_harness/clock",
                               authenticator_issuer=self.config.authenticator.issuer,
                               harness_token=guard.new_token())
        install.set_iam_enforcement(emb.enforce_iam and self.fidelity)
        from .provision import provision_world
        provision_world(self.config, self.info, self.fidelity)
        self.starting_world = StartingWorld.take(self.info.user_pool_id, self.info.identity_pool_id)
        self.start_seconds = time.perf_counter() - started
        _IN_THIS_PROCESS[endpoint] = self
        return self.info

    def reset(self) -> dict:
        """Back to the narrative's starting world (POST /_harness/reset): the pool and its
        users as provisioned (starting_world.py) and the configured login look."""
        if self.starting_world is None:
            raise RuntimeError("the server has not provisioned its world yet")
        undone = self.starting_world.restore()
        self.info.login_style = self.config.embedded.login_style
        return {**undone, "login_style": self.info.login_style}

    def stop(self) -> None:
        if self.info is not None and _IN_THIS_PROCESS.get(self.info.endpoint_url) is self:
            del _IN_THIS_PROCESS[self.info.endpoint_url]
        if self._server is not None:
            self._server.stop()
            self._server = None
        install.set_iam_enforcement(False)

    def __enter__(self) -> ServerInfo:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


_IN_THIS_PROCESS: dict[str, EmbeddedServer] = {}  # endpoint URL -> the started server


def serving_here(endpoint_url: str) -> EmbeddedServer | None:
    """The embedded server answering endpoint_url if it runs in this process (the pytest
    plugin's, a worker's own), else None (`cognito-harness serve` elsewhere, or stopped)."""
    return _IN_THIS_PROCESS.get(endpoint_url)


def _create_admin_identity() -> tuple[str, str]:
    """An IAM user with an all-actions policy: the key pair admin calls are signed with.
    One user per server, so servers sharing a process keep their own keys."""
    iam = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
    name = f"{ADMIN_USER}-{len([u for u in iam.users if u.startswith(ADMIN_USER)]) + 1}"
    iam.create_user(region_name="us-east-1", user_name=name)
    iam.put_user_policy(name, "harness-admin", json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }))
    key = iam.create_access_key(name)
    return key.access_key_id, key.secret_access_key
