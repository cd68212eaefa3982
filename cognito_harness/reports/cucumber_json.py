"""Cucumber JSON from the scenario records (the format of cucumber-js / cucumber-jvm's ``json``
formatter, read by the standard Cucumber HTML reporters).

What it says that pytest-bdd's own writer did not: every step of the scenario, ``undefined``
for a step nobody defined, ``skipped`` after a failure, a short ``error_message`` (what Cognito
or the page answered), the Rule in the scenario's description, distinct names and ids for the
``[classic]`` / ``[managed]`` runs, and ``match.location`` (the step definition, file:line).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from .order import feature_key, ordered
from .record import UNDEFINED, slug

_NS = 10**9


def _tags(names: list[str], line: int) -> list[dict]:
    return [{"name": "@" + name, "line": max(line - 1, 1)} for name in names]


def _step(step: dict) -> dict:
    result = {"status": step["status"], "duration": math.floor(step["duration"] * _NS)}
    if step["message"]:
        result["error_message"] = step["message"]
    element = {"keyword": step["keyword"].strip() + " ", "name": step["name"], "line": step["line"],
               "result": result}
    if step["status"] != UNDEFINED and step["location"]:
        element["match"] = {"location": step["location"]}
    if step.get("docstring") is not None:
        element["doc_string"] = {"value": step["docstring"], "content_type": "", "line": step["line"] + 1}
    if step.get("datatable"):
        element["rows"] = [{"cells": list(row)} for row in step["datatable"]]
    return element


def _hook(hook: dict) -> dict:
    """A set-up or tear-down failure as cucumber-js writes a hook: a hidden step."""
    return {"keyword": hook["keyword"], "hidden": True, "match": {"location": hook.get("location", "")},
            "result": {"status": hook["status"], "duration": 0, "error_message": hook["message"]}}


def scenario_name(record: dict) -> str:
    name = record["scenario"]["name"]
    return f"{name} [{record['variant']}]" if record["variant"] else name


def _element(record: dict, feature_id: str) -> dict:
    scenario = record["scenario"]
    description = scenario["description"]
    if record["rule"] is not None:
        rule = f"{record['rule']['keyword']}: {record['rule']['name']}"
        description = f"{rule}\n{description}" if description else rule
    element_id = f"{feature_id};{slug(scenario['name'])}"
    if record["callspec_id"]:
        element_id += f";{slug(record['callspec_id'])}"
    steps = [_hook(h) for h in record["hooks"] if h["keyword"] == "Before"]
    steps += [_step(s) for s in record["steps"]]
    steps += [_hook(h) for h in record["hooks"] if h["keyword"] == "After"]
    return {
        "keyword": scenario["keyword"], "id": element_id, "name": scenario_name(record),
        "line": scenario["line"], "description": description, "type": "scenario",
        "tags": _tags(scenario["tags"], scenario["line"]), "steps": steps,
    }


def _unrunnable(error: dict) -> dict:
    """A file that could not be collected: one failed scenario, so a reporter counts what pytest
    counted (an error) instead of showing a shorter, greener run."""
    feature_id = slug(error["name"]) or slug(error["uri"])
    return {
        "keyword": "Feature", "uri": error["uri"], "name": error["name"], "id": feature_id, "line": 1,
        "description": "", "language": "en", "tags": [],
        "elements": [{"keyword": "Scenario", "id": f"{feature_id};cannot-run", "line": 1, "type": "scenario",
                      "name": "This file cannot run as written", "description": "", "tags": [],
                      "steps": [_hook({"keyword": "Before", "status": "failed", "message": error["message"],
                                       "location": error["uri"]})]}],
    }


def to_cucumber(records: list[dict], collection_errors: list[dict] = ()) -> list[dict]:
    features: dict[str, dict] = {error["uri"]: _unrunnable(error) for error in collection_errors}
    for record in ordered(records):
        feature = record["feature"]
        if feature["uri"] not in features:
            feature_id = slug(feature["name"]) or slug(feature["uri"])
            features[feature["uri"]] = {
                "keyword": feature["keyword"], "uri": feature["uri"], "name": feature["name"],
                "id": feature_id, "line": feature["line"], "description": feature["description"],
                "language": feature["language"], "tags": _tags(feature["tags"], feature["line"]),
                "elements": [],
            }
        target = features[feature["uri"]]
        target["elements"].append(_element(record, target["id"]))
    return [features[uri] for uri in sorted(features, key=feature_key)]


def write(path: str | os.PathLike, records: list[dict], collection_errors: list[dict] = ()) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(to_cucumber(records, collection_errors), indent=1, ensure_ascii=False),
                   encoding="utf-8")
    return out
