"""One writer per directory: an exclusive lock file held for the life of the process.

Two ``relx train`` processes on one run directory (a run and its ``--resume``, or two
terminals) used to both train to the end and write the same files. Every directory relx
writes (a run directory, a CV directory, a ``data build --out`` folder) is locked first:
``DIR/.relx.lock`` holds the holder's pid, and ``fcntl.flock`` makes the lock exclusive.
The kernel drops the lock when the process dies, however it dies (SIGKILL included), so a
stale lock file never blocks the next run; the pid inside only names the holder. A clean
release removes the file.

The locks this process holds are kept in a registry: taking a lock again on a directory
already held is a no-op (a CV run locks its directory, then trains folds in-process), and
:func:`held_locks` tells the Ctrl-C handler which directory was being written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from relx.errors import RunDirError

__all__ = ["LOCK_FILE", "HeldLock", "lock_directory", "release_directory", "held_locks"]

LOCK_FILE = ".relx.lock"


@dataclass(frozen=True)
class HeldLock:
    """A lock this process holds: the directory, what it is, and the open descriptor."""

    directory: Path
    kind: str
    fd: int


_HELD: dict[Path, HeldLock] = {}


def _holder_pid(lock_path: Path) -> str:
    try:
        return lock_path.read_text(encoding="utf-8").strip() or "unknown"
    except OSError:
        return "unknown"


def lock_directory(directory: str | os.PathLike[str], *, kind: str) -> HeldLock:
    """Lock ``directory`` (created if needed) for this process, or fail naming the holder.

    Args:
        directory: The run / CV / folds directory.
        kind: What it is (``train``, ``cv``, ``data build``), for messages.

    Raises:
        RunDirError: [E612] another live process holds the lock.
    """
    root = Path(directory)
    key = root.resolve()
    if key in _HELD:
        return _HELD[key]
    root.mkdir(parents=True, exist_ok=True)
    lock_path = root / LOCK_FILE
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks, run unguarded
        held = HeldLock(key, kind, -1)
        _HELD[key] = held
        return held
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            pid = _holder_pid(lock_path)
            raise RunDirError(
                f"{root}: in use by another relx process (pid {pid}, lock {lock_path}); "
                f"expected one process per directory ({kind})",
                code="E612",
                hint=f"wait for pid {pid} to finish (or stop it: kill {pid}), or choose "
                "another --out",
            ) from None
        # The holder before us may have removed the file on release: a lock on an unlinked
        # file guards nothing, so take it again on the file now at that path.
        try:
            if os.stat(lock_path).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    os.fsync(fd)
    held = HeldLock(key, kind, fd)
    _HELD[key] = held
    return held


def release_directory(directory: str | os.PathLike[str]) -> None:
    """Release this process's lock on ``directory`` (no-op when not held)."""
    held = _HELD.pop(Path(directory).resolve(), None)
    if held is not None and held.fd >= 0:
        # Unlink while still holding the lock (see lock_directory's inode check), then close:
        # a finished directory keeps no lock file. A killed process leaves one, unlocked.
        (held.directory / LOCK_FILE).unlink(missing_ok=True)
        os.close(held.fd)


def held_locks() -> list[HeldLock]:
    """The directories this process is writing, in the order they were locked."""
    return list(_HELD.values())
