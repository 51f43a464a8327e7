"""Helpers of the evaluate tests: hand-written run/CV directories, tiny models.

A module with a unique name (not conftest.py) so that test files can import it even when
the whole suite loads several conftest modules.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from relx import rundir
from relx.evaluate import Prediction, write_predictions
from relx.labels import ALL_LABELS
from tiny_models import make_tiny_bert


def fake_predictions(seed: int, *, n_docs: int = 12, per_doc: int = 10, accuracy: float = 0.7,
                     prefix: str = "") -> list[Prediction]:
    """Noisy predictions with probabilities, gold and novelty on both sides."""
    rng = np.random.default_rng(seed)
    out = []
    for d in range(n_docs):
        for j in range(per_doc):
            gold = str(rng.choice(ALL_LABELS, p=[0.6] + [0.4 / 8] * 8))
            pred = gold if rng.random() < accuracy else str(rng.choice(ALL_LABELS))
            raw = rng.random(len(ALL_LABELS))
            raw[ALL_LABELS.index(pred)] += 3.0
            probs = raw / raw.sum()
            out.append(Prediction(
                id=f"{prefix}{d}.{j}", document_id=f"{prefix}D{d}", entity_a_id=f"a{j}",
                entity_b_id="b", type_a="ChemicalEntity", type_b="GeneOrGeneProduct",
                gold=gold, gold_novel=gold != "NOT" and bool(rng.random() < 0.5),
                pred=pred, pred_novel=pred != "NOT" and bool(rng.random() < 0.5),
                probs={lab: float(p) for lab, p in zip(ALL_LABELS, probs)},
            ))
    return out


def make_run_dir(root: Path, seed: int = 0, *, prefix: str = "", steps: int = 6) -> Path:
    """A finished run directory written by hand, file by file."""
    root.mkdir(parents=True, exist_ok=True)
    (root / rundir.RUN_FILE).write_text(json.dumps({
        "format_version": rundir.RUN_FORMAT_VERSION, "kind": "train", "status": "complete",
    }))
    (root / rundir.CONFIG_FILE).write_text(
        "model:\n  model_name_or_path: tiny\ntrain:\n  lr: 0.0002\n  epochs: 3\n"
    )
    events = []
    for step in range(1, steps + 1):
        events.append({"event": "train", "step": step, "epoch": step / 2,
                       "loss": 2.0 / step, "lr": 2e-4})
        if step % 2 == 0:
            events.append({"event": "eval", "step": step, "epoch": step / 2,
                           "f1": 0.2 + 0.1 * step, "precision": 0.5, "recall": 0.5,
                           "loss": 1.0 / step})
    (root / rundir.METRICS_FILE).write_text("\n".join(json.dumps(e) for e in events) + "\n")
    write_predictions(root / rundir.VAL_PREDICTIONS_FILE, fake_predictions(seed, prefix=prefix))
    (root / rundir.SUMMARY_FILE).write_text(json.dumps({"status": "complete"}))
    (root / rundir.COMPLETE_MARKER).write_text("done\n")
    return root


def make_cv_dir(root: Path, k: int = 3) -> Path:
    """A CV directory with ``k`` hand-written fold run directories."""
    root.mkdir(parents=True, exist_ok=True)
    (root / rundir.CV_FILE).write_text(json.dumps({"n_splits": k, "status": "complete"}))
    for fold in range(k):
        make_run_dir(root / rundir.fold_dir_name(fold), seed=fold, prefix=f"f{fold}_")
    return root


# --------------------------------------------------------------------------- tiny models


def save_untrained_run(root: Path, corpus: Path, *, context: str = "multi_sentence") -> Path:
    """A run directory whose best checkpoint is an untrained tiny classifier (relx.models).

    Enough to test the prediction plumbing (formats, masking, batching), not quality.
    """
    from relx.data import build_pairs, read_corpus
    from relx.models import TypePairMask, build_classifier

    pairs = build_pairs(read_corpus([corpus]), context=context)
    backbone = make_tiny_bert(root.parent / f"{root.name}_backbone", [p.text for p in pairs])
    model, tokenizer = build_classifier(model_name_or_path=str(backbone), head="entity_start",
                                        labels=list(ALL_LABELS), method="full")
    model.type_pair_mask = TypePairMask.from_examples(pairs, list(ALL_LABELS))
    model.save(root / rundir.DIR_BEST)
    (root / rundir.RUN_FILE).write_text(json.dumps({"format_version": 1, "status": "complete"}))
    (root / rundir.CONFIG_FILE).write_text(
        f"data:\n  context: {context}\nrepresent:\n  style: typed_entity_marker_punct\n"
        "  prompt: false\n  max_length_tokens: 128\n  use_chat_template: true\n"
    )
    return root
