"""``relx.task.relation.v1``: which relation (or ``NOT``) holds between a candidate pair.

BioRED's/LitCoin's pair task: class 0 is ``NOT``, the others the relation types
(``data.labels``, default the 8 BioRED types of :mod:`relx.labels`). Every candidate pair is
trained and validated on; the gold class is the example's ``label``; the type-pair mask
applies; the score is the iKraph pair micro F1 over the positive labels (docs/architecture.md).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from relx.errors import ConfigError
from relx.labels import ALL_LABELS, NOT_LABEL

__all__ = ["RelationTask", "RELATION_TASK"]


class RelationTask:
    """The relation-type task (see the module docstring)."""

    name = "relx.task.relation.v1"
    short_name = "relation"
    negative_label: str | None = NOT_LABEL
    uses_type_pair_mask = True
    # The question line of the instruction prompt (relx.represent.PROMPT_HEAD).
    prompt_question = "Determine the relation between the subject and object from these types:"
    prediction_fields: tuple[str, ...] = ("pred", "probs")

    def labels(self, config_labels: Sequence[str] | None) -> tuple[str, ...]:
        if config_labels is None:
            return ALL_LABELS
        labels = tuple(config_labels)
        if not labels or labels[0] != NOT_LABEL:
            raise ConfigError(
                f"data.labels: expected {NOT_LABEL!r} first (class 0); got {list(labels)!r}. "
                f"Fix: put NOT first.",
                code="E416",
            )
        if len(set(labels)) != len(labels):
            raise ConfigError(
                f"data.labels: expected distinct labels; got duplicates in {list(labels)!r}. "
                f"Fix: list each label once.",
                code="E416",
            )
        return labels

    def select(self, examples: Sequence[Any]) -> list[Any]:
        return list(examples)

    def target(self, example: Any) -> str | None:
        return getattr(example, "label", None)

    def score(
        self, gold: Sequence[str | None], pred: Sequence[str], labels: Sequence[str]
    ) -> dict[str, Any]:
        from relx.evaluate import pair_metrics

        positive = [lab for lab in labels if lab != self.negative_label]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an untrained model predicting no positive is normal
            metrics = pair_metrics(list(gold), list(pred), labels=positive)
        return {
            "precision": metrics["precision"],
            "recall": metrics["recall"],
            "f1": metrics["f1"],
            "accuracy": metrics["accuracy"],
            "macro_f1": metrics.get("macro_f1"),
            "tp": metrics["tp"],
            "fp": metrics["fp"],
            "fn": metrics["fn"],
            "per_class_f1": {k: v["f1"] for k, v in metrics["per_class"].items()},
        }


RELATION_TASK = RelationTask()
