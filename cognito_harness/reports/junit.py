"""JUnit XML (pytest's ``--junitxml``) as a CI dashboard should show a feature run: the
testcase's ``classname`` is the feature's name and its ``name`` the scenario's title (with the
managed login's look, ``[classic]`` / ``[managed]``, for browser scenarios).

pytest's own writer takes both from the test id (``features.test_features`` /
``test_a_wrong_code_is_refused[classic]``); attributes set on its node reporter before it
records a report are kept, so this sets them first (the plugin's hook runs ``tryfirst``).
"""

from __future__ import annotations

from typing import Any

from _pytest.junitxml import xml_key


def name_testcase(config: Any, report: Any, feature: str, scenario: str) -> None:
    xml = config.stash.get(xml_key, None)
    if xml is None:
        return
    reporter = xml.node_reporter(report)
    reporter.add_attribute("classname", feature)
    reporter.add_attribute("name", scenario)
