"""How a packed batch keeps its examples apart: the selectable packed attention paths.

A packed row holds several examples end to end, positions restarting at 0 for each; every
token must attend only within its own example. Three exact ways, chosen per model by
``packed_attention`` (``RelationClassifier.set_packed_attention`` or the measurement knob
``RELX_PACKED_ATTENTION``):

``sdpa_mask``
    A materialised mask. Decoders: no 2-D mask and the restarting ``position_ids``, from
    which transformers' ``masking_utils.find_packed_sequence_indices`` builds a block-causal
    mask for whatever attention implementation the backbone uses (on CUDA, SDPA then runs its
    memory-efficient kernel: it computes ``rows x width^2`` scores, most of them masked).
    Encoders: a 4-D block-diagonal mask built here (passed through untouched).
``flex``
    Decoders only: the backbone switches to ``attn_implementation="flex_attention"`` and
    transformers turns the same packed detection into a ``BlockMask``, so masked blocks are
    skipped (compiled on first use).
``varlen``
    The rows are flattened and torch's ``torch.nn.attention.varlen.varlen_attn`` (Flash
    Attention over cumulative sequence lengths) runs each example as its own sequence: no
    masked work at all. Registered with transformers as the attention implementation
    ``relx_varlen``; padded batches through it run plain SDPA. It needs CUDA and a 16-bit
    dtype and no attention dropout; otherwise the call falls back, exactly, to SDPA with the
    block mask (this is also what the CPU tests exercise).
``auto``
    ``varlen`` when torch has ``varlen_attn`` and the backbone follows transformers'
    attention interface, else ``sdpa_mask`` (decided on the first packed forward, logged).
"""

from __future__ import annotations

import inspect
import logging
import os
from typing import Any

import torch

from relx.errors import ConfigError

__all__ = [
    "PACKED_ATTENTION_CHOICES",
    "VARLEN_IMPLEMENTATION",
    "packed_attention_from_env",
    "varlen_available",
    "register_varlen_attention",
    "segment_ids",
    "block_mask",
    "varlen_kwargs",
]

logger = logging.getLogger("relx.models")

PACKED_ATTENTION_CHOICES = ("auto", "sdpa_mask", "flex", "varlen")
#: The name under which relx's varlen attention is registered with transformers.
VARLEN_IMPLEMENTATION = "relx_varlen"


def packed_attention_from_env(default: str = "auto") -> str:
    """``RELX_PACKED_ATTENTION`` when set (bench/ measures the candidates with it)."""
    value = os.environ.get("RELX_PACKED_ATTENTION") or default
    if value not in PACKED_ATTENTION_CHOICES:
        raise ConfigError(
            f"RELX_PACKED_ATTENTION: expected one of {list(PACKED_ATTENTION_CHOICES)}; got"
            f" {value!r}",
            code="E207",
        )
    return value


def _varlen_fn() -> Any:
    try:
        from torch.nn.attention.varlen import varlen_attn
    except ImportError:  # torch < 2.10
        return None
    return varlen_attn


def varlen_available() -> bool:
    """Whether this torch has ``varlen_attn`` and a CUDA device to run it on."""
    return _varlen_fn() is not None and torch.cuda.is_available()


def segment_ids(position_ids: torch.Tensor) -> torch.Tensor:
    """``[R, T]`` example number of every token: a new example wherever positions restart.

    Same rule as transformers' ``find_packed_sequence_indices`` (a position that does not
    continue the previous one starts a new sequence); each pad token of ``collate_packed``
    (position 0) is a one-token segment of its own.
    """
    previous = torch.cat([position_ids[:, :1] - 1, position_ids[:, :-1]], dim=1)
    return (position_ids - previous != 1).cumsum(dim=1)


def block_mask(position_ids: torch.Tensor, *, causal: bool) -> torch.Tensor:
    """``[R, 1, T, T]`` boolean mask, True where query ``i`` may attend to key ``j``.

    Block-diagonal over the examples (block-causal when ``causal``); a pad token is its own
    segment, so it attends to itself only and no query row is fully masked (SDPA would give
    NaN there).
    """
    segment = segment_ids(position_ids)
    allowed = segment[:, :, None] == segment[:, None, :]
    if causal:
        width = position_ids.shape[1]
        allowed = allowed & torch.ones(
            width, width, dtype=torch.bool, device=position_ids.device
        ).tril()
    return allowed[:, None]


def varlen_kwargs(position_ids: torch.Tensor) -> dict[str, Any]:
    """transformers' flash-style kwargs for the flattened rows (``cu_seq_lens_*``, ``max_length_*``).

    One host sync per forward (the longest segment is a Python int, as ``varlen_attn`` needs).
    """
    flat = position_ids.reshape(1, -1)
    starts = torch.ones_like(flat, dtype=torch.bool)
    starts[:, 1:] = flat[:, 1:] != flat[:, :-1] + 1
    begin = starts[0].nonzero().flatten()
    total = torch.tensor([flat.shape[1]], device=flat.device, dtype=begin.dtype)
    cu = torch.cat([begin, total]).to(torch.int32)
    longest = int((cu[1:] - cu[:-1]).max())
    return {
        "cu_seq_lens_q": cu,
        "cu_seq_lens_k": cu,
        "max_length_q": longest,
        "max_length_k": longest,
    }


def _varlen_call_kwargs(causal: bool, gqa: bool) -> tuple[dict[str, Any], bool]:
    """Keyword arguments for this torch's ``varlen_attn`` (2.10: ``is_causal``; 2.11+: ``window_size``)."""
    params = inspect.signature(_varlen_fn()).parameters
    kwargs: dict[str, Any] = {}
    if "window_size" in params:
        kwargs["window_size"] = (-1, 0) if causal else (-1, -1)
    elif causal:
        kwargs["is_causal"] = True
    native_gqa = gqa and "enable_gqa" in params
    if native_gqa:
        kwargs["enable_gqa"] = True
    return kwargs, native_gqa


def _can_run_varlen(query: torch.Tensor, dropout: float) -> bool:
    """Flash varlen runs on CUDA in 16-bit and has no dropout; anything else falls back."""
    return (
        query.is_cuda
        and query.dtype in (torch.float16, torch.bfloat16)
        and dropout == 0.0
        and _varlen_fn() is not None
    )


def _segments_from_cu(cu: torch.Tensor, rows: int, width: int) -> torch.Tensor:
    lengths = (cu[1:] - cu[:-1]).long()
    ids = torch.repeat_interleave(torch.arange(len(lengths), device=cu.device), lengths)
    return ids.reshape(rows, width)


def varlen_attention_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    is_causal: bool | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """transformers attention function: varlen over ``cu_seq_lens_q`` when given, else SDPA.

    ``query`` ``[R, Hq, T, D]``, ``key``/``value`` ``[R, Hkv, T, D]``; returns ``[R, T, Hq, D]``
    like transformers' own functions.
    """
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    cu = kwargs.get("cu_seq_lens_q")
    if cu is None:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
            is_causal=is_causal, **kwargs,
        )
    causal = is_causal if is_causal is not None else bool(getattr(module, "is_causal", True))
    rows, heads, width, dim = query.shape
    if not _can_run_varlen(query, dropout):
        # Exact fallback: the same segments as a block mask through SDPA.
        segment = _segments_from_cu(cu, rows, width)
        allowed = segment[:, :, None] == segment[:, None, :]
        if causal:
            allowed = allowed & torch.ones(
                width, width, dtype=torch.bool, device=query.device
            ).tril()
        rest = {k: v for k, v in kwargs.items() if not k.startswith(("cu_seq_lens", "max_length"))}
        return sdpa_attention_forward(
            module, query, key, value, allowed[:, None], dropout=dropout, scaling=scaling,
            is_causal=False, **rest,
        )
    kv_heads = key.shape[1]
    call_kwargs, native_gqa = _varlen_call_kwargs(causal, gqa=kv_heads != heads)
    if kv_heads != heads and not native_gqa:
        key = key.repeat_interleave(heads // kv_heads, dim=1)
        value = value.repeat_interleave(heads // kv_heads, dim=1)
    q = query.transpose(1, 2).reshape(rows * width, heads, dim)
    k = key.transpose(1, 2).reshape(rows * width, key.shape[1], dim)
    v = value.transpose(1, 2).reshape(rows * width, value.shape[1], dim)
    out = _varlen_fn()(
        q, k, v, cu, cu, kwargs["max_length_q"], kwargs["max_length_k"], scale=scaling,
        **call_kwargs,
    )
    return out.reshape(rows, width, heads, dim), None


_REGISTERED = False


def register_varlen_attention() -> str:
    """Register ``relx_varlen`` with transformers (once); padded batches get SDPA's mask."""
    global _REGISTERED
    if not _REGISTERED:
        from transformers import AttentionInterface
        from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

        AttentionInterface.register(VARLEN_IMPLEMENTATION, varlen_attention_forward)
        AttentionMaskInterface.register(VARLEN_IMPLEMENTATION, sdpa_mask)
        _REGISTERED = True
    return VARLEN_IMPLEMENTATION
