"""Where a browser journey's time goes (issue 9's profile), measured, not asserted:

    .venv/bin/python bench/browser_profile.py [--runs 10] [--look classic|managed]

Runs the journey of `bench/baseline_playwright.py` ("An existing user signs in through the
managed login without a code": hosted-ui-verify page → managed login → back on the callback,
"Signed in as") against an embedded pool served as the specs' is, and prints, per journey
(medians over --runs, after one warm-up journey):

- wall time, and CPU time by process (over all the journeys, divided by their number): this
  Python process (the test, the embedded server's
  threads and Playwright's driver, a Node child of it), Chromium's browser process, its
  renderers, GPU and network-service processes (from /proc; Linux only);
- the time of every Playwright call of the journey, in order (new context, new page, goto,
  click, fill, wait), and the requests the browser made;
- for comparison, the same journey in one page kept from journey to journey (navigated to
  about:blank and its cookies cleared in between) — *not* how the specs run (that would not
  isolate scenarios: see bench/RESULTS.md's profile), only the ceiling of what reusing a page
  could save.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from baseline_boto3 import control  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_by_process(root: int) -> dict[str, float]:
    """CPU seconds (user + system, children included) of `root` and its descendants, by kind."""
    procs: dict[int, tuple[int, float, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if not cmd.strip():  # an exited process not yet reaped: its name only
            cmd = stat[stat.index("(") + 1:stat.rindex(")")] + " --type=renderer"
        procs[int(entry)] = (int(fields[1]), sum(map(int, fields[11:15])) / TICK, cmd)
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (ppid, _, _) in procs.items():
        children[ppid].append(pid)
    out: dict[str, float] = defaultdict(float)
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in procs:
            _, cpu, cmd = procs[pid]
            if "chrom" in cmd:
                kind = "chromium " + (cmd.split("--type=", 1)[1].split(" ", 1)[0] if "--type=" in cmd else "browser")
                # renderers are forked by the zygote: their CPU shows there once they have exited
                kind = kind.replace("zygote", "renderer")
            else:
                kind = "python + driver"
            out[kind] += cpu
        todo += children.get(pid, [])
    return dict(out)


class CallTimer:
    """Times every call of Playwright's sync API (the client side of each round trip)."""

    def __init__(self):
        from playwright._impl import _sync_base

        self.calls: list[tuple[str, float]] | None = None
        original = _sync_base.SyncBase._sync
        timer = self

        def timed(api, awaitable):
            name = f"{type(api).__name__}.{sys._getframe(1).f_code.co_name}"
            t0 = time.perf_counter()
            try:
                return original(api, awaitable)
            finally:
                if timer.calls is not None:
                    timer.calls.append((name, time.perf_counter() - t0))

        _sync_base.SyncBase._sync = timed


def journey(page, info, email: str, password: str, look: str) -> None:
    page.goto(info.callback_url)
    page.get_by_role("button", name="Sign in with the managed login").click()
    page.get_by_label("Email").fill(email)
    if look == "managed":
        page.get_by_role("button", name="Next").click()
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_text(f"Signed in as {email}").wait_for()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--look", choices=("classic", "managed"), default="classic")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from cognito_harness.browser import resolve_browser
    from cognito_harness.config import load_config
    from cognito_harness.embedded.server import EmbeddedServer

    config = load_config(ROOT / "scenarios.yaml")
    admin = config.persona("admin")
    email, password = admin.email, admin.password_for("embedded")
    timer = CallTimer()
    server = EmbeddedServer(config)
    info = server.start()
    results = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(**resolve_browser(None, playwright=pw).launch_args())
            kept = browser.new_context().new_page()
            for variant in ("fresh context and page", "one page kept (not isolating)"):
                walls, calls, requests = [], defaultdict(list), []
                cpu_start = None
                for i in range(args.runs + 1):
                    if i == 1:
                        time.sleep(0.5)  # the warm-up's processes reaped
                        cpu_start = cpu_by_process(os.getpid())
                    control(info, "reset", {})
                    control(info, "login-style", {"style": args.look})
                    seen: list[str] = []
                    timer.calls = []
                    t0 = time.perf_counter()
                    if variant.startswith("fresh"):
                        context = browser.new_context()
                        page = context.new_page()
                    else:
                        page = kept
                    listener = lambda request: seen.append(f"{request.method} {request.url.split('?')[0].split('/', 3)[-1]}")  # noqa: E731
                    page.on("request", listener)
                    journey(page, info, email, password, args.look)
                    page.remove_listener("request", listener)
                    if variant.startswith("fresh"):
                        context.close()
                    else:
                        page.goto("about:blank")
                        page.context.clear_cookies()
                    wall = time.perf_counter() - t0
                    if i:  # the first journey warms up
                        walls.append(wall)
                        for n, (name, seconds) in enumerate(timer.calls):
                            calls[(n, name)].append(seconds)
                        requests = seen
                timer.calls = None
                time.sleep(0.5)  # closed contexts' renderers exit and are reaped
                cpu_end = cpu_by_process(os.getpid())
                cpu = {k: (cpu_end.get(k, 0.0) - cpu_start.get(k, 0.0)) / args.runs for k in cpu_end}
                results[variant] = (walls, cpu, calls, requests)
            browser.close()
    finally:
        server.stop()

    for variant, (walls, cpu, calls, requests) in results.items():
        print(f"\n== {variant}, {args.look} look: {len(walls)} journeys, median wall "
              f"{statistics.median(walls) * 1000:.0f} ms")
        per_kind = {k: v * 1000 for k, v in cpu.items()}
        print(f"   CPU per journey {sum(per_kind.values()):.0f} ms: "
              + ", ".join(f"{k} {v:.0f}" for k, v in sorted(per_kind.items(), key=lambda kv: -kv[1])))
        print(f"   {len(requests)} requests: " + ", ".join(requests))
        for (_, name), seconds in sorted(calls.items()):
            print(f"   {statistics.median(seconds) * 1000:6.1f} ms  {name}")


if __name__ == "__main__":
    main()
