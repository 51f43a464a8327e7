"""Evaluation by the field's protocols, prediction files, prediction on corpora, reports.

- :func:`pair_metrics`: the iKraph pair protocol (what relx calls F1), per class, confusion,
  pair-only view; :func:`inflated_metrics` only on request, always labelled INFLATED.
- :func:`document_metrics`: the BioRED document protocol (concept-ID pairs, four settings).
- :func:`count_table` / :func:`bootstrap_ci` / :func:`paired_bootstrap`: document-level
  bootstrap intervals and the paired test.
- :func:`write_predictions` / :func:`read_predictions`: the prediction JSONL schema
  (docs/predictions.md), validated line by line.
- :func:`score_predictions`: everything above at once (the content of ``eval.json``).
- :func:`join_novelty` / :func:`with_run_novelty`: a novelty model's predictions joined to
  relation predictions (a run directory holding both models), for the novelty settings.
- :func:`evaluate`: score a run directory, a CV directory, a checkpoint + data, or a file.
- :func:`predict`: run a trained model on a corpus and write relations back.
- :func:`predict_stream` / :func:`merge_predictions`: the same at PubMed scale: streaming,
  sharded by document id (``--shard K/N``, launcher ranks), resumable chunk by chunk.
- :func:`write_report`: self-contained HTML + Markdown report of a run or CV directory.

Importing this package stays light (numpy only): torch and transformers are imported inside
the functions that need a model, so scoring a predictions file starts fast.
"""

from __future__ import annotations

from relx.evaluate._bootstrap import CountTable, bootstrap_ci, count_table, paired_bootstrap
from relx.evaluate._document_protocol import (
    DOCUMENT_SETTINGS,
    merge_to_concept_pairs,
    document_metrics,
)
from relx.evaluate._metrics import inflated_metrics, pair_metrics, prf
from relx.evaluate._predictions import (
    Prediction,
    predictions_from_probs,
    read_predictions,
    write_predictions,
)
from relx.evaluate._evaluate import EVAL_FILE, detect_target, evaluate
from relx.evaluate._novelty import (
    NOT_NOVEL_LABEL,
    NOVEL_LABEL,
    join_novelty,
    novelty_run_dir,
    predict_novelty,
    read_novelty_predictions,
    with_run_novelty,
)
from relx.evaluate._predict import (
    OUTPUT_FORMATS,
    predict,
    predict_examples,
    predict_split,
    resolve_checkpoint,
)
from relx.evaluate._shards import Shard, parse_shard, resolve_shard, shard_of
from relx.evaluate._stream_layout import IDENTITY_FILE as STREAM_IDENTITY_FILE
from relx.evaluate._stream_merge import merge_predictions
from relx.evaluate._stream_predict import DEFAULT_WINDOW, predict_stream
from relx.evaluate._report import REPORT_HTML, REPORT_MD, read_curves, write_report
from relx.evaluate._score import EVAL_FORMAT_VERSION, score_predictions
from relx.evaluate._cv_threshold import CROSS_FITTED_LABEL, cross_fitted_summary
from relx.evaluate._decision import (
    DECISION_FILE,
    decide_threshold,
    load_decision_threshold,
    save_decision,
)
from relx.evaluate._loading import load_for_prediction
from relx.evaluate._threshold import (
    ThresholdChoice,
    cross_fitted_thresholds,
    f1_at_thresholds,
    tune_threshold,
)

from relx.evaluate._corpus_eval import score_corpus_predictions  # noqa: E402

__all__ = [
    "load_for_prediction",
    "CROSS_FITTED_LABEL",
    "cross_fitted_summary",
    "DECISION_FILE",
    "load_decision_threshold",
    "decide_threshold",
    "save_decision",
    "ThresholdChoice",
    "cross_fitted_thresholds",
    "f1_at_thresholds",
    "tune_threshold",
    "score_corpus_predictions",
    "pair_metrics",
    "inflated_metrics",
    "prf",
    "DOCUMENT_SETTINGS",
    "document_metrics",
    "merge_to_concept_pairs",
    "CountTable",
    "count_table",
    "bootstrap_ci",
    "paired_bootstrap",
    "Prediction",
    "write_predictions",
    "read_predictions",
    "predictions_from_probs",
    "EVAL_FORMAT_VERSION",
    "score_predictions",
    "NOVEL_LABEL",
    "NOT_NOVEL_LABEL",
    "read_novelty_predictions",
    "join_novelty",
    "novelty_run_dir",
    "predict_novelty",
    "with_run_novelty",
    "EVAL_FILE",
    "detect_target",
    "evaluate",
    "OUTPUT_FORMATS",
    "predict",
    "predict_examples",
    "predict_split",
    "resolve_checkpoint",
    "predict_stream",
    "merge_predictions",
    "DEFAULT_WINDOW",
    "STREAM_IDENTITY_FILE",
    "Shard",
    "parse_shard",
    "resolve_shard",
    "shard_of",
    "REPORT_HTML",
    "REPORT_MD",
    "read_curves",
    "write_report",
]
