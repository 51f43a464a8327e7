"""Novelty predictions next to relation predictions: BioRED's fourth dimension.

A run directory that holds both models keeps the novelty model as a run directory of its own
in ``RUN/novelty/`` (``relx.rundir.NOVELTY_DIR``); a CV directory trained with ``cv.tasks:
[relation, novelty]`` keeps fold k's novelty model in ``CV/novelty/fold_k/`` (same folds).
This module puts the two together:

- :func:`read_novelty_predictions`: ``id -> predicted novelty`` from the novelty run's
  ``predictions/val.jsonl`` (rows carry ``pred_novel``; rows whose ``pred`` is the novelty
  task's own label ``Novel``/``No`` are read too);
- :func:`join_novelty`: fill ``pred_novel`` of relation predictions from such a mapping, only
  on pairs predicted as a relation (novelty is a property of a relation);
- :func:`with_run_novelty`: both for a run directory, used by ``relx eval`` / ``relx report``.

Why joining validation files is exact: the novelty model reads a pair independently of the
relation prediction, and it validates on every gold relation of known novelty. In the BioRED
settings novelty only decides the gold relations that were also predicted (a predicted
relation on a ``NOT`` pair is a false positive whatever its novelty, and gold relations of
unknown novelty are left out), so the joined scores equal those of running the novelty model
on the predicted relations, as ``relx predict`` does (:func:`predict_novelty`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from relx import rundir
from relx.errors import DataError
from relx.evaluate._predictions import Prediction

__all__ = [
    "NOVEL_LABEL",
    "NOT_NOVEL_LABEL",
    "read_novelty_predictions",
    "join_novelty",
    "novelty_run_dir",
    "with_run_novelty",
    "predict_novelty",
    "NoveltyPredictor",
]

#: The novelty task's two classes (BioRED's ``novel`` values).
NOVEL_LABEL = "Novel"
NOT_NOVEL_LABEL = "No"


def _novelty_of(obj: Any, path: str, line: int) -> tuple[str, bool | None]:
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), (str, int)):
        raise DataError("expected a prediction object with an 'id'", path=path, line=line,
                        code="E502", hint="see docs/predictions.md")
    value = obj.get("pred_novel")
    if value is None and obj.get("pred") in (NOVEL_LABEL, NOT_NOVEL_LABEL):
        value = obj["pred"] == NOVEL_LABEL
    if value is not None and not isinstance(value, bool):
        raise DataError(f"field 'pred_novel' must be true, false or null; got {value!r}",
                        path=path, line=line, code="E502", hint="see docs/predictions.md")
    return str(obj["id"]), value


def read_novelty_predictions(path: str | os.PathLike[str]) -> dict[str, bool]:
    """``id -> predicted novelty`` of a novelty model's prediction file (nulls skipped).

    Raises:
        DataError: E501 a line is not JSON, E502 a row without ``id`` or with a non-boolean
            ``pred_novel``, E505 the file is missing.
    """
    source = str(path)
    try:
        handle = open(path, encoding="utf-8")
    except FileNotFoundError:
        raise DataError("novelty prediction file not found", path=source, code="E505",
                        hint="train the novelty model first (relx train --set task=novelty)"
                        ) from None
    out: dict[str, bool] = {}
    with handle:
        for lineno, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as error:
                raise DataError(f"not valid JSON ({error.msg} at column {error.colno})",
                                path=source, line=lineno, code="E501") from None
            key, value = _novelty_of(obj, source, lineno)
            if value is not None:
                out[key] = value
    return out


def join_novelty(
    records: Sequence[Prediction],
    novelty: Mapping[str, bool],
    *,
    negative_label: str = "NOT",
) -> dict[str, int]:
    """Set ``pred_novel`` of every record predicted as a relation whose id ``novelty`` has.

    Records predicted ``negative_label`` keep ``pred_novel = None``; a record already carrying
    a predicted novelty is overwritten (the novelty model is the source of truth here).

    Returns:
        ``{"joined": n, "relations_without_novelty": m}``: relations that got a novelty and
        predicted relations the mapping does not cover (left ``None``).
    """
    joined = missing = 0
    for record in records:
        if record.pred == negative_label:
            continue
        value = novelty.get(record.id)
        if value is None:
            missing += 1
            continue
        record.pred_novel = value
        joined += 1
    return {"joined": joined, "relations_without_novelty": missing}


def novelty_run_dir(run: str | os.PathLike[str]) -> Path | None:
    """The novelty model's run directory that goes with the relation run ``run``, if any.

    ``RUN/novelty/`` for a single run; for fold ``k`` of a CV directory trained with
    ``cv.tasks: [relation, novelty]``, ``CV/novelty/fold_k/`` (same folds, relx.train).
    """
    path = Path(run)
    for candidate in (path / rundir.NOVELTY_DIR, path.parent / rundir.NOVELTY_DIR / path.name):
        if candidate.is_dir() and candidate.resolve() != path.resolve():
            return candidate
    return None


def with_run_novelty(
    run: str | os.PathLike[str], records: Sequence[Prediction]
) -> dict[str, Any] | None:
    """Join the novelty run's validation predictions into ``records`` (in place).

    Returns:
        ``None`` when ``run`` holds no novelty predictions; else ``{"source", "joined",
        "relations_without_novelty"}`` (recorded in ``eval.json``).
    """
    novelty_dir = novelty_run_dir(run)
    if novelty_dir is None:
        return None
    source = novelty_dir / rundir.VAL_PREDICTIONS_FILE
    if not source.is_file():
        return None
    counts = join_novelty(records, read_novelty_predictions(source))
    return {"source": str(source), **counts}


class NoveltyPredictor:
    """A loaded novelty model that fills ``pred_novel`` of predicted relations, batch by batch.

    Loaded once and reused for every chunk of a streaming prediction; only pairs predicted as
    a relation are run through it, the others keep ``pred_novel = None``.
    """

    def __init__(self, novelty_run: str | os.PathLike[str], *, batch_size: int = 32,
                 device: str | None = None) -> None:
        from relx.evaluate._predict import resolve_checkpoint

        self.checkpoint = resolve_checkpoint(novelty_run)
        self.batch_size = batch_size
        self.device = device
        self._loaded: tuple[Any, Any, dict[str, Any]] | None = None

    def _load(self) -> tuple[Any, Any, dict[str, Any]]:
        """The novelty model, its tokenizer and its recorded representation settings."""
        from relx.evaluate._predict import _load, _representation

        model, tokenizer, info = _load(self.checkpoint)
        return model, tokenizer, _representation(self.checkpoint, info)

    def fill(self, records: Sequence[Prediction], examples: Sequence[Any], *,
             negative_label: str = "NOT", progress: bool = False) -> tuple[int, int]:
        """Set ``pred_novel`` on the relations among ``records``; (relations, novel) counts."""
        from relx.evaluate._predict import predict_examples

        if len(records) != len(examples):
            raise ValueError(f"{len(records)} predictions for {len(examples)} examples")
        positive = [i for i, r in enumerate(records) if r.pred != negative_label]
        if not positive:
            return 0, 0
        if self._loaded is None:  # loaded on first use: a chunk without relations costs nothing
            self._loaded = self._load()
        model, tokenizer, settings = self._loaded
        # The encoder checks each example's label against the model's classes; the relation
        # label means nothing to a novelty model and only the prediction is kept, so the
        # pairs go in labelled with the novelty model's class 0.
        inputs = [dataclasses.replace(examples[i], label=model.labels[0]) for i in positive]
        outputs = predict_examples(model, tokenizer, inputs, representation=settings,
                                   batch_size=self.batch_size, device=self.device,
                                   progress=progress)
        n_novel = 0
        for i, output in zip(positive, outputs):
            records[i].pred_novel = output.pred == NOVEL_LABEL
            n_novel += records[i].pred_novel
        return len(positive), n_novel


def predict_novelty(
    records: Sequence[Prediction],
    examples: Sequence[Any],
    novelty_run: str | os.PathLike[str],
    *,
    negative_label: str = "NOT",
    batch_size: int = 32,
    device: str | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Run a novelty model on the pairs predicted as a relation and fill their ``pred_novel``.

    ``records[i]`` must be the relation prediction of ``examples[i]`` (what
    :func:`relx.evaluate.predict_examples` returns). Pairs predicted ``negative_label`` are
    not run through the novelty model and keep ``pred_novel = None``.

    Args:
        records: Relation predictions, updated in place.
        examples: The :class:`~relx.data.PairExample` objects they were made from.
        novelty_run: The novelty run directory (or its model directory).
        negative_label: The relation model's "no relation" class.
        batch_size: Examples per forward pass.
        device: ``cpu``/``cuda``/...; ``None`` picks CUDA when available.
        progress: Show a progress bar.

    Returns:
        ``{"checkpoint", "n_relations", "n_novel"}``.
    """
    predictor = NoveltyPredictor(novelty_run, batch_size=batch_size, device=device)
    n_relations, n_novel = predictor.fill(records, examples, negative_label=negative_label,
                                          progress=progress)
    return {"checkpoint": str(predictor.checkpoint), "n_relations": n_relations,
            "n_novel": n_novel}
