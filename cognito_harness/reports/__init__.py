"""Reports of a run, for people who do not read Python.

One record per scenario run (:mod:`.record`), built while pytest-bdd runs it and carried on the
test report (so pytest-xdist workers hand it to the controller), feeds every report:

- ``--cucumberjson=PATH``: Cucumber JSON (:mod:`.cucumber_json`) — replaces pytest-bdd's writer;
- ``--junitxml=PATH``: pytest's JUnit XML with the feature as ``classname`` and the scenario
  title as ``name`` (:mod:`.junit`);
- ``--living-doc=PATH``: a self-contained HTML page, the living documentation (:mod:`.living_doc`),
  with the final page of each browser scenario (:mod:`.screenshot`).

The pytest wiring is :mod:`.plugin` (registered from the root conftest.py). Report folders are
created as needed.
"""
