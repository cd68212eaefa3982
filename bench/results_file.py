"""bench/RESULTS.md is shared by several benchmarks: each owns one section between its own
markers and rewrites only that section, leaving the others as they are."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(begin: str, end: str, section: str, results: Path = RESULTS) -> None:
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    block = f"{begin}\n{section}\n{end}"
    if begin in text and end in text:
        text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    results.write_text(text)
