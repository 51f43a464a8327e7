"""One loader for prediction: a run or model directory gives its model, a CV directory the
:class:`relx.models.FoldEnsemble` of its folds' best checkpoints (issue 15, item 2)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from relx import rundir
from relx.errors import RunDirError

__all__ = ["load_for_prediction", "is_cv_dir", "decision_threshold"]


def _fold_models(path: Path) -> list[Path]:
    from relx.models import MODEL_INFO_FILE

    return [f / rundir.DIR_BEST for f in rundir.fold_dirs(path)
            if (f / rundir.DIR_BEST / MODEL_INFO_FILE).is_file()]


def is_cv_dir(path: str | os.PathLike[str]) -> bool:
    """A CV directory (``cv.json`` or ``fold_k/``) rather than one run or model."""
    p = Path(path)
    return (p / rundir.CV_FILE).is_file() or bool(rundir.fold_dirs(p))


def load_for_prediction(path: str | os.PathLike[str], *, device: Any = None,
                        trust_remote_code: bool = False) -> tuple[Any, Any, Any]:
    """``(model, tokenizer, info)``: a ``RelationClassifier`` for a run or model directory, a
    ``FoldEnsemble`` of every finished fold for a CV directory (their tokenizers are one: the
    first fold's is returned).

    Raises:
        RunDirError: E607 no model there; a CV directory without a finished fold.
    """
    from relx.evaluate._predict import resolve_checkpoint
    from relx.models import FoldEnsemble, load_classifier

    p = Path(path)
    if not is_cv_dir(p):
        return load_classifier(resolve_checkpoint(p), device=device,
                               trust_remote_code=trust_remote_code)
    found = _fold_models(p)
    if not found:
        raise RunDirError(f"{p}: CV directory without a finished fold ({rundir.DIR_BEST}); "
                          "expected fold_k/checkpoints/best", code="E607",
                          hint=f"finish the CV first: relx cv CONFIG --out {p}")
    loaded = [load_classifier(d, device=device, trust_remote_code=trust_remote_code)
              for d in found]
    ensemble = FoldEnsemble([m for m, _, _ in loaded], names=[d.parent.parent.name for d in found])
    return ensemble, loaded[0][1], ensemble.info


def decision_threshold(path: str | os.PathLike[str]) -> float | None:
    """The saved ``NOT`` threshold: the model's ``decision.json``; for a CV directory the
    mean of its folds' (each tuned on its own validation fold); ``None`` when none is saved."""
    from relx.evaluate._decision import load_decision_threshold
    from relx.evaluate._predict import resolve_checkpoint

    p = Path(path)
    if not is_cv_dir(p):
        return load_decision_threshold(resolve_checkpoint(p))
    values = [t for d in _fold_models(p) if (t := load_decision_threshold(d)) is not None]
    return sum(values) / len(values) if values else None
