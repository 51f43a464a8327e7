"""Document-level checks shared by every corpus reader.

Readers parse their format into a :class:`~relx.data._document.Document` and then hand it
to :func:`check_document`, so a PubTator file, its BioC twin and a LitCoin triple are
judged by the same rules and report the same codes (data/_problems.py):

* E102 a mention's offsets fall outside ``title + " " + abstract``;
* E103 a mention's string differs from the text at its offsets;
* E104 an entity type outside :data:`relx.labels.ENTITY_TYPES`;
* E105 a relation type outside :data:`relx.labels.POSITIVE_LABELS`;
* E106 a relation names a concept that no (kept) mention carries;
* E107 a relation of a concept with itself (BioRED Train has four);
* E110 a second relation for a pair that already has one (the first is kept), or a
  concept typed differently by two mentions (kept; pairs use the first type).

Every unusable item is reported and dropped (lenient) or raises on the first problem
(strict, via :class:`~relx.data._problems.ProblemLog`). Items that pass are untouched.
"""

from __future__ import annotations

from collections.abc import Container, Sequence

from relx.data._document import Document, Mention, Relation
from relx.data._problems import ProblemLog
from relx.labels import ENTITY_TYPES, POSITIVE_LABELS

__all__ = ["check_document", "check_mention", "check_relation"]

_ENTITY_TYPES = frozenset(ENTITY_TYPES)
_RELATION_TYPES = frozenset(POSITIVE_LABELS)
#: Longest excerpt of document text quoted in a message; keeps every message on one line.
_QUOTE_CHARS = 40


def _quote(text: str) -> str:
    text = text.replace("\n", " ").replace("\t", " ")
    if len(text) > _QUOTE_CHARS:
        text = text[: _QUOTE_CHARS - 3] + "..."
    return repr(text)


def check_mention(
    mention: Mention,
    text: str,
    log: ProblemLog,
    *,
    path: str | None = None,
    line: int | None = None,
    doc_id: str | None = None,
) -> bool:
    """Check one mention against its document text; report what is wrong.

    Returns:
        True when the mention is usable, False when it was reported and must be dropped.
    """
    if mention.entity_type not in _ENTITY_TYPES:
        log.report(
            "E104",
            f"unknown entity type {mention.entity_type!r} for mention {_quote(mention.text)}; "
            f"expected one of {', '.join(ENTITY_TYPES)}; fix the type column or drop the line",
            path=path, line=line, doc_id=doc_id,
        )
        return False
    if not 0 <= mention.start < mention.end <= len(text):
        log.report(
            "E102",
            f"mention {_quote(mention.text)} has offsets {mention.start}-{mention.end} outside "
            f"the text (length {len(text)}, title + ' ' + abstract); expected "
            f"0 <= start < end <= {len(text)}; fix the offsets",
            path=path, line=line, doc_id=doc_id,
        )
        return False
    found = text[mention.start : mention.end]
    if found != mention.text:
        log.report(
            "E103",
            f"mention {_quote(mention.text)} at {mention.start}-{mention.end} does not match the "
            f"text there {_quote(found)}; fix the offsets (they index title + ' ' + abstract)",
            path=path, line=line, doc_id=doc_id,
        )
        return False
    return True


def check_relation(
    relation: Relation,
    concepts: Container[str],
    log: ProblemLog,
    *,
    path: str | None = None,
    line: int | None = None,
    doc_id: str | None = None,
) -> bool:
    """Check one relation against the concepts the document's mentions carry.

    Returns:
        True when the relation is usable, False when it was reported and must be dropped.
    """
    a, b = relation.concept_a, relation.concept_b
    if relation.relation_type not in _RELATION_TYPES:
        log.report(
            "E105",
            f"unknown relation type {relation.relation_type!r} for pair {a} / {b}; expected one "
            f"of {', '.join(POSITIVE_LABELS)}; fix the type column or drop the line",
            path=path, line=line, doc_id=doc_id,
        )
        return False
    if a == b:
        log.report(
            "E107",
            f"{relation.relation_type} relation of concept {a} with itself; expected two distinct "
            "concepts; the relation is dropped (no candidate pair can carry it)",
            path=path, line=line, doc_id=doc_id,
        )
        return False
    missing = [c for c in (a, b) if c not in concepts]
    if missing:
        log.report(
            "E106",
            f"{relation.relation_type} relation {a} / {b} names concept "
            f"{' and '.join(missing)} that no mention of the document carries; expected a mention "
            "with that concept ID; add the mention or fix the ID",
            path=path, line=line, doc_id=doc_id,
        )
        return False
    return True


def check_document(
    doc: Document,
    log: ProblemLog,
    *,
    mention_lines: Sequence[int | None] | None = None,
    relation_lines: Sequence[int | None] | None = None,
    mention_path: str | None = None,
    relation_path: str | None = None,
) -> Document:
    """Check every mention and relation of ``doc``; drop (and report) the unusable ones.

    Args:
        doc: A freshly read document; ``doc.source`` names the file in messages.
        log: Where problems go (raises on the first one when strict).
        mention_lines: Input line of each mention, parallel to ``doc.mentions`` (PubTator);
            ``None`` where the format has no useful line numbers (messages then name the
            document id).
        relation_lines: Same for ``doc.relations``.
        mention_path: File the mention lines refer to when it is not ``doc.source``
            (LitCoin keeps mentions in ``entities_*.csv``).
        relation_path: Same for relations (``relations_*.csv``).

    Returns:
        ``doc`` itself, with only usable mentions and relations left.
    """
    path = doc.source
    text = doc.text
    kept_mentions: list[Mention] = []
    kept_lines: list[int | None] = []
    for i, mention in enumerate(doc.mentions):
        line = mention_lines[i] if mention_lines is not None else None
        if check_mention(mention, text, log, path=mention_path or path, line=line,
                         doc_id=doc.doc_id):
            kept_mentions.append(mention)
            kept_lines.append(line)
    concepts: dict[str, str] = {}
    conflicting: set[str] = set()
    for i, mention in enumerate(kept_mentions):
        for concept in mention.concept_ids:
            first_type = concepts.setdefault(concept, mention.entity_type)
            if first_type != mention.entity_type and concept not in conflicting:
                conflicting.add(concept)  # once per concept: the fix is the same for all
                # Kept (the span is fine) but reported: pairs take a concept's type from its
                # first mention, so a conflicting type silently changes the pair's type.
                line = kept_lines[i]
                log.report(
                    "E110",
                    f"concept {concept} is typed {mention.entity_type} by mention "
                    f"{_quote(mention.text)} but {first_type} by an earlier mention; expected "
                    "one entity type per concept; the first type is used for its pairs",
                    path=mention_path or path, line=line, doc_id=doc.doc_id,
                )

    kept_relations: list[Relation] = []
    seen: dict[frozenset[str], Relation] = {}
    for i, relation in enumerate(doc.relations):
        line = relation_lines[i] if relation_lines is not None else None
        if not check_relation(relation, concepts, log, path=relation_path or path, line=line,
                              doc_id=doc.doc_id):
            continue
        key = frozenset((relation.concept_a, relation.concept_b))
        first = seen.get(key)
        if first is not None:
            log.report(
                "E110",
                f"second relation for pair {relation.concept_a} / {relation.concept_b} "
                f"({relation.relation_type}; first was {first.relation_type}); expected one "
                "relation per concept pair; the first is kept",
                path=relation_path or path, line=line, doc_id=doc.doc_id,
            )
            continue
        seen[key] = relation
        kept_relations.append(relation)

    doc.mentions = kept_mentions
    doc.relations = kept_relations
    return doc
