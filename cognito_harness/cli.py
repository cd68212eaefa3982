"""`cognito-harness` — the command line.

  cognito-harness serve [--port N] [--config scenarios.yaml] [--expose-moto-api]
      Starts the embedded pool on 127.0.0.1, prints one JSON line (endpoint_url, region,
      user_pool_id, client_id, identity_pool_id, admin key pair, ...) and serves until
      Ctrl-C / SIGTERM.
  cognito-harness steps [--markdown]
      Lists the step vocabulary a .feature file can use.
  cognito-harness check-config [--config scenarios.yaml] [--target embedded|aws] [--online]
      Validates scenarios.yaml and says what is wrong, by key path. For aws: flags the example's
      placeholders and unset password variables; --online prints the pre-flight table.
  cognito-harness restore [--dry-run] [--config scenarios.yaml]
      Undoes what the ledger says runs changed on the real pool (targets.aws): users they
      created, the pool's MFA configuration. --dry-run lists it.
  cognito-harness provision --target aws [--delete] [--config scenarios.yaml]
      Creates, idempotently, the pool, client, domain, identity pool, role, bucket and existing
      personas the specs expect (region / endpoint_url of targets.aws); prints the targets.aws
      block. --delete removes what it created.
  cognito-harness list-pool [--config scenarios.yaml]
      Prints everything a run could change in the real pool, as JSON (to compare before/after).
  cognito-harness check-features [paths ...]
      Checks .feature files (default: features/) without running them: Gherkin mistakes and
      undefined steps with the closest existing ones, by file and line. Exit 1 when any.
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


def _import_steps(name: str, package: str, root: Path):
    """Imports the step package or one of its modules. The package itself missing is "not the
    project folder"; anything else that cannot be imported is named as what it is."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name == package:
            raise HarnessError(f"no step package '{package}' here ({root}); run from the project folder") from None
        raise HarnessError(f"the step module '{name}' cannot be imported: no module named '{err.name}' "
                           f"(is it installed in {sys.executable}?)") from None
    except ImportError as err:
        raise HarnessError(f"the step module '{name}' cannot be imported: {err}") from None


def step_vocabulary(package: str = "steps") -> list[dict]:
    """Every step definition in the `steps` package: kind, text, module, doc."""
    root = Path.cwd()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    pkg = _import_steps(package, package, root)
    found = []
    for mod_info in pkgutil.iter_modules(pkg.__path__):
        module = _import_steps(f"{package}.{mod_info.name}", package, root)
        for name, value in vars(module).items():
            if not name.startswith("pytestbdd_stepdef_"):
                continue
            context = value._get_wrapped_function()()
            if context.step_func.__module__ != module.__name__:
                continue  # imported from elsewhere
            pattern = getattr(context.parser, "name", str(context.parser))
            found.append({"kind": context.type, "text": pattern, "module": mod_info.name,
                          "doc": [" ".join((context.step_func.__doc__ or "").split())] if context.step_func.__doc__ else []})
    order = {"given": 0, "when": 1, "then": 2}
    return sorted(found, key=lambda s: (order.get(s["kind"], 3), s["text"]))


def _steps(args) -> int:
    steps = step_vocabulary()
    if args.markdown:
        print("| keyword | step text | what it does (a Given: what it establishes) | module |\n|---|---|---|---|")
        for s in steps:
            doc = " ".join(s["doc"]).replace("|", "\\|")
            print(f"| {s['kind'].capitalize()} | `{s['text']}` | {doc} | {s['module']} |")
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
    from . import preflight
    from .config import load_config

    config = load_config(args.config, target=args.target)
    print(f"{config.path}: valid (target {config.target_name}, personas: {', '.join(config.personas)})")
    if config.target_name != "aws":
        return 0
    problems = preflight.offline_problems(config)
    for problem in problems:
        print(f"  not ready for --target aws: {problem}")
    if not args.online:
        if not problems:
            print("  --online also checks the pool itself (the pre-flight table)")
        return 1 if problems else 0
    target = _real_target(args.config)
    report = preflight.check(target)
    needs = preflight.feature_needs(config, args.features)
    report.count(needs)
    print(report.table(len(needs)))
    skipped = sum(1 for need in needs if report.skip_reason(need))
    if skipped:
        print(f"  -> {skipped} of {len(needs)} scenarios would be skipped for what is missing")
    return 1 if problems or report.missing else 0


def _real_target(config_path: str, ledger_path: str | None = None):
    from .config import load_config
    from .ledger import Ledger, default_path
    from .target import aws_target

    config = load_config(config_path, target="aws")
    return aws_target(config, Ledger(ledger_path or default_path(Path.cwd())))


def _restore(args) -> int:
    from . import restore

    target = _real_target(args.config, args.ledger)
    lines = restore.restore(target, dry_run=args.dry_run)
    others = {pool: entry for pool, entry in target.ledger.pools().items() if pool != target.user_pool_id}
    if not lines:
        print(f"cognito-harness: the ledger ({target.ledger.path}) holds no changes to {target.user_pool_id}")
    else:
        print(f"cognito-harness: {'would undo' if args.dry_run else 'undone'} on {target.user_pool_id}:")
        for line in lines:
            print(f"  {line.text}")
    for pool, entry in others.items():
        print(f"  (the ledger also holds changes to {pool} at {entry.get('endpoint') or 'AWS'}: "
              "not the pool of targets.aws, left alone)")
    return 0 if all(line.ok for line in lines) else 1


def _provision(args) -> int:
    import boto3
    from botocore.exceptions import ClientError

    from .config import load_config
    from .provisioning import Provisioner

    config = load_config(args.config, target="aws")
    aws = config.aws
    session = boto3.Session(region_name=aws.region)
    if session.get_credentials() is None:
        raise HarnessError("no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
    provisioner = Provisioner(config, session, aws.endpoint_url, aws.region,
                              log=lambda line: print(f"  {line}", file=sys.stderr))
    where = aws.endpoint_url or f"AWS {aws.region}"
    if args.delete:
        print(f"cognito-harness: deleting what provision created at {where}", file=sys.stderr)
        provisioner.delete()
        return 0
    print(f"cognito-harness: provisioning the test world at {where}", file=sys.stderr)
    try:
        world = provisioner.provision(domain_prefix=args.domain_prefix)
    except ClientError as err:
        raise HarnessError(f"provision: {err.operation_name}: {err.response['Error'].get('Code')}: "
                           f"{err.response['Error'].get('Message', '')}") from None
    print("# put this in scenarios.yaml (allow_mutation: true lets runs create their own users):")
    print(world.yaml(), end="")
    return 0


def _list_pool(args) -> int:
    from .pool_listing import dumps, list_pool

    target = _real_target(args.config)
    print(dumps(list_pool(target.session, target.endpoint_url, target.user_pool_id,
                          target.identity_pool_id or None, target.config.identity_pool.bucket)))
    return 0


def _check_features(args) -> int:
    from .pytest_features import run_check

    return run_check(args.paths)


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
    check.add_argument("--online", action="store_true",
                       help="--target aws: also look at the pool (the pre-flight table for every scenario)")
    check.add_argument("--features", default="features", help="the .feature files --online reads (default: features)")
    restore = sub.add_parser("restore", help="undo what interrupted runs changed on the real pool (the ledger)")
    restore.add_argument("--config", default="scenarios.yaml")
    restore.add_argument("--dry-run", action="store_true", help="list what would be undone, change nothing")
    restore.add_argument("--ledger", default=None, help="the ledger file (default: $HARNESS_LEDGER or "
                                                        ".cognito-harness/ledger.json)")
    provision = sub.add_parser("provision", help="create (idempotently) the test world on AWS or a compatible "
                                                 "endpoint; print the targets.aws block")
    provision.add_argument("--config", default="scenarios.yaml")
    provision.add_argument("--target", default="aws", choices=["aws"])
    provision.add_argument("--delete", action="store_true", help="remove what provision created (tagged "
                                                                 "created-by: cognito-harness)")
    provision.add_argument("--domain-prefix", default=None, help="the managed-login domain prefix (default: "
                                                                 "harness-<pool id suffix>)")
    listing = sub.add_parser("list-pool", help="print everything a run could change in the real pool (JSON)")
    listing.add_argument("--config", default="scenarios.yaml")
    features = sub.add_parser("check-features", help="check .feature files: Gherkin mistakes, undefined steps")
    features.add_argument("paths", nargs="*", help=".feature files or folders (default: features)")
    args = parser.parse_args(argv)
    commands = {"serve": _serve, "steps": _steps, "check-config": _check_config, "restore": _restore,
                "list-pool": _list_pool, "check-features": _check_features, "provision": _provision}
    try:
        return commands[args.command](args)
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
