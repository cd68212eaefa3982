"""Every `python -m ...` process the harness's own tests start goes through here.

`run(args, **kw)` and `start(args, **kw)` are subprocess.run and subprocess.Popen;
`runpytest_subprocess(pytester, *args)` is pytester.runpytest_subprocess. For a command
`[sys.executable, "-m", <module>, ...]` the process is not a fresh interpreter but a fork of
a warm starter (tests/process_zygote.py: started once per test process, on first use, with
boto3, moto, Playwright, Flask... already imported), which saves the ~0.6 s of CPU each
`pytest features` / `cognito-harness` process spent importing them. The forked child is a
real process with its own pid (signal it, kill it, wait for it like a Popen's), the cwd,
environment, argv, sys.path, stdin/stdout/stderr and exit code the caller asked for.

A fresh interpreter is used instead when
- HARNESS_TESTS_FRESH_PROCESSES=1 (to rule the starter out when something looks odd),
- the starter could not start (a RuntimeWarning in the run's summary says why),
- the command is not `sys.executable -m <module>`, or asks for a Popen option the starter
  does not reproduce (preexec_fn, start_new_session, pass_fds, shell, user/group...),
- the environment differs from the starter's in a variable read when the interpreter
  or a pre-imported library starts (PYTHON* other than PYTHONPATH/PYTHONPYCACHEPREFIX/
  PYTHONDONTWRITEBYTECODE, which the child applies; MOTO_*, moto's and Playwright's
  import-time settings), or asks for another character-type locale (LC_ALL/LC_CTYPE/LANG;
  a C locale's coercion to C.UTF-8 at start, PEP 538, is reproduced).

Known difference: a forked child has the starter's string-hash seed (PYTHONHASHSEED is random
per starter, i.e. per test session, not per process). The `random` module is re-seeded in
every fork by CPython itself, so pytest-randomly's seeds, tempfile names and uuid4 differ
per child as in a fresh process.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

FRESH_SWITCH = "HARNESS_TESTS_FRESH_PROCESSES"
_ZYGOTE_SCRIPT = Path(__file__).with_name("process_zygote.py")
_APPLIED_BY_THE_CHILD = {"PYTHONPATH", "PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE"}
# read by moto.settings / Playwright when they are imported (i.e. once, in the starter)
_READ_AT_IMPORT = {"TEST_SERVER_MODE", "DEFAULT_CONTAINER_REGISTRY", "S3_IGNORE_SUBDOMAIN_BUCKETNAME",
                   "TESTS_SKIP_REQUIRES_DOCKER", "S3_UPLOAD_PART_MIN_SIZE", "INTERNAL_PW_GREENLET_DEBUG"}
# Popen keywords the forked child reproduces (with their Popen defaults for the others)
_SUPPORTED = {"cwd", "env", "stdin", "stdout", "stderr", "text", "universal_newlines", "encoding", "errors",
              "bufsize", "close_fds"}


def _ctype_locale(env) -> tuple[str, bool]:
    """(the LC_CTYPE locale an interpreter started with `env` uses, whether it coerced it):
    a C/POSIX locale becomes C.UTF-8 at start (PEP 538) unless LC_ALL is set or
    PYTHONCOERCECLOCALE=0 — and the interpreter then puts LC_CTYPE=C.UTF-8 in its environment."""
    if env.get("LC_ALL"):
        return env["LC_ALL"], False
    ctype = env.get("LC_CTYPE") or env.get("LANG") or "C"
    if ctype in ("C", "POSIX") and env.get("PYTHONCOERCECLOCALE") != "0":
        return "C.UTF-8", True
    return ctype, False


def _read_at_start(name: str) -> bool:
    return (name.startswith(("PYTHON", "MOTO_")) and name not in _APPLIED_BY_THE_CHILD) or name in _READ_AT_IMPORT


class _Starter:
    """The warm starter of this test process (lazily started, stopped at exit)."""

    def __init__(self, script: Path = _ZYGOTE_SCRIPT) -> None:
        self._script = script
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._dir: tempfile.TemporaryDirectory | None = None
        self.env: dict[str, str] = {}
        self.socket_path = ""
        self.failed: str | None = None

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def ensure(self) -> bool:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                return True
            if self.failed:
                return False
            self._dir = tempfile.TemporaryDirectory(prefix="harness-starter-")
            self.socket_path = os.path.join(self._dir.name, "starter.sock")
            self.env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            log = open(os.path.join(self._dir.name, "starter.log"), "wb")
            self._proc = subprocess.Popen([sys.executable, str(self._script), self.socket_path],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                          env=self.env, cwd=self._dir.name)
            log.close()
            if self._proc.stdout.readline() != b"ready\n":
                self._proc.wait()
                self.failed = (Path(self._dir.name) / "starter.log").read_text(errors="replace")[-2000:]
                self._proc = None
                self._dir.cleanup()
                self._dir = None
                # the tests still run, each process a fresh interpreter (slower, never wrong)
                warnings.warn(f"the warm process starter did not start, the tests start fresh "
                              f"interpreters instead:\n{self.failed}", RuntimeWarning, stacklevel=2)
                return False
            self._proc.stdout.close()
            atexit.register(self.stop)
            return True

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.stdin.close()  # end of file: the starter exits
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


_STARTER = _Starter()


def stop() -> None:
    """Stop this test process's starter (tests/conftest.py: at the end of the session)."""
    _STARTER.stop()


def _module_and_args(args) -> tuple[str, list[str]] | None:
    """(module, its arguments) of `[python, "-m", module, ...]` or `[python, "-mmodule", ...]`."""
    if not isinstance(args, (list, tuple)) or len(args) < 2:
        return None
    words = [os.fspath(a) for a in args]
    if words[1] == "-m" and len(words) > 2:
        return words[2], words[3:]
    if words[1].startswith("-m") and len(words[1]) > 2:
        return words[1][2:], words[2:]
    return None


def forkable(args, kwargs: dict) -> bool:
    """True when `args`/`kwargs` can be started by the warm starter (see the module doc)."""
    if os.environ.get(FRESH_SWITCH, "") not in ("", "0"):
        return False
    if _module_and_args(args) is None:
        return False
    if os.fspath(args[0]) != sys.executable or set(kwargs) - _SUPPORTED or kwargs.get("close_fds", True) is False:
        return False
    if sys.platform != "linux" or not _STARTER.ensure():
        return False
    env = os.environ if kwargs.get("env") is None else kwargs["env"]
    for name in set(env) | set(_STARTER.env):
        if _read_at_start(name) and env.get(name) != _STARTER.env.get(name):
            return False
    return _ctype_locale(env)[0] == _ctype_locale(_STARTER.env)[0]


class ForkedProcess(subprocess.Popen):
    """A subprocess.Popen whose child was forked by the warm starter: the pipes, text mode,
    communicate(), wait(timeout), poll(), send_signal()/terminate()/kill() are Popen's own;
    only starting the child and learning its exit status differ."""

    _conn: socket.socket
    _buffer = b""

    def _execute_child(self, args, executable, preexec_fn, close_fds, pass_fds, cwd, env, startupinfo,
                       creationflags, shell, p2cread, p2cwrite, c2pread, c2pwrite, errread, errwrite,
                       restore_signals, gid, gids, uid, umask, start_new_session, process_group):
        fds = [p2cread if p2cread != -1 else 0, c2pwrite if c2pwrite != -1 else 1,
               errwrite if errwrite != -1 else 2]
        module, module_args = _module_and_args(args)
        env = dict(os.environ if env is None else env)
        if _ctype_locale(env)[1]:
            env["LC_CTYPE"] = _ctype_locale(env)[0]  # as the interpreter's locale coercion sets it
        request = json.dumps({
            "module": module, "args": module_args,
            "cwd": os.path.abspath(os.fspath(cwd) if cwd is not None else os.getcwd()),
            "env": {os.fsdecode(k): os.fsdecode(v) for k, v in env.items()},
        }).encode()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(_STARTER.socket_path)
            socket.send_fds(conn, [len(request).to_bytes(8, "big") + request], fds)
            self.pid = json.loads(self._line(conn, None))["pid"]
        except BaseException:
            conn.close()
            raise
        finally:
            self._close_pipe_fds(p2cread, p2cwrite, c2pread, c2pwrite, errread, errwrite)
        self._conn = conn
        self._child_created = True

    def _line(self, conn: socket.socket, timeout: float | None) -> bytes | None:
        while b"\n" not in self._buffer:
            if not select.select([conn], [], [], timeout)[0]:
                return None
            chunk = conn.recv(4096)
            if not chunk:
                raise RuntimeError(f"the warm process starter went away while pid {self.pid} ran")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def _status(self, timeout: float | None) -> None:
        if self.returncode is None:
            line = self._line(self._conn, timeout)
            if line is not None:
                self.returncode = json.loads(line)["returncode"]
                self._conn.close()

    def _internal_poll(self, _deadstate=None, **_ignored):
        self._status(0)
        return self.returncode

    def _wait(self, timeout):
        self._status(timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode


def start(args, **kwargs) -> subprocess.Popen:
    """subprocess.Popen(args, **kwargs), forked by the warm starter when it can be."""
    return ForkedProcess(args, **kwargs) if forkable(args, kwargs) else subprocess.Popen(args, **kwargs)


def run(args, *, input=None, capture_output=False, timeout=None, check=False, **kwargs):
    """subprocess.run(args, ...), with the process from start()."""
    if input is not None:
        kwargs["stdin"] = subprocess.PIPE
    if capture_output:
        kwargs["stdout"] = kwargs["stderr"] = subprocess.PIPE
    with start(args, **kwargs) as process:
        try:
            stdout, stderr = process.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            process.kill()
            exc.stdout, exc.stderr = process.communicate()
            raise
        except BaseException:
            process.kill()
            raise
        retcode = process.poll()
        if check and retcode:
            raise subprocess.CalledProcessError(retcode, process.args, output=stdout, stderr=stderr)
    return subprocess.CompletedProcess(process.args, retcode, stdout, stderr)


def runpytest_subprocess(pytester, *args, timeout: float | None = None):
    """pytester.runpytest_subprocess(*args), with the process from start(): pytester's own
    code builds the command, the PYTHONPATH, the stdout/stderr files and the RunResult."""

    def popen(cmdargs, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=pytester.CLOSE_STDIN, **kw):
        env = os.environ.copy()
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), env.get("PYTHONPATH", "")]))
        kw["env"] = env
        kw["stdin"] = subprocess.PIPE if stdin is pytester.CLOSE_STDIN or isinstance(stdin, bytes) else stdin
        process = start(list(cmdargs), stdout=stdout, stderr=stderr, **kw)
        if stdin is pytester.CLOSE_STDIN:
            process.stdin.close()
        elif isinstance(stdin, bytes):
            process.stdin.write(stdin)
        return process

    pytester.popen = popen
    try:
        return pytester.runpytest_subprocess(*args, timeout=timeout)
    finally:
        del pytester.popen
