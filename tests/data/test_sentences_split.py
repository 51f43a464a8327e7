"""Sentence splitting: abbreviations stay inside sentences, mentions are never cut."""

from __future__ import annotations

import pytest

from relx.data import Document, Mention, merge_spans_around, sentence_spans, split_sentences
from relx.data._sentences import SPLITTERS
from relx.errors import ConfigError

ABSTRACT = (
    "Mice were treated i.v. with 2.5 mg/kg of cisplatin, e.g. in the first week. "
    "Smith et al. reported a 1.5-fold increase vs. controls. "
    "The effect was significant (P < 0.05). "
    "BRCA1 binds to TP53."
)
EXPECTED = [
    "Mice were treated i.v. with 2.5 mg/kg of cisplatin, e.g. in the first week.",
    "Smith et al. reported a 1.5-fold increase vs. controls.",
    "The effect was significant (P < 0.05).",
    "BRCA1 binds to TP53.",
]


@pytest.mark.parametrize("splitter", SPLITTERS)
def test_sentences_abbreviations_do_not_split(splitter: str) -> None:
    spans = split_sentences(ABSTRACT, splitter=splitter)
    assert [ABSTRACT[s:e] for s, e in spans] == EXPECTED


@pytest.mark.parametrize("splitter", SPLITTERS)
def test_sentences_spans_cover_every_character(splitter: str) -> None:
    text = "  First one here. Second one?  Third!  "
    spans = split_sentences(text, splitter=splitter)
    assert [text[s:e] for s, e in spans] == ["First one here.", "Second one?", "Third!"]
    covered = "".join(text[s:e] for s, e in spans)
    assert covered.replace(" ", "") == text.replace(" ", "")


def test_sentences_blank_text_has_no_sentences() -> None:
    assert split_sentences("   ") == []


def test_sentences_unknown_splitter_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="splitter must be one of"):
        split_sentences("A. B.", splitter="nltk")


def test_sentences_merge_when_boundary_inside_mention() -> None:
    spans = [(0, 10), (11, 20), (21, 30)]
    assert merge_spans_around(spans, [(8, 13)]) == [(0, 20), (21, 30)]
    assert merge_spans_around(spans, [(2, 25)]) == [(0, 30)]
    assert merge_spans_around(spans, [(0, 10), (21, 30)]) == spans


def test_sentences_document_title_first_and_mention_never_cut() -> None:
    title = "A title."
    abstract = "We saw no effect. Cells were fixed. Then we stopped."
    text = f"{title} {abstract}"
    # A (made-up) mention spanning "effect. Cells" crosses a sentence boundary.
    start = text.index("effect")
    end = text.index("Cells") + len("Cells")
    doc = Document("1", title, abstract,
                   mentions=[Mention(start, end, text[start:end], "ChemicalEntity", ("X",))])
    spans = sentence_spans(doc)
    assert [text[s:e] for s, e in spans] == [
        "A title.", "We saw no effect. Cells were fixed.", "Then we stopped."]
