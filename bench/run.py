"""Timings of the harness, measured (not asserted): `python bench/run.py [--suite]`.

- embedded server start-up (moto + fidelity layer + provisioning the narrative's world)
- per-call latency over HTTP: password sign-in, a full MFA sign-in, identity-pool credentials
- with --suite: wall time of `pytest features` serial and with -n 2
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _stats(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    return f"median {statistics.median(ms):.1f} ms, p90 {ms[int(len(ms) * 0.9) - 1]:.1f} ms (n={len(ms)})"


def api_latencies(n: int) -> None:
    from cognito_harness import flows
    from cognito_harness.config import load_config
    from cognito_harness.embedded.server import EmbeddedServer
    from cognito_harness.target import embedded_target

    config = load_config(ROOT / "scenarios.yaml")
    started = time.perf_counter()
    server = EmbeddedServer(config)
    info = server.start()
    print(f"embedded server start-up: {time.perf_counter() - started:.2f} s")
    target = embedded_target(config, info)
    target.set_pool_mfa("OPTIONAL", totp=True)
    mfa = config.mfa_persona
    target.create_user(mfa.email, mfa.password)
    app = flows.enrol(target, mfa.email, mfa.password, config.authenticator.issuer)

    plain, full, creds = [], [], []
    for _ in range(n):
        t = time.perf_counter()
        out = flows.sign_in(target, "demo@example.com", config.persona("demo").password)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        challenge = flows.sign_in(target, mfa.email, mfa.password)
        done = flows.answer_mfa(target, challenge, mfa.email, app.fresh_code())
        full.append(time.perf_counter() - t)
        assert done.tokens, done
        t = time.perf_counter()
        got = flows.identity_credentials(target, out.tokens["IdToken"])
        creds.append(time.perf_counter() - t)
        assert got.ok, got
    print(f"password sign-in (InitiateAuth):            {_stats(plain)}")
    print(f"MFA sign-in (InitiateAuth + Respond...):    {_stats(full)}  (includes a clock move per code)")
    print(f"identity-pool credentials (GetId + GetCreds): {_stats(creds)}")
    server.stop()


def suite() -> None:
    for extra in ([], ["-n", "2"]):
        t = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "pytest", "features", "-q", "-p", "no:cacheprovider", *extra],
                                cwd=ROOT, capture_output=True, text=True)
        tail = result.stdout.strip().splitlines()[-1]
        print(f"pytest features {' '.join(extra) or '(serial)'}: {time.perf_counter() - t:.1f} s wall — {tail}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=30, help="samples per call")
    parser.add_argument("--suite", action="store_true", help="also time the whole features run")
    args = parser.parse_args()
    api_latencies(args.n)
    if args.suite:
        suite()
