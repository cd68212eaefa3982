"""A real pool, safely (issue 7, sections 1-3), against endpoints that stand in for a real
pool: a plain `moto_server` (moto's own code, started here, provisioned through the public
AWS APIs) and `cognito-harness serve`. Each test lists the whole pool (pool, MFA
configuration, clients, domain, users with attributes and MFA settings, identity pool,
roles, bucket) before and after, and finds the listings identical:

- a read-only run (allow_mutation: false) changes nothing, and what needs a change skips;
- a mutating run puts everything back;
- a run SIGKILLed after the user was created, after the pool's MFA changed, or inside a
  browser scenario is undone by `cognito-harness restore` or by the next run.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import processes
import real_pool_endpoints as rp

API = ["-m", "not browser and not waits_on_real_pool"]
SUBSET = "signs_in_without_being_asked or makes_mfa_optional or created_user_is_confirmed or answered_for_another_user"


@pytest.fixture(scope="module")
def moto_endpoint():
    with rp.plain_moto() as started:
        yield started


@pytest.fixture(params=["plain-moto", "serve"])
def endpoint(request):
    return request.getfixturevalue("moto_endpoint" if request.param == "plain-moto" else "serve_endpoint")


same = rp.same  # '' if identical, else a unified diff of the two listings


def _set_pool_mfa(endpoint, mode: str) -> None:
    """The operator's own change, outside any run (the pool's state before the test's run)."""
    idp = endpoint.session().client("cognito-idp", endpoint_url=endpoint.endpoint_url)
    args = {"SoftwareTokenMfaConfiguration": {"Enabled": True}} if mode != "OFF" else {}
    idp.set_user_pool_mfa_config(UserPoolId=endpoint.world.user_pool_id, MfaConfiguration=mode, **args)


def _ledger(tmp_path):
    return str(tmp_path / "ledger.json")


def test_a_read_only_run_changes_nothing_and_skips_what_needs_a_change(endpoint, tmp_path):
    _set_pool_mfa(endpoint, "OPTIONAL")  # a pool already in the Backgrounds' state
    before = endpoint.listing()
    result = rp.run_features(rp.config_for(endpoint, tmp_path, allow_mutation=False),
                             endpoint.env(HARNESS_LEDGER=_ledger(tmp_path)), *API, "-k", SUBSET, "-rs")
    out = result.stdout
    assert not same(before, endpoint.listing()), same(before, endpoint.listing())
    # the scenarios that change the pool skip, with what they would have changed
    assert "SKIPPED" in out and "read-only run: needs the pool's MFA OFF, it is OPTIONAL" in out  # pre-flight
    assert "read-only run: needs to change the pool (admin create user demo-with-mfa@example.com)" in out
    # ... and the Background accepted the pool as it was: the existing users' scenarios ran
    assert "signs_in_without_being_asked" not in " ".join(line for line in out.splitlines() if "SKIPPED" in line)
    assert " skipped" in out and "error" not in out.lower().split("short test summary")[-1]
    if endpoint.kind == "serve":
        assert result.returncode == 0, out[-3000:]
        assert "2 passed, 3 skipped" in out, out[-2000:]


def test_a_mutating_run_puts_everything_back(moto_endpoint, tmp_path):
    """On plain moto. On `cognito-harness serve` the same is checked on a run of every API
    scenario (a superset of SUBSET, on the same path): test_real_pool_path.py's
    test_the_api_features_pass_through_the_real_pool_path lists the pool before and after."""
    endpoint = moto_endpoint
    _set_pool_mfa(endpoint, "OFF")
    before = endpoint.listing()
    result = rp.run_features(rp.config_for(endpoint, tmp_path, allow_mutation=True),
                             endpoint.env(HARNESS_LEDGER=_ledger(tmp_path)), *API, "-k", SUBSET)
    assert "passed" in result.stdout and "skipped" not in result.stdout
    assert not same(before, endpoint.listing()), same(before, endpoint.listing())
    assert json.loads((tmp_path / "ledger.json").read_text()) == {}


def _killed_run(endpoint, tmp_path, after_step: str, *args: str, **aws) -> subprocess.CompletedProcess:
    env = endpoint.env(HARNESS_LEDGER=_ledger(tmp_path), HARNESS_TEST_KILL_AFTER=after_step,
                       PYTHONPATH=str(rp.ROOT / "tests"))
    result = rp.run_features(rp.config_for(endpoint, tmp_path, allow_mutation=True, **aws), env,
                             "-p", "real_pool_spy", *args)
    assert result.returncode == -9, f"the run was not killed: {result.stdout[-2000:]}"
    return result


def _restore_cli(endpoint, tmp_path, *args: str) -> subprocess.CompletedProcess:
    return processes.run([sys.executable, "-m", "cognito_harness.cli", "restore", "--config",
                          str(tmp_path / "scenarios.yaml"), *args], cwd=rp.ROOT,
                         env=endpoint.env(HARNESS_LEDGER=_ledger(tmp_path)), capture_output=True, text=True,
                         timeout=120)


def test_killed_after_the_user_was_created_restore_undoes_everything(moto_endpoint, tmp_path):
    endpoint = moto_endpoint  # an endpoint nobody here wrote (serve: the browser kill below)
    _set_pool_mfa(endpoint, "OFF")
    before = endpoint.listing()
    _killed_run(endpoint, tmp_path, 'the operator creates "mfa user"', *API, "-k", "created_user_is_confirmed")
    killed = endpoint.listing()
    assert killed["mfa"]["MfaConfiguration"] == "OPTIONAL" and len(killed["users"]) == 3  # left behind
    dry = _restore_cli(endpoint, tmp_path, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "user demo-with-mfa@example.com: would be deleted (created by the harness)" in dry.stdout
    assert "pool MFA: would be set back from OPTIONAL" in dry.stdout and "to OFF" in dry.stdout
    assert not same(killed, endpoint.listing()), "--dry-run changed the pool"
    done = _restore_cli(endpoint, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "user demo-with-mfa@example.com: deleted" in done.stdout and "pool MFA: set back" in done.stdout
    assert not same(before, endpoint.listing()), same(before, endpoint.listing())
    assert json.loads((tmp_path / "ledger.json").read_text()) == {}


def test_killed_after_the_pool_mfa_changed_the_next_run_undoes_it_first(moto_endpoint, tmp_path):
    endpoint = moto_endpoint
    _set_pool_mfa(endpoint, "OFF")
    before = endpoint.listing()
    _killed_run(endpoint, tmp_path, "the pool offers optional MFA", *API, "-k", "signs_in_without_being_asked")
    assert endpoint.listing()["mfa"]["MfaConfiguration"] == "OPTIONAL"
    ledger = json.loads((tmp_path / "ledger.json").read_text())
    assert ledger[endpoint.world.user_pool_id]["pool_mfa"]["MfaConfiguration"] == "OFF"
    result = rp.run_features(tmp_path / "scenarios.yaml", endpoint.env(HARNESS_LEDGER=_ledger(tmp_path)),
                             *API, "-k", "mfa_configuration_is_read_as_off")
    assert "undone what an interrupted earlier run changed" in result.stdout
    assert "pool MFA: set back from OPTIONAL" in result.stdout
    assert result.returncode == 0, result.stdout[-3000:]  # the pool was OFF again before the scenario read it
    assert not same(before, endpoint.listing()), same(before, endpoint.listing())


def _local_callback(endpoint) -> str:
    """Registers http://localhost:<free port>/app/hosted-ui-verify.html on the client (each time:
    test_real_pool_path.py registers its own callbacks on the same served client)."""
    from cognito_harness.config import load_config
    from cognito_harness.embedded.provision import client_definition

    url = f"http://localhost:{rp.free_port()}/app/hosted-ui-verify.html"
    w = endpoint.world
    definition = client_definition(load_config(rp.ROOT / "scenarios.yaml"), w.user_pool_id, endpoint.endpoint_url)
    definition["CallbackURLs"].append(url)
    definition.pop("GenerateSecret")
    endpoint.session().client("cognito-idp", endpoint_url=endpoint.endpoint_url).update_user_pool_client(
        ClientId=w.client_id, **definition)
    return url


def test_killed_inside_a_browser_scenario_restore_undoes_everything(serve_endpoint, tmp_path):
    """SIGKILL with the browser on the managed login's code page: the MFA user is enrolled, the
    pool is OPTIONAL; `restore` puts the pool back as it was."""
    endpoint = serve_endpoint
    _set_pool_mfa(endpoint, "OFF")
    callback = _local_callback(endpoint)  # a callback URL on this machine: the harness serves the page there
    before = endpoint.listing()
    _killed_run(endpoint, tmp_path, 'signs in through the managed login', "-m", "browser",
                "-k", "the_mfa_user_is_asked_for_the_code", callback_url=callback)
    killed = endpoint.listing()
    assert killed["mfa"]["MfaConfiguration"] == "OPTIONAL" and len(killed["users"]) == 3
    done = _restore_cli(endpoint, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "user demo-with-mfa@example.com: deleted" in done.stdout
    assert not same(before, endpoint.listing()), same(before, endpoint.listing())


GATE_FEATURE = '''Feature: Steps that change the pool their own way
  Scenario: A step sets the pool's MFA with the admin client directly
    When a step sets the pool's MFA with the admin client directly

  Scenario: A step updates the pool's settings with the admin client directly
    When a step updates the pool's settings with the admin client directly

  Scenario: A step changes a user it did not create
    When a step turns on TOTP for "demo" with the admin client directly

  Scenario: An existing user signs out of every device (the project's own steps)
    Given "demo" is signed in
    When "demo" signs out of every device
'''

GATE_STEPS = '''from pytest_bdd import scenarios, when

scenarios("gate.feature")


@when("a step sets the pool's MFA with the admin client directly")
def direct_mfa(world):
    world.target.admin().set_user_pool_mfa_config(UserPoolId=world.target.user_pool_id, MfaConfiguration="OPTIONAL",
                                                  SoftwareTokenMfaConfiguration={"Enabled": True})


@when("a step updates the pool's settings with the admin client directly")
def direct_update(world):
    world.target.admin().update_user_pool(UserPoolId=world.target.user_pool_id, UserPoolTags={"changed": "yes"})


@when('a step turns on TOTP for "demo" with the admin client directly')
def direct_user_change(world):
    world.target.admin().admin_set_user_mfa_preference(
        UserPoolId=world.target.user_pool_id, Username="demo@example.com",
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
'''


@pytest.mark.parametrize("allow_mutation", [False, True], ids=["read-only", "mutating"])
def test_no_step_changes_the_pool_past_the_gate(moto_endpoint, tmp_path, allow_mutation):
    """A mini-project whose own steps call the admin client directly (the old bypass of
    pool_policy_steps.py): read-only, every change skips; mutating, only what the harness
    can undo goes through, and is undone."""
    _set_pool_mfa(moto_endpoint, "OFF")
    before = moto_endpoint.listing()
    project = tmp_path / "project"
    project.mkdir()
    (project / "conftest.py").write_text((rp.ROOT / "conftest.py").read_text())
    (project / "gate.feature").write_text(GATE_FEATURE)
    (project / "test_gate.py").write_text(GATE_STEPS)
    config = rp.config_for(moto_endpoint, tmp_path, allow_mutation=allow_mutation)
    result = processes.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "--config",
                            str(config), "test_gate.py"], cwd=project, capture_output=True, text=True, timeout=120,
                           env=moto_endpoint.env(HARNESS_LEDGER=_ledger(tmp_path), PYTHONPATH=str(rp.ROOT)))
    out = result.stdout
    if allow_mutation:
        # what it cannot undo, or a user it did not create: skipped as unsafe (the pool is not at fault)
        assert "1 passed, 3 skipped" in out, out[-3000:]
        assert "unsafe on a real pool: refusing to update user pool on the real pool" in out
        assert "unsafe on a real pool: refusing to admin set user MFA preference demo@example.com for " \
               "demo@example.com: this run did not create that user" in out
        assert "unsafe on a real pool: refusing to global sign out for demo@example.com: this run did not " \
               "create that user" in out
        assert "3 scenarios skipped because they need a change the harness never makes on a real pool" in out
    else:
        assert "4 skipped" in out, out[-3000:]
        assert "read-only run: needs to change the pool (set the pool's MFA to OPTIONAL" in out
        assert "read-only run: needs to change the pool (global sign out)" in out
    assert not same(before, moto_endpoint.listing()), same(before, moto_endpoint.listing())


def test_restoring_off_turns_authenticator_apps_off_on_an_endpoint_that_keeps_them():
    """cognito-local keeps SoftwareTokenMfaConfiguration Enabled: true when only OFF is sent:
    the restore then says explicitly that authenticator apps are off."""
    import boto3
    from botocore.stub import Stubber

    from cognito_harness.target import Target, TargetClock, same_mfa

    target = Target(name="aws", config=None, region="us-east-1", user_pool_id="local_4DbMTFlz", client_id="c",
                    identity_pool_id="", endpoint_url="http://127.0.0.1:9", managed_login_url="", callback_url="",
                    clock=TargetClock(), session=boto3.Session(aws_access_key_id="k", aws_secret_access_key="s",
                                                               region_name="us-east-1"), can_mutate=True)
    original = {"MfaConfiguration": "OFF"}
    target.ledger.pool_mfa_changing(target.user_pool_id, original)
    pool = {"UserPoolId": "local_4DbMTFlz"}
    with Stubber(target.admin()) as stub:
        stub.add_response("get_user_pool_mfa_config", {"MfaConfiguration": "OPTIONAL",
                                                       "SoftwareTokenMfaConfiguration": {"Enabled": True}}, pool)
        stub.add_response("set_user_pool_mfa_config", {}, {**pool, "MfaConfiguration": "OFF"})
        stub.add_response("get_user_pool_mfa_config", {"MfaConfiguration": "OFF",  # what cognito-local answers
                                                       "SoftwareTokenMfaConfiguration": {"Enabled": True}}, pool)
        stub.add_response("set_user_pool_mfa_config", {}, {**pool, "MfaConfiguration": "OFF",
                                                           "SoftwareTokenMfaConfiguration": {"Enabled": False}})
        stub.add_response("get_user_pool_mfa_config", {"MfaConfiguration": "OFF",
                                                       "SoftwareTokenMfaConfiguration": {"Enabled": False}}, pool)
        now = target.restore_pool_mfa(original)
        stub.assert_no_pending_responses()
    assert same_mfa(now, original) and now["SoftwareTokenMfaConfiguration"] == {"Enabled": False}


def test_a_sub_second_wait_is_not_announced_as_zero_seconds(monkeypatch):
    from cognito_harness.target import TargetClock

    clock, said = TargetClock(), []
    clock.announce = said.append
    monkeypatch.setattr("time.sleep", lambda s: None)
    clock.advance(0.4, "the authenticator's window is about to turn")
    clock.advance(181, "the challenge session lives 3 min")
    assert said == ["[cognito-harness] waiting 0.4 s on the real pool: the authenticator's window is about to turn",
                    "[cognito-harness] waiting 181 s on the real pool: the challenge session lives 3 min"]


@pytest.mark.parametrize("allow_mutation", [False, True], ids=["read-only", "mutating"])
def test_wrong_passwords_never_hit_a_persons_account(moto_endpoint, tmp_path, allow_mutation):
    """Cognito locks a user out after repeated failures: the wrong-password scenario of "demo"
    signs in as a made-up user (read-only) or as a user of the run's own (mutating)."""
    _set_pool_mfa(moto_endpoint, "OPTIONAL")
    before = moto_endpoint.listing()
    sign_ins = tmp_path / "sign-ins.txt"
    env = moto_endpoint.env(HARNESS_LEDGER=_ledger(tmp_path), HARNESS_TEST_SIGN_INS=str(sign_ins),
                            PYTHONPATH=str(rp.ROOT / "tests"))
    result = rp.run_features(rp.config_for(moto_endpoint, tmp_path, allow_mutation=allow_mutation), env,
                             "-p", "real_pool_spy", "-k", "a_wrong_password_is_refused")
    # it ran (plain moto answers a made-up user with UserNotFoundException, ignoring
    # PreventUserExistenceErrors, so the read-only variant fails there: a fidelity gap, not a safety one)
    assert "1 passed" in result.stdout or "1 failed" in result.stdout, result.stdout[-3000:]
    names = sign_ins.read_text().split()
    assert not {"demo@example.com", "admin@example.com"} & set(names), names  # nobody's real account
    assert any(name.startswith("harness-wrong-password-") for name in names), names
    created = "harness-wrong-password-" in json.dumps(
        [u["listed"]["Attributes"] for u in moto_endpoint.listing()["users"].values()])
    assert not created  # the run's own user, if any, is gone again
    assert not same(before, moto_endpoint.listing()), same(before, moto_endpoint.listing())
