"""Format detection and :func:`read_corpus`: any mix of corpus files -> one document list.

The format of each file is recognised by its content (the first few kilobytes), not its
name: BioRED ships ``.PubTator``, ``.BioC.XML`` and ``.BioC.JSON``, LitCoin ships
tab-separated files named ``.csv``, and users rename things. The extension is only a
tie-breaker when the content is ambiguous (an empty file). A gzip-compressed file (by its
magic bytes, whatever its name) is recognised, and read, by its decompressed content.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from relx.data._document import Document
from relx.data._problems import ProblemLog
from relx._text import check_not_utf16, read_head
from relx.errors import DataError

__all__ = ["FORMATS", "detect_format", "read_corpus"]

#: Every corpus format :func:`read_corpus` understands.
FORMATS: tuple[str, ...] = ("pubtator", "bioc_xml", "bioc_json", "litcoin", "split_json")

#: Bytes read to recognise a format; a PubTator title line or a LitCoin header fits easily.
_SNIFF_BYTES = 8192

_PUBTATOR_TITLE = re.compile(r"^[^\t|\n]+\|[ta]\|")
_PUBTATOR_ANNOTATION = re.compile(r"^[^\t\n]+\t\d+\t\d+\t")
_LITCOIN_HEADERS = (
    ("abstract_id", "title", "abstract"),
    ("id", "abstract_id", "offset_start", "offset_finish", "type", "mention", "entity_ids"),
    ("id", "abstract_id", "type", "entity_1_id", "entity_2_id"),
)
_LITCOIN_ROLES = ("abstracts", "entities", "relations")


def _sniff(path: Path) -> str:
    head = read_head(path, _SNIFF_BYTES, what="a corpus file (PubTator, BioC XML/JSON, "
                     "LitCoin CSV or split JSON; gzipped or not)")
    check_not_utf16(path, head, what="a corpus file")
    return head.decode("utf-8-sig", errors="replace")


def litcoin_role(path: str | os.PathLike[str]) -> str | None:
    """``"abstracts"``, ``"entities"`` or ``"relations"`` for a LitCoin file, else ``None``.

    Decided by the header line, so a renamed file is still recognised.
    """
    first = _sniff(Path(path)).split("\n", 1)[0].rstrip("\r")
    cols = tuple(c.strip().strip('"') for c in first.split("\t"))
    for role, header in zip(_LITCOIN_ROLES, _LITCOIN_HEADERS):
        if set(header) <= set(cols):  # by name: a reordered export still reads
            return role
    return None


def _plain_name(path: Path) -> Path:
    """``x.csv.gz`` -> ``x.csv``: the name without a compression suffix."""
    return path.with_suffix("") if path.suffix.lower() == ".gz" else path


def _stem(path: Path) -> str:
    return _plain_name(path).stem.lower()


def _refuse_misheaded_litcoin(path: Path) -> None:
    """A file named like a LitCoin member whose header does not match: an error, not a skip.

    Skipping ``entities_train.csv`` because its header lacks a column left every document
    without mentions and wrote 0-pair splits with exit 0.
    """
    stem = _stem(path)
    for role, header in zip(_LITCOIN_ROLES, _LITCOIN_HEADERS):
        if stem.startswith(role):
            first = _sniff(path).split("\n", 1)[0].rstrip("\r")
            got = [c.strip().strip('"') for c in first.split("\t")]
            lacking = [c for c in header if c not in got]
            raise DataError(
                f"LitCoin {role} file whose header lacks column(s) {', '.join(lacking) or '?'}"
                f"; expected {' <TAB> '.join(header)} (got {' <TAB> '.join(got) or 'nothing'})",
                path=str(path), line=1, code="E109",
                hint="fix the header line (tab-separated), or move the file out of the folder",
            )


def detect_format(path: str | os.PathLike[str]) -> str:
    """Recognise a corpus file's format from its content.

    Args:
        path: A file, or a folder holding a LitCoin triple (``abstracts_*.csv`` ...).

    Returns:
        One of :data:`FORMATS`.

    Raises:
        DataError: E109 when the file is missing or its content matches no known format.
    """
    p = Path(path)
    if p.is_dir():
        if any(litcoin_role(f) for f in sorted(p.iterdir()) if f.is_file()):
            return "litcoin"
        raise DataError("folder holds no LitCoin abstracts/entities/relations files; expected "
                        "a corpus file or a LitCoin folder", path=str(p), code="E109")
    return format_from_head(_sniff(p), p)


def format_from_head(head: str, path: str | os.PathLike[str]) -> str:
    """The format of a file whose first few kilobytes (decoded) are ``head``.

    Split out of :func:`detect_format` so that the streaming reader can sniff the
    decompressed start of a gzipped file with the same rules.
    """
    p = Path(path)
    stripped = head.lstrip()
    if stripped.startswith("<"):
        if "<collection" in stripped or "<document" in stripped:
            return "bioc_xml"
    elif stripped.startswith("{"):
        return "bioc_json"
    elif stripped.startswith("["):
        return "split_json"
    else:
        first = stripped.split("\n", 1)[0]
        if _PUBTATOR_TITLE.match(first) or _PUBTATOR_ANNOTATION.match(first):
            return "pubtator"
        if p.is_file() and litcoin_role(p):
            return "litcoin"
    if not stripped:
        by_suffix = {".pubtator": "pubtator", ".xml": "bioc_xml", ".json": "bioc_json"}
        suffix = _plain_name(p).suffix.lower()
        if suffix in by_suffix:
            return by_suffix[suffix]
    got = repr(stripped[:40]) if stripped else "an empty file"
    raise DataError(f"unrecognised corpus format (starts with {got}); expected PubTator "
                    "('PMID|t|title'), BioC XML ('<collection>'), BioC JSON ('{'), split JSON "
                    "('[') or a LitCoin tab-separated file with its header line",
                    path=str(p), code="E109",
                    hint="pass format= (CLI: --format) if detection is wrong")


def _expand(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise DataError("file not found; expected a corpus file or folder", path=str(p),
                            code="E109")
        out.append(p)
    return out


def _litcoin_key(path: Path) -> tuple[str, str]:
    """Group LitCoin files by folder and split name: ``entities_train.csv`` -> ``train``."""
    stem = _stem(path)
    for role in _LITCOIN_ROLES:
        if stem.startswith(role):
            stem = stem[len(role):]
            break
    return (str(path.parent), stem.strip("_-. "))


def _read_one(path: Path, fmt: str, log: ProblemLog) -> list[Document]:
    if fmt == "pubtator":
        from relx.data._pubtator import read_pubtator

        return read_pubtator(path, log=log)
    if fmt == "bioc_xml":
        from relx.data._bioc import read_bioc_xml

        return read_bioc_xml(path, log=log)
    if fmt == "bioc_json":
        from relx.data._bioc import read_bioc_json

        return read_bioc_json(path, log=log)
    if fmt == "split_json":
        from relx.data._split import read_split_documents

        return read_split_documents(path, log=log)
    raise AssertionError(fmt)  # litcoin is handled by the caller (files come in triples)


def read_corpus(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    format: str | None = None,  # noqa: A002 - the public name the CLI's --format maps to
    log: ProblemLog | None = None,
) -> list[Document]:
    """Read corpus files of any supported format into one list of documents.

    Each file's format is detected from its content unless ``format`` is given. LitCoin
    files are grouped by folder and split name (``abstracts_train.csv`` goes with
    ``entities_train.csv`` and ``relations_train.csv``); a folder stands for its LitCoin
    files. A document id seen before (in any input) is reported (E108) and the later copy
    dropped, so that no pair is counted twice downstream.

    Args:
        paths: One path or several.
        format: Force one of :data:`FORMATS` for every path.
        log: Problem sink; a lenient throwaway log when ``None``. Pass
            ``ProblemLog(strict=True)`` to stop at the first problem.

    Returns:
        Documents in input order, each checked by :func:`~relx.data._validate.check_document`.

    Raises:
        DataError: A missing or unrecognised file (E109), or any problem under a strict log.
    """
    log = log if log is not None else ProblemLog()
    if format is not None and format not in FORMATS:
        raise DataError(f"format={format!r} is not a corpus format; expected one of "
                        f"{', '.join(FORMATS)}; omit it to detect the format from content",
                        code="E118")
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = _expand(paths)

    # Keep input order; LitCoin triples are read where their first file appears.
    plan: list[tuple[str, object]] = []
    litcoin_groups: dict[tuple[str, str], dict[str, Path]] = {}
    for p in files:
        fmt = format or detect_format(p)
        if fmt != "litcoin" and p.is_dir():
            raise DataError(f"a folder was given with format={fmt!r}; expected a file (only a "
                            "LitCoin corpus may be given as a folder)", path=str(p), code="E109")
        if fmt != "litcoin":
            plan.append((fmt, p))
            continue
        members = sorted(f for f in p.iterdir() if f.is_file()) if p.is_dir() else [p]
        for f in members:
            role = litcoin_role(f)
            if role is None:
                _refuse_misheaded_litcoin(f)
                if not p.is_dir():
                    raise DataError("not a LitCoin abstracts/entities/relations file (header "
                                    "line not recognised); expected e.g. 'abstract_id<TAB>title"
                                    "<TAB>abstract'", path=str(f), code="E109")
                continue
            key = _litcoin_key(f)
            if key not in litcoin_groups:
                litcoin_groups[key] = {}
                plan.append(("litcoin", key))
            litcoin_groups[key][role] = f

    documents: list[Document] = []
    for fmt, item in plan:
        if fmt == "litcoin":
            from relx.data._litcoin import read_litcoin

            group = litcoin_groups[item]  # type: ignore[index]
            if "abstracts" not in group:
                named = ", ".join(str(v) for v in group.values())
                raise DataError(f"LitCoin files without their abstracts file ({named}); "
                                "expected abstracts_<split>.csv beside them", code="E109",
                                path=named.split(", ")[0])
            documents.extend(read_litcoin(group["abstracts"], entities=group.get("entities"),
                                          relations=group.get("relations"), log=log))
        else:
            documents.extend(_read_one(item, fmt, log))  # type: ignore[arg-type]

    seen: dict[str, Document] = {}
    unique: list[Document] = []
    for doc in documents:
        first = seen.get(doc.doc_id)
        if first is not None:
            where = first.source or "an earlier input"
            if first.line is not None:
                where += f":{first.line}"
            log.report("E108", f"duplicate document id {doc.doc_id} (first read at {where}); "
                       "expected each document once; the first copy is kept",
                       path=doc.source, line=doc.line, doc_id=doc.doc_id)
            continue
        seen[doc.doc_id] = doc
        unique.append(doc)
    return unique
