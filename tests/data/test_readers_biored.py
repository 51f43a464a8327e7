"""The real BioRED Train/Dev files: counts, oddities, and agreement of the three formats."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from relx.data._problems import ProblemLog
from relx.data._read import read_corpus

BIORED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "biored"

pytestmark = pytest.mark.skipif(not (BIORED / "Dev.PubTator").exists(),
                                reason="BioRED data not available")

#: docs/formats.md §1, counted on the raw files (self-relations included).
TYPE_COUNTS = {"Association": 2752, "Positive_Correlation": 1441, "Negative_Correlation": 979,
               "Bind": 80, "Cotreatment": 41, "Comparison": 33, "Drug_Interaction": 11,
               "Conversion": 3}
#: The four self-relations of the release: (file, line, document, type).
SELF_RELATIONS = [("Train.PubTator", 3442, "27014915", "Bind"),
                  ("Train.PubTator", 12386, "28851297", "Association"),
                  ("Train.PubTator", 13230, "20428796", "Positive_Correlation"),
                  ("Dev.PubTator", 487, "24036311", "Bind")]


def _key(docs):
    return [(d.doc_id, d.title, d.abstract, d.mentions, d.relations) for d in docs]


def test_readers_biored_train_dev_counts_and_only_self_relations_reported() -> None:
    log = ProblemLog()
    docs = read_corpus([BIORED / "Train.PubTator", BIORED / "Dev.PubTator"], log=log)
    assert len(docs) == 500
    assert sum(len(d.mentions) for d in docs) == 16_884
    assert [(Path(p.path).name, p.line, p.doc_id, p.code) for p in log.problems] == [
        (f, line, doc, "E107") for f, line, doc, _ in SELF_RELATIONS]
    kept = Counter(r.relation_type for d in docs for r in d.relations)
    dropped = Counter(t for *_, t in SELF_RELATIONS)
    assert kept + dropped == TYPE_COUNTS
    assert sum(kept.values()) == 5_340 - 4
    assert sum(1 for d in docs for m in d.mentions if len(m.concept_ids) > 1) > 0


def test_readers_biored_dev_pubtator_bioc_xml_bioc_json_identical() -> None:
    pubtator = read_corpus(BIORED / "Dev.PubTator")
    xml = read_corpus(BIORED / "Dev.BioC.XML")
    js = read_corpus(BIORED / "Dev.BioC.JSON")
    assert len(pubtator) == 100
    assert _key(xml) == _key(pubtator)
    assert _key(js) == _key(pubtator)


def test_readers_biored_train_pubtator_and_bioc_xml_identical() -> None:
    xml = read_corpus(BIORED / "Train.BioC.XML")
    assert len(xml) == 400
    assert _key(xml) == _key(read_corpus(BIORED / "Train.PubTator"))


def test_readers_biored_strict_stops_at_first_self_relation() -> None:
    from relx.errors import DataError

    with pytest.raises(DataError) as info:
        read_corpus(BIORED / "Train.PubTator", log=ProblemLog(strict=True))
    assert (info.value.code, Path(info.value.path).name, info.value.line) == (
        "E107", "Train.PubTator", 3442)
    assert "27014915" in str(info.value)
