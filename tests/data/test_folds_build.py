"""Folds: by document, deterministic, stratified, manifest and check."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from relx._io import read_json
from relx.data import read_split, write_synthetic_corpus
from relx.data._folds import (
    FOLD_ASSIGNMENT_FILE,
    MANIFEST_FILE,
    assign_folds,
    build_folds,
    check_folds,
)
from relx.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "synth.txt"
    write_synthetic_corpus(path, n_docs=40, seed=3)
    return path


def _docs_by_split(out: Path, k: int) -> list[set[str]]:
    return [{e.document_id for e in read_split(out / f"split_{i}.json")} for i in range(k)]


def test_folds_split_by_document_and_keep_every_pair(corpus: Path, tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    result = build_folds([corpus], out_dir=tmp_path / "f", n_folds=5,
                         progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (1, 40) and calls[-1] == (40, 40)
    splits = _docs_by_split(tmp_path / "f", 5)
    assert sum(len(s) for s in splits) == len(set().union(*splits)) == 40
    manifest = read_json(tmp_path / "f" / MANIFEST_FILE)
    assert manifest["counts"]["pairs"] == sum(s["pairs"] for s in manifest["splits"])
    assert manifest["sources"][0]["sha256"] and manifest["options"]["n_folds"] == 5
    assert manifest["relx_version"]
    assert result.assignment == read_json(tmp_path / "f" / FOLD_ASSIGNMENT_FILE)


def test_folds_deterministic_by_seed(corpus: Path, tmp_path: Path) -> None:
    build_folds([corpus], out_dir=tmp_path / "a", seed=1)
    build_folds([corpus], out_dir=tmp_path / "b", seed=1)
    build_folds([corpus], out_dir=tmp_path / "c", seed=2, stratify=False)
    for k in range(5):
        name = f"split_{k}.json"
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert _docs_by_split(tmp_path / "a", 5) != _docs_by_split(tmp_path / "c", 5)


def test_folds_one_fold_writes_one_file(corpus: Path, tmp_path: Path) -> None:
    result = build_folds([corpus], out_dir=tmp_path, n_folds=1)
    assert [p.name for p in result.files] == ["split_0.json"]


def test_folds_stratified_spreads_rare_labels() -> None:
    # 10 documents hold a rare label once each; 40 hold only a common one.
    counts = {f"r{i}": {"Conversion": 1, "NOT": 5} for i in range(10)}
    counts |= {f"c{i}": {"Association": 2, "NOT": 8} for i in range(40)}
    assignment = assign_folds(counts, n_folds=5, seed=0, stratify=True)
    rare = Counter(assignment[f"r{i}"] for i in range(10))
    assert sorted(rare.values()) == [2, 2, 2, 2, 2]
    sizes = Counter(assignment.values())
    assert max(sizes.values()) - min(sizes.values()) <= 1


def test_folds_fold_file_is_reused(corpus: Path, tmp_path: Path) -> None:
    first = build_folds([corpus], out_dir=tmp_path / "a", seed=5)
    again = build_folds([corpus], out_dir=tmp_path / "b", seed=99,
                        fold_file=tmp_path / "a" / FOLD_ASSIGNMENT_FILE)
    assert again.assignment == first.assignment


def test_folds_fold_file_missing_document_is_an_error(corpus: Path, tmp_path: Path) -> None:
    fold_file = tmp_path / "folds.json"
    fold_file.write_text(json.dumps({"90000001": 0}))
    with pytest.raises(DataError, match="not in the fold file"):
        build_folds([corpus], out_dir=tmp_path / "x", fold_file=fold_file)
    assert not (tmp_path / "x").exists()
    fold_file.write_text(json.dumps({"90000001": 7}))
    with pytest.raises(DataError, match=r"expected an integer in \[0, 5\)"):
        build_folds([corpus], out_dir=tmp_path / "x", fold_file=fold_file)


def test_folds_bad_options_fail_before_writing(corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="n_folds"):
        build_folds([corpus], out_dir=tmp_path / "x", n_folds=0)
    with pytest.raises(ConfigError, match="context"):
        build_folds([corpus], out_dir=tmp_path / "x", context="sentence")
    with pytest.raises(ConfigError, match="only 40 usable document"):
        build_folds([corpus], out_dir=tmp_path / "x", n_folds=41)
    assert not (tmp_path / "x").exists()


def test_folds_check_passes_on_a_fresh_build(corpus: Path, tmp_path: Path) -> None:
    build_folds([corpus], out_dir=tmp_path)
    lines = check_folds(tmp_path)
    assert not [line for line in lines if line.status == "fail"]
    assert any("no document in two splits" in line.message for line in lines)


def test_folds_check_fails_on_overlap_and_edits(corpus: Path, tmp_path: Path) -> None:
    build_folds([corpus], out_dir=tmp_path)
    split0 = json.loads((tmp_path / "split_0.json").read_text())
    split1 = json.loads((tmp_path / "split_1.json").read_text())
    (tmp_path / "split_1.json").write_text(json.dumps(split1 + split0[:1]))
    fails = [line.message for line in check_folds(tmp_path) if line.status == "fail"]
    assert any("SHA-256 differs" in m for m in fails)
    assert any("in more than one split" in m for m in fails)
    (tmp_path / "split_2.json").write_text("[{")
    fails = [line.message for line in check_folds(tmp_path) if line.status == "fail"]
    assert any("split_2.json does not parse" in m for m in fails)


def test_folds_check_bare_ikraph_folder_warns_without_manifest(
    corpus: Path, tmp_path: Path
) -> None:
    build_folds([corpus], out_dir=tmp_path)
    (tmp_path / MANIFEST_FILE).unlink()
    lines = check_folds(tmp_path)
    assert lines[0].status == "warn" and "no manifest.json" in lines[0].message
    assert not [line for line in lines if line.status == "fail"]


def test_folds_check_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="folds directory not found"):
        check_folds(tmp_path / "nope")


def test_folds_rebuild_with_fewer_folds_removes_stale_splits(corpus: Path, tmp_path: Path) -> None:
    build_folds([corpus], out_dir=tmp_path, n_folds=5)
    build_folds([corpus], out_dir=tmp_path, n_folds=2)
    assert sorted(p.name for p in tmp_path.glob("split_*.json")) == ["split_0.json", "split_1.json"]
    messages = [line.message for line in check_folds(tmp_path)]
    assert not [m for m in messages if "not in the manifest" in m]
    assert sum("parses:" in m for m in messages) == 2


def test_folds_check_warns_on_documents_missing_pairs(corpus: Path, tmp_path: Path) -> None:
    build_folds([corpus], out_dir=tmp_path)
    (tmp_path / MANIFEST_FILE).unlink()
    entries = json.loads((tmp_path / "split_0.json").read_text())
    # Drop one NOT pair of a document with >= 3 concepts: its concepts all stay visible.
    per_doc = Counter(e["document_id"] for e in entries)
    drop = next(i for i, e in enumerate(entries) if per_doc[e["document_id"]] >= 3
                and e["type"] == "NOT")
    (tmp_path / "split_0.json").write_text(json.dumps(entries[:drop] + entries[drop + 1:]))
    warnings = [line.message for line in check_folds(tmp_path) if line.status == "warn"]
    assert any("1 document(s) lack some candidate pairs" in m for m in warnings)


def test_folds_check_broken_manifest_is_a_fail_line(corpus: Path, tmp_path: Path) -> None:
    build_folds([corpus], out_dir=tmp_path)
    (tmp_path / MANIFEST_FILE).write_text('{"splits": [1, 2]}')
    lines = check_folds(tmp_path)
    assert lines[0].status == "fail" and "not a relx manifest" in lines[0].message
