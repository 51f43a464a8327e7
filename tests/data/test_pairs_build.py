"""The pair builder against docs/formats.md §2, on documents built in code."""

from __future__ import annotations

import json

import pytest

from relx.data import Document, Mention, ProblemLog, Relation, build_pairs
from relx.errors import ConfigError, DataError

TITLE = "BRCA1 and breast cancer."
ABSTRACT = (
    "BRCA1 is associated with breast cancer. "
    "Unrelated cells were cultured. "
    "Aspirin was given to patients. "
    "The compound reduced tumour size. "
    "Mutations in BRCA1/2 were screened."
)


def _doc(doc_id: str = "123", relations: list[Relation] | None = None) -> Document:
    text = f"{TITLE} {ABSTRACT}"

    def m(surface: str, entity_type: str, ids: tuple[str, ...], nth: int = 0) -> Mention:
        start = -1
        for _ in range(nth + 1):
            start = text.index(surface, start + 1)
        return Mention(start, start + len(surface), surface, entity_type, ids)

    mentions = [
        m("BRCA1", "GeneOrGeneProduct", ("672",)),
        m("breast cancer", "DiseaseOrPhenotypicFeature", ("D001943",)),
        m("BRCA1", "GeneOrGeneProduct", ("672",), nth=1),
        m("breast cancer", "DiseaseOrPhenotypicFeature", ("D001943",), nth=1),
        m("Aspirin", "ChemicalEntity", ("D001241",)),
        m("patients", "OrganismTaxon", ("9606",)),
        m("The compound", "ChemicalEntity", ()),  # a "-" mention: context only
        m("BRCA1/2", "GeneOrGeneProduct", ("672", "675")),  # composite
    ]
    if relations is None:
        relations = [
            Relation("Association", "D001943", "672", True),
            Relation("Negative_Correlation", "D001241", "D001943", False),
        ]
    return Document(doc_id, TITLE, ABSTRACT, mentions=mentions, relations=relations)


def test_pairs_one_example_per_unordered_concept_pair() -> None:
    examples = build_pairs([_doc()])
    # concepts with a mention: 672, D001943, D001241, 9606, 675 -> C(5, 2) = 10 pairs
    assert len(examples) == 10
    keys = {frozenset((e.entity_a_id, e.entity_b_id)) for e in examples}
    assert len(keys) == 10
    assert all(e.entity_a_id != e.entity_b_id for e in examples)
    assert not any("" in k for k in keys)


def test_pairs_labels_novelty_and_ids() -> None:
    examples = build_pairs([_doc()])
    by_key = {frozenset((e.entity_a_id, e.entity_b_id)): e for e in examples}
    assoc = by_key[frozenset(("672", "D001943"))]
    assert (assoc.label, assoc.novel, assoc.relation_id) == ("Association", True, "True.123.0")
    # A is the earlier concept for gold pairs too, not the relation's annotated direction
    # (D001943 -> 672 here): an order that only gold pairs can have is a label in the input.
    assert (assoc.entity_a_id, assoc.entity_b_id) == ("672", "D001943")
    for e in examples:
        assert min(s for s, *_ in e.entity_a) < min(s for s, *_ in e.entity_b), e.relation_id
    neg = by_key[frozenset(("D001241", "D001943"))]
    assert (neg.label, neg.novel, neg.relation_id) == ("Negative_Correlation", False, "True.123.1")
    negatives = [e for e in examples if e.label == "NOT"]
    assert [e.relation_id for e in negatives] == [f"False.123.{n}" for n in range(8)]
    assert all(e.novel is False for e in negatives)
    assert all(e.abstract_id == 123 and e.document_id == "123" for e in examples)


def test_pairs_non_numeric_document_id_kept_as_string() -> None:
    examples = build_pairs([_doc("PMC42")])
    assert {e.abstract_id for e in examples} == {"PMC42"}
    assert examples[0].relation_id.split(".")[1] == "PMC42"


@pytest.mark.parametrize("context", ["multi_sentence", "document"])
def test_pairs_every_span_points_at_its_mention(context: str) -> None:
    doc = _doc()
    for e in build_pairs([doc], context=context):
        for concept, spans in ((e.entity_a_id, e.entity_a), (e.entity_b_id, e.entity_b)):
            expected = [m for m in doc.mentions if concept in m.concept_ids]
            assert len(spans) == len(expected)
            assert [e.text[s:t] for s, t, _ in spans] == [m.text for m in expected]
            assert [ty for _, _, ty in spans] == [m.entity_type for m in expected]


def test_pairs_multi_sentence_keeps_title_and_only_sentences_of_a_or_b() -> None:
    by_key = {frozenset((e.entity_a_id, e.entity_b_id)): e for e in build_pairs([_doc()])}
    e = by_key[frozenset(("D001241", "9606"))]
    assert e.text == f"{TITLE} Aspirin was given to patients."
    e = by_key[frozenset(("672", "D001241"))]
    assert e.text == (f"{TITLE} BRCA1 is associated with breast cancer. "
                      "Aspirin was given to patients. Mutations in BRCA1/2 were screened.")
    # Only in the title and one sentence: nothing else.
    assert "Unrelated" not in " ".join(x.text for x in by_key.values())


def test_pairs_document_context_is_title_plus_abstract() -> None:
    doc = _doc()
    assert {e.text for e in build_pairs([doc], context="document")} == {doc.text}


def test_pairs_json_is_the_ikraph_entry() -> None:
    entry = build_pairs([_doc()])[0].to_json()
    assert list(entry) == ["abstract_id", "relation_id", "entity_a_id", "entity_b_id", "type",
                           "novel", "text", "entity_a", "entity_b", "document_id"]
    json.dumps(entry)


def test_pairs_deterministic_order() -> None:
    docs = [_doc("1"), _doc("2")]
    first = [e.to_json() for e in build_pairs(docs)]
    second = [e.to_json() for e in build_pairs([_doc("1"), _doc("2")])]
    assert first == second
    assert [e["document_id"] for e in first] == ["1"] * 10 + ["2"] * 10


def test_pairs_bad_relations_reported_and_skipped() -> None:
    relations = [
        Relation("Association", "672", "672", False),  # self-relation
        Relation("Bind", "672", "99999", False),  # concept without a mention
        Relation("Association", "672", "D001943", False),
        Relation("Bind", "D001943", "672", False),  # second relation for one pair
    ]
    log = ProblemLog()
    examples = build_pairs([_doc(relations=relations)], log=log)
    assert log.counts() == {"E107": 1, "E106": 1, "E110": 1}
    assert [e.label for e in examples if e.label != "NOT"] == ["Association"]
    assert "document 123" in str(log.problems[0])


def test_pairs_strict_log_raises_on_first_problem() -> None:
    relations = [Relation("Association", "672", "672", False)]
    with pytest.raises(DataError, match="E107"):
        build_pairs([_doc(relations=relations)], log=ProblemLog(strict=True))


def test_pairs_unknown_context_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="context must be one of"):
        build_pairs([_doc()], context="sentence")  # type: ignore[arg-type]


def test_pairs_document_without_abstract_is_split_first_sentence_as_title() -> None:
    # Documents rebuilt from split JSON keep their whole text as the title.
    text = "A title here. Aspirin was given. Nothing else. Patients improved."
    def m(s: str, t: str, cid: str) -> Mention:
        i = text.index(s)
        return Mention(i, i + len(s), s, t, (cid,))
    doc = Document("9", text, "", mentions=[
        m("Aspirin", "ChemicalEntity", "C1"), m("Patients", "OrganismTaxon", "9606")])
    (example,) = build_pairs([doc])
    assert example.text == "A title here. Aspirin was given. Patients improved."
    assert example.text[slice(*example.entity_b[0][:2])] == "Patients"
