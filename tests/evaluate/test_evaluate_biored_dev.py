"""``relx eval`` on BioRED Dev predictions: every protocol + CIs, without importing torch.

Its speed (< 2 s on CPU) is a benchmark, not a test: docs/benchmarks.md, "Evaluation".
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from relx.evaluate import write_predictions
from relx.evaluate._predictions import Prediction
from relx.labels import ALL_LABELS

BIORED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "biored"


@pytest.fixture(scope="module")
def dev_predictions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (BIORED / "Dev.PubTator").is_file():
        pytest.skip("BioRED data not present")
    from relx.data import build_pairs
    from relx.data._read import read_corpus

    pairs = build_pairs(read_corpus([BIORED / "Dev.PubTator"]), context="document")
    rng = np.random.default_rng(0)
    records = []
    for pair in pairs:
        # Noisy gold: keep the gold label 85% of the time, else a random label.
        pred = pair.label if rng.random() < 0.85 else str(rng.choice(ALL_LABELS))
        probs = rng.dirichlet(np.ones(len(ALL_LABELS)))
        records.append(Prediction(
            id=pair.relation_id, document_id=pair.document_id, entity_a_id=pair.entity_a_id,
            entity_b_id=pair.entity_b_id, type_a=pair.type_a, type_b=pair.type_b,
            gold=pair.label, gold_novel=pair.novel, pred=pred,
            pred_novel=pred != "NOT" and bool(rng.random() < 0.5),
            probs={lab: float(p) for lab, p in zip(ALL_LABELS, probs)},
        ))
    path = tmp_path_factory.mktemp("dev") / "dev.jsonl"
    write_predictions(path, records)
    return path


def test_evaluate_biored_dev_all_protocols_without_heavy_imports(dev_predictions: Path) -> None:
    out = dev_predictions.with_name("eval.json")
    script = (
        "import sys\n"
        "from relx.cli import app\n"
        f"app(['eval', {str(dev_predictions)!r}, '--out', {str(out)!r}], standalone_mode=False)\n"
        "heavy = [m for m in ('torch', 'transformers', 'sklearn', 'matplotlib') "
        "if m in sys.modules]\n"
        "assert not heavy, f'eval path imported {heavy}'\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    scores = result["scores"]
    assert scores["n_pairs"] > 8000
    assert scores["n_documents"] == 100
    assert "ci" in scores["pair"]
    assert set(scores["document"]["settings"]) == {"pair", "pair_type", "pair_novelty", "all"}
    assert "pair protocol" in done.stdout and "BioRED doc" in done.stdout
