"""Quality switches of issue 15: tuned NOT threshold saved with the run, class balance."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from _train_helpers import tiny_setup

from relx import rundir
from relx.evaluate import DECISION_FILE, cross_fitted_summary, predict, write_predictions
from relx.evaluate import Prediction
from relx.train import load_config, train
from relx.train._balance import class_weight_tensor, kept_indices, plan_epoch

FAST = ["train.epochs=1", "train.max_steps=2", "train.batch_size=8"]


def test_threshold_tuned_saved_with_run_and_used_by_predict(tmp_path: Path) -> None:
    raw = tiny_setup(tmp_path, n_docs=10)
    summary = train(load_config(raw, FAST), run_dir=tmp_path / "run", progress=False)
    decision = json.loads((tmp_path / "run" / rundir.DIR_BEST / DECISION_FILE).read_text())
    assert summary["threshold"] == decision["threshold"]
    assert 0.05 <= summary["threshold"] <= 0.95
    assert "final_tuned" in summary and "optimistic" in summary["final_tuned"]["label"]
    assert summary["final"]["f1"] == pytest.approx(decision["argmax_f1"], abs=1e-9)
    assert summary["final_tuned"]["f1"] >= summary["final"]["f1"] - 1e-9  # tuned on them
    data = raw["data"]["split_files"][4]
    out = predict(tmp_path / "run", [data], out=tmp_path / "p.jsonl", output_format="jsonl")
    assert out["threshold"] == decision["threshold"]
    forced = predict(tmp_path / "run", [data], out=tmp_path / "q.jsonl",
                     output_format="jsonl", threshold=0.9)
    assert forced["threshold"] == 0.9

    off = train(load_config(raw, [*FAST, "train.tune_threshold=false"]),
                run_dir=tmp_path / "off", progress=False)
    assert off["threshold"] is None
    assert not (tmp_path / "off" / rundir.DIR_BEST / DECISION_FILE).exists()


def test_class_weights_sqrt_is_root_of_balanced() -> None:
    labels = [0] * 8 + [1] * 2 + [2]
    balanced = class_weight_tensor("balanced", labels, 4)
    sqrt = class_weight_tensor("sqrt", labels, 4)
    assert class_weight_tensor("none", labels, 4) is None
    assert torch.allclose(sqrt, balanced.sqrt())
    assert balanced[3] == 1.0 and balanced[2] > balanced[1] > balanced[0]


def test_negative_sample_keeps_positives_and_redraws_negatives_per_seed() -> None:
    labels = [0] * 20 + [1, 2, 3]
    a = kept_indices(labels, negative_id=0, share=0.25, seed=1)
    b = kept_indices(labels, negative_id=0, share=0.25, seed=2)
    assert a == kept_indices(labels, negative_id=0, share=0.25, seed=1)
    assert {20, 21, 22} <= set(a) and len(a) == 5 + 3 and a != b
    planned = plan_epoch([3] * 23, labels, negative_id=0, share=0.25, seed=1,
                         planner=lambda lengths, seed: [list(range(len(lengths)))])
    assert planned == [a]
    everything = plan_epoch([3] * 23, labels, negative_id=0, share=None, seed=1,
                            planner=lambda lengths, seed: [list(range(len(lengths)))])
    assert everything == [list(range(23))]


def test_negative_sample_shortens_every_epoch_plan_of_the_recipe() -> None:
    from types import SimpleNamespace

    from relx.train._recipe import Inputs, plan_schedule

    examples = [SimpleNamespace(input_ids=[1] * 5, label=0 if i % 5 else 1) for i in range(100)]
    inputs = Inputs(train_encoding=None, val_encoding=None, train=examples, train_examples=[],
                    val_examples=[], mask=None)
    base = {"model": {"model_name_or_path": "x"}, "train": {"epochs": 2, "batch_size": 10}}
    full = plan_schedule(load_config(base), inputs, batching="padded", num_processes=1,
                         negative_id=0)
    sampled = plan_schedule(load_config(base, ["train.negative_sample=0.25"]), inputs,
                            batching="padded", num_processes=1, negative_id=0)
    assert full.total_steps == 20 and sampled.total_steps == 2 * 4  # 20 + 20 of 80 NOT
    kept = [sorted(i for step in plan for micro in step for i in micro) for plan in sampled.steps]
    assert all({i for i in range(100) if i % 5 == 0} <= set(k) for k in kept)
    assert kept[0] != kept[1]  # other negatives each epoch


def _prediction_file(path: Path, rows: list[tuple[str, float, str]]) -> Path:
    records = [Prediction(id=f"r{i}", document_id="d", entity_a_id=f"a{i}", entity_b_id="b",
                          pred="NOT", gold=gold,
                          probs={"NOT": 1 - p_rel, "Association": p_rel * 0.9,
                                 "Bind": p_rel * 0.1})
               for i, (gold, p_rel, _) in enumerate(rows)]
    write_predictions(path, records)
    return path


def test_cross_fitted_summary_scores_each_fold_at_the_other_folds_threshold(
    tmp_path: Path,
) -> None:
    # Relations have p(relation) 0.3, NOT 0.1: any threshold in (0.1, 0.3] is perfect.
    rows = [("Association", 0.3, ""), ("NOT", 0.1, ""), ("Association", 0.3, ""),
            ("NOT", 0.05, "")]
    files = {str(k): _prediction_file(tmp_path / f"f{k}.jsonl", rows) for k in range(2)}
    cross = cross_fitted_summary(files)
    assert cross is not None and "cross-fitted" in cross["label"]
    for fold in cross["folds"].values():
        assert 0.1 < fold["threshold"] <= 0.3
        assert fold["f1"] == 1.0 and fold["argmax_f1"] == 0.0  # arg-max says NOT everywhere
    assert cross["pooled"]["f1"] == 1.0 and cross["f1"]["mean"] == 1.0
    assert np.isclose(cross["argmax_f1"]["mean"], 0.0)


def test_symmetric_pairs_train_both_orders_and_average_them_everywhere(tmp_path: Path) -> None:
    from relx.data._split import read_split
    from relx.evaluate import predict_examples
    from relx.models import load_classifier, predict_probabilities
    from relx.represent import encode_examples, swap_entities

    raw = tiny_setup(tmp_path, n_docs=10)
    summary = train(load_config(raw, [*FAST, "represent.symmetric=true"]),
                    run_dir=tmp_path / "run", progress=False)
    data = json.loads((tmp_path / "run" / rundir.DATA_FILE).read_text())
    assert data["train_encoding"]["n_examples"] == 2 * data["n_train"]
    model, tokenizer, info = load_classifier(tmp_path / "run" / rundir.DIR_BEST)
    assert info.representation["symmetric"] is True
    examples = [e for e in read_split(raw["data"]["split_files"][0])
                if not model.type_pair_mask.only_not(e.type_a, e.type_b)][:6]
    assert len(examples) == 6
    kwargs = dict(style="typed_entity_marker_punct", labels=list(model.labels),
                  max_length_tokens=256)
    one = encode_examples(examples, tokenizer, **kwargs).examples
    other = encode_examples([swap_entities(e) for e in examples], tokenizer, **kwargs).examples
    common = dict(pad_token_id=info.pad_token_id, device="cpu", mask=model.type_pair_mask)
    p_one, _ = predict_probabilities(model, one, **common)
    p_other, _ = predict_probabilities(model, other, **common)
    assert not torch.allclose(p_one, p_other)  # the order matters to the model
    records = predict_examples(model, tokenizer, examples, device="cpu")
    got = torch.tensor([[r.probs[lab] for lab in model.labels] for r in records])
    assert torch.allclose(got.float(), (p_one + p_other) / 2, atol=1e-6)
    val_lines = (tmp_path / "run" / rundir.VAL_PREDICTIONS_FILE).read_text().splitlines()
    assert summary["status"] == "complete" and len(val_lines) == data["n_val"]
