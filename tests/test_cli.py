"""The command line: step vocabulary, config check, serve."""

import socket
import sys
import threading
from pathlib import Path

import pytest

import processes

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
    result = processes.run([sys.executable, "-m", "cognito_harness.cli", "check-config", "--config", str(bad)],
                           capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "targets.embedded.port: expected an integer 0-65535, found 'lots'" in result.stderr
    assert "Traceback" not in result.stderr


def test_pytest_with_a_bad_config_stops_with_the_key_path(tmp_path):
    bad = tmp_path / "scenarios.yaml"
    bad.write_text((ROOT / "scenarios.yaml").read_text().replace("issuer: cognito-demo", "issuer: ''"))
    result = processes.run([sys.executable, "-m", "pytest", "features", "--config", str(bad), "-q"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 4
    assert "authenticator.issuer" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
def taken_port():
    """A port another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def test_serve_on_a_taken_port_says_so_and_changes_nothing(taken_port, embedded, idp_clients, capsys):
    """In this process: the port is bound before anything else, so the session's embedded pool
    (same process) keeps its state — and before, serve printed werkzeug's message from its
    serving thread and then waited for ever."""
    admin, _ = idp_clients

    def usernames():
        return sorted(u["Username"] for u in admin.list_users(UserPoolId=embedded.user_pool_id)["Users"])

    before = usernames()
    returned = {}
    serve = threading.Thread(target=lambda: returned.update(code=main(
        ["serve", "--config", str(ROOT / "scenarios.yaml"), "--port", str(taken_port)])), daemon=True)
    serve.start()
    serve.join(30)
    assert returned == {"code": 2}, "serve on a taken port did not stop with exit code 2"
    err = capsys.readouterr().err
    assert err.startswith(f"cognito-harness: cannot serve the embedded pool on 127.0.0.1:{taken_port} "
                          "(Address already in use): free the port, or choose another")
    assert "targets.embedded.port in scenarios.yaml" in err
    assert usernames() == before != []  # a second server's start would have dropped moto's state


def test_pytest_on_a_taken_port_stops_with_one_message(taken_port, tmp_path):
    config = tmp_path / "scenarios.yaml"
    config.write_text((ROOT / "scenarios.yaml").read_text().replace("    port: 0 ", f"    port: {taken_port} ", 1))
    result = processes.run([sys.executable, "-m", "pytest", "features", "--config", str(config), "-q",
                            "-p", "no:cacheprovider", "-k", "refresh_token"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert output.count(f"cannot serve the embedded pool on 127.0.0.1:{taken_port}") == 1, output
    assert "Traceback" not in output and "Error in atexit" not in output


def test_every_step_says_what_it_does_and_every_given_what_it_establishes(monkeypatch):
    monkeypatch.chdir(ROOT)
    steps = step_vocabulary()
    undocumented = [s["text"] for s in steps if not s["doc"]]
    assert not undocumented, f"steps without a docstring (docs/steps.md's third column): {undocumented}"
    vague = [s["text"] for s in steps if s["kind"] == "given" and "stablish" not in s["doc"][0]
             and "as a Given" not in s["doc"][0]]
    assert not vague, f"Givens whose docstring does not say what they establish: {vague}"


def _step_project(tmp_path, monkeypatch, files: dict[str, str]):
    """A project folder of its own, with a fresh import state for its `steps` package."""
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p and Path(p).resolve() != ROOT])
    for name in [m for m in sys.modules if m == "steps" or m.startswith("steps.")]:
        monkeypatch.delitem(sys.modules, name)


def test_steps_outside_a_project_folder_says_so(tmp_path, monkeypatch, capsys):
    _step_project(tmp_path, monkeypatch, {})
    assert main(["steps"]) == 2
    err = capsys.readouterr().err
    assert f"no step package 'steps' here ({tmp_path}); run from the project folder" in err
    assert "Traceback" not in err


def test_a_step_module_needing_a_missing_library_names_it(tmp_path, monkeypatch, capsys):
    """An ImportError inside the step package is not "no step package here": it names the module."""
    _step_project(tmp_path, monkeypatch, {"steps/__init__.py": "",
                                          "steps/login_steps.py": "import no_such_library_xyz\n"})
    assert main(["steps"]) == 2
    err = capsys.readouterr().err
    assert ("the step module 'steps.login_steps' cannot be imported: no module named 'no_such_library_xyz'"
            in err), err
    assert "no step package" not in err and "Traceback" not in err
