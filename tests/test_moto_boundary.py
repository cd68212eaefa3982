"""Only cognito_harness/embedded/ touches moto; no silent ImportError fallback anywhere.

The managed-login emulator, the CLI, the pytest plugins and the rest of the package reach
the embedded pool through embedded/ (pool_access.py for the managed login). A moto upgrade
then has one place to look at — and the canary (test_moto_canary.py) checks every moto
internal that package relies on. This test reads every module's syntax tree: an
`import moto...`, a `from moto... import`, or an `importlib.import_module("moto...")` /
`__import__("moto...")` anywhere outside embedded/ fails it.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import cognito_harness

PACKAGE = Path(cognito_harness.__file__).resolve().parent
ALLOWED = PACKAGE / "embedded"


@functools.lru_cache(maxsize=None)
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_moto(name: str | None) -> bool:
    return bool(name) and (name == "moto" or name.startswith("moto."))


def moto_imports(path: Path) -> list[str]:
    """Every place in one module that imports moto: 'file:line: what'."""
    tree = _tree(path)
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if _is_moto(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_moto(node.module):
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str) \
                    and _is_moto(node.args[0].value):
                names = [node.args[0].value]
        found += [f"{path.name}:{node.lineno}: imports {name}" for name in names]
    return found


def outside_embedded(package: Path = PACKAGE) -> list[Path]:
    allowed = package / "embedded"
    return sorted(p for p in package.rglob("*.py") if allowed not in p.parents)


def test_nothing_outside_embedded_imports_moto():
    modules = outside_embedded()
    assert len(modules) > 40, f"the scan found only {len(modules)} modules under {PACKAGE}"
    offenders = [hit for path in modules for hit in moto_imports(path)]
    assert not offenders, ("only cognito_harness/embedded/ may import moto (the managed login goes through "
                           "embedded/pool_access.py):\n  " + "\n  ".join(offenders))


def test_the_managed_login_is_scanned_and_embedded_is_not():
    modules = outside_embedded()
    assert PACKAGE / "managed_login" / "oauth.py" in modules
    assert PACKAGE / "managed_login" / "signin.py" in modules
    assert not [p for p in modules if ALLOWED in p.parents]
    assert moto_imports(ALLOWED / "pool_access.py"), "embedded/pool_access.py imports moto: the scan must see it"


def test_the_scan_sees_every_way_of_importing_moto(tmp_path):
    package = tmp_path / "pkg"
    (package / "embedded").mkdir(parents=True)
    (package / "embedded" / "ok.py").write_text("from moto.core.exceptions import JsonRESTError\n")
    (package / "sneaky.py").write_text(
        "import json, moto.cognitoidp as idp\n"
        "from moto.core.exceptions import JsonRESTError\n"
        "import importlib\n"
        "def later():\n"
        "    return importlib.import_module('moto.cognitoidp.models'), __import__('moto')\n"
        "from .motorway import x  # a relative import is not moto\n"
        "import motor  # nor a package whose name starts with moto\n")
    hits = [hit for path in outside_embedded(package) for hit in moto_imports(path)]
    assert hits == ["sneaky.py:1: imports moto.cognitoidp", "sneaky.py:2: imports moto.core.exceptions",
                    "sneaky.py:5: imports moto.cognitoidp.models", "sneaky.py:5: imports moto"], hits


# --- no silent ImportError fallback -------------------------------------------------------
# A dependency that cannot be imported is a clear error naming it (cli.py's step package),
# never a quiet "carry on without it" that turns into a confusing failure later.

_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}


def silent_import_fallbacks(path: Path) -> list[str]:
    tree = _tree(path)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ExceptHandler) or node.type is None:
            continue
        caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        if not any(isinstance(c, ast.Name) and c.id in _IMPORT_ERRORS for c in caught):
            continue
        if not any(isinstance(inner, ast.Raise) for stmt in node.body for inner in ast.walk(stmt)):
            found.append(f"{path.relative_to(path.parents[1]) if len(path.parents) > 1 else path.name}:"
                         f"{node.lineno}: except ImportError without a raise")
    return found


def test_no_import_error_is_swallowed():
    offenders = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in silent_import_fallbacks(path)]
    assert not offenders, ("an ImportError must become a clear error naming what is missing, or not be "
                           "caught:\n  " + "\n  ".join(offenders))


def test_the_fallback_scan_sees_a_swallowed_import_error(tmp_path):
    module = tmp_path / "pkg" / "mod.py"
    module.parent.mkdir()
    module.write_text("try:\n    import yaml\nexcept (ValueError, ImportError):\n    yaml = None\n"
                      "try:\n    import json\nexcept ModuleNotFoundError as err:\n"
                      "    raise SystemExit(f'json is missing: {err}')\n")
    assert silent_import_fallbacks(module) == ["pkg/mod.py:3: except ImportError without a raise"]
