"""Wires the harness into pytest: options and fixtures (cognito_harness.pytest_plugin),
the browser (cognito_harness.pytest_browser), the reports (cognito_harness.reports.plugin),
the .feature files as tests (cognito_harness.pytest_features), the QA-readable output
(cognito_harness.qa_output), pytester for the harness's own tests and every step module
under steps/, so a new .feature file that uses existing steps needs no Python."""

pytest_plugins = [
    "cognito_harness.pytest_real_pool",
    "cognito_harness.pytest_plugin",
    "cognito_harness.pytest_browser",
    "cognito_harness.reports.plugin",
    "cognito_harness.qa_output",
    "cognito_harness.pytest_features",
    "pytester",  # the harness's own tests run mini-projects, as pytest-bdd tests itself
    "steps.common_steps",
    "steps.pool_policy_steps",
    "steps.sign_in_steps",
    "steps.enrolment_steps",
    "steps.identity_steps",
    "steps.managed_login_steps",
    "steps.operations_steps",
    "steps.device_steps",
]
