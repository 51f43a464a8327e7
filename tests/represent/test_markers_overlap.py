"""Overlapping and nested mentions follow the documented deterministic rule."""

from __future__ import annotations

from _represent_helpers import make_example, span

from relx.represent import render_example, resolve_mentions

G, D = "GeneOrGeneProduct", "DiseaseOrPhenotypicFeature"


def test_markers_overlap_identical_span_nests_a_outside_b() -> None:
    # BioRED composite mention: "MODY" names both concepts, so A and B share the span.
    text = "Patients with MODY were studied."
    ex = make_example(text, [span(text, "MODY", G)], [span(text, "MODY", G)])
    rendered = render_example(ex, style="entity_marker_punct")
    assert rendered.text == "Patients with @ # MODY # @ were studied."
    assert rendered.text[slice(*rendered.first_a)] == "@ "
    assert rendered.text[slice(*rendered.first_b)] == "# "
    assert rendered.text[slice(*rendered.region_a)] == "@ # MODY # @"
    assert rendered.text[slice(*rendered.region_b)] == "# MODY #"


def test_markers_overlap_b_containing_a_nests_b_outside() -> None:
    text = "The PAH deficiency is rare."
    ex = make_example(text, [span(text, "PAH", G)], [span(text, "PAH deficiency", D)])
    rendered = render_example(ex, style="entity_marker")
    assert rendered.text == "The [E2] [E1] PAH [/E1] deficiency [/E2] is rare."


def test_markers_overlap_crossing_spans_a_wins() -> None:
    text = "alpha beta gamma delta"
    a = (text.index("alpha"), text.index("beta") + 4, G)  # "alpha beta"
    b = (text.index("beta"), text.index("gamma") + 5, D)  # "beta gamma"
    b2 = span(text, "delta", D)
    rendered = render_example(make_example(text, [a], [b, b2]), style="entity_marker_punct")
    assert rendered.text == "@ alpha beta @ gamma # delta #"
    assert rendered.n_marked_b == 1


def test_markers_overlap_same_entity_keeps_longer_then_earlier() -> None:
    text = "acute myeloid leukemia and leukemia"
    long_ = span(text, "acute myeloid leukemia", D)
    inner = span(text, "leukemia", D)
    later = span(text, "leukemia", D, 1)
    b = [long_, inner, later]
    a = [span(text, "and", G)]
    rendered = render_example(make_example(text, a, b), style="entity_marker_punct")
    assert rendered.text == "# acute myeloid leukemia # @ and @ # leukemia #"
    marks = resolve_mentions(a, b)
    assert [(m.start, m.end, m.role) for m in marks] == [
        (long_[0], long_[1], "b"),
        (a[0][0], a[0][1], "a"),
        (later[0], later[1], "b"),
    ]


def test_markers_overlap_entity_mask_a_wins_and_b_reads_absorbing_mask() -> None:
    text = "Patients with MODY were studied."
    ex = make_example(text, [span(text, "MODY", G)], [span(text, "MODY", G)])
    rendered = render_example(ex, style="entity_mask")
    assert rendered.text == "MODY, MODY, Patients with GeneOrGeneProduct were studied."
    assert rendered.first_a == rendered.first_b
    assert rendered.n_marked_b == 0


def test_markers_overlap_is_order_independent() -> None:
    text = "x PAH deficiency y PAH z"
    a = [span(text, "PAH", G), span(text, "PAH", G, 1)]
    b = [span(text, "PAH deficiency", D)]
    first = render_example(make_example(text, a, b), style="typed_entity_marker_punct").text
    second = render_example(make_example(text, a[::-1], b), style="typed_entity_marker_punct").text
    assert first == second
