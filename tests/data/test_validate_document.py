"""Document-level checks: each code, its location, and strict vs lenient."""

from __future__ import annotations

from pathlib import Path

import pytest

from relx.data._document import Document, Mention, Relation
from relx.data._problems import ProblemLog
from relx.data._pubtator import read_pubtator
from relx.data._validate import check_document
from relx.errors import DataError

HEAD = (
    "7|t|Aspirin and cancer.\n"
    "7|a|More text here.\n"
    "7\t0\t7\tAspirin\tChemicalEntity\tD001241\n"  # line 3
    "7\t12\t18\tcancer\tDiseaseOrPhenotypicFeature\tD009369\n"  # line 4
)

CASES = [
    ("7\t30\t90\tfar\tChemicalEntity\tC1\n", "E102", "outside the text"),
    ("7\t0\t7\tAspirine\tChemicalEntity\tC1\n", "E103", "does not match the text there 'Aspirin'"),
    ("7\t0\t7\tAspirin\tDrug\tC1\n", "E104", "unknown entity type 'Drug'"),
    ("7\tCauses\tD001241\tD009369\tNo\n", "E105", "unknown relation type 'Causes'"),
    ("7\tAssociation\tD001241\tD999\tNo\n", "E106", "names concept D999"),
    ("7\tBind\tD001241\tD001241\tNo\n", "E107", "with itself"),
]


def _write(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "v.PubTator"
    path.write_text(HEAD + extra + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("line", "code", "needle"), CASES)
def test_validate_reports_code_file_line_and_drops_item(
    tmp_path: Path, line: str, code: str, needle: str
) -> None:
    path = _write(tmp_path, line)
    log = ProblemLog()
    (doc,) = read_pubtator(path, log=log)
    assert [(p.code, p.path, p.line, p.doc_id) for p in log.problems] == [(code, str(path), 5, "7")]
    assert needle in log.problems[0].message
    rendered = str(log.problems[0])
    assert rendered.startswith(f"{path}:5 (document 7): [{code}]") and "\n" not in rendered
    assert len(doc.mentions) == 2 and doc.relations == []  # the bad item is dropped


@pytest.mark.parametrize(("line", "code", "needle"), CASES)
def test_validate_strict_raises_first_problem_with_path_and_line(
    tmp_path: Path, line: str, code: str, needle: str
) -> None:
    path = _write(tmp_path, line)
    with pytest.raises(DataError) as info:
        read_pubtator(path, log=ProblemLog(strict=True))
    err = info.value
    assert (err.code, err.path, err.line) == (code, str(path), 5)
    assert needle in str(err)


def test_validate_duplicate_pair_keeps_first_e110(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "7\tAssociation\tD001241\tD009369\tNo\n7\tBind\tD009369\tD001241\tNovel\n",
    )
    log = ProblemLog()
    (doc,) = read_pubtator(path, log=log)
    assert [(p.code, p.line) for p in log.problems] == [("E110", 6)]
    assert doc.relations == [Relation("Association", "D001241", "D009369", False)]


def test_validate_relation_concept_dropped_with_its_bad_mention_is_e106() -> None:
    # The only mention of C1 is out of range, so the relation on C1 loses its concept too.
    doc = Document("9", "abc", "", mentions=[Mention(0, 3, "abc", "ChemicalEntity", ("C0",)),
                                             Mention(5, 9, "zzzz", "ChemicalEntity", ("C1",))],
                   relations=[Relation("Association", "C0", "C1", True)], source="mem")
    log = ProblemLog()
    check_document(doc, log)
    assert [p.code for p in log.problems] == ["E102", "E106"]
    assert all(p.line is None and p.doc_id == "9" for p in log.problems)
    assert str(log.problems[0]).startswith("mem (document 9): [E102]")
    assert len(doc.mentions) == 1 and doc.relations == []


def test_validate_clean_document_is_untouched() -> None:
    mentions = [Mention(0, 3, "abc", "GeneOrGeneProduct", ("1",)),
                Mention(4, 7, "def", "CellLine", ("2", "3"))]
    relations = [Relation("Bind", "1", "3", None)]
    doc = Document("1", "abc def", "", mentions=list(mentions), relations=list(relations))
    log = ProblemLog()
    assert check_document(doc, log) is doc
    assert len(log) == 0 and doc.mentions == mentions and doc.relations == relations


def test_validate_concept_with_two_entity_types_is_reported_and_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, "7\t20\t24\tMore\tGeneOrGeneProduct\tD001241\n"
                  "7\t25\t29\ttext\tCellLine\tD001241\n")
    log = ProblemLog()
    (doc,) = read_pubtator(path, log=log)
    assert [(p.code, p.line) for p in log.problems] == [("E110", 5)]
    assert "typed GeneOrGeneProduct" in log.problems[0].message  # once, not per mention
    assert len(doc.mentions) == 4
    assert doc.concept_types()["D001241"] == "ChemicalEntity"
