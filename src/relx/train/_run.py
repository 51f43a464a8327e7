"""Writing and reading run directories (layout: :mod:`relx.rundir`).

Every file goes through :mod:`relx._io` (temporary file + rename), ``run.json`` carries the
format version and a status, and ``COMPLETE`` is written last, so a directory that looks
finished is finished. ``metrics.jsonl`` is rewritten atomically from memory at each flush
(a crash loses only the lines since the last checkpoint, never leaves a half line).

Error codes (E6xx, run directories; catalog: relx/error_codes.py):
    E601 not a run directory / missing file · E608 the run has not finished ·
    E609 run directory exists (not restartable) · E610 nothing to resume.
"""

from __future__ import annotations

import datetime as _dt
import json
import warnings
from pathlib import Path
from typing import Any

from relx import __version__, rundir
from relx._io import atomic_open, atomic_write_json, atomic_write_text, read_json
from relx._lock import held_locks, lock_directory, release_directory
from relx.errors import RelxWarning, RunDirError

__all__ = [
    "RunWriter",
    "read_run",
    "read_metrics",
    "read_summary",
    "is_complete",
    "now_iso",
]


def now_iso() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def is_complete(run_dir: str | Path) -> bool:
    """Whether a run directory finished (its ``COMPLETE`` marker exists)."""
    return (Path(run_dir) / rundir.COMPLETE_MARKER).is_file()


def read_run(run_dir: str | Path) -> dict[str, Any]:
    """Read ``run.json``; warn (not crash) on a newer format version.

    Raises:
        RunDirError: [E601] not a run directory.
    """
    path = Path(run_dir) / rundir.RUN_FILE
    if not path.is_file():
        raise RunDirError(
            f"{run_dir}: not a relx run directory; expected {rundir.RUN_FILE} in it",
            code="E601",
            hint=f"ls {run_dir}  # or train one: relx train CONFIG --out {run_dir}",
        )
    info = read_json(path)
    version = int(info.get("format_version", 0))
    if version > rundir.RUN_FORMAT_VERSION:
        warnings.warn(
            f"{path}: run format version {version} is newer than this relx reads "
            f"({rundir.RUN_FORMAT_VERSION}, relx {__version__}); some fields may be ignored. "
            f"Upgrade: pip install -U relx",
            RelxWarning,
            stacklevel=2,
        )
    return info


def read_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    """All events of ``metrics.jsonl`` (empty list when the file does not exist yet)."""
    path = Path(run_dir) / rundir.METRICS_FILE
    if not path.is_file():
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    """``summary.json`` of a finished run.

    Raises:
        RunDirError: [E608] missing (the run did not finish).
    """
    path = Path(run_dir) / rundir.SUMMARY_FILE
    if not path.is_file():
        raise RunDirError(
            f"{path}: missing; the run has not finished (no {rundir.COMPLETE_MARKER})",
            code="E608",
            hint=f"relx train CONFIG --out {run_dir} --resume",
        )
    return read_json(path)


class RunWriter:
    """Writes one run directory; only the main process should hold one.

    Args:
        run_dir: The directory.
        kind: ``train`` (a cv engineer's CV directory uses ``cv``).
    """

    def __init__(self, run_dir: str | Path, *, kind: str = "train") -> None:
        self.root = Path(run_dir)
        self.kind = kind
        self.events: list[dict[str, Any]] = []
        self._run: dict[str, Any] = {}

    # -- lifecycle -------------------------------------------------------------------

    def start(self, *, resume: bool) -> None:
        """Create (or reopen for resuming) the directory and write ``run.json``.

        What a kill during a checkpoint save left behind is repaired first
        (``recover_checkpoints``). A resume of a run that saved no checkpoint yet starts
        from step 0 (the recipe sees no ``checkpoints/last``). A fresh start into a run that
        failed or was interrupted before its first checkpoint starts it again: nothing
        would be lost, and the same command must work after the user fixed the input.

        Raises:
            RunDirError: [E609] a fresh run into a run directory that finished or holds a
                checkpoint; [E610] resume where no run was started; [E612] another live
                process holds the directory (relx._lock).
        """
        from relx.train._checkpoint import is_checkpoint, recover_checkpoints

        has_run = (self.root / rundir.RUN_FILE).is_file()
        if resume and not has_run:
            raise RunDirError(
                f"{self.root}: nothing to resume; expected {rundir.RUN_FILE} and "
                f"{rundir.DIR_LAST}/{rundir.CHECKPOINT_META_FILE} (no run was started here)",
                code="E610",
                hint=f"relx train CONFIG --out {self.root}  # without --resume",
            )
        # Held already by this process (a second writer in one process) means "running" is
        # this process's own live run, not a dead one.
        ours_already = self.root.resolve() in {held.directory for held in held_locks()}
        lock_directory(self.root, kind=self.kind)  # creates it; one writer per directory
        if has_run:
            recover_checkpoints(self.root)  # under the lock: no live writer is mid-save
        if resume:
            self._run = read_run(self.root)
            self._run["status"] = "running"
            self._run.setdefault("resumed_at", []).append(now_iso())
            (self.root / rundir.COMPLETE_MARKER).unlink(missing_ok=True)
        else:
            if has_run and self._restartable(dead_if_running=not ours_already):
                self._clear_unfinished()
            elif has_run:
                raise RunDirError(
                    f"{self.root}: already holds a run ({rundir.RUN_FILE}, status "
                    f"{self._status()}); expected a new or empty directory",
                    code="E609",
                    hint=f"relx train CONFIG --out {self.root} --resume  # or choose another "
                    f"--out",
                )
            # A COMPLETE left by someone else's files would make relx cv skip this fold.
            (self.root / rundir.COMPLETE_MARKER).unlink(missing_ok=True)
            self._run = {
                "format_version": rundir.RUN_FORMAT_VERSION,
                "relx_version": __version__,
                "kind": self.kind,
                "status": "running",
                "created": now_iso(),
                "finished": None,
            }
        atomic_write_json(self.root / rundir.RUN_FILE, self._run)

    def _status(self) -> str:
        try:
            return str(read_json(self.root / rundir.RUN_FILE).get("status", "unknown"))
        except (OSError, ValueError):
            return "unreadable"

    def _restartable(self, *, dead_if_running: bool) -> bool:
        """A run that ended before its first checkpoint: nothing a restart could lose.

        Called with the directory's lock held, so a status of ``running`` means its
        process died (SIGKILL, power loss) rather than that it is still going.
        """
        from relx.train._checkpoint import is_checkpoint

        ended = {"failed", "interrupted", "running"} if dead_if_running else {"failed",
                                                                               "interrupted"}
        return not is_checkpoint(self.root / rundir.DIR_LAST) and self._status() in ended

    def _clear_unfinished(self) -> None:
        """Remove the files of a run that never reached a checkpoint (a restart)."""
        for name in (rundir.RUN_FILE, rundir.METRICS_FILE, rundir.SUMMARY_FILE,
                     rundir.COMPLETE_MARKER, rundir.CONFIG_FILE, rundir.DATA_FILE,
                     rundir.ENV_FILE, rundir.TYPE_PAIR_FILE, rundir.VAL_PREDICTIONS_FILE):
            (self.root / name).unlink(missing_ok=True)

    def finish(self, status: str = "complete") -> None:
        """Set the final status; ``complete`` also writes the ``COMPLETE`` marker, last."""
        self._run["status"] = status
        self._run["finished"] = now_iso()
        atomic_write_json(self.root / rundir.RUN_FILE, self._run)
        if status == "complete":
            atomic_write_text(self.root / rundir.COMPLETE_MARKER, now_iso() + "\n")
        release_directory(self.root)  # the run's files are final: another process may go on

    # -- files -----------------------------------------------------------------------

    def write_config(self, yaml_text: str) -> None:
        """``config.resolved.yaml``."""
        atomic_write_text(self.root / rundir.CONFIG_FILE, yaml_text)

    def write_environment(self, env: dict[str, Any]) -> None:
        """``environment.json``."""
        atomic_write_json(self.root / rundir.ENV_FILE, env)

    def write_summary(self, summary: dict[str, Any]) -> None:
        """``summary.json``."""
        atomic_write_json(self.root / rundir.SUMMARY_FILE, summary)

    def write_json(self, name: str, obj: Any) -> None:
        """Any other JSON file of the run (e.g. the type-pair mask)."""
        atomic_write_json(self.root / name, obj)

    # -- metrics ---------------------------------------------------------------------

    def load_events(self, *, up_to_step: int | None = None) -> None:
        """On resume: keep the logged events up to the checkpoint's step (later ones are
        replayed by the resumed run, so they must not appear twice)."""
        events = read_metrics(self.root)
        if up_to_step is not None:
            events = [e for e in events if int(e.get("step", 0)) <= up_to_step]
        # The "final" event is written by the run's last stage, which a resume runs again.
        self.events = [e for e in events if e.get("event") != "final"]

    def log(self, event: dict[str, Any]) -> None:
        """Buffer one event (``flush`` writes them)."""
        self.events.append(event)

    def flush(self) -> None:
        """Rewrite ``metrics.jsonl`` atomically with every event so far."""
        with atomic_open(self.root / rundir.METRICS_FILE) as handle:
            for event in self.events:
                handle.write(json.dumps(event, ensure_ascii=False))
                handle.write("\n")
