"""Fold ensembles: every fold's best model of a cross-validation, probabilities averaged.

:class:`FoldEnsemble` has the interface the inference path uses (``forward(batch)``,
``num_labels``, ``labels``, ``info``, ``pool``, ``type_pair_mask``), so
``iter_probabilities`` and everything above it (``relx eval --data``, ``relx predict``) work
unchanged. ``forward`` returns ``log(mean_k softmax(logits_k))``, so the softmax of its
output is the mean of the folds' probabilities.

Each fold's own type-pair mask applies before averaging: the batch holds no type pairs, so
``forward`` keeps the folds' logits of its last batch and the ensemble's ``type_pair_mask``
(:class:`_FoldMasks`, called by the inference path right after ``forward``) recomputes the
mean with each fold's mask. ``allowed`` is the union of the folds' labels, so a pair is
skipped as ``NOT`` only when every fold would say ``NOT``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from relx.errors import ModelError

__all__ = ["FoldEnsemble"]


class _FoldMasks:
    """The folds' type-pair masks, applied per fold to the logits of the last forward."""

    def __init__(self, ensemble: FoldEnsemble) -> None:
        self._ensemble = ensemble
        self.masks = [getattr(m, "type_pair_mask", None) for m in ensemble.folds]

    def allowed(self, type_a: str, type_b: str) -> frozenset[str]:
        if any(mask is None for mask in self.masks):
            return frozenset(self._ensemble.labels)
        return frozenset().union(*(mask.allowed(type_a, type_b) for mask in self.masks))

    def only_not(self, type_a: str, type_b: str) -> bool:
        return all(mask is not None and mask.only_not(type_a, type_b) for mask in self.masks)

    def apply(self, logits: torch.Tensor, type_pairs: Sequence[tuple[str, str]]) -> torch.Tensor:
        last = self._ensemble._last_fold_logits
        if last is None or last[0].shape[0] != logits.shape[0]:
            raise ModelError("FoldEnsemble.type_pair_mask.apply must follow the forward of "
                             "the same batch", code="E312")
        masked = [mask.apply(fold_logits, type_pairs) if mask is not None else fold_logits
                  for mask, fold_logits in zip(self.masks, last)]
        return FoldEnsemble.mean_log_probs(masked)


class FoldEnsemble(nn.Module):
    """The mean of several classifiers trained on the same labels and representation.

    Args:
        folds: Loaded ``RelationClassifier`` objects (one per fold).
        names: Their names (``fold_0``...), for messages.

    Raises:
        ModelError: [E336] no folds, or folds with other labels or representations.
    """

    def __init__(self, folds: Sequence[Any], names: Sequence[str] | None = None) -> None:
        super().__init__()
        if not folds:
            raise ModelError("a fold ensemble needs at least one model", code="E336")
        self.folds = nn.ModuleList(folds)
        self.names = list(names or [f"fold_{k}" for k in range(len(folds))])
        first = folds[0]
        for name, model in zip(self.names, folds):
            if list(model.labels) != list(first.labels):
                raise ModelError(f"{name}: labels {list(model.labels)} differ from "
                                 f"{list(first.labels)}; expected folds of one CV", code="E336")
            if (model.info.representation or {}) != (first.info.representation or {}):
                raise ModelError(f"{name}: representation differs from {self.names[0]}'s; "
                                 "expected folds of one CV", code="E336")
        self.info = first.info
        self.labels = list(first.labels)
        self.num_labels = int(first.num_labels)
        self.pool = getattr(first, "pool", None)
        self._last_fold_logits: list[torch.Tensor] | None = None
        masks = [getattr(m, "type_pair_mask", None) for m in folds]
        self.type_pair_mask = None if all(m is None for m in masks) else _FoldMasks(self)

    @staticmethod
    def mean_log_probs(fold_logits: Sequence[torch.Tensor]) -> torch.Tensor:
        """``log(mean_k softmax(logits_k))``, computed stably in log space."""
        stacked = torch.stack([torch.log_softmax(x.float(), dim=-1) for x in fold_logits])
        return torch.logsumexp(stacked, dim=0) - torch.log(torch.tensor(float(len(fold_logits))))

    def forward(self, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Log of the folds' mean probabilities (no mask), ``[N, num_labels]``."""
        fold_logits = [model(batch).float() for model in self.folds]
        self._last_fold_logits = fold_logits
        return self.mean_log_probs(fold_logits)
