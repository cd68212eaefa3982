"""pytest plugin: point pytest-playwright at the Chromium chosen by :mod:`cognito_harness.browser`.

Register it from the root ``conftest.py``::

    pytest_plugins = ["cognito_harness.pytest_browser"]

(or ``-p cognito_harness.pytest_browser``). It adds ``--browser-path`` and overrides
pytest-playwright's session fixtures ``browser_type_launch_args`` (adds ``executable_path`` and
extra ``args`` to the plugin's own dict, so ``--headed``, ``--slowmo``, ``--browser-channel``,
``--tracing``, ``--screenshot``, ``--video`` and ``--output`` keep working) and ``launch_browser``
(times each launch). The browser is resolved lazily: a run without browser tests never looks.

Fixtures:
- ``browser_choice`` (session): the :class:`~cognito_harness.browser.BrowserChoice`.
- ``browser_info`` (session): a :class:`BrowserInfo` (source, path, version, launch seconds);
  requesting it launches the session browser.
- ``browser_warmed`` (session): the session's browser after one throw-away page (see below).
- ``browser_allow_network`` (session, default False): override it (e.g. in conftest.py) to return
  True for runs against a real pool, so full Chromium is not started with the offline DNS rules.

At the end of a run that used a browser, the terminal summary shows one line such as
``browser: debian-headless-shell (/usr/lib/chromium/chromium-headless-shell), Chromium 156.0…,
launch 0.07 s`` (under pytest-xdist: gathered from the workers).
"""

from __future__ import annotations

import os
import sys
import time
import types
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, Optional

import pytest

from .browser import BrowserChoice, resolve_browser
from .errors import HarnessError
from .pages.base import DEFAULT_TIMEOUT_MS

TIMEOUT_ENV = "HARNESS_BROWSER_TIMEOUT"

_WORKEROUTPUT_KEY = "cognito_harness_browser"


@dataclass
class BrowserInfo:
    """What the session's browser was and how long it took to start."""

    source: str
    executable_path: Optional[str]
    args: list[str] = field(default_factory=list)
    version: Optional[str] = None
    launch_seconds: list[float] = field(default_factory=list)

    @property
    def launch_time(self) -> Optional[float]:
        """Seconds of the first launch (None before the browser was launched)."""
        return self.launch_seconds[0] if self.launch_seconds else None

    def summary_line(self) -> str:
        line = f"browser: {self.source} ({self.executable_path or 'Playwright-managed Chromium'})"
        if self.version:
            line += f", Chromium {self.version}"
        if self.launch_seconds:
            line += ", launch " + _format_seconds(self.launch_seconds)
        return line


def _format_seconds(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f} s"
    lo, hi = f"{min(values):.2f}", f"{max(values):.2f}"
    span = lo if lo == hi else f"{lo}–{hi}"
    return f"{span} s ({len(values)} launches, e.g. one per xdist worker)"


_infos_key = pytest.StashKey[list]()  # BrowserInfo of this process, or gathered from workers


def _infos(config: pytest.Config) -> list:
    return config.stash.setdefault(_infos_key, [])


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cognito-harness browser")
    group.addoption(
        "--browser-path",
        action="store",
        default=None,
        metavar="PATH",
        help=(
            "Chromium/Chrome executable for the browser specs. Default: the environment "
            "variable HARNESS_BROWSER, else Playwright's own Chromium if installed, else "
            "Debian's /usr/lib/chromium/chromium-headless-shell, else /usr/lib/chromium/chromium."
        ),
    )
    group.addoption(
        "--browser-timeout",
        action="store",
        type=float,
        default=None,
        metavar="SECONDS",
        help=(
            "How long a browser wait (a page, a field, a message, a click) lasts before the step "
            f"fails. Default: the environment variable {TIMEOUT_ENV}, else "
            f"{DEFAULT_TIMEOUT_MS / 1000:g} s (Playwright's own default is 30 s)."
        ),
    )


def browser_timeout_ms(config: pytest.Config) -> float:
    """--browser-timeout, else HARNESS_BROWSER_TIMEOUT, else 5 s; in milliseconds."""
    seconds = config.getoption("--browser-timeout", default=None)
    where = "--browser-timeout"
    if seconds is None and os.environ.get(TIMEOUT_ENV):
        where = TIMEOUT_ENV
        try:
            seconds = float(os.environ[TIMEOUT_ENV])
        except ValueError:
            raise pytest.UsageError(f"{TIMEOUT_ENV}={os.environ[TIMEOUT_ENV]!r}: expected a number of seconds") from None
    if seconds is None:
        return DEFAULT_TIMEOUT_MS
    if not seconds > 0 or seconds != seconds or seconds == float("inf"):
        raise pytest.UsageError(f"{where}: expected a positive number of seconds, got {seconds!r}")
    return seconds * 1000


def _no_display_message() -> Optional[str]:
    """Why a headed browser cannot show a window here, or None (Linux without X or Wayland)."""
    if not sys.platform.startswith("linux") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("--headed needs a display, and this machine has none (DISPLAY is not set).\n"
            "Fix: run under `xvfb-run -a .venv/bin/python -m pytest ... --headed`, or drop --headed.")


def _fixtures_plugin() -> types.ModuleType:
    """The fixtures, as a plugin object registered in pytest_configure.

    Registering them there puts them after pytest-playwright (an entry-point plugin) whichever
    way this module was loaded: ``-p`` loads a module *before* the entry points, and for two
    global fixtures of one name the later registration is the one that overrides. A conftest.py
    still overrides these, as usual.
    """
    plugin = types.ModuleType("cognito_harness.pytest_browser.fixtures")

    @pytest.fixture(scope="session", name="browser_allow_network")
    def browser_allow_network() -> bool:
        return False

    @pytest.fixture(scope="session", name="browser_choice")
    def browser_choice(pytestconfig: pytest.Config, playwright: Any, browser_allow_network: bool) -> BrowserChoice:
        headed = bool(pytestconfig.getoption("--headed", default=False))
        if headed and _no_display_message():
            pytest.fail(_no_display_message(), pytrace=False)
        try:
            return resolve_browser(
                pytestconfig.getoption("--browser-path"),
                headed=bool(pytestconfig.getoption("--headed", default=False)),
                allow_network=browser_allow_network,
                playwright=playwright,
            )
        except HarnessError as err:
            message = str(err)
        pytest.fail(message, pytrace=False)  # outside `except`: no chained traceback

    @pytest.fixture(scope="session", name="browser_type_launch_args")
    def browser_type_launch_args(
        browser_type_launch_args: Dict,
        browser_name: Optional[str],
        pytestconfig: pytest.Config,
        request: pytest.FixtureRequest,
    ) -> Dict:
        launch_args = dict(browser_type_launch_args)  # pytest-playwright's: headless, slow_mo, ...
        if isinstance(getattr(request, "param", None), dict):  # indirect parametrization
            launch_args.update(request.param)
        # Only Chromium is resolved; a channel (e.g. "chrome") or an explicit path wins.
        if (browser_name or "chromium") != "chromium" or "channel" in launch_args or "executable_path" in launch_args:
            return launch_args
        choice: BrowserChoice = request.getfixturevalue("browser_choice")
        if choice.executable_path:
            launch_args["executable_path"] = choice.executable_path
        if choice.extra_args:
            launch_args["args"] = [*launch_args.get("args", []), *choice.extra_args]
        _infos(pytestconfig).append(BrowserInfo(choice.source, choice.executable_path, list(choice.extra_args)))
        return launch_args

    @pytest.fixture(scope="session", name="launch_browser")
    def launch_browser(
        launch_browser: Callable[..., Any], browser_type_launch_args: Dict, pytestconfig: pytest.Config
    ) -> Callable[..., Any]:
        infos = _infos(pytestconfig)
        info = infos[-1] if infos else None

        def timed_launch(**kwargs: Any) -> Any:
            t0 = time.perf_counter()
            browser = launch_browser(**kwargs)
            if info is not None:
                info.launch_seconds.append(time.perf_counter() - t0)
                info.version = info.version or getattr(browser, "version", None)
            return browser

        return timed_launch

    @pytest.fixture(name="context")
    def context(context: Any, pytestconfig: pytest.Config) -> Any:
        """pytest-playwright's context, with the harness's wait limit (not Playwright's 30 s)."""
        context.set_default_timeout(browser_timeout_ms(pytestconfig))
        return context

    @pytest.fixture(scope="session", name="browser_info")
    def browser_info(browser: Any, pytestconfig: pytest.Config) -> BrowserInfo:
        infos = _infos(pytestconfig)
        if infos:
            return infos[-1]
        # Another browser type or a channel: nothing was resolved; describe what was launched.
        info = BrowserInfo("pytest-playwright", None, version=getattr(browser, "version", None))
        infos.append(info)
        return info

    plugin.browser_allow_network = browser_allow_network
    plugin.browser_choice = browser_choice
    plugin.browser_type_launch_args = browser_type_launch_args
    plugin.launch_browser = launch_browser
    @pytest.fixture(scope="session", name="browser_warmed")
    def browser_warmed(browser: Any) -> Any:
        """The session's browser, launched, with one page opened, clicked, filled and closed.

        Requested before the first scenario of a run that has browser scenarios, while the
        embedded server starts: a browser's first context and page, and the driver's first
        actions, are slower than the later ones (its first new page ~2.5×), and no scenario
        should pay for that."""
        context = browser.new_context()
        try:
            page = context.new_page()
            page.set_content("<label for=w>Warm</label><input id=w><button>Warm</button>")
            page.get_by_label("Warm").fill("up")
            page.get_by_role("button", name="Warm").click()
        finally:
            context.close()
        return browser

    plugin.browser_info = browser_info
    plugin.browser_warmed = browser_warmed
    plugin.context = context
    return plugin


def warm_up_before_first_scenario(request: pytest.FixtureRequest) -> None:
    """Launch the session's browser and warm it (``browser_warmed``), for the run's first
    scenario to call before its steps. A browser that cannot start is not this scenario's
    failure (it may not use a browser): each browser scenario reports it when it asks for
    the browser (said in full once, see pytest_runtest_makereport below)."""
    try:
        request.getfixturevalue("browser_warmed")
    except (Exception, pytest.fail.Exception):  # noqa: BLE001 - reported by the browser scenarios
        pass


_FIXTURES_PLUGIN_NAME = "cognito_harness.pytest_browser.fixtures"


def pytest_configure(config: pytest.Config) -> None:
    browser_timeout_ms(config)  # a bad value is refused before anything runs
    if not config.pluginmanager.has_plugin(_FIXTURES_PLUGIN_NAME):
        config.pluginmanager.register(_fixtures_plugin(), _FIXTURES_PLUGIN_NAME)


_said_key = pytest.StashKey[dict]()  # first line of a session-wide browser failure -> nodeid that said it


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any):
    """A browser that cannot start fails every browser scenario's set-up with the same message
    (a session fixture's error is re-raised for each test): say it in full once, then one line."""
    report = yield
    if call.when != "setup" or not report.failed or call.excinfo is None:
        return report
    if not {"browser", "browser_choice", "launch_browser"} & set(getattr(item, "fixturenames", ())):
        return report
    message = str(call.excinfo.value).strip()
    if not message:
        return report
    said = item.config.stash.setdefault(_said_key, {})
    first = message.splitlines()[0]
    if first in said:
        report.longrepr = f"the browser could not start (said in full for {said[first]})"
    else:
        said[first] = item.nodeid
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # pytest-xdist worker: hand the record to the controller
        workeroutput[_WORKEROUTPUT_KEY] = [asdict(i) for i in _infos(config)]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist controller: collect what each worker's browser was."""
    records = getattr(node, "workeroutput", {}).get(_WORKEROUTPUT_KEY) or []
    for rec in records:
        _infos(node.config).append(BrowserInfo(**rec))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    infos = [i for i in _infos(config) if i.launch_seconds]
    if not infos:
        return
    # Merge identical browsers (xdist workers) into one line each.
    merged: dict[tuple, BrowserInfo] = {}
    for i in infos:
        key = (i.source, i.executable_path, i.version)
        if key in merged:
            merged[key].launch_seconds.extend(i.launch_seconds)
        else:
            merged[key] = BrowserInfo(i.source, i.executable_path, list(i.args), i.version, list(i.launch_seconds))
    for info in merged.values():
        terminalreporter.write_line(info.summary_line())
