"""The pair-level example: one unordered pair of concepts in one document.

Its JSON form is exactly the iKraph "multi-sentence split" entry (docs/formats.md) plus one
document-level field, ``document_id``, so that predictions can be merged back to concept-ID
pairs per document (the BioRED protocol).

Novelty is three-valued: ``True`` (``Novel``), ``False`` (``No``, and every ``NOT`` pair: a
pair without a relation is not a novel relation) and ``None`` (a gold relation whose source
does not annotate novelty, e.g. LitCoin test files or BioC without the ``novel`` infon).
``None`` is written as JSON ``null`` and never read back as ``False``: the novelty task skips
those examples and the novelty scores exclude them (docs/predictions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["PairExample", "Span"]

#: ``(start, end, entity_type)`` with offsets into :attr:`PairExample.text`.
Span = tuple[int, int, str]


def _novel_from_json(value: Any) -> bool | None:
    """``true``/``false`` as they are; a missing key or ``null`` is unknown, never ``False``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if value in (0, 1):  # tools that write booleans as numbers
        return bool(value)
    raise ValueError(f"'novel' must be true, false or null; got {value!r}")


@dataclass(slots=True)
class PairExample:
    """A candidate pair and its context, as every model input is built from it."""

    abstract_id: int | str
    relation_id: str
    entity_a_id: str
    entity_b_id: str
    label: str
    novel: bool | None
    text: str
    entity_a: list[Span]
    entity_b: list[Span]
    document_id: str

    @property
    def type_a(self) -> str:
        """Entity type of A (its first mention's)."""
        return self.entity_a[0][2]

    @property
    def type_b(self) -> str:
        """Entity type of B (its first mention's)."""
        return self.entity_b[0][2]

    @property
    def pair_key(self) -> tuple[str, str, str]:
        """``(document_id, min concept, max concept)``: the BioRED scoring unit."""
        a, b = sorted((self.entity_a_id, self.entity_b_id))
        return (self.document_id, a, b)

    def to_json(self) -> dict[str, Any]:
        """The iKraph split entry (``type`` holds the label) plus ``document_id``."""
        return {
            "abstract_id": self.abstract_id,
            "relation_id": self.relation_id,
            "entity_a_id": self.entity_a_id,
            "entity_b_id": self.entity_b_id,
            "type": self.label,
            "novel": self.novel,
            "text": self.text,
            "entity_a": [list(s) for s in self.entity_a],
            "entity_b": [list(s) for s in self.entity_b],
            "document_id": self.document_id,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> PairExample:
        """Inverse of :meth:`to_json`; ``document_id`` defaults to ``str(abstract_id)``.

        Raises KeyError/TypeError/ValueError on a malformed entry; the split reader turns
        those into a :class:`~relx.errors.DataError` naming file and entry.
        """
        return cls(
            abstract_id=obj["abstract_id"],
            relation_id=str(obj["relation_id"]),
            entity_a_id=str(obj["entity_a_id"]),
            entity_b_id=str(obj["entity_b_id"]),
            label=str(obj["type"]),
            novel=_novel_from_json(obj.get("novel")),
            text=str(obj["text"]),
            entity_a=[(int(s), int(e), str(t)) for s, e, t in obj["entity_a"]],
            entity_b=[(int(s), int(e), str(t)) for s, e, t in obj["entity_b"]],
            document_id=str(obj.get("document_id", obj["abstract_id"])),
        )
