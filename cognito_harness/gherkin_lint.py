"""Strict Gherkin: what the Gherkin parser accepts silently but a QA engineer did not mean.

The Gherkin grammar treats any line it does not recognise as free-text *description*. So a
misspelt ``Scenerio:`` line and the steps under it become part of the feature's description,
a step line without Given/When/Then under a ``Scenario:`` line becomes the scenario's
description, and the scenario then passes with no steps. :func:`lint_feature_file` finds these
(and a few other silent drops) and returns one :class:`Problem` per line, naming file and line:

- a description line that looks like a misspelt keyword (``Scenerio:``, ``scenario:``, ``Backgrond:``);
- a line under a ``Scenario:``/``Background:`` line that is not a step (no Given/When/Then/And/But);
- a line in a Feature/Rule description written like a step (``Given …``): a step outside any scenario;
- a scenario with no steps of its own; a feature with no scenario; a scenario without a title;
- two scenarios with the same title in one feature (pytest-bdd would keep only the last one);
- a Scenario Outline without Examples, or with a ``<placeholder>`` no Examples column fills;
- a tag that cannot be used as a pytest marker (``-m``);
- and whatever the Gherkin parser itself refuses (a step line without keyword after a step, …).

:func:`closest_steps` finds the existing step texts nearest to an undefined one.
No pytest here: the pytest side is :mod:`cognito_harness.pytest_features`.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from gherkin.dialect import Dialect
from gherkin.errors import CompositeParserException
from gherkin.parser import Parser
from pytest_bdd.gherkin_parser import GherkinDocument

#: a tag must be usable as ``-m <tag>`` and registrable as a marker
TAG_RE = re.compile(r"^[A-Za-z_][\w.\-]*$")
PYTHON_WORDS = {"and", "or", "not", "True", "False", "None"}
PLACEHOLDER_RE = re.compile(r"<([^<>]+)>")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in a .feature file, at a line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}: {self.message}"


def display_path(path: str | os.PathLike) -> str:
    """The path relative to the working directory when it is below it (what a QA typed)."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)


def _keywords(language: str) -> dict[str, list[str]]:
    try:
        dialect = Dialect.for_name(language)
    except Exception:  # unknown language: the parser has already refused the file
        dialect = Dialect.for_name("en")
    structural = [k.strip() for k in (dialect.feature_keywords + dialect.rule_keywords + dialect.background_keywords
                                      + dialect.scenario_keywords + dialect.scenario_outline_keywords
                                      + dialect.examples_keywords)]
    steps = [k.strip() for k in (dialect.given_keywords + dialect.when_keywords + dialect.then_keywords
                                 + dialect.and_keywords + dialect.but_keywords) if k.strip() != "*"]
    return {"structural": list(dict.fromkeys(structural)), "steps": list(dict.fromkeys(steps))}


@dataclass
class _Block:
    """A keyword line that owns the description lines below it."""

    kind: str  # feature | rule | background | scenario | examples
    line: int
    name: str


def lint_feature_file(path: str | os.PathLike, encoding: str = "utf-8") -> list[Problem]:
    """Every problem of one .feature file, in line order (empty when the file is fine)."""
    return lint_with_reading(path, encoding)[0]


def lint_with_reading(path: str | os.PathLike, encoding: str = "utf-8") -> tuple[list[Problem], str | None]:
    """(problems, the text as it was read to find them): misspelt keywords written as meant and
    refused lines commented out, so its steps can still be checked; None if nothing parses."""
    path = str(path)
    try:
        text = Path(path).read_text(encoding=encoding)
    except (OSError, UnicodeDecodeError) as err:
        return [Problem(path, 1, f"cannot read the file: {err}")], None
    if not text.strip():
        return [Problem(path, 1, "the file is empty: a .feature file starts with a 'Feature:' line")], None
    # A misspelt keyword is reported, then read as the keyword it was meant to be, so that the
    # lines under it are checked as what they are (not reported again as stray steps).
    repaired, fixes = repair_keywords(text)
    lines = repaired.splitlines()
    problems: set[Problem] = {Problem(path, line, message) for line, message in fixes}
    # The parser stops making sense of a file at its first error; to report everything at once,
    # each line it refuses is reported and then read as a comment, until the rest parses.
    for _ in range(50):
        errors = _parser_errors("\n".join(lines))
        if not errors:
            break
        for line, content, message in errors:
            problems.add(_parse_problem(path, line, content, message))
            if 0 < line <= len(lines) and not lines[line - 1].lstrip().startswith("#"):
                lines[line - 1] = "#" + lines[line - 1]
            else:
                return sorted(problems), None  # nothing left to set aside
    else:
        return sorted(problems), None
    try:
        document = GherkinDocument.from_dict(Parser().parse("\n".join(lines)))
    except KeyError:  # no Feature: line at all
        return sorted(problems | {Problem(path, _first_text_line(text),
                                          "no 'Feature:' line: a .feature file starts with one")}), None
    return sorted(problems | set(_lint_document(path, lines, document))), "\n".join(lines) + "\n"


def repair_keywords(text: str) -> tuple[str, list[tuple[int, str]]]:
    """`text` with each misspelt keyword line (`Scenerio:`, `scenario:`) written as the keyword
    it is closest to, and (line, message) for each. Lines in doc strings are left alone."""
    structural = _keywords(_language(text))["structural"]
    lines = text.splitlines()
    fixes = []
    in_docstring = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if in_docstring:
            if stripped.startswith(in_docstring):
                in_docstring = None
            continue
        if stripped.startswith(('"""', "```")):
            in_docstring = stripped[:3]
            continue
        fix = _keyword_fix(stripped, structural)
        if fix is not None:
            message, keyword = fix
            fixes.append((index + 1, message))
            lines[index] = line[: len(line) - len(line.lstrip())] + keyword + ":" + stripped.split(":", 1)[1]
    return "\n".join(lines) + ("\n" if text.endswith("\n") else ""), fixes


def _language(text: str) -> str:
    match = re.search(r"^\s*#\s*language\s*:\s*([\w-]+)", text, re.M)
    return match.group(1) if match else "en"


def _first_text_line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.strip().startswith("#"):
            return number
    return 1


def _parser_errors(text: str) -> list[tuple[int, str, str]]:
    """(line, line text, message) of every error the Gherkin parser reports (it goes on after the first)."""
    try:
        Parser().parse(text)
    except CompositeParserException as err:
        lines = text.splitlines()
        found = []
        for error in err.errors:
            line = (getattr(error, "location", None) or {}).get("line") or 1
            content = lines[line - 1] if 0 < line <= len(lines) else ""
            found.append((line, content, re.sub(r"^\(\d+:\d+\): ", "", str(error))))
        return found
    except Exception as err:  # noqa: BLE001 - a parser failure is reported, never a traceback
        return [(1, "", f"the Gherkin parser failed: {err}")]
    return []


def _parse_problem(path: str, line: int, content: str, message: str) -> Problem:
    content = content.strip()
    suggestion = _keyword_suggestion(content, _keywords("en")["structural"])
    first = content.split(" ", 1)[0] if content else ""
    if suggestion:
        message = suggestion
    elif first in ("Given", "When", "Then", "And", "But", "*"):
        message = f"{content!r}: a step is only allowed under a Scenario: or Background: line"
    elif "got '" in message and content:
        message = f"{content!r} is not a step: a step line starts with Given, When, Then, And or But"
    return Problem(path, line, message)


def _keyword_suggestion(line: str, structural: list[str]) -> str | None:
    """'did you mean "Scenario:"?' when the start of `line` is a near miss of a keyword."""
    fix = _keyword_fix(line, structural)
    return fix[0] if fix else None


def _keyword_fix(line: str, structural: list[str]) -> tuple[str, str] | None:
    """(message, the keyword meant) when the start of `line` is a near miss of a keyword."""
    match = re.match(r"^\s*([^\W\d][\w ]{0,24}?)\s*:", line)
    if not match:
        return None
    word = match.group(1)
    if word in structural:
        return None
    lowered = {k.lower(): k for k in structural}
    if word.lower() in lowered:
        keyword = lowered[word.lower()]
        return f"keywords are case-sensitive: did you mean {keyword + ':'!r}?", keyword
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.75)
    if close:
        keyword = lowered[close[0]]
        return f"{word + ':'!r} is not a Gherkin keyword: did you mean {keyword + ':'!r}?", keyword
    return None


def _lint_document(path: str, lines: list[str], document: GherkinDocument) -> list[Problem]:
    feature = document.feature
    words = _keywords(feature.language)
    problems: list[Problem] = []
    known: set[int] = {c.location.line for c in document.comments}
    blocks: list[_Block] = [_Block("feature", feature.location.line, feature.name)]
    known.add(feature.location.line)
    tags: list[tuple[str, int]] = [(t.name, t.location.line) for t in feature.tags]
    scenarios: list = []

    def add_steps(steps) -> None:
        for step in steps:
            known.add(step.location.line)
            if step.docstring is not None:
                start = step.docstring.location.line
                inner = len(step.docstring.content.split("\n")) if step.docstring.content else 0
                known.update(range(start, start + inner + 2))
            if step.datatable is not None:
                known.update(row.location.line for row in step.datatable.rows)

    def walk(children, rule=None) -> None:
        for child in children:
            if child.background is not None:
                bg = child.background
                known.add(bg.location.line)
                blocks.append(_Block("background", bg.location.line, bg.name))
                add_steps(bg.steps)
            if child.rule is not None:
                r = child.rule
                known.add(r.location.line)
                blocks.append(_Block("rule", r.location.line, r.name))
                tags.extend((t.name, t.location.line) for t in r.tags)
                walk(r.children, rule=r)
            if child.scenario is not None:
                sc = child.scenario
                known.add(sc.location.line)
                blocks.append(_Block("scenario", sc.location.line, sc.name))
                tags.extend((t.name, t.location.line) for t in sc.tags)
                add_steps(sc.steps)
                for ex in sc.examples:
                    known.add(ex.location.line)
                    blocks.append(_Block("examples", ex.location.line, ex.name or ""))
                    tags.extend((t.name, t.location.line) for t in ex.tags)
                    if ex.table_header is not None:
                        known.add(ex.table_header.location.line)
                    known.update(row.location.line for row in ex.table_body or [])
                scenarios.append((sc, rule))

    walk(feature.children)
    for _, line in tags:
        known.add(line)
    blocks.sort(key=lambda b: b.line)

    # description lines: neither a keyword line, a step, a table, a doc string, a tag nor a comment
    for number, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text or number in known or text.startswith("#") or number < blocks[0].line:
            continue
        owner = next(b for b in reversed(blocks) if b.line < number)
        problems.extend(_description_problem(path, number, text, owner, words))

    if not scenarios:
        problems.append(Problem(path, feature.location.line,
                                f"feature {feature.name!r} has no scenario (is a 'Scenario:' line misspelt?)"))
    seen: dict[str, int] = {}
    for sc, rule in scenarios:
        line = sc.location.line
        if not sc.name.strip():
            problems.append(Problem(path, line, f"'{sc.keyword}:' without a title: every scenario needs one"))
        elif sc.name in seen:
            problems.append(Problem(path, line, f"a second scenario titled {sc.name!r} (the first is at line "
                                                f"{seen[sc.name]}): titles must differ within a feature"))
        else:
            seen[sc.name] = line
        if "::" in sc.name:
            problems.append(Problem(path, line, f"scenario title {sc.name!r}: '::' cannot be part of a title"))
        if not sc.steps:
            problems.append(Problem(path, line, f"scenario {sc.name!r} has no steps"))
        if sc.examples or PLACEHOLDER_RE.search(" ".join(s.text for s in sc.steps)):
            problems.extend(_outline_problems(path, sc))
    for name, line in tags:
        tag = name.lstrip("@")
        if not TAG_RE.match(tag) or tag in PYTHON_WORDS:
            problems.append(Problem(path, line, f"tag {name!r} cannot be used with -m: a tag is a letter or _ "
                                                "followed by letters, digits, _, - or . (and not and/or/not)"))
    return problems


def _description_problem(path: str, number: int, text: str, owner: _Block, words: dict) -> list[Problem]:
    suggestion = _keyword_suggestion(text, words["structural"])
    if suggestion:
        return [Problem(path, number, suggestion)]
    first = text.split(" ", 1)[0]
    if owner.kind in ("scenario", "background"):
        near = (difflib.get_close_matches(first, words["steps"], n=1, cutoff=0.7) if first[:1].isupper() else [])
        hint = (f" ({first!r}: did you mean {near[0]!r}?)" if near and near[0] != first else
                " (keywords are case-sensitive)" if first.capitalize() in words["steps"] else "")
        return [Problem(path, number, f"{text!r} is not a step: a step line starts with Given, When, Then, "
                                      f"And or But{hint}. Explanations go in # comments.")]
    if first in words["steps"] and len(text.split()) > 1:
        return [Problem(path, number, f"{text!r} is a step outside any scenario: is the 'Scenario:' line "
                                      "above it missing or misspelt?")]
    return []


def _outline_problems(path: str, sc) -> list[Problem]:
    line = sc.location.line
    columns: set[str] = set()
    for ex in sc.examples:
        if ex.table_header is not None:
            columns.update(cell.value for cell in ex.table_header.cells)
    if not any(ex.table_body for ex in sc.examples):
        return [Problem(path, line, f"scenario {sc.name!r} uses <placeholders> or Examples but has no "
                                    "Examples rows: it would run with the placeholders as text")]
    problems = []
    for step in sc.steps:
        for name in PLACEHOLDER_RE.findall(step.text):
            if name not in columns:
                problems.append(Problem(path, step.location.line,
                                        f"<{name}> is not a column of the Examples of {sc.name!r}"))
    return problems


# --- closest step texts -------------------------------------------------------------------

_QUOTED = re.compile(r'"[^"]*"')
_BRACED = re.compile(r"\{[^{}]*\}")


def _shape(text: str) -> str:
    """Step text with its quoted values / parameters folded, so 'enroled' vs 'enrolled' is what counts."""
    return _BRACED.sub("{}", _QUOTED.sub('"{}"', text)).lower()


def closest_steps(text: str, candidates: list[str], n: int = 3, cutoff: float = 0.55) -> list[str]:
    """The `n` candidate step patterns most like `text` (best first), from difflib's ratio."""
    shaped = _shape(text)
    scored = []
    for candidate in dict.fromkeys(candidates):
        matcher = difflib.SequenceMatcher(None, shaped, _shape(candidate))
        if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff:
            ratio = matcher.ratio()
            if ratio >= cutoff:
                scored.append((ratio, candidate))
    scored.sort(key=lambda pair: -pair[0])
    return [candidate for _, candidate in scored[:n]]
