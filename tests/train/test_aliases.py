"""Did-you-mean for config keys and presets, and Hugging Face TrainingArguments names."""

from __future__ import annotations

from relx.train._aliases import expand_split_files, suggest_key, suggest_preset, unknown_key_message

KNOWN = ["train.lr", "train.epochs", "train.batch_size", "train.grad_accum_steps", "model.head",
         "represent.max_length_tokens", "data.split_files"]


def test_suggest_key_typos_and_hf_names():
    assert suggest_key("trian.lr", KNOWN) == "train.lr"
    assert suggest_key("train.epoch", KNOWN) == "train.epochs"
    assert suggest_key("learning_rate", KNOWN) == "train.lr"
    assert suggest_key("train.per_device_train_batch_size", KNOWN) == "train.batch_size"
    assert suggest_key("num_train_epochs", KNOWN) == "train.epochs"
    assert suggest_key("completely.different", KNOWN) is None
    assert "relx calls it 'train.lr'" in unknown_key_message("learning_rate", KNOWN)
    assert "did you mean 'model.head'" in unknown_key_message("model.haed", KNOWN)


def test_suggest_preset_lists_presets():
    msg = suggest_preset("biored/minlm", ["biored/minilm", "biored/smollm2-lora", "quickstart/minilm"])
    assert "did you mean 'biored/minilm'?" in msg and "quickstart/minilm" in msg


def test_expand_split_files_accepts_the_data_build_folder(tmp_path):
    for k in (0, 1, 10, 2):
        (tmp_path / f"split_{k}.json").write_text("[]")
    (tmp_path / "folds.json").write_text("{}")
    files = expand_split_files([str(tmp_path)])
    assert [f.rsplit("/", 1)[-1] for f in files] == ["split_0.json", "split_1.json", "split_2.json", "split_10.json"]
    assert expand_split_files(["a.json"]) == ["a.json"]
