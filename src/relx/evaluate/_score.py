"""Score one prediction set by every protocol at once: the dict behind ``eval.json``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relx.errors import DataError
from relx.evaluate._bootstrap import bootstrap_ci, count_table
from relx.evaluate._document_protocol import document_metrics
from relx.evaluate._metrics import inflated_metrics, pair_metrics
from relx.evaluate._predictions import Prediction
from relx.labels import POSITIVE_LABELS

__all__ = ["score_predictions", "EVAL_FORMAT_VERSION"]

#: Bumped when the layout of the scores dict (``eval.json``) changes incompatibly.
EVAL_FORMAT_VERSION = 1


def score_predictions(
    records: Sequence[Prediction],
    *,
    labels: Sequence[str] = POSITIVE_LABELS,
    n_bootstrap: int = 1000,
    seed: int = 0,
    also_inflated: bool = False,
    source: str | None = None,
) -> dict[str, Any]:
    """Score predictions by the pair protocol, the BioRED document protocol, with CIs.

    Args:
        records: Scored rows; every row needs a gold label.
        labels: Positive labels (``NOT`` and anything else = no relation).
        n_bootstrap: Bootstrap resamples over documents for the 95% intervals (0: none).
        seed: Bootstrap seed.
        also_inflated: Add the INFLATED gold-positive-only score (to compare with scripts
            that report it); it is stored under ``"inflated"`` and labelled as such.
        source: Where the predictions came from, recorded in the result.

    Returns:
        ``{"format_version", "source", "n_pairs", "n_documents", "pair": {... , "ci"},
        "document": {..., "settings": {name: {..., "ci"}}}, "bootstrap": {...},
        ["inflated": {...}]}``.

    Raises:
        DataError: E506 when a row has no gold label (nothing to score against).
    """
    if not records:
        raise DataError("no predictions to score", code="E505")
    no_gold = [r.id for r in records if r.gold is None]
    if no_gold:
        raise DataError(
            f"{len(no_gold)} of {len(records)} predictions have no gold label (e.g. "
            f"{no_gold[0]!r}); expected gold on every row to score",
            path=source,
            code="E506",
            hint="score predictions made on a labelled split (relx eval RUN --data split.json)",
        )
    gold = [r.gold or "" for r in records]
    pred = [r.pred for r in records]
    result: dict[str, Any] = {
        "format_version": EVAL_FORMAT_VERSION,
        "source": source,
        "n_pairs": len(records),
        "labels": list(labels),
    }
    result["pair"] = pair_metrics(gold, pred, labels=labels)
    result["document"] = document_metrics(records, labels=labels)
    table = count_table(records, labels=labels)
    result["n_documents"] = len(table.documents)
    boot = bootstrap_ci(table, n_resamples=n_bootstrap, seed=seed)
    intervals = boot.pop("intervals")
    result["bootstrap"] = boot
    if intervals:
        result["pair"]["ci"] = intervals["pair"]
        result["pair"]["pair_only"]["ci"] = intervals["pair_only"]
        for name, setting in result["document"]["settings"].items():
            setting["ci"] = intervals[f"document.{name}"]
    if also_inflated:
        result["inflated"] = inflated_metrics(gold, pred, labels=labels)
    return result
