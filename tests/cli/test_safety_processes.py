"""Safety properties that need a second process, a signal or a run directory's lifecycle.

A second writer on a locked directory is refused naming the holder's pid; Ctrl-C says where
the run stands and how to resume; a fresh run removes a stale ``COMPLETE``; doctor reports a
checkpoint that asks to run its own code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from relx import rundir
from relx._lock import LOCK_FILE, lock_directory
from relx.errors import RunDirError
from relx.train import RunWriter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_bad_input_table import (  # noqa: E402
    TINY,
    booby_trapped_run,
    pubtator,
    run_relx,
    tiny_run,  # noqa: F401 - the shared tiny-model fixture
)

_HOLD = """
import sys, time
from relx._lock import lock_directory
lock_directory(sys.argv[1], kind="train")
print("held", flush=True)
time.sleep(60)
"""


@pytest.fixture()
def holder(tmp_path: Path):
    """Another process holding the lock on tmp_path/dir; yields (dir, its pid)."""
    target = tmp_path / "dir"
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(target)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield target, proc.pid
    proc.kill()
    proc.wait()


def test_safety_second_run_writer_is_refused_naming_the_holder(holder) -> None:
    target, pid = holder
    with pytest.raises(RunDirError) as error:
        RunWriter(target).start(resume=False)
    assert error.value.code == "E612" and f"pid {pid}" in str(error.value)
    assert not (target / rundir.RUN_FILE).exists()


def test_safety_second_data_build_is_refused_through_the_cli(
    holder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target, pid = holder
    corpus = pubtator(tmp_path)
    code, output = run_relx(["data", "build", str(corpus), "--out", str(target), "--folds", "1"],
                            monkeypatch, capsys)
    assert code == 1 and "E612" in output and f"pid {pid}" in output
    assert sorted(p.name for p in target.iterdir()) == [LOCK_FILE]


def test_safety_lock_of_a_killed_process_does_not_block(tmp_path: Path) -> None:
    target = tmp_path / "dir"
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(target)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    proc.kill()
    proc.wait()
    assert (target / LOCK_FILE).exists()  # SIGKILL leaves the file, not the lock
    writer = RunWriter(target)
    writer.start(resume=False)
    writer.finish()
    assert not (target / LOCK_FILE).exists()


def test_safety_fresh_run_removes_a_stale_complete_marker(tmp_path: Path) -> None:
    target = tmp_path / "run"
    target.mkdir()
    (target / rundir.COMPLETE_MARKER).write_text("from someone else\n")
    writer = RunWriter(target)
    writer.start(resume=False)
    assert not (target / rundir.COMPLETE_MARKER).exists()
    writer.finish("failed")


def test_safety_ctrl_c_during_train_says_where_and_how_to_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import relx.train

    out = tmp_path / "run"

    def interrupted_train(cfg, *, run_dir, resume, progress):  # noqa: ANN001, ANN202
        RunWriter(run_dir).start(resume=resume)
        raise KeyboardInterrupt

    monkeypatch.setattr(relx.train, "train", interrupted_train)
    monkeypatch.setattr("relx.cli.train._load", lambda config, overrides: None)
    code, output = run_relx(["train", "quickstart/minilm", "--out", str(out), "--set",
                             "data.split_files=[a.json]"], monkeypatch, capsys)
    text = " ".join(output.split())
    assert code == 130
    assert f"run {out.resolve()} is unfinished" in text
    assert f"--out {out} --set 'data.split_files=[a.json]' --resume" in text
    assert len(output.strip().splitlines()) == 1, output


def test_safety_ctrl_c_outside_any_run_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import relx.data

    def interrupted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise KeyboardInterrupt

    monkeypatch.setattr(relx.data, "build_folds", interrupted)
    code, output = run_relx(["data", "build", str(pubtator(tmp_path)), "--out",
                             str(tmp_path / "o")], monkeypatch, capsys)
    assert code == 130 and "interrupted (Ctrl-C)" in output
    assert len(output.strip().splitlines()) == 1


def test_safety_doctor_reports_a_checkpoint_that_asks_for_remote_code(
    tmp_path: Path, tiny_run: Path
) -> None:
    from relx.diagnose import doctor

    TINY["run"] = tiny_run
    work = tmp_path / "w"
    work.mkdir()
    run = booby_trapped_run(work)
    report = doctor(run, build_model=True)
    check = next(c for c in report.checks if c.id == "files.remote_code")
    assert check.status.value == "warn"
    assert "auto_map" in check.message and "backbone/evil.py" in check.message
    assert not (tmp_path / "PWNED").exists()
    clean = next(c for c in doctor(tiny_run, build_model=False).checks
                 if c.id == "files.remote_code")
    assert clean.status.value == "pass"


def test_safety_load_classifier_runs_remote_code_only_when_asked(
    tmp_path: Path, tiny_run: Path
) -> None:
    from relx.models import load_classifier

    TINY["run"] = tiny_run
    work = tmp_path / "w"
    work.mkdir()
    best = booby_trapped_run(work) / rundir.DIR_BEST
    with pytest.warns(UserWarning, match="asks to run its own Python code"):
        load_classifier(best)
    assert not (tmp_path / "PWNED").exists()
    # The user asked: transformers may run it. In a subprocess, because transformers then
    # registers the shipped classes process-wide.
    subprocess.run([sys.executable, "-c", "import sys; from relx.models import load_classifier;"
                    " load_classifier(sys.argv[1], trust_remote_code=True)", str(best)],
                   check=True, capture_output=True)
    assert (tmp_path / "PWNED").read_text() == "ran"

