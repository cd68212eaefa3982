"""scenarios.yaml validation: the real file loads; each mistake names its key path and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cognito_harness.config import Config, load_config
from cognito_harness.errors import ConfigError

REAL = Path(__file__).resolve().parent.parent / "scenarios.yaml"


def _write(tmp_path: Path, mutate) -> Path:
    """A copy of the real scenarios.yaml, round-tripped through YAML and changed by `mutate(data)`."""
    data = yaml.safe_load(REAL.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "scenarios.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _error(path: Path, target: str | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, target=target)
    return str(info.value)


def test_the_real_file_loads():
    config = load_config(REAL)
    assert isinstance(config, Config)
    assert config.target_name == "embedded" and config.is_embedded
    assert config.path == REAL
    assert config.embedded.port == 0 and config.embedded.login_style == "classic"
    assert config.embedded.undocumented.max_wrong_codes_per_session == 3
    assert config.aws is not None and config.aws.user_pool_id == "us-east-1_EXAMPLE"
    assert config.aws.endpoint_url is None and config.aws.login_selectors == {}
    assert config.pool.mfa_before == "OFF" and config.pool.mfa_after == "OPTIONAL"
    assert config.pool.password_policy.minimum_length == 8
    assert config.app_client.auth_session_validity_minutes == 3
    assert config.identity_pool.bucket == "cognito-demo-bucket"
    assert config.authenticator.issuer == "cognito-demo"
    assert config.mfa_persona.key == "mfa user"
    assert [p.key for p in config.existing_personas] == ["demo", "admin"]
    assert config.persona("demo").email == "demo@example.com"


def test_target_overrides_default_target():
    config = load_config(REAL, target="aws")
    assert config.target_name == "aws" and not config.is_embedded


def test_unknown_persona_lists_the_known_ones():
    with pytest.raises(ConfigError) as info:
        load_config(REAL).persona("nobody")
    assert str(info.value) == f"{REAL}: personas: expected one of demo, admin, mfa user, found 'nobody'"


def test_bad_port(tmp_path):
    path = _write(tmp_path, lambda d: d["targets"]["embedded"].update(port="abc"))
    assert _error(path) == f"{path}: targets.embedded.port: expected an integer 0-65535, found 'abc'"


def test_unknown_key_suggests_the_close_one(tmp_path):
    path = _write(tmp_path, lambda d: d["targets"]["embedded"].update(prot=8080))
    message = _error(path)
    assert message.startswith(f"{path}: targets.embedded.prot: expected a known key (did you mean 'port'?)")
    assert "known keys here: region, port, enforce_iam, login_style, undocumented" in message


def test_unquoted_off_is_a_boolean_with_a_quoting_hint(tmp_path):
    path = tmp_path / "scenarios.yaml"
    path.write_text(REAL.read_text(encoding="utf-8").replace('mfa_before: "OFF"', "mfa_before: OFF"))
    assert _error(path) == (f'{path}: pool.mfa_before: expected one of OFF, ON, OPTIONAL '
                            f'(quote it: "OFF"), found False')


def test_auth_session_validity_out_of_range(tmp_path):
    path = _write(tmp_path, lambda d: d["app_client"].update(auth_session_validity_minutes=20))
    assert _error(path) == f"{path}: app_client.auth_session_validity_minutes: expected an integer 3-15, found 20"


def test_invalid_persona_email(tmp_path):
    path = _write(tmp_path, lambda d: d["personas"]["mfa user"].update(email="x"))
    assert _error(path) == f"{path}: personas.mfa user.email: expected an email address, found 'x'"


def test_missing_aws_section_when_target_is_aws(tmp_path):
    path = _write(tmp_path, lambda d: d["targets"].pop("aws"))
    assert load_config(path).aws is None  # fine on the embedded target
    assert _error(path, target="aws") == (
        f"{path}: targets.aws: expected a section describing the real pool (needed for --target aws)")


def test_bad_login_selector_key(tmp_path):
    path = _write(tmp_path, lambda d: d["targets"]["aws"].update(login_selectors={"usernme": "#email"}))
    message = _error(path)
    assert message.startswith(f"{path}: targets.aws.login_selectors.usernme: expected a known key "
                              f"(did you mean 'username'?)")
    assert "code_submit" in message


def test_missing_required_key_names_its_path(tmp_path):
    path = _write(tmp_path, lambda d: d["targets"]["aws"].pop("client_id"))
    assert _error(path) == f"{path}: targets.aws.client_id: expected a value (required key is missing)"


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.yaml"
    assert _error(path) == f"{path}: (file): expected an existing file (looked for {path})"


def test_yaml_syntax_error_gives_line_and_column(tmp_path):
    path = tmp_path / "scenarios.yaml"
    lines = REAL.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if line.startswith("  name: cognito-demo-pool")) + 1
    lines[number - 1] = "  name: [cognito-demo-pool"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = _error(path)
    assert message.startswith(f"{path}: line ")
    assert "expected valid YAML (" in message
    assert "Traceback" not in message and "\n" not in message
    line = int(message.split("line ")[1].split(",")[0])
    assert number <= line <= number + 1  # the flow sequence is reported where it breaks


def test_duplicate_key_is_refused(tmp_path):
    path = tmp_path / "scenarios.yaml"
    path.write_text(REAL.read_text(encoding="utf-8").replace("    port: 0", "    port: 0\n    port: 1"))
    assert ": expected each key once per mapping, found 'port' twice" in _error(path)


def test_aws_password_comes_from_the_environment(monkeypatch):
    persona = load_config(REAL, target="aws").persona("mfa user")
    monkeypatch.delenv("HARNESS_MFA_PASSWORD", raising=False)
    with pytest.raises(ConfigError) as info:
        persona.password_for("aws")
    assert str(info.value) == (
        f"{REAL}: personas.mfa user.password_env: expected environment variable HARNESS_MFA_PASSWORD "
        "to be set (the real pool's password for demo-with-mfa@example.com; literal passwords are used only "
        "on the embedded target)")
    monkeypatch.setenv("HARNESS_MFA_PASSWORD", "Real-Secret-1")
    assert persona.password_for("aws") == "Real-Secret-1"
    assert persona.password_for("embedded") == "Aaaa1111"


@pytest.mark.parametrize("text", ["a: " + "[" * 5000 + "]" * 5000,
                                  "a:\n" + "".join("  " * i + "k:\n" for i in range(1, 3000))],
                         ids=["flow", "block"])
def test_deeply_nested_yaml_is_a_clear_error_not_a_recursion_error(tmp_path, text):
    path = tmp_path / "scenarios.yaml"
    path.write_text(text, encoding="utf-8")
    message = _error(path)
    assert "levels of nesting" in message and "line " in message and len(message) < 300


def _aws_block(tmp_path, **aws):
    def mutate(data):
        data["targets"]["aws"].update(aws)
        for key in [k for k, v in aws.items() if v is None]:
            del data["targets"]["aws"][key]
    return _write(tmp_path, mutate)


def test_a_compatible_endpoints_ids_need_not_have_aws_shape(tmp_path):
    """cognito-local: pool ids like local_4DbMTFlz, region "local", no identity pool, no managed login."""
    path = _aws_block(tmp_path, endpoint_url="http://127.0.0.1:9229", region="local", user_pool_id="local_4DbMTFlz",
                      client_id="2dmxvdmpcyb9h0gsa8oqjkqh4", identity_pool=False, managed_login=False,
                      identity_pool_id=None, domain=None, callback_url=None)
    aws = load_config(path, target="aws").aws
    assert (aws.region, aws.user_pool_id, aws.identity_pool_id, aws.domain) == ("local", "local_4DbMTFlz", None, None)
    assert not aws.managed_login and not aws.identity_pool


def test_aws_itself_keeps_the_id_shapes(tmp_path):
    assert "an AWS region like us-east-1" in _error(_aws_block(tmp_path, region="local"), "aws")
    assert "a user pool id like us-east-1_AbC123" in _error(_aws_block(tmp_path, user_pool_id="local_4DbMTFlz"), "aws")
    assert "targets.aws.domain: expected a value" in _error(_aws_block(tmp_path, domain=None), "aws")
