"""Typed errors with stable codes, and the warning classes relx emits.

User mistakes (a bad file, a bad config value, a missing run directory) raise a
:class:`RelxError` subclass; the CLI prints its one-line message and exits 1 without a
traceback. Any other exception is a bug in relx and keeps its traceback.

Messages follow one formula: *location, expected, got, fix*. Each code has one meaning,
listed in :mod:`relx.error_codes` (docs/errors.md).
"""

from __future__ import annotations

import logging
import warnings

__all__ = [
    "RelxError",
    "ConfigError",
    "DataError",
    "RunDirError",
    "ModelError",
    "RelxWarning",
    "UndefinedMetricWarning",
    "LoggedRelxWarning",
    "warn_and_log",
]


class RelxError(Exception):
    """Base class of every error that is the user's to fix.

    Args:
        message: What is wrong, where, and what was expected.
        code: A stable code such as ``"E012"`` that tests, docs and issues can cite.
        hint: The next thing to try (often an exact command).
    """

    def __init__(self, message: str, *, code: str = "E000", hint: str | None = None) -> None:
        self.message = message
        self.code = code
        self.hint = hint
        super().__init__(f"[{code}] {message}")


class ConfigError(RelxError, ValueError):
    """A configuration value is missing, of the wrong type, or out of range."""


class DataError(RelxError, ValueError):
    """An input file cannot be used: names the file and line (or document id)."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        code: str = "E100",
        hint: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        where = path or ""
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}" if where else message, code=code, hint=hint)


class RunDirError(RelxError, FileNotFoundError):
    """A run directory or checkpoint is missing, incomplete or of an unknown version."""


class ModelError(RelxError, ValueError):
    """A model cannot be built or loaded as configured (missing backend, bad path...)."""


class RelxWarning(UserWarning):
    """A setting is suspicious or ignored; training goes on."""


class LoggedRelxWarning(RelxWarning):
    """A :class:`RelxWarning` that relx also wrote to its log (:func:`warn_and_log`).

    The command line shows the log line only (relx/cli/_app.py), so such a warning prints
    once, not twice; Python callers still catch it as a ``RelxWarning``.
    """


def warn_and_log(logger: logging.Logger, message: str, *, stacklevel: int = 2) -> None:
    """Warn Python callers (``warnings``) and write the run's log (``logger``), once each.

    Both channels are wanted: library users filter or assert warnings, while the log is what
    ``relx cv``'s fold logs and every CLI command show. ``stacklevel`` counts from the caller,
    as for :func:`warnings.warn`.
    """
    warnings.warn(message, LoggedRelxWarning, stacklevel=stacklevel + 1)
    logger.warning(message)


class UndefinedMetricWarning(RelxWarning):
    """A metric is undefined (e.g. precision with no predicted positives) and is set to 0."""
