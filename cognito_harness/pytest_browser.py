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
- ``browser_allow_network`` (session, default False): override it (e.g. in conftest.py) to return
  True for runs against a real pool, so full Chromium is not started with the offline DNS rules.

At the end of a run that used a browser, the terminal summary shows one line such as
``browser: debian-headless-shell (/usr/lib/chromium/chromium-headless-shell), Chromium 156.0…,
launch 0.07 s`` (under pytest-xdist: gathered from the workers).
"""

from __future__ import annotations

import time
import types
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, Optional

import pytest

from .browser import BrowserChoice, resolve_browser
from .errors import HarnessError

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
    plugin.browser_info = browser_info
    return plugin


_FIXTURES_PLUGIN_NAME = "cognito_harness.pytest_browser.fixtures"


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(_FIXTURES_PLUGIN_NAME):
        config.pluginmanager.register(_fixtures_plugin(), _FIXTURES_PLUGIN_NAME)


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
