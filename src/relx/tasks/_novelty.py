"""``relx.task.novelty.v1``: is a gold relation a novel finding of the abstract, or background?

BioRED's fourth dimension. Every relation is annotated ``Novel`` (the abstract's own finding)
or ``No`` (background knowledge); the BioRED settings "pair + novelty" and "pair + type +
novelty" need it predicted. This task trains a binary model on the **gold relations whose
novelty is known**: ``NOT`` pairs have no novelty to learn, and a relation whose source does
not annotate novelty (``novel`` is ``None``: LitCoin test files, BioC without the infon) is
left out rather than read as ``No``.

Both classes are real (no negative class), the type-pair mask does not apply (it describes
relation types, not novelty), the metrics are accuracy and precision/recall/F1 of ``Novel``
(what training selects on), and predictions fill ``pred_novel``. At prediction time the
novelty model runs only on the pairs the relation model predicted as a relation
(relx.evaluate.predict_novelty); ``relx eval`` joins both models' predictions for the four
BioRED settings (docs/predictions.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from relx.errors import ConfigError
from relx.labels import NOT_LABEL

__all__ = ["NoveltyTask", "NOVELTY_TASK", "NOVELTY_LABELS"]

#: Class order of a novelty model: ``No`` is class 0, ``Novel`` the class F1 is reported for.
NOVELTY_LABELS: tuple[str, str] = ("No", "Novel")


class NoveltyTask:
    """The novelty task (see the module docstring)."""

    name = "relx.task.novelty.v1"
    short_name = "novelty"
    negative_label: str | None = None
    uses_type_pair_mask = False
    prompt_question = (
        "Is the relation between the subject and object a novel finding of this text or "
        "background knowledge? Answer with one of:"
    )
    prediction_fields: tuple[str, ...] = ("pred_novel",)
    #: The labels micro P/R/F1 is computed over in CV summaries: F1 of ``Novel``.
    scored_labels: tuple[str, ...] = ("Novel",)

    def labels(self, config_labels: Sequence[str] | None) -> tuple[str, ...]:
        if config_labels is None:
            return NOVELTY_LABELS
        labels = tuple(config_labels)
        if sorted(labels) != sorted(NOVELTY_LABELS):
            raise ConfigError(
                f"data.labels: expected the novelty classes {list(NOVELTY_LABELS)} (in any "
                f"order); got {list(labels)!r}. Fix: drop data.labels (the task fills them) "
                f"or set it to {list(NOVELTY_LABELS)}",
                code="E408",
            )
        return labels

    def select(self, examples: Sequence[Any]) -> list[Any]:
        """Gold relations of known novelty only (never ``NOT``, never unknown)."""
        return [ex for ex in examples if self.target(ex) is not None]

    def target(self, example: Any) -> str | None:
        label = getattr(example, "label", None)
        novel = getattr(example, "novel", None)
        if label is None or label == NOT_LABEL or novel is None:
            return None
        return NOVELTY_LABELS[1] if novel else NOVELTY_LABELS[0]

    def score(
        self, gold: Sequence[str | None], pred: Sequence[str], labels: Sequence[str]
    ) -> dict[str, Any]:
        """Accuracy and P/R/F1 of ``Novel`` over the examples whose gold novelty is known."""
        novel, no = NOVELTY_LABELS[1], NOVELTY_LABELS[0]
        pairs = [(g, p) for g, p in zip(gold, pred) if g is not None]
        tp = sum(g == novel and p == novel for g, p in pairs)
        fp = sum(g != novel and p == novel for g, p in pairs)
        fn = sum(g == novel and p != novel for g, p in pairs)
        tn = sum(g == no and p != novel for g, p in pairs)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        no_tp, no_fp, no_fn = tn, fn, fp  # the same table read for "No"
        no_f1 = 2 * no_tp / (2 * no_tp + no_fp + no_fn) if no_tp + no_fp + no_fn else 0.0
        return {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "accuracy": (tp + tn) / len(pairs) if pairs else 0.0,
            "macro_f1": (f1 + no_f1) / 2,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "tn": tn,
            "n": len(pairs),
            "per_class_f1": {novel: f1, no: no_f1},
        }


NOVELTY_TASK = NoveltyTask()
