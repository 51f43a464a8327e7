"""Shared plumbing of the benchmark scripts that drive relx through its real CLI.

``bench/quality_cv.py`` and ``bench/case_study.py`` run ``python -m relx ...`` as subprocesses
(the commands a user types), log each command line with its output, and build the tiny CPU
inputs of their ``--tiny`` smoke modes (a synthetic corpus from ``relx data synth`` and a tiny
random model from ``tests/tiny_models.py``). Not part of relx; imported as a sibling module
(``python bench/x.py`` puts ``bench/`` on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"


def relx_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a relx subprocess: this checkout's ``src`` first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def relx_cmd(*args: str) -> list[str]:
    """``[python, -m, relx, *args]`` with this interpreter."""
    return [sys.executable, "-m", "relx", *args]


def shown(cmd: list[str]) -> str:
    """A command line as a user would type it (``relx ...`` instead of ``python -m relx``)."""
    if cmd[:3] == [sys.executable, "-m", "relx"]:
        cmd = ["relx", *cmd[3:]]
    return shlex.join(cmd)


@dataclass
class CommandResult:
    """One finished subprocess: its command line, exit status, wall time and log file."""

    cmd: str
    returncode: int
    seconds: float
    log: str
    tail: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"cmd": self.cmd, "returncode": self.returncode,
                "seconds": round(self.seconds, 1), "log": self.log}


def start(cmd: list[str], log: Path, *, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> tuple[subprocess.Popen[bytes], Any, float]:
    """Start ``cmd`` writing stdout+stderr to ``log`` (first line: the command)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    handle = open(log, "wb")  # noqa: SIM115 - closed by finish()
    handle.write(("$ " + shown(cmd) + "\n").encode())
    handle.flush()
    proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT,
                            env=env or relx_env(), cwd=cwd)
    return proc, handle, time.monotonic()


def finish(cmd: list[str], log: Path, proc: subprocess.Popen[bytes], handle: Any,
           started: float) -> CommandResult:
    """Wait for a process from :func:`start` and describe it."""
    rc = proc.wait()
    handle.close()
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return CommandResult(shown(cmd), rc, time.monotonic() - started, str(log), lines[-15:])


def run(cmd: list[str], log: Path, *, env: dict[str, str] | None = None,
        cwd: Path | None = None, echo: bool = True) -> CommandResult:
    """Run ``cmd`` to completion, logging it; print a one-line outcome."""
    if echo:
        print(f"$ {shown(cmd)}", flush=True)
    result = finish(cmd, log, *start(cmd, log, env=env, cwd=cwd))
    if echo:
        mark = "ok" if result.returncode == 0 else f"exit {result.returncode}"
        print(f"  -> {mark} in {result.seconds:.0f} s (log: {log})", flush=True)
        if result.returncode not in (0,):
            print("\n".join("  | " + line for line in result.tail), flush=True)
    return result


def read_json(path: Path) -> Any:
    """The JSON at ``path``, or None when it does not exist."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def biored_corpus(data: Path | None, parser: Any) -> list[Path]:
    """``DATA/Train.PubTator`` and ``DATA/Dev.PubTator``, or a usage error naming what is missing."""
    if data is None:
        parser.error("--data DIR is required (or --tiny)")
    corpus = [data.resolve() / "Train.PubTator", data.resolve() / "Dev.PubTator"]
    missing = [str(p) for p in corpus if not p.is_file()]
    if missing:
        parser.error(f"missing corpus files: {', '.join(missing)}")
    return corpus


def synth_corpus(path: Path, *, docs: int, seed: int, log_dir: Path) -> Path:
    """``relx data synth --out PATH --docs N --seed S`` (the tiny modes' corpus)."""
    result = run(relx_cmd("data", "synth", "--out", str(path), "--docs", str(docs),
                          "--seed", str(seed)), log_dir / f"synth_{path.stem}.log", echo=False)
    if result.returncode != 0:
        raise SystemExit(f"relx data synth failed: see {result.log}")
    return path


def tiny_model(folder: Path, corpus_files: list[Path], *, architecture: str) -> Path:
    """A tiny random ``bert`` or ``llama`` (tests/tiny_models.py) whose vocabulary covers the
    corpus: the CPU stand-in for MiniLM / SmolLM2 in the ``--tiny`` smoke modes."""
    sys.path.insert(0, str(SRC))
    sys.path.insert(0, str(REPO / "tests"))
    from relx.data import read_corpus
    from tiny_models import make_tiny_bert

    texts = [doc.text for doc in read_corpus([str(p) for p in corpus_files])]
    return make_tiny_bert(folder, texts, architecture=architecture)


def fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def fmt_pm(mean: float | None, std: float | None, digits: int = 3) -> str:
    if mean is None:
        return "-"
    return f"{mean:.{digits}f} ± {std:.{digits}f}" if std is not None else f"{mean:.{digits}f}"
