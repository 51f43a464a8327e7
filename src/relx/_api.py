"""``relx.load``: the Python entry point a user reaches for first.

Thin on purpose: loading is :func:`relx.models.load_classifier`, prediction is
:func:`relx.evaluate.predict_examples`; this only resolves a run directory to its model and
turns documents into candidate pairs the way the model was trained (its recorded context).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["load", "LoadedModel"]


class LoadedModel:
    """A trained relx classifier ready to predict.

    Attributes:
        model: The :class:`relx.models.RelationClassifier`.
        tokenizer: Its tokenizer.
        path: The model directory it was loaded from.
    """

    def __init__(self, model: Any, tokenizer: Any, path: Path, *, device: str | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.path = path
        self.device = device

    @property
    def labels(self) -> tuple[str, ...]:
        """Class order of the model's outputs."""
        return tuple(self.model.labels)

    def predict(self, items: Iterable[Any], *, threshold: float | None = None, batch_size: int = 32) -> list[Any]:
        """Predict relations for documents or pair examples.

        Args:
            items: :class:`relx.data.Document` objects (every candidate pair of each is
                scored) or :class:`relx.data.PairExample` objects (mixing both is an error).
            threshold: ``None``: arg-max label; a float: relation iff ``1 - p(NOT) >= threshold``.
            batch_size: Examples per forward pass.

        Returns:
            One :class:`relx.evaluate.Prediction` per candidate pair, in input order.
        """
        from relx.data import Document, PairExample, build_pairs
        from relx.errors import DataError
        from relx.evaluate import predict_examples

        items = list(items)
        docs = [x for x in items if isinstance(x, Document)]
        pairs = [x for x in items if isinstance(x, PairExample)]
        if len(docs) + len(pairs) != len(items) or (docs and pairs):
            kinds = sorted({type(x).__name__ for x in items})
            raise DataError(f"predict: expected relx.data.Document or PairExample objects (not mixed); "
                            f"got {', '.join(kinds)}", code="E509",
                            hint="relx.data.read_corpus(['corpus.pubtator']) gives documents")
        if docs:
            context = (self.model.info.representation or {}).get("context") or "multi_sentence"
            pairs = build_pairs(docs, context=context)
        return predict_examples(self.model, self.tokenizer, pairs, batch_size=batch_size, device=self.device,
                                threshold=threshold)

    def __repr__(self) -> str:
        info = self.model.info
        return f"LoadedModel({str(self.path)!r}, {info.model_type}, {info.method}, head={info.head})"


def load(run_or_model: str | os.PathLike[str], *, device: str | None = None) -> LoadedModel:
    """Load a trained model from a run directory (its best checkpoint) or a model directory.

    Example::

        import relx
        model = relx.load("runs/quickstart/fold_0")
        predictions = model.predict(relx.data.read_corpus(["new.pubtator"]))

    Raises:
        RunDirError: E607 no saved model at that path (an unfinished run, a CV directory).
    """
    from relx.evaluate import resolve_checkpoint
    from relx.models import load_classifier

    path = resolve_checkpoint(run_or_model)
    model, tokenizer, _ = load_classifier(path)
    model.eval()
    return LoadedModel(model, tokenizer, path, device=device)
