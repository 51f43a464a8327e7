"""`relx doctor` and `relx diff` on the quickstart's own output (issue 11's "Done when").

The run is produced by the quickstart code path itself (`relx.train.quickstart`: synthetic
corpus, its document-level folds, the quickstart/minilm preset with its balanced class weights
and entity-start head, the CV directory layout), with the backbone swapped for the tiny
from-scratch RoFormer of the diagnose zoo (lr scaled for it) so that two folds learn in
seconds on CPU. Doctor must pass the CV directory and a fold with no failure (exit 0), and
diff on two folds must say first that they are validated on different documents.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relx.cli import app

runner = CliRunner()
ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory) -> Path:
    from tiny_models import make_tiny_bert

    from relx.data import read_corpus
    from relx.train import quickstart
    from relx.train._cv import QUICKSTART_CORPUS
    from relx.data import write_synthetic_corpus

    root = tmp_path_factory.mktemp("qs_doctor")
    out = root / "qs"
    corpus = out / QUICKSTART_CORPUS
    write_synthetic_corpus(corpus, n_docs=40, seed=0)  # quickstart reuses a corpus it finds
    tiny = make_tiny_bert(root / "tiny", [d.text for d in read_corpus([corpus])],
                          architecture="roformer", dropout=0.0)
    summary = quickstart(out_dir=out, folds=[0, 1], overrides=[
        f"model.model_name_or_path={json.dumps(str(tiny))}", "train.lr=2e-3", "train.epochs=4",
        "train.seed=0"])
    assert summary["failed_folds"] == [] and summary["n_folds"] == 2
    return out


@pytest.mark.slow
def test_doctor_passes_quickstart_cv_dir_and_fold(quickstart_run: Path):
    for path in (quickstart_run, quickstart_run / "fold_0"):
        result = runner.invoke(app, ["doctor", str(path)], env=ENV)
        assert result.exit_code == 0, result.output
        assert "✘" not in result.output, result.output


@pytest.mark.slow
def test_diff_of_two_quickstart_folds_says_different_documents_first(quickstart_run: Path):
    result = runner.invoke(app, ["diff", str(quickstart_run / "fold_0"),
                                 str(quickstart_run / "fold_1")], env=ENV)
    assert result.exit_code == 0, result.output
    first = next(line for line in result.output.splitlines() if line.strip())
    assert first.startswith("NOT COMPARABLE") and "different documents" in first, result.output
    # the data difference is ranked first, above every hyperparameter
    ranked = re.search(r"Differences, ranked by likely impact.*", result.output, re.S).group(0)
    first_row = next(line for line in ranked.splitlines() if re.match(r"[│|]\s*1\s", line))
    assert "validation" in first_row, ranked
    assert "no validation predictions" not in result.output
