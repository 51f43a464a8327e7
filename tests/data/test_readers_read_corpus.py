"""read_corpus: content-based format detection, duplicates across inputs, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from relx.data._bioc import write_bioc_json, write_bioc_xml
from relx.data._problems import ProblemLog
from relx.data._pubtator import parse_pubtator, write_pubtator
from relx.data._read import FORMATS, detect_format, read_corpus
from relx.errors import DataError

DOC = (
    "11|t|TP53 and cancer.\n11|a|Short.\n"
    "11\t0\t4\tTP53\tGeneOrGeneProduct\t7157\n"
    "11\t9\t15\tcancer\tDiseaseOrPhenotypicFeature\tD009369\n"
    "11\tAssociation\t7157\tD009369\tNovel\n\n"
)


def _key(docs):
    return [(d.doc_id, d.title, d.abstract, d.mentions, d.relations) for d in docs]


def test_readers_read_corpus_detects_format_by_content_not_name(tmp_path: Path) -> None:
    docs = parse_pubtator(DOC)
    # every file gets a misleading extension
    write_pubtator(tmp_path / "a.json", docs)
    write_bioc_xml(tmp_path / "b.txt", docs)
    write_bioc_json(tmp_path / "c.xml", docs)
    assert [detect_format(tmp_path / n) for n in ("a.json", "b.txt", "c.xml")] == [
        "pubtator", "bioc_xml", "bioc_json"]
    for name in ("a.json", "b.txt", "c.xml"):
        assert _key(read_corpus(tmp_path / name)) == _key(docs)


def test_readers_read_corpus_duplicate_ids_across_inputs_keep_first(tmp_path: Path) -> None:
    first = tmp_path / "one.PubTator"
    first.write_text(DOC, encoding="utf-8")
    second = tmp_path / "two.PubTator"
    second.write_text(DOC.replace("TP53 and cancer.", "TP53 and cancer!") +
                      "12|t|Other.\n12|a|Doc.\n\n", encoding="utf-8")
    log = ProblemLog()
    docs = read_corpus([first, second], log=log)
    assert [d.doc_id for d in docs] == ["11", "12"]
    assert docs[0].title == "TP53 and cancer." and docs[0].source == str(first)
    ((code, path, line, message),) = [(p.code, p.path, p.line, p.message) for p in log.problems]
    assert (code, path, line) == ("E108", str(second), 1)
    assert f"{first}:1" in message

    with pytest.raises(DataError) as info:
        read_corpus([first, second], log=ProblemLog(strict=True))
    assert info.value.code == "E108" and info.value.path == str(second)


def test_readers_read_corpus_forced_format_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "x.PubTator"
    path.write_text(DOC, encoding="utf-8")
    assert len(read_corpus([path], format="pubtator")) == 1
    with pytest.raises(DataError, match="format='csv'") as info:
        read_corpus(path, format="csv")
    assert info.value.code == "E118"
    with pytest.raises(DataError) as info:
        read_corpus(tmp_path / "missing.PubTator")
    assert info.value.code == "E109"
    odd = tmp_path / "notes.txt"
    odd.write_text("hello world\n", encoding="utf-8")
    with pytest.raises(DataError, match="unrecognised corpus format") as info:
        read_corpus(odd)
    assert info.value.path == str(odd)
    with pytest.raises(DataError, match="folder"):
        read_corpus(tmp_path)  # a folder without LitCoin files
    assert set(FORMATS) == {"pubtator", "bioc_xml", "bioc_json", "litcoin", "split_json"}
