"""``predict``: run a trained model on a corpus and write the relations back.

Any format :func:`relx.data.read_corpus` reads goes in (PubTator, BioC XML/JSON, LitCoin,
split JSON); candidate pairs are built with the run's own pair context, encoded with the
model's own representation (style, prompt, length limit, recorded in ``relx_model.json`` or
the run's resolved config), scored in batches, and written as PubTator, BioC XML/JSON (the
input documents with the predicted relations, each with its ``score``) or the prediction
JSONL schema (every candidate pair with all probabilities).

Decision rule: a pair gets a relation when ``p(relation) = 1 - p(NOT) >= threshold``; its type
is the most probable relation type, and the written score is ``p(relation)``, so every written
relation has ``score >= threshold`` and one knob trades precision for recall.

Type-pair masking: when the model carries a type-pair mask (labels seen per entity-type
pair in training), pairs whose types never carried any relation are not run through the
model at all (they are ``NOT`` with probability 1) and the other pairs' impossible labels
are masked out of the logits.

torch and transformers are imported here, inside functions, never on the scoring path.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from relx import rundir
from relx._guard import check_output_file
from relx._precision import float32_matmul_scope
from relx.errors import ConfigError, RunDirError
from relx.evaluate._loading import decision_threshold, is_cv_dir, load_for_prediction
from relx.evaluate._novelty import novelty_run_dir, predict_novelty
from relx.evaluate._predictions import Prediction, predictions_from_probs, write_predictions
from relx.labels import NOT_LABEL

__all__ = ["predict", "predict_examples", "predict_split", "resolve_checkpoint", "score_pairs",
           "OUTPUT_FORMATS"]

logger = logging.getLogger("relx.evaluate")

#: Output formats of ``relx predict``.
OUTPUT_FORMATS: tuple[str, ...] = ("pubtator", "bioc_xml", "bioc_json", "jsonl")

# Used when neither the model nor the run records a setting (a model saved by hand).
_DEFAULT_REPRESENTATION: dict[str, Any] = {
    "style": "typed_entity_marker_punct",
    "prompt": False,
    "max_length_tokens": 512,
    "use_chat_template": True,
    "context": "multi_sentence",
    "symmetric": False,
}


def resolve_checkpoint(target: str | os.PathLike[str]) -> Path:
    """The model directory of a run (``checkpoints/best``) or a model directory itself.

    Raises:
        RunDirError: E607 no model found (unfinished run, CV directory, wrong path).
    """
    from relx.models import MODEL_INFO_FILE

    path = Path(target)
    if (path / MODEL_INFO_FILE).is_file():
        return path
    best = path / rundir.DIR_BEST
    if (best / MODEL_INFO_FILE).is_file():
        return best
    if (path / rundir.CV_FILE).is_file() or (path / rundir.fold_dir_name(0)).is_dir():
        raise RunDirError(
            f"{path} is a CV directory; expected one run (one model)",
            code="E607",
            hint=f"pick a fold: relx predict {path}/fold_0 ...",
        )
    raise RunDirError(
        f"{path}: no saved model ({rundir.DIR_BEST}/{MODEL_INFO_FILE}); expected a finished "
        "run directory or a model directory",
        code="E607",
        hint="train first (relx train CONFIG --out RUN), or point at RUN/checkpoints/best",
    )


def _representation(checkpoint: Path, info: Any) -> dict[str, Any]:
    """Representation settings: defaults < the run's resolved config < the model's own."""
    settings = dict(_DEFAULT_REPRESENTATION)
    for candidate in (checkpoint.parent.parent / rundir.CONFIG_FILE,
                      checkpoint / rundir.CONFIG_FILE):
        if candidate.is_file():
            import yaml

            config = yaml.safe_load(candidate.read_text(encoding="utf-8")) or {}
            represent = config.get("represent") or {}
            settings.update({k: v for k, v in represent.items() if k in settings})
            context = (config.get("data") or {}).get("context")
            if context:
                settings["context"] = context
            break
    settings.update({k: v for k, v in (info.representation or {}).items() if v is not None})
    return settings


def _device(device: str | None) -> Any:
    import torch

    if device is None:
        chosen = "cuda" if torch.cuda.is_available() else "cpu"
        logger.info("device=%s (auto: %s)", chosen,
                    "CUDA available" if chosen == "cuda" else "no CUDA device")
        return torch.device(chosen)
    try:
        return torch.device(device)
    except RuntimeError as error:
        raise ConfigError(f"--device {device!r} is not a torch device ({error}); expected "
                          "e.g. cpu, cuda, cuda:1", code="E508") from None


def score_pairs(
    model: Any,
    tokenizer: Any,
    examples: Sequence[Any],
    *,
    settings: dict[str, Any],
    device: Any,
    batch_size: int = 32,
    max_tokens_per_batch: int | None = None,
    on_batch: Any = None,
) -> tuple[Any, int]:
    """``[n, labels]`` probabilities (float64 numpy, input order) and the pairs skipped.

    The one scoring step of ``relx predict``, ``relx eval --data``, the streaming predictor
    and ``relx.load``: pairs whose entity types allow only ``NOT`` under the model's
    type-pair mask get ``NOT`` with probability 1 and no forward pass; the others are encoded
    with the model's representation (``settings``) and scored through the one inference path,
    ``relx.models.iter_probabilities``.
    """
    import numpy as np

    from relx.represent import ORDER_VIEWS, both_orders, encode_examples

    labels = list(model.labels)
    mask = getattr(model, "type_pair_mask", None)
    probs = np.zeros((len(examples), len(labels)), dtype=np.float64)
    run_index: list[int] = []
    for i, example in enumerate(examples):
        if (mask is not None and NOT_LABEL in labels
                and mask.allowed(example.type_a, example.type_b) <= {NOT_LABEL}):
            probs[i, labels.index(NOT_LABEL)] = 1.0
        else:
            run_index.append(i)
    if run_index:
        # represent.symmetric: both entity orders, their probabilities averaged
        # (relx.models.iter_view_probabilities).
        views = ORDER_VIEWS if settings.get("symmetric") else 1
        chosen = [examples[i] for i in run_index]
        encoded = encode_examples(
            both_orders(chosen) if views > 1 else chosen,
            tokenizer,
            style=settings["style"],
            prompt=bool(settings["prompt"]),
            labels=labels,
            max_length_tokens=settings["max_length_tokens"],
            # As the training engine: None = the tokenizer's template when it has one.
            chat_template=None if settings["use_chat_template"] else False,
            question=settings.get("prompt_question"),
        ).examples
        pad_id = model.info.pad_token_id
        if pad_id is None:
            pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        model.to(device)
        with inference_autocast(settings.get("mixed_precision"), device), \
                float32_matmul_scope(settings.get("tf32")):
            _score_into(probs, run_index, model, encoded, views=views, pad_id=int(pad_id),
                        device=device, settings=settings, batch_size=batch_size,
                        max_tokens_per_batch=max_tokens_per_batch, mask=mask,
                        on_batch=on_batch)
    return probs, len(examples) - len(run_index)


def inference_autocast(mixed_precision: str | None, device: Any) -> Any:
    """The autocast the model trained under, on the same device type, for inference.

    A run trained with bf16/fp16 autocast on CUDA validated under it
    (relx/train/_validation.py); scoring its checkpoint the same way makes ``relx eval
    --data`` and ``relx predict`` give the numbers of training-time validation (and run at
    bf16 speed). Elsewhere (CPU, or a run that trained in fp32) nothing is autocast.
    """
    import contextlib

    import torch

    dtypes = {"bf16": torch.bfloat16, "fp16": torch.float16}
    if mixed_precision in dtypes and torch.device(device).type == "cuda":
        return torch.autocast("cuda", dtype=dtypes[mixed_precision])
    return contextlib.nullcontext()


def _score_into(probs: Any, run_index: list[int], model: Any, encoded: Any, *, views: int,
                pad_id: int, device: Any, settings: dict[str, Any], batch_size: int,
                max_tokens_per_batch: int | None, mask: Any, on_batch: Any) -> None:
    """Fill ``probs[run_index]`` from the one inference path, chunk by chunk."""
    from relx.models import iter_view_probabilities

    for chunk in iter_view_probabilities(
        model, encoded, views=views, pad_token_id=pad_id, device=device,
        batching=settings.get("batching", "padded"),
        max_tokens_per_batch=max_tokens_per_batch, max_batch_size=batch_size,
        window=max(4 * batch_size, 256), mask=mask,
    ):
        rows = run_index[chunk.start:chunk.start + len(chunk.probs)]
        probs[rows] = chunk.probs.double().numpy()
        if on_batch is not None:
            on_batch(len(rows))


def predict_examples(
    model: Any,
    tokenizer: Any,
    examples: Sequence[Any],
    *,
    representation: dict[str, Any] | None = None,
    batch_size: int = 32,
    device: str | None = None,
    threshold: float | None = None,
    progress: bool = False,
) -> list[Prediction]:
    """Score pair examples with a loaded :class:`~relx.models.RelationClassifier`.

    Args:
        model: The classifier (``load_classifier``'s first value).
        tokenizer: Its tokenizer.
        examples: :class:`~relx.data.PairExample` objects (their ``label`` becomes ``gold``).
        representation: ``style``/``prompt``/``max_length_tokens``/``use_chat_template``/
            ``padding_side``; default: the model's recorded settings.
        batch_size: Examples per forward pass (sorted by length to cut padding).
        device: ``cpu``, ``cuda``, ``cuda:1``...; ``None`` picks CUDA when available.
        threshold: ``None``: arg-max label. A float: relation iff ``1 - p(NOT) >= threshold``.
        progress: Show a rich progress bar (the CLI does; the library is silent by default).

    Returns:
        One :class:`Prediction` per example, in input order.
    """
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1; got {batch_size}", code="E508")
    settings = dict(_DEFAULT_REPRESENTATION)
    settings.update(representation if representation is not None
                    else {k: v for k, v in (model.info.representation or {}).items()
                          if v is not None})
    bar = task = None
    if progress:
        from rich.progress import Progress

        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task("predicting", total=len(examples))
    try:
        probs, _ = score_pairs(
            model, tokenizer, examples, settings=settings, device=_device(device),
            batch_size=batch_size,
            on_batch=(lambda n: bar.advance(task, n)) if bar is not None else None,
        )
    finally:
        if bar is not None:
            bar.stop()
    return predictions_from_probs(examples, probs, labels=list(model.labels),
                                  threshold=threshold)


def _load(checkpoint: Path, *, trust_remote_code: bool = False) -> tuple[Any, Any, Any]:
    from relx.models import load_classifier

    # The flag comes from the caller (the user's --trust-remote-code), never the checkpoint.
    return load_classifier(checkpoint, trust_remote_code=trust_remote_code)


def _read_examples(data: str | os.PathLike[str], context: str) -> list[Any]:
    from relx.data import ProblemLog, build_pairs, detect_format, read_corpus, read_split

    if detect_format(data) == "split_json":
        return read_split(data)
    log = ProblemLog()
    return build_pairs(read_corpus([data], log=log), context=context, log=log)


def predict_split(
    checkpoint: str | os.PathLike[str],
    data: str | os.PathLike[str],
    *,
    batch_size: int = 32,
    device: str | None = None,
    progress: bool = False,
    trust_remote_code: bool = False,
) -> list[Prediction]:
    """Predict a labelled split or corpus file with a saved model (``relx eval --data``).

    Split JSON keeps its own pairs (ids match the split); a corpus is paired with the run's
    context. Predictions take the arg-max label, as the training engine's validation does.
    """
    path = Path(checkpoint) if is_cv_dir(checkpoint) else resolve_checkpoint(checkpoint)
    model, tokenizer, info = load_for_prediction(path, trust_remote_code=trust_remote_code)
    settings = _representation(path, info)
    examples = _read_examples(data, settings["context"])
    return predict_examples(model, tokenizer, examples, representation=settings,
                            batch_size=batch_size, device=device, progress=progress)


def predict(
    run: str | os.PathLike[str],
    inputs: Sequence[str | os.PathLike[str]],
    *,
    out: str | os.PathLike[str],
    output_format: str = "pubtator",
    input_format: str | None = None,
    threshold: float | None = None,
    batch_size: int = 32,
    device: str | None = None,
    progress: bool = False,
    trust_remote_code: bool = False,
) -> dict[str, Any]:
    """Predict relations on corpus files and write them to ``out``.

    Args:
        run: A run directory (its best checkpoint) or a model directory.
        inputs: Corpus files in any format relx reads.
        out: Output file (written atomically).
        output_format: One of :data:`OUTPUT_FORMATS`.
        input_format: Force the input format (default: detected per file).
        threshold: Minimum ``p(relation) = 1 - p(NOT)`` for a written relation.
            ``None``: the run's tuned threshold (``decision.json``), else 0.5.
        batch_size: Examples per forward pass.
        device: ``cpu``/``cuda``/...; ``None`` picks CUDA when available.
        progress: Show a progress bar.
        trust_remote_code: Let the model run Python it ships (``auto_map``); off unless
            the user asks (``--trust-remote-code``), whatever the checkpoint says.

    Returns:
        A summary: ``{"out", "format", "n_documents", "n_pairs", "n_skipped_type_pair",
        "n_relations", "threshold", "checkpoint", "has_gold", "problems", "novelty"}``;
        ``novelty`` is :func:`predict_novelty`'s summary when ``run`` holds a novelty model
        (``RUN/novelty/``, or ``CV/novelty/fold_k`` for ``CV/fold_k``), else ``None``.

    Raises:
        ConfigError: E508 bad format, threshold or batch size.
        RunDirError: E607 no model at ``run``.
        DataError: unreadable inputs.
    """
    from relx.data import (
        ProblemLog,
        Relation,
        build_pairs,
        read_corpus,
        write_bioc_json,
        write_bioc_xml,
        write_pubtator,
    )

    if output_format not in OUTPUT_FORMATS:
        raise ConfigError(f"--format {output_format!r} is not an output format; expected one "
                          f"of {', '.join(OUTPUT_FORMATS)}", code="E508")
    if threshold is None:  # the run's tuned threshold (a CV directory: its folds' mean)
        threshold = decision_threshold(run)
        threshold = 0.5 if threshold is None else threshold
    if not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"--threshold must be in [0, 1]; got {threshold}. 0.5 predicts a "
                          "relation when it is more likely than NOT", code="E508")
    checkpoint = Path(run) if is_cv_dir(run) else resolve_checkpoint(run)
    check_output_file(out, inputs=inputs)  # before any work: never overwrite an input
    log = ProblemLog()
    documents = read_corpus(list(inputs), format=input_format, log=log)
    model, tokenizer, info = load_for_prediction(checkpoint, trust_remote_code=trust_remote_code)
    settings = _representation(checkpoint, info)
    examples = build_pairs(documents, context=settings["context"], log=log)
    records = predict_examples(model, tokenizer, examples, representation=settings,
                               batch_size=batch_size, device=device, threshold=threshold,
                               progress=progress)
    novelty = None
    novelty_dir = novelty_run_dir(run)
    if novelty_dir is not None:  # a run holding both models: novelty of predicted relations
        novelty = predict_novelty(records, examples, novelty_dir, batch_size=batch_size,
                                  device=device, progress=progress)
    has_gold = any(doc.relations for doc in documents)
    if not has_gold:
        for record in records:
            record.gold = None
            record.gold_novel = None
    mask = getattr(model, "type_pair_mask", None)
    n_skipped = sum(
        1 for e in examples if mask is not None and mask.allowed(e.type_a, e.type_b) <= {NOT_LABEL}
    )
    predicted = [r for r in records if r.pred != NOT_LABEL]
    if output_format == "jsonl":
        write_predictions(out, records)
    else:
        by_doc: dict[str, list[Prediction]] = {}
        for record in predicted:
            by_doc.setdefault(record.document_id, []).append(record)
        written = []
        for doc in documents:
            relations = [
                Relation(
                    relation_type=r.pred,
                    concept_a=r.entity_a_id,
                    concept_b=r.entity_b_id,
                    novel=r.pred_novel,
                    score=round(1.0 - (r.probs or {}).get(NOT_LABEL, 0.0), 6),
                )
                for r in by_doc.get(doc.doc_id, [])
            ]
            # The input document with its relations replaced by the predicted ones.
            written.append(dataclasses.replace(doc, relations=relations))
        writer = {"pubtator": write_pubtator, "bioc_xml": write_bioc_xml,
                  "bioc_json": write_bioc_json}[output_format]
        writer(out, written)
    return {
        "out": str(out),
        "format": output_format,
        "checkpoint": str(checkpoint),
        "n_documents": len(documents),
        "n_pairs": len(examples),
        "n_skipped_type_pair": n_skipped,
        "n_relations": len(predicted),
        "threshold": threshold,
        "has_gold": has_gold,
        "problems": len(log),
        "novelty": novelty,
    }
