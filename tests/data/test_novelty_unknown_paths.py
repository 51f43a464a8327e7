"""Unknown novelty stays unknown on every path: readers, pairs, split JSON, predictions, scores.

BioRED annotates every relation Novel/No; LitCoin test files, PubTator relation lines without
the fifth column and BioC without the ``novel`` infon do not. Each of those must give ``None``
all the way to the scores, where such a relation is left out of the novelty settings (and
counted), never scored as ``No``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relx.data import (
    Document,
    Mention,
    PairExample,
    Relation,
    build_pairs,
    parse_pubtator,
    read_bioc_xml,
    read_litcoin,
    read_split,
    write_bioc_xml,
    write_split,
)
from relx.evaluate import (
    Prediction,
    document_metrics,
    predictions_from_probs,
    read_predictions,
    write_predictions,
)
from relx.labels import ALL_LABELS

PUBTATOR = (
    "7|t|TP53 and cancer.\n"
    "7|a|Aspirin binds TP53.\n"
    "7\t0\t4\tTP53\tGeneOrGeneProduct\t7157\n"
    "7\t9\t15\tcancer\tDiseaseOrPhenotypicFeature\tD009369\n"
    "7\t17\t24\tAspirin\tChemicalEntity\tD001241\n"
    "7\tAssociation\t7157\tD009369\n"  # no novelty column: unknown
    "7\tBind\tD001241\t7157\tNo\n"
    "\n"
)


def _gold(examples: list[PairExample]) -> dict[str, PairExample]:
    return {ex.label: ex for ex in examples if ex.label != "NOT"}


def test_pubtator_without_fifth_column_keeps_novelty_unknown_through_pairs() -> None:
    (doc,) = parse_pubtator(PUBTATOR)
    assert [(r.relation_type, r.novel) for r in doc.relations] == [
        ("Association", None), ("Bind", False)]
    gold = _gold(build_pairs([doc]))
    assert gold["Association"].novel is None
    assert gold["Bind"].novel is False


def test_bioc_without_novel_infon_is_unknown(tmp_path: Path) -> None:
    doc = Document("9", "TP53 in cancer.", "", mentions=[
        Mention(0, 4, "TP53", "GeneOrGeneProduct", ("7157",)),
        Mention(8, 14, "cancer", "DiseaseOrPhenotypicFeature", ("D009369",))],
        relations=[Relation("Association", "7157", "D009369", None)])
    path = tmp_path / "unknown.xml"
    write_bioc_xml(path, [doc])
    assert 'key="novel"' not in path.read_text(encoding="utf-8")
    (back,) = read_bioc_xml(path)
    assert back.relations[0].novel is None
    assert _gold(build_pairs([back]))["Association"].novel is None


def test_litcoin_relations_without_novel_column_are_unknown(tmp_path: Path) -> None:
    (tmp_path / "abstracts_test.csv").write_text(
        "abstract_id\ttitle\tabstract\n1001\tTP53 and cancer.\tAspirin helps.\n")
    (tmp_path / "entities_test.csv").write_text(
        "id\tabstract_id\toffset_start\toffset_finish\ttype\tmention\tentity_ids\n"
        "0\t1001\t0\t4\tGeneOrGeneProduct\tTP53\t7157\n"
        "1\t1001\t9\t15\tDiseaseOrPhenotypicFeature\tcancer\tD009369\n")
    (tmp_path / "relations_test.csv").write_text(
        "id\tabstract_id\ttype\tentity_1_id\tentity_2_id\n0\t1001\tAssociation\t7157\tD009369\n")
    (doc,) = read_litcoin(tmp_path / "abstracts_test.csv",
                          entities=tmp_path / "entities_test.csv",
                          relations=tmp_path / "relations_test.csv")
    assert doc.relations == [Relation("Association", "7157", "D009369", None)]
    assert _gold(build_pairs([doc]))["Association"].novel is None


def test_split_json_writes_null_and_reads_missing_or_null_as_unknown(tmp_path: Path) -> None:
    (doc,) = parse_pubtator(PUBTATOR)
    path = tmp_path / "split.json"
    write_split(path, build_pairs([doc]))
    entries = json.loads(path.read_text(encoding="utf-8"))
    by_type = {e["type"]: e for e in entries}
    assert by_type["Association"]["novel"] is None
    assert by_type["Bind"]["novel"] is False
    back = _gold(read_split(path))
    assert back["Association"].novel is None and back["Bind"].novel is False
    # An entry without the key at all (another tool's split) is unknown too, not False.
    del by_type["Association"]["novel"]
    path.write_text(json.dumps(entries), encoding="utf-8")
    assert _gold(read_split(path))["Association"].novel is None


def test_split_json_rejects_a_novel_value_that_is_not_a_boolean(tmp_path: Path) -> None:
    from relx.data import ProblemLog

    (doc,) = parse_pubtator(PUBTATOR)
    entries = [e.to_json() for e in build_pairs([doc])]
    entries[0]["novel"] = "yes"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    log = ProblemLog()
    examples = read_split(path, log=log)
    assert len(examples) == len(entries) - 1
    assert [p.code for p in log.problems] == ["E101"]
    assert "novel='yes'" in log.problems[0].message


def test_predictions_keep_unknown_gold_novelty_and_scores_exclude_it(tmp_path: Path) -> None:
    (doc,) = parse_pubtator(PUBTATOR)
    examples = build_pairs([doc])
    probs = [[0.0] * len(ALL_LABELS) for _ in examples]
    for row, ex in zip(probs, examples):
        row[ALL_LABELS.index(ex.label)] = 1.0  # a perfect relation model
    # The novelty model says "No" everywhere: right for Bind; Association's truth is unknown.
    records = predictions_from_probs(examples, probs,
                                     pred_novel=[ex.label != "NOT" and False for ex in examples])
    by_gold = {r.gold: r for r in records}
    assert by_gold["Association"].gold_novel is None
    assert by_gold["Bind"].gold_novel is False
    path = tmp_path / "val.jsonl"
    write_predictions(path, records)
    back = read_predictions(path)
    assert {r.gold: r.gold_novel for r in back if r.gold != "NOT"} == {
        "Association": None, "Bind": False}
    m = document_metrics(back)
    assert m["novelty_unknown_gold"] == 1
    # Association is left out of the novelty settings: 1 TP (Bind), nothing else. Read as
    # "No" it would have been a second TP; read as "Novel", one FP and one FN.
    for name in ("pair_novelty", "all"):
        s = m["settings"][name]
        assert (s["tp"], s["fp"], s["fn"]) == (1, 0, 0), name
    assert (m["settings"]["pair"]["tp"], m["settings"]["pair"]["fp"]) == (2, 0)


def test_pair_example_from_json_defaults_novelty_to_unknown() -> None:
    entry = {"abstract_id": 1, "relation_id": "True.1.0", "entity_a_id": "a",
             "entity_b_id": "b", "type": "Bind", "text": "a b",
             "entity_a": [[0, 1, "ChemicalEntity"]], "entity_b": [[2, 3, "ChemicalEntity"]]}
    assert PairExample.from_json(entry).novel is None
    assert PairExample.from_json({**entry, "novel": True}).novel is True
    with pytest.raises(ValueError):
        PairExample.from_json({**entry, "novel": "No"})


def test_prediction_record_round_trips_null_novelty(tmp_path: Path) -> None:
    record = Prediction(id="r", document_id="d", entity_a_id="a", entity_b_id="b",
                        gold="Bind", pred="Bind", gold_novel=None, pred_novel=None)
    path = tmp_path / "p.jsonl"
    write_predictions(path, [record])
    line = json.loads(path.read_text(encoding="utf-8"))
    assert line["gold_novel"] is None and line["pred_novel"] is None
    assert read_predictions(path)[0].gold_novel is None
