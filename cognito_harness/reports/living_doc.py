"""The living documentation: one self-contained HTML file (inline CSS, screenshots as data: URIs,
no script, nothing fetched — a Content-Security-Policy forbids it) that opens from disk.

It tells the specs in the narrative's order (:mod:`.order`): each feature with its description
and rules, every scenario run (both looks of a browser scenario) with every step, its status and
duration, a failure with what Cognito or the page answered, the final page of each browser
scenario, and the totals beside pytest's own. Every text is HTML-escaped.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections import Counter
from html import escape
from pathlib import Path

from .cucumber_json import scenario_name
from .order import feature_key, ordered
from .record import FAILED, PASSED, SKIPPED, UNDEFINED, scenario_status, slug

_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")
_ICON = {PASSED: "✔", FAILED: "✘", UNDEFINED: "?", SKIPPED: "–"}

CSS = """
:root { --ok:#1a7f37; --bad:#cf222e; --undef:#9a6700; --skip:#6e7781; --line:#d0d7de; --soft:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:#1f2328; margin:0; }
header { background:#24292f; color:#fff; padding:18px 28px; }
header h1 { margin:0 0 4px; font-size:22px; }
header p { margin:2px 0; color:#d0d7de; }
main { padding: 8px 28px 40px; max-width: 1200px; }
.totals { display:flex; gap:10px; flex-wrap:wrap; margin:14px 0; }
.totals div { border:1px solid var(--line); border-radius:6px; padding:8px 14px; background:var(--soft); }
.totals b { font-size:18px; display:block; }
.pytest { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
nav ol { padding-left: 20px; } nav li { margin: 2px 0; }
section.feature { border-top: 3px solid #24292f; margin-top: 28px; padding-top: 6px; }
h2 { margin: 8px 0 2px; font-size: 20px; } h3 { margin: 18px 0 2px; font-size: 16px; }
.file, .muted { color:#59636e; font-size:12px; }
.desc { white-space: pre-wrap; color:#31363b; margin: 4px 0 8px; }
.scenario { border:1px solid var(--line); border-left:6px solid var(--skip); border-radius:6px; margin:10px 0; padding:8px 12px; }
.scenario.passed { border-left-color: var(--ok); } .scenario.failed { border-left-color: var(--bad); }
.scenario.undefined { border-left-color: var(--undef); }
.scenario h4 { margin:0 0 4px; font-size:15px; }
.badge { display:inline-block; border-radius:10px; padding:0 8px; font-size:12px; color:#fff; background:var(--skip); vertical-align:1px; }
.badge.passed { background:var(--ok); } .badge.failed { background:var(--bad); } .badge.undefined { background:var(--undef); }
.look { display:inline-block; border:1px solid var(--line); border-radius:10px; padding:0 8px; font-size:12px; }
.tag { color:#0969da; font-size:12px; margin-right:6px; }
table.steps { border-collapse: collapse; width:100%; margin-top:4px; }
table.steps td { padding:2px 6px; vertical-align: top; border-top:1px solid #eef1f4; }
td.st { width: 18px; font-weight: bold; } td.dur { width: 70px; text-align:right; color:#59636e; white-space:nowrap; }
td.loc { width: 260px; color:#59636e; font-size:12px; }
tr.passed td.st { color:var(--ok); } tr.failed td.st { color:var(--bad); }
tr.undefined td.st { color:var(--undef); } tr.skipped td { color:var(--skip); }
tr.background td.text { color:#59636e; }
.kw { font-weight: 600; }
pre.answer { background:#fff0f0; border:1px solid #ffc1c0; border-radius:6px; padding:6px 8px; margin:4px 0; white-space:pre-wrap; }
pre.undef { background:#fff8c5; border-color:#e7d27c; }
pre.doc { background:var(--soft); padding:4px 8px; margin:2px 0; }
figure { margin: 8px 0 2px; } figure img { max-width: 560px; width:100%; border:1px solid var(--line); border-radius:4px; }
figcaption { color:#59636e; font-size:12px; }
"""


def _e(text: object) -> str:
    return escape("" if text is None else str(text), quote=True)


def _ms(seconds: float) -> str:
    if seconds < 0.0005:
        return "<1 ms"
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def pytest_categories(record: dict) -> list[str]:
    """How pytest counted this scenario run (its last line): a failed set-up is an error, a failed
    tear-down an error on top of the call's outcome."""
    hooks = {h["keyword"]: h for h in record["hooks"] if h["status"] == FAILED}
    if "Before" in hooks:
        return ["error"]
    categories = [record["outcome"] or SKIPPED]
    if "After" in hooks and hooks["After"].get("location", "").startswith("tear-down"):
        categories.append("error")
    return categories


def summary(records: list[dict]) -> dict:
    return {
        "scenarios": Counter(scenario_status(r) for r in records),
        "pytest": Counter(c for r in records for c in pytest_categories(r)),
        "steps": Counter(s["status"] for r in records for s in r["steps"]),
    }


def _count_line(counter: Counter, order: tuple[str, ...]) -> str:
    return ", ".join(f"{counter[k]} {k}" for k in order if counter.get(k)) or "nothing"


def _steps_html(record: dict) -> str:
    rows = []
    for hook in (h for h in record["hooks"] if h["keyword"] == "Before"):
        rows.append(_hook_row(hook))
    for step in record["steps"]:
        status = step["status"] or SKIPPED
        extra = ""
        if step.get("docstring") is not None:
            extra += f'<pre class="doc">{_e(step["docstring"])}</pre>'
        if step.get("datatable"):
            extra += '<table class="data">' + "".join(
                "<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in step["datatable"]) + "</table>"
        if status == FAILED and step["message"]:
            extra += f'<pre class="answer">{_e(step["message"])}</pre>'
        elif status == UNDEFINED:
            extra += '<pre class="answer undef">undefined: no step definition matches this text</pre>'
        elif status == SKIPPED and step["message"]:
            extra += f'<pre class="doc">{_e(step["message"])}</pre>'
        background = ' <span class="muted">(background)</span>' if step.get("background") else ""
        rows.append(
            f'<tr class="{_e(status)}{" background" if step.get("background") else ""}">'
            f'<td class="st" title="{_e(status)}">{_ICON.get(status, "")}</td>'
            f'<td class="text"><span class="kw">{_e(step["keyword"])}</span> {_e(step["name"])}{background}{extra}</td>'
            f'<td class="dur">{_e(_ms(step["duration"])) if status in (PASSED, FAILED) else _e(status)}</td>'
            f'<td class="loc">{_e(step["location"])}</td></tr>')
    for hook in (h for h in record["hooks"] if h["keyword"] == "After"):
        rows.append(_hook_row(hook))
    return '<table class="steps">' + "".join(rows) + "</table>"


def _hook_row(hook: dict) -> str:
    what = "Set-up failed" if hook["keyword"] == "Before" else "Failed after the steps"
    return (f'<tr class="failed"><td class="st">{_ICON[FAILED]}</td><td class="text"><span class="kw">{what}</span>'
            f' <span class="muted">({_e(hook.get("location", ""))})</span>'
            f'<pre class="answer">{_e(hook["message"])}</pre></td><td class="dur"></td><td class="loc"></td></tr>')


def _screenshot_html(record: dict) -> str:
    data = record.get("screenshot")
    if data and _BASE64.match(data):
        return (f'<figure><img alt="{_e("final page of " + scenario_name(record))}" '
                f'src="data:image/png;base64,{data}"><figcaption>The page at the end of the scenario'
                f'{" (" + _e(record["variant"]) + " look)" if record["variant"] else ""}</figcaption></figure>')
    if record.get("screenshot_note"):
        return f'<p class="muted">{_e(record["screenshot_note"])}</p>'
    return ""


def _scenario_html(record: dict) -> str:
    status = scenario_status(record)
    scenario = record["scenario"]
    look = f' <span class="look">{_e(record["variant"])}</span>' if record["variant"] else ""
    tags = "".join(f'<span class="tag">@{_e(t)}</span>' for t in scenario["tags"])
    description = f'<div class="desc">{_e(scenario["description"])}</div>' if scenario["description"] else ""
    return (f'<div class="scenario {_e(status)}" id="{_e(slug(record["nodeid"]))}">'
            f'<h4><span class="badge {_e(status)}">{_e(status)}</span> {_e(scenario["keyword"])}: '
            f'{_e(scenario["name"])}{look} <span class="muted">{_e(_ms(record["duration"]))} · line '
            f'{_e(scenario["line"])}</span></h4>{tags}{description}'
            f'{_steps_html(record)}{_screenshot_html(record)}</div>')


def _feature_html(uri: str, records: list[dict]) -> str:
    feature = records[0]["feature"]
    counts = Counter(scenario_status(r) for r in records)
    tags = "".join(f'<span class="tag">@{_e(t)}</span>' for t in feature["tags"])
    parts = [f'<section class="feature" id="{_e("feature-" + slug(uri))}">',
             f'<h2>{_e(feature["keyword"])}: {_e(feature["name"])}</h2>',
             f'<p class="file">{_e(uri)} · {_e(_count_line(counts, (PASSED, FAILED, UNDEFINED, SKIPPED)))} {tags}</p>']
    if feature["description"]:
        parts.append(f'<div class="desc">{_e(feature["description"])}</div>')
    current_rule = object()
    for record in records:
        rule = record["rule"]
        key = None if rule is None else rule["name"]
        if key != current_rule:
            current_rule = key
            if rule is not None:
                parts.append(f'<h3>{_e(rule["keyword"])}: {_e(rule["name"])}</h3>')
                if rule["description"]:
                    parts.append(f'<div class="desc">{_e(rule["description"])}</div>')
        parts.append(_scenario_html(record))
    parts.append("</section>")
    return "".join(parts)


def _unrunnable_html(errors: list[dict]) -> str:
    if not errors:
        return ""
    items = "".join(f'<div class="scenario failed"><h4><span class="badge failed">error</span> {_e(e["name"])} '
                    f'<span class="muted">{_e(e["uri"])}</span></h4><pre class="answer">{_e(e["message"])}</pre></div>'
                    for e in errors)
    return (f'<section class="feature" id="cannot-run"><h2>Files that cannot run as written</h2>'
            f'<p>pytest could not collect them: none of their scenarios ran.</p>{items}</section>')


def render(records: list[dict], pytest_totals: dict[str, int], title: str = "Living documentation",
           collection_errors: list[dict] = (), generated: _dt.datetime | None = None) -> str:
    runs = ordered(records)
    by_feature: dict[str, list[dict]] = {}
    for record in runs:
        by_feature.setdefault(record["feature"]["uri"], []).append(record)
    uris = sorted(by_feature, key=feature_key)
    numbers = summary(runs)
    numbers["pytest"]["error"] += len(collection_errors)
    generated = generated or _dt.datetime.now(_dt.timezone.utc)
    pytest_line = ", ".join(f"{n} {k}" for k, n in pytest_totals.items()) or "no tests"
    scen = numbers["scenarios"]
    totals = "".join(
        f'<div><b>{scen.get(k, 0)}</b>{k}</div>' for k in (PASSED, FAILED, UNDEFINED, SKIPPED))
    if collection_errors:
        totals += f'<div><b>{len(collection_errors)}</b>files that cannot run</div>'
    nav = "".join(
        f'<li><a href="#{_e("feature-" + slug(u))}">{_e(by_feature[u][0]["feature"]["name"])}</a> '
        f'<span class="muted">{_e(_count_line(Counter(scenario_status(r) for r in by_feature[u]), (PASSED, FAILED, UNDEFINED, SKIPPED)))}</span></li>'
        for u in uris)
    body = "".join(_feature_html(u, by_feature[u]) for u in uris)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{CSS}</style></head>
<body><header><h1>{_e(title)}</h1>
<p>{len(runs)} scenario runs in {len(uris)} features · generated {_e(generated.strftime("%Y-%m-%d %H:%M UTC"))}</p></header>
<main>
<div class="totals">{totals}</div>
<p>Scenarios as pytest counted them: <span class="pytest" id="scenario-totals">{_e(_count_line(numbers["pytest"], ("failed", "passed", "skipped", "xfailed", "xpassed", "error")))}</span>.
The whole pytest run: <span class="pytest" id="pytest-totals">{_e(pytest_line)}</span>.<br>
Steps: <span id="step-totals">{_e(_count_line(numbers["steps"], (PASSED, FAILED, UNDEFINED, SKIPPED)))}</span>.
A scenario with a step nobody defined is <i>undefined</i> here and <i>failed</i> for pytest.</p>
{_unrunnable_html(list(collection_errors))}
<nav><h2>Features</h2><ol>{nav}</ol></nav>
{body}
</main></body></html>
"""


def write(path: str | Path, records: list[dict], pytest_totals: dict[str, int], collection_errors: list[dict] = (),
          title: str = "Living documentation") -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(records, pytest_totals, title, collection_errors), encoding="utf-8")
    return out
