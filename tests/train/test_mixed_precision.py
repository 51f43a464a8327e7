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


@pytest.fixture
def restore_matmul_precision():
    import torch

    before = torch.get_float32_matmul_precision()
    yield
    torch.set_float32_matmul_precision(before)


@pytest.mark.parametrize("tf32, expected", [(True, "high"), (False, "highest")])
def test_train_tf32_sets_the_float32_matmul_precision_training_uses(
    tmp_path, fresh_accelerate_state, restore_matmul_precision, tf32, expected
):
    import torch

    config = load_config("biored/minilm", overrides=[f"train.tf32={str(tf32).lower()}"])
    torch.set_float32_matmul_precision("medium")  # neither value: the recipe must set it
    make_accelerator(config, tmp_path)
    assert torch.get_float32_matmul_precision() == expected


def test_inference_uses_the_runs_tf32_setting_and_restores_the_callers(restore_matmul_precision):
    import torch

    from relx._precision import float32_matmul_scope

    torch.set_float32_matmul_precision("highest")
    with float32_matmul_scope(True):
        assert torch.get_float32_matmul_precision() == "high"
    assert torch.get_float32_matmul_precision() == "highest"
    with float32_matmul_scope(None):  # a run saved before train.tf32: untouched
        assert torch.get_float32_matmul_precision() == "highest"
