"""The classification head: our own small module, so pooling is ours and never pad-id based.

It reads hidden states flattened to ``[R*T, H]`` at ``pool_index`` (and ``entity_index`` for
``entity_start``), so it serves padded and packed batches with one code path. The head is
kept in float32 whatever the backbone dtype: it is tiny, always trainable, and bf16 logits
lose precision exactly where the softmax of rare classes lives.
"""

from __future__ import annotations

import torch
from torch import nn

from relx.models._pooling import gather_flat

__all__ = ["HEADS", "ENCODER_HEADS", "DECODER_HEADS", "ClassificationHead"]

#: ``cls``: the first token (encoders). ``entity_start``: [CLS] ++ first marker token of A ++
#: of B (the iKraph single-sentence model, Zhou & Chen 2021). ``last_token``: the last
#: attended token (decoders: the only position that has seen the whole input).
HEADS: tuple[str, ...] = ("cls", "entity_start", "last_token")
ENCODER_HEADS: tuple[str, ...] = ("cls", "entity_start")
DECODER_HEADS: tuple[str, ...] = ("last_token",)


class ClassificationHead(nn.Module):
    """Dropout + linear over the pooled hidden states.

    Args:
        pooling: One of :data:`HEADS`.
        hidden_size: The backbone's hidden size ``H``.
        num_labels: Number of classes.
        dropout: Dropout on the pooled vector (training only).
    """

    def __init__(self, *, pooling: str, hidden_size: int, num_labels: int, dropout: float) -> None:
        super().__init__()
        if pooling not in HEADS:
            raise ValueError(f"pooling must be one of {HEADS}; got {pooling!r}")
        self.pooling = pooling
        width = hidden_size * (3 if pooling == "entity_start" else 1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(width, num_labels, dtype=torch.float32)

    def forward(
        self,
        hidden: torch.Tensor,
        pool_index: torch.Tensor,
        entity_index: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits ``[N, num_labels]`` from ``hidden [R, T, H]`` and flat indices."""
        pooled = gather_flat(hidden, pool_index)
        if self.pooling == "entity_start":
            if entity_index is None:
                raise ValueError("the entity_start head needs batch['entity_index'] [N, 2]")
            entities = gather_flat(hidden, entity_index)  # [N, 2, H]
            pooled = torch.cat([pooled, entities[:, 0], entities[:, 1]], dim=-1)
        # Outside autocast: under mixed precision the trainer's autocast would otherwise run
        # this matmul in bf16 even though the weights are float32.
        with torch.autocast(device_type=pooled.device.type, enabled=False):
            pooled = pooled.to(self.classifier.weight.dtype)
            return self.classifier(self.dropout(pooled))
