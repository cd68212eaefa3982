"""A pytest plugin for the real-pool tests (loaded with `-p real_pool_spy`):

- $HARNESS_TEST_KILL_AFTER: SIGKILLs its own run right after the first step whose text
  contains it — no clean-up, no teardown, exactly like a CI timeout or the OOM killer;
- $HARNESS_TEST_SIGN_INS: a file to which every user name the run signs in as
  (InitiateAuth USERNAME) is appended, one per line.
"""

import os
import signal


def pytest_bdd_before_step(request, feature, scenario, step, step_func):
    path = os.environ.get("HARNESS_TEST_SIGN_INS")
    if not path:
        return
    target = request.getfixturevalue("target")
    if getattr(target, "_spied", False):
        return
    target._spied = True

    def record(params, model, **_):
        if model.name in ("InitiateAuth", "AdminInitiateAuth") and "USERNAME" in params.get("AuthParameters", {}):
            with open(path, "a") as out:
                out.write(params["AuthParameters"]["USERNAME"] + "\n")

    target.app().meta.events.register("before-parameter-build", record)
    target.admin().meta.events.register("before-parameter-build", record)


def pytest_bdd_after_step(request, feature, scenario, step, step_func, step_func_args):
    if os.environ.get("HARNESS_TEST_KILL_AFTER", "\0") in step.name:
        os.kill(os.getpid(), signal.SIGKILL)
