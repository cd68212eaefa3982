"""A pytest plugin that says where a run's time goes (load it with `-p trips`, with
`bench/` on `sys.path`; `bench/speed.py` does that).

For every test run it records
- the wall time of its set-up, call and tear-down phases, and the CPU time this process
  (pytest and the in-process embedded server) spent on it — reliable on a loaded machine;
- every HTTP request the embedded server answered meanwhile (the steps' boto3 calls, the
  browser's page loads, the harness controls), by kind, with the server's own time;
- every call the test sent to the Playwright driver, and the events that came back;
- the set-up time of the session fixtures (the server, the target, the browser), and when
  the first test started.

It writes all that as JSON to `$HARNESS_TRIPS_OUT` (default `bench/.trips.json`).
`HARNESS_TRIPS_REPEAT=N` runs every selected test N times in a row. Nothing here changes
what a test does: it wraps the server's WSGI entry point and the Playwright connection,
and times.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter, defaultdict

import pytest

_STARTED = time.perf_counter()
_current = {"run": "(session)", "phase": "start"}
_lock = threading.Lock()
_runs: dict[str, dict] = {}
_requests: dict[str, list] = defaultdict(list)  # run -> [(phase, kind, server seconds)]
_pw_calls: dict[str, Counter] = defaultdict(Counter)
_pw_events: dict[str, Counter] = defaultdict(Counter)
_fixtures: list[tuple[str, str, float]] = []
_first_test: list[float] = []
_first_call_epoch: list[float] = []  # time.time() when the first test's own steps began
_seen: Counter = Counter()


def _kind(environ) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.split(".", 1)[-1]
    path = environ.get("PATH_INFO", "") or "/"
    method = environ.get("REQUEST_METHOD", "GET")
    query = environ.get("QUERY_STRING", "")
    if "Action=" in query:
        return query.split("Action=", 1)[1].split("&", 1)[0]
    return f"{method} {path}"


def _wrap_server() -> None:
    from cognito_harness.embedded.app import HarnessApp

    if getattr(HarnessApp, "_trips_wrapped", False):
        return
    original = HarnessApp.__call__

    def timed(self, environ, start_response):
        t0 = time.perf_counter()
        try:
            return original(self, environ, start_response)
        finally:
            with _lock:
                _requests[_current["run"]].append((_current["phase"], _kind(environ), time.perf_counter() - t0))

    HarnessApp.__call__ = timed
    HarnessApp._trips_wrapped = True


def _wrap_playwright() -> None:
    try:
        from playwright._impl.connection import Connection
    except ImportError:
        return
    if getattr(Connection, "_trips_wrapped", False):
        return
    send, dispatch = Connection.send_message_to_server, Connection.dispatch

    def counted_send(self, object, method, params, options):
        if method != "__waitInfo__":
            _pw_calls[_current["run"]][f"{object._type}.{method}"] += 1
        return send(self, object, method, params, options)

    def counted_dispatch(self, message):
        if "id" not in message:
            _pw_events[_current["run"]][message.get("method", "?")] += 1
        return dispatch(self, message)

    Connection.send_message_to_server, Connection.dispatch = counted_send, counted_dispatch
    Connection._trips_wrapped = True


def pytest_configure(config):
    _wrap_server()
    _wrap_playwright()


_REPEAT = int(os.environ.get("HARNESS_TRIPS_REPEAT", "1"))


@pytest.fixture
def _trips_repeat(request):
    return request.param


def pytest_generate_tests(metafunc):
    """HARNESS_TRIPS_REPEAT=N: every test N times (as pytest-repeat does: a parameter)."""
    if _REPEAT > 1:
        metafunc.fixturenames.append("_trips_repeat")
        metafunc.parametrize("_trips_repeat", [f"rep{i}" for i in range(_REPEAT)], indirect=True)


def _base_id(nodeid: str) -> str:
    for i in range(_REPEAT):
        nodeid = nodeid.replace(f"-rep{i}]", "]").replace(f"[rep{i}]", "")
    return nodeid


_session_depth = [0]


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    session = fixturedef.scope == "session"
    _session_depth[0] += session
    t0, cpu0 = time.perf_counter(), time.process_time()
    yield
    took = time.perf_counter() - t0
    _session_depth[0] -= session
    run = _runs.get(_current["run"])
    if session:
        _fixtures.append((fixturedef.argname, _current["run"], took))
        if run is not None and _session_depth[0] == 0:  # the outermost: it includes the nested ones
            run["session_setup"] = run.get("session_setup", 0.0) + took
            run["session_setup_cpu"] = run.get("session_setup_cpu", 0.0) + time.process_time() - cpu0
    elif run is not None:
        run.setdefault("fixtures", {})[fixturedef.argname] = took


_step_started: list[float] = []


def pytest_bdd_before_step(request, feature, scenario, step, step_func):
    _step_started[:] = [time.perf_counter()]


def pytest_bdd_after_step(request, feature, scenario, step, step_func, step_func_args):
    if _step_started and _current["run"] in _runs:
        _runs[_current["run"]].setdefault("steps", []).append(
            (f"{step.keyword} {step.name}", time.perf_counter() - _step_started[0]))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if not _first_test:
        _first_test.append(time.perf_counter() - _STARTED)
    base = _base_id(item.nodeid)
    _seen[base] += 1
    run = f"{base}#{_seen[base]}"
    _runs[run] = {"nodeid": base, "browser": item.get_closest_marker("browser") is not None}
    _current["run"] = run
    cpu0 = time.process_time()
    yield
    # CPU of this process (pytest, the in-process embedded server's threads), not Chromium's
    _runs[run]["cpu"] = time.process_time() - cpu0
    _current["run"], _current["phase"] = "(between tests)", "none"


def _timed_phase(name):
    @pytest.hookimpl(hookwrapper=True)
    def hook(item, *args, **kwargs):
        if name == "call" and not _first_call_epoch:
            _first_call_epoch.append(time.time())
        _current["phase"] = name
        t0 = time.perf_counter()
        yield
        _runs[_current["run"]][name] = time.perf_counter() - t0
    return hook


pytest_runtest_setup = _timed_phase("setup")
pytest_runtest_call = _timed_phase("call")
pytest_runtest_teardown = _timed_phase("teardown")


def pytest_runtest_logreport(report):
    run = _current["run"]
    if run in _runs and (report.when == "call" or report.outcome != "passed"):
        _runs[run].setdefault("outcome", report.outcome)


def pytest_unconfigure(config):
    out = os.environ.get("HARNESS_TRIPS_OUT", os.path.join(os.path.dirname(__file__), ".trips.json"))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        out = f"{out}.{worker}"
    if hasattr(config, "workerinput") is False and os.environ.get("PYTEST_XDIST_WORKER") is None and not _runs:
        return  # an xdist controller: its workers write their own files
    runs = {}
    for run, info in _runs.items():
        reqs = _requests.get(run, [])
        runs[run] = {
            **info,
            "total": sum(info.get(p, 0.0) for p in ("setup", "call", "teardown")),
            "requests": len(reqs),
            "server_seconds": sum(r[2] for r in reqs),
            "requests_by_phase": dict(Counter(r[0] for r in reqs)),
            "requests_by_kind": dict(Counter(r[1] for r in reqs)),
            "playwright_calls": sum(_pw_calls[run].values()),
            "playwright_by_method": dict(_pw_calls[run]),
            "playwright_events": sum(_pw_events[run].values()),
        }
    with open(out, "w") as fh:
        json.dump({"runs": runs, "session_fixtures": _fixtures,
                   "first_test_seconds": _first_test[0] if _first_test else None,
                   "first_call_epoch": _first_call_epoch[0] if _first_call_epoch else None}, fh, indent=1)
