"""Gzipped corpus files through every reader path: read_corpus, detection, the CLI.

gzip is recognised by its magic bytes, not by a ``.gz`` name: a renamed file still reads, and
a ``.gz``-named plain file reads as plain.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relx.cli import app
from relx.data._read import detect_format, read_corpus
from relx.errors import DataError

_ROOT = Path(__file__).resolve().parents[2]
#: The BioRED release beside the checkout (``/work/main`` -> ``/work/shared``; a worktree
#: one folder deeper, ``/work/wt/x`` -> ``/work/shared``).
BIORED = next((p for p in (_ROOT / ".." / "shared" / "data" / "biored",
                           _ROOT / ".." / ".." / "shared" / "data" / "biored")
               if (p / "Dev.PubTator").is_file()), _ROOT / ".." / "shared" / "data" / "biored")

pytestmark = pytest.mark.skipif(not (BIORED / "Dev.PubTator").is_file(),
                                reason="BioRED data not available")

FILES = {"pubtator": "Dev.PubTator", "bioc_xml": "Dev.BioC.XML", "bioc_json": "Dev.BioC.JSON"}


def _key(docs):
    return [(d.doc_id, d.title, d.abstract, d.mentions, d.relations) for d in docs]


def _gzip(source: Path, target: Path) -> Path:
    target.write_bytes(gzip.compress(source.read_bytes(), mtime=0))
    return target


@pytest.fixture(scope="module")
def gz(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("gz")
    return {fmt: _gzip(BIORED / name, root / f"{name}.gz") for fmt, name in FILES.items()}


@pytest.fixture(scope="module")
def plain_documents() -> list:
    return _key(read_corpus([BIORED / FILES["pubtator"]]))


@pytest.mark.parametrize("fmt", list(FILES))
def test_readers_gzip_real_biored_dev_reads_as_the_plain_file(
    fmt: str, gz: dict[str, Path], plain_documents: list, tmp_path: Path
) -> None:
    assert detect_format(gz[fmt]) == fmt
    assert _key(read_corpus([gz[fmt]])) == plain_documents
    # By magic bytes, not by name: a gzipped file without .gz, and a plain one named .gz.
    renamed = tmp_path / "corpus.txt"
    renamed.write_bytes(gz[fmt].read_bytes())
    assert detect_format(renamed) == fmt and _key(read_corpus([renamed])) == plain_documents
    fake = tmp_path / "plain.gz"
    fake.write_bytes((BIORED / FILES[fmt]).read_bytes())
    assert _key(read_corpus([fake], format=fmt)) == plain_documents


def test_readers_gzip_pubtator_problems_keep_their_decompressed_line(gz: dict[str, Path]) -> None:
    from relx.data import ProblemLog

    log = ProblemLog()
    read_corpus([gz["pubtator"]], log=log)
    assert [(p.code, p.line, p.doc_id) for p in log.problems] == [("E107", 487, "24036311")]


def test_readers_gzip_truncated_or_empty_files(gz: dict[str, Path], tmp_path: Path) -> None:
    cut = tmp_path / "cut.PubTator.gz"
    cut.write_bytes(gz["pubtator"].read_bytes()[:20_000])  # the head still decompresses
    with pytest.raises(DataError, match=r"E109.*cannot decompress gzip.*truncated"):
        read_corpus([cut])
    empty = tmp_path / "empty.pubtator.gz"  # an empty corpus, gzipped: named by its suffix
    empty.write_bytes(gzip.compress(b""))
    assert detect_format(empty) == "pubtator" and read_corpus([empty]) == []


def test_readers_gzip_cli_data_stats_and_build(gz: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    got = {}
    for name, path in (("plain", BIORED / FILES["bioc_json"]), ("gz", gz["bioc_json"])):
        result = runner.invoke(app, ["data", "stats", str(path), "--json"])
        assert result.exit_code == 0, result.output
        got[name] = json.loads(result.output[result.output.index("{"):])
    assert got["gz"]["documents"] == got["plain"]["documents"] == 100
    assert {k: v for k, v in got["gz"].items() if k != "inputs"} == {
        k: v for k, v in got["plain"].items() if k != "inputs"}
    result = runner.invoke(app, ["data", "build", str(gz["bioc_xml"]), "--out",
                                 str(tmp_path / "splits"), "--folds", "2"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "splits" / "manifest.json").is_file()
