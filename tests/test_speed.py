"""What makes the run fast, and the flake hunt's clock option (issue 9): each rule here
fails when its speed-up or option is taken out."""

from __future__ import annotations

import os
import threading
import time

import boto3
import pytest

from cognito_harness import botocore_cache, startup
from cognito_harness.aws_clients import credentials_client


def test_every_botocore_session_reads_the_service_models_through_one_loader():
    a, b = boto3.Session(region_name="us-east-1"), boto3.Session(region_name="eu-west-1")
    loader = a._session.get_component("data_loader")
    assert loader is b._session.get_component("data_loader") is botocore_cache.shared_loader()
    assert loader.search_paths.count(loader.search_paths[-1]) == 1, "boto3's data folder added once, not per session"


def test_moto_reads_its_package_folder_once(embedded, monkeypatch):
    from moto import backends

    first = list(backends.list_of_moto_modules())
    assert "cognitoidp" in first and "s3" in first
    monkeypatch.setattr(os, "listdir", lambda *a: pytest.fail("moto listed its folder again"))
    assert list(backends.list_of_moto_modules()) == first


def test_the_target_is_warm_before_any_scenario_uses_it(target):
    """The session's target has its clients, and the S3 model the identity-pool clients need
    is already read: creating one parses nothing."""
    assert {"admin", "app", "identity"} <= set(target._clients)
    loader = botocore_cache.shared_loader()
    assert any(k[:2] == ("load_service_model", "s3") for k in loader._cache)
    t0 = time.perf_counter()
    credentials_client("s3", target.region, target.endpoint_url,
                       {"AccessKeyId": "k", "SecretKey": "s", "SessionToken": "t"})
    assert time.perf_counter() - t0 < 2.0


def test_a_background_start_hands_over_its_server_or_its_error():
    class Server:
        started = stopped = False

        def start(self):
            self.started = threading.current_thread() is not threading.main_thread()

        def stop(self):
            self.stopped = True

    starting = startup.BackgroundStart(Server())
    assert starting.wait().started, "start() ran on the background thread"
    starting.stop()
    assert starting.server.stopped

    class Broken(Server):
        def start(self):
            raise RuntimeError("port in use")

    with pytest.raises(RuntimeError, match="port in use"):
        startup.BackgroundStart(Broken()).wait()


@pytest.mark.parametrize("now", [100.0, 119.5, 120.0, 89.0, 91.3, 1_764_000_000.25])
@pytest.mark.parametrize("edge", [-1, 1, 0])
def test_the_clock_edge_is_reached_moving_forward_by_less_than_a_window(now, edge):
    move = startup.seconds_to_window_edge(now, edge)
    assert 0 <= move < 30
    assert (now + move) % 30 == pytest.approx(edge % 30)


def test_a_page_that_answers_an_http_error_fails_at_once_by_name(page, embedded):
    from cognito_harness.pages import CallbackPage

    t0 = time.perf_counter()
    with pytest.raises(AssertionError, match=r"/verify/no-such-page.html answered HTTP 404"):
        CallbackPage(page).goto(embedded.endpoint_url + "/verify/no-such-page.html")
    assert time.perf_counter() - t0 < 3.0, "no wait for a button the error page does not have"


def test_each_xdist_worker_on_a_real_pool_creates_its_own_mfa_user(pytester, monkeypatch):
    """A worker on a real pool gets its own address for the persona the run creates; the
    existing users are shared; on the embedded target (a pool per worker) nothing changes.
    Checked through pytest's own start-up, as a worker starts."""
    from pathlib import Path

    from cognito_harness.config import load_config
    from cognito_harness.workers import with_worker_personas

    root = Path(__file__).resolve().parents[1]
    aws = load_config(root / "scenarios.yaml", target="aws")
    mine = with_worker_personas(aws, "gw1")
    assert mine.persona("mfa user").email == "demo-with-mfa+gw1@example.com"
    assert mine.persona("admin").email == aws.persona("admin").email
    assert with_worker_personas(aws, None) is aws
    embedded = load_config(root / "scenarios.yaml")
    assert with_worker_personas(embedded, "gw1") is embedded

    pytester.makeconftest("pytest_plugins = ['cognito_harness.pytest_plugin']\n")
    pytester.makepyfile(test_probe="""
        def test_probe(harness_config):
            print("MFA=" + harness_config.persona("mfa user").email)
            print("ADMIN=" + harness_config.persona("admin").email)
    """)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    result = pytester.runpytest("-s", "-p", "no:randomly", "-p", "no:playwright", "--target=aws", f"--config={root / 'scenarios.yaml'}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*MFA=demo-with-mfa+gw3@example.com*", "*ADMIN=admin@example.com*"])


# The remembered step look-ups (bdd_speed.py) are checked against pytest-bdd's own look-up for
# every step of every scenario in tests/test_scenario_isolation.py's run of the features (three
# rounds, so the remembered answers are reused): test_remembered_step_lookups_are_what_pytest_bdd_finds.


def test_moto_checks_an_action_by_its_name_with_the_answer_of_its_member_list(embedded):
    """moto_speed.FunctionNames answers `action in method_names_from_class(cls)` as moto's own
    list does, for every name of every response class the embedded server serves."""
    import importlib

    from moto.core import responses as moto_responses, utils as moto_utils

    from cognito_harness.embedded.moto_speed import FunctionNames

    assert isinstance(moto_responses.method_names_from_class(object), FunctionNames), "not installed"
    for service in ("cognitoidp", "cognitoidentity", "s3", "sts", "iam"):
        importlib.import_module(f"moto.{service}.responses")
    classes, todo = set(), [moto_responses.BaseResponse]
    while todo:
        cls = todo.pop()
        if cls not in classes:
            classes.add(cls)
            todo.extend(cls.__subclasses__())
    assert len(classes) > 5
    for cls in classes:
        listed = set(moto_utils.method_names_from_class(cls))
        fast = FunctionNames(cls)
        for name in set(dir(cls)) | {"initiate_auth", "no_such_action", "", "mro", "__class__", "__init__"}:
            assert (name in fast) == (name in listed), (cls, name)
