"""Running training in subprocesses: one fold per GPU, or one fold data-parallel on N GPUs.

Two ways to use several GPUs, both plain subprocesses so that nothing CUDA-related ever
lives in the orchestrating process (a parent that initialised CUDA cannot fork workers
safely, and one crashed fold must not take the others down):

* ``--gpus 0,1,2,3`` (:func:`run_jobs`): a queue of independent jobs (CV folds, sweep
  points); each GPU runs one job at a time, pinned with ``CUDA_VISIBLE_DEVICES``; a failed
  job is reported with its exit code and log and the others go on.
* ``--processes N`` (:func:`worker_command`): one job trained data-parallel (DDP) through
  ``accelerate launch --num_processes N``; the loop in ``relx.train`` chooses and saves the
  best checkpoint on the main process only.

Every job runs :mod:`relx.train._worker` (``python -m relx.train._worker CONFIG RUN_DIR``),
which is what ``relx train CONFIG --out RUN_DIR`` does, minus the CLI's tables.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from relx.errors import ConfigError

__all__ = ["Job", "JobResult", "WORKER_MODULE", "parse_gpus", "worker_command", "run_jobs"]

#: The module each training subprocess runs (``python -m relx.train._worker CONFIG RUN_DIR``).
#: A module of its own that ``relx.train`` does not import, so ``-m`` runs it cleanly.
WORKER_MODULE = "relx.train._worker"

#: NCCL settings that must reach every worker (see the device notes: NVLink multicast can
#: take a shared host's GPUs down); set only when the caller's environment does not.
_SAFE_NCCL_ENV = {
    "NCCL_NVLS_ENABLE": "0",
    "TORCH_SYMM_MEM_DISABLE_MULTICAST": "1",
    "NVSHMEM_DISABLE_NVLS": "1",
}


@dataclass
class Job:
    """One training run to launch: a resolved config file and its run directory."""

    name: str
    config_path: Path
    run_dir: Path
    resume: bool = False


@dataclass
class JobResult:
    """What became of a :class:`Job`: exit code (0 = success), log file and wall time."""

    name: str
    returncode: int
    log_path: Path
    seconds: float
    devices: str = ""
    tail: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the worker exited 0."""
        return self.returncode == 0


def parse_gpus(spec: str | Sequence[str] | None) -> list[str]:
    """``"0,1,2,3"`` -> ``["0", "1", "2", "3"]``; None or empty -> ``[]``.

    An index may repeat (``0,0,1,1``): each entry is one slot, so small models (MiniLM)
    can run several folds side by side on one large GPU that a single fold cannot fill.

    Raises:
        ConfigError: an entry is not a non-negative integer (E410).
    """
    if spec is None:
        return []
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    gpus = [str(g).strip() for g in items if str(g).strip()]
    bad = [g for g in gpus if not g.isdigit()]
    if bad:
        raise ConfigError(
            f"--gpus must be GPU indices separated by commas, e.g. 0,1; got {spec!r}",
            code="E410",
            hint="nvidia-smi -L lists the GPU indices",
        )
    return gpus


def _free_port() -> int:
    # Each concurrent `accelerate launch` needs its own rendezvous port; asking the OS for a
    # free one avoids the classic "address already in use" when two folds start together.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_threads(slots: int) -> int:
    """Intra-op threads per CPU worker when ``slots`` workers share the machine's cores.

    Why side by side at all: MiniLM's matrices in a quickstart step are small, and two torch
    threads on one step synchronise more than they compute; on 2 cores the 3 quickstart folds
    as 3 one-thread processes took 147 s, one after another with 2 threads 177 s (2026-12-03).
    """
    return max(1, (os.cpu_count() or 1) // max(1, slots))


def worker_command(
    job: Job, *, processes: int = 1, cpu: bool = False, port: int | None = None
) -> list[str]:
    """The argv that trains ``job``: the worker module, under a DDP launcher if N > 1.

    GPUs: ``accelerate launch --multi_gpu``; CPU (tests, gloo): ``torchrun``. Both are run
    as ``python -m ...`` so that the same interpreter (and virtualenv) runs the workers.
    """
    worker = ["-m", WORKER_MODULE, str(job.config_path), str(job.run_dir)]
    if job.resume:
        worker.append("--resume")
    if processes <= 1:
        return [sys.executable, *worker]
    if cpu:
        # `accelerate launch --cpu` starts a single process unless MPI is set up, so CPU DDP
        # (gloo) goes through torchrun; the worker's Accelerator sees RANK/WORLD_SIZE from it
        # and ACCELERATE_USE_CPU (set by run_jobs) and initialises gloo.
        launch = [
            sys.executable, "-m", "torch.distributed.run",
            "--nproc_per_node", str(processes),
            "--nnodes", "1",
            "--master_addr", "127.0.0.1",
            "--master_port", str(port or _free_port()),
        ]
    else:
        launch = [
            sys.executable, "-m", "accelerate.commands.launch",
            "--multi_gpu",
            "--num_processes", str(processes),
            "--num_machines", "1",
            "--dynamo_backend", "no",
            "--main_process_port", str(port or _free_port()),
        ]
    return [*launch, *worker]


def _tail(path: Path, n: int = 15) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:]
    except OSError:
        return []


def run_jobs(
    jobs: Sequence[Job],
    *,
    log_dir: Path,
    gpus: Sequence[str] = (),
    processes: int = 1,
    cpu: bool = False,
    cpu_slots: int = 0,
    on_event: Callable[[str, Job, JobResult | None], None] | None = None,
    poll_seconds: float = 0.5,
    extra_env: dict[str, str] | None = None,
) -> dict[str, JobResult]:
    """Run ``jobs`` as subprocesses, ``processes`` GPUs per job, as many at once as GPUs allow.

    GPUs are split into groups of ``processes`` (``--gpus 0,1,2,3 --processes 2`` runs two
    DDP jobs side by side). With no GPUs the jobs run one after another. Each job's stdout
    and stderr go to ``log_dir/<name>.log``; a failing job does not stop the others.

    Args:
        jobs: What to run, in order of priority.
        log_dir: Where the per-job logs go.
        gpus: GPU indices (strings) to spread jobs over; empty = no pinning, one at a time.
        processes: Processes (GPUs) per job; > 1 launches through ``accelerate launch``.
        cpu: Force CPU workers (DDP over gloo when ``processes`` > 1); used by tests.
        cpu_slots: With no GPUs: this many CPU workers side by side (implies ``cpu``), each
            with ``cores // cpu_slots`` (at least 1) intra-op threads (:func:`cpu_threads`).
        on_event: Called with ``("start", job, None)`` and ``("end", job, result)``.
        poll_seconds: How often finished workers are collected.
        extra_env: Added to every worker's environment.

    Returns:
        One :class:`JobResult` per job name.

    Raises:
        ConfigError: fewer GPUs than ``processes`` (E411).
    """
    if processes < 1:
        raise ConfigError(f"--processes must be >= 1; got {processes}", code="E411")
    if gpus and len(gpus) < processes:
        raise ConfigError(
            f"--processes {processes} needs at least {processes} GPUs; got --gpus "
            f"{','.join(gpus)}",
            code="E411",
            hint=f"pass {processes} GPU indices to --gpus, or lower --processes",
        )
    if processes > 1 and len(set(gpus)) != len(gpus):
        raise ConfigError(
            f"--gpus {','.join(gpus)} repeats an index; with --processes {processes} each "
            "process needs its own GPU",
            code="E411",
            hint="give distinct indices, or --processes 1 to share a GPU between folds",
        )
    slots: list[str | None]
    if cpu_slots > 0 and not gpus:
        slots = [None] * cpu_slots
        cpu = True
        threads = str(cpu_threads(cpu_slots))
        extra_env = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, **(extra_env or {})}
    elif gpus:
        slots = [
            ",".join(gpus[i : i + processes])
            for i in range(0, len(gpus) - processes + 1, processes)
        ]
    else:
        slots = [None]
    log_dir.mkdir(parents=True, exist_ok=True)
    queue = list(jobs)
    # Slots are tracked by position, not by their device string: `--gpus 0,0` has two slots
    # on the same GPU, which a dict keyed by "0" would silently merge.
    free = list(range(len(slots)))
    running: dict[int, tuple[Job, subprocess.Popen[bytes], float, Path, object]] = {}
    results: dict[str, JobResult] = {}
    try:
        _schedule(queue, free, running, results, slots, log_dir, processes, cpu, on_event,
                  poll_seconds, extra_env)
    finally:
        # Ctrl-C or a bug in a callback: never leave training processes behind.
        for _job, proc, _started, _log, handle in running.values():
            if proc.poll() is None:
                proc.terminate()
            handle.close()  # type: ignore[attr-defined]
    return results


def _schedule(
    queue: list[Job],
    free: list[int],
    running: dict[int, tuple[Job, subprocess.Popen[bytes], float, Path, object]],
    results: dict[str, JobResult],
    slots: list[str | None],
    log_dir: Path,
    processes: int,
    cpu: bool,
    on_event: Callable[[str, Job, JobResult | None], None] | None,
    poll_seconds: float,
    extra_env: dict[str, str] | None,
) -> None:
    while queue or running:
        while queue and free:
            slot_index = free.pop(0)
            slot = slots[slot_index]
            job = queue.pop(0)
            env = dict(os.environ)
            for key, value in _SAFE_NCCL_ENV.items():
                env.setdefault(key, value)
            env.update(extra_env or {})
            env["PYTHONUNBUFFERED"] = "1"
            if slot is not None:
                env["CUDA_VISIBLE_DEVICES"] = slot
            if cpu:
                env["CUDA_VISIBLE_DEVICES"] = ""
                env["ACCELERATE_USE_CPU"] = "true"
            log_path = log_dir / f"{job.name}.log"
            handle = open(log_path, "wb")  # noqa: SIM115 - closed when the worker ends
            cmd = worker_command(job, processes=processes, cpu=cpu)
            handle.write(("$ " + " ".join(cmd) + "\n").encode())
            handle.flush()
            proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=env)
            running[slot_index] = (job, proc, time.monotonic(), log_path, handle)
            if on_event:
                on_event("start", job, None)
        time.sleep(poll_seconds if running else 0)
        for slot_index, (job, proc, started, log_path, handle) in list(running.items()):
            if proc.poll() is None:
                continue
            handle.close()  # type: ignore[attr-defined]
            del running[slot_index]
            free.append(slot_index)
            result = JobResult(
                name=job.name,
                returncode=int(proc.returncode),
                log_path=log_path,
                seconds=time.monotonic() - started,
                devices=slots[slot_index] or "",
                tail=[] if proc.returncode == 0 else _tail(log_path),
            )
            results[job.name] = result
            if on_event:
                on_event("end", job, result)
