"""Corpus and pair statistics: what a model will actually see, before any training.

Three facts decide much of a relation-extraction result and are cheap to measure: the
``NOT`` share (accuracy is dominated by it; BioRED is ~87% ``NOT``), the entity-type pairs
that never carry a relation (a quarter of BioRED's pairs: a model can learn to reject them
from the types alone), and how many rendered inputs a token limit truncates (in the users'
setup a 256-token limit cut the prompt tail of a large share of inputs). :func:`compare_stats`
puts two inputs side by side, e.g. our folds against a colleague's ``split_k.json`` files.

The token-length part needs a tokenizer and the input representation, so it lives one stage
downstream, in :func:`relx.represent.length_stats`: relx.data never imports relx.represent.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from relx.data._document import Document
from relx.data._example import PairExample
from relx.data._pairs import build_pairs
from relx.data._problems import ProblemLog
from relx.data._read import read_corpus
from relx.data._sentences import DEFAULT_SPLITTER
from relx.errors import DataError
from relx.labels import ALL_LABELS, ENTITY_TYPES, NOT_LABEL

__all__ = [
    "load_stats_input",
    "corpus_stats",
    "compare_stats",
]

#: Characters of normalized text that identify a document across sources (titles are
#: rarely shorter; BioRED's median title is ~100 characters).
_OVERLAP_CHARS = 40

_TYPE_RANK = {t: i for i, t in enumerate(ENTITY_TYPES)}


def _ordered(counter: Counter[str], order: Sequence[str] = ()) -> dict[str, int]:
    """Counts in a fixed order (``order`` first, then the rest alphabetically)."""
    known = [k for k in order if counter.get(k)]
    rest = sorted(k for k in counter if k not in order)
    return {k: counter[k] for k in (*known, *rest)}


def _type_pair(a: str, b: str) -> str:
    x, y = sorted((a, b), key=lambda t: (_TYPE_RANK.get(t, len(_TYPE_RANK)), t))
    return f"{x}|{y}"


def _documents_of_split(path: Path) -> list[Document]:
    """Documents rebuilt from a split file, for document-level counts only.

    A ``multi_sentence`` split keeps only some sentences per pair, so some spans cannot be
    placed back into one text; those placement problems are about the rebuild, not the
    input, and would drown the real ones, so they are not reported here. Pair-level stats
    come from the entries themselves and are exact.
    """
    from relx.data._split import read_split_documents

    return read_split_documents(path, log=ProblemLog())


def load_stats_input(
    paths: Sequence[str | os.PathLike[str]],
    *,
    context: str = "multi_sentence",
    splitter: str = DEFAULT_SPLITTER,
    log: ProblemLog | None = None,
) -> tuple[list[Document], list[PairExample]]:
    """Read documents and pairs from corpus files, split files or a folds folder.

    Split JSON (a file, or a folder of ``split_*.json`` such as ``relx data build``'s
    output or a colleague's iKraph folds) is taken as is: its pairs are *not* rebuilt, so
    stats describe exactly what was trained on. Corpus files are read and paired.

    Returns:
        ``(documents, examples)``.

    Raises:
        DataError: A path is missing, a folder holds no ``split_*.json``, or a file cannot
            be read.
    """
    from relx.data._read import detect_format
    from relx.data._split import read_split

    log = log if log is not None else ProblemLog()
    documents: list[Document] = []
    examples: list[PairExample] = []
    corpus: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            splits = sorted(path.glob("split_*.json"), key=lambda p: (len(p.name), p.name))
            if splits:
                for split in splits:
                    examples.extend(read_split(split, log=log))
                    documents.extend(_documents_of_split(split))
                continue
        if path.is_file() and detect_format(path) == "split_json":
            examples.extend(read_split(path, log=log))
            documents.extend(_documents_of_split(path))
            continue
        if not path.exists():
            raise DataError("not found; expected a corpus file, a split JSON file or a folds "
                            "folder", path=str(path), code="E109")
        corpus.append(path)
    if corpus:
        docs = read_corpus(corpus, log=log)
        documents.extend(docs)
        examples.extend(
            build_pairs(docs, context=context, log=log, splitter=splitter)  # type: ignore[arg-type]
        )
    return documents, examples


def corpus_stats(documents: Sequence[Document], examples: Sequence[PairExample]) -> dict[str, Any]:
    """Counts of documents, mentions, relations and pairs, and the type-pair x label matrix.

    Args:
        documents: The documents (for mention and relation counts).
        examples: Their candidate pairs (for label shares and the type-pair matrix).

    Returns:
        A JSON-ready dict; see the keys below. ``type_pairs_never_related`` lists the
        entity-type pairs with no positive pair, and ``never_related_pair_share`` the share of
        all pairs that fall in them.
    """
    mention_types: Counter[str] = Counter()
    relation_types: Counter[str] = Counter()
    without_concept = composite = novel = concepts = 0
    for doc in documents:
        seen: set[str] = set()
        for mention in doc.mentions:
            mention_types[mention.entity_type] += 1
            without_concept += not mention.concept_ids
            composite += len(mention.concept_ids) > 1
            seen.update(mention.concept_ids)
        concepts += len(seen)
        for relation in doc.relations:
            relation_types[relation.relation_type] += 1
            novel += relation.novel is True

    labels: Counter[str] = Counter(e.label for e in examples)
    matrix: dict[str, Counter[str]] = {}
    for e in examples:
        matrix.setdefault(_type_pair(e.type_a, e.type_b), Counter())[e.label] += 1
    never = sorted(tp for tp, row in matrix.items() if not any(k != NOT_LABEL for k in row))
    n_pairs = len(examples)
    in_never = sum(sum(matrix[tp].values()) for tp in never)
    return {
        "documents": len(documents),
        "mentions": {"total": sum(mention_types.values()),
                     "by_type": _ordered(mention_types, ENTITY_TYPES),
                     "without_concept": without_concept, "composite": composite},
        "concepts": concepts,
        "relations": {"total": sum(relation_types.values()),
                      "by_type": _ordered(relation_types, ALL_LABELS), "novel": novel},
        "pairs": {"total": n_pairs, "by_label": _ordered(labels, ALL_LABELS),
                  "not_share": labels[NOT_LABEL] / n_pairs if n_pairs else 0.0,
                  "documents": len({e.document_id for e in examples})},
        "type_pairs": {tp: _ordered(matrix[tp], ALL_LABELS)
                       for tp in sorted(matrix, key=lambda k: -sum(matrix[k].values()))},
        "type_pairs_never_related": never,
        "never_related_pair_share": in_never / n_pairs if n_pairs else 0.0,
    }


def compare_stats(
    a: dict[str, Any],
    b: dict[str, Any],
    *,
    documents_a: Sequence[Document] = (),
    documents_b: Sequence[Document] = (),
) -> dict[str, Any]:
    """Put two :func:`corpus_stats` results side by side, with their document overlap.

    Overlap is measured by document id and by the opening of the text (the title), so a
    colleague's splits built with other ids still show shared abstracts.

    Returns:
        ``{"a": a, "b": b, "overlap": {...}, "label_share": {label: [share_a, share_b]}}``.
    """
    ids_a = {d.doc_id for d in documents_a}
    ids_b = {d.doc_id for d in documents_b}

    def head(doc: Document) -> str:
        # Split files do not keep the title apart from the text, so compare the opening
        # characters of the text (the title in both cases) rather than titles.
        return " ".join(doc.text.lower().split())[:_OVERLAP_CHARS]

    titles_a = {head(d) for d in documents_a if d.text.strip()}
    titles_b = {head(d) for d in documents_b if d.text.strip()}
    shares: dict[str, list[float]] = {}
    labels = [*ALL_LABELS, *sorted((set(a["pairs"]["by_label"]) | set(b["pairs"]["by_label"]))
                                   - set(ALL_LABELS))]
    for label in labels:
        row = []
        for side in (a, b):
            total = side["pairs"]["total"]
            row.append(side["pairs"]["by_label"].get(label, 0) / total if total else 0.0)
        shares[label] = row
    return {
        "a": a,
        "b": b,
        "overlap": {"documents_by_id": len(ids_a & ids_b), "only_a": len(ids_a - ids_b),
                    "only_b": len(ids_b - ids_a), "documents_by_text": len(titles_a & titles_b)},
        "label_share": shares,
    }
