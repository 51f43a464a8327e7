"""BioC XML / JSON readers and writers on small hand-written inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relx.data._bioc import read_bioc_json, read_bioc_xml, write_bioc_json, write_bioc_xml
from relx.data._document import Document, Mention, Relation
from relx.data._problems import ProblemLog
from relx.errors import DataError

XML = """<?xml version='1.0' encoding='UTF-8'?><!DOCTYPE collection SYSTEM "BioC.dtd">
<collection><source>PubTator</source><date>2021-11-30</date><key>BioC.key</key>
<document><id>42</id>
<passage><infon key="type">title</infon><offset>0</offset><text>TP53 in cancer.</text>
<annotation id="0"><infon key="identifier">7157,7158</infon>
<infon key="type">GeneOrGeneProduct</infon>
<location offset="0" length="4"/><text>TP53</text></annotation></passage>
<passage><infon key="type">abstract</infon><offset>16</offset><text>Cancer and aspirin.</text>
<annotation id="1"><infon key="identifier">D009369</infon>
<infon key="type">DiseaseOrPhenotypicFeature</infon>
<location offset="16" length="6"/><text>Cancer</text></annotation>
<annotation id="2"><infon key="identifier">-</infon><infon key="type">ChemicalEntity</infon>
<location offset="27" length="7"/><text>aspirin</text></annotation></passage>
<relation id="R0"><infon key="entity1">7157</infon><infon key="entity2">D009369</infon>
<infon key="type">Positive_Correlation</infon><infon key="novel">Novel</infon></relation>
<relation id="R1"><infon key="entity1">D009369</infon><infon key="entity2">D009369</infon>
<infon key="type">Bind</infon><infon key="novel">No</infon></relation>
</document></collection>
"""

EXPECTED = Document(
    "42", "TP53 in cancer.", "Cancer and aspirin.",
    mentions=[Mention(0, 4, "TP53", "GeneOrGeneProduct", ("7157", "7158")),
              Mention(16, 22, "Cancer", "DiseaseOrPhenotypicFeature", ("D009369",)),
              Mention(27, 34, "aspirin", "ChemicalEntity", ())],
    relations=[Relation("Positive_Correlation", "7157", "D009369", True)],
)


def _key(doc: Document) -> tuple:
    return (doc.doc_id, doc.title, doc.abstract, doc.mentions, doc.relations)


def test_readers_bioc_xml_maps_passages_annotations_relations(tmp_path: Path) -> None:
    path = tmp_path / "c.xml"
    path.write_text(XML, encoding="utf-8")
    log = ProblemLog()
    (doc,) = read_bioc_xml(path, log=log)
    assert _key(doc) == _key(EXPECTED)
    # the self-relation is reported by document id (BioC has no line numbers) and dropped
    assert [(p.code, p.path, p.doc_id) for p in log.problems] == [("E107", str(path), "42")]


def test_readers_bioc_json_without_infons_reads_like_biored(tmp_path: Path) -> None:
    # BioRED's Dev.BioC.JSON has no "infons" on documents; bioc.biocjson would KeyError.
    obj = {"source": "PubTator", "documents": [{
        "id": "42",
        "passages": [
            {"offset": 0, "text": "TP53 in cancer.", "annotations": [
                {"id": "0", "infons": {"identifier": "7157,7158", "type": "GeneOrGeneProduct"},
                 "text": "TP53", "locations": [{"offset": 0, "length": 4}]}]},
            {"offset": 16, "text": "Cancer and aspirin.", "annotations": [
                {"id": "1",
                 "infons": {"identifier": "D009369", "type": "DiseaseOrPhenotypicFeature"},
                 "text": "Cancer", "locations": [{"offset": 16, "length": 6}]},
                {"id": "2", "infons": {"identifier": "-", "type": "ChemicalEntity"},
                 "text": "aspirin", "locations": [{"offset": 27, "length": 7}]}]},
        ],
        "relations": [{"id": "R0", "infons": {"entity1": "7157", "entity2": "D009369",
                                              "type": "Positive_Correlation", "novel": "Novel"}}],
    }]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(obj), encoding="utf-8")
    (doc,) = read_bioc_json(path)
    assert _key(doc) == _key(EXPECTED)


@pytest.mark.parametrize(("writer", "reader"), [(write_bioc_xml, read_bioc_xml),
                                                (write_bioc_json, read_bioc_json)])
def test_readers_bioc_roundtrip_with_scores(tmp_path: Path, writer, reader) -> None:
    doc = Document(EXPECTED.doc_id, EXPECTED.title, EXPECTED.abstract,
                   mentions=list(EXPECTED.mentions),
                   relations=[*EXPECTED.relations,
                              Relation("Bind", "7158", "D009369", None, 0.625)])
    title_only = Document("43", "Only TP53.", "",
                          mentions=[Mention(5, 9, "TP53", "GeneOrGeneProduct", ("7157",))])
    path = tmp_path / "sub" / "out.bioc"
    writer(path, [doc, title_only])
    again = reader(path, log=ProblemLog(strict=True))
    assert [_key(d) for d in again] == [_key(doc), _key(title_only)]
    text = path.read_text(encoding="utf-8")
    assert text.count("score") == 1 and "0.625" in text  # only the predicted relation


def test_readers_bioc_bad_offset_reported_by_document(tmp_path: Path) -> None:
    path = tmp_path / "c.xml"
    path.write_text(XML.replace('offset="27" length="7"', 'offset="27" length="70"'),
                    encoding="utf-8")
    log = ProblemLog()
    (doc,) = read_bioc_xml(path, log=log)
    assert [p.code for p in log.problems] == ["E102", "E107"]
    assert len(doc.mentions) == 2


@pytest.mark.parametrize(("content", "reader"), [("<collection><document>", read_bioc_xml),
                                                 ('{"documents": [', read_bioc_json),
                                                 ('{"nodocs": []}', read_bioc_json)])
def test_readers_bioc_unparseable_file_is_e109(tmp_path: Path, content: str, reader) -> None:
    path = tmp_path / "broken"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as info:
        reader(path)
    assert info.value.code == "E109" and info.value.path == str(path)
    assert "\n" not in str(info.value)
