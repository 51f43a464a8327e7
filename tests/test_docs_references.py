"""Comments and docs point inside the repository: docs/formats.md §N and docs/origin.md.

The code once cited documents that live outside the repository ("formats.md §3", "the
origin document"); a maintainer could not follow those. Their content is now in docs/, and
this test keeps it that way: no bare ``formats.md``, no "origin document", and every cited
section of docs/formats.md exists.
"""

from __future__ import annotations

import re
from pathlib import Path

from _allow_list import ROOT, allowed, unmatched_patterns

_TEXT_SUFFIXES = {".py", ".yaml", ".yml", ".md", ".txt", ".toml"}
#: "formats.md" not preceded by "docs/", and the old names of the origin case.
_OUTSIDE = re.compile(r"(?<![\w/])formats\.md|origin doc(ument)?s?\b", re.IGNORECASE)
_SECTION = re.compile(r"docs/formats\.md §(\d+(?:\.\d+)?)")


def _files(*roots: str) -> list[Path]:
    return sorted(p for r in roots for p in (ROOT / r).rglob("*")
                  if p.is_file() and p.suffix in _TEXT_SUFFIXES and p != Path(__file__).resolve())


def outside_references(path: Path) -> list[str]:
    """``file:line: text`` for each reference to a document outside the repository."""
    lines = path.read_text(encoding="utf-8").splitlines()
    rel = path.relative_to(ROOT).as_posix()
    return [f"{rel}:{n}: {line.strip()}" for n, line in enumerate(lines, 1)
            if _OUTSIDE.search(line)]


def test_src_and_tests_cite_only_documents_inside_the_repository() -> None:
    bad = [ref for path in _files("src", "tests") if not allowed(path)
           for ref in outside_references(path)]
    assert not bad, "point at docs/formats.md §N or docs/origin.md:\n" + "\n".join(bad)


def test_allow_list_patterns_name_existing_files() -> None:
    assert not unmatched_patterns(_files("src"))


def test_cited_sections_of_docs_formats_exist() -> None:
    headings = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ",
                              (ROOT / "docs" / "formats.md").read_text(encoding="utf-8"),
                              flags=re.MULTILINE))
    assert {"1", "2", "3", "4", "4.1", "4.2", "5"} <= headings
    cited = {(p.relative_to(ROOT).as_posix(), s) for p in _files("src", "tests", "docs")
             for s in _SECTION.findall(p.read_text(encoding="utf-8"))}
    missing = sorted(c for c in cited if c[1] not in headings)
    assert cited and not missing, missing
    assert (ROOT / "docs" / "origin.md").is_file()


def test_checker_flags_bare_and_origin_references() -> None:
    assert _OUTSIDE.search("see formats.md §3") and _OUTSIDE.search("(origin document)")
    assert _OUTSIDE.search("origin doc, cause 4")
    assert not _OUTSIDE.search("see docs/formats.md §3 and docs/origin.md")
