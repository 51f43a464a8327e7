"""The type-pair constraint: labels never seen for an entity-type pair are masked out.

Why: a quarter of BioRED candidate pairs have an entity-type combination that never carries
a relation (docs/formats.md §1), and some labels occur for only a few type pairs (``Bind`` between
genes and chemicals, ``Drug_Interaction`` between chemicals). iKraph masks impossible labels
at prediction ("no relation" mask); doing it from the *training* data keeps it honest in
cross-validation. ``NOT`` is always allowed, so an unseen type pair predicts ``NOT``.
Pairs are undirected, so ``(A, B)`` and ``(B, A)`` share one entry.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from relx._io import atomic_write_json, read_json
from relx.errors import ConfigError, ModelError
from relx.labels import NOT_LABEL

__all__ = ["TypePairMask", "TYPE_PAIR_MASK_FILE"]

#: File name of the mask inside a saved model directory.
TYPE_PAIR_MASK_FILE = "type_pair_mask.json"
_FORMAT_VERSION = 1


def _key(type_a: str, type_b: str) -> tuple[str, str]:
    a, b = sorted((str(type_a), str(type_b)))
    return (a, b)


@dataclass
class TypePairMask:
    """Which labels were observed for each (unordered) entity-type pair.

    Attributes:
        labels: Class order of the logits the mask applies to.
        counts: ``{(type_a, type_b): {label: count}}`` observed in training (sorted keys).
        always_allowed: Labels never masked (``NOT`` by default).
    """

    labels: tuple[str, ...]
    counts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    always_allowed: tuple[str, ...] = (NOT_LABEL,)

    @classmethod
    def from_examples(
        cls,
        examples: Iterable[Any],
        labels: Sequence[str],
        *,
        always_allowed: Sequence[str] = (NOT_LABEL,),
    ) -> TypePairMask:
        """Record the labels observed per type pair in training examples.

        Args:
            examples: ``PairExample`` (``label`` str, ``type_a``/``type_b``) or
                ``EncodedExample`` (``label`` int in ``labels`` order, ``type_pair``).
            labels: The configured label order.
            always_allowed: Labels never masked; those absent from ``labels`` are ignored.

        Raises:
            ConfigError: a training label is not in ``labels``.
        """
        labels = tuple(labels)
        counts: dict[tuple[str, str], Counter[str]] = {}
        for example in examples:
            label = example.label
            if isinstance(label, int):
                if not 0 <= label < len(labels):
                    raise ConfigError(
                        f"type-pair mask: label id {label} is outside labels"
                        f" (0..{len(labels) - 1}); pass the labels the examples were encoded"
                        " with",
                        code="E320",
                    )
                label = labels[label]
            elif label not in labels:
                raise ConfigError(
                    f"type-pair mask: training label {label!r} is not in labels {list(labels)};"
                    " add it to the configured labels",
                    code="E320",
                )
            if hasattr(example, "type_pair"):
                type_a, type_b = example.type_pair
            else:
                type_a, type_b = example.type_a, example.type_b
            counts.setdefault(_key(type_a, type_b), Counter())[label] += 1
        return cls(
            labels=labels,
            counts={k: dict(sorted(v.items())) for k, v in sorted(counts.items())},
            always_allowed=tuple(a for a in always_allowed if a in labels),
        )

    def allowed(self, type_a: str, type_b: str) -> frozenset[str]:
        """Labels allowed for one type pair (in either order)."""
        seen = self.counts.get(_key(type_a, type_b), {})
        return frozenset(seen) | frozenset(self.always_allowed)

    def only_not(self, type_a: str, type_b: str) -> bool:
        """True when the type pair never carried a relation: the mask forces ``NOT`` on it."""
        return not (set(self.counts.get(_key(type_a, type_b), {})) - set(self.always_allowed))

    def allowed_mask(
        self, type_pairs: Sequence[tuple[str, str]], *, device: torch.device | str | None = None
    ) -> torch.Tensor:
        """Boolean ``[N, num_labels]``: True where the label is allowed for that example."""
        rows = []
        for type_a, type_b in type_pairs:
            ok = self.allowed(type_a, type_b)
            rows.append([label in ok for label in self.labels])
        return torch.tensor(rows, dtype=torch.bool, device=device).reshape(
            len(type_pairs), len(self.labels)
        )

    def apply(self, logits: torch.Tensor, type_pairs: Sequence[tuple[str, str]]) -> torch.Tensor:
        """Logits with unseen labels set to the dtype's minimum (softmax gives them ~0).

        The minimum rather than ``-inf`` keeps softmax finite even if every label of a row
        were masked (possible only when ``NOT`` is not among the labels).

        Raises:
            ModelError: the logits' width differs from the mask's labels, or the count of
                type pairs differs from the number of rows.
        """
        if logits.dim() != 2 or logits.shape[1] != len(self.labels):
            raise ModelError(
                f"type-pair mask: logits shape {tuple(logits.shape)} does not match"
                f" {len(self.labels)} labels {list(self.labels)}; build the mask with the"
                " model's labels",
                code="E321",
            )
        if logits.shape[0] != len(type_pairs):
            raise ModelError(
                f"type-pair mask: {logits.shape[0]} logit rows but {len(type_pairs)} type pairs;"
                " pass one (type_a, type_b) per example",
                code="E321",
            )
        allowed = self.allowed_mask(type_pairs, device=logits.device)
        return logits.masked_fill(~allowed, torch.finfo(logits.dtype).min)

    def to_json(self) -> dict[str, Any]:
        """JSON form (stored with the run and the model)."""
        return {
            "format_version": _FORMAT_VERSION,
            "labels": list(self.labels),
            "always_allowed": list(self.always_allowed),
            "pairs": [
                {"types": list(key), "counts": dict(value)} for key, value in self.counts.items()
            ],
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any], *, source: str = "type-pair mask") -> TypePairMask:
        """Inverse of :meth:`to_json`.

        Raises:
            ModelError: malformed or newer-format JSON (names ``source``).
        """
        try:
            version = int(obj.get("format_version", 1))
            if version > _FORMAT_VERSION:
                raise ModelError(
                    f"{source}: format_version {version} is newer than this relx reads"
                    f" ({_FORMAT_VERSION}); upgrade relx (pip install -U relx)",
                    code="E322",
                )
            counts = {
                _key(*entry["types"]): {str(k): int(v) for k, v in entry["counts"].items()}
                for entry in obj["pairs"]
            }
            return cls(
                labels=tuple(str(x) for x in obj["labels"]),
                counts=counts,
                always_allowed=tuple(str(x) for x in obj.get("always_allowed", [NOT_LABEL])),
            )
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, ModelError):
                raise
            raise ModelError(
                f"{source}: malformed type-pair mask ({error!r}); expected keys labels, pairs"
                " [{types: [a, b], counts: {label: n}}]; re-create it with"
                " TypePairMask.from_examples",
                code="E322",
            ) from error

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the mask as JSON, atomically."""
        atomic_write_json(path, self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TypePairMask:
        """Read a mask written by :meth:`save`."""
        return cls.from_json(read_json(path), source=str(path))
