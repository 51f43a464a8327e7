"""LitCoin NLP Challenge corpus: the abstracts / entities / relations triple (docs/formats.md §1).

The files are tab-separated despite their ``.csv`` names and carry a header line; columns
are looked up by header name, so a reordered export still reads. ``csv`` with a tab
delimiter is used (not ``str.split``) because pandas-written exports quote fields that
contain quotes. Entity offsets index ``title + " " + abstract`` like PubTator's.

Known oddities of the real files (a relation of an entity with itself, an entity id
``-1``) are reported, never fatal. ``-1`` is LitCoin's placeholder for "no concept", except
where a relation of the same abstract names ``-1``: in the training files five gold
relations of one abstract do, and all the mentions carrying ``-1`` there are the same
chemical. So ``-1`` is read as "no concept" unless a relation of its abstract names it; then
it is kept as an ordinary concept ID, so those relations keep their positive pair (as in the
users' pipeline). Both cases are reported (E110). A self-pair is dropped by the shared
check (E107).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

from relx.data._document import NO_CONCEPT, Document, Mention, Relation
from relx.data._problems import ProblemLog
from relx.data._pubtator import split_concept_ids
from relx.data._validate import check_document
from relx._text import open_utf8
from relx.errors import DataError

__all__ = ["read_litcoin"]

_ABSTRACT_COLS = ("abstract_id", "title", "abstract")
_ENTITY_COLS = ("abstract_id", "offset_start", "offset_finish", "type", "mention", "entity_ids")
_RELATION_COLS = ("abstract_id", "type", "entity_1_id", "entity_2_id")
#: LitCoin's placeholder for "no concept ID" (seen in the challenge's entity files).
_LITCOIN_NO_ID = "-1"
_NOVEL = {"Novel": True, "No": False, "": None, NO_CONCEPT: None}


def _rows(
    path: Path, required: tuple[str, ...], log: ProblemLog
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line, row)`` for each data row; the header must name ``required`` columns.

    A row with fewer fields than the header names is reported (E101) and skipped: a lost
    tab shifts every later column, so no field of it can be trusted.
    """
    handle = open_utf8(path, what="a LitCoin tab-separated file", newline="")
    with handle:
        reader = csv.reader(handle, delimiter="\t")
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in required if c not in header]
        if missing:
            got = " <TAB> ".join(header) or "nothing"
            raise DataError(f"header lacks column(s) {', '.join(missing)}; expected "
                            f"{' <TAB> '.join(required)} (got {got})",
                            path=str(path), line=1, code="E109")
        index = {name: i for i, name in enumerate(header)}
        while True:
            start = reader.line_num + 1
            try:
                cols = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise DataError(f"unreadable row ({exc}); expected tab-separated fields",
                                path=str(path), line=start, code="E101") from None
            if not any(c.strip() for c in cols):
                continue
            if len(cols) < len(header):
                log.report("E101", f"row has {len(cols)} tab-separated fields; expected "
                           f"{len(header)} ({' <TAB> '.join(header)})", path=str(path), line=start)
                continue
            yield start, {name: cols[i] for name, i in index.items()}


def _abstracts_naming_placeholder(relations: Path | None) -> set[str]:
    """Abstracts with a relation that names the concept ``-1`` (a quiet pre-scan).

    Read before the entities so each ``-1`` is settled, and reported, where it stands;
    problems of the relations file are reported by the main pass, not here.
    """
    if relations is None:
        return set()
    return {
        row["abstract_id"].strip()
        for _, row in _rows(relations, _RELATION_COLS, ProblemLog())
        if _LITCOIN_NO_ID in (row["entity_1_id"].strip(), row["entity_2_id"].strip())
    }


def read_litcoin(
    abstracts: str | os.PathLike[str],
    *,
    entities: str | os.PathLike[str] | None = None,
    relations: str | os.PathLike[str] | None = None,
    log: ProblemLog | None = None,
) -> list[Document]:
    """Read a LitCoin abstracts file and, when given, its entities and relations files.

    Args:
        abstracts: ``abstracts_{train,test}.csv`` (``abstract_id  title  abstract``).
        entities: ``entities_{train,test}.csv``; without it documents have no mentions.
        relations: ``relations_train.csv``; absent for the test split.
        log: Problem sink; a lenient throwaway log when ``None``.

    Returns:
        One document per abstract, in file order, checked by
        :func:`~relx.data._validate.check_document`.

    Raises:
        DataError: A missing file or header (E109); any problem under a strict log.
    """
    log = log if log is not None else ProblemLog()
    apath = Path(abstracts)
    docs: dict[str, Document] = {}
    mention_lines: dict[str, list[int]] = {}
    relation_lines: dict[str, list[int]] = {}
    for line, row in _rows(apath, _ABSTRACT_COLS, log):
        doc_id = row["abstract_id"].strip()
        if not doc_id:
            log.report("E101", "abstract row without an abstract_id; expected "
                       "abstract_id <TAB> title <TAB> abstract", path=str(apath), line=line)
            continue
        if doc_id in docs:
            first = docs[doc_id].line
            log.report("E108", f"duplicate abstract_id {doc_id} (first at line {first}); the "
                       "first is kept", path=str(apath), line=line, doc_id=doc_id)
            continue
        docs[doc_id] = Document(doc_id=doc_id, title=row["title"],
                                abstract=row["abstract"], source=str(apath), line=line)
        mention_lines[doc_id] = []
        relation_lines[doc_id] = []

    epath = Path(entities) if entities is not None else None
    rpath = Path(relations) if relations is not None else None
    named_placeholder = _abstracts_naming_placeholder(rpath)
    if epath is not None:
        for line, row in _rows(epath, _ENTITY_COLS, log):
            doc_id = row["abstract_id"].strip()
            doc = docs.get(doc_id)
            if doc is None:
                log.report("E110", f"entity of abstract_id {doc_id!r}, which is not in "
                           f"{apath.name}; the entity is skipped", path=str(epath), line=line)
                continue
            try:
                start, end = int(row["offset_start"]), int(row["offset_finish"])
            except ValueError:
                log.report("E101", f"offsets {row['offset_start']!r}, {row['offset_finish']!r} "
                           "are not integers; expected character offsets", path=str(epath),
                           line=line, doc_id=doc_id)
                continue
            ids = split_concept_ids(row["entity_ids"])
            if _LITCOIN_NO_ID in ids and doc_id in named_placeholder:
                log.report("E110", f"entity id {_LITCOIN_NO_ID} for mention "
                           f"{row['mention']!r} kept as a concept ID: relations of abstract "
                           f"{doc_id} name it", path=str(epath), line=line, doc_id=doc_id)
            elif _LITCOIN_NO_ID in ids:
                log.report("E110", f"entity id {_LITCOIN_NO_ID} (LitCoin's placeholder) for "
                           f"mention {row['mention']!r}; read as a mention without concept",
                           path=str(epath), line=line, doc_id=doc_id)
                ids = tuple(c for c in ids if c != _LITCOIN_NO_ID)
            etype = row["type"].strip()
            doc.mentions.append(Mention(start, end, row["mention"], etype, ids))
            mention_lines[doc_id].append(line)

    if rpath is not None:
        for line, row in _rows(rpath, _RELATION_COLS, log):
            doc_id = row["abstract_id"].strip()
            doc = docs.get(doc_id)
            if doc is None:
                log.report("E110", f"relation of abstract_id {doc_id!r}, which is not in "
                           f"{apath.name}; the relation is skipped", path=str(rpath), line=line)
                continue
            novel_raw = (row.get("novel") or "").strip()
            if novel_raw not in _NOVEL:
                log.report("E101", f"novel={novel_raw!r}; expected 'Novel' or 'No'",
                           path=str(rpath), line=line, doc_id=doc_id)
                continue
            doc.relations.append(Relation(row["type"].strip(),
                                          row["entity_1_id"].strip(),
                                          row["entity_2_id"].strip(),
                                          _NOVEL[novel_raw]))
            relation_lines[doc_id].append(line)

    return [
        check_document(doc, log, mention_lines=mention_lines[doc_id],
                       relation_lines=relation_lines[doc_id],
                       mention_path=str(epath) if epath else None,
                       relation_path=str(rpath) if rpath else None)
        for doc_id, doc in docs.items()
    ]
