"""pytest wiring: --target/--config options, the target for the session, and a fresh
`world` per scenario that puts back what the scenario changed.

Registered from conftest.py (`pytest_plugins`).
"""

from __future__ import annotations

import os
from pathlib import Path
from dataclasses import dataclass, field
from functools import partial

import pytest

from . import bdd_speed, pytest_real_pool as real_pool, redaction, startup, workers
from .authenticator import Authenticator
from .config import Config, load_config
from .errors import HarnessError
from .ledger import Ledger, default_path as default_ledger_path
from .flows import Outcome
from .target import Target, aws_target, embedded_target, seconds_text


def pytest_addoption(parser):
    group = parser.getgroup("cognito-harness")
    group.addoption("--target", default=os.environ.get("HARNESS_TARGET"),
                    help="embedded (default, from scenarios.yaml) or aws: the real pool of scenarios.yaml")
    group.addoption("--config", default=os.environ.get("HARNESS_CONFIG", "scenarios.yaml"),
                    help="path to scenarios.yaml (default: ./scenarios.yaml)")
    group.addoption("--clock-edge", type=float, metavar="SECONDS",
                    default=_float_env("HARNESS_CLOCK_EDGE"),
                    help="start every scenario with the target's clock SECONDS from the edge of a "
                         "30-second TOTP window (-1: one second before the window turns, 1: one "
                         "second after); moves the embedded clock forward, never waits. "
                         "Default: HARNESS_CLOCK_EDGE, else off")
    group.addoption("--fidelity", choices=["on", "off"], default="on",
                    help="off = run the embedded target as plain moto, to see which scenarios "
                         "the fidelity layer is needed for (they should fail)")


def _float_env(name: str) -> float | None:
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise pytest.UsageError(f"{name}={value!r}: expected a number of seconds") from None


def pytest_configure(config):
    path = config.getoption("--config", default=None)
    if path is None:
        return
    if not os.path.isabs(path):
        path = os.path.join(str(config.rootpath), path)
    try:
        config._harness_config = workers.with_worker_personas(
            load_config(path, target=config.getoption("--target")), workers.worker_id())
    except HarnessError as err:
        raise pytest.UsageError(str(err)) from None


LOGIN_STYLES = ("classic", "managed")


def pytest_bdd_apply_tag(tag, function):
    """@browser scenarios run once per managed-login look on the embedded target."""
    if tag == "browser":
        pytest.mark.browser(function)
        pytest.mark.usefixtures("login_style")(function)
        return True
    return None


def pytest_generate_tests(metafunc):
    if "login_style" in metafunc.fixturenames and metafunc.definition.get_closest_marker("browser"):
        cfg = getattr(metafunc.config, "_harness_config", None)
        if cfg is not None and cfg.target_name == "embedded":
            metafunc.parametrize("login_style", LOGIN_STYLES, indirect=True)


@pytest.fixture
def login_style(request, target, world):
    """The managed login's look for this scenario (embedded target: switched on the server,
    after `world` has put the starting world back; `world` puts the configured look back
    afterwards, with the rest of the starting world)."""
    style = getattr(request, "param", None)
    if style and target.is_embedded:
        target.set_login_style(style)
    return style or target.login_style


@pytest.fixture(autouse=True)
def _clock_at_window_edge(request, _ready_before_first_scenario):
    """--clock-edge S: every scenario starts S seconds from a TOTP window's edge (flake hunt)."""
    edge = request.config.getoption("--clock-edge")
    if edge is None or not startup.is_scenario(request):
        return
    clock = request.getfixturevalue("target").clock
    if not clock.controllable:
        pytest.exit("--clock-edge needs a clock the harness can move: the embedded target, or a "
                    "real-pool target with targets.aws.clock_url", returncode=4)
    clock.advance(startup.seconds_to_window_edge(clock.now(), edge), "--clock-edge")


def pytest_collection_finish(session):
    bdd_speed.collection_finished(session)


@pytest.fixture(scope="session")
def harness_config(pytestconfig) -> Config:
    return pytestconfig._harness_config


@pytest.fixture(scope="session")
def embedded_server_starting(request, harness_config) -> startup.BackgroundStart:
    """The embedded pool, starting in the background (once per session, per worker under
    xdist), so that the browser's driver can start meanwhile (startup.py)."""
    from .embedded.server import EmbeddedServer

    starting = startup.BackgroundStart(
        EmbeddedServer(harness_config, fidelity=request.config.getoption("--fidelity") == "on"))
    yield starting
    starting.stop()


@pytest.fixture(scope="session")
def embedded_server(embedded_server_starting):
    """The embedded pool, started."""
    return embedded_server_starting.wait()


_ready_key = pytest.StashKey[bool]()


@pytest.fixture(autouse=True)
def _ready_before_first_scenario(request):
    """Before the first scenario of a run: the embedded server started while the browser's
    driver starts and the browser launches and opens a first page (when the run has browser
    scenarios), the target's clients created and warm, the long-lived objects frozen for the
    garbage collector — so no scenario pays for the start-up."""
    config = request.config
    if config.stash.get(_ready_key, False) or not startup.is_scenario(request):
        return
    config.stash[_ready_key] = True
    if config._harness_config.target_name == "embedded":
        request.getfixturevalue("embedded_server_starting")
    if startup.has_browser_scenarios(request.session):
        from .pytest_browser import warm_up_before_first_scenario

        warm_up_before_first_scenario(request)  # while the server starts
    request.getfixturevalue("target")
    startup.settle()


@pytest.fixture(scope="session")
def target(request, harness_config) -> Target:
    try:
        if harness_config.target_name == "embedded":
            server = request.getfixturevalue("embedded_server")
            the_target = embedded_target(harness_config, server.info)
        else:
            the_target = getattr(request.config, "_harness_real_target", None) or aws_target(  # pre-flight's
                harness_config, Ledger(default_ledger_path(request.config.rootpath)))
    except HarnessError as err:
        pytest.exit(f"cognito-harness: {err}", returncode=4)
    the_target.warm_up()
    the_target.clock.announce = partial(_to_terminal, request.config)
    request.config._harness_clock = the_target.clock
    if not the_target.is_embedded:
        real_pool.start_run(request.config, the_target)
    yield the_target
    removed = the_target.delete_created_users()  # even after failures
    if removed and not the_target.is_embedded:
        print(f"\n[cognito-harness] removed the users this run created: {', '.join(removed)}")
    if not the_target.is_embedded:
        real_pool.end_run(the_target)


def _to_terminal(config, text: str) -> None:
    """Straight to the terminal, past output capture: a real-pool wait is news now."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if capture is None or reporter is None:
        print(text, flush=True)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(text)


@dataclass
class World:
    """What one scenario has seen so far. Printing it never shows a secret."""

    target: Target
    config: Config
    sign_ins: dict[str, Outcome] = field(default_factory=dict)
    tokens: dict[str, dict] = field(default_factory=dict)
    authenticators: dict[str, Authenticator] = field(default_factory=dict)
    last_outcome: Outcome | None = None
    extra: dict = field(default_factory=dict)

    def __repr__(self) -> str:  # shown in failure reports: no tokens, secrets or passwords
        return (f"World(target={self.target.name}, signed_in={sorted(self.tokens)}, "
                f"authenticators={sorted(self.authenticators)}, last={self.last_outcome!r})")

    @property
    def last(self) -> Outcome:
        """The answer to the scenario's last request; the Then steps check it. Without one
        (a Then right after Givens: Givens establish state, they record no answer) the step
        fails saying so, not with an AttributeError from inside the step."""
        if self.last_outcome is None:
            raise AssertionError("this step checks the answer to the scenario's last request, but no step before "
                                 "it made one (Givens record no answer): put the When it should check before it "
                                 "(docs/steps.md says what each step does)")
        return self.last_outcome

    @last.setter
    def last(self, outcome: Outcome | None) -> None:
        self.last_outcome = outcome

    def persona(self, name: str):
        return self.config.persona(name)

    def password(self, name: str) -> str:
        value = self.persona(name).password_for(self.target.name)
        redaction.register(value)
        return value

    def record(self, outcome: Outcome, persona: str | None = None) -> Outcome:
        self.last = outcome
        if persona is not None and outcome.tokens:
            self.tokens[persona] = outcome.tokens
        return outcome


_next_item_key = pytest.StashKey[object]()
_reset_by_scenario_key = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Remembers which test runs next (pytest knows it; a fixture's tear-down does not)."""
    item.stash[_next_item_key] = nextitem
    yield


@pytest.fixture(autouse=True)
def _scenario_starts_from_starting_world(request):
    """Every scenario on the embedded target starts from the narrative's starting world
    (`POST /_harness/reset`), whatever ran before, and leaves it so for whatever runs next —
    except when what runs next is a scenario too: it resets first, and two resets in a row
    (this one's tear-down, the next one's set-up) would be one round trip too many."""
    if not startup.is_scenario(request) or request.config._harness_config.target_name != "embedded":
        yield
        return
    target = request.getfixturevalue("target")
    target.reset_to_starting_world()
    request.node.stash[_reset_by_scenario_key] = True
    yield
    nextitem = request.node.stash.get(_next_item_key, None)
    if nextitem is None or "_pytest_bdd_example" not in getattr(nextitem, "fixturenames", ()):
        target.reset_to_starting_world()


@pytest.fixture
def world(request, target, harness_config):
    """One scenario's world. On the embedded target it starts from the narrative's starting
    world whatever ran before (the pool, its users and their MFA, tokens, the login look:
    `POST /_harness/reset`), and is put back afterwards for whatever runs next (for a
    scenario, `_scenario_starts_from_starting_world` does both: one reset between two scenarios). On a real
    pool: the users the scenario created are deleted and the pool's MFA setting restored
    (the run never changes a user it did not create)."""
    if target.is_embedded:
        if request.node.stash.get(_reset_by_scenario_key, False):  # a scenario: reset around it already
            yield World(target=target, config=harness_config)
            return
        target.reset_to_starting_world()
        yield World(target=target, config=harness_config)
        target.reset_to_starting_world()
        return
    shared = getattr(target, "lease", None) is not None  # a parallel run: the lease sets each scenario's MFA
    pool_mfa_before = None if shared else target.pool_mfa()
    users_before = list(target.created_users)
    the_world = World(target=target, config=harness_config)
    yield the_world
    # put the shared pool back as the scenario found it
    for email in [u for u in target.created_users if u not in users_before]:
        target.delete_user(email)
    if pool_mfa_before is not None:
        target.restore_pool_mfa(pool_mfa_before)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Failure reports and captured output never show a password, secret or token."""
    result = yield
    report = result.get_result()
    real_pool.refused_change_skips(item, call, report)
    if report.longrepr is not None:
        text = str(report.longrepr)
        clean = redaction.scrub(text)
        if clean != text:
            report.longrepr = clean
    report.sections = [(title, redaction.scrub(content)) for title, content in report.sections]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    """Traces and report files written during the run get the same treatment."""
    config = session.config
    paths = []
    output = config.getoption("output", default=None)
    if output and os.path.isdir(output):
        for root, _, files in os.walk(output):
            paths += [os.path.join(root, f) for f in files if f.endswith((".zip", ".json", ".txt", ".log"))]
    for option in ("cucumber_json_path", "xmlpath"):
        value = getattr(config.option, option, None)
        if value and os.path.isfile(value):
            paths.append(value)
    for path in paths:
        redaction.scrub_file(Path(path))


def pytest_report_header(config):
    cfg = getattr(config, "_harness_config", None)
    if cfg is not None:
        return f"cognito-harness: target={cfg.target_name} config={cfg.path}"


_durations: list[tuple[float, str]] = []


def pytest_runtest_logreport(report):
    if report.when == "call":
        _durations.append((report.duration, report.nodeid))


def _random_order_seed(config) -> int | None:
    """pytest-randomly's seed when it shuffled this run (the header says it too, but -q hides it)."""
    if not config.pluginmanager.hasplugin("randomly") or not config.getoption("randomly_reorganize", False):
        return None
    seed = config.getoption("randomly_seed", None)
    return seed if isinstance(seed, int) else None


def pytest_terminal_summary(terminalreporter):
    clock = getattr(terminalreporter.config, "_harness_clock", None)
    if clock is not None and clock.waited:
        total = sum(seconds for seconds, _ in clock.waited)
        terminalreporter.write_line(f"cognito-harness: waited {seconds_text(total)} in {len(clock.waited)} waits that "
                                    "the real pool forced (TOTP windows, session expiry)")
    seed = _random_order_seed(terminalreporter.config)
    if seed is not None:
        terminalreporter.write_line(f"cognito-harness: scenarios ran in random order: replay it with --randomly-seed={seed}, "
                                    "or run in file order with -p no:randomly")
    if _durations and not hasattr(terminalreporter.config, "workerinput"):
        slow = sorted(_durations, reverse=True)[:5]
        terminalreporter.write_line("cognito-harness: slowest scenarios: " + "; ".join(
            f"{d:.2f}s {n.split('::')[-1]}" for d, n in slow))
