"""The label vocabulary of BioRED / LitCoin, in one place (docs/formats.md §1)."""

from __future__ import annotations

__all__ = [
    "ENTITY_TYPES",
    "NOT_LABEL",
    "POSITIVE_LABELS",
    "ALL_LABELS",
]

ENTITY_TYPES: tuple[str, ...] = (
    "GeneOrGeneProduct",
    "DiseaseOrPhenotypicFeature",
    "ChemicalEntity",
    "OrganismTaxon",
    "SequenceVariant",
    "CellLine",
)

#: The label of a candidate pair that carries no relation.
NOT_LABEL = "NOT"

#: The eight relation types, most frequent first (BioRED Train+Dev counts).
POSITIVE_LABELS: tuple[str, ...] = (
    "Association",
    "Positive_Correlation",
    "Negative_Correlation",
    "Bind",
    "Cotreatment",
    "Comparison",
    "Drug_Interaction",
    "Conversion",
)

#: Class index order used by every model relx builds: ``NOT`` is class 0.
ALL_LABELS: tuple[str, ...] = (NOT_LABEL, *POSITIVE_LABELS)
