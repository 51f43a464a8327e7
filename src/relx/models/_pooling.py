"""Which token the head reads, computed from the attention mask and never from the pad id.

Why: with ``pad = eos`` (SmolLM2, Llama) a pad-id search cannot tell a trailing pad from an
eos that ends the content, and with left padding "the first pad minus one" points at the
wrong end of the row. The attention mask is the only source of truth about which tokens are
real, so every index here is derived from it. Indices are *flat* (``row * T + column``) so
the same gather serves padded batches (one example per row) and packed batches (many).
"""

from __future__ import annotations

import torch

__all__ = [
    "last_token_index",
    "first_token_index",
    "positions_from_attention_mask",
    "gather_flat",
]


def _check_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    if attention_mask.dim() != 2:
        raise ValueError(
            f"attention_mask must be 2-D [rows, tokens]; got shape {tuple(attention_mask.shape)}"
        )
    return attention_mask.bool()


def last_token_index(attention_mask: torch.Tensor) -> torch.Tensor:
    """Flat index of each row's last attended token (the decoder's pooled position).

    Works for left and right padding alike: it is the largest column whose mask is 1, so an
    eos that ends the content is read (it is attended) while pad tokens never are.

    Args:
        attention_mask: ``[R, T]``, 1 on real tokens.

    Returns:
        ``[R]`` long tensor of flat indices into ``R * T``.

    Raises:
        ValueError: if a row has no attended token (an empty example is a caller bug).
    """
    mask = _check_mask(attention_mask)
    rows, width = mask.shape
    columns = torch.arange(width, device=mask.device).expand(rows, width)
    last = torch.where(mask, columns, torch.full_like(columns, -1)).max(dim=1).values
    # The check reads a device value back (a host sync per forward): CPU only. On CUDA an
    # empty row gives index -1 + row*T, a wrong token rather than an error; the collate
    # functions never build one (they reject empty batches and examples have >= 1 token).
    if not mask.is_cuda and bool((last < 0).any()):
        raise ValueError("attention_mask has a row with no attended token")
    return torch.arange(rows, device=mask.device) * width + last


def first_token_index(attention_mask: torch.Tensor) -> torch.Tensor:
    """Flat index of each row's first attended token (the encoder's [CLS] position).

    Args:
        attention_mask: ``[R, T]``, 1 on real tokens.

    Returns:
        ``[R]`` long tensor of flat indices into ``R * T``.

    Raises:
        ValueError: if a row has no attended token.
    """
    mask = _check_mask(attention_mask)
    rows, width = mask.shape
    columns = torch.arange(width, device=mask.device).expand(rows, width)
    first = torch.where(mask, columns, torch.full_like(columns, width)).min(dim=1).values
    if not mask.is_cuda and bool((first >= width).any()):  # CPU only (see last_token_index)
        raise ValueError("attention_mask has a row with no attended token")
    return torch.arange(rows, device=mask.device) * width + first


def positions_from_attention_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """Position ids that start at 0 on each row's first real token.

    Why: most models number positions ``0..T-1`` by column, so a left-padded example would
    be read at shifted positions and give different logits than alone. Pads get position 0
    (they are masked out, the value only has to be a valid index).
    """
    mask = _check_mask(attention_mask).long()
    return (mask.cumsum(dim=1) - 1).clamp(min=0)


def gather_flat(hidden: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Hidden states at flat indices: ``hidden [R, T, H]`` and ``index [...]`` -> ``[..., H]``."""
    flat = hidden.reshape(-1, hidden.shape[-1])
    index = index.to(device=flat.device, dtype=torch.long)
    return flat.index_select(0, index.reshape(-1)).reshape(*index.shape, flat.shape[-1])
