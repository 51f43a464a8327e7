"""The thin ``relx`` command line: parse, check paths, call the library, print.

Each module registers its commands on the root app through ``register(app)``. Library
functions never print or exit; :func:`run_app` turns a :class:`~relx.errors.RelxError`
into one red line plus a hint and exit code 1. Any other exception is a bug and keeps its
traceback.
"""

from relx.cli._app import app, main

__all__ = ["app", "main"]
