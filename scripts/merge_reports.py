"""Merge the reports of several shards (CI machines) into one Cucumber JSON and one JUnit XML.

    python scripts/merge_reports.py --cucumber reports/cucumber.json shard-*/cucumber.json
    python scripts/merge_reports.py --junit reports/junit.xml shard-*/junit.xml

Cucumber JSON: a list of features; a feature that several shards ran (its scenarios split
between them) becomes one feature with all their scenarios, in the order of the files given.
JUnit XML: one <testsuites> holding every shard's <testsuite>, with the totals added up.
Nothing is dropped and nothing is counted twice: a scenario (or test case) that two shards
both report is an error, since it means the shards overlapped.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


class MergeError(Exception):
    pass


def merge_cucumber(paths: list[Path]) -> list[dict]:
    features: dict[str, dict] = {}
    seen: dict[str, Path] = {}
    for path in paths:
        for feature in json.loads(path.read_text()):
            key = feature.get("uri") or feature.get("id") or feature.get("name")
            merged = features.setdefault(key, {**feature, "elements": []})
            for element in feature.get("elements", []):
                element_key = f"{key}::{element.get('id') or element.get('name')}::{element.get('line')}"
                if element.get("type", "scenario") != "background":
                    if element_key in seen:
                        raise MergeError(f"{element.get('name')!r} is in both {seen[element_key]} and {path}: "
                                         "the shards overlap")
                    seen[element_key] = path
                merged["elements"].append(element)
    return list(features.values())


def merge_junit(paths: list[Path]) -> ET.Element:
    out = ET.Element("testsuites")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    time = 0.0
    seen: dict[str, Path] = {}
    for path in paths:
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        for suite in suites:
            for case in suite.iter("testcase"):
                key = f"{case.get('classname')}::{case.get('name')}"
                if key in seen:
                    raise MergeError(f"{key} is in both {seen[key]} and {path}: the shards overlap")
                seen[key] = path
            for name in totals:
                totals[name] += int(suite.get(name, 0))
            time += float(suite.get("time", 0))
            out.append(suite)
    for name, value in totals.items():
        out.set(name, str(value))
    out.set("time", f"{time:.3f}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--cucumber", metavar="OUT", help="write the merged Cucumber JSON here")
    what.add_argument("--junit", metavar="OUT", help="write the merged JUnit XML here")
    parser.add_argument("inputs", nargs="+", type=Path)
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.inputs if not p.is_file()]
    if missing:
        print(f"merge_reports: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        if args.cucumber:
            Path(args.cucumber).parent.mkdir(parents=True, exist_ok=True)
            Path(args.cucumber).write_text(json.dumps(merge_cucumber(args.inputs), indent=1))
        else:
            Path(args.junit).parent.mkdir(parents=True, exist_ok=True)
            ET.ElementTree(merge_junit(args.inputs)).write(args.junit, encoding="utf-8", xml_declaration=True)
    except (MergeError, ValueError, ET.ParseError) as err:
        print(f"merge_reports: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
