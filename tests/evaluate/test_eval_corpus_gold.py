"""relx eval PRED --gold GOLD: PubTator/BioC prediction files by the BioRED document protocol."""

from __future__ import annotations

import dataclasses
import json

from typer.testing import CliRunner

from relx.data import Relation, write_bioc_xml, write_pubtator
from relx.data._synth import synthesize_documents
from relx.evaluate import score_corpus_predictions


def _gold_and_pred(tmp_path):
    gold = synthesize_documents(n_docs=4, seed=0)
    assert sum(len(d.relations) for d in gold) >= 3
    pred = []
    for i, d in enumerate(gold):
        rels = list(d.relations)
        if i == 0 and rels:
            rels = rels[1:]  # one false negative
        if i == 1 and rels:
            r = rels[0]
            rels[0] = dataclasses.replace(r, relation_type="Bind" if r.relation_type != "Bind" else "Association",
                                          score=0.9)  # right pair, wrong type
        pred.append(dataclasses.replace(d, relations=rels))
    write_pubtator(tmp_path / "gold.pubtator", gold)
    write_pubtator(tmp_path / "pred.pubtator", pred)
    write_bioc_xml(tmp_path / "pred.xml", pred)
    return gold


def test_eval_corpus_scores_document_protocol(tmp_path):
    gold = _gold_and_pred(tmp_path)
    n = sum(len(d.relations) for d in gold)
    perfect = score_corpus_predictions(tmp_path / "gold.pubtator", tmp_path / "gold.pubtator")
    assert perfect["settings"]["pair_type"]["f1"] == 1.0
    result = score_corpus_predictions(tmp_path / "pred.pubtator", tmp_path / "gold.pubtator")
    pair, typed = result["settings"]["pair"], result["settings"]["pair_type"]
    assert (pair["tp"], pair["fn"], pair["fp"]) == (n - 1, 1, 0)
    assert (typed["tp"], typed["fn"], typed["fp"]) == (n - 2, 2, 1)
    bioc = score_corpus_predictions(tmp_path / "pred.xml", tmp_path / "gold.pubtator")
    assert bioc["settings"]["pair_type"] == typed


def test_eval_cli_gold_option(tmp_path):
    from relx.cli._app import app

    _gold_and_pred(tmp_path)
    res = CliRunner().invoke(app, ["eval", str(tmp_path / "pred.pubtator"), "--gold", str(tmp_path / "gold.pubtator"),
                                   "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["protocol"] == "biored_document"
    assert (tmp_path / "pred.eval.json").is_file()
