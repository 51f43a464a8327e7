"""``doctor``: say what is wrong with a run or a checkpoint, as a checklist with evidence."""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable
from typing import Any

from relx import rundir
from relx.diagnose._checkpoint import check_checkpoint, resolve_context
from relx.diagnose._inventory import scan_directory
from relx.diagnose._remote_code import check_remote_code
from relx.diagnose._report import DoctorReport, Status
from relx.errors import RunDirError

__all__ = ["doctor", "find_checkpoint"]


def find_checkpoint(path: Path) -> Path | None:
    """The checkpoint a run directory should be judged by: best, else last, else None."""
    for sub in (rundir.DIR_BEST, rundir.DIR_LAST):
        if (path / sub).is_dir():
            return path / sub
    return None


def _trainer_output_checkpoint(path: Path) -> Path | None:
    """A HF Trainer output dir (the origin's layout): ``checkpoint-best`` else the last ``checkpoint-N``."""
    if any((path / f).is_file() for f in ("adapter_config.json", "config.json", "relx_model.json")):
        return None
    if (path / "checkpoint-best").is_dir():
        return path / "checkpoint-best"
    numbered = [p for p in path.glob("checkpoint-*") if p.is_dir() and p.name.split("-")[-1].isdigit()]
    return max(numbered, key=lambda p: int(p.name.split("-")[-1])) if numbered else None


def _is_run(path: Path) -> bool:
    return (path / rundir.RUN_FILE).is_file() or (path / rundir.CONFIG_FILE).is_file() or (
        path / rundir.METRICS_FILE
    ).is_file()


def doctor(
    path: str | Path,
    *,
    base_model: str | None = None,
    data: str | Path | None = None,
    config: str | Path | None = None,
    allow_pickle: bool = False,
    sample_size: int | None = None,
    build_model: bool = True,
    progress: Callable[[str], None] | None = None,
) -> DoctorReport:
    """Examine a relx run, a relx checkpoint or a plain HF/PEFT checkpoint directory.

    Static checks (files, adapter, head, tokenizer) never build the model. Model-based checks
    (pooling, prediction distribution, base agreement) run when the model can be built offline
    and ``build_model`` is true. Run checks (curves, lr vs method, effective batch, best rule)
    run when ``path`` is a run directory or ``config`` is given.

    Args:
        path: Run directory, CV directory (every fold, with one summary across folds first),
            or checkpoint directory.
        base_model: Base model directory when the checkpoint does not reference a local one.
        data: A split JSON to measure truncation and the predicted label distribution on.
        config: A relx run config (YAML/JSON) when ``path`` is a bare checkpoint.
        allow_pickle: Read pickled files with ``torch.load(weights_only=True)``.
        sample_size: Examples for the model-based checks (default ``DOCTOR_SAMPLE_SIZE``).
        build_model: Set False to run only the static checks.
        progress: Called with a short status line before each fold of a CV directory (the
            CLI shows it as a spinner: model checks take seconds per fold).

    Returns:
        The report; ``report.ok`` is False when any check failed.

    Raises:
        RunDirError: ``path`` does not exist or is not a directory.
    """
    root = Path(path)
    if not root.is_dir():
        raise RunDirError(
            f"{root}: expected a run or checkpoint directory; got "
            f"{'a file' if root.exists() else 'nothing at that path'}",
            code="E701",
            hint="relx doctor runs/my_run  (or runs/my_run/checkpoints/best)",
        )
    from relx.diagnose import _run

    run_facts = None
    checkpoint_dir: Path | None = root
    kind = "unknown"
    if (root / rundir.CV_FILE).is_file() and not _is_run(root):
        # A CV directory: every fold is examined; sections are prefixed with the fold name so
        # that "fold_3/adapter" shows which fold went wrong.
        report = DoctorReport(path=str(root), kind="relx_cv")
        folds = rundir.fold_dirs(root)  # in fold order: fold_10 after fold_9
        report.add("run.cv", "run", Status.INFO if folds else Status.FAIL,
                   f"CV directory with {len(folds)} fold run(s)", evidence={"folds": [p.name for p in folds]},
                   fix="" if folds else "relx cv CONFIG has not produced any fold yet")
        subs: dict[str, DoctorReport] = {}
        for i, fold in enumerate(folds):
            if progress is not None:
                progress(f"fold {i + 1}/{len(folds)}: {fold.name}")
            subs[fold.name] = doctor(fold, base_model=base_model, data=data, config=config,
                                     allow_pickle=allow_pickle, sample_size=sample_size, build_model=build_model)
        # The summary across folds first, where a reader looks; then every fold's checklist.
        from relx.diagnose._cv_summary import summarise_folds

        report.checks.extend(summarise_folds(folds, subs))
        for name, sub in subs.items():
            for check in sub.checks:
                check.section = f"{name}/{check.section}"
                check.evidence = {"fold": name, **check.evidence}
                report.checks.append(check)
        return report
    if _is_run(root):
        kind = "relx_run"
        run_facts = _run.read_run(root)
        checkpoint_dir = find_checkpoint(root)
    else:
        checkpoint_dir = _trainer_output_checkpoint(root) or root
        if config is not None:
            run_facts = _run.read_config_only(Path(config))
    report = DoctorReport(path=str(root), kind=kind)
    labels = run_facts.labels if run_facts is not None else None
    ctx: Any = None
    inv = None
    if checkpoint_dir is None:
        report.add(
            "files.checkpoint", "files", Status.FAIL,
            f"no {rundir.DIR_BEST} or {rundir.DIR_LAST} in the run directory",
            fix="the run has not saved a checkpoint yet (or crashed before): relx train --resume",
        )
    else:
        if checkpoint_dir != root:
            report.add("files.checkpoint", "files", Status.INFO,
                       f"examining {checkpoint_dir.relative_to(root)}",
                       evidence={"checkpoint": str(checkpoint_dir)})
        inv = scan_directory(checkpoint_dir)
        if kind == "unknown":
            report.kind = inv.kind
        ctx = resolve_context(
            inv, base_model=base_model, fallback_base_model=run_facts.base_model if run_facts else None,
            labels=labels, labels_source="run config" if labels else "",
        )
        check_checkpoint(inv, ctx, report, allow_pickle=allow_pickle)
        check_remote_code(checkpoint_dir, report)
    if run_facts is not None:
        _run.check_run(run_facts, report)
    if inv is not None and build_model:
        from relx.diagnose import _model_checks

        _model_checks.check_with_model(
            inv, ctx, report, run=run_facts, data=Path(data) if data else None,
            sample_size=sample_size,
        )
    elif data is not None:
        report.add("data.truncation", "data", Status.SKIP, "model checks disabled; data not examined")
    return report
