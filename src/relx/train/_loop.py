"""The optimisation loop of the training recipe (:mod:`relx.train._recipe`).

:func:`run_loop` walks the epochs' batch plans one optimizer step at a time
(:func:`optimizer_step`), evaluating and checkpointing when due
(:func:`evaluate_and_checkpoint`). Everything it needs arrives in one :class:`LoopContext`
built by the recipe; where it stands is a :class:`~relx.train._state.LoopState`. The loop
never names a task, a label or a batching mode's internals: batches come from
``ctx.batching.collate``, metrics from ``ctx.task`` (docs/architecture.md).

Loss normalisation (so runs with different accumulation/process counts are comparable):
an optimizer step consumes the micro-batches the batching mode planned for it
(``BatchingMode.plan_steps``: padded = a window of ``grad_accum_steps x num_processes``
batches; packed = ``effective batch`` examples split by a real-token budget), whose total
example count ``N`` is known before the step starts (steps are planned per epoch).
Each micro-batch contributes ``sum(CE) / N`` (times ``num_processes``, because DDP averages
gradients over processes), so the step's gradient is exactly the mean over the window's
examples, whatever the batch sizes (length-grouped batches differ in size) and however the
window is split into micro-batches.

No host-device synchronisation per step: the step's loss sum and gradient norm stay on the
device and are read back (one reduce, one copy) every ``train.log_every_steps`` steps and
before every evaluation or checkpoint (:func:`flush_train_logs`); every step is still
logged, with the same values.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import math
import time

import torch
import torch.nn.functional as F

from relx import rundir
from relx.train._checkpoint import save_best, save_last
from relx.train._faults import fault_point
from relx.train._run import RunWriter, now_iso
from relx.train._state import LoopState
from relx.train._tracking import Progress
from relx.train._validation import is_better, validate

__all__ = [
    "LoopContext",
    "StepResult",
    "optimizer_step",
    "flush_train_logs",
    "evaluate_and_checkpoint",
    "run_loop",
]


@dataclass
class LoopContext:
    """What the loop works with; built once by the recipe, never changed by the loop."""

    accelerator: Any
    model: Any  # prepared (DDP-wrapped under several processes)
    optimizer: torch.optim.Optimizer
    scheduler: Any
    settings: Any  # the config's TrainSection
    train_inputs: list[Any]  # EncodedExample objects trained on
    # per epoch, per optimizer step: micro-batches of indices into train_inputs (all processes)
    steps: list[list[list[list[int]]]]
    total_steps: int
    batching: Any  # the run's BatchingMode
    pad_token_id: int
    class_weight: torch.Tensor | None
    # validation
    task: Any
    labels: list[str]
    val_inputs: list[Any]
    val_examples: list[Any]
    mask: Any
    eval_args: dict[str, Any]  # max_tokens_per_batch / max_batch_size of validation
    # where it goes
    run_dir: Path
    fingerprint: dict[str, Any]
    writer: RunWriter | None
    bar: Progress
    max_steps_this_session: int | None = None
    steps_this_session: int = field(default=0)
    val_views: int = 1  # encodings per validation example (represent.symmetric: 2)
    # throughput of this session (summary.json)
    tokens_this_session: int = field(default=0)
    examples_this_session: int = field(default=0)
    eval_seconds: float = field(default=0.0)
    loop_start: float = field(default_factory=time.perf_counter)
    # arg-max validation predictions of the best evaluation (the reload check in finalize)
    best_predictions: list[int] | None = None
    pending: list[tuple[dict[str, Any], torch.Tensor, Any]] = field(default_factory=list)

    @property
    def device(self) -> torch.device:
        return self.accelerator.device

    @property
    def main(self) -> bool:
        return bool(self.accelerator.is_main_process)


@dataclass
class StepResult:
    """One optimizer step, still on the device: the summed training loss of this process's
    examples, the step's example count and real-token count (all processes), and the
    gradient norm before clipping (``None`` without clipping)."""

    loss_sum: torch.Tensor
    examples: int
    tokens: int
    grad_norm: Any


def optimizer_step(ctx: LoopContext, window_batches: list[list[int]]) -> StepResult:
    """Forward/backward every micro-batch of one step, clip, step (module docstring)."""
    t = ctx.settings
    acc = ctx.accelerator
    n_proc = acc.num_processes
    # N: examples in this optimizer step over all processes (module docstring).
    n_window = sum(len(b) for b in window_batches)
    tokens = sum(len(ctx.train_inputs[i].input_ids) for b in window_batches for i in b)
    pool = getattr(acc.unwrap_model(ctx.model), "pool", None)
    loss_sum = torch.zeros((), device=ctx.device)
    rounds = math.ceil(len(window_batches) / n_proc)
    for micro in range(rounds):
        # Rank r takes micro-batches micro*P + r of the step. A rank left without one (the
        # epoch's last step) runs a micro-batch with weight 0, so every rank runs the same
        # forward/backward count (DDP would hang otherwise).
        slot = micro * n_proc + acc.process_index
        real = slot < len(window_batches)
        idx = window_batches[slot] if real else window_batches[0]
        batch = ctx.batching.collate(
            [ctx.train_inputs[i] for i in idx], pad_token_id=ctx.pad_token_id, pool=pool
        )
        batch = {k: v.to(ctx.device, non_blocking=True) for k, v in batch.items()}
        targets = batch.pop("labels")
        last_micro = micro == rounds - 1
        # Gradients are all-reduced only on the window's last micro-batch.
        sync_ctx = acc.no_sync(ctx.model) if not last_micro else nullcontext()
        with sync_ctx:
            # forward (autocast by accelerate under mixed precision)
            logits = ctx.model(batch).float()
            # loss: sum of per-example CE over this micro-batch, divided by the window's
            # example count N; times P because DDP averages gradients.
            ce = F.cross_entropy(
                logits,
                targets,
                weight=ctx.class_weight,
                label_smoothing=t.label_smoothing,
                reduction="sum",
            )
            scale = (n_proc / n_window) if real else 0.0
            acc.backward(ce * scale)
        if real:
            loss_sum += ce.detach()
    # clipping (unscales fp16 gradients first), then step
    grad_norm = None
    if t.max_grad_norm is not None:
        # a device tensor: read back with the losses (flush_train_logs), not here
        grad_norm = acc.clip_grad_norm_(ctx.model.parameters(), t.max_grad_norm)
    ctx.optimizer.step()
    ctx.scheduler.step()
    ctx.optimizer.zero_grad(set_to_none=True)
    return StepResult(loss_sum=loss_sum.detach(), examples=n_window, tokens=tokens,
                      grad_norm=grad_norm)


def _log_step(
    ctx: LoopContext, state: LoopState, result: StepResult, epoch_progress: float
) -> None:
    """Queue the step's event; its loss is filled in by :func:`flush_train_logs`."""
    event = {
        "event": "train",
        "step": state.global_step,
        "epoch": epoch_progress,
        "loss": None,
        "lr": ctx.scheduler.get_last_lr()[0],
        "examples": result.examples,
        "tokens": result.tokens,
        "time_s": time.perf_counter() - ctx.loop_start,
    }
    ctx.pending.append((event, result.loss_sum, result.grad_norm))
    if state.global_step % ctx.settings.log_every_steps == 0:
        flush_train_logs(ctx)


def flush_train_logs(ctx: LoopContext) -> None:
    """Read the queued steps' losses back (one reduce over processes, one device-to-host
    copy) and log their events. Every process calls it at the same steps (the reduce is a
    collective); only the main one writes."""
    if not ctx.pending:
        return
    pending, ctx.pending = ctx.pending, []
    sums = ctx.accelerator.reduce(torch.stack([p[1] for p in pending]), reduction="sum")
    sums = sums.tolist()
    norms = [p[2] for p in pending]
    if any(isinstance(n, torch.Tensor) for n in norms):
        values = torch.stack([torch.as_tensor(n, device=ctx.device, dtype=torch.float32)
                              if n is not None else torch.zeros((), device=ctx.device)
                              for n in norms]).tolist()
        norms = [None if n is None else v for n, v in zip(norms, values, strict=True)]
    if not ctx.main:
        return
    for (event, _, _), loss_sum, norm in zip(pending, sums, norms, strict=True):
        # mean training loss per example of the step, over all processes
        event["loss"] = loss_sum / event["examples"]
        if norm is not None:
            event["grad_norm"] = float(norm)
        ctx.writer.log(event)
        step, lr = event["step"], event["lr"]
        if ctx.accelerator.trackers:
            ctx.accelerator.log({"train/loss": event["loss"], "train/lr": lr}, step=step)
        ctx.bar.update(step=step, loss=event["loss"], lr=lr, examples=event["examples"])


def save_last_checkpoint(ctx: LoopContext, state: LoopState) -> None:
    """``checkpoints/last`` at the current position (every process takes part).

    The events are flushed *before* the checkpoint is switched in: a kill in between leaves
    events beyond the previous checkpoint, which a resume drops (``load_events``), never a
    checkpoint whose events were not written.
    """
    flush_train_logs(ctx)
    if ctx.main:
        ctx.writer.flush()
    save_last(
        ctx.run_dir / rundir.DIR_LAST,
        accelerator=ctx.accelerator,
        model=ctx.model,
        optimizer=ctx.optimizer,
        scheduler=ctx.scheduler,
        loop_state=state.to_json(),
        meta={
            "kind": "last",
            "step": state.global_step,
            "epoch": state.epoch,
            "batch_in_epoch": state.batch_in_epoch,
            "saved": now_iso(),
            **ctx.fingerprint,
        },
    )


def evaluate_and_checkpoint(ctx: LoopContext, state: LoopState, epoch_done: float) -> bool:
    """Evaluate on main (see below), log, keep best, save last; True = stop early.

    Evaluation runs on the main process only, on the *unwrapped* module: the metric needs
    every validation example in one place, and no DDP collective runs inside the inner
    module's forward, so the other ranks simply wait. The decision (improved, stop) is
    broadcast so every rank takes the same branch.
    """
    from accelerate.utils import broadcast_object_list

    acc = ctx.accelerator
    t = ctx.settings
    step = state.global_step
    select = t.select_metric
    flush_train_logs(ctx)
    started = time.perf_counter()
    decision: list[Any] = [None]
    if ctx.main:
        probs, metrics = validate(
            acc.unwrap_model(ctx.model),
            ctx.val_inputs,
            ctx.val_examples,
            task=ctx.task,
            labels=ctx.labels,
            pad_token_id=ctx.pad_token_id,
            device=ctx.device,
            batching=ctx.batching,
            mask=ctx.mask,
            views=ctx.val_views,
            **ctx.eval_args,
        )
        improved = is_better(metrics, state.best_metrics, select)
        if improved:
            ctx.best_predictions = probs.argmax(dim=-1).tolist()
        ctx.writer.log({"event": "eval", "step": step, "epoch": epoch_done, **metrics})
        if acc.trackers:
            acc.log({f"val/{k}": metrics[k] for k in ("f1", "precision", "recall", "loss")},
                    step=step)
        ctx.bar.message(
            f"step {step}  val f1 {metrics['f1']:.4f}  P {metrics['precision']:.4f}  "
            f"R {metrics['recall']:.4f}  loss {metrics['loss']:.4f}"
            + ("  *best" if improved else "")
        )
        decision = [{"improved": improved, "value": metrics[select], "metrics": metrics}]
    broadcast_object_list(decision, from_process=0)
    ctx.eval_seconds += time.perf_counter() - started
    result = decision[0]
    if result["improved"]:
        state.best_value = result["value"]
        state.best_step = step
        state.best_epoch = epoch_done
        state.best_metrics = {k: v for k, v in result["metrics"].items() if k != "per_class_f1"}
        state.evals_without_improvement = 0
        # The best checkpoint is chosen and written by the main process only.
        if ctx.main:
            save_best(
                ctx.run_dir / rundir.DIR_BEST,
                model=acc.unwrap_model(ctx.model),
                meta={
                    "kind": "best",
                    "step": step,
                    "epoch": epoch_done,
                    "select_metric": select,
                    "value": result["value"],
                    "metrics": state.best_metrics,
                    "saved": now_iso(),
                    **ctx.fingerprint,
                },
            )
        fault_point("loop.best_saved")
        acc.wait_for_everyone()
    else:
        state.evals_without_improvement += 1
    patience = t.early_stopping_patience
    stop = patience is not None and state.evals_without_improvement >= patience
    if stop:
        state.stopped_early = True
    save_last_checkpoint(ctx, state)
    return stop


def _session_over(ctx: LoopContext) -> bool:
    """The test/time-limit hook: this call's share of optimizer steps is done."""
    limit = ctx.max_steps_this_session
    return limit is not None and ctx.steps_this_session >= limit


def run_loop(ctx: LoopContext, state: LoopState) -> str:
    """Train from ``state`` to the end (or the session limit); return ``complete`` or
    ``interrupted`` (``checkpoints/last`` saved, resumable)."""
    t = ctx.settings
    ctx.model.train()
    stop = state.stopped_early or state.global_step >= ctx.total_steps
    while not stop and state.epoch < t.epochs:
        epoch = state.epoch
        steps = ctx.steps[epoch]
        # state.batch_in_epoch counts micro-batches done (checkpoints store it); the step
        # that starts there:
        starts, done = {}, 0
        for index, micro_batches in enumerate(steps):
            starts[done] = index
            done += len(micro_batches)
        n_batches = done
        while state.batch_in_epoch < n_batches:
            start = state.batch_in_epoch
            window_batches = steps[starts[start]]
            result = optimizer_step(ctx, window_batches)
            state.global_step += 1
            state.batch_in_epoch = start + len(window_batches)
            state.examples_seen += result.examples
            ctx.steps_this_session += 1
            ctx.examples_this_session += result.examples
            ctx.tokens_this_session += result.tokens
            step = state.global_step
            epoch_progress = epoch + state.batch_in_epoch / n_batches
            _log_step(ctx, state, result, epoch_progress)
            fault_point("loop.step")
            epoch_end = state.batch_in_epoch >= n_batches
            if epoch_end:
                state.epoch += 1
                state.batch_in_epoch = 0
            last_step = step >= ctx.total_steps
            every = t.eval_every_steps
            due = (every is not None and step % every == 0) or (every is None and epoch_end)
            if due or last_step:
                stop = evaluate_and_checkpoint(ctx, state, epoch_progress)
            if last_step:
                stop = True
            if stop or epoch_end or _session_over(ctx):
                break
        if _session_over(ctx):
            if not stop and state.global_step < ctx.total_steps:
                save_last_checkpoint(ctx, state)
                return "interrupted"
            break
    flush_train_logs(ctx)
    return "complete"
