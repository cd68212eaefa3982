"""The speed benchmark (issue 9), in one command:

    .venv/bin/python bench/speed.py            # the record: medians of 3 runs each, ~5 min idle
    .venv/bin/python bench/speed.py --quick    # one run each, fewer baseline rounds, ~1 min

measures, on this machine, in one go:
- `pytest features` serial (with bench/trips.py: per-scenario times, HTTP round trips,
  start-up to the first scenario) and `pytest features -n 2`: wall time, result line, peak
  RSS of the whole process tree (pytest, its workers, Playwright's driver, Chromium);
- `pytest features --fidelity off` and the whole suite (`pytest`, serial and -n 2) once each
  (not with --quick);
- the two baselines kept in bench/: the API narrative's calls made by a plain boto3 script
  (baseline_boto3.py) and the browser journeys as bare Playwright (baseline_playwright.py),
  each against an embedded pool served as the specs' is, right after each serial run of the
  specs (a ratio compares figures taken under the same machine load);

and writes the "Speed" section of bench/RESULTS.md (between its markers; the rest of the file
is left as it is). `--no-write` only prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "RESULTS.md"
BEGIN, END = "<!-- speed:begin (bench/speed.py writes this section) -->", "<!-- speed:end -->"
PY = sys.executable

sys.path.insert(0, str(BENCH))
from baseline_playwright import JOURNEYS  # noqa: E402
from results_file import write_section  # noqa: E402


# --- running things ---------------------------------------------------------------------

def _tree_rss_kb(root_pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm") as fh:
                pages = int(fh.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def run(args: list[str], env: dict | None = None, timeout: float = 1800) -> dict:
    """Runs a command; its wall time, peak process-tree RSS, exit code and output."""
    peak = [0]
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)

    def watch():
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, _ = proc.communicate(timeout=timeout)
    wall = time.perf_counter() - started
    watcher.join()
    summary = next((line for line in reversed(out.splitlines()) if re.search(r"\d+ (passed|failed|error)", line)), "")
    return {"wall": wall, "rss_mb": peak[0] / 1024, "rc": proc.returncode, "summary": summary.strip("= "),
            "output": out}


def pytest_run(extra: list[str], trips_out: str | None = None) -> dict:
    env = {}
    args = [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra]
    if trips_out:
        env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH), os.environ.get("PYTHONPATH")])),
               "HARNESS_TRIPS_OUT": trips_out}
        args += ["-p", "trips"]
    t0 = time.time()
    result = run(args, env)
    if trips_out:
        with open(trips_out) as fh:
            result["trips"] = json.load(fh)
        first = result["trips"].get("first_call_epoch")
        result["startup"] = first - t0 if first else None
    return result


# --- what the runs say ------------------------------------------------------------------

def _is_control(kind: str) -> bool:
    return " /_harness/" in kind


def scenario_times(trips: dict) -> list[dict]:
    """Each scenario run: its time without the session's start-up, browser or not, AWS calls."""
    out = []
    first_id = next(iter(trips["runs"]), None)
    for run_id, r in trips["runs"].items():
        if r.get("outcome") not in (None, "passed"):
            continue
        aws_calls = sum(n for kind, n in r["requests_by_kind"].items()
                        if not _is_control(kind) and not kind.startswith(("GET /verify", "GET /oauth2", "POST /oauth2",
                                                                        "GET /login", "POST /login", "GET /mfa",
                                                                        "POST /mfa", "GET /managed-login")))
        out.append({"id": r["nodeid"], "title": r["nodeid"].split("::")[-1], "browser": r["browser"],
                    "seconds": r["total"] - r.get("session_setup", 0.0), "aws_calls": aws_calls,
                    "cpu": None if r.get("cpu") is None else r["cpu"] - r.get("session_setup_cpu", 0.0),
                    "requests": r["requests"], "server": r["server_seconds"],
                    "playwright_calls": r.get("playwright_calls", 0),
                    "first": run_id == first_id})
    return out


def dist(values: list[float]) -> dict:
    values = sorted(values)
    if not values:
        return {}
    return {"n": len(values), "median": statistics.median(values), "p90": values[max(0, int(len(values) * 0.9) - 1)],
            "max": values[-1], "min": values[0]}


def ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.0f} ms"


def s(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.1f} s"


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("pytest", "pytest-bdd", "pytest-xdist", "pytest-playwright", "boto3", "moto", "playwright"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def machine() -> str:
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = "?"
    try:
        kb = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")))
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), {mem} RAM"


def chromium_version() -> str:
    try:
        sys.path.insert(0, str(ROOT))
        from cognito_harness.browser import resolve_browser
        path = resolve_browser(None).executable_path
        if path:
            return subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20).stdout.strip() or path
    except Exception as err:  # noqa: BLE001
        return f"? ({err})"
    return "Playwright's Chromium"


# --- the report ---------------------------------------------------------------------------

def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def report(data: dict) -> str:
    serial, par = data["serial"], data["parallel"]
    serial_wall = statistics.median(r["wall"] for r in serial)
    par_wall = statistics.median(r["wall"] for r in par)
    startups = [r["startup"] for r in serial if r.get("startup")]
    startup = statistics.median(startups) if startups else None
    scen = [t for r in serial for t in scenario_times(r["trips"])]
    api = [t for t in scen if not t["browser"]]
    browser = [t for t in scen if t["browser"]]
    api_d, br_d = dist([t["seconds"] for t in api]), dist([t["seconds"] for t in browser])
    firsts = [t for t in scen if t["first"]]
    # harness overhead on the API narrative: time per AWS call, specs vs plain boto3, per round
    api_ratios, per_call_mine = [], []
    for r, boto_round in zip(serial, data["boto3_rounds"]):
        mine = [t for t in scenario_times(r["trips"]) if not t["browser"]]
        per_call = sum(t["seconds"] for t in mine) / max(1, sum(t["aws_calls"] for t in mine))
        per_call_mine.append(per_call)
        api_ratios.append(per_call / boto_round["seconds_per_call"])
    harness_per_call = statistics.median(per_call_mine)
    boto = {"seconds_per_call": statistics.median(b["seconds_per_call"] for b in data["boto3_rounds"]),
            "calls_per_pass": data["boto3_rounds"][0]["calls_per_pass"],
            "passes": sum(b["passes"] for b in data["boto3_rounds"])}
    api_ratio = statistics.median(api_ratios)
    # the same in CPU time (this process: pytest or the script, and the in-process server's
    # threads): what a loaded machine does not inflate
    cpu_mine = [sum(t["cpu"] for t in api) / max(1, sum(t["aws_calls"] for t in api))
                for api in ([t for t in scenario_times(r["trips"]) if not t["browser"]] for r in serial)
                if api and all(t.get("cpu") is not None for t in api)]
    cpu_boto = [b["cpu_seconds_per_call"] for b in data["boto3_rounds"] if "cpu_seconds_per_call" in b]
    # browser scenario vs the bare journey over the same pages, per round
    rows, ratios = [], []
    titles = sorted(data["playwright_rounds"][0]["median_seconds"])
    for title in titles:
        pair = []
        for r, bare_round in zip(serial, data["playwright_rounds"]):
            mine = [t["seconds"] for t in scenario_times(r["trips"]) if t["browser"] and t["title"] == title]
            if mine:
                pair.append((statistics.median(mine), bare_round["median_seconds"][title]))
        if pair:
            ratio = statistics.median(m / b for m, b in pair)
            ratios.append(ratio)
            rows.append(f"| {title} | {ms(statistics.median(m for m, _ in pair))} | "
                        f"{ms(statistics.median(b for _, b in pair))} | {ratio:.2f}× |")
    browser_ratio = statistics.median(ratios) if ratios else None
    bare_runs = sum(b["runs"] for b in data["playwright_rounds"])
    rss = max(r["rss_mb"] for r in serial + par)
    quick = data["quick"]
    lines = [
        "## Speed (issue 9)",
        "",
        f"Written by `.venv/bin/python bench/speed.py{' --quick' if quick else ''}` on {data['when']}"
        + (" — **quick mode: one run each, not the record**" if quick else "") + ".",
        "",
        f"- machine: {data['machine']}; load average when it started: {data['load']}",
        f"- versions: {', '.join(f'{k} {v}' for k, v in data['versions'].items())}; {data['chromium']}",
        f"- every figure is the median of {len(serial)} run(s) unless it says otherwise; the scenarios run in "
        "pytest-randomly's random order (a new seed each run)",
        "",
        "| what | measured | target | |",
        "|---|---|---|---|",
        f"| `pytest features` serial, wall, start-up included | {s(serial_wall)} ({serial[0]['summary']}) | ≤ 8 s | "
        f"{verdict(serial_wall <= 8)} |",
        f"| `pytest features -n 2`, wall | {s(par_wall)} ({par[0]['summary']}) | clearly faster than serial | "
        f"{verdict(par_wall < 0.85 * serial_wall)} |",
        f"| start-up to the first scenario's steps (process start → first step) | {s(startup)} | – | |",
        f"| API scenario, median / p90 / max ({api_d.get('n', 0)} runs) | {ms(api_d.get('median'))} / "
        f"{ms(api_d.get('p90'))} / {ms(api_d.get('max'))} | median ≤ 30 ms | {verdict(api_d.get('median', 1) <= 0.030)} |",
        f"| browser scenario, median / p90 / max ({br_d.get('n', 0)} runs) | {ms(br_d.get('median'))} / "
        f"{ms(br_d.get('p90'))} / {ms(br_d.get('max'))} | ≤ 0.3 s | {verdict(br_d.get('median', 1) <= 0.3)} |",
        f"| the first scenario of a run (start-up not counted) | "
        f"{', '.join(ms(t['seconds']) for t in firsts) or '–'} | pays no warm-up | |",
        f"| harness overhead on the API narrative: time per AWS call, specs vs plain boto3 | "
        f"{ms(harness_per_call)} vs {boto['seconds_per_call'] * 1000:.1f} ms = {api_ratio:.2f}× | ≤ 1.5× | "
        f"{verdict(api_ratio <= 1.5)} |",
        *([f"| the same in CPU time per AWS call (this process and its in-process server), specs vs plain boto3 | "
           f"{statistics.median(cpu_mine) * 1000:.1f} ms vs {statistics.median(cpu_boto) * 1000:.1f} ms = "
           f"{statistics.median(cpu_mine) / statistics.median(cpu_boto):.2f}× | – | |"] if cpu_mine and cpu_boto else []),
        f"| browser scenario vs the bare Playwright journey (median of the ratios below) | "
        f"{'–' if browser_ratio is None else f'{browser_ratio:.2f}×'} | ≤ 1.5× | "
        f"{verdict(None if browser_ratio is None else browser_ratio <= 1.5)} |",
        f"| peak RSS, whole process tree (pytest, workers, Playwright driver, Chromium) | {rss:.0f} MB | – | |",
    ]
    if data.get("fidelity_off"):
        f = data["fidelity_off"]
        lines.append(f"| `pytest features --fidelity off` (1 run) | {s(f['wall'])} ({f['summary']}) | ≤ 30 s | "
                     f"{verdict(f['wall'] <= 30)} |")
    if data.get("suite_serial"):
        a, b = data["suite_serial"], data["suite_parallel"]
        lines.append(f"| whole suite `pytest` serial (1 run) | {s(a['wall'])} ({a['summary']}) | ≤ 30 s | "
                     f"{verdict(a['rc'] == 0 and a['wall'] <= 30)} |")
        lines.append(f"| whole suite `pytest -n 2` (1 run) | {s(b['wall'])} ({b['summary']}) | faster than serial | "
                     f"{verdict(b['rc'] == 0 and b['wall'] < a['wall'])} |")
    lines += [
        "",
        "Browser scenarios against `bench/baseline_playwright.py` (same pages, same server, bare Playwright, "
        f"{bare_runs} journeys each, run right after each serial run of the specs; the ratio is the median of the "
        "rounds' ratios; a scenario's time is its set-up + steps + tear-down):",
        "",
        "| journey | scenario (median) | bare Playwright (median) | ratio |",
        "|---|---|---|---|",
        *rows,
        "",
        f"API baseline: `bench/baseline_boto3.py`, {boto['calls_per_pass']} AWS calls per pass of the narrative, "
        f"{boto['passes']} passes in all, run right after each serial run of the specs (the ratio is the median of "
        "the rounds' ratios). The specs' time per AWS call is the API scenarios' time (set-up, steps, "
        "tear-down: the reset before it, the Givens, pytest and pytest-bdd) divided by the AWS calls they "
        "made (the harness's own /_harness/ calls not counted as AWS calls).",
        "",
        "HTTP round trips per scenario (serial runs, median): API "
        f"{statistics.median([t['requests'] for t in api]) if api else '–'}, browser "
        f"{statistics.median([t['requests'] for t in browser]) if browser else '–'} "
        "(all requests the embedded server answered while the scenario ran, page loads included).",
    ]
    lines += ["", "Where a scenario's time goes (serial runs, medians per scenario):", "",
              "| | time | HTTP requests | of it in the embedded server | Playwright calls |",
              "|---|---|---|---|---|"]
    for name, group in (("API scenario", api), ("browser scenario", browser)):
        if group:
            med = lambda key: statistics.median(t[key] for t in group)  # noqa: E731
            lines.append(f"| {name} | {ms(med('seconds'))} | {med('requests'):.0f} | {ms(med('server'))} | "
                         f"{med('playwright_calls'):.0f} |")
    fixtures: dict[str, list[float]] = {}
    for r in serial:
        for name, _, took in r["trips"]["session_fixtures"]:
            fixtures.setdefault(name, []).append(took)
    shown = [(n, statistics.median(v)) for n, v in fixtures.items() if statistics.median(v) >= 0.02]
    if shown:
        lines += ["", "Start-up, session fixtures (median set-up; nested ones are inside their parent's): "
                  + ", ".join(f"`{n}` {t:.2f} s" for n, t in shown) + "."]
    return "\n".join(lines)


def write(section: str) -> None:
    write_section(BEGIN, END, section, RESULTS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run each, fewer baseline rounds (not the record)")
    parser.add_argument("--runs", type=int, default=None, help="runs of each pytest command (default 3, quick 1)")
    parser.add_argument("--no-write", action="store_true", help="print the section, leave RESULTS.md alone")
    parser.add_argument("--report-only", metavar="JSON", help="only write the section again from a saved "
                        "bench/.speed-last.json")
    args = parser.parse_args()
    if args.report_only:
        return finish(json.loads(Path(args.report_only).read_text()), args.no_write)
    runs = args.runs or (1 if args.quick else 3)
    data = {"quick": args.quick, "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg()), "versions": versions(),
            "chromium": chromium_version()}
    tmp = tempfile.mkdtemp(prefix="harness-speed-")

    data["serial"], data["parallel"], data["boto3_rounds"], data["playwright_rounds"] = [], [], [], []
    for i in range(runs):
        # each round: the specs, then the baselines right after (the same machine state)
        r = pytest_run(["features"], trips_out=os.path.join(tmp, f"serial{i}.json"))
        say(f"pytest features (serial) {r['wall']:.1f} s: {r['summary']}")
        data["serial"].append(r)
        out = subprocess.run([PY, str(BENCH / "baseline_boto3.py"), "--json", "--passes", "5" if args.quick else "10"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
        data["boto3_rounds"].append(json.loads(out.strip().splitlines()[-1]))
        say(f"baseline boto3: {data['boto3_rounds'][-1]['seconds_per_call'] * 1000:.2f} ms per call")
        out = subprocess.run([PY, str(BENCH / "baseline_playwright.py"), "--json", "--runs", "2" if args.quick else "4"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
        data["playwright_rounds"].append(json.loads(out.strip().splitlines()[-1]))
        say("baseline Playwright: done")
        r = pytest_run(["features", "-n", "2"])
        say(f"pytest features -n 2 {r['wall']:.1f} s: {r['summary']}")
        data["parallel"].append(r)
    if not args.quick:
        data["fidelity_off"] = pytest_run(["features", "--fidelity", "off"])
        say(f"pytest features --fidelity off {data['fidelity_off']['wall']:.1f} s: {data['fidelity_off']['summary']}")
        data["suite_serial"] = pytest_run([])
        say(f"pytest (whole suite) {data['suite_serial']['wall']:.1f} s: {data['suite_serial']['summary']}")
        data["suite_parallel"] = pytest_run(["-n", "2"])
        say(f"pytest -n 2 (whole suite) {data['suite_parallel']['wall']:.1f} s: {data['suite_parallel']['summary']}")
    for r in data["serial"] + data["parallel"] + [data.get(k) for k in ("fidelity_off", "suite_serial", "suite_parallel")]:
        if r:
            r.pop("output", None)
    (BENCH / ".speed-last.json").write_text(json.dumps(data))
    return finish(data, args.no_write)


def say(text: str) -> None:
    print(f"[speed] {text}", flush=True)


def finish(data: dict, no_write: bool) -> int:
    section = report(data)
    print(section)
    if not no_write:
        write(section)
        say(f"written to {RESULTS.relative_to(ROOT)}")
    failed = [r for r in data["serial"] + data["parallel"] if r["rc"] != 0]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
