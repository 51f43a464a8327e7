"""run_jobs (relx cv --gpus): one job per slot at a time, repeated GPU indices are separate
slots, failures are reported per job, CUDA_VISIBLE_DEVICES pins each job."""

from __future__ import annotations

import sys
import time

import pytest

from relx.errors import ConfigError
from relx.train import Job, parse_gpus, run_jobs, worker_command
from relx.train import _launch

SCRIPT = (
    "import os, sys, time; print('gpu=' + os.environ.get('CUDA_VISIBLE_DEVICES', '?'));"
    "time.sleep(0.4); sys.exit(3 if 'bad' in sys.argv[-1] else 0)"
)


@pytest.fixture
def fake_worker(monkeypatch):
    def command(job, *, processes=1, cpu=False, port=None):
        return [sys.executable, "-c", SCRIPT, str(job.run_dir)]

    monkeypatch.setattr(_launch, "worker_command", command)


def test_cv_launch_repeated_gpu_index_gives_separate_slots(tmp_path, fake_worker):
    jobs = [Job(f"fold_{k}", tmp_path / "c.yaml", tmp_path / f"fold_{k}") for k in range(4)]
    running, peak, events = set(), [0], []

    def on_event(kind, job, result):
        events.append((kind, job.name, time.monotonic()))
        if kind == "start":
            running.add(job.name)
            peak[0] = max(peak[0], len(running))
        else:
            running.discard(job.name)

    results = run_jobs(jobs, log_dir=tmp_path / "logs", gpus=parse_gpus("0,0"),
                       on_event=on_event, poll_seconds=0.05)
    assert sorted(results) == [f"fold_{k}" for k in range(4)]  # none lost
    assert all(r.ok and r.devices == "0" for r in results.values())
    assert peak[0] == 2  # two slots on GPU 0, never more
    assert "gpu=0" in (tmp_path / "logs" / "fold_3.log").read_text()


def test_cv_launch_failure_is_reported_per_job(tmp_path, fake_worker):
    jobs = [Job("good", tmp_path / "c.yaml", tmp_path / "good"),
            Job("bad", tmp_path / "c.yaml", tmp_path / "bad")]
    results = run_jobs(jobs, log_dir=tmp_path / "logs", gpus=["1", "2"], poll_seconds=0.05)
    assert results["good"].ok and results["good"].devices == "1"
    assert results["bad"].returncode == 3 and results["bad"].tail  # log tail kept for the table


def test_cv_launch_commands_and_gpu_checks(tmp_path):
    job = Job("fold_0", tmp_path / "c.yaml", tmp_path / "fold_0", resume=True)
    assert worker_command(job)[1:4] == ["-m", "relx.train._worker", str(job.config_path)]
    assert worker_command(job)[-1] == "--resume"
    ddp = worker_command(job, processes=2, port=29999)
    assert ddp[1:3] == ["-m", "accelerate.commands.launch"] and "--multi_gpu" in ddp
    assert ddp[ddp.index("--num_processes") + 1] == "2"
    assert "torch.distributed.run" in worker_command(job, processes=2, cpu=True)
    with pytest.raises(ConfigError, match="E410"):
        parse_gpus("0,x")
    with pytest.raises(ConfigError, match="E411"):
        run_jobs([job], log_dir=tmp_path, gpus=["0"], processes=2)
    with pytest.raises(ConfigError, match="E411"):
        run_jobs([job], log_dir=tmp_path, gpus=["0", "0"], processes=2)
