"""The warm process starter (tests/processes.py, tests/process_zygote.py): a process it forks
behaves like a fresh `python -m ...` — same outcomes, output, exit code, environment, cwd,
argv, sys.path — can be signalled and waited on, and is killed when it times out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import processes

ROOT = Path(__file__).resolve().parents[1]

PROBE = textwrap.dedent('''
    import atexit, json, os, sys
    atexit.register(lambda: print("atexit ran", flush=True))
    print(json.dumps({
        "argv": sys.argv, "path": sys.path[:2], "cwd": os.getcwd(), "env": dict(os.environ),
        "pycache_prefix": sys.pycache_prefix, "dont_write_bytecode": sys.dont_write_bytecode,
        "stdin": sys.stdin.read(), "main": __name__, "flags": [sys.flags.optimize, sys.flags.isolated],
    }))
    print("to stderr", file=sys.stderr)
    if os.environ.get("PROBE_RAISE"):
        raise ValueError("probe failed")
    sys.exit(int(os.environ.get("PROBE_EXIT", "0")))
''')

SLEEPER = textwrap.dedent('''
    import signal
    print("ready", flush=True)
    signal.pause()  # until the test signals or kills it
''')


@pytest.fixture(autouse=True)
def _the_starter_even_when_the_session_uses_fresh_processes(monkeypatch):
    """These tests are about the starter: HARNESS_TESTS_FRESH_PROCESSES=1 on the session
    (which makes every other test start fresh interpreters) does not turn them into no-ops."""
    monkeypatch.delenv(processes.FRESH_SWITCH, raising=False)


@pytest.fixture
def probe_dir(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "probe_module.py").write_text(PROBE)
    (tmp_path / "lib" / "sleeper_module.py").write_text(SLEEPER)
    (tmp_path / "work").mkdir()
    return tmp_path


def _both(monkeypatch, call):
    """(forked result, fresh result) of call()."""
    forked = call()
    monkeypatch.setenv(processes.FRESH_SWITCH, "1")
    fresh = call()
    monkeypatch.delenv(processes.FRESH_SWITCH)
    return forked, fresh


def _probe_env(probe_dir, **extra) -> dict:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(probe_dir / "lib"), "PROBE_VALUE": "é x",
           **{k: v for k, v in os.environ.items() if k.startswith("PYTHON") and k != "PYTHONPATH"}}
    env.update(extra)
    return env


@pytest.mark.parametrize("outcome", ["exit 3", "uncaught exception"])
def test_a_forked_module_sees_what_a_fresh_one_sees(probe_dir, monkeypatch, outcome):
    extra = {"PROBE_EXIT": "3"} if outcome == "exit 3" else {"PROBE_RAISE": "1"}
    env = _probe_env(probe_dir, **extra)
    command = [sys.executable, "-m", "probe_module", "an arg", "--x"]
    assert processes.forkable(command, {"env": env})
    forked, fresh = _both(monkeypatch, lambda: processes.run(command, cwd=probe_dir / "work", env=env,
                                                             capture_output=True, text=True, timeout=60))
    assert isinstance(forked, subprocess.CompletedProcess)
    assert forked.returncode == fresh.returncode == (3 if outcome == "exit 3" else 1)
    assert forked.stdout == fresh.stdout, (forked.stdout, fresh.stdout)
    seen = __import__("json").loads(forked.stdout.splitlines()[0])
    # exactly the environment given, nothing of the starter's (+ the C locale's coercion, PEP 538,
    # that any interpreter started without a locale does)
    assert seen["env"] == {**env, "LC_CTYPE": "C.UTF-8"}
    assert seen["cwd"] == str(probe_dir / "work")
    assert seen["argv"] == [str(probe_dir / "lib" / "probe_module.py"), "an arg", "--x"]
    assert seen["path"] == [str(probe_dir / "work"), str(probe_dir / "lib")]
    assert seen["main"] == "__main__" and seen["stdin"] == ""
    assert forked.stdout.splitlines()[-1] == "atexit ran"
    if outcome == "exit 3":
        assert forked.stderr == fresh.stderr == "to stderr\n"
    else:  # the traceback's first frame is the starter's, not <frozen runpy>: compare the end
        assert forked.stderr.startswith("to stderr\nTraceback")
        assert forked.stderr.endswith('raise ValueError("probe failed")\nValueError: probe failed\n'), forked.stderr
        assert fresh.stderr.endswith('raise ValueError("probe failed")\nValueError: probe failed\n')


def test_the_interpreter_settings_from_the_environment_are_applied(probe_dir):
    env = _probe_env(probe_dir, PYTHONPYCACHEPREFIX=str(probe_dir / "pycache"), PYTHONDONTWRITEBYTECODE="1")
    seen = __import__("json").loads(processes.run([sys.executable, "-m", "probe_module"], env=env, cwd=probe_dir,
                                                  capture_output=True, text=True).stdout.splitlines()[0])
    assert seen["pycache_prefix"] == str(probe_dir / "pycache") and seen["dont_write_bytecode"] is True
    # one the child cannot apply: a fresh interpreter is used
    assert not processes.forkable([sys.executable, "-m", "probe_module"], {"env": {**env, "PYTHONOPTIMIZE": "1"}})
    assert not processes.forkable([sys.executable, "-c", "pass"], {})
    assert not processes.forkable([sys.executable, "-m", "probe_module"], {"start_new_session": True})
    seen = __import__("json").loads(processes.run([sys.executable, "-m", "probe_module"], cwd=probe_dir,
                                                  env={**env, "PYTHONOPTIMIZE": "1"}, capture_output=True,
                                                  text=True).stdout.splitlines()[0])
    assert seen["flags"][0] == 1


def test_a_started_process_can_be_signalled_and_waited_for(probe_dir):
    proc = processes.start([sys.executable, "-m", "sleeper_module"], env=_probe_env(probe_dir),
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert isinstance(proc, processes.ForkedProcess)
    assert proc.stdout.readline() == "ready\n"
    assert proc.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=0.1)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == -signal.SIGTERM
    proc.stdout.close()


def test_a_process_that_times_out_is_killed(probe_dir):
    with pytest.raises(subprocess.TimeoutExpired) as timed_out:
        processes.run([sys.executable, "-m", "sleeper_module"], env=_probe_env(probe_dir), capture_output=True,
                      timeout=1)
    assert timed_out.value.stdout == b"ready\n"


PROJECT_TESTS = '''
import os, sys, pytest

def test_passes():
    assert os.environ["MINI"] == "yes"

def test_fails():
    value = 1
    assert value + 1 == 3

@pytest.mark.skip(reason="skipped")
def test_skipped():
    pass

@pytest.mark.xfail(strict=True)
def test_xfails():
    assert False

def test_process(tmp_path):
    with open(os.environ["PPID_FILE"], "a") as out:
        out.write(f"{os.getppid()}\\n")
'''


def test_a_pytest_mini_project_has_the_same_outcomes_forked_and_fresh(pytester, monkeypatch):
    pytester.makepyfile(test_mini=PROJECT_TESTS)
    ppids = pytester.path / "ppids.txt"
    monkeypatch.setenv("MINI", "yes")
    monkeypatch.setenv("PPID_FILE", str(ppids))
    forked, fresh = _both(monkeypatch, lambda: processes.runpytest_subprocess(pytester, "-p", "no:randomly",
                                                                              "-p", "no:cacheprovider"))
    for result in (forked, fresh):
        result.assert_outcomes(passed=2, failed=1, skipped=1, xfailed=1)
        result.stdout.fnmatch_lines(["*assert (1 + 1) == 3*"])  # pytest's assertion rewriting worked
        assert "PytestAssertRewriteWarning" not in result.stdout.str() + result.stderr.str()
    assert forked.ret == fresh.ret == pytest.ExitCode.TESTS_FAILED
    assert ppids.read_text().split() == [str(processes._STARTER.pid), str(os.getpid())]  # forked, then fresh


def test_the_starter_imported_nothing_pytest_rewrites():
    """Every plugin of a real `pytest features` run (entry points, pytest_plugins, conftest) is
    still rewritable in a forked child: the warning is made an error."""
    result = processes.run([sys.executable, "-m", "pytest", "features", "--collect-only", "-q", "-p",
                            "no:cacheprovider", "-W", "error::pytest.PytestAssertRewriteWarning"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "rewrit" not in result.stdout + result.stderr


def test_a_starter_that_cannot_start_leaves_fresh_interpreters(probe_dir, tmp_path, monkeypatch):
    broken = tmp_path / "broken_starter.py"
    broken.write_text("raise SystemExit('cannot start: no fork here')\n")
    monkeypatch.setattr(processes, "_STARTER", processes._Starter(script=broken))
    with pytest.warns(RuntimeWarning, match="cannot start: no fork here"):
        proc = processes.start([sys.executable, "-m", "probe_module"], env=_probe_env(probe_dir),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert type(proc) is subprocess.Popen
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out.splitlines()[-1] == "atexit ran"
    assert processes._STARTER.failed and not processes.forkable([sys.executable, "-m", "probe_module"], {})
