"""Entity order independent of the label: A is the concept mentioned first in the pair's text.

Pairs are undirected (docs/formats.md §1), but a marked input is not: the model sees which
concept is A. If A follows the annotated relation's direction for gold pairs and mention
order for ``NOT`` pairs (no direction to follow), the order itself says "relation": in BioRED
Train 1,281 of 4,175 gold pairs are annotated later concept first, and no ``NOT`` pair is.
:func:`relx.data.build_pairs` never builds such pairs; split files from other pipelines
(the users' iKraph JSON) may, so :func:`relx.data.read_split` passes them through
:func:`mention_order` and warns with the counts.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

from relx.data._example import PairExample
from relx.errors import RelxWarning
from relx.labels import NOT_LABEL

__all__ = ["OrderFix", "mention_order", "swap_entities", "warn_reordered"]


@dataclass(frozen=True)
class OrderFix:
    """How many pairs :func:`mention_order` put in mention order, by label kind."""

    gold_flipped: int
    gold_total: int
    not_flipped: int
    not_total: int

    @property
    def flipped(self) -> int:
        return self.gold_flipped + self.not_flipped


def swap_entities(example: PairExample) -> PairExample:
    """The same pair with A and B exchanged (ids, mentions); label and id unchanged."""
    return replace(example, entity_a_id=example.entity_b_id, entity_b_id=example.entity_a_id,
                   entity_a=list(example.entity_b), entity_b=list(example.entity_a))


def _first_offset(spans: Sequence[tuple[int, int, str]]) -> int:
    return min((start for start, *_ in spans), default=0)


def mention_order(examples: Sequence[PairExample]) -> tuple[list[PairExample], OrderFix]:
    """The examples with A and B exchanged wherever B's first mention comes before A's."""
    out: list[PairExample] = []
    counts = {"gold_flipped": 0, "gold_total": 0, "not_flipped": 0, "not_total": 0}
    for ex in examples:
        kind = "not" if ex.label == NOT_LABEL else "gold"
        counts[f"{kind}_total"] += 1
        if _first_offset(ex.entity_b) < _first_offset(ex.entity_a):
            counts[f"{kind}_flipped"] += 1
            ex = swap_entities(ex)
        out.append(ex)
    return out, OrderFix(**counts)


#: (source, counts) already warned about in this process: a command that reads a split
#: file twice (``relx data stats`` reads it for counts and for lengths) says it once.
_WARNED: set[tuple[str, OrderFix]] = set()


def warn_reordered(fix: OrderFix, *, source: str) -> None:
    """Warn (once per file and process) that pairs were put in mention order, with the
    gold/NOT split of the reordered pairs."""
    if not fix.flipped or (source, fix) in _WARNED:
        return
    _WARNED.add((source, fix))
    message = (
        f"{source}: put {fix.flipped} pairs in mention order (A = the concept mentioned first): "
        f"{fix.gold_flipped} of {fix.gold_total} gold pairs and {fix.not_flipped} of "
        f"{fix.not_total} NOT pairs had the later concept as A. An order that differs between "
        "gold and NOT pairs tells the model the label; scores measured with it are inflated "
        "(relx.data._order)"
    )
    warnings.warn(message, RelxWarning, stacklevel=3)
