"""The real-pool path (`--target aws`), exercised for real: the features run against a
`cognito-harness serve` process through its HTTP endpoint, exactly as they would against
AWS (boto3 default credential chain, passwords from environment variables). Nothing is
mocked: the embedded server plays "a Cognito-compatible endpoint"."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import boto3
import pytest
import yaml

import processes
import real_pool_endpoints as rp

ROOT = Path(__file__).resolve().parents[1]
LEDGERS = Path(tempfile.mkdtemp(prefix="harness-ledgers-"))  # never the project's own ledger


@pytest.fixture
def served(serve_endpoint):
    """The JSON line of the session's `cognito-harness serve` process, its pool's MFA OFF as a
    fresh one has it (test_real_pool_safety.py sets it per test on the same pool)."""
    info = serve_endpoint.info
    idp = boto3.client("cognito-idp", endpoint_url=info["endpoint_url"], region_name=info["region"],
                       aws_access_key_id=info["admin_access_key_id"],
                       aws_secret_access_key=info["admin_secret_access_key"])
    idp.set_user_pool_mfa_config(UserPoolId=info["user_pool_id"], MfaConfiguration="OFF")
    return info


def _aws_config(tmp_path: Path, info: dict, allow_mutation: bool) -> Path:
    data = yaml.safe_load((ROOT / "scenarios.yaml").read_text())
    data["default_target"] = "aws"
    data["targets"]["aws"] = {
        "region": info["region"], "user_pool_id": info["user_pool_id"], "client_id": info["client_id"],
        "identity_pool_id": info["identity_pool_id"], "domain": info["managed_login_url"],
        "callback_url": info["callback_url"], "endpoint_url": info["endpoint_url"],
        "clock_url": info["clock_url"], "allow_mutation": allow_mutation,
    }
    for persona in data["personas"].values():
        persona.pop("password")  # a real pool's passwords never sit in the file
    path = tmp_path / "scenarios.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _env(info: dict, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HARNESS_", "PYTEST_XDIST"))}
    env.update(AWS_ACCESS_KEY_ID=info["admin_access_key_id"], AWS_SECRET_ACCESS_KEY=info["admin_secret_access_key"],
               AWS_DEFAULT_REGION=info["region"], HARNESS_DEMO_PASSWORD="Demo1234pass",
               HARNESS_ADMIN_PASSWORD="Admin1234pass", HARNESS_MFA_PASSWORD="Aaaa1111",
               HARNESS_CONTROL_TOKEN=info["harness_token"],  # the clock_url's controls
               HARNESS_LEDGER=str(LEDGERS / f"ledger-{len(list(LEDGERS.iterdir()))}.json"))
    env.update(extra)
    return env


def _run_features(config: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return processes.run([sys.executable, "-m", "pytest", "features", "--config", str(config), "-q",
                          "-p", "no:cacheprovider", "-m", "not browser", *args],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def _usernames(info: dict) -> set[str]:
    idp = boto3.client("cognito-idp", endpoint_url=info["endpoint_url"], region_name=info["region"],
                       aws_access_key_id=info["admin_access_key_id"],
                       aws_secret_access_key=info["admin_secret_access_key"])
    return {next(a["Value"] for a in u["Attributes"] if a["Name"] == "email")
            for u in idp.list_users(UserPoolId=info["user_pool_id"])["Users"]}


def _clock_offset(info: dict) -> float:
    with urllib.request.urlopen(info["clock_url"], timeout=10) as resp:
        return json.loads(resp.read())["offset"]


def test_the_api_features_pass_through_the_real_pool_path(served, serve_endpoint, tmp_path):
    """Also test_real_pool_safety.py's "a mutating run puts everything back" on this endpoint:
    the whole pool is listed before and after the run and found identical."""
    offset_before = _clock_offset(served)
    before = serve_endpoint.listing()
    env = _env(served)
    result = _run_features(_aws_config(tmp_path, served, allow_mutation=True), env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
    # it was that server the run talked to: its clock was moved for the expiry scenarios
    assert _clock_offset(served) > offset_before
    # the run removed the user it created and left the existing ones alone...
    assert _usernames(served) == {"demo@example.com", "admin@example.com"}
    # ...and put everything else back as it was (pool, MFA, clients, users' settings, identity pool)
    after = serve_endpoint.listing()
    assert before == after, rp.same(before, after)
    assert json.loads(Path(env["HARNESS_LEDGER"]).read_text()) == {}


def test_missing_aws_credentials_are_named_not_a_traceback(served, tmp_path):
    env = _env(served)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(key)
    env.update(AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               AWS_EC2_METADATA_DISABLED="true")
    result = _run_features(_aws_config(tmp_path, served, allow_mutation=True), env, "-x")
    assert "no AWS credentials for --target aws" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_refused_credentials_stop_the_run_with_one_message(served, tmp_path):
    env = _env(served, AWS_SECRET_ACCESS_KEY="not-the-secret", AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    result = _run_features(_aws_config(tmp_path, served, allow_mutation=False), env)
    text = result.stdout + result.stderr
    assert result.returncode == 4, text[-2000:]
    assert re.search(r"refused the credentials: (SignatureDoesNotMatch|InvalidSignatureException): The request "
                     r"signature we calculated", text), text
    assert "Traceback" not in text and len(text.splitlines()) < 12, text


def test_a_missing_password_variable_is_named(served, tmp_path):
    env = _env(served)
    env.pop("HARNESS_DEMO_PASSWORD")
    result = _run_features(_aws_config(tmp_path, served, allow_mutation=True), env, "-rs",
                           "-k", "signs_in_without_being_asked or a_wrong_password_is_refused")
    assert result.returncode == 0, result.stdout[-3000:]
    # pre-flight: the scenario that signs demo in skips with the variable's name; the admin's runs,
    # and so does the wrong-password check, which never uses a person's account on a real pool
    assert "password of demo                    MISSING" in result.stdout
    assert "pre-flight: password of demo: HARNESS_DEMO_PASSWORD is not set (personas.demo.password_env)" \
        in result.stdout
    assert " 1 skipped" in result.stdout and " failed" not in result.stdout.splitlines()[-1]


def test_users_the_run_did_not_create_are_never_modified(served, tmp_path, monkeypatch):
    from cognito_harness import flows
    from cognito_harness.config import load_config
    from cognito_harness.errors import HarnessError
    from cognito_harness.target import aws_target

    for key, value in _env(served).items():
        if key.startswith(("AWS_", "HARNESS_")):
            monkeypatch.setenv(key, value)
    target = aws_target(load_config(_aws_config(tmp_path, served, allow_mutation=True)))
    with pytest.raises(HarnessError, match="did not create that user"):
        flows.admin_prefer_totp(target, "demo@example.com")
    demo = flows.sign_in(target, "demo@example.com", "Demo1234pass")
    with pytest.raises(HarnessError, match="did not create that user"):
        flows.associate(target, demo.tokens["AccessToken"])
    with pytest.raises(HarnessError, match="this run did not create it"):
        target.create_user("demo@example.com", "Demo1234pass")
    assert "UserMFASettingList" not in flows.admin_get_user(target, "demo@example.com").response


def _register_callback(info: dict, where: str) -> str:
    """Registers a callback URL on the client, as an operator would for a real pool: on this
    machine (http://localhost:<free port>/app/hosted-ui-verify.html) or elsewhere (an app's
    own https URL, which the browser cannot even resolve here), and returns it."""
    import socket

    from cognito_harness.config import load_config
    from cognito_harness.embedded.provision import client_definition

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = (f"http://localhost:{port}/app/hosted-ui-verify.html" if where == "local"
           else "https://app.example.invalid/auth/callback")
    definition = client_definition(load_config(ROOT / "scenarios.yaml"), info["user_pool_id"], info["endpoint_url"])
    definition["CallbackURLs"].append(url)
    definition.pop("GenerateSecret")
    idp = boto3.client("cognito-idp", endpoint_url=info["endpoint_url"], region_name=info["region"],
                       aws_access_key_id=info["admin_access_key_id"],
                       aws_secret_access_key=info["admin_secret_access_key"])
    idp.update_user_pool_client(ClientId=info["client_id"], **definition)
    return url


@pytest.mark.parametrize("where", ["local", "remote"])
def test_the_browser_features_pass_through_the_real_pool_path(served, tmp_path, where):
    """The managed login of a 'real' domain. Local callback: the harness serves the
    verification page there. Remote callback: the harness catches the redirect and is the
    callback itself."""
    config = _aws_config(tmp_path, served, allow_mutation=True)
    data = yaml.safe_load(config.read_text())
    data["targets"]["aws"]["callback_url"] = _register_callback(served, where)
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    result = processes.run([sys.executable, "-m", "pytest", "features", "--config", str(config), "-q",
                            "-p", "no:cacheprovider", "-m", "browser"],
                           cwd=ROOT, env=_env(served), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout
    assert _usernames(served) == {"demo@example.com", "admin@example.com"}


def test_an_interrupted_run_is_cleaned_up_by_the_next_one(served, tmp_path, monkeypatch):
    """A run killed before its clean-up leaves its user behind; the next run removes it — and
    leaves alone a same-email user somebody else created since."""
    from cognito_harness.config import load_config
    from cognito_harness.ledger import Ledger
    from cognito_harness.target import aws_target

    env = _env(served, HARNESS_LEDGER=str(tmp_path / "ledger.json"))
    for key, value in env.items():
        if key.startswith(("AWS_", "HARNESS_")):
            monkeypatch.setenv(key, value)
    config = _aws_config(tmp_path, served, allow_mutation=True)
    ledger = Ledger(tmp_path / "ledger.json")
    killed_run = aws_target(load_config(config), ledger)
    killed_run.create_user("demo-with-mfa@example.com", "Aaaa1111")      # ...and then the run was killed
    ledger.add(killed_run.user_pool_id, "someone-else@example.com", "a-user-that-no-longer-exists")
    somebody = killed_run.session.client("cognito-idp", endpoint_url=killed_run.endpoint_url)  # not the harness
    somebody.admin_create_user(UserPoolId=killed_run.user_pool_id, Username="someone-else@example.com",
                               MessageAction="SUPPRESS")
    result = _run_features(config, env, "-k", "a_wrong_password_is_refused")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "undone what an interrupted earlier run changed" in result.stdout
    assert "user demo-with-mfa@example.com: deleted (created by the harness)" in result.stdout
    assert "user someone-else@example.com: left alone (not the user the harness created)" in result.stdout
    users = _usernames(served)
    assert "demo-with-mfa@example.com" not in users and "someone-else@example.com" in users
    assert ledger.entries(killed_run.user_pool_id) == {}
    somebody.admin_delete_user(UserPoolId=killed_run.user_pool_id, Username="someone-else@example.com")
