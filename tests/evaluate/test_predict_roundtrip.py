"""``relx predict``: formats, threshold, type-pair skipping, and the trained round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from _evaluate_helpers import make_tiny_bert, save_untrained_run
from relx.cli import app
from relx.data import read_corpus, write_pubtator
from relx.data._synth import synthesize_documents
from relx.evaluate import predict, read_predictions


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "synth.pubtator"
    write_pubtator(path, synthesize_documents(n_docs=6, seed=3))
    return path


@pytest.fixture(scope="module")
def untrained_run(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    return save_untrained_run(tmp_path_factory.mktemp("runs") / "run", corpus)


def test_predict_formats_agree_and_read_back(
    untrained_run: Path, corpus: Path, tmp_path: Path
) -> None:
    jsonl = tmp_path / "p.jsonl"
    summary = predict(untrained_run, [corpus], out=jsonl, output_format="jsonl", threshold=0.05,
                      batch_size=4, device="cpu")
    records = read_predictions(jsonl)
    assert len(records) == summary["n_pairs"] > 0
    assert summary["has_gold"] is True and all(r.gold is not None for r in records)
    expected = {(r.document_id, r.entity_a_id, r.entity_b_id, r.pred) for r in records
                if r.pred != "NOT"}
    assert len(expected) == summary["n_relations"]

    for fmt, name in (("pubtator", "p.pubtator"), ("bioc_xml", "p.xml"), ("bioc_json", "p.json")):
        out = tmp_path / name
        predict(untrained_run, [corpus], out=out, output_format=fmt, threshold=0.05,
                batch_size=7, device="cpu")
        documents = read_corpus([out])
        got = {(d.doc_id, r.concept_a, r.concept_b, r.relation_type)
               for d in documents for r in d.relations}
        assert got == expected, fmt
        scores = [r.score for d in documents for r in d.relations]
        assert all(s is not None and 0.05 <= s <= 1.0 for s in scores), fmt
        # Mentions and text survive: the output is the input corpus plus predictions.
        original = read_corpus([corpus])
        assert [len(d.mentions) for d in documents] == [len(d.mentions) for d in original]


def test_predict_threshold_trades_relations_and_skips_masked_pairs(
    untrained_run: Path, corpus: Path, tmp_path: Path
) -> None:
    low = predict(untrained_run, [corpus], out=tmp_path / "lo.jsonl", output_format="jsonl",
                  threshold=0.0, device="cpu")
    high = predict(untrained_run, [corpus], out=tmp_path / "hi.jsonl", output_format="jsonl",
                   threshold=1.0, device="cpu")
    # Every pair the model scores gets a relation at threshold 0; pairs whose type
    # combination never carried a relation stay NOT without a forward pass.
    assert low["n_skipped_type_pair"] > 0
    assert low["n_relations"] == low["n_pairs"] - low["n_skipped_type_pair"]
    assert high["n_relations"] == 0
    skipped = [r for r in read_predictions(tmp_path / "lo.jsonl") if r.probs["NOT"] == 1.0]
    assert len(skipped) == low["n_skipped_type_pair"]
    assert all(r.pred == "NOT" for r in skipped)


def test_predict_batch_size_does_not_change_probabilities(
    untrained_run: Path, corpus: Path, tmp_path: Path
) -> None:
    a = predict(untrained_run, [corpus], out=tmp_path / "a.jsonl", output_format="jsonl",
                batch_size=1, device="cpu")
    b = predict(untrained_run, [corpus], out=tmp_path / "b.jsonl", output_format="jsonl",
                batch_size=64, device="cpu")
    assert a["n_pairs"] == b["n_pairs"]
    ra, rb = read_predictions(tmp_path / "a.jsonl"), read_predictions(tmp_path / "b.jsonl")
    for x, y in zip(ra, rb):
        assert x.id == y.id
        assert x.probs == pytest.approx(y.probs, abs=1e-4)


def test_predict_cli_unlabelled_corpus_writes_no_gold(
    untrained_run: Path, corpus: Path, tmp_path: Path
) -> None:
    unlabelled = tmp_path / "new.pubtator"
    documents = read_corpus([corpus])
    for d in documents:
        d.relations = []
    write_pubtator(unlabelled, documents)
    out = tmp_path / "new.jsonl"
    result = CliRunner().invoke(app, ["predict", str(untrained_run), str(unlabelled), "--out",
                                      str(out), "--format", "jsonl", "--no-progress", "--json",
                                      "--device", "cpu"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{"):])
    assert summary["has_gold"] is False
    assert all(r.gold is None for r in read_predictions(out))


def test_predict_rejects_bad_format_and_missing_model(
    untrained_run: Path, corpus: Path, tmp_path: Path
) -> None:
    from relx.errors import ConfigError, RunDirError

    with pytest.raises(ConfigError, match="E508"):
        predict(untrained_run, [corpus], out=tmp_path / "x", output_format="csv")
    with pytest.raises(RunDirError, match="E607"):
        predict(tmp_path, [corpus], out=tmp_path / "x")


@pytest.mark.slow
def test_predict_roundtrip_trained_model_recovers_gold_relations(tmp_path: Path) -> None:
    """Train on the gold-labelled synthetic corpus, predict it back: F1 > 0.9 in PubTator."""
    from relx.data import build_pairs
    from relx.evaluate import document_metrics, pair_metrics
    from relx.evaluate._predictions import Prediction
    from relx.train import train

    corpus = tmp_path / "synth.pubtator"
    # 8 documents, batch 8, 25 epochs of a tiny RoFormer (rotary positions learn "trigger
    # between the two markers" from few examples; a tiny absolute-position BERT stays ~0.7).
    documents = synthesize_documents(n_docs=8, seed=0)
    write_pubtator(corpus, documents)
    backbone = make_tiny_bert(tmp_path / "tiny", [p.text for p in build_pairs(documents)],
                              architecture="roformer")
    config = {
        "data": {"train_files": [str(corpus)], "val_files": [str(corpus)]},
        "represent": {"style": "typed_entity_marker_punct", "max_length_tokens": 128},
        "model": {"model_name_or_path": str(backbone), "head": "entity_start",
                  "method": "full"},
        "train": {"lr": 3e-3, "epochs": 25, "batch_size": 8, "seed": 0,
                  "warmup_ratio": 0.05},
        "tracking": {"tensorboard": False},
    }
    run = tmp_path / "run"
    train(config, run_dir=run, progress=False)
    out = tmp_path / "pred.pubtator"
    result = CliRunner().invoke(app, ["predict", str(run), str(corpus), "--out", str(out),
                                      "--no-progress", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    predicted = {d.doc_id: d for d in read_corpus([out])}
    rows = []
    for pair in build_pairs(read_corpus([corpus])):
        pred = "NOT"
        for r in predicted[pair.document_id].relations:
            if {r.concept_a, r.concept_b} == {pair.entity_a_id, pair.entity_b_id}:
                pred = r.relation_type
        rows.append(Prediction(id=pair.relation_id, document_id=pair.document_id,
                               entity_a_id=pair.entity_a_id, entity_b_id=pair.entity_b_id,
                               gold=pair.label, pred=pred))
    f1 = pair_metrics([r.gold for r in rows], [r.pred for r in rows])["f1"]
    doc = document_metrics(rows)["settings"]["pair_type"]["f1"]
    assert f1 > 0.9, f"round-trip pair F1 {f1:.3f}"
    assert doc > 0.9


def test_evaluate_checkpoint_with_data_predicts_first(
    untrained_run: Path, corpus: Path, tmp_path: Path
) -> None:
    from relx.data import build_pairs, write_split
    from relx.evaluate import evaluate

    pairs = build_pairs(read_corpus([corpus]))
    split = tmp_path / "split_4.json"
    write_split(split, pairs)
    saved = tmp_path / "val_pred.jsonl"
    result = evaluate(untrained_run, data=split, n_bootstrap=50, predictions_out=saved)
    assert result["kind"] == "run"
    assert result["checkpoint"].endswith("checkpoints/best")
    records = read_predictions(saved)
    assert [r.id for r in records] == [p.relation_id for p in pairs]
    assert [r.gold for r in records] == [p.label for p in pairs]
    rescored = evaluate(saved, n_bootstrap=50)
    assert rescored["scores"]["pair"] == result["scores"]["pair"]
