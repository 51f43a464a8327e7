"""Documents -> candidate pairs: one example per unordered pair of co-occurring concepts.

This is the iKraph "multi-sentence split" construction (docs/formats.md §2) that our users'
scripts and published numbers start from; getting it exactly right matters because every
count, fold and F1 downstream depends on it:

* candidates are all unordered pairs of *distinct* concepts that both have at least one
  mention (a mention without a concept ID, ``()``, is context only);
* the gold label is the relation type between the two concepts in either direction, else
  ``NOT``; ``novel`` is true only for a gold relation annotated ``Novel``, ``None`` for a gold
  relation whose novelty the source does not annotate (never read as ``No``), false otherwise;
* ``multi_sentence`` text = the title + the abstract sentences that mention A or B, joined
  by one space, with every mention offset remapped; ``document`` text = title + abstract.

Order is deterministic: documents in input order; within a document, pairs in the order of
each concept's first mention, and A is always the earlier concept, gold pair or not.

Why A never follows the relation's annotated direction: that direction is the annotator's,
and a ``NOT`` pair has none, so keeping it makes the entity order a label. In BioRED Train,
1,281 of the 4,175 gold pairs (31%) are annotated later concept first and none of the 26,655
``NOT`` pairs can be: a model that sees the B marker before the A marker knows the pair is a
relation. The cue exists only in annotated data (``relx predict`` on new text never shows it),
so it inflates every score measured on gold documents. Pairs are undirected
(docs/formats.md §1), so nothing else depends on the order.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Literal

from relx.data._document import Document
from relx.data._example import PairExample, Span
from relx.data._problems import ProblemLog
from relx.data._sentences import DEFAULT_SPLITTER, sentence_spans
from relx.errors import ConfigError
from relx.labels import NOT_LABEL

__all__ = ["build_pairs", "build_document_pairs", "CONTEXTS", "abstract_id_of"]

Context = Literal["multi_sentence", "document"]

#: The context modes :func:`build_pairs` accepts; ``multi_sentence`` is the users' default.
CONTEXTS: tuple[str, ...] = ("multi_sentence", "document")


def abstract_id_of(doc_id: str) -> int | str:
    """The iKraph ``abstract_id``: the PMID as an int when it is numeric, else the id."""
    return int(doc_id) if doc_id.isdigit() else doc_id


def _check_context(context: str) -> None:
    if context not in CONTEXTS:
        raise ConfigError(
            f"context must be one of {', '.join(CONTEXTS)}; got {context!r}. "
            "Use multi_sentence (title + sentences mentioning A or B) unless you need the "
            "whole abstract.",
            code="E111",
        )


def build_pairs(
    documents: Iterable[Document],
    *,
    context: Context = "multi_sentence",
    log: ProblemLog | None = None,
    splitter: str = DEFAULT_SPLITTER,
) -> list[PairExample]:
    """Build every candidate pair of every document (docs/formats.md §2).

    Readers already drop unusable relations; documents built in code are checked here
    too: a self-relation (E107), a relation whose concept has no mention (E106) and a
    second relation for one pair (E110) are reported to ``log`` and skipped.

    Args:
        documents: Documents with mention offsets into ``title + " " + abstract``.
        context: ``multi_sentence`` or ``document``.
        log: Problem sink; a lenient throwaway log when ``None`` (strict logs raise).
        splitter: Sentence splitter of the ``multi_sentence`` context (``syntok`` or
            ``pysbd``; see :mod:`relx.data._sentences`).

    Returns:
        The examples, in a stable order (see the module docstring).

    Raises:
        ConfigError: ``context`` or ``splitter`` is not an accepted value.
        DataError: A problem was found and ``log`` is strict.
    """
    _check_context(context)
    log = log if log is not None else ProblemLog()
    examples: list[PairExample] = []
    for document in documents:
        examples.extend(
            build_document_pairs(document, context=context, log=log, splitter=splitter)
        )
    return examples


def build_document_pairs(
    document: Document,
    *,
    context: Context = "multi_sentence",
    log: ProblemLog | None = None,
    splitter: str = DEFAULT_SPLITTER,
) -> list[PairExample]:
    """The candidate pairs of one document; see :func:`build_pairs`."""
    _check_context(context)
    log = log if log is not None else ProblemLog()
    doc_id = document.doc_id
    where = {"path": document.source, "doc_id": doc_id}

    # Concepts in order of first mention, each with its mentions (deduplicated spans).
    mentions_of: dict[str, list[Span]] = {}
    for mention in sorted(document.mentions, key=lambda m: (m.start, m.end)):
        span = (mention.start, mention.end, mention.entity_type)
        for concept in mention.concept_ids:
            spans = mentions_of.setdefault(concept, [])
            if span not in spans:
                spans.append(span)
    concepts = list(mentions_of)
    rank = {concept: i for i, concept in enumerate(concepts)}

    gold: dict[frozenset[str], tuple[int, str, str, str, bool | None]] = {}
    for index, relation in enumerate(document.relations):
        a, b = relation.concept_a, relation.concept_b
        if a == b:
            log.report("E107", f"relation {relation.relation_type} of concept {a} with itself; "
                       "expected two distinct concepts; not paired", **where)
            continue
        missing = [c for c in (a, b) if c not in rank]
        if missing:
            log.report("E106", f"relation {relation.relation_type} {a}-{b} names concept "
                       f"{missing[0]} that no mention carries; expected a mention with that "
                       "ID; relation skipped", **where)
            continue
        key = frozenset((a, b))
        if key in gold:
            log.report("E110", f"second relation ({relation.relation_type}) for pair {a}-{b}; "
                       f"expected one per pair; kept the first ({gold[key][1]})", **where)
            continue
        gold[key] = (index, relation.relation_type, a, b, relation.novel)

    if context == "multi_sentence":
        text_of = _multi_sentence_factory(document, mentions_of, splitter)
    else:
        full_text = document.text

        def text_of(a: str, b: str) -> tuple[str, list[Span], list[Span]]:
            return full_text, list(mentions_of[a]), list(mentions_of[b])

    abstract_id = abstract_id_of(doc_id)
    examples: list[PairExample] = []
    negatives = 0
    for i, first in enumerate(concepts):
        for second in concepts[i + 1 :]:
            hit = gold.get(frozenset((first, second)))
            # A = the earlier concept for every pair (the module docstring says why).
            a, b = first, second
            if hit is not None:
                index, label, _, _, novel = hit
                relation_id = f"True.{doc_id}.{index}"
            else:
                label, novel = NOT_LABEL, False
                relation_id = f"False.{doc_id}.{negatives}"
                negatives += 1
            text, spans_a, spans_b = text_of(a, b)
            examples.append(
                PairExample(
                    abstract_id=abstract_id,
                    relation_id=relation_id,
                    entity_a_id=a,
                    entity_b_id=b,
                    label=label,
                    novel=novel,
                    text=text,
                    entity_a=spans_a,
                    entity_b=spans_b,
                    document_id=doc_id,
                )
            )
    return examples


def _multi_sentence_factory(  # noqa: ANN202
    document: Document, mentions_of: dict[str, list[Span]], splitter: str
):
    """Return ``text_of(a, b)`` building the title + sentences-of-A-or-B context.

    Sentences are computed once per document; each pair only joins the ones it needs.
    """
    full_text = document.text
    sentences = sentence_spans(document, splitter=splitter)
    starts = [s for s, _ in sentences]
    # The first span holds the title (possibly merged with a sentence a mention crosses
    # into); it is in every pair's text.
    has_title = bool(document.title)

    def sentence_of(offset: int) -> int:
        return max(bisect.bisect_right(starts, offset) - 1, 0)

    # Each concept's spans tagged with their sentence, once per document (not per pair).
    located: dict[str, list[tuple[int, int, str, int]]] = {
        concept: [(s, e, t, sentence_of(s)) for s, e, t in spans]
        for concept, spans in mentions_of.items()
    }
    sentences_of: dict[str, set[int]] = {
        concept: {k for *_, k in spans} for concept, spans in located.items()
    }
    always = {0} if has_title else set()

    # Many pairs of a document select the same sentences: build each text once (this also
    # shares one string between those examples instead of holding copies).
    built: dict[tuple[int, ...], tuple[str, dict[int, int]]] = {}

    def text_of(a: str, b: str) -> tuple[str, list[Span], list[Span]]:
        chosen = tuple(sorted(sentences_of[a] | sentences_of[b] | always))
        hit = built.get(chosen)
        if hit is None:
            pieces: list[str] = []
            offsets: dict[int, int] = {}
            length = 0
            for k in chosen:
                start, end = sentences[k]
                offsets[k] = length - start
                pieces.append(full_text[start:end])
                length += end - start + 1  # + the joining space
            hit = built[chosen] = (" ".join(pieces), offsets)
        text, shift = hit
        spans_a = [(s + shift[k], e + shift[k], t) for s, e, t, k in located[a]]
        spans_b = [(s + shift[k], e + shift[k], t) for s, e, t, k in located[b]]
        return text, spans_a, spans_b

    return text_of
