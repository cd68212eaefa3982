"""The command line: step vocabulary, config check, serve."""

import subprocess
import sys
from pathlib import Path

from cognito_harness.cli import main, step_vocabulary

ROOT = Path(__file__).resolve().parents[1]


def test_every_step_used_by_the_features_is_in_the_vocabulary(monkeypatch):
    monkeypatch.chdir(ROOT)
    texts = {s["text"] for s in step_vocabulary()}
    assert '"{persona}" signs in with email and password' in texts
    assert "the pool offers optional MFA with authenticator apps only" in texts
    assert len(texts) > 50


def test_docs_steps_md_is_current(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["steps", "--markdown"]) == 0
    table = capsys.readouterr().out
    assert table.strip() in (ROOT / "docs" / "steps.md").read_text(), \
        "docs/steps.md is stale: run `cognito-harness steps --markdown` and paste the table"


def test_check_config_names_the_key_path_without_a_traceback(tmp_path):
    bad = tmp_path / "scenarios.yaml"
    bad.write_text((ROOT / "scenarios.yaml").read_text().replace("    port: 0", "    port: lots"))
    result = subprocess.run([sys.executable, "-m", "cognito_harness.cli", "check-config", "--config", str(bad)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "targets.embedded.port: expected an integer 0-65535, found 'lots'" in result.stderr
    assert "Traceback" not in result.stderr


def test_pytest_with_a_bad_config_stops_with_the_key_path(tmp_path):
    bad = tmp_path / "scenarios.yaml"
    bad.write_text((ROOT / "scenarios.yaml").read_text().replace("issuer: cognito-demo", "issuer: ''"))
    result = subprocess.run([sys.executable, "-m", "pytest", "features", "--config", str(bad), "-q"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 4
    assert "authenticator.issuer" in result.stderr and "Traceback" not in result.stderr


def test_every_step_says_what_it_does_and_every_given_what_it_establishes(monkeypatch):
    monkeypatch.chdir(ROOT)
    steps = step_vocabulary()
    undocumented = [s["text"] for s in steps if not s["doc"]]
    assert not undocumented, f"steps without a docstring (docs/steps.md's third column): {undocumented}"
    vague = [s["text"] for s in steps if s["kind"] == "given" and "stablish" not in s["doc"][0]
             and "as a Given" not in s["doc"][0]]
    assert not vague, f"Givens whose docstring does not say what they establish: {vague}"
