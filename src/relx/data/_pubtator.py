"""PubTator reader and writer (BioRED ``Train.PubTator`` / ``Dev.PubTator``; docs/formats.md §1).

Hand-rolled rather than via ``bioc.pubtator``: that parser has no line numbers for error
messages, rejects relation lines with a novelty column, and would need a second pass to
split composite IDs; a line-oriented parser here reads BioRED Train+Dev in ~0.1 s.

Layout (tab-separated, documents separated by a blank line, CRLF tolerated)::

    PMID|t|title
    PMID|a|abstract
    PMID  start  end  mention  EntityType  ConceptIDs      (composite "a,b,c"; "-" = none)
    PMID  RelationType  ConceptID1  ConceptID2  Novel|No [score]

The optional sixth relation column is relx's own: the probability of a predicted relation.
The reader accepts it; the writer puts scores in a sidecar file (``PATH.scores.tsv``) by
default, because other PubTator readers (``bioc.pubtator``) take any line of 6+ columns for
an annotation; ``write_pubtator(..., scores="column")`` writes the column on request.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from relx._io import atomic_open
from relx.data._document import NO_CONCEPT, Document, Mention, Relation
from relx.data._problems import ProblemLog
from relx.data._validate import check_document
from relx._text import read_utf8
from relx.errors import DataError

__all__ = ["read_pubtator", "parse_pubtator", "write_pubtator", "format_pubtator", "format_scores",
           "SCORES_SUFFIX"]

_NOVEL = {"Novel": True, "No": False, "": None, NO_CONCEPT: None}


def split_concept_ids(field: str) -> tuple[str, ...]:
    """``"3172,3651"`` -> ``("3172", "3651")``; ``"-"`` or empty -> ``()``."""
    if "," not in field:  # fast path: 97% of BioRED mentions name one concept
        field = field.strip()
        return (field,) if field and field != NO_CONCEPT else ()
    return tuple(c for c in (part.strip() for part in field.split(",")) if c and c != NO_CONCEPT)


class _Builder:
    """One document being read, with the input line of each mention and relation."""

    __slots__ = ("doc", "mention_lines", "relation_lines", "has_abstract")

    def __init__(self, doc_id: str, title: str, path: str, line: int) -> None:
        self.doc = Document(doc_id=doc_id, title=title, abstract="", source=path, line=line)
        self.mention_lines: list[int] = []
        self.relation_lines: list[int] = []
        self.has_abstract = False


def parse_pubtator(
    text: str, *, path: str = "<string>", log: ProblemLog | None = None
) -> list[Document]:
    """Parse PubTator text into documents, reporting malformed lines (E101) with file:line.

    Args:
        text: The whole file's content (``\\r\\n`` or ``\\n`` line endings).
        path: Named in every problem message.
        log: Problem sink; a lenient throwaway log when ``None``.

    Returns:
        The documents in file order, each already checked by
        :func:`~relx.data._validate.check_document` (unusable items dropped and reported).
    """
    log = log if log is not None else ProblemLog()
    docs: list[Document] = []
    current: _Builder | None = None

    def finish() -> None:
        nonlocal current
        if current is not None:
            check_document(current.doc, log, mention_lines=current.mention_lines,
                           relation_lines=current.relation_lines)
            docs.append(current.doc)
            current = None

    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            finish()
            continue
        tab = line.find("\t")
        bar = line.find("|")
        if bar != -1 and (tab == -1 or bar < tab) and line[bar + 1 : bar + 3] in ("t|", "a|"):
            pmid = line[:bar]
            kind = line[bar + 1]
            body = line[bar + 3 :]
            if kind == "t":
                finish()  # tolerate a missing blank line between documents
                current = _Builder(pmid, body, path, lineno)
            elif current is None or current.doc.doc_id != pmid:
                log.report("E101", f"abstract line of document {pmid} without its title line "
                           f"'{pmid}|t|...' just before; add the title line",
                           path=path, line=lineno)
            elif current.has_abstract:
                log.report("E101", f"second abstract line for document {pmid}; expected one "
                           "'|a|' line; merge or delete it", path=path, line=lineno)
            else:
                current.doc.abstract = body
                current.has_abstract = True
            continue

        cols = line.split("\t")
        if current is None:
            log.report("E101", f"annotation line outside a document (got {len(cols)} columns "
                       "before any 'PMID|t|title' line); expected a title line first",
                       path=path, line=lineno)
            continue
        if cols[0] != current.doc.doc_id:
            log.report("E101", f"line's PMID {cols[0]!r} differs from its document's "
                       f"{current.doc.doc_id!r}; expected a blank line before a new document",
                       path=path, line=lineno)
            continue
        if len(cols) >= 5 and (_is_negative_int(cols[1])
                               or (cols[1].isdigit() and _is_negative_int(cols[2]))):
            log.report("E102", f"mention offsets {cols[1]}-{cols[2]} are negative; expected "
                       "character offsets >= 0 into title + ' ' + abstract; fix the offsets",
                       path=path, line=lineno)
            continue
        if len(cols) >= 5 and cols[1].isdigit():
            # Mention: PMID start end text type [ids]
            if not cols[2].isdigit() or len(cols) > 6:
                log.report("E101", f"malformed mention line ({len(cols)} columns); expected "
                           "'PMID<TAB>start<TAB>end<TAB>mention<TAB>EntityType<TAB>ConceptIDs' "
                           "with integer offsets", path=path, line=lineno)
                continue
            ids = split_concept_ids(cols[5]) if len(cols) == 6 else ()
            current.doc.mentions.append(Mention(int(cols[1]), int(cols[2]), cols[3], cols[4], ids))
            current.mention_lines.append(lineno)
        elif 4 <= len(cols) <= 6 and not cols[1].isdigit():
            # Relation: PMID type id1 id2 [Novel|No] [score]
            novel_field = cols[4].strip() if len(cols) >= 5 else ""
            if novel_field not in _NOVEL:
                log.report("E101", f"novelty {novel_field!r} in relation line; expected 'Novel' "
                           "or 'No'", path=path, line=lineno)
                continue
            score: float | None = None
            if len(cols) == 6:
                try:
                    score = float(cols[5])
                except ValueError:
                    log.report("E101", f"score {cols[5]!r} in relation line is not a number; "
                               "expected a probability in the sixth column or no sixth column",
                               path=path, line=lineno)
                    continue
            current.doc.relations.append(
                Relation(cols[1], cols[2].strip(), cols[3].strip(), _NOVEL[novel_field], score)
            )
            current.relation_lines.append(lineno)
        else:
            log.report("E101", f"malformed line with {len(cols)} tab-separated columns; expected "
                       "a mention line (6 columns) or a relation line (5 columns)",
                       path=path, line=lineno)
    finish()
    _report_truncation(text, path, log)
    return docs


def _is_negative_int(field: str) -> bool:
    return field.startswith("-") and field[1:].isdigit()


def _report_truncation(text: str, path: str, log: ProblemLog) -> None:
    """A file whose last line has no line end was most likely cut (a copy or download that
    stopped): its last mention or relation may be cut too, so say so with the line."""
    lines = text.split("\n")
    if lines and lines[-1].strip():
        log.report("E101", f"file ends mid-line (line {len(lines)} has no line end): it looks "
                   "truncated, so the last document may have lost mentions or relations; "
                   "fetch the file again (or end it with a newline if it is whole)",
                   path=path, line=len(lines))


def read_pubtator(
    path: str | os.PathLike[str], *, log: ProblemLog | None = None
) -> list[Document]:
    """Read a PubTator file (see module docstring); problems are reported with file:line.

    Raises:
        DataError: The file is missing or not UTF-8 (E109), or any problem under a strict log.
    """
    p = Path(path)
    text = read_utf8(p, what="a PubTator text file")
    docs = parse_pubtator(text, path=str(p), log=log)
    sidecar = Path(str(p) + SCORES_SUFFIX)
    if sidecar.is_file():
        _attach_scores(docs, sidecar)
    return docs


def _attach_scores(docs: list[Document], sidecar: Path) -> None:
    """Put the sidecar's scores back on the relations they belong to."""
    import dataclasses

    scores: dict[tuple[str, str, str, str], float] = {}
    for line in sidecar.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) == 5:
            try:
                scores[(cols[0], cols[1], cols[2], cols[3])] = float(cols[4])
            except ValueError:
                continue
    for doc in docs:
        doc.relations[:] = [
            dataclasses.replace(r, score=scores[key]) if r.score is None and
            (key := (doc.doc_id, r.relation_type, r.concept_a, r.concept_b)) in scores else r
            for r in doc.relations
        ]


def _format_score(score: float) -> str:
    return repr(float(score))


#: Suffix of the scores sidecar next to a PubTator file: ``PMID type id1 id2 score`` per line.
SCORES_SUFFIX = ".scores.tsv"


def format_pubtator(documents: Iterable[Document], *, score_column: bool = False) -> str:
    """Serialize documents as PubTator text (``\\n`` line endings, blank line after each).

    A relation's novelty is written ``Novel``/``No``. With ``score_column`` a set ``score``
    becomes a sixth column (novelty ``-`` when unknown); without it (the default) relation
    lines keep the 4-5 columns every PubTator reader expects.
    """
    out: list[str] = []
    for doc in documents:
        pid = doc.doc_id
        out.append(f"{pid}|t|{doc.title}")
        out.append(f"{pid}|a|{doc.abstract}")
        for m in doc.mentions:
            ids = ",".join(m.concept_ids) if m.concept_ids else NO_CONCEPT
            out.append(f"{pid}\t{m.start}\t{m.end}\t{m.text}\t{m.entity_type}\t{ids}")
        for r in doc.relations:
            cols = [pid, r.relation_type, r.concept_a, r.concept_b]
            novel = "" if r.novel is None else ("Novel" if r.novel else "No")
            if score_column and r.score is not None:
                cols += [novel or NO_CONCEPT, _format_score(r.score)]
            elif novel:
                cols.append(novel)
            out.append("\t".join(cols))
        out.append("")
    return "\n".join(out) + ("\n" if out else "")


def format_scores(documents: Iterable[Document]) -> str:
    """The scores sidecar: ``PMID  type  id1  id2  score`` for every scored relation."""
    rows = [f"{d.doc_id}\t{r.relation_type}\t{r.concept_a}\t{r.concept_b}\t{_format_score(r.score)}"
            for d in documents for r in d.relations if r.score is not None]
    return "".join(row + "\n" for row in rows)


def write_pubtator(path: str | os.PathLike[str], documents: Iterable[Document], *,
                   scores: str = "sidecar") -> Path | None:
    """Write documents to ``path`` as PubTator, atomically (nothing half-written on a crash).

    Args:
        path: Output file.
        documents: Documents (relations may carry a ``score``).
        scores: ``sidecar`` (default): scores go to ``PATH.scores.tsv`` when any relation has
            one; ``column``: a sixth relation column (relx's reader reads it, others do not);
            ``none``: dropped.

    Returns:
        The sidecar path when one was written, else None.
    """
    if scores not in ("sidecar", "column", "none"):
        raise ValueError(f"scores must be 'sidecar', 'column' or 'none'; got {scores!r}")
    docs = list(documents)
    with atomic_open(path) as handle:
        handle.write(format_pubtator(docs, score_column=scores == "column"))
    if scores != "sidecar":
        return None
    table = format_scores(docs)
    if not table:
        return None
    sidecar = Path(str(path) + SCORES_SUFFIX)
    with atomic_open(sidecar) as handle:
        handle.write(table)
    return sidecar
