"""The one document model every reader produces and every later stage consumes.

A :class:`Document` is a PubMed title + abstract with mentions (character offsets into
``title + " " + abstract``) and document-level relations between concept IDs. Readers for
PubTator, BioC XML/JSON, LitCoin CSV and iKraph split JSON all produce this model, so the
pair builder and everything after it is format-agnostic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Mention", "Relation", "Document", "NO_CONCEPT"]

#: PubTator's spelling of "this mention has no concept ID"; such mentions take part in no pair.
NO_CONCEPT = "-"


@dataclass(frozen=True, slots=True)
class Mention:
    """One entity mention.

    ``concept_ids`` is already split: a composite PubTator ID ``3172,3651`` becomes
    ``("3172", "3651")`` and the mention names each concept. An empty tuple means the
    mention has no concept ID and is kept for context only.
    """

    start: int
    end: int
    text: str
    entity_type: str
    concept_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Relation:
    """A document-level relation between two concept IDs (undirected at pair level).

    ``novel`` is ``None`` when the source carries no novelty annotation (e.g. LitCoin test).
    ``score`` is a model's probability for a predicted relation (``relx predict`` writes it
    back into PubTator/BioC); ``None`` for gold relations.
    """

    relation_type: str
    concept_a: str
    concept_b: str
    novel: bool | None = None
    score: float | None = None


@dataclass(slots=True)
class Document:
    """A title + abstract with its mentions and relations.

    ``source``/``line`` locate the document in its input file for error messages.
    """

    doc_id: str
    title: str
    abstract: str
    mentions: list[Mention] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    source: str | None = None
    line: int | None = None

    @property
    def text(self) -> str:
        """The text every offset indexes: ``title + " " + abstract`` (docs/formats.md §1)."""
        return f"{self.title} {self.abstract}" if self.abstract else self.title

    @property
    def title_end(self) -> int:
        """Offset one past the last character of the title."""
        return len(self.title)

    def concept_types(self) -> dict[str, str]:
        """Map each concept ID to the entity type of its first mention."""
        types: dict[str, str] = {}
        for mention in self.mentions:
            for concept in mention.concept_ids:
                types.setdefault(concept, mention.entity_type)
        return types
