"""Pinned regression of the training recipe (issue 9): the restructuring changes no result.

The values below were produced by the training loop *before* it was split into a recipe
(commit 2642a26, CPU, one torch thread): the training losses of the first steps, the
examples per step (the batch plan), every evaluation, the selected best step and the final
validation metrics of the reloaded best checkpoint. Both batch-planning branches of the
padded batching mode are pinned: a token budget (length-grouped batches) and a fixed batch
size (a seeded shuffle). If one of these numbers moves, the change altered what users get.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _train_helpers import tiny_setup

from relx.train import load_config, read_metrics, train

_OVERRIDES = [
    "train.epochs=2",
    "train.batch_size=8",
    "train.eval_every_steps=4",
    "train.class_weights=balanced",
]

PINNED = {
    "budget": {
        "overrides": ["train.max_tokens_per_batch=600"],
        "losses": [0.40224123001098633, 0.3963299095630646, 0.3755972683429718,
                   8.536186218261719, 1.248044490814209, 0.25950151681900024],
        "examples": [8] * 13 + [2, 8, 8, 6] + [8] * 15 + [6, 8, 8, 2, 8, 8, 8, 8],
        "evals": [(4, 0.05555555555555555, 1.9698091322375881), (8, 0.0, 1.2741886569607643),
                  (12, 0.0, 1.026350498199463), (16, 0.0, 0.9725383174034857),
                  (20, 0.0, 0.8842263221740723), (24, 0.0, 0.8602958802253969),
                  (28, 0.0, 0.8506243767276886), (32, 0.0, 0.82085754025367),
                  (36, 0.0, 0.8080847955519154), (40, 0.0, 0.8055950210940453)],
        "best_step": 4,
        "total_steps": 40,
        "final": {"f1": 0.05555555555555555, "precision": 0.038461538461538464, "recall": 0.1,
                  "accuracy": 0.5645161290322581, "loss": 1.9698091322375881,
                  "tp": 1, "fp": 25, "fn": 9},
    },
    "fixed": {
        "overrides": [],
        "losses": [2.3010222911834717, 6.195915699005127, 0.523505687713623,
                   0.6108356714248657, 0.5257896780967712, 1.087415099143982],
        "examples": [8] * 38,
        "evals": [(4, 0.17391304347826086, 2.2768070467056765),
                  (8, 0.18181818181818182, 1.7209622783045615),
                  (12, 0.18181818181818182, 1.463330207332488), (16, 0.0, 1.2679919888896327),
                  (20, 0.0, 1.2360624190299743), (24, 0.0, 1.213168082698699),
                  (28, 0.0, 1.2377476846018145), (32, 0.0, 1.2525559394590315),
                  (36, 0.0, 1.264391068489321), (38, 0.0, 1.2681800473120906)],
        "best_step": 12,
        "total_steps": 38,
        "final": {"f1": 0.18181818181818182, "precision": 0.11764705882352941, "recall": 0.4,
                  "accuracy": 0.5161290322580645, "loss": 1.463330207332488,
                  "tp": 4, "fp": 30, "fn": 6},
    },
}

# Losses are compared to 1e-6: bit-identical on today's CPU path, with room for a
# reordering of float sums (e.g. a different padded length at evaluation) but not for a
# different batch, target or model.
_TOL = 1e-6


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("pinned")
    return tmp, tiny_setup(tmp, n_docs=20)


@pytest.mark.parametrize("case", sorted(PINNED))
def test_training_matches_the_pinned_values(tiny: tuple[Path, dict], case: str) -> None:
    import torch

    torch.set_num_threads(1)
    tmp, raw = tiny
    pinned = PINNED[case]
    config = load_config(raw, [*_OVERRIDES, *pinned["overrides"]])
    summary = train(config, run_dir=tmp / case, progress=False)
    events = read_metrics(tmp / case)
    steps = [e for e in events if e["event"] == "train"]
    evals = [e for e in events if e["event"] == "eval"]

    assert [e["examples"] for e in steps] == pinned["examples"]
    assert [e["loss"] for e in steps[:6]] == pytest.approx(pinned["losses"], abs=_TOL)
    assert [e["step"] for e in evals] == [s for s, _, _ in pinned["evals"]]
    assert [e["f1"] for e in evals] == pytest.approx([f for _, f, _ in pinned["evals"]])
    assert [e["loss"] for e in evals] == pytest.approx(
        [v for _, _, v in pinned["evals"]], abs=_TOL
    )
    assert summary["total_steps"] == pinned["total_steps"]
    assert summary["best"]["step"] == pinned["best_step"]
    final = {k: summary["final"][k] for k in pinned["final"]}
    assert final == pytest.approx(pinned["final"], abs=_TOL)
