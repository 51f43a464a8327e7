"""relx: biomedical relation extraction with encoders and instruction-tuned LLMs.

The pipeline flows one way: corpus -> documents (``relx.data``) -> pair examples
(``relx.data``) -> encoded batches (``relx.represent``) -> model (``relx.models``) ->
predictions (``relx.train`` / ``relx.evaluate``) -> metrics and reports (``relx.evaluate``,
``relx.diagnose``).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
