"""A zoo of real relx runs for calibrating ``relx doctor``: healthy ones trained by relx's own
loop in the quickstart preset's style (balanced class weights, entity-start head, full and
LoRA), and broken ones derived from them by the one defect each names.

The backbone is the 2-layer tiny RoFormer of ``tests/tiny_models.py`` (it learns the synthetic
cue from a few hundred pairs in seconds); the recipe is the quickstart preset's, with the lr
scaled for a from-scratch model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tiny_models import make_tiny_bert

#: The quickstart preset's recipe (src/relx/presets/quickstart/minilm.yaml), lr for a tiny model.
QUICKSTART_LIKE = {
    "represent": {"style": "typed_entity_marker_punct", "prompt": False, "max_length_tokens": 256},
    "train": {"epochs": 4, "batch_size": 16, "grad_accum_steps": 1, "warmup_ratio": 0.1,
              "class_weights": "balanced", "scheduler": "linear", "seed": 0},
    "tracking": {"tensorboard": False},
}


def _splits(folder: Path, n_docs: int) -> list[Path]:
    from relx.data import build_pairs
    from relx.data._split import write_split
    from relx.data._synth import synthesize_documents

    documents = synthesize_documents(n_docs=n_docs, seed=0)
    pairs = build_pairs(documents)
    split_of = {doc.doc_id: i % 5 for i, doc in enumerate(documents)}
    paths = []
    for k in range(5):
        path = folder / f"split_{k}.json"
        write_split(path, [p for p in pairs if split_of[str(p.document_id)] == k])
        paths.append(path)
    return paths


def train_run(root: Path, name: str, *, method: str, fold: int = 0, n_docs: int = 40,
              base: Path | None = None, overrides: dict[str, Any] | None = None) -> Path:
    """Train one real run with relx's loop; returns its run directory."""
    from relx.data._split import read_split
    from relx.train import config_from_dict, train

    data = root / "data"
    if not data.exists():
        data.mkdir(parents=True)
        splits = _splits(data, n_docs)
        make_tiny_bert(root / "tiny", [ex.text for p in splits for ex in read_split(p)],
                       architecture="roformer", dropout=0.0)
    splits = sorted(data.glob("split_*.json"))
    raw: dict[str, Any] = json.loads(json.dumps(QUICKSTART_LIKE))
    raw["data"] = {"split_files": [str(p) for p in splits], "fold": fold}
    raw["model"] = {"model_name_or_path": str(base or root / "tiny"), "head": "entity_start", "method": method}
    raw["train"]["lr"] = 2e-3 if method == "full" else 5e-3
    if method != "full":
        raw["model"]["lora"] = {"r": 8, "alpha": 16, "target_modules": ["query", "value"]}
    for dotted, value in (overrides or {}).items():
        section, key = dotted.split(".", 1)
        raw.setdefault(section, {})[key] = value
    run = root / name
    train(config_from_dict(raw), run_dir=run, progress=False)
    return run


def derive(healthy: Path, out: Path, defect: str) -> Path:
    """A copy of a healthy run with one defect (the name says which)."""
    shutil.copytree(healthy, out)
    summary_path = out / "summary.json"
    summary = json.loads(summary_path.read_text())
    if defect == "bad_reload":
        summary["final"]["f1"] = summary["best"]["metrics"]["f1"] - 0.3
        summary_path.write_text(json.dumps(summary))
    elif defect == "did_not_learn":
        events = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line]
        for e in events:
            if e["event"] == "train":
                e["loss"] = 2.08 + 0.01 * (e["step"] % 3)
            elif "f1" in e:
                e.update(f1=0.0, precision=0.0, recall=0.0)
        (out / "metrics.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
        summary["final"]["f1"] = 0.0
        summary_path.write_text(json.dumps(summary))
        preds = [json.loads(line) for line in (out / "predictions" / "val.jsonl").read_text().splitlines() if line]
        for p in preds:
            p["pred"] = "NOT"
        (out / "predictions" / "val.jsonl").write_text("".join(json.dumps(p) + "\n" for p in preds))
    elif defect == "head_missing":
        (out / "checkpoints" / "best" / "head.safetensors").unlink()
    elif defect == "tokenizer_missing":
        for f in (out / "checkpoints" / "best").glob("tokenizer*"):
            f.unlink()
    else:
        raise ValueError(defect)
    return out
