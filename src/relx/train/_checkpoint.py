"""Checkpoints of a run: ``checkpoints/best`` (the model users load) and ``checkpoints/last``
(everything a ``--resume`` needs), written so that a kill never destroys one.

``last`` holds the model (``RelationClassifier.save``), the trainable parameters again by
name, the optimizer state (flattened to safetensors, never pickled), the scheduler state,
one RNG file per process and the loop position (:class:`~relx.train._state.LoopState`) as
JSON. Batches are planned from ``seed + epoch``, so the data order is recomputed, not stored.

Atomic switch: a new checkpoint is written complete into ``checkpoints/.<name>.staging``
(``checkpoint.json`` last), then published by two renames, ``<name>`` -> ``.<name>.old`` and
``.staging`` -> ``<name>``, and the old one is removed. At every instant one complete
checkpoint exists (``<name>`` or ``.<name>.old``); :func:`recover_checkpoints`, called when a
run starts, puts the complete one back under its name and removes leftover staging
directories (and the temporary files of interrupted atomic writes).

Error code: E407 a checkpoint cannot be resumed (mismatched parameters).
"""

from __future__ import annotations

import logging
import os
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from relx import rundir
from relx._io import atomic_write_json, follow_umask, read_json
from relx.errors import RunDirError
from relx.train._faults import fault_point

__all__ = [
    "TRAINER_STATE_FILE",
    "TRAINER_TENSORS_FILE",
    "RNG_FILE",
    "is_checkpoint",
    "recover_checkpoints",
    "save_last",
    "load_last",
    "save_best",
]

logger = logging.getLogger("relx.train")

#: Loop position, best-so-far and scheduler state of ``checkpoints/last`` (JSON).
TRAINER_STATE_FILE = "trainer_state.json"
#: Trainable parameters + optimizer tensors of ``checkpoints/last`` (safetensors).
TRAINER_TENSORS_FILE = "trainer_state.safetensors"
#: Per-process RNG states (``{rank}`` filled in).
RNG_FILE = "rng_state_{rank}.safetensors"
RNG_META_FILE = "rng_state_{rank}.json"


# ------------------------------------------------------------------- atomic directories


def is_checkpoint(directory: Path) -> bool:
    """A complete checkpoint: its ``checkpoint.json`` (always written last) exists."""
    return (directory / rundir.CHECKPOINT_META_FILE).is_file()


def _staging(target: Path) -> Path:
    return target.with_name(f".{target.name}.staging")


def _old(target: Path) -> Path:
    return target.with_name(f".{target.name}.old")


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _begin(target: Path) -> Path:
    """A fresh, empty staging directory for ``target``."""
    staging = _staging(target)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return staging


def _publish(staging: Path, target: Path) -> None:
    """Switch ``target`` to the complete ``staging`` directory (module docstring)."""
    follow_umask(staging)  # safetensors writes 0600 files (relx/_io.py)
    old = _old(target)
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    fault_point("checkpoint.between_renames")
    staging.rename(target)
    _fsync_dir(target.parent)
    shutil.rmtree(old, ignore_errors=True)


def recover_checkpoints(run_dir: str | Path) -> list[str]:
    """Undo what a kill during a checkpoint save left behind; return what was done.

    For ``best`` and ``last``: when the checkpoint under its name is incomplete or missing
    but the previous one (``.<name>.old``) is complete, the previous one is put back; then
    leftover staging/old directories and ``.*.tmp`` files of interrupted atomic writes in
    the run directory are removed. Call it before the run directory is read.
    """
    root = Path(run_dir)
    done: list[str] = []
    for name in (rundir.DIR_BEST, rundir.DIR_LAST):
        target = root / name
        old = _old(target)
        if old.is_dir() and is_checkpoint(old) and not is_checkpoint(target):
            if target.exists():
                shutil.rmtree(target)
            old.rename(target)
            done.append(f"restored the previous {name} (a save was interrupted)")
        for leftover in (old, _staging(target)):
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
                done.append(f"removed the unfinished {leftover.relative_to(root)}")
    for tmp in [*root.glob(".*.tmp"), *root.glob("*/.*.tmp"), *root.glob("checkpoints/*/.*.tmp")]:
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            done.append(f"removed the temporary file {tmp.relative_to(root)}")
    for line in done:
        logger.info(f"{root}: {line}")
    return done


# ------------------------------------------------------------------ optimizer and RNG


def _flatten_optimizer(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split ``optimizer.state_dict()`` into tensors (safetensors) and JSON.

    Hand-rolled because torch.save would pickle; the optimizer state is a flat
    ``{param_index: {name: tensor|number}}`` plus JSON-ready ``param_groups``.
    """
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, entry in state["state"].items():
        for name, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{index}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(index), {})[name] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if not key.startswith("optim."):
            continue
        _, index, name = key.split(".", 2)
        state.setdefault(int(index), {})[name] = value
    for index, entry in meta.get("scalars", {}).items():
        state.setdefault(int(index), {}).update(entry)
    return {"state": state, "param_groups": meta["param_groups"]}


def _rng_tensors() -> dict[str, torch.Tensor]:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            state[f"cuda.{i}"] = s
    np_state = np.random.get_state()
    state["numpy.keys"] = torch.from_numpy(np.asarray(np_state[1], dtype=np.int64))
    return state


def _rng_meta() -> dict[str, Any]:
    np_state = np.random.get_state()
    py_version, py_state, py_gauss = random.getstate()
    return {
        "numpy": [np_state[0], int(np_state[2]), int(np_state[3]), float(np_state[4])],
        "python": [py_version, list(py_state), py_gauss],
    }


def _set_rng(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    torch.set_rng_state(tensors["torch"])
    cuda = [tensors[k] for k in sorted(k for k in tensors if k.startswith("cuda."))]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)
    name, pos, has_gauss, cached = meta["numpy"]
    keys = tensors["numpy.keys"].numpy().astype(np.uint32)
    np.random.set_state((name, keys, pos, has_gauss, cached))
    version, state, gauss = meta["python"]
    random.setstate((version, tuple(state), gauss))


# ------------------------------------------------------------------------ best / last


def save_best(directory: Path, *, model: Any, meta: dict[str, Any]) -> None:
    """Write ``checkpoints/best`` (main process only): the model files + ``checkpoint.json``."""
    staging = _begin(directory)
    model.save(staging)
    atomic_write_json(staging / rundir.CHECKPOINT_META_FILE, meta)
    _publish(staging, directory)


def save_last(
    directory: Path,
    *,
    accelerator: Any,
    model: Any,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    loop_state: dict[str, Any],
    meta: dict[str, Any],
) -> None:
    """Write ``checkpoints/last`` on every process: model files, trainer tensors + JSON (main),
    one RNG file per rank (all); published atomically by the main process."""
    rank = accelerator.process_index
    staging = _staging(directory)
    if accelerator.is_main_process:
        _begin(directory)
    accelerator.wait_for_everyone()
    save_file(_rng_tensors(), str(staging / RNG_FILE.format(rank=rank)))
    atomic_write_json(staging / RNG_META_FILE.format(rank=rank), _rng_meta())
    if accelerator.is_main_process:
        unwrapped = accelerator.unwrap_model(model)
        unwrapped.save(staging)
        fault_point("checkpoint.model_written")
        # The trainable parameters again, by name: resuming rebuilds the model with
        # build_classifier (trainable flags, peft wrapping) and loads these into it, so it
        # never depends on how an inference load sets requires_grad.
        tensors = {
            f"param.{name}": p.detach().cpu().contiguous()
            for name, p in unwrapped.named_parameters()
            if p.requires_grad
        }
        optim_tensors, optim_meta = _flatten_optimizer(optimizer.state_dict())
        tensors.update(optim_tensors)
        save_file(tensors, str(staging / TRAINER_TENSORS_FILE))
        scaler = getattr(accelerator, "scaler", None)
        atomic_write_json(
            staging / TRAINER_STATE_FILE,
            {
                **loop_state,
                "optimizer": optim_meta,
                "scheduler": scheduler.state_dict(),
                "scaler": scaler.state_dict() if scaler is not None else None,
            },
        )
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        atomic_write_json(staging / rundir.CHECKPOINT_META_FILE, meta)
        fault_point("checkpoint.staged")
        _publish(staging, directory)
        fault_point("checkpoint.published")
    accelerator.wait_for_everyone()


def load_last(
    directory: Path,
    *,
    accelerator: Any,
    model: Any,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
) -> dict[str, Any]:
    """Restore ``checkpoints/last`` into a freshly built model/optimizer/scheduler and the
    RNGs; return the saved loop state (``trainer_state.json``).

    Raises:
        RunDirError: [E407] the checkpoint's parameters do not match the model.
    """
    state = read_json(directory / TRAINER_STATE_FILE)
    tensors = load_file(str(directory / TRAINER_TENSORS_FILE))
    unwrapped = accelerator.unwrap_model(model)
    params = dict(unwrapped.named_parameters())
    saved = {k[len("param.") :]: v for k, v in tensors.items() if k.startswith("param.")}
    expected = {n for n, p in params.items() if p.requires_grad}
    if set(saved) != expected:
        missing = sorted(expected - set(saved))[:3]
        extra = sorted(set(saved) - expected)[:3]
        raise RunDirError(
            f"{directory}: checkpoint parameters do not match the model built from the config "
            f"(missing {missing}, unexpected {extra}); expected the same model settings",
            code="E407",
            hint="resume with the run's own config.resolved.yaml, or start a new run",
        )
    with torch.no_grad():
        for name, value in saved.items():
            params[name].copy_(value.to(params[name].device, params[name].dtype))
    optimizer.load_state_dict(_unflatten_optimizer(tensors, state["optimizer"]))
    scheduler.load_state_dict(state["scheduler"])
    scaler = getattr(accelerator, "scaler", None)
    if scaler is not None and state.get("scaler"):
        scaler.load_state_dict(state["scaler"])
    rank = accelerator.process_index
    rng_path = directory / RNG_FILE.format(rank=rank)
    if rng_path.is_file():
        _set_rng(load_file(str(rng_path)), read_json(directory / RNG_META_FILE.format(rank=rank)))
    return state
