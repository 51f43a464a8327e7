"""The prediction JSONL schema: round trip and file:line validation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from relx.data._example import PairExample
from relx.errors import DataError
from relx.evaluate import Prediction, predictions_from_probs, read_predictions, write_predictions
from relx.labels import ALL_LABELS

GOOD = {
    "id": "True.1.0", "document_id": "1", "entity_a_id": "D1", "entity_b_id": "C2",
    "type_a": "DiseaseOrPhenotypicFeature", "type_b": "ChemicalEntity", "gold": "Association",
    "gold_novel": True, "pred": "Association", "pred_novel": None,
    "probs": {"NOT": 0.1, "Association": 0.9},
}


def test_predictions_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    second = {**GOOD, "id": "False.1.1", "gold": "NOT", "pred": "Bind", "probs": None}
    assert write_predictions(path, [GOOD, Prediction.from_json(second)]) == 2
    records = read_predictions(path)
    assert [r.to_json() for r in records] == [GOOD, second]
    assert records[0].pair_key == ("1", "C2", "D1")
    # Keys are written in schema order, one object per line.
    first_line = path.read_text().splitlines()[0]
    assert list(json.loads(first_line)) == list(GOOD)


@pytest.mark.parametrize(
    ("line", "code", "needle"),
    [
        ("{not json", "E501", "not valid JSON"),
        (json.dumps({**GOOD, "pred": "Binds"}), "E503", "'pred' must be one of"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "pred"}), "E502", "'pred' is missing"),
        (json.dumps({**GOOD, "document_id": ""}), "E502", "document_id"),
        (json.dumps({**GOOD, "probs": {"Association": 1.5}}), "E502", "in [0, 1]"),
        (json.dumps({**GOOD, "gold_novel": "yes"}), "E502", "gold_novel"),
        (json.dumps({**GOOD, "id": "True.1.0"}), "E504", "duplicate id"),
    ],
)
def test_predictions_reader_names_file_and_line(
    tmp_path: Path, line: str, code: str, needle: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(GOOD) + "\n\n" + line + "\n")
    with pytest.raises(DataError) as info:
        read_predictions(path)
    assert info.value.code == code
    assert f"{path}:3" in str(info.value)
    assert needle in str(info.value)


def test_predictions_reader_rejects_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n")
    with pytest.raises(DataError, match="E505"):
        read_predictions(path)


def test_predictions_writer_validates_dicts_and_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    with pytest.raises(DataError, match="E503"):
        write_predictions(path, [GOOD, {**GOOD, "id": "x", "gold": "Maybe"}])
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def _example(i: int, label: str) -> PairExample:
    return PairExample(
        abstract_id=1, relation_id=f"r{i}", entity_a_id=f"a{i}", entity_b_id="b", label=label,
        novel=label != "NOT", text="x y", entity_a=[(0, 1, "ChemicalEntity")],
        entity_b=[(2, 3, "GeneOrGeneProduct")], document_id="1",
    )


def test_predictions_from_probs_argmax_and_threshold() -> None:
    examples = [_example(0, "Bind"), _example(1, "NOT")]
    probs = np.zeros((2, len(ALL_LABELS)))
    # Row 0: NOT 0.4, Bind 0.35, Association 0.25 -> argmax NOT, but p(relation) = 0.6.
    probs[0, ALL_LABELS.index("NOT")] = 0.4
    probs[0, ALL_LABELS.index("Bind")] = 0.35
    probs[0, ALL_LABELS.index("Association")] = 0.25
    probs[1, ALL_LABELS.index("NOT")] = 1.0
    argmax = predictions_from_probs(examples, probs)
    assert [r.pred for r in argmax] == ["NOT", "NOT"]
    thresholded = predictions_from_probs(examples, probs, threshold=0.5)
    assert [r.pred for r in thresholded] == ["Bind", "NOT"]
    assert thresholded[0].gold == "Bind" and thresholded[0].gold_novel is True
    assert thresholded[1].gold_novel is False
    assert thresholded[0].type_a == "ChemicalEntity"
    assert thresholded[0].probs["Bind"] == pytest.approx(0.35)
    with pytest.raises(ValueError, match="shape"):
        predictions_from_probs(examples, probs[:, :3])
