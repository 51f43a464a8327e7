"""Fold and file selection: which pair examples a run trains and validates on.

Three sources, one result (:class:`FoldSelection`):

* ``train_files`` + ``val_files``: read as they are;
* ``split_files``: the K split files of a cross-validation; fold ``f`` validates on split
  ``(f + rotation) mod K`` (:func:`val_split_index`; rotation 4 is the users' protocol, fold 0
  validates on split_4) and trains on the others;
* ``corpus_files``: divided into ``n_splits`` document-level splits by the same stratified
  assignment ``relx data build`` writes to disk (:func:`assign_document_folds`), so a
  ``relx train`` on a corpus and a ``relx cv`` on the built splits see the same folds.

Files may be split JSON or any corpus format :func:`read_corpus` reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from relx.data._example import PairExample

__all__ = ["FoldSelection", "read_examples", "corpus_splits", "select_fold", "val_split_index"]


@dataclass
class FoldSelection:
    """The training and validation examples of one fold, and where they came from.

    ``source`` is JSON-ready (it goes into the run's ``data.json``): the files, or the fold,
    the number of splits and which split validates.
    """

    train: list[PairExample]
    val: list[PairExample]
    source: dict[str, Any] = field(default_factory=dict)


def val_split_index(fold: int, n_splits: int, rotation: int = 4) -> int:
    """The split a fold validates on: ``(fold + rotation) mod K`` (the users' protocol)."""
    return (fold + rotation) % n_splits


def read_examples(paths: Sequence[str], *, context: str) -> list[PairExample]:
    """Pair examples from split JSON files or any corpus format relx.data reads."""
    from relx.data._pairs import build_pairs
    from relx.data._read import detect_format, read_corpus
    from relx.data._split import read_split

    examples: list[PairExample] = []
    for path in paths:
        if detect_format(path) == "split_json":
            examples.extend(read_split(path))
        else:
            examples.extend(build_pairs(read_corpus([path]), context=context))
    return examples


def corpus_splits(
    corpus_files: Sequence[str], *, n_splits: int, seed: int, context: str
) -> list[list[PairExample]]:
    """Divide a corpus into ``n_splits`` document-level splits (``relx data build``'s)."""
    from relx.data._folds import assign_document_folds
    from relx.data._pairs import build_document_pairs
    from relx.data._read import read_corpus

    by_doc = {
        doc.doc_id: build_document_pairs(doc, context=context)
        for doc in read_corpus(list(corpus_files))
    }
    fold_of = assign_document_folds(by_doc, n_folds=n_splits, seed=seed)
    splits: list[list[PairExample]] = [[] for _ in range(n_splits)]
    for doc_id, examples in by_doc.items():
        splits[fold_of[doc_id]].extend(examples)
    return splits


def select_fold(
    *,
    train_files: Sequence[str] = (),
    val_files: Sequence[str] = (),
    split_files: Sequence[str] = (),
    corpus_files: Sequence[str] = (),
    n_splits: int = 5,
    fold: int = 0,
    rotation: int = 4,
    context: str = "multi_sentence",
    split_seed: int = 0,
) -> FoldSelection:
    """The examples of one fold from exactly one of the three sources (module docstring).

    Emptiness is the caller's to judge (training refuses an empty set with its own error).
    """
    if train_files:
        return FoldSelection(
            train=read_examples(train_files, context=context),
            val=read_examples(val_files, context=context),
            source={"train_files": list(train_files), "val_files": list(val_files)},
        )
    if split_files:
        splits = [read_examples([p], context=context) for p in split_files]
        names = list(split_files)
    else:
        splits = corpus_splits(corpus_files, n_splits=n_splits, seed=split_seed, context=context)
        names = [f"split_{i}" for i in range(len(splits))]
    k = len(splits)
    v = val_split_index(fold, k, rotation)
    return FoldSelection(
        train=[ex for i, split in enumerate(splits) if i != v for ex in split],
        val=splits[v],
        source={
            "fold": fold,
            "n_splits": k,
            "val_split": names[v],
            "train_splits": [n for i, n in enumerate(names) if i != v],
        },
    )
