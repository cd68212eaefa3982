"""CPU per API scenario and per AWS call, from API-only runs of the specs (issue 9).

    .venv/bin/python bench/api_cpu.py [--runs 3] [--repeat 3] [--profile out.prof]

Runs `pytest features -m "not browser" -p no:randomly -p trips` (bench/trips.py) `--runs`
times and prints, per run: the API scenarios' median CPU time (the pytest process: pytest,
pytest-bdd, boto3 and the in-process embedded server's threads), CPU per AWS call (all API
scenarios' CPU / the AWS calls they made; the harness's own /_harness/ controls are not AWS
calls), the median wall time, HTTP round trips per scenario, and the load average. CPU time
and call counts are what a machine shared with other work inflates least; compare two
commits back to back with it. `--repeat N` runs every scenario N times in a row in each run
and counts each scenario's least CPU time (and least wall time) of its N: on a machine
shared with other work, the least of a few is the figure that moves least.

`--profile out.prof`: one run, with cProfile (a thread-CPU timer) on the main thread and
around every request the embedded server answers while a test runs (start-up not profiled), merged into out.prof for
`python -m pstats out.prof`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = sys.executable
sys.path.insert(0, str(BENCH))

from speed import scenario_times  # noqa: E402

_PROFILED = """
import cProfile, pstats, sys, threading, time
import pytest
from cognito_harness.embedded.app import HarnessApp

profiles, local = [], threading.local()
served = HarnessApp.__call__

def profiled(self, environ, start_response):  # one profile per server thread, on around each request
    if not in_test:
        return served(self, environ, start_response)
    prof = getattr(local, "prof", None)
    if prof is None:
        prof = local.prof = cProfile.Profile(time.thread_time)
        profiles.append(prof)
    prof.enable()
    try:
        return served(self, environ, start_response)
    finally:
        prof.disable()

HarnessApp.__call__ = profiled
main = cProfile.Profile(time.thread_time)
in_test = False

class OnlyTheTests:  # start-up and the end of the run are not an API scenario's
    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        global in_test
        in_test = True
        main.enable()
        yield
        main.disable()
        in_test = False

try:
    code = pytest.main(sys.argv[2:], plugins=[OnlyTheTests()])
finally:
    stats = pstats.Stats(main)
    for prof in profiles:
        stats.add(prof)
    stats.dump_stats(sys.argv[1])
sys.exit(code)
"""


def one_run(trips_out: str, profile: str | None = None, repeat: int = 1) -> dict:
    env = {**os.environ, "HARNESS_TRIPS_OUT": trips_out, "HARNESS_TRIPS_REPEAT": str(repeat),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH), os.environ.get("PYTHONPATH")]))}
    args = ["features", "-q", "-m", "not browser", "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "trips"]
    cmd = [PY, "-c", _PROFILED, profile, *args] if profile else [PY, "-m", "pytest", *args]
    load = os.getloadavg()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"the run failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    with open(trips_out) as fh:
        runs = [t for t in scenario_times(json.load(fh)) if not t["browser"]]
    api = []
    def scenario(t):  # trips.py names a repeat rep<i> among a scenario's parameters
        return re.sub(r"rep\d+-?", "", t["id"])

    for nodeid in dict.fromkeys(map(scenario, runs)):  # each scenario: the least of its repeats
        mine = [t for t in runs if scenario(t) == nodeid]
        api.append({**min(mine, key=lambda t: t["cpu"]), "seconds": min(t["seconds"] for t in mine)})
    calls = sum(t["aws_calls"] for t in api)
    return {"scenarios": len(api), "aws_calls": calls,
            "cpu_median": statistics.median(t["cpu"] for t in api),
            "cpu_per_call": sum(t["cpu"] for t in api) / max(1, calls),
            "wall_median": statistics.median(t["seconds"] for t in api),
            "trips_median": statistics.median(t["requests"] for t in api),
            "load": load, "summary": out.stdout.strip().splitlines()[-1]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each scenario per run (its least counts)")
    parser.add_argument("--profile", metavar="OUT", help="one run under cProfile (all threads), stats to OUT")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="harness-api-cpu-") as tmp:
        runs = [one_run(os.path.join(tmp, f"{i}.json"), args.profile, args.repeat)
                for i in range(1 if args.profile else args.runs)]
    for r in runs:
        print(f"{r['scenarios']} API scenarios, {r['aws_calls']} AWS calls: CPU median {r['cpu_median'] * 1000:.1f} ms, "
              f"CPU per AWS call {r['cpu_per_call'] * 1000:.2f} ms, wall median {r['wall_median'] * 1000:.1f} ms, "
              f"round trips median {r['trips_median']:g}; load average {' '.join(f'{x:.2f}' for x in r['load'])} "
              f"({r['summary']})")
    if len(runs) > 1:
        print(f"median of {len(runs)} runs: CPU per scenario {statistics.median(r['cpu_median'] for r in runs) * 1000:.1f} ms, "
              f"CPU per AWS call {statistics.median(r['cpu_per_call'] for r in runs) * 1000:.2f} ms, "
              f"wall per scenario {statistics.median(r['wall_median'] for r in runs) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
