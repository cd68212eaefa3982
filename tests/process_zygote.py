"""The warm process starter behind tests/processes.py (run as a script, one per test
process; never imported by the tests).

It imports the heavy libraries every `python -m pytest features` / `python -m
cognito_harness.cli ...` the tests start would import (boto3, botocore, moto, Playwright,
Flask, ...), then waits on a Unix socket. For each request it forks a child that becomes
`python -m <module> <args>`: the caller's stdin/stdout/stderr (passed as file descriptors),
cwd, environment, argv and sys.path, then runpy's `-m` entry point; the exit of the child is
the interpreter's own (SystemExit, an uncaught exception, atexit, non-daemon threads). The
child is a real process with its own pid: the caller signals it directly; this starter
reaps it and sends its exit status back on the request's connection.

Only libraries pytest does not rewrite are imported here: no pytest plugin (pytest_bdd,
pytest_playwright, hypothesis, xdist, pytest_randomly), no module named in a
`pytest_plugins` list, no conftest — pytest would warn "Module already imported so cannot
be rewritten". No thread is started before a fork.

Protocol (one connection per child): the caller sends 8 bytes of length + a JSON request
{module, args, cwd, env} with three file descriptors (stdin, stdout, stderr); this starter
answers one JSON line {"pid": N}, then, when the child has exited, {"returncode": R}
(R < 0: killed by signal -R, as subprocess reports it). The starter exits when its stdin
reaches end of file (the test process closed it or died).
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import select
import signal
import socket
import sys
import types

# What the processes the tests start import before doing anything useful (measured with
# `python -X importtime -m pytest features`). Missing optional ones are skipped.
PRELOAD = (
    "boto3", "botocore.session", "botocore.client", "botocore.loaders", "botocore.regions",
    "botocore.endpoint", "botocore.httpsession", "botocore.auth", "botocore.parsers",
    "botocore.serialize", "botocore.validate", "moto", "moto.core", "moto.backends",
    "moto.cognitoidp", "moto.cognitoidentity", "moto.s3", "moto.iam", "moto.sts", "moto.server",
    "playwright.sync_api", "werkzeug", "werkzeug.serving", "flask", "jinja2", "yaml",
    "cryptography", "cryptography.hazmat.primitives.asymmetric.rsa", "gmpy2", "segno", "mako",
    "gherkin", "slugify", "pygments", "pygments.lexers", "pygments.formatters", "requests",
    "urllib3", "xmltodict", "jose", "joserfc", "dateutil", "pyotp", "email.mime.text", "asyncio",
    "concurrent.futures", "http.server", "sqlite3", "unittest.mock", "pytest", "_pytest.pytester",
    "_pytest.junitxml", "_pytest.terminal", "_pytest.python", "_pytest.fixtures", "pluggy",
    "execnet", "iniconfig", "packaging.version",
)

# sys.path entries that do not depend on the caller: the interpreter's own, site-packages
# and .pth entries (this script's folder, sys.path[0], and PYTHONPATH are per child).
_BASE_PATH: list[str] = []


def _preload() -> None:
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


import boto3  # noqa: E402  (after PRELOAD's definition; the starter is not a library)


def _preload_service_models() -> None:
    """Fill the harness's shared botocore loader (cognito_harness/botocore_cache.py: one per
    process, which every harness session uses) with the models a run reads: the children
    find them parsed. botocore itself is left as it was (moto.server children do not use the
    harness's loader)."""
    try:
        import botocore.session
        from cognito_harness import botocore_cache
    except ImportError:
        return
    original = botocore.session.create_loader
    botocore_cache.install()
    try:
        session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
        for service in ("cognito-idp", "cognito-identity", "s3", "iam", "sts"):
            session.client(service, endpoint_url="http://127.0.0.1:9")
    except Exception:  # noqa: BLE001 - a warm-up only: the children load what is missing
        pass
    finally:
        botocore.session.create_loader = original


def _recv_request(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _flags, _addr = socket.recv_fds(conn, 1 << 16, 3)
    if len(data) < 8:
        raise ConnectionError("short request")
    size = int.from_bytes(data[:8], "big")
    body = data[8:]
    while len(body) < size:
        chunk = conn.recv(size - len(body))
        if not chunk:
            raise ConnectionError("truncated request")
        body += chunk
    return json.loads(body), list(fds)


def _send(conn: socket.socket, message: dict) -> None:
    try:
        conn.sendall(json.dumps(message).encode() + b"\n")
    except OSError:
        pass  # the caller went away; the child runs on, as a Popen's child would


def _serve(listener: socket.socket) -> tuple[dict, list[int]]:
    """Accept requests until stdin closes (then exit). Returns only in a forked child."""
    children: dict[int, socket.socket] = {}
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    while True:
        ready, _, _ = select.select([listener, 0, wake_r], [], [])
        if 0 in ready and not os.read(0, 4096):
            sys.exit(0)
        if wake_r in ready:
            try:
                while os.read(wake_r, 4096):
                    pass
            except BlockingIOError:
                pass
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = children.pop(pid, None)
            if conn is not None:
                _send(conn, {"returncode": os.waitstatus_to_exitcode(status)})
                conn.close()
        if listener not in ready:
            continue
        conn, _ = listener.accept()
        try:
            request, fds = _recv_request(conn)
        except (OSError, ValueError):
            conn.close()
            continue
        pid = os.fork()
        if pid == 0:  # the child: drop everything of the starter, keep the three fds
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for fd in (wake_r, wake_w):
                os.close(fd)
            listener.close()
            for other in children.values():
                other.close()
            conn.close()
            return request, fds
        for fd in fds:
            os.close(fd)
        _send(conn, {"pid": pid})
        children[pid] = conn


def _become(request: dict, fds: list[int]) -> str:
    """Turn this forked child into `python -m <module> <args>` as the caller asked."""
    for target, fd in enumerate(fds):
        if fd != target:
            os.dup2(fd, target)
    for fd in set(fds):
        if fd > 2:
            os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    env = request["env"]
    # what the interpreter reads from the environment at start-up (the caller falls back to
    # a fresh process for any other PYTHON* variable that differs from this starter's)
    prefix = env.get("PYTHONPYCACHEPREFIX")
    sys.pycache_prefix = os.path.abspath(prefix) if prefix else None
    sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
    python_path = [os.path.abspath(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:] = [os.getcwd(), *python_path, *_BASE_PATH]
    sys.argv = ["-m", *request["args"]]
    sys.orig_argv = [sys.executable, "-m", request["module"], *request["args"]]
    sys.modules["__main__"] = types.ModuleType("__main__")  # -m runs the module in a bare __main__
    importlib.invalidate_caches()
    return request["module"]


def main() -> str:
    path = sys.argv[1]
    _BASE_PATH[:] = [p for p in sys.path[1:]
                     if p not in os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    _preload()
    _preload_service_models()
    # the pre-imported objects live as long as the process: keep them out of the cyclic GC, so
    # a child neither copies their pages when collecting nor walks them again at its exit
    # (a child's exit took 0.37 s instead of 0.08 s without this)
    gc.freeze()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    os.write(1, b"ready\n")
    try:
        request, fds = _serve(listener)
    except KeyboardInterrupt:
        sys.exit(0)
    return _become(request, fds)


if __name__ == "__main__":
    import runpy

    runpy._run_module_as_main(main(), alter_argv=True)
