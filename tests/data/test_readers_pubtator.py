"""PubTator reader and writer on small hand-written inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from relx.data._document import Document, Mention, Relation
from relx.data._problems import ProblemLog
from relx.data._pubtator import format_pubtator, parse_pubtator, read_pubtator, write_pubtator
from relx.errors import DataError

BIORED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "biored"

TITLE = "BRCA1 and TP53 in cancer."
ABSTRACT = "Aspirin lowers cancer risk."
# text = TITLE + " " + ABSTRACT; "Aspirin" starts at 26, "cancer" (abstract) at 41.
SAMPLE = (
    f"100|t|{TITLE}\r\n"
    f"100|a|{ABSTRACT}\r\n"
    "100\t0\t5\tBRCA1\tGeneOrGeneProduct\t672\r\n"
    "100\t10\t14\tTP53\tGeneOrGeneProduct\t7157,7158\r\n"
    "100\t18\t24\tcancer\tDiseaseOrPhenotypicFeature\tD009369\r\n"
    "100\t26\t33\tAspirin\tChemicalEntity\t-\r\n"
    "100\t41\t47\tcancer\tDiseaseOrPhenotypicFeature\tD009369\r\n"
    "100\tAssociation\t672\tD009369\tNovel\r\n"
    "100\tPositive_Correlation\t7158\tD009369\tNo\r\n"
    "\r\n"
    "200|t|Only a title.\r\n"
    "200|a|\r\n"
    "\r\n"
)


def test_readers_pubtator_parses_crlf_composite_and_no_concept(tmp_path: Path) -> None:
    path = tmp_path / "x.PubTator"
    path.write_bytes(SAMPLE.encode())
    log = ProblemLog()
    docs = read_pubtator(path, log=log)
    assert len(log) == 0
    assert [d.doc_id for d in docs] == ["100", "200"]
    doc = docs[0]
    assert doc.title == TITLE and doc.abstract == ABSTRACT
    assert doc.line == 1 and doc.source == str(path)
    assert doc.mentions[1] == Mention(10, 14, "TP53", "GeneOrGeneProduct", ("7157", "7158"))
    assert doc.mentions[3].concept_ids == ()
    assert doc.relations == [
        Relation("Association", "672", "D009369", True),
        Relation("Positive_Correlation", "7158", "D009369", False),
    ]
    assert docs[1].title == "Only a title." and docs[1].mentions == [] and docs[1].abstract == ""


def test_readers_pubtator_tolerates_missing_blank_line_between_documents() -> None:
    text = SAMPLE.replace("\r\n\r\n200|t|", "\r\n200|t|")
    docs = parse_pubtator(text)
    assert [d.doc_id for d in docs] == ["100", "200"]
    assert len(docs[0].relations) == 2


@pytest.mark.parametrize(
    ("bad_line", "needle"),
    [
        ("100\t5\tx\tBRCA1\tGeneOrGeneProduct\t672", "malformed mention line"),
        ("100\tAssociation\t672\tD009369\tMaybe", "novelty 'Maybe'"),
        ("999\tAssociation\t672\tD009369\tNo", "PMID '999'"),
        ("100\tjust two", "malformed line"),
        ("100\tAssociation\t672\tD009369\tNo\tabc", "score 'abc'"),
    ],
)
def test_readers_pubtator_malformed_line_reports_e101_with_file_and_line(
    tmp_path: Path, bad_line: str, needle: str
) -> None:
    lines = SAMPLE.split("\r\n")
    lines.insert(3, bad_line)  # becomes line 4
    path = tmp_path / "bad.PubTator"
    path.write_text("\n".join(lines), encoding="utf-8")
    log = ProblemLog()
    docs = read_pubtator(path, log=log)
    assert [(p.code, p.path, p.line) for p in log.problems] == [("E101", str(path), 4)]
    assert needle in log.problems[0].message
    assert len(docs[0].mentions) == 5  # the good lines are kept

    with pytest.raises(DataError) as info:
        read_pubtator(path, log=ProblemLog(strict=True))
    assert info.value.code == "E101" and info.value.line == 4 and info.value.path == str(path)
    assert f"{path}:4" in str(info.value)


def test_readers_pubtator_abstract_without_title_is_reported() -> None:
    log = ProblemLog()
    assert parse_pubtator("5|a|orphan abstract\n", path="f", log=log) == []
    assert [(p.code, p.line) for p in log.problems] == [("E101", 1)]


def test_readers_pubtator_roundtrip_write_read_identical(tmp_path: Path) -> None:
    docs = parse_pubtator(SAMPLE)
    docs[0].relations.append(Relation("Bind", "672", "7157", None, 0.875))
    docs[0].relations.append(Relation("Association", "7157", "D009369", True, 0.5))
    path = tmp_path / "out" / "pred.PubTator"
    write_pubtator(path, docs, scores="column")
    again = read_pubtator(path)
    key = [(d.doc_id, d.title, d.abstract, d.mentions, d.relations) for d in docs]
    assert [(d.doc_id, d.title, d.abstract, d.mentions, d.relations) for d in again] == key
    text = path.read_text(encoding="utf-8")
    assert "100\tBind\t672\t7157\t-\t0.875\n" in text
    assert "100\tAssociation\t672\tD009369\tNovel\n" in text  # gold: no score column
    assert not list(path.parent.glob(".*.tmp"))  # atomic write leaves no temp file


def test_readers_pubtator_empty_document_list_writes_empty_file() -> None:
    assert format_pubtator([]) == ""
    assert format_pubtator([Document("1", "T", "")]).startswith("1|t|T\n1|a|\n")


def test_readers_pubtator_missing_file_is_e109(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        read_pubtator(tmp_path / "nope.PubTator")
    assert info.value.code == "E109"


def test_readers_pubtator_biored_train_dev_reads_all_documents() -> None:
    # Its speed (< 1 s, well inside issue 2's 5 s for read + pairs) is bench/bench_pairs.py's.
    if not (BIORED / "Train.PubTator").exists():
        pytest.skip("BioRED data not available")
    docs = read_pubtator(BIORED / "Train.PubTator") + read_pubtator(BIORED / "Dev.PubTator")
    assert len(docs) == 500


def test_readers_pubtator_default_output_reads_with_bioc_scores_in_sidecar(tmp_path: Path) -> None:
    import bioc.pubtator

    docs = parse_pubtator(SAMPLE)
    docs[0].relations.append(Relation("Bind", "672", "7157", None, 0.875))
    path = tmp_path / "pred.PubTator"
    sidecar = write_pubtator(path, docs)
    with open(path, encoding="utf-8") as handle:
        parsed = bioc.pubtator.load(handle)
    assert [d.pmid for d in parsed] == [d.doc_id for d in docs]
    relations = {(r.type, r.id1, r.id2) for r in parsed[0].relations}
    assert ("Bind", "672", "7157") in relations
    assert len(parsed[0].annotations) == len(docs[0].mentions)  # no relation taken for a mention
    assert sidecar is not None and sidecar.read_text() == "100\tBind\t672\t7157\t0.875\n"
    again = read_pubtator(path)  # relx reads the scores back from the sidecar
    assert [r for r in again[0].relations if r.relation_type == "Bind"][0].score == 0.875
