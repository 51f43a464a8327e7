"""One training worker process: ``python -m relx.train._worker CONFIG RUN_DIR [--resume]``.

Started by :func:`relx.train.run_jobs` (``relx cv --gpus/--processes``, ``relx sweep``),
directly or under ``accelerate launch``/``torchrun``; equivalent to ``relx train CONFIG
--out RUN_DIR``. Kept out of ``relx.train``'s imports so ``python -m`` runs it cleanly.
Exit code 0 on success, 1 on a user error (one line on stderr); a bug keeps its traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

__all__: list[str] = []


def _worker_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of one training worker: load the config file, train, exit 0 or 1."""
    parser = argparse.ArgumentParser(prog="python -m relx.train._worker")
    parser.add_argument("config")
    parser.add_argument("run_dir")
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)

    import logging
    import warnings

    from relx.errors import LoggedRelxWarning, RelxError
    from relx.train._cv import load_config_file
    from relx.train._recipe import train

    # The fold log (this process's stderr) shows relx's warnings as their log line, as
    # `relx cv` itself does (relx/cli/cv.py); Python's own display of the same warning would
    # print it a second time, with relx's file and line.
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    warnings.simplefilter("ignore", LoggedRelxWarning)
    try:
        config = load_config_file(args.config)
        is_main = os.environ.get("RANK", "0") == "0"
        train(config, run_dir=Path(args.run_dir), resume=args.resume, progress=is_main)
    except RelxError as error:
        print(f"error {error}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main())
