"""Shards on several CI machines (README "Parallel and sharded"): the scenarios split with
pytest's own tools (`--collect-only -q`, an `@file` of node ids), each shard's reports
merged by scripts/merge_reports.py into what one run would have written."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import merge_reports  # noqa: E402
import processes  # noqa: E402

SELECTED = ["features/pool_mfa_policy.feature", "features/existing_users.feature"]


def test_two_shards_report_every_scenario_once_when_merged(tmp_path):
    listed = processes.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly",
                            "-p", "no:cacheprovider", "-m", "not browser", *SELECTED],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    ids = [line for line in listed.stdout.splitlines() if "::" in line]
    assert len(ids) >= 4, listed.stdout[-2000:]
    shards = [ids[0::2], ids[1::2]]  # round robin, as `split -n r/2` does
    procs = []
    for n, shard in enumerate(shards):
        (tmp_path / f"shard{n}.txt").write_text("\n".join(shard) + "\n")
        procs.append(processes.start(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"@{tmp_path / f'shard{n}.txt'}",
             f"--cucumberjson={tmp_path / f'cucumber{n}.json'}", f"--junitxml={tmp_path / f'junit{n}.xml'}"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    for proc, shard in zip(procs, shards):
        out, _ = proc.communicate(timeout=300)
        assert f"{len(shard)} passed" in out, out[-2000:]

    cucumber = [tmp_path / "cucumber0.json", tmp_path / "cucumber1.json"]
    junit = [tmp_path / "junit0.xml", tmp_path / "junit1.xml"]
    assert merge_reports.main(["--cucumber", str(tmp_path / "all.json"), *map(str, cucumber)]) == 0
    assert merge_reports.main(["--junit", str(tmp_path / "all.xml"), *map(str, junit)]) == 0

    features = json.loads((tmp_path / "all.json").read_text())
    scenarios = [e for f in features for e in f["elements"] if e.get("type") != "background"]
    assert len(scenarios) == len(ids)
    assert len({f["uri"] for f in features}) == len(features) == len({i.split("::")[0] for i in ids})
    suites = ET.parse(tmp_path / "all.xml").getroot()
    assert int(suites.get("tests")) == len(ids) and suites.get("failures") == "0"
    assert len(list(suites.iter("testcase"))) == len(ids)

    # shards that overlap are refused, never counted twice
    assert merge_reports.main(["--cucumber", str(tmp_path / "x.json"), str(cucumber[0]), str(cucumber[0])]) == 1
    assert merge_reports.main(["--junit", str(tmp_path / "x.xml"), str(junit[1]), str(junit[1])]) == 1
