"""Never flaky: run the specs N times in a row and count the green runs.

    .venv/bin/python bench/repeat.py 30              # `pytest features`, 30 times
    .venv/bin/python bench/repeat.py 30 --whole      # the whole suite (`pytest`), 30 times
    .venv/bin/python bench/repeat.py 30 -- -m "not browser"   # extra pytest arguments after --

The runs cycle through four ways of starting, so a flake tied to one of them shows up:
1. random order (pytest-randomly, a new seed each run; the seed is recorded);
2. `--clock-edge=-1`: every scenario starts one second before a TOTP window turns;
3. `--clock-edge=1`: every scenario starts one second after a window turned;
4. `-n 2` (pytest-xdist), random order.

Every run is in random order. A failing run's seed and mode are printed, and its output is
kept in bench/.repeat-failures/; replay it with the printed command. At the end the count
goes into the "Repeat runs" section of bench/RESULTS.md (`--no-write`: print only).
Exit status 0 only if every run was green.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_file import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
FAILURES = ROOT / "bench" / ".repeat-failures"
BEGIN, END = "<!-- repeat:begin (bench/repeat.py writes this section) -->", "<!-- repeat:end -->"

MODES = [
    ("random order", []),
    ("clock 1 s before a TOTP window edge", ["--clock-edge=-1"]),
    ("clock 1 s after a TOTP window edge", ["--clock-edge=1"]),
    ("-n 2, random order", ["-n", "2"]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", type=int, nargs="?", default=30)
    parser.add_argument("--whole", action="store_true", help="the whole suite, not only the specs")
    parser.add_argument("--no-write", action="store_true")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []  # after --: extra pytest arguments
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *([] if args.whole else ["features"]), *extra]
    green, failed, counts, walls = 0, [], {name: 0 for name, _ in MODES}, []
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for i in range(args.runs):
        name, mode = MODES[i % len(MODES)]
        seed = random.randrange(1, 2**32)
        cmd = [*base, *mode, f"--randomly-seed={seed}"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        walls.append(time.perf_counter() - t0)
        summary = next((line for line in reversed(proc.stdout.splitlines())
                        if re.search(r"\d+ (passed|failed|error)", line)), "(no summary)").strip("= ")
        shown = " ".join(cmd[1:])
        if proc.returncode == 0:
            green += 1
            counts[name] += 1
            print(f"[repeat] {i + 1}/{args.runs} green ({name}, seed {seed}) {walls[-1]:.1f} s: {summary}", flush=True)
        else:
            FAILURES.mkdir(exist_ok=True)
            log = FAILURES / f"run{i + 1}-seed{seed}.txt"
            log.write_text(proc.stdout + proc.stderr)
            failed.append((i + 1, name, seed, summary, shown))
            print(f"[repeat] {i + 1}/{args.runs} FAILED ({name}, seed {seed}): {summary}\n"
                  f"         replay: python {shown}\n         output: {log.relative_to(ROOT)}", flush=True)
    what = "`pytest`" if args.whole else "`pytest features`"
    lines = [
        "## Repeat runs (issue 9: never flaky)",
        "",
        f"`.venv/bin/python bench/repeat.py {args.runs}{' --whole' if args.whole else ''}"
        f"{(' -- ' + ' '.join(extra)) if extra else ''}` on {started}: **{green} of {args.runs} consecutive runs "
        f"of {what} green**.",
        "",
        "| how the run started | green runs |",
        "|---|---|",
        *[f"| {name} | {counts[name]} of {len(range(k, args.runs, len(MODES)))} |" for k, (name, _) in enumerate(MODES)],
        "",
        f"Every run in random order with its own seed; wall per run: median "
        f"{sorted(walls)[len(walls) // 2]:.1f} s." if walls else "",
    ]
    if failed:
        lines += ["", "Failed runs (replay with the command):", ""]
        lines += [f"- run {n} ({name}, seed {seed}): {summary} — `python {shown}`" for n, name, seed, summary, shown in failed]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        write_section(BEGIN, END, section, RESULTS)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
