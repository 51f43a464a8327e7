"""relx.load(run_or_model).predict(documents or pair examples)."""

from __future__ import annotations

import pytest
import torch
from tiny_models import make_tiny_bert

import relx
from relx.labels import ALL_LABELS


def test_load_predicts_documents_and_pairs_same_as_predict_examples(tmp_path):
    from relx.data import build_pairs
    from relx.data._synth import synthesize_documents
    from relx.errors import DataError, RunDirError
    from relx.evaluate import predict_examples
    from relx.models import build_classifier

    docs = synthesize_documents(n_docs=3, seed=0)
    pairs = build_pairs(docs)
    base = make_tiny_bert(tmp_path / "tiny", [p.text for p in pairs])
    torch.manual_seed(0)
    model, tok = build_classifier(model_name_or_path=str(base), labels=list(ALL_LABELS), method="full", head="cls")
    model.save(tmp_path / "run" / "checkpoints" / "best")

    loaded = relx.load(tmp_path / "run")
    assert loaded.labels == tuple(ALL_LABELS)
    from_docs = loaded.predict(docs)
    from_pairs = loaded.predict(pairs)
    expected = predict_examples(loaded.model, loaded.tokenizer, pairs, device="cpu")
    assert [p.id for p in from_docs] == [p.id for p in expected] == [p.id for p in from_pairs]
    assert [p.pred for p in from_docs] == [p.pred for p in expected]
    with pytest.raises(DataError, match="E509"):
        loaded.predict(["not a document"])
    with pytest.raises(RunDirError, match="E607"):
        relx.load(tmp_path / "nothing")
