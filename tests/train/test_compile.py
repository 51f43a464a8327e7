"""``train.compile``: torch.compile of the backbone gives the eager model's logits and saves
files that plain transformers reads (relx/models/_compile.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from _train_helpers import tiny_setup
from safetensors import safe_open

from relx import rundir
from relx.errors import ConfigError
from relx.train import load_config, read_metrics, train


@pytest.mark.parametrize(("value", "mode"), [("true", "default"), ("no", "no"),
                                             ("reduce-overhead", "reduce-overhead")])
def test_compile_setting_reads_yaml_booleans(tmp_path: Path, value: str, mode: str) -> None:
    raw = tiny_setup(tmp_path, n_docs=6)
    assert load_config(raw, [f"train.compile={value}"]).train.compile == mode


def test_compile_setting_rejects_unknown_mode(tmp_path: Path) -> None:
    raw = tiny_setup(tmp_path, n_docs=6)
    with pytest.raises(ConfigError, match="compile"):
        load_config(raw, ["train.compile=fastest"])


def test_compiled_backbone_matches_eager_and_saves_plain_files(tmp_path: Path) -> None:
    """One run with ``train.compile=default`` (CPU inductor): it trains, records the choice,
    its saved backbone has the eager model's parameter names, and the compiled forward gives
    the eager logits on two batch shapes (the second one recompiles with dynamic sizes)."""
    from relx.models import compile_backbone, load_classifier
    from relx.represent import collate_padded

    raw = tiny_setup(tmp_path, n_docs=12, dropout=0.0)
    config = load_config(raw, ["train.compile=default", "train.max_steps=2"])
    summary = train(config, run_dir=tmp_path / "run", progress=False)
    assert summary["global_step"] == 2
    assert any(n.startswith("train.compile=default") for n in summary["notes"])

    best = tmp_path / "run" / rundir.DIR_BEST
    weights = next((best / "backbone").glob("*.safetensors"))
    with safe_open(str(weights), framework="pt") as handle:
        names = list(handle.keys())
    assert names and not any("_orig_mod" in name for name in names)

    model, tokenizer, _ = load_classifier(best)
    model.eval()
    from relx.data._split import read_split
    from relx.represent import encode_examples

    examples = read_split(Path(raw["data"]["split_files"][0]))[:12]
    encoded = encode_examples(examples, tokenizer, style="typed_entity_marker_punct",
                              max_length_tokens=256, labels=list(model.labels)).examples
    by_length = sorted(encoded, key=lambda e: len(e.input_ids))
    batches = [collate_padded(by_length[:4], pad_token_id=tokenizer.pad_token_id),
               collate_padded(by_length[-5:], pad_token_id=tokenizer.pad_token_id)]
    assert batches[0]["input_ids"].shape != batches[1]["input_ids"].shape
    with torch.no_grad():
        eager = [model(b) for b in batches]
        compile_backbone(model, "default")
        torch._dynamo.reset()
        compiled = [model(b) for b in batches]
    # the forward really went through dynamo: graphs were captured for the backbone
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] >= 1
    for want, got in zip(eager, compiled, strict=True):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_compiled_packed_decoder_first_step_equals_eager(tmp_path: Path) -> None:
    """The 8B preset's path on a tiny decoder: packed rows (position ids restarting per
    example, the block mask on CPU), LoRA; compiled, the first step's loss is the eager one."""
    raw = tiny_setup(tmp_path, n_docs=8, dropout=0.0, architecture="llama")
    raw["model"].update(head="auto", method="lora")
    steps = ["train.max_steps=1", "train.batch_size=64", "train.batching=packed",
             "train.max_tokens_per_batch=600", 'train.mixed_precision="no"',
             "represent.max_length_tokens=128", "model.lora.dropout=0"]
    losses = {}
    torch._dynamo.utils.counters.clear()
    for mode in ("no", "default"):
        train(load_config(raw, [*steps, f"train.compile={mode}"]),
              run_dir=tmp_path / mode, progress=False)
        events = [e for e in read_metrics(tmp_path / mode) if e["event"] == "train"]
        losses[mode] = events[0]["loss"]
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] >= 1  # it did compile
    assert abs(losses["default"] - losses["no"]) < 1e-5
