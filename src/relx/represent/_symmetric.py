"""Symmetric pairs (``represent.symmetric``): both entity orders of every pair.

BioRED relations are undirected, but a marked input is not: ``A`` is marked first. Training
on both orders (same label) and averaging the probabilities of both orders at inference
removes the order the pair builder happened to choose. The two orders of an example are
adjacent in the stream (``ex, swapped(ex), ...``) so the inference path can average each
group of two rows (``relx.models.iter_view_probabilities``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

# The swap itself lives with the data (src/relx/data/_order.py), which also uses it to put
# pairs in mention order; representations build on data, not the other way round.
from relx.data import swap_entities

__all__ = ["swap_entities", "both_orders", "ORDER_VIEWS"]

#: Views per pair when ``symmetric`` is on: (A, B) and (B, A).
ORDER_VIEWS = 2


def iter_both_orders(examples: Iterable[Any]) -> Iterator[Any]:
    """``ex0, swapped(ex0), ex1, swapped(ex1), ...`` lazily."""
    for example in examples:
        yield example
        yield swap_entities(example)


def both_orders(examples: Iterable[Any]) -> list[Any]:
    """:func:`iter_both_orders` as a list."""
    return list(iter_both_orders(examples))
