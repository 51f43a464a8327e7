"""``train.mixed_precision: auto`` trains in the precision the run records.

Regression: the recipe built its Accelerator before ``auto`` was resolved and passed
``None``, so every ``auto`` run on a GPU was noted "bf16" and trained in fp32 (measured on an
H200: MiniLM's matmuls and attention were f32 kernels). CPU-only CI cannot see CUDA, so the
test pretends the detection found a bf16 GPU and checks both consumers agree.
"""

from __future__ import annotations

import pytest
from accelerate.state import AcceleratorState

from relx.train import _config
from relx.train._config import load_config, mixed_precision_for, resolve_config
from relx.train._recipe import make_accelerator


@pytest.fixture
def fresh_accelerate_state():
    AcceleratorState._reset_state(True)  # one process-wide state
    yield
    AcceleratorState._reset_state(True)


def test_auto_is_the_precision_the_accelerator_autocasts_with(
    monkeypatch, tmp_path, fresh_accelerate_state
):
    monkeypatch.setattr(_config, "_detect_mixed_precision", lambda: ("bf16", "pretend SM 90"))
    config = load_config("quickstart/minilm")
    assert config.train.mixed_precision == "auto"
    accelerator = make_accelerator(config, tmp_path)
    resolved = resolve_config(config)
    assert accelerator.mixed_precision == "bf16"
    assert resolved.train.mixed_precision == "bf16"
    assert any("train.mixed_precision=bf16 (auto" in n for n in resolved.notes)


def test_configured_precision_is_kept(monkeypatch):
    monkeypatch.setattr(_config, "_detect_mixed_precision", lambda: ("bf16", "pretend SM 90"))
    assert mixed_precision_for("no") == ("no", "configured")
    assert mixed_precision_for("auto")[0] == "bf16"


def test_inference_autocasts_like_validation_only_on_cuda():
    import contextlib

    import torch

    from relx.evaluate._predict import inference_autocast

    on_gpu = inference_autocast("bf16", "cuda")
    assert isinstance(on_gpu, torch.autocast)
    assert on_gpu.fast_dtype == torch.bfloat16 and on_gpu.device == "cuda"
    assert inference_autocast("fp16", torch.device("cuda:0")).fast_dtype == torch.float16
    # CPU, fp32 runs and runs saved before the setting existed: no autocast
    for precision, device in (("bf16", "cpu"), ("no", "cuda"), (None, "cuda")):
        assert isinstance(inference_autocast(precision, device), contextlib.nullcontext)


def test_yaml_no_from_set_means_no_autocast():
    """`--set train.mixed_precision=no` parses `no` as YAML false; it must mean "no"."""
    from relx.train import load_config

    config = load_config("biored/minilm", overrides=["train.mixed_precision=no"])
    assert config.train.mixed_precision == "no"
