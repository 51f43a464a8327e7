"""train.skip_masked_pairs: pairs whose entity types never relate are not trained on."""

from __future__ import annotations

from pathlib import Path

import yaml
from _train_helpers import tiny_setup

from relx import rundir
from relx.data._split import read_split
from relx.models import TypePairMask
from relx.labels import ALL_LABELS
from relx.train import load_config, train




def _notes(run_dir: Path) -> list[str]:
    return yaml.safe_load((run_dir / rundir.CONFIG_FILE).read_text())["notes"]


def _trained_count(run_dir: Path) -> int:
    note = next(n for n in _notes(run_dir) if n.startswith("train.skip_masked_pairs"))
    return int(note.split("trained on ")[1].split(" of ")[0].replace(",", ""))


def test_loop_skip_masked_pairs_trains_only_on_relatable_type_pairs(tmp_path: Path) -> None:
    raw = tiny_setup(tmp_path, n_docs=12)
    train_files = [raw["data"]["split_files"][k] for k in (0, 1, 2, 3)]  # fold 0 trains on 0-3
    train_examples = [ex for path in train_files for ex in read_split(path)]
    mask = TypePairMask.from_examples(train_examples, ALL_LABELS)
    relatable = [ex for ex in train_examples if not mask.only_not(ex.type_a, ex.type_b)]
    assert 0 < len(relatable) < len(train_examples)  # the corpus has both kinds

    config = load_config(raw, ["train.epochs=1", "train.max_steps=1"])
    train(config, run_dir=tmp_path / "run", progress=False)
    assert _trained_count(tmp_path / "run") == len(relatable)

    # Switched off (or without the constraint), every pair is trained on: no such note.
    off = load_config(raw, ["train.epochs=1", "train.max_steps=1", "train.skip_masked_pairs=false"])
    train(off, run_dir=tmp_path / "run_off", progress=False)
    assert not any(n.startswith("train.skip_masked_pairs") for n in _notes(tmp_path / "run_off"))


def test_constraint_only_not_marks_type_pairs_without_relations() -> None:
    class Ex:
        def __init__(self, label: str, a: str, b: str) -> None:
            self.label, self.type_a, self.type_b = label, a, b

    mask = TypePairMask.from_examples(
        [Ex("Association", "ChemicalEntity", "GeneOrGeneProduct"), Ex("NOT", "CellLine", "CellLine")],
        ALL_LABELS,
    )
    assert mask.only_not("CellLine", "CellLine")
    assert mask.only_not("OrganismTaxon", "CellLine")  # never seen at all
    assert not mask.only_not("GeneOrGeneProduct", "ChemicalEntity")  # either order
