"""The prediction JSONL file: one scored candidate pair per line, readable from any tool.

Schema (docs/architecture.md, docs/predictions.md), one JSON object per line::

    {"id": "<relation_id>", "document_id": "...", "entity_a_id": "...", "entity_b_id": "...",
     "type_a": "...", "type_b": "...", "gold": "<label>|null", "gold_novel": true|false|null,
     "pred": "<label>", "pred_novel": true|false|null, "probs": {"<label>": p, ...}}

- ``id`` is unique in a file (the pair's ``relation_id``); ``document_id`` groups pairs into
  documents (the BioRED protocol and the bootstrap resample documents).
- ``gold`` is ``null`` when the input had no gold (prediction on new text); ``pred`` is
  required. Labels are ``NOT``, one of the 8 relation types, or a label the file itself
  declares in some line's ``probs`` (a run with custom ``data.labels`` writes every class
  there), or one passed to :func:`read_predictions` as ``labels``.
- ``gold_novel``/``pred_novel`` are ``null`` when unknown; the novelty settings of the
  document protocol are scored only when both are present.
- ``probs`` (optional, may be ``null``) maps labels to probabilities; precision-recall
  curves need it. ``type_a``/``type_b`` may be ``null`` for tools that do not know them.

:func:`read_predictions` validates every line and raises
:class:`~relx.errors.DataError` with ``file:line`` on the first bad one.

Error codes: E501 malformed JSON line · E502 missing or mistyped field · E503 unknown label ·
E504 duplicate id · E505 no predictions in the file · E509 file not found
(the catalog: relx.error_codes, docs/errors.md).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from relx._io import atomic_open
from relx._text import open_utf8
from relx.errors import DataError
from relx.labels import ALL_LABELS, NOT_LABEL

__all__ = ["Prediction", "write_predictions", "read_predictions", "predictions_from_probs"]

_FIELDS = (
    "id", "document_id", "entity_a_id", "entity_b_id", "type_a", "type_b",
    "gold", "gold_novel", "pred", "pred_novel", "probs",
)
# The novelty task's classes (a novelty run's predictions/val.jsonl, relx.tasks) are labels too.
_KNOWN_LABELS = frozenset((*ALL_LABELS, "Novel", "No"))


class _Vocabulary:
    """The labels a file may use: the built-in ones (or the caller's ``labels``) plus every
    ``probs`` key a line declares, from that line on (a relx-written file declares every
    class on every line, so a custom ``data.labels`` run reads back)."""

    def __init__(self, labels: Iterable[str] | None = None) -> None:
        self.known = set(_KNOWN_LABELS if labels is None else labels)

    def learn(self, obj: Any) -> None:
        probs = obj.get("probs") if isinstance(obj, dict) else None
        if isinstance(probs, dict):
            self.known.update(k for k in probs if isinstance(k, str) and k)

    def listed(self) -> str:
        ordered = [lab for lab in ALL_LABELS if lab in self.known]
        return ", ".join(ordered + sorted(self.known - set(ALL_LABELS)))


@dataclass(slots=True)
class Prediction:
    """One scored candidate pair (one line of a prediction file)."""

    id: str
    document_id: str
    entity_a_id: str
    entity_b_id: str
    pred: str
    gold: str | None = None
    type_a: str | None = None
    type_b: str | None = None
    gold_novel: bool | None = None
    pred_novel: bool | None = None
    probs: dict[str, float] | None = None

    @property
    def pair_key(self) -> tuple[str, str, str]:
        """``(document_id, min concept, max concept)``: the BioRED scoring unit."""
        a, b = sorted((self.entity_a_id, self.entity_b_id))
        return (self.document_id, a, b)

    def to_json(self) -> dict[str, Any]:
        """The schema's JSON object, keys in schema order."""
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any], *, where: str = "<record>") -> Prediction:
        """Validate one schema object; raises DataError (E502/E503) naming ``where``."""
        return _parse(obj, path=where, line=None, vocabulary=_Vocabulary())


def _fail(code: str, message: str, path: str | None, line: int | None) -> DataError:
    return DataError(
        message,
        path=path,
        line=line,
        code=code,
        hint="see docs/predictions.md for the prediction JSONL schema",
    )


def _parse(obj: Any, *, path: str | None, line: int | None, vocabulary: _Vocabulary) -> Prediction:
    vocabulary.learn(obj)
    if not isinstance(obj, dict):
        raise _fail("E502", f"expected a JSON object; got {type(obj).__name__}", path, line)
    values: dict[str, Any] = {}
    for name in ("id", "document_id", "entity_a_id", "entity_b_id"):
        value = obj.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # other tools write PMIDs as numbers; the id is the same
        if not isinstance(value, str) or not value:
            raise _fail(
                "E502", f"field {name!r} must be a non-empty string; got {value!r}", path, line
            )
        values[name] = value
    for name in ("type_a", "type_b"):
        value = obj.get(name)
        if value is not None and not isinstance(value, str):
            raise _fail("E502", f"field {name!r} must be a string or null; got {value!r}",
                        path, line)
        values[name] = value
    if "pred" not in obj:
        raise _fail("E502", "field 'pred' is missing; every line needs a predicted label",
                    path, line)
    for name, nullable in (("pred", False), ("gold", True)):
        value = obj.get(name)
        if value is None and nullable:
            values[name] = None
            continue
        if not isinstance(value, str) or value not in vocabulary.known:
            raise _fail(
                "E503",
                f"field {name!r} must be one of {vocabulary.listed()}"
                f"{' or null' if nullable else ''}; got {value!r}",
                path,
                line,
            )
        values[name] = value
    for name in ("gold_novel", "pred_novel"):
        value = obj.get(name)
        if value is not None and not isinstance(value, bool):
            raise _fail("E502", f"field {name!r} must be true, false or null; got {value!r}",
                        path, line)
        values[name] = value
    probs = obj.get("probs")
    if probs is not None:
        if not isinstance(probs, dict):
            raise _fail("E502", f"field 'probs' must be an object label -> probability; "
                        f"got {type(probs).__name__}", path, line)
        clean: dict[str, float] = {}
        for label, p in probs.items():
            if not isinstance(label, str) or not label:
                raise _fail("E503", f"'probs' has an empty label {label!r}; expected label "
                            f"names such as {vocabulary.listed()}", path, line)
            if (
                isinstance(p, bool)
                or not isinstance(p, (int, float))
                or not math.isfinite(p)
                or not -1e-6 <= p <= 1 + 1e-6
            ):
                raise _fail("E502", f"'probs'[{label!r}] must be a number in [0, 1]; got {p!r}",
                            path, line)
            clean[label] = float(p)
        probs = clean
    values["probs"] = probs
    return Prediction(**values)


def write_predictions(
    path: str | os.PathLike[str], records: Iterable[Prediction | Mapping[str, Any]]
) -> int:
    """Write predictions as JSONL, atomically (the file appears complete or not at all).

    Args:
        path: Target file (parent directories are created).
        records: :class:`Prediction` objects or schema dicts (dicts are validated first, so a
            bad record fails here rather than at scoring time).

    Returns:
        The number of lines written.
    """
    n = 0
    vocabulary = _Vocabulary()
    with atomic_open(path) as handle:
        for i, record in enumerate(records):
            if not isinstance(record, Prediction):
                # The line number is where the record would have been written.
                record = _parse(record, path=str(path), line=i + 1, vocabulary=vocabulary)
            handle.write(json.dumps(record.to_json(), ensure_ascii=False))
            handle.write("\n")
            n += 1
    return n


def read_predictions(
    path: str | os.PathLike[str], *, labels: Iterable[str] | None = None
) -> list[Prediction]:
    """Read and validate a prediction JSONL file.

    Blank lines are skipped. Every line must satisfy the schema (module docstring); ids must
    be unique so that two prediction sets can be aligned for a paired test. Labels must be
    ``labels`` (default: relx's built-in labels) or declared in the file's ``probs``.

    Raises:
        DataError: E501 bad JSON, E502 missing/mistyped field, E503 unknown label, E504
            duplicate id, E505 empty file, E509 no such file; always with ``file:line``.
    """
    source = str(path)
    records: list[Prediction] = []
    seen: dict[str, int] = {}
    if not Path(path).exists():
        raise DataError("prediction file not found", path=source, code="E509",
                        hint="pass a file written by `relx predict` or a run's "
                             "predictions/val.jsonl")
    handle = open_utf8(path, what="a prediction JSONL file (docs/predictions.md)")
    vocabulary = _Vocabulary(labels)
    with handle:
        for lineno, raw in enumerate(handle, start=1):
            text = raw.strip()
            if not text:
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as error:
                raise _fail("E501", f"not valid JSON ({error.msg} at column {error.colno})",
                            source, lineno) from None
            record = _parse(obj, path=source, line=lineno, vocabulary=vocabulary)
            if record.id in seen:
                raise _fail("E504", f"duplicate id {record.id!r} (first on line "
                            f"{seen[record.id]}); ids must be unique", source, lineno)
            seen[record.id] = lineno
            records.append(record)
    if not records:
        raise _fail("E505", "no predictions in the file; expected one JSON object per line",
                    source, None)
    return records


def predictions_from_probs(
    examples: Sequence[Any],
    probs: Any,
    *,
    labels: Sequence[str] = ALL_LABELS,
    pred_novel: Sequence[bool | None] | None = None,
    threshold: float | None = None,
) -> list[Prediction]:
    """Turn per-example probabilities into prediction records (for train and predict).

    Args:
        examples: :class:`~relx.data.PairExample` objects (``label`` is taken as gold unless
            ``None``; ``novel`` is gold novelty for gold positives, ``None`` = unknown).
        probs: ``[N, len(labels)]`` probabilities (numpy array, tensor or nested lists).
        labels: Column order of ``probs`` (the model's label order, ``NOT`` first by default).
        pred_novel: Optional predicted novelty per example.
        threshold: ``None`` takes the arg-max label. A float predicts a relation only when
            ``1 - p(NOT) >= threshold`` and then takes the most probable relation type, so
            one knob trades precision for recall regardless of how many types there are.

    Returns:
        One :class:`Prediction` per example, in order.
    """
    import numpy as np

    matrix = np.asarray(probs.detach().cpu().float() if hasattr(probs, "detach") else probs,
                        dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape != (len(examples), len(labels)):
        raise ValueError(
            f"probs must have shape [{len(examples)}, {len(labels)}]; got {matrix.shape}"
        )
    labels = list(labels)
    not_col = labels.index(NOT_LABEL) if NOT_LABEL in labels else None
    if threshold is None or not_col is None:
        chosen = matrix.argmax(axis=1)
    else:
        positive = matrix.copy()
        positive[:, not_col] = -np.inf
        best_positive = positive.argmax(axis=1)
        p_relation = 1.0 - matrix[:, not_col]
        # ``> 0`` too: a pair the type-pair mask ruled out (p(relation) = 0) never gets a
        # relation, not even at threshold 0.
        chosen = np.where((p_relation >= threshold) & (p_relation > 0), best_positive, not_col)
    out: list[Prediction] = []
    for i, example in enumerate(examples):
        gold = getattr(example, "label", None)
        novel = getattr(example, "novel", None)
        # Gold novelty is only meaningful when the source annotates it (BioRED does, LitCoin
        # test does not): unknown (None) stays None, never False; a NOT pair is never novel.
        if gold is None or novel is None:
            gold_novel = None
        else:
            gold_novel = bool(novel) and gold != NOT_LABEL
        spans_a = getattr(example, "entity_a", None) or []
        spans_b = getattr(example, "entity_b", None) or []
        out.append(
            Prediction(
                id=str(example.relation_id),
                document_id=str(example.document_id),
                entity_a_id=str(example.entity_a_id),
                entity_b_id=str(example.entity_b_id),
                type_a=spans_a[0][2] if spans_a else None,
                type_b=spans_b[0][2] if spans_b else None,
                gold=gold,
                gold_novel=gold_novel,
                pred=labels[int(chosen[i])],
                pred_novel=None if pred_novel is None else pred_novel[i],
                probs={lab: round(float(p), 6) for lab, p in zip(labels, matrix[i])},
            )
        )
    return out
