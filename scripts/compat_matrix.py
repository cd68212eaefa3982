"""The compatibility matrix: which Cognito stand-in can you trust for MFA?

Runs the specs (features/) against
  - the embedded target (the default run),
  - a plain `moto_server` (moto's own server, no fidelity layer),
  - cognito-local (npm `cognito-local`, when node is installed),
the last two as a real pool (`--target aws`): each is started here, provisioned with
`cognito-harness provision --target aws` like any endpoint, and run with allow_mutation.
Writes docs/compatibility.md: scenario x endpoint, each failure's reason in one line.

    .venv/bin/python scripts/compat_matrix.py [--no-cognito-local] [--with-waits] [--out docs/compatibility.md]

Not part of the default test suite (a few minutes). Scenarios tagged @waits_on_real_pool wait
3 minutes of real time on a stand-in without a movable clock: left out unless --with-waits.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PASSWORDS = {"HARNESS_DEMO_PASSWORD": "Demo1234pass", "HARNESS_ADMIN_PASSWORD": "Admin1234pass",
             "HARNESS_MFA_PASSWORD": "Aaaa1111"}
COGNITO_LOCAL = "cognito-local@5.3.0"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cognito-harness"


def log(text: str) -> None:
    print(f"[compat] {text}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: the server exited ({proc.returncode})")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url}: no answer in {seconds} s")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def env_for(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HARNESS_"))}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull, **PASSWORDS, **extra)
    return env


def run_specs(name: str, work: Path, args: list[str], env: dict) -> Path:
    report = work / f"{name}.xml"
    log(f"{name}: running the specs")
    started = time.monotonic()
    subprocess.run([PYTHON, "-m", "pytest", "features", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                    f"--junitxml={report}", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=3600)
    log(f"{name}: {time.monotonic() - started:.0f} s")
    return report


def provisioned_config(name: str, work: Path, endpoint_url: str, region: str, env: dict) -> Path:
    """`cognito-harness provision --target aws` on the endpoint; a scenarios.yaml with its block."""
    data = yaml.safe_load((ROOT / "scenarios.yaml").read_text())
    data["targets"]["aws"].update(region=region, endpoint_url=endpoint_url)
    data["targets"]["aws"].pop("clock_url", None)
    seed = work / f"{name}-provision.yaml"
    seed.write_text(yaml.safe_dump(data, sort_keys=False))
    done = subprocess.run([PYTHON, "-m", "cognito_harness.cli", "provision", "--target", "aws", "--config", str(seed)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"{name}: provision failed: {done.stderr}")
    log(f"{name}: provisioned\n" + done.stderr.rstrip())
    block = yaml.safe_load(done.stdout)["targets"]["aws"]
    block["allow_mutation"] = True
    data["default_target"] = "aws"
    data["targets"]["aws"] = block
    for persona in data["personas"].values():
        persona.pop("password", None)
    config = work / f"{name}.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    return config


def plain_moto(work: Path, extra: list[str]) -> Path:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(url + "/moto-api/", proc)
        env = env_for(AWS_DEFAULT_REGION="us-east-1", HARNESS_LEDGER=str(work / "moto-ledger.json"))
        config = provisioned_config("plain-moto", work, url, "us-east-1", env)
        return run_specs("plain-moto", work, ["--config", str(config), *extra], env)
    finally:
        stop(proc)


def cognito_local(work: Path, extra: list[str]) -> Path | None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        log("cognito-local: node/npm not installed, left out")
        return None
    home = CACHE / COGNITO_LOCAL.replace("@", "-")
    start = home / "node_modules" / "cognito-local" / "lib" / "bin" / "start.js"
    if not start.exists():
        home.mkdir(parents=True, exist_ok=True)
        log(f"cognito-local: npm install {COGNITO_LOCAL} into {home}")
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(home), COGNITO_LOCAL],
                       check=True, stdout=subprocess.DEVNULL, timeout=600)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data = work / "cognito-local-data"
    data.mkdir()
    proc = subprocess.Popen([node, str(start)], cwd=data, env={**os.environ, "PORT": str(port), "HOST": "127.0.0.1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(url + "/health", proc)
        env = env_for(AWS_DEFAULT_REGION="local", HARNESS_LEDGER=str(work / "cognito-local-ledger.json"))
        config = provisioned_config("cognito-local", work, url, "local", env)
        return run_specs("cognito-local", work, ["--config", str(config), *extra], env)
    finally:
        stop(proc)


# --- the table ---------------------------------------------------------------------------------

def one_line(text: str) -> str:
    text = " ".join((text or "").split())
    text = re.sub(r"^(AssertionError|assert) ", "", text)
    text = text.replace("|", "\\|")
    return text if len(text) <= 140 else text[:137] + "..."


def outcomes(report: Path | None) -> dict[str, tuple[str, str]]:
    """scenario (feature: title, examples kept, looks merged) -> (ok | FAIL | skip, reason)."""
    if report is None or not report.exists():
        return {}
    found: dict[str, tuple[str, str]] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = re.sub(r"\s*\[(classic|managed)\]$|-(classic|managed)\]$", lambda m: "]" if m.group(2) else "",
                      case.get("name", "")).strip()
        key = f"{case.get('classname', '')}: {name}"
        problem = case.find("failure") if case.find("failure") is not None else case.find("error")
        skipped = case.find("skipped")
        if problem is not None:
            result = ("FAIL", one_line(problem.get("message") or (problem.text or "").strip().splitlines()[0]))
        elif skipped is not None:
            result = ("skip", one_line(skipped.get("message", "")))
        else:
            result = ("ok", "")
        if key not in found or found[key][0] == "ok":  # a look that failed wins over one that passed
            found[key] = result
    return found


def cell(result: tuple[str, str] | None, not_run: str) -> str:
    if result is None:
        return f"not run ({not_run})"
    status, reason = result
    return "ok" if status == "ok" else f"**{status}**: {reason}" if status == "FAIL" else f"skip: {reason}"


def write(out: Path, columns: list[tuple[str, dict, str]], seconds: float, waits: bool) -> None:
    names = []
    for _, found, _ in columns:
        names += [n for n in found if n not in names]
    lines = ["# Compatibility: which Cognito stand-in can you trust for MFA?", "",
             "The specs (`features/`) run against the embedded target and, as a real pool (`--target aws`, "
             "provisioned with `cognito-harness provision --target aws`, `allow_mutation: true`), against a plain "
             "`moto_server` (moto 5.2.5, no fidelity layer) and cognito-local "
             f"({COGNITO_LOCAL.split('@')[1]}, npm). Generated by `.venv/bin/python scripts/compat_matrix.py` "
             f"in {seconds / 60:.0f} min" + ("" if waits else "; scenarios tagged `@waits_on_real_pool` are run only on "
                                              "the embedded target (3 min of real waiting elsewhere; `--with-waits`)")
             + ". Browser scenarios count once (a scenario passes when both managed-login looks pass).", ""]
    lines.append("| endpoint | passed | failed | skipped | not run |")
    lines.append("|---|---|---|---|---|")
    for title, found, _ in columns:
        counts = {s: sum(1 for r in found.values() if r[0] == s) for s in ("ok", "FAIL", "skip")}
        lines.append(f"| {title} | {counts['ok']}/{len(names)} | {counts['FAIL']} | {counts['skip']} | "
                     f"{len(names) - len(found)} |")
    lines += ["", "| scenario | " + " | ".join(t for t, _, _ in columns) + " |",
              "|---|" + "---|" * len(columns)]
    for name in names:
        lines.append(f"| {name.replace('|', '/')} | " + " | ".join(cell(found.get(name), why)
                                                                  for _, found, why in columns) + " |")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "compatibility.md"))
    parser.add_argument("--no-cognito-local", action="store_true")
    parser.add_argument("--with-waits", action="store_true", help="also run @waits_on_real_pool on the stand-ins")
    args = parser.parse_args(argv)
    started = time.monotonic()
    extra = [] if args.with_waits else ["-m", "not waits_on_real_pool"]
    with tempfile.TemporaryDirectory(prefix="compat-") as tmp:
        work = Path(tmp)
        embedded = run_specs("embedded", work, [], env_for(HARNESS_LEDGER=str(work / "embedded-ledger.json")))
        columns = [("embedded", outcomes(embedded), "")]
        columns.append(("plain moto", outcomes(plain_moto(work, extra)), "@waits_on_real_pool: 3 min of real waiting"))
        if not args.no_cognito_local:
            local = cognito_local(work, extra)
            if local is not None:
                columns.append(("cognito-local", outcomes(local), "@waits_on_real_pool: 3 min of real waiting"))
    write(Path(args.out), columns, time.monotonic() - started, args.with_waits)
    for title, found, _ in columns:
        log(f"{title}: {sum(1 for r in found.values() if r[0] == 'ok')}/{len(found)} passed")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
