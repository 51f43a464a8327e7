"""Which examples a run trains and validates on: the users' fold rotation, by document."""

from __future__ import annotations

from pathlib import Path

from _train_helpers import make_synthetic_splits

from relx.data._split import read_split
from relx.data._synth import write_synthetic_corpus
from relx.train import load_config, load_examples


def test_loop_split_files_rotation(tmp_path: Path) -> None:
    splits = make_synthetic_splits(tmp_path, n_docs=10, n_splits=5)
    ids = [{e.relation_id for e in read_split(p)} for p in splits]
    cfg = load_config(None, [f"data.split_files=[{', '.join(map(str, splits))}]", "data.fold=1"])
    train_ex, val_ex, source = load_examples(cfg)
    assert {e.relation_id for e in val_ex} == ids[0]  # fold 1 validates on split (1+4)%5 = 0
    assert {e.relation_id for e in train_ex} == set().union(*ids[1:])
    assert source["val_split"] == str(splits[0])


def test_loop_corpus_files_are_split_by_document(tmp_path: Path) -> None:
    corpus = tmp_path / "synth.pubtator"
    write_synthetic_corpus(corpus, n_docs=15, seed=0)
    folds = []
    for fold in range(3):
        cfg = load_config(
            None, [f"data.corpus_files=[{corpus}]", "data.n_splits=3", f"data.fold={fold}"]
        )
        train_ex, val_ex, _ = load_examples(cfg)
        train_docs = {e.document_id for e in train_ex}
        val_docs = {e.document_id for e in val_ex}
        assert train_docs and val_docs and not train_docs & val_docs
        folds.append(val_docs)
    assert len(set().union(*folds)) == 15  # every document validated exactly once
    assert sum(len(f) for f in folds) == 15


def test_loop_corpus_folds_equal_data_build_folds(tmp_path: Path) -> None:
    """`relx train` on a corpus and `relx data build` assign every document alike, also when
    a document has no candidate pair (it still takes a slot in the stratified order)."""
    from relx.data import read_split
    from relx.data._folds import build_folds
    from relx.data._pubtator import write_pubtator
    from relx.data._read import read_corpus

    corpus = tmp_path / "synth.pubtator"
    write_synthetic_corpus(corpus, n_docs=15, seed=0)
    documents = read_corpus([corpus])
    lonely = documents[0]
    lonely.relations = []
    lonely.mentions = [m for m in lonely.mentions if m.concept_ids][:1]  # one concept: no pair
    write_pubtator(corpus, documents)

    build_folds([corpus], out_dir=tmp_path / "splits", n_folds=3, seed=0)
    for fold in range(3):
        cfg = load_config(
            None, [f"data.corpus_files=[{corpus}]", "data.n_splits=3", f"data.fold={fold}"]
        )
        _, val_ex, _ = load_examples(cfg)
        split = (fold + 4) % 3  # the users' rotation: fold f validates on split (f+4) mod K
        built = read_split(tmp_path / "splits" / f"split_{split}.json")
        assert [e.relation_id for e in val_ex] == [e.relation_id for e in built]
