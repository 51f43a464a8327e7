"""Streaming corpus input: same documents as read_corpus, gzip, globs, folders, errors."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

import relx.data._stream as stream_module
from relx.data import (
    DocumentStream,
    ProblemLog,
    expand_inputs,
    iter_documents,
    read_corpus,
    write_bioc_json,
    write_bioc_xml,
    write_pubtator,
)
from relx.data._synth import synthesize_documents
from relx.errors import DataError


def _gzip(path: Path) -> Path:
    target = path.with_name(path.name + ".gz")
    with open(path, "rb") as source, gzip.open(target, "wb") as sink:
        shutil.copyfileobj(source, sink)
    return target


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("stream")
    documents = synthesize_documents(n_docs=25, seed=4)
    files = {"pubtator": root / "c.pubtator", "bioc_xml": root / "c.xml",
             "bioc_json": root / "c.json"}
    write_pubtator(files["pubtator"], documents)
    write_bioc_xml(files["bioc_xml"], documents)
    write_bioc_json(files["bioc_json"], documents)
    return files


def _key(docs: list) -> list:
    return [(d.doc_id, d.title, d.abstract, d.mentions, d.relations) for d in docs]


@pytest.mark.parametrize("fmt", ["pubtator", "bioc_xml", "bioc_json"])
def test_stream_equals_read_corpus_plain_and_gzipped(corpus_files: dict[str, Path],
                                                     fmt: str) -> None:
    path = corpus_files[fmt]
    expected = read_corpus([path])
    assert list(iter_documents(path)) == expected  # source and line included
    assert _key(list(iter_documents(_gzip(path)))) == _key(expected)


def test_bioc_json_decodes_across_tiny_blocks(corpus_files: dict[str, Path],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # Every document and most strings and numbers are cut by a block boundary.
    monkeypatch.setattr(stream_module._JsonDocumentArray, "_BLOCK", 7)
    assert list(iter_documents(corpus_files["bioc_json"])) == read_corpus(
        [corpus_files["bioc_json"]])


def test_biored_files_stream_identically() -> None:
    biored = Path(__file__).resolve().parents[2] / ".." / ".." / "shared" / "data" / "biored"
    if not biored.is_dir():
        biored = Path("/work/shared/data/biored")
    if not (biored / "Dev.BioC.JSON").is_file():
        pytest.skip("BioRED not available")
    for name in ("Dev.BioC.JSON", "Dev.BioC.XML", "Dev.PubTator"):
        assert list(iter_documents(biored / name)) == read_corpus([biored / name]), name


def test_folders_and_globs_expand_sorted_once(corpus_files: dict[str, Path],
                                              tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(corpus_files["pubtator"], folder / "b.pubtator")
    shutil.copy(_gzip(corpus_files["bioc_json"]), folder / "sub" / "a.json.gz")
    (folder / ".hidden").write_text("ignored")
    assert expand_inputs([folder]) == [folder / "b.pubtator", folder / "sub" / "a.json.gz"]
    assert expand_inputs([str(folder / "**" / "*.gz"), folder / "sub" / "a.json.gz"]) == [
        folder / "sub" / "a.json.gz"]
    with pytest.raises(DataError, match="E109.*glob pattern matches no file"):
        expand_inputs([str(tmp_path / "*.nothing")])
    # Same documents in two files: the second copies are reported (E108) and dropped.
    log = ProblemLog()
    docs = list(DocumentStream([folder], log=log))
    assert len(docs) == 25 and log.counts()["E108"] == 25


def test_pubtator_problem_lines_are_the_files_own(tmp_path: Path) -> None:
    text = ("1|t|Alpha.\n1|a|Beta gamma.\n1\t0\t5\tAlpha\tChemicalEntity\tD1\n\n"
            "2|t|Delta.\n2|a|Eps.\n2\tnot\ta\tmention\n")
    path = tmp_path / "bad.pubtator"
    path.write_text(text)
    streamed, whole = ProblemLog(), ProblemLog()
    docs = list(iter_documents(path, log=streamed))
    read_corpus([path], log=whole)
    assert [d.line for d in docs] == [1, 5]
    assert [(p.code, p.line) for p in streamed.problems] == [
        (p.code, p.line) for p in whole.problems] == [("E105", 7)]


def test_malformed_bioc_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"source": "x",\n "documents": [\n {"id": "1", "passages": []},\n'
                    ' {"id": "2", "passages": [}\n]}\n')
    with pytest.raises(DataError, match=r"bad\.json:4: .*E109|E109.*bad\.json:4"):
        list(iter_documents(path))
    truncated = tmp_path / "cut.json.gz"
    with gzip.open(truncated, "wt") as handle:
        handle.write('{"documents": [{"id": "1", "passages": []}')
    with pytest.raises(DataError, match="E109"):
        list(iter_documents(truncated))
