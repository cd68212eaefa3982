"""Fixtures shared by the unit tests under tests/.

The root conftest.py registers the harness plugins (options, `embedded_server`, steps);
this file must not register them again. It adds:

- `embedded`: the session's embedded server (the plugin's `embedded_server`), so there is
  one faithful server per process — a second `EmbeddedServer` in the same process would
  wipe the first one's moto state (install() drops it) and turn IAM enforcement off when
  it stops;
- a bytecode cache for the `pytest`/`cognito-harness serve` processes the tests start (see
  `_bytecode_cache_for_subprocesses`);
- the `plain_moto_fails(reason)` marker: on a test that runs against both the faithful
  target and plain moto (the `world` fixture of test_fidelity_rules.py), the plain-moto
  variant becomes `xfail(strict=True)`, which proves plain moto breaks the rule.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request

import pytest


_SAVED_ENV: dict[str, str | None] = {}


def _bytecode_cache_for_subprocesses() -> None:
    """Many tests start `pytest features` or `cognito-harness serve` in a process of its own.
    With PYTHONDONTWRITEBYTECODE set (as on this machine) Python writes no .pyc files, so each
    of those processes compiled the harness, the steps and the conftest from source, and
    pytest re-did its assertion rewriting of every plugin module: ~0.8 s of CPU per process.
    Those processes get PYTHONPYCACHEPREFIX instead (a cache folder outside the checkout, so
    the checkout stays free of .pyc files as the variable intended): the first one writes
    the bytecode there, the others read it. Nothing a test checks depends on it."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    _SAVED_ENV.update(PYTHONDONTWRITEBYTECODE=os.environ.pop("PYTHONDONTWRITEBYTECODE"), PYTHONPYCACHEPREFIX=None)
    os.environ["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), f"cognito-harness-pycache-{os.getuid()}")


def pytest_unconfigure(config):
    # the warm process starter (processes.py), if a test started one, stops with the session,
    # so it and the processes it forked are waited for (their CPU counted) before pytest exits
    # — an xdist worker too
    started = sys.modules.get("processes")
    if started is not None:
        started.stop()
    for key, value in _SAVED_ENV.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    _SAVED_ENV.clear()


def pytest_configure(config):
    _bytecode_cache_for_subprocesses()
    config.addinivalue_line(
        "markers",
        "plain_moto_fails(reason): the plain-moto variant of this test is xfail(strict=True) with "
        "'plain moto: <reason>' — the rule is broken on plain moto 5.2.5",
    )
    config.addinivalue_line(
        "markers", "plain_moto_agrees: plain moto already behaves like Cognito for this rule (no xfail)")


def pytest_collection_modifyitems(config, items):
    _keep_module_scoped_worlds_together(items)
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or callspec.params.get("world") != "plain-moto":
            continue
        marker = item.get_closest_marker("plain_moto_fails")
        if marker is not None:
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"plain moto: {reason}"))


def _keep_module_scoped_worlds_together(items) -> None:
    """pytest-randomly shuffles the tests of a module (before this hook runs); the `world`
    of test_fidelity_rules.py is module-scoped and parametrized (faithful / plain-moto), so a
    shuffled module would build and tear down a world, and swap moto's fidelity layer out and
    in, at every switch. A stable sort by that parameter, within each module, keeps the
    random order inside each group."""
    def world_param(item) -> str:
        callspec = getattr(item, "callspec", None)
        return "" if callspec is None else str(callspec.params.get("world", ""))

    start = 0
    while start < len(items):
        module = getattr(items[start], "module", None)
        end = start
        while end < len(items) and getattr(items[end], "module", None) is module:
            end += 1
        items[start:end] = sorted(items[start:end], key=world_param)
        start = end


@pytest.fixture(scope="session")
def serve_endpoint():
    """`cognito-harness serve` in its own process, standing in for a real pool: one for the
    session, shared by test_real_pool_path.py and test_real_pool_safety.py,
    which each put back what they change and compare the pool before and after. It must exit
    0 on SIGTERM."""
    import real_pool_endpoints as rp

    with rp.served() as started:
        yield started
    assert started.process.returncode == 0, f"serve must exit 0 on SIGTERM, not {started.process.returncode}"


@pytest.fixture(scope="session")
def idp_clients(embedded):
    """(admin, app) cognito-idp clients of the session's embedded server: admin signed with its
    key pair, app unsigned as an app calls; no retries, so a refusal is seen once."""
    from botocore import UNSIGNED
    from botocore.config import Config as BotoConfig

    import boto3

    no_retries = BotoConfig(retries={"max_attempts": 1, "mode": "standard"})
    session = boto3.Session(aws_access_key_id=embedded.admin_access_key_id,
                            aws_secret_access_key=embedded.admin_secret_access_key, region_name=embedded.region)
    admin = session.client("cognito-idp", endpoint_url=embedded.endpoint_url, config=no_retries)
    app = boto3.client("cognito-idp", region_name=embedded.region, endpoint_url=embedded.endpoint_url,
                       config=no_retries.merge(BotoConfig(signature_version=UNSIGNED)))
    return admin, app


@pytest.fixture(scope="session")
def embedded(embedded_server):
    """The ServerInfo of the session's embedded server (started once, shared with features/)."""
    return embedded_server.info


def http_json(url: str, body: object | None = None, method: str | None = None,
              raw: bytes | None = None, token: str | None = None,
              content_type: str = "application/json") -> tuple[int, dict]:
    """(status, JSON body) of a plain HTTP call; errors are returned, not raised. `token`:
    the server's harness_token, sent as X-Harness-Token (the /_harness/ controls need it)."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    headers = {"Content-Type": content_type}
    if token:
        headers["X-Harness-Token"] = token
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"),
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


@pytest.fixture(scope="session")
def http(embedded):
    """http_json with the session server's harness token."""
    return functools.partial(http_json, token=embedded.harness_token)
