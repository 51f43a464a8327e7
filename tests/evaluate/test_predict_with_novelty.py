"""``relx predict`` on a run holding a relation and a novelty model writes both.

Untrained tiny models: this tests the plumbing (which pairs get a novelty, every output
format), not quality.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _evaluate_helpers import make_tiny_bert, save_untrained_run

from relx import rundir
from relx.data import read_corpus, write_pubtator
from relx.data._synth import synthesize_documents
from relx.evaluate import predict, read_predictions


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "synth.pubtator"
    write_pubtator(path, synthesize_documents(n_docs=4, seed=5))
    return path


@pytest.fixture(scope="module")
def run_with_novelty(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    from relx.data import build_pairs
    from relx.models import build_classifier

    run = save_untrained_run(tmp_path_factory.mktemp("runs") / "run", corpus)
    novelty = run / rundir.NOVELTY_DIR
    texts = [p.text for p in build_pairs(read_corpus([corpus]))]
    backbone = make_tiny_bert(run.parent / "novelty_backbone", texts)
    model, _ = build_classifier(model_name_or_path=str(backbone), head="entity_start",
                                labels=["No", "Novel"], method="full")
    model.save(novelty / rundir.DIR_BEST)
    shutil.copy(run / rundir.CONFIG_FILE, novelty / rundir.CONFIG_FILE)
    (novelty / rundir.RUN_FILE).write_text(json.dumps({"format_version": 1}))
    return run


def test_predict_runs_novelty_only_on_predicted_relations(
    run_with_novelty: Path, corpus: Path, tmp_path: Path
) -> None:
    out = tmp_path / "p.jsonl"
    summary = predict(run_with_novelty, [corpus], out=out, output_format="jsonl",
                      threshold=0.05, batch_size=4, device="cpu")
    records = read_predictions(out)
    relations = [r for r in records if r.pred != "NOT"]
    assert relations and len(relations) < len(records)
    assert summary["novelty"]["n_relations"] == len(relations) == summary["n_relations"]
    assert all(isinstance(r.pred_novel, bool) for r in relations)
    assert all(r.pred_novel is None for r in records if r.pred == "NOT")
    by_pair = {(r.document_id, *sorted((r.entity_a_id, r.entity_b_id))): r.pred_novel
               for r in relations}

    for fmt, name in (("pubtator", "p.pubtator"), ("bioc_xml", "p.xml"),
                      ("bioc_json", "p.json")):
        predict(run_with_novelty, [corpus], out=tmp_path / name, output_format=fmt,
                threshold=0.05, batch_size=4, device="cpu")
        written = {(d.doc_id, *sorted((r.concept_a, r.concept_b))): r.novel
                   for d in read_corpus([tmp_path / name]) for r in d.relations}
        assert written == by_pair, fmt


def test_predict_without_novelty_model_leaves_novelty_unknown(
    run_with_novelty: Path, corpus: Path, tmp_path: Path
) -> None:
    run = tmp_path / "relation_only"
    shutil.copytree(run_with_novelty, run, ignore=shutil.ignore_patterns(rundir.NOVELTY_DIR))
    out = tmp_path / "p.pubtator"
    summary = predict(run, [corpus], out=out, output_format="pubtator", threshold=0.05,
                      batch_size=4, device="cpu")
    assert summary["novelty"] is None
    assert {r.novel for d in read_corpus([out]) for r in d.relations} == {None}


def test_streaming_predict_fills_the_same_novelty(
    run_with_novelty: Path, corpus: Path, tmp_path: Path
) -> None:
    from relx.evaluate import predict_stream

    single = tmp_path / "single.jsonl"
    predict(run_with_novelty, [corpus], out=single, output_format="jsonl", threshold=0.05,
            batch_size=4, device="cpu")
    summary = predict_stream(run_with_novelty, [corpus], out_dir=tmp_path / "stream",
                             output_format="jsonl", threshold=0.05, batch_size=4,
                             device="cpu", window=2, progress=False)
    assert summary["novelty_checkpoint"]
    streamed = [r for path in sorted((tmp_path / "stream").rglob("chunk-*.jsonl"))
                for r in read_predictions(path)]
    expected = {r.id: r.pred_novel for r in read_predictions(single)}
    assert {r.id: r.pred_novel for r in streamed} == expected
    assert any(v is not None for v in expected.values())
