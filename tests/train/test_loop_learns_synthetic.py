"""The loop learns: a tiny from-scratch model reaches F1 > 0.9 on held-out synthetic documents.

Issue 4's bar: "a tiny model reaches F1 > 0.9 on the synthetic corpus on CPU within a minute".
The model is a 2-layer, hidden-64 encoder initialised at random (no pretrained weights), with
rotary positions (RoFormer): the synthetic cue is "trigger word between the two markers",
and relative positions learn that from ~800 training pairs wherever the sentence sits in the
input, where BERT's learned absolute positions need several times more data.

Measured on the 2-core dev machine (1 torch thread, 100 documents, fold 0, 20 held-out
documents): F1 0.98 for the pinned seed 0 (the CPU run is deterministic), ~13 s; other
training seeds give 0.87-0.94 (seeds 1-4), so the bar holds for the pinned seed with margin,
not for every seed. The same-size plain BERT reaches ~0.85 (60 documents, 4 epochs): the
second test keeps the default tiny-BERT path learning.
A broken loss, optimizer, scheduler, marker alignment or label mapping fails the bar.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from _train_helpers import tiny_setup

from relx.data._split import read_split
from relx.train import load_config, read_metrics, train

#: The recipe: 100 documents (~1,050 pairs, 5 splits), fold 0 trains on 4 splits and
#: validates on the 5th; entity-start head; balanced class weights so the rare relation
#: types (and relations at all, ~14% of pairs) are not drowned by NOT in 5 short epochs.
_RECIPE = [
    "model.head=entity_start",
    "train.lr=2e-3",
    "train.epochs=5",
    "train.batch_size=8",
    "train.warmup_ratio=0.05",
    "train.class_weights=balanced",
]




def _document_ids(path: str) -> set[str]:
    return {str(example.document_id) for example in read_split(path)}


def test_loop_tiny_model_reaches_f1_above_0_9_within_a_minute(tmp_path: Path) -> None:
    started = time.perf_counter()
    raw = tiny_setup(tmp_path, n_docs=100, architecture="roformer")
    config = load_config(raw, _RECIPE)
    summary = train(config, run_dir=tmp_path / "run", progress=False)
    elapsed = time.perf_counter() - started

    # Validation is on documents the model never trained on: the predictions' documents
    # are exactly one split's, and that split shares no document with the other four.
    splits = raw["data"]["split_files"]
    predictions = (tmp_path / "run" / "predictions" / "val.jsonl").read_text().splitlines()
    val_docs = {str(json.loads(line)["document_id"]) for line in predictions}
    (val_split,) = [p for p in splits if _document_ids(p) == val_docs]
    train_docs = set().union(*(_document_ids(p) for p in splits if p != val_split))
    assert val_docs and not val_docs & train_docs

    events = read_metrics(tmp_path / "run")
    evals = [e for e in events if e["event"] == "eval"]
    assert len(evals) == 5  # one per epoch (eval_every_steps unset)
    train_loss = [e["loss"] for e in events if e["event"] == "train"]
    assert sum(train_loss[-20:]) / 20 < sum(train_loss[:10]) / 10 / 5  # loss falls 5x+
    final = summary["final"]
    print(f"tiny RoFormer, 100 docs, 5 epochs: F1 {final['f1']:.3f} "
          f"(P {final['precision']:.3f} R {final['recall']:.3f}) in {elapsed:.1f} s")
    # Typed relations with NOT excluded from the micro average: chance is ~0.
    assert final["f1"] > 0.9
    assert summary["best"]["value"] == pytest.approx(final["f1"])  # reload of best = recorded
    # No wall-clock assert (speed bounds live in bench/); the printed time is the evidence
    # for "within a minute": ~13 s on the 2-core dev machine, one torch thread.


def test_loop_learns_synthetic_with_absolute_positions_too(tmp_path: Path) -> None:
    """A plain tiny BERT (learned absolute positions) also learns the cue, more slowly."""
    raw = tiny_setup(tmp_path, n_docs=60)
    config = load_config(raw, [*_RECIPE, "train.epochs=4"])
    summary = train(config, run_dir=tmp_path / "run", progress=False)
    train_loss = [e["loss"] for e in read_metrics(tmp_path / "run") if e["event"] == "train"]
    assert sum(train_loss[-10:]) < sum(train_loss[:10])  # weighted loss: rare types weigh 10x+
    print("tiny BERT, 60 docs, 4 epochs:", summary["final"]["f1"])
    assert summary["final"]["f1"] > 0.6  # 0.78 measured; chance is ~0
