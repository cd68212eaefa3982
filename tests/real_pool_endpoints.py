"""Endpoints that stand in for a real pool, for the real-pool tests: a plain `moto_server`
(moto's own server, in its own process — an endpoint nobody here wrote) and
`cognito-harness serve`, both provisioned through the public AWS APIs by
`cognito_harness.provisioning` (what `cognito-harness provision` runs). Also: writing a
scenarios.yaml for such an endpoint, running the features against it, listing the pool."""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import boto3
import yaml

import processes

ROOT = Path(__file__).resolve().parents[1]
PASSWORDS = {"HARNESS_DEMO_PASSWORD": "Demo1234pass", "HARNESS_ADMIN_PASSWORD": "Admin1234pass",
             "HARNESS_MFA_PASSWORD": "Aaaa1111"}


@dataclass
class Endpoint:
    kind: str                 # plain-moto | serve
    endpoint_url: str
    region: str
    key_id: str
    secret: str
    world: object = None      # provisioning.World
    clock_url: str | None = None
    harness_token: str | None = None  # serve: the token its /_harness/ controls need
    process: subprocess.Popen | None = None
    info: dict | None = None  # serve: the JSON line it printed

    def session(self) -> boto3.Session:
        return boto3.Session(aws_access_key_id=self.key_id, aws_secret_access_key=self.secret,
                             region_name=self.region)

    def env(self, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HARNESS_", "PYTEST_XDIST"))}
        env.update(AWS_ACCESS_KEY_ID=self.key_id, AWS_SECRET_ACCESS_KEY=self.secret, AWS_DEFAULT_REGION=self.region,
                   AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, **PASSWORDS)
        if self.harness_token:
            env["HARNESS_CONTROL_TOKEN"] = self.harness_token
        env.update(extra)
        return env

    def listing(self) -> dict:
        from cognito_harness.pool_listing import list_pool

        w = self.world
        return list_pool(self.session(), self.endpoint_url, w.user_pool_id, w.identity_pool_id, w.bucket,
                         role_names=(w.role_arn.split("/")[-1],) if w.role_arn else ())


def same(before: dict, after: dict) -> str:
    """'' if two listings are identical, else a unified diff of them."""
    if before == after:
        return ""
    dump = lambda d: json.dumps(d, indent=1, sort_keys=True, default=str).splitlines()  # noqa: E731
    return "\n".join(difflib.unified_diff(dump(before), dump(after), "before", "after", lineterm=""))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited ({proc.returncode})")
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=2).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url}: no answer in {seconds} s")


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def provision(endpoint: Endpoint) -> Endpoint:
    from cognito_harness.config import load_config
    from cognito_harness.provisioning import Provisioner

    saved = {k: os.environ.get(k) for k in PASSWORDS}
    os.environ.update(PASSWORDS)
    try:
        endpoint.world = Provisioner(load_config(ROOT / "scenarios.yaml"), endpoint.session(), endpoint.endpoint_url,
                                     endpoint.region, log=lambda _: None).provision()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return endpoint


@contextlib.contextmanager
def plain_moto(provisioned: bool = True):
    """`python -m moto.server` in its own process (moto's own code only), provisioned."""
    port = free_port()
    proc = processes.start([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(url, proc)
        endpoint = Endpoint("plain-moto", url, "us-east-1", "testing", "testing", process=proc)
        yield provision(endpoint) if provisioned else endpoint
    finally:
        _stop(proc)


@contextlib.contextmanager
def served():
    """`cognito-harness serve` in its own process, as a remote endpoint with a movable clock;
    its world was provisioned by the server through the same public APIs."""
    from cognito_harness.provisioning import World

    proc = processes.start([sys.executable, "-m", "cognito_harness.cli", "serve", "--config",
                            str(ROOT / "scenarios.yaml")], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        world = World(region=info["region"], endpoint_url=info["endpoint_url"], user_pool_id=info["user_pool_id"],
                      client_id=info["client_id"], domain=info["managed_login_url"],
                      identity_pool_id=info["identity_pool_id"], role_arn=info["authenticated_role_arn"],
                      bucket=info["bucket"], callback_url=info["callback_url"])
        yield Endpoint("serve", info["endpoint_url"], info["region"], info["admin_access_key_id"],
                       info["admin_secret_access_key"], world=world, clock_url=info["clock_url"],
                       harness_token=info.get("harness_token"), process=proc, info=info)
    finally:
        _stop(proc)


def config_for(endpoint: Endpoint, tmp_path: Path, allow_mutation: bool, **aws) -> Path:
    """A scenarios.yaml for the endpoint: targets.aws = the provisioned world, no literal passwords."""
    data = yaml.safe_load((ROOT / "scenarios.yaml").read_text())
    data["default_target"] = "aws"
    block = endpoint.world.target_block()
    block.update(allow_mutation=allow_mutation)
    if endpoint.clock_url:
        block["clock_url"] = endpoint.clock_url
    block.update(aws)
    data["targets"]["aws"] = block
    for persona in data["personas"].values():
        persona.pop("password")
    path = tmp_path / "scenarios.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run_features(config: Path, env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return processes.run([sys.executable, "-m", "pytest", "features", "--config", str(config), "-q",
                          "-p", "no:cacheprovider", *args],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
