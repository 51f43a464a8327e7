"""Streaming, sharded, resumable prediction: ``relx predict`` at PubMed scale.

Documents flow through in chunks of ``window`` documents and nothing else is held::

    DocumentStream (many files, gzip, this shard's ids)  ->  chunk of WINDOW documents
      -> candidate pairs (the run's context)  -> pairs the type-pair mask rules out get
         NOT = 1.0 without a forward ("skipped by the type-pair mask")
      -> encode (the model's representation)  -> relx.models.iter_probabilities (the one
         inference path)  -> predictions (threshold rule of relx.evaluate.predict)
      -> chunk file (atomic) -> shard manifest (atomic)

so memory is bounded by the window whatever the corpus size, a killed run resumes at its
first unfinished chunk (see :mod:`relx.evaluate._stream_layout`), and N processes with
``--shard K/N`` (or a launcher's ranks) split the work by document id.

Gold labels: pairs carry the input's relations as ``gold`` (JSONL) when any of the first
:data:`GOLD_PROBE_DOCUMENTS` documents of the inputs (in input order, before sharding) has a
relation, else ``gold`` is null; the rule looks at the same documents in every shard, so
sharded and unsharded runs write the same records.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from relx.errors import ConfigError, RunDirError
from relx.evaluate._predict import (
    OUTPUT_FORMATS,
    _device,
    _load,
    _representation,
    resolve_checkpoint,
    score_pairs,
)
from relx.evaluate._novelty import NoveltyPredictor, novelty_run_dir
from relx.evaluate._predictions import Prediction, predictions_from_probs, write_predictions
from relx.evaluate._shards import Shard, resolve_shard
from relx.evaluate._stream_layout import (
    ChunkRecord,
    ShardLayout,
    claim_directory,
    input_identity,
    model_identity,
)
from relx.labels import NOT_LABEL

__all__ = ["DEFAULT_WINDOW", "GOLD_PROBE_DOCUMENTS", "predict_stream"]

logger = logging.getLogger("relx.evaluate")

#: Documents per chunk (the unit of memory, of progress commits and of resuming).
DEFAULT_WINDOW = 1000
#: Documents at the start of the inputs that decide whether gold labels are written.
GOLD_PROBE_DOCUMENTS = 1000


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _rank_device(device: str | None) -> Any:
    """``--device``, or under a launcher the rank's own GPU (``LOCAL_RANK``)."""
    import torch

    local_rank = os.environ.get("LOCAL_RANK")
    if device is None and local_rank is not None and torch.cuda.is_available():
        return torch.device(f"cuda:{int(local_rank) % torch.cuda.device_count()}")
    return _device(device)


def _inputs_have_gold(inputs: Sequence[Any], input_format: str | None) -> bool:
    from relx.data import DocumentStream, ProblemLog

    head = itertools.islice(DocumentStream(inputs, format=input_format, log=ProblemLog(),
                                           dedupe=False), GOLD_PROBE_DOCUMENTS)
    return any(doc.relations for doc in head)


def _with_predictions(documents: Sequence[Any], records: Sequence[Prediction]) -> list[Any]:
    """The input documents with their relations replaced by the predicted ones (+ score)."""
    from relx.data import Relation

    by_doc: dict[str, list[Prediction]] = {}
    for record in records:
        if record.pred != NOT_LABEL:
            by_doc.setdefault(record.document_id, []).append(record)
    return [
        dataclasses.replace(doc, relations=[
            Relation(relation_type=r.pred, concept_a=r.entity_a_id, concept_b=r.entity_b_id,
                     novel=r.pred_novel,
                     score=round(1.0 - (r.probs or {}).get(NOT_LABEL, 0.0), 6))
            for r in by_doc.get(doc.doc_id, [])
        ])
        for doc in documents
    ]


def _write_chunk(path: Path, output_format: str, documents: Sequence[Any],
                 records: Sequence[Prediction]) -> None:
    from relx.data import write_bioc_json, write_bioc_xml, write_pubtator

    if output_format == "jsonl":
        write_predictions(path, records)
        return
    writer = {"pubtator": write_pubtator, "bioc_xml": write_bioc_xml,
              "bioc_json": write_bioc_json}[output_format]
    writer(path, _with_predictions(documents, records))


class _ChunkPredictor:
    """Pairs -> probabilities for one chunk, with the loaded model and its settings."""

    def __init__(self, checkpoint: Path, *, device: Any, batch_size: int,
                 max_tokens_per_batch: int | None, trust_remote_code: bool = False) -> None:
        model, tokenizer, info = _load(checkpoint, trust_remote_code=trust_remote_code)
        self.model = model.to(device)
        self.tokenizer = tokenizer
        self.settings = _representation(checkpoint, info)
        self.labels = list(model.labels)
        self.device = device
        self.batch_size = batch_size
        self.max_tokens_per_batch = max_tokens_per_batch

    def probabilities(self, examples: Sequence[Any],
                      on_batch: Callable[[int], None] | None = None) -> tuple[Any, int]:
        """``[n, labels]`` probabilities (float64 numpy) and the number of skipped pairs."""
        return score_pairs(self.model, self.tokenizer, examples, settings=self.settings,
                           device=self.device, batch_size=self.batch_size,
                           max_tokens_per_batch=self.max_tokens_per_batch, on_batch=on_batch)


class _Progress:
    """A rich progress bar over input bytes (ETA) with documents/s and pairs/s; per rank."""

    def __init__(self, enabled: bool, description: str, total_bytes: int) -> None:
        self.bar = None
        self.start = time.perf_counter()
        self.docs = 0
        self.pairs = 0
        if not enabled:
            return
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from rich.console import Console

        self.bar = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[rates]}"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), console=Console(stderr=True), transient=False,
        )
        self.bar.start()
        self.task = self.bar.add_task(description, total=max(total_bytes, 1),
                                      rates="starting")

    def rates(self) -> tuple[float, float]:
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        return self.docs / elapsed, self.pairs / elapsed

    def update(self, bytes_read: int) -> None:
        if self.bar is None:
            return
        docs_s, pairs_s = self.rates()
        self.bar.update(self.task, completed=bytes_read,
                        rates=f"{self.docs} docs · {docs_s:,.1f} docs/s · {pairs_s:,.0f} pairs/s")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def predict_stream(
    run: str | os.PathLike[str],
    inputs: Sequence[str | os.PathLike[str]],
    *,
    out_dir: str | os.PathLike[str],
    output_format: str = "jsonl",
    input_format: str | None = None,
    threshold: float | None = None,
    batch_size: int = 32,
    max_tokens_per_batch: int | None = None,
    window: int = DEFAULT_WINDOW,
    device: str | None = None,
    shard: str | Shard | None = None,
    progress: bool = False,
    trust_remote_code: bool = False,
) -> dict[str, Any]:
    """Predict relations on corpus files of any size into a resumable, sharded directory.

    Args:
        run: A run directory (its best checkpoint) or a model directory.
        inputs: Files, folders or glob patterns (PubTator, BioC XML/JSON, gzipped or not).
        out_dir: The output directory (see :mod:`relx.evaluate._stream_layout`).
        output_format: One of :data:`~relx.evaluate.OUTPUT_FORMATS`, per chunk file.
        input_format: Force the input format (default: detected per file).
        threshold: Minimum ``p(relation) = 1 - p(NOT)`` for a written relation; ``None`` = the
            run's tuned threshold (decision.json), else 0.5.
        batch_size: Most pairs per forward pass.
        max_tokens_per_batch: Token budget per forward pass (``None``: ``batch_size`` pairs).
        window: Documents per chunk: bounds memory, and the unit of commits and of resuming.
        device: ``cpu``/``cuda``/...; ``None``: CUDA when available (the rank's own GPU
            under a launcher).
        shard: ``"K/N"`` or a :class:`Shard`; combined with ``RANK``/``WORLD_SIZE``.
        progress: Show a progress bar (stderr).
        trust_remote_code: Let the model run Python it ships (as ``predict``).

    Returns:
        The summary of this process's shard (counts, rates, resumed chunks, paths).

    Raises:
        ConfigError: E508 bad format/threshold/window; E510 bad shard.
        RunDirError: E607 no model; E618 ``out_dir`` holds another command's outputs; E614
            ``out_dir`` is a file; E615 a non-empty folder relx did not write.
        DataError: unreadable inputs (file and line or document id).
    """
    from relx.data import DocumentStream, ProblemLog, build_pairs

    if output_format not in OUTPUT_FORMATS:
        raise ConfigError(f"--format {output_format!r} is not an output format; expected one "
                          f"of {', '.join(OUTPUT_FORMATS)}", code="E508")
    if threshold is None:
        # The run's own tuned NOT threshold (decision.json), as single-file predict uses.
        from relx.evaluate._loading import decision_threshold

        saved = decision_threshold(run)
        threshold = saved if saved is not None else 0.5
    if not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"--threshold must be in [0, 1]; got {threshold}", code="E508")
    if window < 1 or batch_size < 1:
        raise ConfigError(f"--window and --batch-size must be >= 1; got {window} and "
                          f"{batch_size}", code="E508")
    mine = resolve_shard(shard)
    out = Path(out_dir)
    checkpoint = resolve_checkpoint(run)
    log = ProblemLog()
    stream = DocumentStream(inputs, format=input_format, log=log,
                            keep=lambda doc: mine.owns(doc.doc_id))
    has_gold = _inputs_have_gold(inputs, input_format)
    identity = {
        "inputs": input_identity(stream.files),
        "input_format": input_format,
        "model": model_identity(checkpoint),
        "output_format": output_format,
        "threshold": threshold,
        "window": window,
        "n_shards": mine.count,
        "has_gold": has_gold,
    }
    claim_directory(out, identity)
    layout = ShardLayout.open(out, mine.name, mine.index, mine.count)
    summary: dict[str, Any] = {
        "out": str(out), "shard": str(mine), "shard_dir": str(layout.folder),
        "format": output_format, "checkpoint": str(checkpoint), "threshold": threshold,
        "window": window, "has_gold": has_gold, "resumed_chunks": len(layout.chunks),
    }
    if layout.complete:
        logger.info("shard %s is already complete in %s; nothing to do", mine, layout.folder)
        return {**summary, **layout.totals(), "n_chunks": len(layout.chunks),
                "already_complete": True, "seconds": 0.0, "documents_per_s": 0.0,
                "pairs_per_s": 0.0, "problems": 0}

    predictor = _ChunkPredictor(checkpoint, device=_rank_device(device), batch_size=batch_size,
                                max_tokens_per_batch=max_tokens_per_batch,
                                trust_remote_code=trust_remote_code)
    # A novelty model beside the relation model (relx cv with cv.tasks): loaded once, run on
    # each chunk's predicted relations only (relx.evaluate._novelty).
    novelty_dir = novelty_run_dir(run)
    novelty = (NoveltyPredictor(novelty_dir, batch_size=batch_size, device=_rank_device(device))
               if novelty_dir is not None else None)
    summary["novelty_checkpoint"] = str(novelty.checkpoint) if novelty is not None else None
    bar = _Progress(progress, f"predict shard {mine}", stream.total_bytes)
    done = {c.index: c for c in layout.chunks}
    new = {"n_documents": 0, "n_pairs": 0}
    started = time.perf_counter()
    n_chunks_seen = 0
    try:
        for index, documents in enumerate(_batched(stream, window)):
            n_chunks_seen = index + 1
            if index in done:
                _check_resumed(done[index], documents, layout)
                bar.update(stream.bytes_read)
                continue
            chunk_start = time.perf_counter()
            pairs = build_pairs(documents, context=predictor.settings["context"], log=log)

            def advanced(n: int) -> None:
                bar.pairs += n
                bar.update(stream.bytes_read)

            probs, n_skipped = predictor.probabilities(pairs, on_batch=advanced)
            records = predictions_from_probs(pairs, probs, labels=predictor.labels,
                                             threshold=threshold)
            if novelty is not None:
                novelty.fill(records, pairs)
            if not has_gold:
                for record in records:
                    record.gold = None
                    record.gold_novel = None
            path = layout.chunk_file(index, output_format)
            _write_chunk(path, output_format, documents, records)
            seconds = time.perf_counter() - chunk_start
            layout.chunks.append(ChunkRecord(
                index=index, files=layout.files_of_chunk(index), n_documents=len(documents),
                n_pairs=len(pairs), n_skipped_type_pair=n_skipped,
                n_relations=sum(1 for r in records if r.pred != NOT_LABEL),
                first_document=documents[0].doc_id, last_document=documents[-1].doc_id,
                seconds=round(seconds, 3),
            ))
            layout.commit()
            new["n_documents"] += len(documents)
            new["n_pairs"] += len(pairs)
            bar.docs += len(documents)
            bar.pairs += n_skipped
            bar.update(stream.bytes_read)
            logger.info("shard %s chunk %d: %d documents, %d pairs (%d skipped by the type-pair "
                        "mask) in %.1f s", mine, index, len(documents), len(pairs), n_skipped,
                        seconds)
        if n_chunks_seen < len(done):
            raise RunDirError(f"{layout.folder}: the manifest lists {len(done)} chunks but the "
                              f"inputs now give {n_chunks_seen}; the inputs changed",
                              code="E618", hint="start over with a new --out")
        layout.complete = True
        layout.commit()
    finally:
        bar.stop()
    elapsed = time.perf_counter() - started
    return {
        **summary,
        **layout.totals(),
        "n_chunks": len(layout.chunks),
        "already_complete": False,
        "new_documents": new["n_documents"],
        "new_pairs": new["n_pairs"],
        "seconds": round(elapsed, 3),
        "documents_per_s": round(new["n_documents"] / max(elapsed, 1e-9), 2),
        "pairs_per_s": round(new["n_pairs"] / max(elapsed, 1e-9), 2),
        "problems": len(log),
    }


def _check_resumed(record: ChunkRecord, documents: Sequence[Any], layout: ShardLayout) -> None:
    """A finished chunk must hold the same documents as the inputs give now."""
    if (len(documents), documents[0].doc_id, documents[-1].doc_id) != (
            record.n_documents, record.first_document, record.last_document):
        raise RunDirError(
            f"{layout.folder}: chunk {record.index} was documents {record.first_document} .. "
            f"{record.last_document} ({record.n_documents}); the inputs now give "
            f"{documents[0].doc_id} .. {documents[-1].doc_id} ({len(documents)})",
            code="E618", hint="the inputs changed since the first run; start over with a new "
            "--out")
