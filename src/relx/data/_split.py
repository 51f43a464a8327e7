"""iKraph "multi-sentence split" JSON: read and write pair-level examples (docs/formats.md §2).

``split_k.json`` is a JSON list with one entry per candidate pair; relx writes the same
entries plus ``document_id`` (see :class:`~relx.data._example.PairExample`). JSON parsers
give no position per list entry, so problems name the file and the entry index.

:func:`read_split_documents` goes the other way, back to documents, so a user who only has
split files can still rebuild pairs with another context or fold assignment: the longest
entry text of a document becomes its text and every entry's spans are mapped onto it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from relx._io import atomic_write_json
from relx.data._document import Document, Mention, Relation
from relx.data._example import PairExample
from relx.data._order import mention_order, warn_reordered
from relx.data._problems import ProblemLog
from relx.data._validate import check_document
from relx._text import read_utf8
from relx.errors import DataError
from relx.labels import ALL_LABELS, ENTITY_TYPES, NOT_LABEL

__all__ = ["read_split", "write_split", "read_split_documents"]

_LABELS = frozenset(ALL_LABELS)
_ENTITY_TYPES = frozenset(ENTITY_TYPES)
#: Context (characters each side) tried, widest first, to place a span of a differently cut
#: entry text in a document's text; 40 characters are unique in practice, 10 rarely are not.
_ANCHOR_CHARS = (40, 20, 10)


def _load_list(path: Path) -> list[Any]:
    text = read_utf8(path, what="an iKraph split JSON file (a list of pair entries)")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON ({exc.msg}, column {exc.colno}); expected a list of "
                        "pair entries", path=str(path), line=exc.lineno, code="E109") from None
    if not isinstance(obj, list):
        raise DataError(f"top-level JSON is a {type(obj).__name__}; expected a list of pair "
                        "entries (iKraph split_k.json)", path=str(path), code="E109")
    return obj


def _parse_entry(i: int, obj: Any) -> tuple[PairExample | None, str, str]:
    """Parse entry ``i``; returns (example, code, message) with example None on a problem."""
    if not isinstance(obj, dict):
        return None, "E101", f"entry {i} is a {type(obj).__name__}; expected an object"
    if obj.get("novel") not in (None, True, False, 0, 1):
        return None, "E101", f"entry {i} has novel={obj['novel']!r}; expected true, false or " \
            "null (null = novelty not annotated)"
    try:
        ex = PairExample.from_json(obj)
    except KeyError as exc:
        return None, "E101", f"entry {i} lacks field {exc}; expected abstract_id, relation_id, " \
            "entity_a_id, entity_b_id, type, text, entity_a, entity_b"
    except (TypeError, ValueError) as exc:
        return None, "E101", f"entry {i} is malformed ({exc}); expected spans as " \
            "[start, end, EntityType] lists"
    if ex.label not in _LABELS:
        return None, "E105", f"entry {i} has type {ex.label!r}; expected one of " \
            f"{', '.join(ALL_LABELS)}"
    if not ex.entity_a or not ex.entity_b:
        return None, "E101", f"entry {i} has no span for entity A or B; expected at least one " \
            "[start, end, EntityType] each"
    for s, e, t in (*ex.entity_a, *ex.entity_b):
        if t not in _ENTITY_TYPES:
            return None, "E104", f"entry {i} has entity type {t!r}; expected one of " \
                f"{', '.join(ENTITY_TYPES)}"
        if not 0 <= s < e <= len(ex.text):
            return None, "E102", f"entry {i} has span {s}-{e} outside its text (length " \
                f"{len(ex.text)}); fix the offsets"
    return ex, "", ""


def read_split(
    path: str | os.PathLike[str], *, log: ProblemLog | None = None
) -> list[PairExample]:
    """Read an iKraph split JSON file into pair examples.

    Args:
        path: A ``split_k.json`` (iKraph's or relx's own, which adds ``document_id``).
        log: When given, malformed entries are reported there and skipped (strict logs
            raise); when ``None`` (default) the first malformed entry raises, because a
            split is a training input and silently losing pairs would shift every metric.

    Raises:
        DataError: The file is missing or not a JSON list (E109), or an entry is malformed
            (E101/E102/E104/E105), naming file and entry index.
    """
    p = Path(path)
    entries = _load_list(p)
    examples: list[PairExample] = []
    for i, obj in enumerate(entries):
        ex, code, message = _parse_entry(i, obj)
        if ex is None:
            if log is None:
                raise DataError(message, path=str(p), code=code,
                                hint="fix or delete that entry; entries are numbered from 0")
            log.report(code, message, path=str(p))
            continue
        examples.append(ex)
    examples, fix = mention_order(examples)
    warn_reordered(fix, source=str(p))
    return examples


def write_split(path: str | os.PathLike[str], examples: Iterable[PairExample]) -> None:
    """Write pair examples as an iKraph split JSON list, atomically.

    Compact JSON (no indentation): a BioRED fold holds ~8k pairs whose texts are whole
    abstracts, so indentation would only add size.
    """
    atomic_write_json(path, [ex.to_json() for ex in examples], indent=None)


def _place(span: tuple[int, int], text: str, base: str) -> int | None:
    """Offset in ``base`` of ``text[start:end]``, found by its surrounding context."""
    s, e = span
    for k in _ANCHOR_CHARS:
        left, right = max(0, s - k), min(len(text), e + k)
        needle = text[left:right]
        at = base.find(needle)
        if at != -1 and base.find(needle, at + 1) == -1:
            return at + (s - left)
    return None


def read_split_documents(
    path: str | os.PathLike[str], *, log: ProblemLog | None = None
) -> list[Document]:
    """Rebuild documents from a split file: text, mentions per concept, gold relations.

    The longest entry text of each document becomes its text (the title is not
    recoverable, so the whole text is stored as ``title`` with an empty abstract). Spans
    from entries cut differently are placed by their context; a span that cannot be
    placed unambiguously is reported (E110) and skipped.
    """
    log = log if log is not None else ProblemLog()
    p = Path(path)
    examples = read_split(p, log=log)
    by_doc: dict[str, list[PairExample]] = {}
    for ex in examples:
        by_doc.setdefault(ex.document_id, []).append(ex)

    docs: list[Document] = []
    for doc_id, group in by_doc.items():
        base = max((ex.text for ex in group), key=len)
        mentions: dict[tuple[int, int, str], set[str]] = {}
        relations: list[Relation] = []
        for ex in group:
            for concept, spans in ((ex.entity_a_id, ex.entity_a), (ex.entity_b_id, ex.entity_b)):
                for s, e, t in spans:
                    start = s if ex.text == base else _place((s, e), ex.text, base)
                    if start is None:
                        log.report("E110", f"mention {ex.text[s:e]!r} of concept {concept} "
                                   f"(pair {ex.relation_id}) cannot be placed in the document's "
                                   "longest text; the span is skipped", path=str(p), doc_id=doc_id)
                        continue
                    mentions.setdefault((start, start + e - s, t), set()).add(concept)
            if ex.label != NOT_LABEL:
                relations.append(Relation(ex.label, ex.entity_a_id, ex.entity_b_id, ex.novel))
        doc = Document(
            doc_id=doc_id,
            title=base,
            abstract="",
            mentions=[Mention(s, e, base[s:e], t, tuple(sorted(ids)))
                      for (s, e, t), ids in sorted(mentions.items())],
            relations=relations,
            source=str(p),
        )
        docs.append(check_document(doc, log))
    return docs
