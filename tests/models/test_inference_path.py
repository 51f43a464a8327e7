"""The one inference path: windows in input order, equal to one-by-one forwards."""

from __future__ import annotations

import pytest
import torch

from relx.labels import ALL_LABELS
from relx.models import build_classifier, iter_probabilities, predict_probabilities
from relx.represent import EncodedExample, get_batching, length_grouped_batches

MARKERS = ["[E1]", "[/E1]", "[E2]", "[/E2]"]
TEXTS = [
    "[E1] the gene [/E1] binds to [E2] drug [/E2] in patients",
    "[E2] cancer [/E2] risk is increased by [E1] mutation [/E1] in a large cohort of people",
    "[E1] protein [/E1] levels and [E2] disease [/E2]",
    "[E1] x [/E1] [E2] y [/E2]",
    "[E2] tumour [/E2] growth slowed under [E1] inhibitor [/E1] treatment",
]


def _encoded(tokenizer) -> list[EncodedExample]:
    e1, e2 = tokenizer.convert_tokens_to_ids(["[E1]", "[E2]"])
    out = []
    for i, text in enumerate(TEXTS):
        ids = tokenizer(text)["input_ids"]
        out.append(
            EncodedExample(
                input_ids=ids,
                label=i % 3,
                entity_token_index=(ids.index(e1), ids.index(e2)),
                type_pair=("GeneOrGeneProduct", "ChemicalEntity"),
                example_id=f"ex{i}",
            )
        )
    return out


@pytest.fixture(scope="module")
def bert(tiny_bert_dir):
    torch.manual_seed(0)
    model, tokenizer = build_classifier(
        model_name_or_path=tiny_bert_dir, labels=ALL_LABELS, head="entity_start",
        method="full", marker_tokens=MARKERS,
    )
    return model.eval(), tokenizer


@pytest.mark.parametrize("window", [1, 2, 100])
@pytest.mark.parametrize("budget", [None, 40])
def test_chunks_cover_input_in_order_and_equal_one_by_one(bert, window, budget):
    model, tokenizer = bert
    encoded = _encoded(tokenizer)
    pad = tokenizer.pad_token_id
    alone = torch.cat([
        predict_probabilities(model, [ex], pad_token_id=pad, device="cpu")[0] for ex in encoded
    ])
    chunks = list(iter_probabilities(
        model, iter(encoded), pad_token_id=pad, device="cpu", window=window,
        max_batch_size=2, max_tokens_per_batch=budget,
    ))
    assert [c.start for c in chunks] == list(range(0, len(encoded), window))
    probs = torch.cat([c.probs for c in chunks])
    assert probs.shape == (len(encoded), len(ALL_LABELS))
    torch.testing.assert_close(probs, alone, rtol=1e-5, atol=1e-6)
    assert sum(c.n_labelled for c in chunks) == len(encoded)
    assert model.training is False


def test_mean_loss_is_cross_entropy_of_labelled_examples(bert):
    model, tokenizer = bert
    encoded = _encoded(tokenizer)
    probs, loss = predict_probabilities(
        model, encoded, pad_token_id=tokenizer.pad_token_id, device="cpu"
    )
    targets = torch.tensor([ex.label for ex in encoded])
    expected = torch.nn.functional.nll_loss(torch.log(probs), targets)
    assert loss == pytest.approx(float(expected), rel=1e-4)


def test_model_training_flag_is_restored(bert):
    model, tokenizer = bert
    model.train()
    predict_probabilities(model, _encoded(tokenizer), pad_token_id=tokenizer.pad_token_id,
                          device="cpu")
    assert model.training is True
    model.eval()


def test_padded_mode_plans_todays_batches():
    lengths = [5, 17, 3, 9, 9, 12, 1, 30, 8]
    padded = get_batching("padded")
    assert padded.plan(lengths, max_tokens=40, max_batch_size=4, shuffle=True, seed=3) == [
        list(b) for b in length_grouped_batches(
            lengths, max_tokens_per_batch=40, max_batch_size=4, shuffle=True, seed=3)
    ]
    plan = padded.plan(lengths, max_tokens=None, max_batch_size=4, shuffle=True, seed=3)
    assert sorted(i for b in plan for i in b) == list(range(len(lengths)))
    assert [len(b) for b in plan] == [4, 4, 1]
    assert padded.cost([3, 9, 4]) == 27


def test_unknown_batching_mode_names_the_choices():
    from relx.errors import ConfigError

    with pytest.raises(ConfigError, match="padded"):
        get_batching("ragged")
