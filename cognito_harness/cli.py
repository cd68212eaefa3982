"""`cognito-harness` — the command line.

  cognito-harness serve [--port N] [--config scenarios.yaml] [--expose-moto-api]
      Starts the embedded pool on 127.0.0.1, prints one JSON line (endpoint_url, region,
      user_pool_id, client_id, identity_pool_id, admin key pair, ...) and serves until
      Ctrl-C / SIGTERM.
  cognito-harness steps [--markdown]
      Lists the step vocabulary a .feature file can use.
  cognito-harness check-config [--config scenarios.yaml] [--target embedded|aws]
      Validates scenarios.yaml and says what is wrong, by key path.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import signal
import sys
import threading
from pathlib import Path

from .errors import HarnessError


def _serve(args) -> int:
    from .config import load_config
    from .embedded.server import EmbeddedServer

    config = load_config(args.config, target="embedded")
    server = EmbeddedServer(config, port=args.port, fidelity=not args.no_fidelity,
                            expose_moto_api=args.expose_moto_api)
    info = server.start()
    print(json.dumps(info.as_dict()), flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    server.stop()
    print("cognito-harness: stopped", file=sys.stderr)
    return 0


def step_vocabulary(package: str = "steps") -> list[dict]:
    """Every step definition in the `steps` package: kind, text, module, doc."""
    root = Path.cwd()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        pkg = importlib.import_module(package)
    except ImportError as err:
        raise HarnessError(f"no step package '{package}' here ({root}); run from the project folder: {err}") from None
    found = []
    for mod_info in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"{package}.{mod_info.name}")
        for name, value in vars(module).items():
            if not name.startswith("pytestbdd_stepdef_"):
                continue
            context = value._get_wrapped_function()()
            if context.step_func.__module__ != module.__name__:
                continue  # imported from elsewhere
            pattern = getattr(context.parser, "name", str(context.parser))
            found.append({"kind": context.type, "text": pattern, "module": mod_info.name,
                          "doc": (context.step_func.__doc__ or "").strip().splitlines()[0:1]})
    order = {"given": 0, "when": 1, "then": 2}
    return sorted(found, key=lambda s: (order.get(s["kind"], 3), s["text"]))


def _steps(args) -> int:
    steps = step_vocabulary()
    if args.markdown:
        print("| keyword | step text | module |\n|---|---|---|")
        for s in steps:
            print(f"| {s['kind'].capitalize()} | `{s['text']}` | {s['module']} |")
    else:
        current = None
        for s in steps:
            if s["kind"] != current:
                current = s["kind"]
                print(f"\n{current.capitalize()}:")
            print(f"  {s['text']}    [{s['module']}]")
        print(f"\n{len(steps)} steps. Text in {{braces}} is a parameter, e.g. \"{{persona}}\" is a persona "
              "key from scenarios.yaml (demo, admin, mfa user).")
    return 0


def _check_config(args) -> int:
    from .config import load_config

    config = load_config(args.config, target=args.target)
    print(f"{config.path}: valid (target {config.target_name}, personas: {', '.join(config.personas)})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cognito-harness", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the embedded pool over HTTP on 127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="port (default: scenarios.yaml, 0 = any free port)")
    serve.add_argument("--config", default="scenarios.yaml")
    serve.add_argument("--expose-moto-api", action="store_true",
                       help="also serve moto's /moto-api/ on the port: data.json shows every user's password, "
                            "every live token and the admin secret key, /moto-api/reset wipes the world "
                            "(debugging only: any local process can read it, any web page can post to it)")
    serve.add_argument("--no-fidelity", action="store_true",
                       help="serve plain moto (to compare; everything the harness fixes is broken again)")
    steps = sub.add_parser("steps", help="list the step vocabulary for .feature files")
    steps.add_argument("--markdown", action="store_true")
    check = sub.add_parser("check-config", help="validate scenarios.yaml")
    check.add_argument("--config", default="scenarios.yaml")
    check.add_argument("--target", default=None)
    args = parser.parse_args(argv)
    try:
        return {"serve": _serve, "steps": _steps, "check-config": _check_config}[args.command](args)
    except HarnessError as err:
        print(f"cognito-harness: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except OSError as err:
        print(f"cognito-harness: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
