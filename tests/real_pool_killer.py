"""A pytest plugin for the kill tests (loaded with `-p real_pool_killer`): SIGKILLs its own
run right after the first step whose text contains $HARNESS_TEST_KILL_AFTER — no clean-up,
no teardown, exactly like a CI timeout or the OOM killer."""

import os
import signal


def pytest_bdd_after_step(request, feature, scenario, step, step_func, step_func_args):
    if os.environ.get("HARNESS_TEST_KILL_AFTER", "\0") in step.name:
        os.kill(os.getpid(), signal.SIGKILL)
