"""The type-pair constraint masks labels never seen for a type pair; NOT stays allowed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch

from relx.data._example import PairExample
from relx.errors import ConfigError, ModelError
from relx.labels import ALL_LABELS
from relx.models import TypePairMask

GENE, CHEM = "GeneOrGeneProduct", "ChemicalEntity"
DIS, CELL = "DiseaseOrPhenotypicFeature", "CellLine"


def _pair(label: str, type_a: str, type_b: str) -> PairExample:
    return PairExample(
        abstract_id=1,
        relation_id="x",
        entity_a_id="A",
        entity_b_id="B",
        label=label,
        novel=False,
        text="a b",
        entity_a=[(0, 1, type_a)],
        entity_b=[(2, 3, type_b)],
        document_id="1",
    )


@dataclass
class _Encoded:  # the fields of relx.represent's EncodedExample the mask reads
    label: int
    type_pair: tuple[str, str]


TRAIN = [
    _pair("Bind", GENE, CHEM),
    _pair("Association", CHEM, GENE),  # reversed order: same unordered pair
    _pair("Association", GENE, DIS),
    _pair("NOT", GENE, DIS),
    _pair("NOT", CELL, CELL),
]


def test_type_pair_mask_records_labels_per_unordered_pair():
    mask = TypePairMask.from_examples(TRAIN, ALL_LABELS)
    assert mask.allowed(GENE, CHEM) == {"NOT", "Bind", "Association"}
    assert mask.allowed(CHEM, GENE) == mask.allowed(GENE, CHEM)
    assert mask.allowed(GENE, DIS) == {"NOT", "Association"}
    assert mask.allowed(CELL, CELL) == {"NOT"}
    assert mask.allowed(DIS, DIS) == {"NOT"}  # never seen: only NOT
    assert mask.counts[(CHEM, GENE)] == {"Association": 1, "Bind": 1}


def test_type_pair_mask_apply_masks_unseen_labels_only():
    mask = TypePairMask.from_examples(TRAIN, ALL_LABELS)
    logits = torch.zeros(3, len(ALL_LABELS))
    logits[:, ALL_LABELS.index("Bind")] = 5.0  # the model prefers Bind everywhere
    masked = mask.apply(logits, [(CHEM, GENE), (GENE, DIS), (DIS, DIS)])
    predicted = [ALL_LABELS[i] for i in masked.argmax(-1).tolist()]
    assert predicted == ["Bind", "NOT", "NOT"]
    probs = masked.softmax(-1)
    assert torch.isfinite(probs).all()
    assert probs[1, ALL_LABELS.index("Bind")] == 0
    assert probs[1, ALL_LABELS.index("Association")] > 0  # seen for GENE-DIS: kept
    torch.testing.assert_close(masked[0], logits[0].masked_fill(
        torch.tensor([lab not in {"NOT", "Bind", "Association"} for lab in ALL_LABELS]),
        torch.finfo(logits.dtype).min,
    ))


def test_type_pair_mask_reads_encoded_examples_and_round_trips(tmp_path):
    encoded = [_Encoded(ALL_LABELS.index("Bind"), (GENE, CHEM)), _Encoded(0, (DIS, DIS))]
    mask = TypePairMask.from_examples(encoded, ALL_LABELS)
    assert mask.allowed(CHEM, GENE) == {"NOT", "Bind"}
    mask.save(tmp_path / "mask.json")
    again = TypePairMask.load(tmp_path / "mask.json")
    assert again == mask
    logits = torch.randn(2, len(ALL_LABELS))
    pairs = [(GENE, CHEM), (CELL, GENE)]
    torch.testing.assert_close(again.apply(logits, pairs), mask.apply(logits, pairs))


def test_type_pair_mask_errors_name_the_problem(tmp_path):
    with pytest.raises(ConfigError, match="'Frobnicate' is not in labels"):
        TypePairMask.from_examples([_pair("Frobnicate", GENE, CHEM)], ALL_LABELS)
    mask = TypePairMask.from_examples(TRAIN, ALL_LABELS)
    with pytest.raises(ModelError, match="does not match"):
        mask.apply(torch.zeros(1, 3), [(GENE, CHEM)])
    with pytest.raises(ModelError, match="type pairs"):
        mask.apply(torch.zeros(2, len(ALL_LABELS)), [(GENE, CHEM)])
    (tmp_path / "bad.json").write_text('{"labels": ["NOT"]}')
    with pytest.raises(ModelError, match="bad.json: malformed"):
        TypePairMask.load(tmp_path / "bad.json")
