"""The BioRED document protocol: concept-ID pairs per document, scored four ways.

The official BioRED unit is the document-level pair of concept IDs, so pair-level rows are
first merged to ``(document_id, min concept, max concept)`` keys. Usually there is exactly one
row per key (relx builds one candidate per unordered concept pair), but predictions from other
tools (mention- or sentence-level) can have several. **Merge rule**, deterministic:

- *gold* of a key: the first row (file order) whose gold label is a relation, else ``NOT``;
  its ``gold_novel`` goes with it;
- *prediction* of a key: among the rows that predict a relation, the one with the highest
  probability of its predicted label (``probs[pred]``; 1.0 when the row has no ``probs``),
  ties to the first in file order; its ``pred_novel`` goes with it. No such row: ``NOT``.

Settings (micro-F1, ``NOT``/None excluded as a label, docs/formats.md §4.2):

- ``pair``: a relation is predicted for a gold-related pair (type ignored);
- ``pair_type``: the relation type must match as well;
- ``pair_novelty``: novelty must match as well (type ignored);
- ``all``: type and novelty must match.

A predicted relation that fails the setting's match is one FP and, when the pair is gold
related, one FN, exactly like the pair protocol. The novelty settings are computed only when
novelty is present on both sides (some gold and some predicted novelty values). Then:

- a gold relation whose novelty is unknown (``gold_novel`` null: a source that does not
  annotate it) is **left out** of the two novelty settings (neither TP, FP nor FN; unknown is
  never read as ``No``) and counted in ``novelty_unknown_gold``;
- a missing ``pred_novel`` on a predicted relation counts as a mismatch (the system did not
  say) and is counted in ``novelty_missing_pred``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from relx.evaluate._metrics import prf
from relx.evaluate._predictions import Prediction
from relx.labels import POSITIVE_LABELS

__all__ = [
    "DOCUMENT_SETTINGS",
    "MergedPairs",
    "merge_to_concept_pairs",
    "setting_masks",
    "document_metrics",
]

#: The four BioRED settings, in the order the shared task reports them.
DOCUMENT_SETTINGS: tuple[str, ...] = ("pair", "pair_type", "pair_novelty", "all")


@dataclass(slots=True)
class MergedPairs:
    """One row per ``(document, concept pair)`` key, as numpy arrays for fast counting."""

    keys: list[tuple[str, str, str]]
    doc_index: np.ndarray  # [K] index into documents
    documents: list[str]
    gold_rel: np.ndarray  # [K] bool
    pred_rel: np.ndarray  # [K] bool
    type_match: np.ndarray  # [K] bool: gold label == predicted label
    novelty_match: np.ndarray  # [K] bool
    gold_novelty_unknown: np.ndarray  # [K] bool: gold related, gold novelty null
    pred_novelty_missing: np.ndarray  # [K] bool: gold and predicted related, pred novelty null
    has_novelty: bool
    n_rows: int


def merge_to_concept_pairs(
    records: Sequence[Prediction],
    *,
    labels: Sequence[str] = POSITIVE_LABELS,
    documents: Sequence[str] | None = None,
) -> MergedPairs:
    """Merge pair rows to concept-ID pairs per document by the rule in the module docstring.

    Args:
        records: Scored rows (gold required).
        labels: The positive labels; anything else means "no relation".
        documents: Document order to index into (default: first appearance in ``records``);
            the bootstrap passes one shared order so both protocols resample alike.
    """
    positive = set(labels)
    gold: dict[tuple[str, str, str], tuple[str, bool | None]] = {}
    pred: dict[tuple[str, str, str], tuple[float, str, bool | None]] = {}
    order: dict[tuple[str, str, str], None] = {}
    for record in records:
        key = record.pair_key
        order.setdefault(key, None)
        if record.gold in positive and key not in gold:
            gold[key] = (record.gold, record.gold_novel)
        if record.pred in positive:
            p = record.probs.get(record.pred, 0.0) if record.probs else 1.0
            if key not in pred or p > pred[key][0]:
                pred[key] = (p, record.pred, record.pred_novel)
    keys = list(order)
    doc_order = list(documents) if documents is not None else list(
        dict.fromkeys(k[0] for k in keys)
    )
    doc_pos = {d: i for i, d in enumerate(doc_order)}
    n = len(keys)
    gold_rel = np.zeros(n, dtype=bool)
    pred_rel = np.zeros(n, dtype=bool)
    type_match = np.zeros(n, dtype=bool)
    novelty_match = np.zeros(n, dtype=bool)
    gold_novelty_unknown = np.zeros(n, dtype=bool)
    pred_novelty_missing = np.zeros(n, dtype=bool)
    any_gold_novel = any(v[1] is not None for v in gold.values())
    any_pred_novel = any(v[2] is not None for v in pred.values())
    for i, key in enumerate(keys):
        g = gold.get(key)
        p = pred.get(key)
        gold_rel[i] = g is not None
        pred_rel[i] = p is not None
        gold_novelty_unknown[i] = g is not None and g[1] is None
        if g is not None and p is not None:
            type_match[i] = g[0] == p[1]
            novelty_match[i] = g[1] is not None and p[2] is not None and g[1] == p[2]
            pred_novelty_missing[i] = g[1] is not None and p[2] is None
    return MergedPairs(
        keys=keys,
        doc_index=np.fromiter((doc_pos[k[0]] for k in keys), dtype=np.int64, count=n),
        documents=doc_order,
        gold_rel=gold_rel,
        pred_rel=pred_rel,
        type_match=type_match,
        novelty_match=novelty_match,
        gold_novelty_unknown=gold_novelty_unknown,
        pred_novelty_missing=pred_novelty_missing,
        has_novelty=any_gold_novel and any_pred_novel,
        n_rows=len(records),
    )


def setting_masks(merged: MergedPairs) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per setting, boolean ``(tp, fp, fn)`` masks over the merged keys.

    The novelty settings count only the keys in scope: every key except a gold relation of
    unknown novelty (module docstring), so unknown novelty is never scored as ``No``.
    """
    both = merged.gold_rel & merged.pred_rel
    matches = {
        "pair": both,
        "pair_type": both & merged.type_match,
        "pair_novelty": both & merged.novelty_match,
        "all": both & merged.type_match & merged.novelty_match,
    }
    everything = np.ones(len(merged.keys), dtype=bool)
    in_scope = {"pair": everything, "pair_type": everything,
                "pair_novelty": ~merged.gold_novelty_unknown, "all": ~merged.gold_novelty_unknown}
    settings = DOCUMENT_SETTINGS if merged.has_novelty else ("pair", "pair_type")
    return {
        name: (
            matches[name] & in_scope[name],
            merged.pred_rel & ~matches[name] & in_scope[name],
            merged.gold_rel & ~matches[name] & in_scope[name],
        )
        for name in settings
    }


def document_metrics(
    records: Sequence[Prediction], *, labels: Sequence[str] = POSITIVE_LABELS
) -> dict[str, Any]:
    """Score rows by the BioRED document protocol (module docstring).

    Returns:
        ``{"protocol": "biored_document", "n_documents", "n_concept_pairs", "n_rows",
        "novelty_scored", "novelty_unknown_gold", "novelty_missing_pred", "merge_rule",
        "settings": {name: {precision, recall, f1, tp, fp, fn}}}``; ``pair_novelty``/``all``
        are absent when novelty is not present. ``novelty_unknown_gold`` counts the gold
        relations left out of the novelty settings, ``novelty_missing_pred`` the predicted
        relations on gold relations that carry no predicted novelty.
    """
    merged = merge_to_concept_pairs(records, labels=labels)
    settings: dict[str, Any] = {}
    for name, (tp, fp, fn) in setting_masks(merged).items():
        counts = (int(tp.sum()), int(fp.sum()), int(fn.sum()))
        settings[name] = {
            **prf(*counts, what=f"document protocol ({name})"),
            "tp": counts[0],
            "fp": counts[1],
            "fn": counts[2],
        }
    return {
        "protocol": "biored_document",
        "n_documents": len(merged.documents),
        "n_concept_pairs": len(merged.keys),
        "n_rows": merged.n_rows,
        "novelty_scored": merged.has_novelty,
        "novelty_unknown_gold": int(merged.gold_novelty_unknown.sum()),
        "novelty_missing_pred": int(merged.pred_novelty_missing.sum()),
        "merge_rule": (
            "one unit per (document, concept pair); gold = first gold relation row; "
            "prediction = the predicted relation with the highest probability"
        ),
        "settings": settings,
    }

