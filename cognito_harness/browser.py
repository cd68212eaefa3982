"""Which Chromium the browser specs drive, and why.

Playwright normally downloads its own Chromium (`playwright install chromium`). Where that
download is impossible (no route to the browser CDN) Debian's `chromium-headless-shell` works
just as well; this module picks one so nobody has to edit a fixture to switch.

Order (first that exists wins):

1. an explicit path (the pytest option ``--browser-path``),
2. the environment variable ``HARNESS_BROWSER``,
3. Playwright's own Chromium, if it is installed (``executable_path=None``: Playwright picks it),
4. Debian's ``/usr/lib/chromium/chromium-headless-shell`` (the binary itself, not the
   ``/usr/bin`` wrapper script, which does not ``exec``),
5. Debian's full ``/usr/lib/chromium/chromium`` (with ``--host-resolver-rules`` so it does not
   look up Google hosts at every start).

Nothing found → :class:`~cognito_harness.errors.HarnessError` with the fix.

``python -m cognito_harness.browser [--check]`` prints the choice (and with ``--check`` launches
it once and loads a page), exiting 1 with the fix when there is none.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .errors import HarnessError

ENV_VAR = "HARNESS_BROWSER"

#: Full Chromium resolves Google hosts at every start; the specs only ever talk to localhost
#: (embedded mode). Real-pool runs need DNS: ``resolve_browser(allow_network=True)`` drops it.
OFFLINE_HOST_RESOLVER_ARG = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"

DEBIAN_HEADLESS_SHELL = "/usr/lib/chromium/chromium-headless-shell"
DEBIAN_CHROMIUM = "/usr/lib/chromium/chromium"


@dataclass(frozen=True)
class Candidate:
    path: str
    source: str
    extra_args: tuple[str, ...] = ()
    headless_only: bool = False


#: System browsers tried after Playwright's own, in order. Tests may monkeypatch this.
SYSTEM_CANDIDATES: tuple[Candidate, ...] = (
    Candidate(DEBIAN_HEADLESS_SHELL, "debian-headless-shell", headless_only=True),
    Candidate(DEBIAN_CHROMIUM, "debian-chromium", (OFFLINE_HOST_RESOLVER_ARG,)),
)

NOT_FOUND_MESSAGE = (
    "No Chromium found for the browser specs.\n"
    "Fix: run `scripts/setup.sh` (installs Debian's chromium-headless-shell where "
    "`playwright install chromium` cannot download),\n"
    "  or `python -m playwright install chromium`,\n"
    f"  or set {ENV_VAR}=/path/to/chrome (or pass --browser-path /path/to/chrome to pytest)."
)


@dataclass
class BrowserChoice:
    """The browser to launch. ``executable_path=None`` means Playwright's own bundled Chromium."""

    executable_path: str | None
    source: str
    extra_args: list[str] = field(default_factory=list)

    def launch_args(self) -> dict[str, Any]:
        """Keyword arguments to merge into ``BrowserType.launch``."""
        out: dict[str, Any] = {}
        if self.executable_path:
            out["executable_path"] = self.executable_path
        if self.extra_args:
            out["args"] = list(self.extra_args)
        return out

    def describe(self) -> str:
        return f"{self.source} ({self.executable_path or 'Playwright-managed Chromium'})"


_cache: dict[tuple, BrowserChoice] = {}
_cache_lock = threading.Lock()


def clear_cache() -> None:
    """Forget the per-process result (tests that change the environment call this)."""
    with _cache_lock:
        _cache.clear()


def _is_executable_file(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _check_given(path: str, where: str) -> str:
    expanded = os.path.abspath(os.path.expanduser(path))
    if not os.path.exists(expanded):
        raise HarnessError(
            f"The browser given by {where} does not exist: {path}\n"
            f"Fix: point {where} at a Chromium/Chrome executable, or unset it to let the harness "
            "pick one (run `scripts/setup.sh` to install one)."
        )
    if not _is_executable_file(expanded):
        raise HarnessError(
            f"The browser given by {where} is not an executable file: {path}\n"
            f"Fix: point {where} at the browser binary itself "
            f"(e.g. {DEBIAN_HEADLESS_SHELL}, not a directory or a wrapper you cannot run)."
        )
    return expanded


def _extra_args_for_given(path: str, allow_network: bool) -> list[str]:
    # A full Debian Chromium given by path gets the same DNS guard as when found by itself.
    if not allow_network and os.path.realpath(path) == os.path.realpath(DEBIAN_CHROMIUM):
        return [OFFLINE_HOST_RESOLVER_ARG]
    return []


def _playwright_browser_dirs() -> list[Path]:
    """Where Playwright keeps downloaded browsers (see its docs on PLAYWRIGHT_BROWSERS_PATH)."""
    env = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if env == "0":
        import playwright  # a dependency of the harness: never missing where this runs

        return [Path(playwright.__file__).parent / "driver" / "package" / ".local-browsers"]
    if env:
        return [Path(env)]
    home = Path.home()
    if sys.platform == "darwin":
        return [home / "Library" / "Caches" / "ms-playwright"]
    if sys.platform == "win32":
        return [Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local")) / "ms-playwright"]
    return [Path(os.environ.get("XDG_CACHE_HOME", home / ".cache")) / "ms-playwright"]


def _any_playwright_chromium_downloaded() -> bool:
    for d in _playwright_browser_dirs():
        try:
            if any(p.name.startswith("chromium") for p in d.iterdir()):
                return True
        except OSError:
            continue
    return False


def _executable_path_from_driver() -> str | None:
    """Ask a short-lived Playwright driver where its Chromium lives (~0.7 s, no launch).

    Runs in its own thread: the sync API refuses to start inside a running event loop, e.g.
    while pytest-playwright's session ``playwright`` fixture is active.
    """
    result: list[str | None] = [None]

    def ask() -> None:
        try:
            from playwright.sync_api import sync_playwright

            pw = sync_playwright().start()
            try:
                result[0] = pw.chromium.executable_path
            finally:
                pw.stop()
        except Exception:  # no driver / broken install: treat as "not installed"
            result[0] = None

    t = threading.Thread(target=ask, name="playwright-browser-lookup", daemon=True)
    t.start()
    t.join(60)
    return result[0]


def bundled_chromium_path(playwright: Any = None) -> str | None:
    """Path of Playwright's own Chromium if it is actually installed, else None.

    Cheap when nothing was downloaded (a directory listing, no driver start). Pass a running
    ``Playwright`` object to reuse its driver.
    """
    if not _any_playwright_chromium_downloaded():
        return None
    if playwright is not None:
        try:
            path = playwright.chromium.executable_path
        except Exception:
            path = None
    else:
        path = _executable_path_from_driver()
    return path if path and _is_executable_file(path) else None


def resolve_browser(
    explicit: str | None = None,
    *,
    headed: bool = False,
    allow_network: bool = False,
    playwright: Any = None,
    bundled_lookup: Callable[..., str | None] | None = None,
) -> BrowserChoice:
    """Pick the Chromium for the browser specs (see the module docstring for the order).

    ``explicit``: a path from the command line (``--browser-path``); it and ``HARNESS_BROWSER``
    must exist and be executable, else HarnessError naming the path and where it came from.
    ``headed``: skip headless-only binaries (the headless shell cannot show a window).
    ``allow_network``: don't add the offline DNS rules to full Chromium (real-pool runs).
    ``playwright``: a running Playwright to reuse for the bundled-browser lookup.
    The result is cached per process (key: explicit, HARNESS_BROWSER, headed, allow_network).
    """
    env_value = os.environ.get(ENV_VAR) or None
    key = (explicit, env_value, headed, allow_network)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    choice = _resolve(explicit, env_value, headed, allow_network, playwright, bundled_lookup)
    with _cache_lock:
        _cache[key] = choice
    return choice


def _resolve(
    explicit: str | None,
    env_value: str | None,
    headed: bool,
    allow_network: bool,
    playwright: Any,
    bundled_lookup: Callable[..., str | None] | None,
) -> BrowserChoice:
    if explicit:
        path = _check_given(explicit, "--browser-path")
        return BrowserChoice(path, "--browser-path", _extra_args_for_given(path, allow_network))
    if env_value:
        path = _check_given(env_value, f"the environment variable {ENV_VAR}")
        return BrowserChoice(path, ENV_VAR, _extra_args_for_given(path, allow_network))

    lookup = bundled_lookup or bundled_chromium_path
    if lookup(playwright):
        return BrowserChoice(None, "playwright-bundled", [])

    for cand in SYSTEM_CANDIDATES:
        if headed and cand.headless_only:
            continue
        if _is_executable_file(cand.path):
            args = [] if allow_network else list(cand.extra_args)
            return BrowserChoice(cand.path, cand.source, args)

    shells = [c.path for c in SYSTEM_CANDIDATES if c.headless_only and _is_executable_file(c.path)]
    if headed and shells:
        raise HarnessError(
            f"No Chromium that can show a window (--headed) was found: {shells[0]} is a headless shell.\n"
            "Fix: on Debian `apt-get install --no-install-recommends chromium` (and run under "
            "`xvfb-run` if there is no display),\n"
            "  or `python -m playwright install chromium`,\n"
            f"  or set {ENV_VAR}=/path/to/chrome, or drop --headed."
        )
    raise HarnessError(NOT_FOUND_MESSAGE)


def check_launch(choice: BrowserChoice) -> tuple[float, str]:
    """Launch the chosen browser once, load a data: page; return (launch seconds, version)."""
    import time

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        t0 = time.perf_counter()
        browser = pw.chromium.launch(**choice.launch_args())
        launch_s = time.perf_counter() - t0
        try:
            page = browser.new_page()
            page.goto("data:text/html,<title>ok</title><p>harness browser check</p>")
            if page.title() != "ok":
                raise HarnessError(f"The browser {choice.describe()} launched but did not render a page.")
            return launch_s, browser.version
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m cognito_harness.browser",
        description=f"Show which Chromium the browser specs will use ({ENV_VAR} overrides).",
    )
    parser.add_argument("--browser-path", default=None, help="explicit browser executable")
    parser.add_argument("--check", action="store_true", help="also launch it once and load a page")
    args = parser.parse_args(argv)
    try:
        choice = resolve_browser(args.browser_path)
        line = f"browser: {choice.describe()}"
        if args.check:
            try:
                launch_s, version = check_launch(choice)
            except HarnessError:
                raise
            except Exception as exc:  # launch failures: missing libraries, wrong binary...
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise HarnessError(
                    f"The browser {choice.describe()} was found but did not launch: {first}\n"
                    "Fix: `python -m playwright install --with-deps chromium` (installs its system "
                    f"libraries), or run `scripts/setup.sh`, or set {ENV_VAR} to a working Chromium."
                ) from None
            line += f", Chromium {version}, launch {launch_s:.2f} s"
        print(line)
        return 0
    except HarnessError as err:
        print(str(err), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
