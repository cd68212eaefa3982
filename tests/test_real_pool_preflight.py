"""Pre-flight on a real pool (issue 7, section 4), against a plain `moto_server` provisioned
through the public AWS APIs: one table before the first scenario; what the target lacks
skips the scenarios that need it, with the reason; an unreachable endpoint stops the run
with one message; `check-config --online` prints the same table."""

from __future__ import annotations

import sys

import pytest

import processes
import real_pool_endpoints as rp


@pytest.fixture(scope="module")
def moto_endpoint():
    with rp.plain_moto() as started:
        yield started


def test_the_table_shows_what_is_missing_and_those_scenarios_skip(moto_endpoint, tmp_path):
    config = rp.config_for(moto_endpoint, tmp_path, allow_mutation=True, identity_pool=False)
    env = moto_endpoint.env(HARNESS_LEDGER=str(tmp_path / "ledger.json"))
    env.pop("HARNESS_ADMIN_PASSWORD")
    result = rp.run_features(config, env, "-m", "not waits_on_real_pool", "-rs", "-k", "s3 or signs_in_without "
                             "or the_mfa_user_is_asked or code_from_the_authenticator_app_verifies or same_identity")
    out = result.stdout
    table = out[out.index("cognito-harness pre-flight"):out.index("scenarios skipped for what is missing")]
    assert "changes allowed" in table
    for row in ("endpoint reachable                  ok", "app client                          ok",
                "identity pool + role                MISSING", "password of admin                   MISSING",
                "managed-login domain                MISSING", "pool MFA OPTIONAL                   ok"):
        assert row in table, table
    assert "no managed login served at" in table and "HARNESS_ADMIN_PASSWORD is not set" in table
    # each missing thing skips exactly the scenarios that need it, with the reason
    assert "pre-flight: password of admin: HARNESS_ADMIN_PASSWORD is not set" in out
    assert "the target has no identity pool (targets.aws.identity_pool: false)" in out
    assert "pre-flight: managed-login domain:" in out
    skipped = [line for line in out.splitlines() if line.startswith("SKIPPED")]
    assert sum(int(line.split("[")[1].split("]")[0]) for line in skipped) == 6, out[-3000:]
    # plain moto's fixed 12-character secret is named, not a pyotp ValueError
    assert "authenticator secret that no authenticator app accepts" in out
    assert "ValueError: Secrets must be" not in out


def test_a_wrong_client_id_skips_what_signs_in_and_runs_the_rest(moto_endpoint, tmp_path):
    config = rp.config_for(moto_endpoint, tmp_path, allow_mutation=False, client_id="nosuchclient",
                           managed_login=False, identity_pool=False)
    result = rp.run_features(config, moto_endpoint.env(HARNESS_LEDGER=str(tmp_path / "ledger.json")),
                             "-m", "not waits_on_real_pool", "-rs")
    out = result.stdout
    assert "app client                          MISSING" in out, out[:3000]
    assert "pre-flight: app client: nosuchclient: ResourceNotFoundException" in out
    assert "failed" not in out.splitlines()[-1], out[-3000:]
    assert " passed" in out.splitlines()[-1]  # the pool-policy reads need no client


def test_an_unreachable_endpoint_stops_the_run_with_one_message(moto_endpoint, tmp_path):
    config = rp.config_for(moto_endpoint, tmp_path, allow_mutation=False,
                           endpoint_url=f"http://127.0.0.1:{rp.free_port()}")
    result = rp.run_features(config, moto_endpoint.env(HARNESS_LEDGER=str(tmp_path / "ledger.json")))
    text = result.stdout + result.stderr
    assert result.returncode == 4, text[-2000:]
    assert "cognito-harness: cannot reach the endpoint http://127.0.0.1:" in text
    assert "Traceback" not in text and "botocore" not in text and len(text.splitlines()) < 12, text


def test_check_config_online_prints_the_table_offline_flags_placeholders(moto_endpoint, tmp_path):
    config = rp.config_for(moto_endpoint, tmp_path, allow_mutation=False, managed_login=False)
    cli = [sys.executable, "-m", "cognito_harness.cli", "check-config", "--config", str(config)]
    online = processes.run([*cli, "--online"], cwd=rp.ROOT, env=moto_endpoint.env(), capture_output=True,
                           text=True, timeout=120)
    assert "cognito-harness pre-flight:" in online.stdout, online.stdout + online.stderr
    assert "managed-login domain                MISSING" in online.stdout
    assert "pool MFA OPTIONAL                   MISSING" in online.stdout  # read-only, the pool is OFF
    assert "scenarios would be skipped" in online.stdout and online.returncode == 1
    env = moto_endpoint.env()
    env.pop("HARNESS_MFA_PASSWORD")
    offline = processes.run([*cli, "--target", "aws"], cwd=rp.ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert "personas.mfa user.password_env: the environment variable HARNESS_MFA_PASSWORD is not set" in offline.stdout
    assert offline.returncode == 1
    example = processes.run([sys.executable, "-m", "cognito_harness.cli", "check-config", "--target", "aws"],
                            cwd=rp.ROOT, env=moto_endpoint.env(), capture_output=True, text=True, timeout=60)
    assert "targets.aws.user_pool_id: 'us-east-1_EXAMPLE' is the example's placeholder" in example.stdout
    assert example.returncode == 1
