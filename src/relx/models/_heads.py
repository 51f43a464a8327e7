"""The classification head: our own small module, so pooling is ours and never pad-id based.

It reads hidden states flattened to ``[R*T, H]`` at ``pool_index`` (and ``entity_index`` for
``entity_start``), so it serves padded and packed batches with one code path. The head is
kept in float32 whatever the backbone dtype: it is tiny, always trainable, and bf16 logits
lose precision exactly where the softmax of rare classes lives.

Its layers have the shape of transformers' own sequence-classification heads, so a saved
model loads there whole (``relx/models/_export.py``): ``cls`` is BERT's pooler + classifier
(first token -> dense -> tanh -> dropout -> linear; also RoBERTa's classification head), and
``last_token`` is the decoders' ``score`` (one linear layer without bias). ``entity_start``
(dropout + linear over [CLS] ++ A ++ B) has no transformers counterpart.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from relx.models._pooling import gather_flat

__all__ = [
    "HEADS", "ENCODER_HEADS", "DECODER_HEADS", "ClassificationHead", "head_layout",
    "head_from_state_dict",
]

#: ``cls``: the first token (encoders). ``entity_start``: [CLS] ++ first marker token of A ++
#: of B (the iKraph single-sentence model, Zhou & Chen 2021). ``last_token``: the last
#: attended token (decoders: the only position that has seen the whole input).
HEADS: tuple[str, ...] = ("cls", "entity_start", "last_token")
ENCODER_HEADS: tuple[str, ...] = ("cls", "entity_start")
DECODER_HEADS: tuple[str, ...] = ("last_token",)


def head_layout(pooling: str) -> tuple[bool, bool]:
    """``(dense, bias)`` of a newly built head: what transformers' matching head has.

    ``cls``: a dense+tanh layer (BERT's pooler, RoBERTa's ``classifier.dense``) and a biased
    classifier; ``last_token``: no dense, no bias (``score`` of LlamaForSequenceClassification
    and the other decoders); ``entity_start``: no dense, a biased classifier.
    """
    if pooling not in HEADS:
        raise ValueError(f"pooling must be one of {HEADS}; got {pooling!r}")
    return pooling == "cls", pooling != "last_token"


class ClassificationHead(nn.Module):
    """[dense + tanh] + dropout + linear over the pooled hidden states.

    Args:
        pooling: One of :data:`HEADS`.
        hidden_size: The backbone's hidden size ``H``.
        num_labels: Number of classes.
        dropout: Dropout on the pooled vector (training only), after the dense layer.
        dense: Whether the head has the ``dense`` (H -> H, tanh) layer; None = what a new
            head of this pooling has (:func:`head_layout`). Heads saved by relx before the
            dense layer existed have none (:func:`head_from_state_dict`).
        bias: Whether the output layer has a bias; None = :func:`head_layout`.
    """

    def __init__(
        self,
        *,
        pooling: str,
        hidden_size: int,
        num_labels: int,
        dropout: float,
        dense: bool | None = None,
        bias: bool | None = None,
    ) -> None:
        super().__init__()
        default_dense, default_bias = head_layout(pooling)
        self.pooling = pooling
        width = hidden_size * (3 if pooling == "entity_start" else 1)
        use_dense = default_dense if dense is None else dense
        if use_dense and pooling == "entity_start":
            raise ValueError("the entity_start head has no dense layer")
        self.dense = nn.Linear(hidden_size, hidden_size, dtype=torch.float32) if use_dense else None
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(
            width, num_labels, bias=default_bias if bias is None else bias, dtype=torch.float32
        )

    def init_dense(self, pooler_dense: nn.Module | None, *, std: float) -> str:
        """Initialise ``dense`` from a backbone's pretrained pooler, else as transformers does.

        BERT-family checkpoints ship a trained pooler (dense + tanh over [CLS]); a user's
        ``AutoModelForSequenceClassification`` starts from it, so relx does too. Without one
        (or a quantized one), normal(0, ``initializer_range``) weights and zero bias, as
        transformers' ``_init_weights`` would. Returns where the weights came from.
        """
        if self.dense is None:
            return "none"
        weight = getattr(pooler_dense, "weight", None)
        bias = getattr(pooler_dense, "bias", None)
        usable = (
            isinstance(weight, torch.Tensor) and weight.is_floating_point()
            and tuple(weight.shape) == tuple(self.dense.weight.shape)
            and isinstance(bias, torch.Tensor) and tuple(bias.shape) == tuple(self.dense.bias.shape)
        )
        with torch.no_grad():
            if usable:
                self.dense.weight.copy_(weight.detach().float())
                self.dense.bias.copy_(bias.detach().float())
                return "the backbone's pretrained pooler"
            self.dense.weight.normal_(0.0, std)
            self.dense.bias.zero_()
        return f"normal(0, {std:g}) as transformers initialises it (no pretrained pooler)"

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
            if self.dense is not None:
                pooled = torch.tanh(self.dense(pooled))
            return self.classifier(self.dropout(pooled))


def head_from_state_dict(
    state: Mapping[str, torch.Tensor], *, pooling: str, hidden_size: int, num_labels: int,
    dropout: float,
) -> ClassificationHead:
    """The head a saved ``head.safetensors`` describes, with its weights loaded.

    The layout is read from the keys, so heads of every relx version load: no ``dense.*``
    means no dense layer (cls heads before model format 2), ``classifier.bias`` present
    means a biased output layer (last_token heads before format 2).
    """
    head = ClassificationHead(
        pooling=pooling, hidden_size=hidden_size, num_labels=num_labels, dropout=dropout,
        dense="dense.weight" in state, bias="classifier.bias" in state,
    )
    head.load_state_dict(dict(state), strict=True)
    return head
