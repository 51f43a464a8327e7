"""Predicted novelty goes out in every output format; unknown novelty is never written as No."""

from __future__ import annotations

import json
from pathlib import Path

from relx.data import (
    Document,
    Mention,
    Relation,
    format_pubtator,
    parse_pubtator,
    read_bioc_json,
    read_bioc_xml,
    write_bioc_json,
    write_bioc_xml,
)

DOC = Document(
    "5", "TP53 and cancer.", "Aspirin binds TP53.",
    mentions=[Mention(0, 4, "TP53", "GeneOrGeneProduct", ("7157",)),
              Mention(9, 15, "cancer", "DiseaseOrPhenotypicFeature", ("D009369",)),
              Mention(17, 24, "Aspirin", "ChemicalEntity", ("D001241",))],
    relations=[Relation("Association", "7157", "D009369", True, 0.9),
               Relation("Bind", "D001241", "7157", False, 0.8),
               Relation("Positive_Correlation", "D001241", "D009369", None, 0.7)],
)
EXPECTED = [("Association", True), ("Bind", False), ("Positive_Correlation", None)]


def test_pubtator_writes_novel_no_and_leaves_unknown_out_of_the_fifth_column() -> None:
    lines = [line.split("\t") for line in format_pubtator([DOC]).splitlines()
             if line.count("\t") >= 3 and line.split("\t")[1] in dict(EXPECTED)]
    # Unknown novelty: a standard 4-column relation line (never "No").
    assert [cols[4] if len(cols) > 4 else None for cols in lines] == ["Novel", "No", None]
    (back,) = parse_pubtator(format_pubtator([DOC]))
    assert [(r.relation_type, r.novel) for r in back.relations] == EXPECTED


def test_bioc_xml_and_json_write_the_novel_infon_only_when_known(tmp_path: Path) -> None:
    write_bioc_xml(tmp_path / "out.xml", [DOC])
    write_bioc_json(tmp_path / "out.json", [DOC])
    relations = json.loads((tmp_path / "out.json").read_text())["documents"][0]["relations"]
    assert [r["infons"].get("novel") for r in relations] == ["Novel", "No", None]
    for reader, name in ((read_bioc_xml, "out.xml"), (read_bioc_json, "out.json")):
        (back,) = reader(tmp_path / name)
        assert [(r.relation_type, r.novel) for r in back.relations] == EXPECTED
