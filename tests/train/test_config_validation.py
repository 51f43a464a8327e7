"""The config schema: YAML + --set overrides, every problem reported in one line each."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import yaml

from relx.errors import ConfigError, RelxWarning
from relx.train import (
    FULL_DEFAULT_LR,
    LORA_DEFAULT_LR,
    RelxConfig,
    check_ready,
    check_truncation,
    config_to_yaml,
    load_config,
    resolve_config,
    val_split_index,
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_overrides_parse_yaml_scalars() -> None:
    cfg = load_config(
        None,
        [
            "train.lr=2e-4",
            "train.epochs=7",
            "model.lora.target_modules=[q_proj, v_proj]",
            "tracking.tensorboard=false",
            "train.early_stopping_patience=null",
        ],
    )
    assert cfg.train.lr == pytest.approx(2e-4)
    assert cfg.train.epochs == 7
    assert cfg.model.lora.target_modules == ["q_proj", "v_proj"]
    assert cfg.tracking.tensorboard is False
    assert cfg.train.early_stopping_patience is None


def test_config_collects_all_problems_one_line_each(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "model:\n  method: lora2\ntrain:\n  learning_rate: 0.1\n  epochs: 0\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, ["train.scheduler=cosinus"])
    error = info.value
    assert error.code == "E401"
    problems = error.problems
    assert len(problems) == 4
    text = "\n".join(problems)
    # each problem names the key, its file:line (or --set), what was expected and what came
    assert f"{path}:2: model.method: expected one of 'full', 'lora' or 'qlora'; got 'lora2'" in text
    assert (f"{path}:4: train.learning_rate: unknown config key 'train.learning_rate': the "
            "Hugging Face name; relx calls it 'train.lr'; expected one of lr,") in text
    assert f"{path}:5: train.epochs" in text and "got 0" in text
    assert "train.scheduler (from --set): expected one of 'linear', 'cosine' or 'constant'" in text
    assert all("\n" not in p and "Fix:" in p for p in problems)


def test_config_semantic_problems_are_collected() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(
            None,
            [
                "data.split_files=[a.json, b.json, c.json]",
                "data.train_files=[t.json]",
                "data.fold=3",
                "data.labels=[Association, NOT]",
            ],
        )
    assert info.value.code == "E404"
    text = "\n".join(info.value.problems)
    assert "data: expected one data source; got train_files/val_files and split_files" in text
    assert "data.val_files: required with train_files" in text
    assert "data.fold (from --set): expected 0..2 (K=3); got 3" in text
    assert "data.labels (from --set): expected 'NOT' first" in text


def test_config_bad_override_syntax() -> None:
    with pytest.raises(ConfigError, match=r"\[E403\] --set 'train\.lr': expected KEY=VALUE"):
        load_config(None, ["train.lr"])


def test_config_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[E405\].*config file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = _write(tmp_path, "train:\n  lr: [1e-4\n")
    with pytest.raises(ConfigError, match=r"\[E402\] .*run\.yaml:\d+: not valid YAML"):
        load_config(bad)


def test_config_lr_default_is_method_aware() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RelxWarning)
        full = resolve_config(load_config(None, ["model.method=full"]))
        lora = resolve_config(load_config(None, ["model.method=lora"]))
    assert full.train.lr == FULL_DEFAULT_LR
    assert lora.train.lr == LORA_DEFAULT_LR
    assert any(n.startswith("train.lr=0.0002 (auto: method=lora") for n in lora.notes)
    assert full.train.mixed_precision in {"no", "bf16", "fp16"}


def test_config_warnings_recorded_in_notes() -> None:
    cfg = load_config(
        None, ["model.method=lora", "train.lr=3e-5", "train.batch_size=16", "train.grad_accum_steps=8"]
    )
    with pytest.warns(RelxWarning) as record:
        resolved = resolve_config(cfg, num_processes=2)
    messages = [str(w.message) for w in record]
    assert any("train.lr=3e-05 is low for method=lora" in m for m in messages)
    assert any("effective batch 256 > 64" in m for m in messages)
    warned = [n for n in resolved.notes if n.startswith("warning:")]
    assert len(warned) == 2
    assert "effective batch=256 (batch_size 16 x grad_accum_steps 8 x processes 2)" in resolved.notes


def test_config_truncation_warning_over_five_percent() -> None:
    cfg = load_config(None)
    check_truncation(cfg, 5, 100, split="training")  # 5% exactly: fine
    assert not cfg.notes
    with pytest.warns(RelxWarning, match=r"truncates 6/100 \(6\.0%\) training inputs"):
        check_truncation(cfg, 6, 100, split="training")
    assert any("max_length_tokens=512 truncates" in n for n in cfg.notes)


def test_config_resolved_yaml_round_trips(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RelxWarning)
        resolved = resolve_config(load_config(None, ["model.method=qlora", "train.seed=3"]))
    path = tmp_path / "resolved.yaml"
    path.write_text(config_to_yaml(resolved), encoding="utf-8")
    again = load_config(path)
    assert again == resolved
    assert resolve_config(again) == resolved  # resolving twice changes nothing
    commented = config_to_yaml(resolved, comments=True)
    assert "# Peak learning rate" in commented
    assert yaml.safe_load(commented) == yaml.safe_load(config_to_yaml(resolved))


def test_config_every_field_has_a_description() -> None:
    def walk(model: type) -> list[str]:
        missing = []
        for name, field in model.model_fields.items():
            if not field.description:
                missing.append(f"{model.__name__}.{name}")
            annotation = field.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                missing += walk(annotation)
        return missing

    assert walk(RelxConfig) == []


def test_config_relative_data_paths_resolve_against_the_file(tmp_path: Path) -> None:
    (tmp_path / "s0.json").write_text("[]")
    path = _write(tmp_path, "data:\n  split_files: [s0.json, s1.json]\n")
    cfg = load_config(path)
    assert cfg.data.split_files == [str(tmp_path / "s0.json"), str(tmp_path / "s1.json")]
    with pytest.raises(ConfigError) as info:
        check_ready(cfg)
    text = "\n".join(info.value.problems)
    assert "model.model_name_or_path: required to train" in text
    assert "data.split_files: expected existing files; got missing" in text and "s1.json" in text


def test_config_fold_rotation_is_the_users_protocol() -> None:
    assert [val_split_index(f, 5) for f in range(5)] == [4, 0, 1, 2, 3]
    assert val_split_index(0, 5, rotation=0) == 0


def test_config_split_files_folder_stands_for_its_split_files(tmp_path) -> None:
    folder = tmp_path / "splits"
    folder.mkdir()
    for k in (0, 1, 10, 2):
        (folder / f"split_{k}.json").write_text("[]")
    config = load_config({}, [f"data.split_files=[{folder}]"])
    assert [p.rsplit("/", 1)[-1] for p in config.data.split_files] == [
        "split_0.json", "split_1.json", "split_2.json", "split_10.json"]


def test_config_typo_and_preset_suggestions() -> None:
    with pytest.raises(ConfigError, match="did you mean 'train.lr'"):
        load_config({}, ["train.lrr=1e-4"])
    with pytest.raises(ConfigError, match="did you mean 'biored/minilm'"):
        load_config("biored/minilm2")
