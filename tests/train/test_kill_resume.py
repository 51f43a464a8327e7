"""SIGKILL ``relx train`` anywhere, resume, and get the uninterrupted run's results (issue 14).

Each seed kills a training process twice before letting a resumed one finish: once at a
named instant inside a checkpoint save or the loop (``RELX_TEST_KILL_AT``, see
src/relx/train/_faults.py), once after a random delay. The resumed run must end with the
uninterrupted run's best step, final metrics, per-step losses and validation predictions.

Processes are forked from the test process (torch is imported once, so a kill costs
milliseconds, not an interpreter start-up); the forked child runs exactly what
``relx train`` runs. 5 seeds in the default run; 20 with ``-m heavy`` or RELX_RUN_SLOW=1.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
import traceback
from pathlib import Path

import pytest
from _train_helpers import tiny_setup

from relx import rundir
from relx.train import load_config, read_metrics, train
from relx.train._faults import FAULT_ENV

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

FAULT_POINTS = (
    "checkpoint.model_written",  # inside checkpoints/last: model files written, state not yet
    "checkpoint.staged",  # the new last complete in staging, not yet switched
    "checkpoint.between_renames",  # old last moved aside, new one not yet in place
    "checkpoint.published",  # the new last in place, the caller not yet told
    "loop.best_saved",  # best switched, last not yet saved
    "loop.step",  # right after an optimizer step (events not yet flushed)
)
DEFAULT_SEEDS = 5
HEAVY_SEEDS = 20


def _heavy(config: pytest.Config) -> bool:
    return "heavy" in (config.getoption("-m") or "") or os.environ.get("RELX_RUN_SLOW") == "1"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory):
    import torch

    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp("kill")
    raw = tiny_setup(tmp, n_docs=10)
    config = load_config(raw, ["train.epochs=2", "train.batch_size=8",
                               "train.eval_every_steps=2", "train.max_tokens_per_batch=500"])
    started = time.perf_counter()
    summary = train(config, run_dir=tmp / "reference", progress=False)
    return config, summary, tmp / "reference", time.perf_counter() - started, tmp


def _run_child(config, run_dir: Path, *, fault: str | None, kill_after: float | None) -> int:
    """Fork a ``relx train [--resume]`` of ``run_dir``; return its exit status (-9 = killed)."""
    resume = (run_dir / rundir.RUN_FILE).exists()
    pid = os.fork()
    if pid == 0:  # the child: train, then leave without running pytest's teardown
        code = 0
        try:
            if fault:
                os.environ[FAULT_ENV] = fault
            train(config, run_dir=run_dir, resume=resume, progress=False)
        except BaseException:  # noqa: BLE001 - report and exit non-zero
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    if kill_after is not None:
        deadline = time.monotonic() + kill_after
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.005)
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _events(run: Path) -> list[dict]:
    # time_s is wall-clock (it never repeats); everything else must
    return [{k: v for k, v in e.items()
             if (k != "epoch" or e["event"] != "final") and k != "time_s"}
            for e in read_metrics(run) if e["event"] in {"train", "eval", "final"}]


@pytest.mark.parametrize(
    "seed",
    [*range(DEFAULT_SEEDS),
     *(pytest.param(s, marks=pytest.mark.heavy) for s in range(DEFAULT_SEEDS, HEAVY_SEEDS))],
)
def test_sigkill_anywhere_then_resume_equals_uninterrupted(
    reference, seed: int, request: pytest.FixtureRequest
) -> None:
    if seed >= DEFAULT_SEEDS and not _heavy(request.config):
        pytest.skip("more seeds: -m heavy or RELX_RUN_SLOW=1")
    config, expected, reference_dir, duration, tmp = reference
    rng = random.Random(seed)
    run = tmp / f"seed_{seed}"
    point = FAULT_POINTS[seed % len(FAULT_POINTS)]
    # best is saved only on an improvement, so its first save is the one surely reached
    fault = f"{point}:{1 if point == 'loop.best_saved' else rng.randint(1, 4)}"
    codes = [_run_child(config, run, fault=fault, kill_after=None)]
    codes.append(_run_child(config, run, fault=None, kill_after=rng.uniform(0.05, duration)))
    final = _run_child(config, run, fault=None, kill_after=None)
    assert codes[0] == -signal.SIGKILL, f"the fault point {fault} was not reached"
    assert final == 0, f"the resumed run failed (exit codes {codes + [final]})"

    summary = json.loads((run / rundir.SUMMARY_FILE).read_text())
    assert (run / rundir.COMPLETE_MARKER).is_file()
    assert summary["global_step"] == expected["global_step"]
    assert summary["best"] == expected["best"]
    assert summary["final"] == expected["final"]
    assert _events(run) == _events(reference_dir)
    assert (run / rundir.VAL_PREDICTIONS_FILE).read_text() == (
        reference_dir / rundir.VAL_PREDICTIONS_FILE
    ).read_text()
    leftovers = [p.name for p in (run / rundir.CHECKPOINTS_DIR).iterdir()]
    assert sorted(leftovers) == ["best", "last"]
