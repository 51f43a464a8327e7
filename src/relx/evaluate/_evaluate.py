"""``evaluate``: score whatever the user points at, by every protocol, the same way.

TARGET may be

- a prediction JSONL file (any tool's, docs/predictions.md);
- a run directory: its saved validation predictions (``predictions/val.jsonl``);
- a CV directory (``cv.json`` or ``fold_{k}/`` run directories): every fold, then all folds
  pooled (the pooled bootstrap resamples documents across folds), plus the fold mean ± std;
- a run (or fold) directory that also holds a novelty model (``RUN/novelty/``): its
  validation novelty is joined to the relation predictions first (relx.evaluate._novelty),
  so all four BioRED settings are scored;
- a run directory or checkpoint directory *and* a data file (``data=``): the model predicts
  the data first (torch is imported only on this path).

The scores of one prediction set are :func:`~relx.evaluate.score_predictions`'s dict.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from relx import __version__, rundir
from relx.errors import RelxWarning, RunDirError
from relx.evaluate._cv_threshold import cross_fitted_summary
from relx.evaluate._document_protocol import DOCUMENT_SETTINGS
from relx.evaluate._novelty import with_run_novelty
from relx.evaluate._predictions import Prediction, read_predictions
from relx.evaluate._score import EVAL_FORMAT_VERSION, score_predictions
from relx.labels import POSITIVE_LABELS

__all__ = ["evaluate", "EVAL_FILE", "detect_target"]

#: Default name of the scores file written next to what was scored.
EVAL_FILE = "eval.json"


def _is_checkpoint(path: Path) -> bool:
    return (path / rundir.CHECKPOINT_META_FILE).is_file() or any(
        path.glob("*.safetensors")
    )


def detect_target(path: str | os.PathLike[str]) -> str:
    """Classify TARGET as ``predictions``, ``run``, ``cv`` or ``checkpoint``.

    Raises:
        RunDirError: E601 when the path does not exist, E602 when it is none of these.
    """
    target = Path(path)
    if target.is_file():
        return "predictions"
    if not target.exists():
        raise RunDirError(f"{target}: no such file or directory; expected a run directory, "
                          "a CV directory, a checkpoint or a predictions file", code="E601")
    if (target / rundir.CV_FILE).is_file() or rundir.fold_dirs(target):
        return "cv"
    if (target / rundir.RUN_FILE).is_file() or (target / rundir.VAL_PREDICTIONS_FILE).is_file():
        return "run"
    if _is_checkpoint(target):
        return "checkpoint"
    raise RunDirError(
        f"{target}: not a run directory (no {rundir.RUN_FILE}), CV directory (no "
        f"{rundir.CV_FILE} or fold_k/), checkpoint (no {rundir.CHECKPOINT_META_FILE}) or "
        "predictions file",
        code="E602",
        hint="relx eval RUN_DIR | CV_DIR | predictions.jsonl | CHECKPOINT --data split.json",
    )


def _check_run_state(run: Path) -> None:
    """Refuse a run of an unknown format; warn (naming it) when it is unfinished.

    Raises:
        RunDirError: [E616] ``run.json`` has a format version this relx does not know.
    """
    info_path = run / rundir.RUN_FILE
    if info_path.is_file():
        from relx._io import read_json

        try:
            info = read_json(info_path)
        except ValueError as error:
            raise RunDirError(f"{info_path}: not valid JSON ({error}); expected relx's "
                              "run.json", code="E616") from None
        version = info.get("format_version") if isinstance(info, dict) else "?"
        if version is not None and version != rundir.RUN_FORMAT_VERSION:
            raise RunDirError(
                f"{info_path}: format_version {version!r}; expected "
                f"{rundir.RUN_FORMAT_VERSION} (relx {__version__}); its files may mean "
                "something else, so they are not scored",
                code="E616",
                hint="score its predictions file directly if you know its schema: relx eval "
                f"{run / rundir.VAL_PREDICTIONS_FILE}",
            )
    if not (run / rundir.COMPLETE_MARKER).exists():
        warnings.warn(
            f"{run}: the run is unfinished (no {rundir.COMPLETE_MARKER}); scoring the "
            "validation predictions it saved last, not its final model",
            RelxWarning,
            stacklevel=3,
        )


def _expected_folds(path: Path, found: list[Path]) -> list[str]:
    """Fold directory names a CV directory should hold: cv.json's folds, else 0..max."""
    planned: list[int] = []
    cv_file = path / rundir.CV_FILE
    if cv_file.is_file():
        from relx._io import read_json

        try:
            info = read_json(cv_file)
            planned = [int(k) for k in info.get("folds") or range(int(info["n_splits"]))]
        except (ValueError, KeyError, TypeError, AttributeError):
            planned = []
    if not planned and found:
        planned = list(range(max(int(p.name[5:]) for p in found) + 1))
    return [rundir.fold_dir_name(k) for k in planned]


def _run_predictions(run: Path) -> Path:
    path = run / rundir.VAL_PREDICTIONS_FILE
    if not path.is_file():
        complete = (run / rundir.COMPLETE_MARKER).exists()
        raise RunDirError(
            f"{run}: no saved validation predictions ({rundir.VAL_PREDICTIONS_FILE}); "
            + ("the run is complete but saved none" if complete else "the run is unfinished"),
            code="E603",
            hint=f"predict first: relx eval {run} --data VALIDATION_SPLIT.json",
        )
    return path


def _document_getter(setting: str) -> Any:
    return lambda s: s["document"]["settings"][setting]["f1"]


def _fold_summary(per_fold: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Mean ± std over folds of the pair protocol and of every BioRED setting all folds have
    (``document_{setting}_f1``; the novelty settings only when every fold scored novelty)."""
    summary: dict[str, Any] = {}
    metrics = {
        "f1": lambda s: s["pair"]["f1"],
        "precision": lambda s: s["pair"]["precision"],
        "recall": lambda s: s["pair"]["recall"],
        "accuracy": lambda s: s["pair"]["accuracy"],
    }
    for setting in DOCUMENT_SETTINGS:
        if all(setting in s["document"]["settings"] for s in per_fold.values()):
            metrics[f"document_{setting}_f1"] = _document_getter(setting)
    for name, get in metrics.items():
        values = [float(get(s)) for s in per_fold.values()]
        summary[name] = {
            "mean": float(np.mean(values)),
            # Sample std (ddof=1) as CV papers report it; 0 for a single fold.
            "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
            "values": values,
        }
    return summary


def evaluate(
    target: str | os.PathLike[str],
    *,
    data: str | os.PathLike[str] | None = None,
    labels: Sequence[str] = POSITIVE_LABELS,
    n_bootstrap: int = 1000,
    seed: int = 0,
    also_inflated: bool = False,
    batch_size: int = 32,
    device: str | None = None,
    predictions_out: str | os.PathLike[str] | None = None,
    trust_remote_code: bool = False,
    allow_missing_folds: bool = False,
) -> dict[str, Any]:
    """Score a predictions file, a run, a CV directory, or a checkpoint on ``data``.

    Args:
        target: What to score (module docstring).
        data: A labelled split/corpus file; the checkpoint of ``target`` (a run's best
            checkpoint, or a checkpoint directory) predicts it first.
        labels: Positive labels.
        n_bootstrap: Bootstrap resamples for the 95% intervals (0 disables them).
        seed: Bootstrap seed.
        also_inflated: Also compute the INFLATED gold-positive-only score.
        batch_size: Prediction batch size (only with ``data``).
        device: Prediction device, e.g. ``"cpu"`` or ``"cuda:0"`` (only with ``data``).
        predictions_out: Where to save predictions made from ``data`` (JSONL).
        trust_remote_code: Let the checkpoint run Python it ships (only with ``data``); off
            unless the user asks, whatever the checkpoint says.
        allow_missing_folds: Score a CV directory whose planned folds are not all there
            (a warning names them) instead of refusing (E617).

    Returns:
        ``{"format_version", "target", "kind", "scores": <score dict>}``; for a CV directory
        ``"scores"`` is the pooled score and ``"folds"`` and ``"fold_summary"`` are added.

    Raises:
        RunDirError: the target is missing or of an unknown kind, or has no predictions.
        DataError: a predictions or data file is malformed.
    """
    path = Path(target)
    kind = detect_target(path)
    common = {"labels": labels, "n_bootstrap": n_bootstrap, "seed": seed,
              "also_inflated": also_inflated}
    result: dict[str, Any] = {"format_version": EVAL_FORMAT_VERSION, "target": str(path),
                              "kind": kind}
    if data is not None:
        if kind == "predictions":
            raise RunDirError(
                f"{path} is a predictions file; --data needs a run or checkpoint directory",
                code="E604",
                hint=f"relx eval {path}",
            )
        from relx.evaluate._predict import predict_split

        # A CV directory predicts with the fold ensemble (relx.evaluate._loading).
        checkpoint = path / rundir.DIR_BEST if kind == "run" else path
        records = predict_split(checkpoint, data, batch_size=batch_size, device=device,
                                trust_remote_code=trust_remote_code)
        if predictions_out is not None:
            from relx.evaluate._predictions import write_predictions

            write_predictions(predictions_out, records)
        result["data"] = str(data)
        result["checkpoint"] = str(checkpoint)
        result["scores"] = score_predictions(records, source=str(data), **common)
        return result
    if kind == "predictions":
        result["scores"] = score_predictions(read_predictions(path), source=str(path), **common)
        return result
    if kind == "run":
        _check_run_state(path)
        source = _run_predictions(path)
        records = read_predictions(source)
        novelty = with_run_novelty(path, records)
        result["scores"] = score_predictions(records, source=str(source), **common)
        if novelty is not None:
            result["scores"]["novelty_source"] = novelty
        return result
    if kind == "checkpoint":
        raise RunDirError(
            f"{path} is a checkpoint; it needs data to predict",
            code="E604",
            hint=f"relx eval {path} --data split.json",
        )
    folds = rundir.fold_dirs(path)
    if not folds:
        raise RunDirError(f"{path}: CV directory without fold_k/ run directories",
                          code="E605", hint="run relx cv first, or point at a fold directory")
    present = {p.name for p in folds}
    missing = [name for name in _expected_folds(path, folds) if name not in present]
    if missing and not allow_missing_folds:
        raise RunDirError(
            f"{path}: fold directories {', '.join(missing)} are missing; a mean over the "
            f"other {len(folds)} fold(s) would pass for the whole cross-validation",
            code="E617",
            hint=f"finish them (relx cv CONFIG --out {path}), or score what is there: "
            f"relx eval {path} --allow-missing-folds",
        )
    if missing:
        warnings.warn(f"{path}: scoring without the missing fold(s) {', '.join(missing)} "
                      f"(--allow-missing-folds): {len(folds)} fold(s) only", RelxWarning,
                      stacklevel=2)
    per_fold: dict[str, dict[str, Any]] = {}
    pooled: list[Prediction] = []
    seen_ids: set[str] = set()
    skipped: list[str] = []
    for fold in folds:
        if not (fold / rundir.VAL_PREDICTIONS_FILE).is_file():
            skipped.append(fold.name)  # still training, or failed: score the others
            continue
        _check_run_state(fold)
        source = fold / rundir.VAL_PREDICTIONS_FILE
        records = read_predictions(source)
        novelty = with_run_novelty(fold, records)
        per_fold[fold.name] = score_predictions(records, source=str(source), **common)
        if novelty is not None:
            per_fold[fold.name]["novelty_source"] = novelty
        for record in records:
            # Folds are split by document, so ids never repeat; if a tool's ids do, keep
            # them apart in the pooled set rather than silently merging rows.
            if record.id in seen_ids:
                record.id = f"{fold.name}:{record.id}"
            seen_ids.add(record.id)
        pooled.extend(records)
    if not per_fold:
        raise RunDirError(
            f"{path}: no fold has saved validation predictions yet ({', '.join(skipped)})",
            code="E603",
            hint=f"wait for the folds to finish, or resume: relx cv CONFIG --out {path}",
        )
    result["folds"] = per_fold
    result["skipped_folds"] = skipped
    result["missing_folds"] = missing
    result["fold_summary"] = _fold_summary(per_fold)
    result["threshold_cross_fitted"] = cross_fitted_summary(
        {fold.name: fold / rundir.VAL_PREDICTIONS_FILE for fold in folds if fold.name in per_fold})
    result["scores"] = score_predictions(pooled, source=f"{path} (all folds pooled)", **common)
    return result
