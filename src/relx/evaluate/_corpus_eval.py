"""Score a PubTator/BioC prediction file against a gold corpus by the BioRED document protocol.

This is how the BioRED and BC8 BioRED-track evaluations are run: both files hold documents
with document-level relations between concept IDs; the unit is ``(document, concept pair)``.
Every concept pair related in either file becomes one row: gold label from the gold file
(``NOT`` when unrelated there), predicted label from the prediction file, the relation's
score (when the file has one) as its probability. Gold documents missing from the prediction
file count as predicting nothing (their relations are false negatives).
"""

from __future__ import annotations

import os
from typing import Any

from relx.errors import DataError
from relx.evaluate._document_protocol import document_metrics
from relx.evaluate._predictions import Prediction
from relx.labels import NOT_LABEL

__all__ = ["score_corpus_predictions"]


def _relations(doc: Any) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    for r in doc.relations:
        key = tuple(sorted((r.concept_a, r.concept_b)))
        if key not in out:  # first relation of a pair wins (the document protocol's merge rule)
            out[key] = r
    return out  # type: ignore[return-value]


def corpus_prediction_rows(predicted: list[Any], gold: list[Any]) -> list[Prediction]:
    """One :class:`Prediction` per concept pair related in the gold or the predicted documents."""
    gold_by_id = {d.doc_id: d for d in gold}
    pred_by_id = {d.doc_id: d for d in predicted}
    unknown = sorted(set(pred_by_id) - set(gold_by_id))
    if unknown:
        raise DataError(f"{len(unknown)} predicted document(s) are not in the gold corpus "
                        f"(e.g. {unknown[0]}); expected predictions for the gold documents", code="E510",
                        hint="pass the gold file of the same documents with --gold")
    rows: list[Prediction] = []
    for doc_id, gdoc in gold_by_id.items():
        g = _relations(gdoc)
        p = _relations(pred_by_id[doc_id]) if doc_id in pred_by_id else {}
        for a, b in sorted(set(g) | set(p)):
            gr, pr = g.get((a, b)), p.get((a, b))
            pred = pr.relation_type if pr is not None else NOT_LABEL
            probs = {pred: float(pr.score)} if pr is not None and pr.score is not None else None
            rows.append(Prediction(
                id=f"{doc_id}|{a}|{b}", document_id=doc_id, entity_a_id=a, entity_b_id=b, pred=pred,
                gold=gr.relation_type if gr is not None else NOT_LABEL,
                gold_novel=gr.novel if gr is not None else None,
                pred_novel=pr.novel if pr is not None else None, probs=probs))
    return rows


def score_corpus_predictions(pred_path: str | os.PathLike[str], gold_path: str | os.PathLike[str]) -> dict[str, Any]:
    """BioRED document-protocol scores of a PubTator/BioC prediction file against gold.

    Raises:
        DataError: an unreadable file, or predicted documents absent from the gold corpus.
    """
    from relx.data import ProblemLog, read_corpus

    log = ProblemLog()
    predicted = read_corpus([pred_path], log=log)
    gold = read_corpus([gold_path], log=log)
    rows = corpus_prediction_rows(predicted, gold)
    result = document_metrics(rows)
    result.update({"predictions": str(pred_path), "gold": str(gold_path),
                   "n_gold_documents": len(gold), "n_predicted_documents": len(predicted),
                   "n_gold_relations": sum(len(d.relations) for d in gold),
                   "n_predicted_relations": sum(len(d.relations) for d in predicted)})
    return result
