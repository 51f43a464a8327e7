"""relx: biomedical relation extraction with encoders and instruction-tuned LLMs.

The pipeline flows one way: corpus -> documents (``relx.data``) -> pair examples
(``relx.data``) -> encoded batches (``relx.represent``) -> model (``relx.models``) ->
predictions (``relx.train`` / ``relx.evaluate``) -> metrics and reports (``relx.evaluate``,
``relx.diagnose``).
"""

__version__ = "0.1.0"

__all__ = ["__version__", "load"]


def load(run_or_model, *, device=None):  # type: ignore[no-untyped-def]
    """Load a trained model (a run directory or a model directory); see :func:`relx._api.load`.

    A function rather than an import so that ``import relx`` stays light (no torch).
    """
    from relx._api import load as _load

    return _load(run_or_model, device=device)
