"""Each marker style writes exactly the strings of docs/formats.md §3."""

from __future__ import annotations

import pytest
from _represent_helpers import make_example, span

from relx.errors import ConfigError, DataError
from relx.represent import (
    REPRESENTATIONS,
    STYLE_NAMES,
    get_style,
    marker_tokens,
    render_example,
)

EXPECTED = {
    "entity_mask": "PAH, phenylketonuria, Phenylalanine hydroxylase (GeneOrGeneProduct) deficiency "
    "results in DiseaseOrPhenotypicFeature.",
    "entity_marker": "Phenylalanine hydroxylase ([E1] PAH [/E1]) deficiency results in "
    "[E2] phenylketonuria [/E2].",
    "entity_marker_punct": "Phenylalanine hydroxylase (@ PAH @) deficiency results in # phenylketonuria #.",
    "typed_entity_marker": "Phenylalanine hydroxylase ([GeneOrGeneProduct] PAH [/GeneOrGeneProduct]) "
    "deficiency results in [DiseaseOrPhenotypicFeature] phenylketonuria "
    "[/DiseaseOrPhenotypicFeature].",
    "typed_entity_marker_punct": "Phenylalanine hydroxylase (@ * GeneOrGeneProduct * PAH @) deficiency "
    "results in # ^ DiseaseOrPhenotypicFeature ^ phenylketonuria #.",
    "subject_object_marker": "Phenylalanine hydroxylase ([SUBJECT] PAH [/SUBJECT]) deficiency results "
    "in [OBJECT] phenylketonuria [/OBJECT].",
}

FIRST_MARKERS = {
    "entity_mask": ("GeneOrGeneProduct", "DiseaseOrPhenotypicFeature"),
    "entity_marker": ("[E1] ", "[E2] "),
    "entity_marker_punct": ("@ ", "# "),
    "typed_entity_marker": ("[GeneOrGeneProduct] ", "[DiseaseOrPhenotypicFeature] "),
    "typed_entity_marker_punct": ("@ * GeneOrGeneProduct * ", "# ^ DiseaseOrPhenotypicFeature ^ "),
    "subject_object_marker": ("[SUBJECT] ", "[OBJECT] "),
}


def test_markers_styles_cover_formats_table() -> None:
    assert set(STYLE_NAMES) == set(EXPECTED)


@pytest.mark.parametrize("style", sorted(EXPECTED))
def test_markers_style_exact_string(pah_example, style: str) -> None:
    rendered = render_example(pah_example, style=style)
    assert rendered.text == EXPECTED[style]
    a, b = FIRST_MARKERS[style]
    assert rendered.text[slice(*rendered.first_a)] == a
    assert rendered.text[slice(*rendered.first_b)] == b
    assert rendered.subject == "PAH"
    assert rendered.object == "phenylketonuria"


def test_markers_formats_md_example_substring(pah_example) -> None:
    text = render_example(pah_example, style="typed_entity_marker_punct").text
    assert "(@ * GeneOrGeneProduct * PAH @)" in text
    assert "in # ^ DiseaseOrPhenotypicFeature ^ phenylketonuria #" in text


def test_markers_every_mention_marked() -> None:
    text = "BRCA1 mutations. Loss of BRCA1 causes cancer; BRCA1 again and cancer."
    ex = make_example(
        text,
        [span(text, "BRCA1", "GeneOrGeneProduct", k) for k in range(3)],
        [span(text, "cancer", "DiseaseOrPhenotypicFeature", k) for k in range(2)],
    )
    rendered = render_example(ex, style="entity_marker_punct")
    assert rendered.text == "@ BRCA1 @ mutations. Loss of @ BRCA1 @ causes # cancer #; @ BRCA1 @ again and # cancer #."
    assert (rendered.n_marked_a, rendered.n_marked_b) == (3, 2)


def test_markers_entity_mask_prefix_uses_first_mentions_in_text_order() -> None:
    text = "Aspirin and ASA reduce pain; pain relief."
    # A's spans listed out of order: the prefix still names the earliest mention.
    ex = make_example(
        text,
        [span(text, "ASA", "ChemicalEntity"), span(text, "Aspirin", "ChemicalEntity")],
        [span(text, "pain", "DiseaseOrPhenotypicFeature", 1), span(text, "pain", "DiseaseOrPhenotypicFeature")],
    )
    rendered = render_example(ex, style="entity_mask")
    assert rendered.text == (
        "Aspirin, pain, ChemicalEntity and ChemicalEntity reduce DiseaseOrPhenotypicFeature; "
        "DiseaseOrPhenotypicFeature relief."
    )
    assert rendered.prefix_length == len("Aspirin, pain, ")
    assert rendered.first_a[0] == len("Aspirin, pain, ")


def test_markers_punkt_alias_and_versioned_names(pah_example) -> None:
    assert get_style("entity_marker_punkt") is get_style("entity_marker_punct")
    assert get_style("relx.repr.typed_entity_marker_punct.v1").name == "typed_entity_marker_punct"
    assert set(REPRESENTATIONS) == {f"relx.repr.{name}.v1" for name in STYLE_NAMES}
    assert (
        render_example(pah_example, style="entity_marker_punkt").text
        == EXPECTED["entity_marker_punct"]
    )


def test_markers_unknown_style_error_names_choices(pah_example) -> None:
    with pytest.raises(ConfigError) as info:
        render_example(pah_example, style="entity_markers")
    assert info.value.code == "E201"
    assert "typed_entity_marker_punct" in str(info.value)
    assert "'entity_markers'" in str(info.value)


def test_markers_tokens_per_style() -> None:
    assert marker_tokens("entity_marker") == ("[E1]", "[/E1]", "[E2]", "[/E2]")
    assert marker_tokens("subject_object_marker") == ("[SUBJECT]", "[/SUBJECT]", "[OBJECT]", "[/OBJECT]")
    assert marker_tokens("typed_entity_marker", ["ChemicalEntity", "CellLine"]) == (
        "[ChemicalEntity]",
        "[CellLine]",
        "[/ChemicalEntity]",
        "[/CellLine]",
    )
    assert len(marker_tokens("typed_entity_marker")) == 12
    assert marker_tokens("typed_entity_marker_punct") == ()
    assert marker_tokens("entity_mask") == ()


def test_markers_span_outside_text_is_data_error() -> None:
    ex = make_example("short text", [(0, 5, "ChemicalEntity")], [(6, 40, "ChemicalEntity")])
    with pytest.raises(DataError) as info:
        render_example(ex, style="entity_marker")
    assert info.value.code == "E202"
    assert "True.1.0" in str(info.value)
