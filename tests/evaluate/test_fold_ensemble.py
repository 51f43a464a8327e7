"""Fold ensembles: a CV directory predicts with the mean of its folds' probabilities."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parents[1] / "train"))
from _train_helpers import tiny_setup  # noqa: E402

from relx.data._split import read_split  # noqa: E402
from relx.evaluate import load_for_prediction, predict, predict_examples  # noqa: E402
from relx.models import FoldEnsemble, RelationClassifier, predict_probabilities  # noqa: E402
from relx.represent import encode_examples  # noqa: E402
from relx.train import load_config, train  # noqa: E402


def test_fold_ensemble_probabilities_are_the_mean_of_the_folds(tmp_path: Path) -> None:
    torch.set_num_threads(1)
    raw = tiny_setup(tmp_path, n_docs=10)
    cv = tmp_path / "cv"
    for fold in (0, 1):
        config = load_config(raw, ["train.epochs=1", "train.max_steps=2", "train.batch_size=8",
                                   f"data.fold={fold}", f"train.seed={fold}"])
        train(config, run_dir=cv / f"fold_{fold}", progress=False)
    ensemble, tokenizer, info = load_for_prediction(cv)
    assert isinstance(ensemble, FoldEnsemble) and len(ensemble.folds) == 2
    single, _, _ = load_for_prediction(cv / "fold_0")
    assert isinstance(single, RelationClassifier)

    examples = read_split(raw["data"]["split_files"][2])[:40]
    encoded = encode_examples(examples, tokenizer, style="typed_entity_marker_punct",
                              labels=ensemble.labels, max_length_tokens=256).examples
    common = dict(pad_token_id=info.pad_token_id, device="cpu", max_batch_size=7)
    fold_probs = [predict_probabilities(m, encoded, mask=m.type_pair_mask, **common)[0]
                  for m in ensemble.folds]
    got, _ = predict_probabilities(ensemble, encoded, mask=ensemble.type_pair_mask, **common)
    assert not torch.allclose(fold_probs[0], fold_probs[1])
    assert torch.allclose(got, (fold_probs[0] + fold_probs[1]) / 2, atol=1e-6)

    # Above the inference path: predict_examples and relx predict take the CV directory.
    records = predict_examples(ensemble, tokenizer, examples, device="cpu")
    table = torch.tensor([[r.probs[lab] for lab in ensemble.labels] for r in records])
    assert torch.allclose(table.float(), got, atol=1e-6)
    summary = predict(cv, [raw["data"]["split_files"][2]], out=tmp_path / "p.jsonl",
                      output_format="jsonl")
    assert summary["n_pairs"] > 0
