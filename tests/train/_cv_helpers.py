"""Shared helpers of the cv/sweep tests: hand-made split files and a stub trainer.

The stub stands in for ``relx.train.train`` so that orchestration (rotation, resumability,
summaries, failures) is tested in milliseconds; the real loop is exercised by the quickstart
and DDP tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from relx._io import atomic_write_json, atomic_write_text
from relx.evaluate import write_predictions
from relx.rundir import COMPLETE_MARKER, SUMMARY_FILE, VAL_PREDICTIONS_FILE

LABELS_CYCLE = ["NOT", "NOT", "Association", "NOT", "Positive_Correlation", "Bind"]


def write_splits(root: Path, k: int = 5, per_split: int = 12) -> list[str]:
    """K split files; every example of split i belongs to document ``doc{i}_{j // 3}``."""
    paths = []
    for i in range(k):
        entries = []
        for j in range(per_split):
            doc = f"{i}{j // 3:02d}"
            entries.append({
                "abstract_id": int(doc),
                "relation_id": f"r{i}.{j}",
                "entity_a_id": f"A{j}",
                "entity_b_id": f"B{j}",
                "type": LABELS_CYCLE[(i + j) % len(LABELS_CYCLE)],
                "novel": False,
                "text": "alpha binds beta",
                "entity_a": [[0, 5, "GeneOrGeneProduct"]],
                "entity_b": [[12, 16, "ChemicalEntity"]],
                "document_id": doc,
            })
        path = root / f"split_{i}.json"
        path.write_text(json.dumps(entries), encoding="utf-8")
        paths.append(str(path))
    return paths


class StubTrainer:
    """Writes a complete run dir whose predictions are right except every ``wrong_every``-th.

    Records every call (fold, train/val files) so tests can check the rotation.
    """

    def __init__(self, wrong_every: int = 4, fail_folds: tuple[int, ...] = ()) -> None:
        self.calls: list[dict[str, Any]] = []
        self.wrong_every = wrong_every
        self.fail_folds = fail_folds

    def __call__(self, config, *, run_dir, resume=False, progress=True):
        fold = config.data.fold
        self.calls.append({"fold": fold, "resume": resume, "run_dir": Path(run_dir)})
        if fold in self.fail_folds:
            raise RuntimeError(f"boom in fold {fold}")
        from relx.train import val_split_index

        k = len(config.data.split_files)
        val_path = config.data.split_files[val_split_index(fold, k, config.data.rotation)]
        entries = json.loads(Path(val_path).read_text(encoding="utf-8"))
        records = []
        for j, e in enumerate(entries):
            pred = e["type"]
            if j % self.wrong_every == 0:
                pred = "NOT" if pred != "NOT" else "Association"
            records.append({
                "id": e["relation_id"], "document_id": e["document_id"],
                "entity_a_id": e["entity_a_id"], "entity_b_id": e["entity_b_id"],
                "type_a": "GeneOrGeneProduct", "type_b": "ChemicalEntity",
                "gold": e["type"], "gold_novel": None, "pred": pred, "pred_novel": None,
                "probs": None,
            })
        run_dir = Path(run_dir)
        write_predictions(run_dir / VAL_PREDICTIONS_FILE, records)
        atomic_write_json(run_dir / SUMMARY_FILE, {"status": "complete", "fold": fold})
        atomic_write_text(run_dir / COMPLETE_MARKER, "")
        return {"status": "complete"}
