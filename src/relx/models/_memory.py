"""Memory-aware execution: checkpoint activations only when a micro-batch would not fit.

Activation checkpointing costs about a third more compute (one extra forward), so it should
run only where the token budget does not fit the card. The decision is made at setup from
the backbone's config, the micro-batch's real-token budget, the method and dtype, and the
card's memory, and it is logged with its numbers.

The estimate (bytes; ``b`` = bytes per activation element, 2 for bf16/fp16, 4 for fp32;
``h`` hidden size, ``kv`` = key/value heads x head dim, ``i`` intermediate size, ``L``
layers, ``N`` tokens per micro-batch) counts what autograd keeps per token and layer
without checkpointing, for a pre-norm decoder layer (Llama) with a frozen base and LoRA:

* attention block: ``6h + 3kv`` elements -- the RMSNorm input kept in float32 (``2h``
  elements' worth), its output (``h``, the input of q/k/v and of their LoRA A), q and k
  before and after RoPE (``2(h + kv)``), v (``kv``) and the attention output that enters
  ``o_proj`` (``h``); flash/varlen attention keeps only a log-sum-exp (negligible);
* MLP block: ``3h + 4i`` for a gated MLP (SwiGLU: norm input ``2h`` and output ``h``, gate,
  up, SiLU(gate) and the product entering ``down_proj``, ``i`` each); ``3h + 2i`` for a
  plain GELU MLP (BERT);
* LoRA dropout > 0: each adapted linear keeps its own dropped input plus a mask
  (``1.5 x`` elements of ``6h + i`` with all-linear targets on q, k, v, o, gate, up, down).

``activations = N x L x (attention + mlp + dropout) x b``. Weights: the parameter count from
the config x ``b`` for a frozen base (LoRA), 0.5 byte + 2 % for 4-bit (QLoRA), 16 bytes per
parameter for full fine-tuning (fp32 weight, gradient, two AdamW moments). Workspace: 1 GiB
plus one layer's activations (the backward's transient gradients). The micro-batch fits
when the total is at most ``safety`` (0.9) of the card. With gradient checkpointing only
the layer inputs (``N x L x h x b``) and one layer's full activations stay.

Hand check (tests/models/test_memory_plan.py): Llama-3.1-8B shape (h 4096, kv 1024, i 14336,
32 layers, 7.50e9 parameters without the LM head), 6,144 tokens, bf16, LoRA without dropout:
194,560 bytes per token and layer, 38.3 GB of activations + 15.0 GB of weights + ~2.3 GB
workspace = ~55.5 GB: no checkpointing on an 80 GB or a 141 GB card. With LoRA dropout 0.05
(the shipped 8B preset) 61.2 GB of activations: ~79.2 GB > 72 GB (0.9 x 80 GB): checkpoint on
80 GB, not on 141 GB (the issue measured 72 GiB = 77 GB for this setup on an H200).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["MemoryEstimate", "estimate_training_memory", "plan_activation_checkpointing"]

_GIB = 1024**3


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes of one training micro-batch, by part (see the module docstring)."""

    weights: int
    activations: int
    workspace: int
    activations_checkpointed: int

    @property
    def total(self) -> int:
        return self.weights + self.activations + self.workspace

    @property
    def total_checkpointed(self) -> int:
        return self.weights + self.activations_checkpointed + self.workspace


def _get(config: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = getattr(config, name, None)
        if value is not None:
            return value
    return default


def _parameter_count(config: Any) -> int:
    """Backbone parameters (no LM head: relx loads ``AutoModel``), from the config alone."""
    h = int(_get(config, "hidden_size"))
    layers = int(_get(config, "num_hidden_layers"))
    i = int(_get(config, "intermediate_size", default=4 * h))
    heads = int(_get(config, "num_attention_heads"))
    head_dim = int(_get(config, "head_dim", default=h // heads))
    kv = int(_get(config, "num_key_value_heads", default=heads)) * head_dim
    vocab = int(_get(config, "vocab_size", default=0))
    gated = _is_gated(config)
    attention = h * heads * head_dim + 2 * h * kv + heads * head_dim * h
    mlp = (3 if gated else 2) * h * i
    norms = 2 * h
    embeddings = vocab * h + int(_get(config, "max_position_embeddings", default=0)) * h * (
        0 if gated else 1
    )
    return embeddings + layers * (attention + mlp + norms) + h


def _is_gated(config: Any) -> bool:
    act = str(_get(config, "hidden_act", "hidden_activation", default="silu")).lower()
    return act in ("silu", "swish", "swiglu", "gelu_pytorch_tanh") and hasattr(
        config, "num_key_value_heads"
    )


def _dtype_bytes(dtype: Any) -> int:
    if isinstance(dtype, str):
        dtype = {"bfloat16": torch.bfloat16, "bf16": torch.bfloat16, "float16": torch.float16,
                 "fp16": torch.float16, "float32": torch.float32, "fp32": torch.float32,
                 "auto": torch.bfloat16}.get(dtype, torch.float32)
    return torch.empty(0, dtype=dtype).element_size()


def estimate_training_memory(
    model_config: Any,
    tokens_per_microbatch: int,
    *,
    method: str,
    dtype: Any,
    lora_dropout: float = 0.0,
) -> MemoryEstimate:
    """Bytes one training micro-batch needs, by part (formula in the module docstring)."""
    h = int(_get(model_config, "hidden_size"))
    layers = int(_get(model_config, "num_hidden_layers"))
    i = int(_get(model_config, "intermediate_size", default=4 * h))
    heads = int(_get(model_config, "num_attention_heads"))
    head_dim = int(_get(model_config, "head_dim", default=h // heads))
    kv = int(_get(model_config, "num_key_value_heads", default=heads)) * head_dim
    b = _dtype_bytes(dtype)
    attention = 6 * h + 3 * kv
    mlp = 3 * h + (4 * i if _is_gated(model_config) else 2 * i)
    dropout = 1.5 * (6 * h + i) if method in ("lora", "qlora") and lora_dropout > 0 else 0.0
    per_token_layer = (attention + mlp + dropout) * b
    n = int(tokens_per_microbatch)
    activations = int(n * layers * per_token_layer)
    one_layer = int(n * per_token_layer)
    params = _parameter_count(model_config)
    if method == "full":
        weights = 16 * params
    elif method == "qlora":
        weights = int(params * 0.5 * 1.02)
    else:
        weights = params * b
    return MemoryEstimate(
        weights=weights,
        activations=activations,
        workspace=_GIB + one_layer,
        activations_checkpointed=n * layers * h * b + one_layer,
    )


def plan_activation_checkpointing(
    model_config: Any,
    tokens_per_microbatch: int,
    method: str,
    dtype: Any,
    card_memory_bytes: int,
    *,
    lora_dropout: float = 0.0,
    safety: float = 0.9,
) -> tuple[bool, str]:
    """Whether to checkpoint activations, and the one-line reason to log.

    Args:
        model_config: The backbone's transformers config (sizes only).
        tokens_per_microbatch: Real tokens per forward (the packed budget; for padded
            batches ``batch_size x longest``).
        method: ``full``, ``lora`` or ``qlora``.
        dtype: Activation dtype (``torch.bfloat16`` or its name).
        card_memory_bytes: The card's memory (``torch.cuda.get_device_properties(d).total_memory``).
        lora_dropout: The LoRA dropout (> 0 keeps a dropped copy of each adapted input).
        safety: Share of the card the estimate may use (allocator fragmentation, CUDA context).

    Returns:
        ``(checkpoint, reason)``; ``checkpoint`` is True when the estimate without
        checkpointing exceeds ``safety x card``.
    """
    estimate = estimate_training_memory(
        model_config, tokens_per_microbatch, method=method, dtype=dtype,
        lora_dropout=lora_dropout,
    )
    limit = safety * card_memory_bytes
    gb = 1e9
    numbers = (
        f"{tokens_per_microbatch} tokens/micro-batch: weights {estimate.weights / gb:.1f} GB +"
        f" activations {estimate.activations / gb:.1f} GB + workspace"
        f" {estimate.workspace / gb:.1f} GB = {estimate.total / gb:.1f} GB"
    )
    card = f"{safety:.0%} of the card's {card_memory_bytes / gb:.1f} GB = {limit / gb:.1f} GB"
    if estimate.total <= limit:
        return False, f"no activation checkpointing: {numbers} fits {card}"
    hint = ""
    if estimate.total_checkpointed > limit:
        hint = (
            f"; even checkpointed ({estimate.total_checkpointed / gb:.1f} GB) it does not fit:"
            " lower train.max_tokens_per_batch"
        )
    return True, f"activation checkpointing: {numbers} exceeds {card}{hint}"
