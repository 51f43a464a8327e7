"""Streaming ``relx predict``: SIGKILL + resume, shards, refusals, merge, CLI layout rule."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from _evaluate_helpers import save_untrained_run
from relx.cli import app
from relx.data import (
    build_pairs,
    read_corpus,
    write_bioc_json,
    write_bioc_xml,
    write_pubtator,
)
from relx.data._synth import synthesize_documents
from relx.errors import ConfigError, RunDirError
from relx.evaluate import (
    Shard,
    merge_predictions,
    parse_shard,
    predict,
    predict_stream,
    read_predictions,
    resolve_shard,
)
from relx.evaluate._stream_layout import ShardLayout

N_DOCS = 24
WINDOW = 4


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("stream_corpus")
    documents = synthesize_documents(n_docs=N_DOCS, seed=7)
    write_pubtator(root / "c.pubtator", documents)
    write_bioc_json(root / "c.json", documents)
    with open(root / "c.json", "rb") as source, gzip.open(root / "c.json.gz", "wb") as sink:
        shutil.copyfileobj(source, sink)
    return {"pubtator": root / "c.pubtator", "gz": root / "c.json.gz"}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, corpus: dict[str, Path]) -> Path:
    return save_untrained_run(tmp_path_factory.mktemp("stream_runs") / "run", corpus["pubtator"])


@pytest.fixture(scope="module")
def candidate_ids(corpus: dict[str, Path]) -> list[str]:
    return [p.relation_id for p in build_pairs(read_corpus([corpus["pubtator"]]))]


@pytest.fixture(scope="module")
def reference_relations(run: Path, corpus: dict[str, Path],
                        tmp_path_factory: pytest.TempPathFactory) -> set:
    """Relations today's in-memory predict writes (PubTator) at the tests' threshold."""
    out = tmp_path_factory.mktemp("stream_ref") / "ref.pubtator"
    predict(run, [corpus["pubtator"]], out=out, threshold=0.3, batch_size=4, device="cpu")
    return {(d.doc_id, r.concept_a, r.concept_b, r.relation_type)
            for d in read_corpus([out]) for r in d.relations}


def _options() -> dict:
    return {"output_format": "jsonl", "window": WINDOW, "batch_size": 4, "device": "cpu",
            "threshold": 0.3}


_KILLED_CHILD = """
import os, signal, sys
import relx.models
real = relx.models.iter_view_probabilities  # the entry of relx.evaluate.score_pairs
calls = []
def dying(*args, **kwargs):
    calls.append(1)
    for i, chunk in enumerate(real(*args, **kwargs)):
        if len(calls) == 3:  # inside the third chunk, after two committed ones
            os.kill(os.getpid(), signal.SIGKILL)
        yield chunk
relx.models.iter_view_probabilities = dying
from relx.evaluate import predict_stream
predict_stream(sys.argv[1], [sys.argv[2]], out_dir=sys.argv[3], output_format="jsonl",
               window=%d, batch_size=4, device="cpu", threshold=0.3)
""" % WINDOW


def test_sigkill_inside_a_chunk_then_death_before_commit_then_resume_exactly_once(
    run: Path, corpus: dict[str, Path], candidate_ids: list[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "preds"
    child = subprocess.run([sys.executable, "-c", _KILLED_CHILD, str(run), str(corpus["gz"]),
                            str(out)], env=_subprocess_env(), capture_output=True, text=True,
                           timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    shard_dir = out / Shard(0, 1).name
    manifest = json.loads((shard_dir / "manifest.json").read_text())
    assert [c["index"] for c in manifest["chunks"]] == [0, 1] and not manifest["complete"]

    # Second interruption: chunk 2 is written but the process dies before the manifest
    # names it (the worst moment for exactly-once).
    def die_before_commit(self: ShardLayout) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ShardLayout, "commit", die_before_commit)
    with pytest.raises(KeyboardInterrupt):
        predict_stream(run, [corpus["gz"]], out_dir=out, **_options())
    monkeypatch.undo()
    assert (shard_dir / "chunk-000002.jsonl").is_file()
    assert len(json.loads((shard_dir / "manifest.json").read_text())["chunks"]) == 2

    summary = predict_stream(run, [corpus["gz"]], out_dir=out, **_options())
    assert summary["resumed_chunks"] == 2 and summary["n_documents"] == N_DOCS
    assert summary["new_documents"] == N_DOCS - 2 * WINDOW
    merged = merge_predictions(out, tmp_path / "all.jsonl")
    records = read_predictions(tmp_path / "all.jsonl")  # raises E504 on a duplicate id
    assert sorted(r.id for r in records) == sorted(candidate_ids)
    assert merged["n_pairs"] == len(candidate_ids) == summary["n_pairs"]

    # Same records as one uninterrupted in-memory run of today's predict.
    predict(run, [corpus["pubtator"]], out=tmp_path / "ref.jsonl", output_format="jsonl",
            threshold=0.3, batch_size=4, device="cpu")
    reference = {r.id: r for r in read_predictions(tmp_path / "ref.jsonl")}
    for record in records:
        assert record.pred == reference[record.id].pred
        assert record.probs == pytest.approx(reference[record.id].probs, abs=1e-5)
    again = predict_stream(run, [corpus["gz"]], out_dir=out, **_options())
    assert again["already_complete"] is True


def _subprocess_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).resolve().parents[2] / "src"), os.environ.get("PYTHONPATH", "")]),
        "OMP_NUM_THREADS": "1", "TRANSFORMERS_VERBOSITY": "error"}
    for launcher in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        env.pop(launcher, None)
    return env


def test_real_cli_sigkilled_midway_then_same_command_writes_every_pair_exactly_once(
    run: Path, tmp_path: Path
) -> None:
    """``relx predict`` as its own process, SIGKILLed from outside after two committed chunks
    (wherever it then is: mid-forward, mid-write or mid-commit), then the same command again."""
    documents = synthesize_documents(n_docs=3 * N_DOCS, seed=11)
    write_bioc_json(tmp_path / "big.json", documents)
    big = tmp_path / "big.BioC.JSON.gz"
    big.write_bytes(gzip.compress((tmp_path / "big.json").read_bytes()))
    expected = sorted(p.relation_id for p in build_pairs(documents))
    out = tmp_path / "preds"
    command = [sys.executable, "-m", "relx", "predict", str(run), str(big), "--out", f"{out}/",
               "--format", "jsonl", "--window", "3", "--batch-size", "4", "--device", "cpu",
               "--threshold", "0.3", "--no-progress", "--json"]
    child = subprocess.Popen(command, env=_subprocess_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    seen = []
    try:
        for line in child.stderr:  # the CLI logs one line per committed chunk
            seen.append(line)
            if "chunk 1:" in line:
                os.kill(child.pid, signal.SIGKILL)
                break
    finally:
        child.kill()
        child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, "".join(seen[-20:])
    manifest = json.loads((out / Shard(0, 1).name / "manifest.json").read_text())
    assert len(manifest["chunks"]) >= 2 and not manifest["complete"]

    again = subprocess.run(command, env=_subprocess_env(), capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    summary = json.loads(again.stdout[again.stdout.index("{"):])
    assert summary["resumed_chunks"] >= 2 and summary["n_documents"] == 3 * N_DOCS
    assert summary["new_documents"] == 3 * N_DOCS - 3 * summary["resumed_chunks"]
    shard_dir = out / Shard(0, 1).name
    listed = {f for c in json.loads((shard_dir / "manifest.json").read_text())["chunks"]
              for f in c["files"]}
    assert {p.name for p in shard_dir.iterdir()} == listed | {"manifest.json"}
    result = CliRunner().invoke(app, ["predict", "--merge", str(out), "--out",
                                      str(tmp_path / "all.jsonl")])
    assert result.exit_code == 0, result.output
    records = read_predictions(tmp_path / "all.jsonl")  # raises E504 on a duplicate id
    assert sorted(r.id for r in records) == expected  # every candidate pair exactly once


def _cli(*args: str) -> dict:
    """``relx predict ARGS --json`` in process (the real CLI code); its JSON summary."""
    result = CliRunner().invoke(app, ["predict", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output[result.output.index("{"):])


def _cli_options() -> list[str]:
    return ["--format", "jsonl", "--window", str(WINDOW), "--batch-size", "4", "--device",
            "cpu", "--threshold", "0.3", "--no-progress"]


def test_cli_shards_0_of_2_and_1_of_2_equal_the_unsharded_run_pair_for_pair(
    run: Path, corpus: dict[str, Path], candidate_ids: list[str], tmp_path: Path
) -> None:
    whole = _cli(str(run), str(corpus["gz"]), "--out", f"{tmp_path / 'whole'}/",
                 *_cli_options())
    sharded = tmp_path / "sharded"
    shards = [_cli(str(run), str(corpus["gz"]), "--out", f"{sharded}/", "--shard", f"{k}/2",
                   *_cli_options()) for k in range(2)]
    assert [s["shard"] for s in shards] == ["0/2", "1/2"]
    assert sum(s["n_documents"] for s in shards) == whole["n_documents"] == N_DOCS
    assert min(s["n_documents"] for s in shards) > 0
    assert sum(s["n_pairs"] for s in shards) == whole["n_pairs"] == len(candidate_ids)

    result = CliRunner().invoke(app, ["predict", "--merge", str(sharded), "--out",
                                      str(tmp_path / "sharded.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output[result.output.index("{"):])["n_shards"] == 2
    # --merge concatenates the shards' chunk files: shard 0's chunks, then shard 1's.
    parts = b"".join(
        (sharded / Shard(k, 2).name / name).read_bytes() for k in range(2)
        for name in (c["files"][0] for c in json.loads(
            (sharded / Shard(k, 2).name / "manifest.json").read_text())["chunks"]))
    assert (tmp_path / "sharded.jsonl").read_bytes() == parts
    CliRunner().invoke(app, ["predict", "--merge", str(tmp_path / "whole"), "--out",
                             str(tmp_path / "whole.jsonl")])
    a = {r.id: r for r in read_predictions(tmp_path / "whole.jsonl")}
    b = {r.id: r for r in read_predictions(tmp_path / "sharded.jsonl")}
    assert sorted(a) == sorted(b) == sorted(candidate_ids)
    for key, record in a.items():
        assert (record.document_id, record.entity_a_id, record.entity_b_id, record.pred,
                record.gold) == (b[key].document_id, b[key].entity_a_id, b[key].entity_b_id,
                                 b[key].pred, b[key].gold)
        assert record.probs == pytest.approx(b[key].probs, abs=1e-5)


def test_cli_folder_and_glob_of_gzipped_files_of_three_formats(
    run: Path, corpus: dict[str, Path], candidate_ids: list[str], tmp_path: Path
) -> None:
    """A folder (and a glob) of gzipped PubTator, BioC XML and BioC JSON files."""
    documents = read_corpus([corpus["pubtator"]])
    folder = tmp_path / "in"
    folder.mkdir()
    thirds = [documents[i::3] for i in range(3)]
    for (name, writer), docs in zip((("a.PubTator", write_pubtator), ("b.BioC.XML",
                                     write_bioc_xml), ("c.BioC.JSON", write_bioc_json)), thirds):
        writer(tmp_path / name, docs)
        (folder / f"{name}.gz").write_bytes(gzip.compress((tmp_path / name).read_bytes()))
    one = tmp_path / "folder.jsonl"
    summary = _cli(str(run), str(folder), "--out", str(one), *_cli_options())
    assert summary["n_documents"] == N_DOCS and not Path(f"{one}.parts").exists()
    assert sorted(r.id for r in read_predictions(one)) == sorted(candidate_ids)
    summary = _cli(str(run), str(folder / "*.gz"), "--out", f"{tmp_path / 'globbed'}/",
                   *_cli_options())
    assert summary["n_documents"] == N_DOCS and summary["n_pairs"] == len(candidate_ids)


def test_cli_eval_data_accepts_a_gzipped_corpus(
    run: Path, corpus: dict[str, Path], tmp_path: Path
) -> None:
    scores = []
    for name, data in (("plain", corpus["pubtator"]), ("gz", tmp_path / "c.PubTator.gz")):
        if name == "gz":
            data.write_bytes(gzip.compress(corpus["pubtator"].read_bytes()))
        result = CliRunner().invoke(app, ["eval", str(run), "--data", str(data), "--device",
                                          "cpu", "--bootstrap", "0", "--json", "--out",
                                          str(tmp_path / f"{name}.eval.json")])
        assert result.exit_code == 0, result.output
        scores.append(json.loads(result.output[result.output.index("{"):])["scores"])
        scores[-1].pop("source", None)
    assert scores[0] == scores[1]


def test_shard_split_depends_on_ids_not_files_and_composes_with_ranks() -> None:
    ids = [str(90_000_001 + i) for i in range(200)]
    owners = [[s for s in range(4) if Shard(s, 4).owns(i)] for i in ids]
    assert all(len(o) == 1 for o in owners) and {o[0] for o in owners} == {0, 1, 2, 3}
    assert parse_shard("1/4") == Shard(1, 4)
    for bad in ("4/4", "1-4", "0/0"):
        with pytest.raises(ConfigError, match="E510"):
            parse_shard(bad)
    assert resolve_shard(None, {"RANK": "2", "WORLD_SIZE": "4"}) == Shard(2, 4)
    assert resolve_shard("1/3", {"RANK": "1", "WORLD_SIZE": "2"}) == Shard(3, 6)
    assert resolve_shard(None, {}) == Shard(0, 1)


def test_resume_with_other_arguments_is_refused(
    run: Path, corpus: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "p"
    predict_stream(run, [corpus["gz"]], out_dir=out, shard="0/2", **_options())
    with pytest.raises(RunDirError, match="E618.*threshold differs"):
        predict_stream(run, [corpus["gz"]], out_dir=out, shard="0/2",
                       **{**_options(), "threshold": 0.9})
    with pytest.raises(RunDirError, match="E618.*n_shards differs"):
        predict_stream(run, [corpus["gz"]], out_dir=out, shard="0/3", **_options())
    with pytest.raises(RunDirError, match="E618.*inputs differ"):
        predict_stream(run, [corpus["pubtator"]], out_dir=out, shard="0/2", **_options())
    with pytest.raises(RunDirError, match="E619.*1 of 2 shards are not finished"):
        merge_predictions(out, tmp_path / "x.jsonl")
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunDirError, match="E614"):
        predict_stream(run, [corpus["gz"]], out_dir=tmp_path / "file", **_options())


@pytest.mark.parametrize("fmt", ["pubtator", "bioc_xml", "bioc_json"])
def test_document_formats_merge_into_one_readable_corpus(
    run: Path, corpus: dict[str, Path], tmp_path: Path, fmt: str,
    reference_relations: set[tuple[str, str, str, str]],
) -> None:
    out = tmp_path / "p"
    for k in range(2):
        predict_stream(run, [corpus["gz"]], out_dir=out, shard=f"{k}/2",
                       **{**_options(), "output_format": fmt})
    merged = tmp_path / f"merged.{fmt}"
    merge_predictions(out, merged)
    documents = read_corpus([merged])
    original = {d.doc_id: d for d in read_corpus([corpus["pubtator"]])}
    assert sorted(d.doc_id for d in documents) == sorted(original)
    assert all(d.mentions == original[d.doc_id].mentions for d in documents)
    got = {(d.doc_id, r.concept_a, r.concept_b, r.relation_type)
           for d in documents for r in d.relations}
    assert got == reference_relations and got


def test_cli_layout_rule_directory_then_merge_and_glob_to_one_file(
    run: Path, corpus: dict[str, Path], tmp_path: Path
) -> None:
    runner = CliRunner()
    out_dir = tmp_path / "preds"
    result = runner.invoke(app, ["predict", str(run), str(corpus["gz"]), "--out",
                                 f"{out_dir}/", "--format", "jsonl", "--window", "7",
                                 "--no-progress", "--device", "cpu", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{"):])
    assert summary["n_documents"] == N_DOCS and summary["n_chunks"] == 4
    assert summary["n_skipped_type_pair"] > 0
    merged = tmp_path / "merged.jsonl"
    result = runner.invoke(app, ["predict", "--merge", str(out_dir), "--out", str(merged)])
    assert result.exit_code == 0, result.output
    assert len(read_predictions(merged)) == summary["n_pairs"]

    # A glob with a file --out: streamed through OUT.parts/, one file, parts removed.
    one = tmp_path / "one.jsonl"
    pattern = str(corpus["gz"].parent / "*.json.gz")
    result = runner.invoke(app, ["predict", str(run), pattern, "--out", str(one), "--format",
                                 "jsonl", "--no-progress", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert len(read_predictions(one)) == summary["n_pairs"]
    assert not Path(f"{one}.parts").exists()
    result = runner.invoke(app, ["predict", str(run), str(corpus["gz"]), "--out",
                                 str(out_dir), "--shard", "5/2", "--no-progress"])
    assert result.exit_code == 1 and isinstance(result.exception, ConfigError)
    assert "E510" in str(result.exception)
