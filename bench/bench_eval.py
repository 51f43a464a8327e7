"""Benchmark: `relx eval` on a BioRED Dev prediction file (issue 5: < 2 s on CPU).

Builds the 8,917 candidate pairs of ``Dev.PubTator`` with noisy predictions (gold kept 85% of
the time, random probabilities and novelty), writes them in the prediction schema, then times
the whole command (interpreter start, imports, reading, pair + document protocols, 1000
bootstrap resamples) in a fresh process, several times.

    python bench/bench_eval.py [--biored ../shared/data/biored] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np


def write_dev_predictions(biored: Path, path: Path) -> int:
    """Noisy predictions for every Dev pair, in relx's prediction schema."""
    from relx.data import build_pairs, read_corpus
    from relx.evaluate import write_predictions
    from relx.evaluate._predictions import Prediction
    from relx.labels import ALL_LABELS

    pairs = build_pairs(read_corpus([biored / "Dev.PubTator"]))
    rng = np.random.default_rng(0)
    records = []
    for pair in pairs:
        pred = pair.label if rng.random() < 0.85 else str(rng.choice(ALL_LABELS))
        probs = rng.dirichlet(np.ones(len(ALL_LABELS)))
        records.append(Prediction(
            id=pair.relation_id, document_id=pair.document_id, entity_a_id=pair.entity_a_id,
            entity_b_id=pair.entity_b_id, type_a=pair.type_a, type_b=pair.type_b,
            gold=pair.label, gold_novel=pair.novel, pred=pred,
            pred_novel=pred != "NOT" and bool(rng.random() < 0.5),
            probs={lab: float(p) for lab, p in zip(ALL_LABELS, probs)},
        ))
    write_predictions(path, records)
    return len(records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--biored", type=Path,
                        default=Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "biored")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        preds = Path(tmp) / "dev_pred.jsonl"
        n = write_dev_predictions(args.biored, preds)
        walls, cpus = [], []
        for _ in range(args.repeats):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(["relx", "eval", str(preds), "--out", str(Path(tmp) / "eval.json")],
                           check=True, capture_output=True)
            walls.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    print(json.dumps({
        "pairs": n, "repeats": args.repeats,
        "median_wall_s": round(statistics.median(walls), 3), "min_wall_s": round(min(walls), 3),
        "median_cpu_s": round(statistics.median(cpus), 3),
        "load_avg_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
    }))


if __name__ == "__main__":
    main()
