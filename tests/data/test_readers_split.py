"""iKraph split JSON: read/write round trip, malformed entries, back to documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relx.data._example import PairExample
from relx.data._problems import ProblemLog
from relx.data._read import detect_format, read_corpus
from relx.data._split import read_split, read_split_documents, write_split
from relx.errors import DataError

FULL = "TP53 study. TP53 binds MDM2. Weather is nice. MDM2 causes cancer."


def _examples() -> list[PairExample]:
    # Pair 1 sees the whole text; pair 2 (TP53, cancer) only sentences 1, 2 and 4.
    cut = "TP53 study. TP53 binds MDM2. MDM2 causes cancer."
    return [
        PairExample(7, "True.7.0", "7157", "4193", "Bind", True, FULL,
                    [(0, 4, "GeneOrGeneProduct"), (12, 16, "GeneOrGeneProduct")],
                    [(23, 27, "GeneOrGeneProduct"), (46, 50, "GeneOrGeneProduct")], "7"),
        PairExample(7, "False.7.0", "7157", "D009369", "NOT", False, cut,
                    [(0, 4, "GeneOrGeneProduct"), (12, 16, "GeneOrGeneProduct")],
                    [(41, 47, "DiseaseOrPhenotypicFeature")], "7"),
    ]


def test_readers_split_write_read_roundtrip(tmp_path: Path) -> None:
    path = tmp_path / "folds" / "split_0.json"
    write_split(path, _examples())
    assert read_split(path) == _examples()
    entry = json.loads(path.read_text(encoding="utf-8"))[0]
    assert entry["type"] == "Bind" and entry["document_id"] == "7" and entry["abstract_id"] == 7
    assert detect_format(path) == "split_json"


def test_readers_split_ikraph_entry_without_document_id(tmp_path: Path) -> None:
    entry = _examples()[0].to_json()
    del entry["document_id"]
    path = tmp_path / "split_1.json"
    path.write_text(json.dumps([entry]), encoding="utf-8")
    (ex,) = read_split(path)
    assert ex.document_id == "7" and ex.label == "Bind"


@pytest.mark.parametrize(
    ("mutate", "code", "needle"),
    [
        (lambda e: e.pop("text"), "E101", "lacks field 'text'"),
        (lambda e: e.update(type="Causes"), "E105", "type 'Causes'"),
        (lambda e: e.update(entity_a=[[0, 400, "GeneOrGeneProduct"]]), "E102", "outside its text"),
        (lambda e: e.update(entity_b=[[0, 4, "Protein"]]), "E104", "'Protein'"),
        (lambda e: e.update(entity_b=[]), "E101", "no span"),
        (lambda e: e.update(entity_a=[[0, 4]]), "E101", "malformed"),
    ],
)
def test_readers_split_malformed_entry_names_file_and_index(
    tmp_path: Path, mutate, code: str, needle: str
) -> None:
    entries = [e.to_json() for e in _examples()]
    mutate(entries[1])
    path = tmp_path / "split_2.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_split(path)
    assert info.value.code == code and info.value.path == str(path)
    assert "entry 1" in str(info.value) and needle in str(info.value)
    log = ProblemLog()
    assert len(read_split(path, log=log)) == 1
    assert [p.code for p in log.problems] == [code]


def test_readers_split_not_a_list_is_e109(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"a": 1}', encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_split(path)
    assert info.value.code == "E109"


def test_readers_split_documents_rebuilds_text_mentions_relations(tmp_path: Path) -> None:
    path = tmp_path / "split_0.json"
    write_split(path, _examples())
    log = ProblemLog()
    (doc,) = read_split_documents(path, log=log)
    assert len(log) == 0
    assert doc.doc_id == "7" and doc.text == FULL
    spans = {(m.start, m.end, m.concept_ids) for m in doc.mentions}
    # "cancer" sat at 41 in the cut text and is placed at 58 in the full text
    assert (58, 64, ("D009369",)) in spans and FULL[58:64] == "cancer"
    assert len(doc.mentions) == 5
    assert [(r.relation_type, r.novel) for r in doc.relations] == [("Bind", True)]
    assert [d.doc_id for d in read_corpus(path)] == ["7"]


def test_readers_split_puts_pairs_in_mention_order_and_warns(tmp_path: Path) -> None:
    """A gold pair written later concept first (the annotated direction, as other pipelines
    keep it) is read back in mention order; the warning gives the gold/NOT split, because an
    order only gold pairs have is a label in the model's input."""
    from dataclasses import replace

    from relx.errors import RelxWarning

    gold, negative = _examples()
    reversed_gold = replace(gold, entity_a_id=gold.entity_b_id, entity_b_id=gold.entity_a_id,
                            entity_a=gold.entity_b, entity_b=gold.entity_a)
    path = tmp_path / "split_0.json"
    write_split(path, [reversed_gold, negative])
    with pytest.warns(RelxWarning, match=r"1 of 1 gold pairs and 0 of 1 NOT pairs"):
        examples = read_split(path)
    assert examples == [gold, negative]
    # Pairs already in mention order are read as written, without a warning.
    write_split(path, [gold, negative])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RelxWarning)
        assert read_split(path) == [gold, negative]
