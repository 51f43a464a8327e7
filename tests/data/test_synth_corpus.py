"""The synthetic corpus: seeded, valid for every reader check, BioRED-like, learnable."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from relx.data import (
    SYNTH_TRIGGERS,
    ProblemLog,
    build_pairs,
    read_corpus,
    synthesize_documents,
    write_synthetic_corpus,
)
from relx.errors import ConfigError
from relx.labels import ENTITY_TYPES


def test_synth_same_seed_same_bytes(tmp_path: Path) -> None:
    write_synthetic_corpus(tmp_path / "a.txt", n_docs=20, seed=7)
    write_synthetic_corpus(tmp_path / "b.txt", n_docs=20, seed=7)
    write_synthetic_corpus(tmp_path / "c.txt", n_docs=20, seed=8)
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()
    assert (tmp_path / "a.txt").read_bytes() != (tmp_path / "c.txt").read_bytes()


@pytest.mark.parametrize("crlf", [False, True])
def test_synth_reads_back_without_any_problem(tmp_path: Path, crlf: bool) -> None:
    path = tmp_path / "synth.txt"
    written = write_synthetic_corpus(path, n_docs=60, seed=0, crlf=crlf)
    assert (b"\r\n" in path.read_bytes()) is crlf
    log = ProblemLog(strict=True)  # any validation problem would raise
    docs = read_corpus([path], log=log)
    assert [d.doc_id for d in docs] == [d.doc_id for d in written]
    assert [(d.title, d.abstract) for d in docs] == [(d.title, d.abstract) for d in written]


def test_synth_structure_is_biored_like() -> None:
    docs = synthesize_documents(n_docs=60, seed=0)
    types = Counter(m.entity_type for d in docs for m in d.mentions)
    assert set(types) == set(ENTITY_TYPES)
    assert any(len(m.concept_ids) > 1 for d in docs for m in d.mentions)  # composite IDs
    assert any(not m.concept_ids for d in docs for m in d.mentions)  # "-" mentions
    assert all(d.title and d.abstract.count(". ") >= 2 for d in docs)  # multi-sentence
    assert {r.novel for d in docs for r in d.relations} == {True, False}
    examples = build_pairs(docs)
    labels = Counter(e.label for e in examples)
    assert 0.80 <= labels["NOT"] / len(examples) <= 0.88
    assert labels["Association"] > 5 * labels["Conversion"]  # rare types stay rare
    assert len(set(labels)) >= 7


def test_synth_relation_cue_lies_between_the_two_mentions() -> None:
    for doc in synthesize_documents(n_docs=10, seed=1):
        text = doc.text
        for relation in doc.relations:
            trigger = SYNTH_TRIGGERS[relation.relation_type]
            spans = {c: [(m.start, m.end) for m in doc.mentions if c in m.concept_ids]
                     for c in (relation.concept_a, relation.concept_b)}
            assert any(text[a_end:b_start] == f" {trigger} "
                       for _, a_end in spans[relation.concept_a]
                       for b_start, _ in spans[relation.concept_b])


def test_synth_rejects_non_positive_size() -> None:
    with pytest.raises(ConfigError, match="n_docs must be a positive integer"):
        synthesize_documents(n_docs=0)


def test_synth_cues_are_learnable_by_a_linear_model() -> None:
    """Words between the two closest mentions suffice: a bag-of-n-grams model scores high."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    def between(e) -> str:  # noqa: ANN001
        gaps = [e.text[min(ea, eb):max(sa, sb)] for sa, ea, _ in e.entity_a
                for sb, eb, _ in e.entity_b]
        same_sentence = [g for g in gaps if ". " not in g.replace("e.g.", "").replace("i.v.", "")]
        return min(same_sentence, key=len) if same_sentence else "NOSENTENCE"

    train = build_pairs(synthesize_documents(n_docs=48, seed=0))
    test = build_pairs(synthesize_documents(n_docs=12, seed=1))
    vectorizer = CountVectorizer(ngram_range=(1, 3))
    model = LogisticRegression(max_iter=2000).fit(
        vectorizer.fit_transform([between(e) for e in train]), [e.label for e in train])
    predicted = model.predict(vectorizer.transform([between(e) for e in test]))
    positive = sorted({e.label for e in train} - {"NOT"})
    assert f1_score([e.label for e in test], predicted, labels=positive, average="micro") > 0.9
