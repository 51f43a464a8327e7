"""LitCoin CSV triple: folder or files, offsets into title + " " + abstract, oddities reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from relx.data._document import Mention, Relation
from relx.data._litcoin import read_litcoin
from relx.data._problems import ProblemLog
from relx.data._read import read_corpus
from relx.errors import DataError

ABSTRACTS = (
    "abstract_id\ttitle\tabstract\n"
    "1001\tTP53 and cancer.\tAspirin helps.\n"
    "1002\tNothing here.\tJust text.\n"
)
ENTITIES = (
    "id\tabstract_id\toffset_start\toffset_finish\ttype\tmention\tentity_ids\n"
    "0\t1001\t0\t4\tGeneOrGeneProduct\tTP53\t7157,7158\n"
    "1\t1001\t9\t15\tDiseaseOrPhenotypicFeature\tcancer\tD009369\n"
    "2\t1001\t17\t24\tChemicalEntity\tAspirin\t-1\n"
)
RELATIONS = (
    "id\tabstract_id\ttype\tentity_1_id\tentity_2_id\tnovel\n"
    "0\t1001\tAssociation\t7157\tD009369\tNovel\n"
    "1\t1001\tBind\tD009369\tD009369\tNo\n"
)


def _triple(folder: Path, split: str = "train") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"abstracts_{split}.csv").write_text(ABSTRACTS, encoding="utf-8")
    (folder / f"entities_{split}.csv").write_text(ENTITIES, encoding="utf-8")
    (folder / f"relations_{split}.csv").write_text(RELATIONS, encoding="utf-8")
    return folder


def test_readers_litcoin_triple_with_oddities_reported(tmp_path: Path) -> None:
    folder = _triple(tmp_path / "litcoin")
    log = ProblemLog()
    docs = read_litcoin(folder / "abstracts_train.csv", entities=folder / "entities_train.csv",
                        relations=folder / "relations_train.csv", log=log)
    assert [d.doc_id for d in docs] == ["1001", "1002"]
    doc = docs[0]
    assert doc.text == "TP53 and cancer. Aspirin helps."
    assert doc.mentions == [
        Mention(0, 4, "TP53", "GeneOrGeneProduct", ("7157", "7158")),
        Mention(9, 15, "cancer", "DiseaseOrPhenotypicFeature", ("D009369",)),
        Mention(17, 24, "Aspirin", "ChemicalEntity", ()),
    ]
    assert doc.relations == [Relation("Association", "7157", "D009369", True)]
    got = [(p.code, Path(p.path).name, p.line) for p in log.problems]
    assert got == [("E110", "entities_train.csv", 4), ("E107", "relations_train.csv", 3)]
    assert "-1" in log.problems[0].message


def test_readers_litcoin_read_corpus_folder_and_files_agree(tmp_path: Path) -> None:
    folder = _triple(tmp_path / "lc")
    by_folder = read_corpus(folder)
    assert [d.doc_id for d in by_folder] == ["1001", "1002"]
    files = [folder / "relations_train.csv", folder / "abstracts_train.csv",
             folder / "entities_train.csv"]
    by_files = read_corpus(files)
    assert [(d.doc_id, d.mentions, d.relations) for d in by_files] == [
        (d.doc_id, d.mentions, d.relations) for d in by_folder
    ]
    assert by_files[0].relations  # relations file was paired although listed first


def test_readers_litcoin_folder_with_two_splits_reports_duplicate_ids(tmp_path: Path) -> None:
    folder = _triple(tmp_path / "lc")
    _triple(folder, split="test")
    (folder / "relations_test.csv").unlink()  # the LitCoin test split has no relations
    log = ProblemLog()
    docs = read_corpus(folder, log=log)
    # files sort as abstracts_test < abstracts_train: the test copy comes first and is kept
    assert [d.doc_id for d in docs] == ["1001", "1002"]
    assert docs[0].relations == [] and docs[0].source == str(folder / "abstracts_test.csv")
    assert [(p.code, p.doc_id) for p in log.problems if p.code == "E108"] == [
        ("E108", "1001"), ("E108", "1002")]


def test_readers_litcoin_bad_offsets_and_unknown_abstract(tmp_path: Path) -> None:
    folder = _triple(tmp_path / "lc")
    (folder / "entities_train.csv").write_text(
        ENTITIES + "3\t1001\tx\t4\tGeneOrGeneProduct\tTP53\t7157\n"
        "4\t9999\t0\t4\tGeneOrGeneProduct\tTP53\t7157\n", encoding="utf-8")
    log = ProblemLog()
    read_corpus(folder, log=log)
    located = [(p.code, p.line) for p in log.problems if p.code != "E107"]
    assert located[-2:] == [("E101", 5), ("E110", 6)]


def test_readers_litcoin_missing_header_column_is_e109(tmp_path: Path) -> None:
    folder = _triple(tmp_path / "lc")
    (folder / "entities_train.csv").write_text("id\tabstract_id\toffset_start\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_litcoin(folder / "abstracts_train.csv", entities=folder / "entities_train.csv")
    assert info.value.code == "E109" and info.value.line == 1
    assert "offset_finish" in str(info.value)


def test_readers_litcoin_short_row_is_e101_and_skipped(tmp_path: Path) -> None:
    folder = _triple(tmp_path / "lc")
    (folder / "relations_train.csv").write_text(
        RELATIONS.replace("0\t1001\tAssociation\t7157\tD009369\tNovel",
                          "0\t1001\tAssociation\t7157 D009369\tNovel"), encoding="utf-8")
    log = ProblemLog()
    docs = read_corpus(folder, log=log)
    assert [(p.code, Path(p.path).name, p.line) for p in log.problems if p.code == "E101"] == [
        ("E101", "relations_train.csv", 2)]
    assert docs[0].relations == []
    with pytest.raises(DataError) as info:
        read_corpus(folder, log=ProblemLog(strict=True))
    assert info.value.path == str(folder / "entities_train.csv")  # the -1 id comes first


def test_readers_litcoin_placeholder_named_by_a_relation_is_a_concept(tmp_path: Path) -> None:
    """LitCoin's training files have gold relations naming the concept -1: keep them."""
    folder = _triple(tmp_path / "lc")
    (folder / "relations_train.csv").write_text(
        RELATIONS + "2\t1001\tNegative_Correlation\t-1\tD009369\tNovel\n", encoding="utf-8")
    log = ProblemLog()
    docs = read_corpus(folder, log=log)
    assert docs[0].mentions[2] == Mention(17, 24, "Aspirin", "ChemicalEntity", ("-1",))
    assert Relation("Negative_Correlation", "-1", "D009369", True) in docs[0].relations
    placeholder = [p for p in log.problems if p.code == "E110"]
    assert len(placeholder) == 1 and "kept as a concept ID" in placeholder[0].message
    from relx.data import build_pairs

    positives = {(p.entity_a_id, p.entity_b_id, p.label) for p in build_pairs(docs, context="document")
                 if p.label != "NOT"}
    assert any("-1" in (a, b) and label == "Negative_Correlation" for a, b, label in positives)


def test_readers_litcoin_five_relations_naming_minus_one_keep_their_pairs(tmp_path: Path) -> None:
    """Issue 15 item 5, the real files' case: one abstract, every mention of one chemical
    carries -1, and five gold relations name it. All five stay positive pairs with -1 as an
    ordinary concept (reported once per mention); a -1 in another abstract that no relation
    names stays "no concept" there."""
    from relx.data import build_pairs

    folder = tmp_path / "lc"
    folder.mkdir()
    title, abstract = "Drug X and five targets.", "Drug X binds A, B, C, D and E; drug X again."
    text = f"{title} {abstract}"
    (folder / "abstracts_train.csv").write_text(
        "abstract_id\ttitle\tabstract\n"
        f"2001\t{title}\t{abstract}\n"
        "2002\tAspirin alone.\tAspirin helps.\n", encoding="utf-8")
    rows = ["id\tabstract_id\toffset_start\toffset_finish\ttype\tmention\tentity_ids"]
    for n, start in enumerate(i for i in range(len(text)) if text.startswith("rug X", i)):
        rows.append(f"x{n}\t2001\t{start - 1}\t{start + 5}\tChemicalEntity\t{text[start - 1:start + 5]}\t-1")
    genes = {g: f"G{k}" for k, g in enumerate("ABCDE")}
    for g, concept in genes.items():
        start = text.index(f" {g}", text.index("binds")) + 1
        rows.append(f"{g}\t2001\t{start}\t{start + 1}\tGeneOrGeneProduct\t{g}\t{concept}")
    rows.append("o\t2002\t0\t7\tChemicalEntity\tAspirin\t-1")
    (folder / "entities_train.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "relations_train.csv").write_text(
        "id\tabstract_id\ttype\tentity_1_id\tentity_2_id\tnovel\n"
        + "".join(f"{k}\t2001\tBind\t-1\t{c}\tNovel\n" for k, c in enumerate(genes.values())),
        encoding="utf-8")
    log = ProblemLog()
    docs = {d.doc_id: d for d in read_corpus(folder, log=log)}
    drug = [m for m in docs["2001"].mentions if m.entity_type == "ChemicalEntity"]
    assert len(drug) == 3 and all(m.concept_ids == ("-1",) for m in drug)
    assert len(docs["2001"].relations) == 5
    assert {r.concept_a for r in docs["2001"].relations} == {"-1"}
    assert docs["2002"].mentions[0].concept_ids == ()  # not named there: no concept
    kept = [p for p in log.problems if p.code == "E110" and "kept as a concept ID" in p.message]
    dropped = [p for p in log.problems if p.code == "E110" and "placeholder" in p.message]
    assert len(kept) == 3 and {p.doc_id for p in kept} == {"2001"}
    assert len(dropped) == 1 and dropped[0].doc_id == "2002"
    pairs = [p for p in build_pairs(list(docs.values()), context="document")
             if p.document_id == "2001"]
    assert len(pairs) == 15  # 6 concepts (-1 and G0..G4): C(6, 2) candidate pairs
    positives = [p for p in pairs if p.label != "NOT"]
    assert len(positives) == 5 and all("-1" in (p.entity_a_id, p.entity_b_id) for p in positives)
    assert {p.label for p in positives} == {"Bind"}
