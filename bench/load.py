"""Load on the embedded server: threads of sign-in + MFA, memory and throughput measured.

    .venv/bin/python bench/load.py [--threads 8] [--warmup 30] [--seconds 60] [--clock-speed 300]
                                   [--tracemalloc]

Starts `cognito-harness serve` in its own process (so its memory is measured alone), makes a
pool client with short token lifetimes (access/ID 5 min, refresh 60 min), enrols
`threads x users-per-thread` users with an authenticator, then runs the threads: each signs
its users in turn (InitiateAuth -> SOFTWARE_TOKEN_MFA -> RespondToAuthChallenge with a fresh
code). A clock thread moves the harness clock forward (`--clock-speed` times real time) so
that tokens, refresh-token records and challenge sessions expire during the run and the
server has to forget them; `--clock-speed 1` shows what a minute of real time does.

Printed (and meant for bench/RESULTS.md): the server's RSS before the load, at the end of the
warm-up and every 10 s after, sign-ins per 10 s, latency percentiles, errors.

`--tracemalloc` runs the server under Python's tracemalloc (much slower: use it to find out
what grows, not for the figures): the server takes a snapshot at the end of the warm-up and
at the end, and the run prints where the Python heap grew in between (by source line, and by
file), with the traced total. RSS growth that tracemalloc does not see is the allocator's
(freed memory kept in the process's arenas), not live objects.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import boto3
import pyotp
from botocore import UNSIGNED
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Load1234pass!"
NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=64)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class HarnessClock:
    """The served clock, moved by one thread; everyone reads the offset it last saw."""

    def __init__(self, info: dict):
        self.url, self.token = info["clock_url"], info["harness_token"]
        self.offset = self._call(None)["offset"]

    def _call(self, body):
        req = urllib.request.Request(self.url, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "X-Harness-Token": self.token})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset = self._call({"advance": seconds})["offset"]


def set_up(info: dict, users: int):
    admin = boto3.Session(aws_access_key_id=info["admin_access_key_id"],
                          aws_secret_access_key=info["admin_secret_access_key"],
                          region_name=info["region"]).client("cognito-idp", endpoint_url=info["endpoint_url"])
    pool = info["user_pool_id"]
    admin.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration="OPTIONAL",
                                   SoftwareTokenMfaConfiguration={"Enabled": True})
    client = admin.create_user_pool_client(
        UserPoolId=pool, ClientName="load", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AccessTokenValidity=5, IdTokenValidity=5, RefreshTokenValidity=60,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "minutes"},
    )["UserPoolClient"]["ClientId"]
    app = boto3.client("cognito-idp", region_name=info["region"], endpoint_url=info["endpoint_url"],
                       config=NO_RETRY.merge(Config(signature_version=UNSIGNED)))
    clock = HarnessClock(info)
    enrolled = []
    for i in range(users):
        email = f"load-{i}-{uuid.uuid4().hex[:6]}@example.com"
        admin.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS",
                                UserAttributes=[{"Name": "email", "Value": email}])
        admin.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
        access = app.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})["AuthenticationResult"]["AccessToken"]
        secret = app.associate_software_token(AccessToken=access)["SecretCode"]
        app.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).at(clock.now()))
        app.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
        enrolled.append((email, pyotp.TOTP(secret)))
    clock.advance(31)  # past the verify code's window
    return client, app, clock, enrolled


# The server under tracemalloc: SIGUSR1 writes a snapshot to the next numbered file.
_TRACED_SERVER = """
import signal, sys, tracemalloc
tracemalloc.start(12)
taken = [0]
def snapshot(*_):
    taken[0] += 1
    tracemalloc.take_snapshot().dump(f"{sys.argv[1]}.{taken[0]}")
    open(f"{sys.argv[1]}.{taken[0]}.done", "w").close()
signal.signal(signal.SIGUSR1, snapshot)
from cognito_harness.cli import main
sys.exit(main(["serve", "--config", sys.argv[2]]))
"""


def _snapshot(proc, prefix: str, number: int) -> "object":
    import tracemalloc

    os.kill(proc.pid, signal.SIGUSR1)
    done = Path(f"{prefix}.{number}.done")
    for _ in range(600):
        if done.exists():
            break
        time.sleep(0.1)
    snap = tracemalloc.Snapshot.load(f"{prefix}.{number}")
    return snap.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])


def _heap_growth(first, second) -> None:
    total = sum(s.size for s in second.statistics("filename")) - sum(s.size for s in first.statistics("filename"))
    print(f"tracemalloc: Python heap traced {sum(s.size for s in first.statistics('filename')) / 1e6:.1f} MB after "
          f"warm-up, {sum(s.size for s in second.statistics('filename')) / 1e6:.1f} MB at the end ({total / 1e6:+.2f} MB)")
    print("tracemalloc: largest growth by source line (size change, count change, where):")
    for stat in second.compare_to(first, "lineno")[:12]:
        frame = stat.traceback[0]
        print(f"  {stat.size_diff / 1024:+9.1f} KB {stat.count_diff:+7d}  {frame.filename}:{frame.lineno}")
    print("tracemalloc: by file:")
    for stat in second.compare_to(first, "filename")[:8]:
        print(f"  {stat.size_diff / 1024:+9.1f} KB  {stat.traceback[0].filename}")
    top = second.compare_to(first, "traceback")[:3]
    for stat in top:
        print(f"tracemalloc: {stat.size_diff / 1024:+.1f} KB ({stat.count_diff:+d} blocks) allocated at:")
        for line in stat.traceback.format()[-12:]:
            print("   " + line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--users-per-thread", type=int, default=20)
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds before measuring")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds measured")
    parser.add_argument("--clock-speed", type=float, default=300.0, help="harness seconds per real second")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="run the server under tracemalloc and print where its heap grew after the warm-up")
    args = parser.parse_args()

    snapshots = f"/tmp/cognito-harness-load-{os.getpid()}.snapshot"
    if args.tracemalloc:
        command = [sys.executable, "-c", _TRACED_SERVER, snapshots, str(ROOT / "scenarios.yaml")]
    else:
        command = [sys.executable, "-m", "cognito_harness.cli", "serve", "--config", str(ROOT / "scenarios.yaml")]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    info = json.loads(proc.stdout.readline())
    try:
        client, app, clock, users = set_up(info, args.threads * args.users_per_thread)
        rss_before = rss_kb(proc.pid)
        print(f"server RSS before the load: {rss_before / 1024:.1f} MB ({len(users)} enrolled users)")
        stop = threading.Event()
        lock = threading.Lock()
        done: list[tuple[float, float]] = []  # (finished at, seconds)
        errors: dict[str, int] = {}

        def clock_mover():
            step = 0.1
            while not stop.wait(step):
                clock.advance(args.clock_speed * step)

        def worker(mine):
            client_app = boto3.client("cognito-idp", region_name=info["region"], endpoint_url=info["endpoint_url"],
                                      config=NO_RETRY.merge(Config(signature_version=UNSIGNED)))
            i = 0
            while not stop.is_set():
                email, totp = mine[i % len(mine)]
                i += 1
                started = time.perf_counter()
                try:
                    challenge = client_app.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                                         AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
                    client_app.respond_to_auth_challenge(
                        ClientId=client, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
                        ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": totp.at(clock.now())})
                except Exception as err:  # noqa: BLE001 - counted, shown at the end
                    code = getattr(err, "response", {}).get("Error", {}).get("Code", type(err).__name__)
                    with lock:
                        errors[code] = errors.get(code, 0) + 1
                    continue
                with lock:
                    done.append((time.perf_counter(), time.perf_counter() - started))

        mover = threading.Thread(target=clock_mover, daemon=True)
        workers = [threading.Thread(target=worker, args=(users[t::args.threads],), daemon=True)
                   for t in range(args.threads)]
        t0 = time.perf_counter()
        mover.start()
        for w in workers:
            w.start()
        time.sleep(args.warmup)
        rss_warm = rss_kb(proc.pid)
        first = _snapshot(proc, snapshots, 1) if args.tracemalloc else None
        measure_start = time.perf_counter()
        samples = []
        while time.perf_counter() - measure_start < args.seconds:
            time.sleep(10)
            samples.append((time.perf_counter() - measure_start, rss_kb(proc.pid)))
        second = _snapshot(proc, snapshots, 2) if args.tracemalloc else None
        stop.set()
        for w in workers:
            w.join(timeout=30)
        rss_after = rss_kb(proc.pid)

        measured = [(at - measure_start, secs) for at, secs in done if at >= measure_start]
        buckets = [sum(1 for at, _ in measured if k * 10 <= at < (k + 1) * 10) for k in range(int(args.seconds // 10))]
        lat = sorted(s * 1000 for _, s in measured)
        warm = sum(1 for at, _ in done if at < measure_start)
        print(f"threads {args.threads}, users {len(users)}, clock speed {args.clock_speed:g}x "
              f"(harness clock moved {clock.offset / 3600:.1f} h)")
        print(f"warm-up {args.warmup:g} s: {warm} sign-ins; RSS at its end {rss_warm / 1024:.1f} MB")
        print("RSS every 10 s of the measured minute (MB): " + ", ".join(f"{kb / 1024:.1f}" for _, kb in samples))
        print(f"sign-ins (InitiateAuth + RespondToAuthChallenge) per 10 s: {buckets}")
        print(f"measured: {len(measured)} sign-ins in {args.seconds:g} s = {len(measured) / args.seconds * 60:.0f}/min; "
              f"p50 {statistics.median(lat):.0f} ms, p99 {lat[int(len(lat) * 0.99) - 1]:.0f} ms")
        print(f"RSS before the load {rss_before / 1024:.1f} MB, after warm-up {rss_warm / 1024:.1f} MB, "
              f"at the end {rss_after / 1024:.1f} MB (change over the measured minute "
              f"{(rss_after - rss_warm) / 1024:+.1f} MB)")
        print(f"errors: {errors or 'none'}; total run {time.perf_counter() - t0:.0f} s")
        if args.tracemalloc:
            _heap_growth(first, second)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        for leftover in Path("/tmp").glob(Path(snapshots).name + ".*"):
            leftover.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
