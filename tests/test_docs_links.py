"""The README and docs/ link only to files in the repository (a checkout of the repository
alone has no ../shared/ beside it), and every such link resolves."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _documents():
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_no_link_leaves_the_repository_and_every_link_resolves():
    broken = []
    for doc in _documents():
        for target in LINK.findall(doc.read_text()):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # a web address or an anchor on the same page
            path = (doc.parent / target.split("#")[0]).resolve()
            if ROOT not in path.parents or not path.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
    assert not broken, f"links outside the repository or to nothing: {broken}"


def test_no_document_points_at_the_shared_folder():
    mentions = [f"{doc.relative_to(ROOT)}" for doc in _documents() if "../shared" in doc.read_text()]
    assert not mentions, f"../shared/ is not part of the repository: {mentions}"
