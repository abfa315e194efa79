"""The known-item search evaluation: which queries it writes for a researcher, and its metrics."""

from __future__ import annotations

import pytest

from evaluation.search import queries_for, rank_of, summarise, written_out_name


def profile(*variants, topics=("High Energy Physics - Phenomenology",)):
    return {
        "researcher_id": "r-1",
        "name_variants": [{"name": n, "works": w, "surname": s} for n, w, s in variants],
        "top_topics": [{"code": "hep-ph", "name": t, "weight": 1.0, "works": 1} for t in topics],
    }


def test_the_most_printed_written_out_variant_is_the_name_to_ask_for():
    p = profile(("C. Balázs", 9, "Balázs"), ("Csaba Balázs", 3, "Balázs"), ("Csaba Balazs Jr", 5, "Balazs"))
    assert written_out_name(p) == ("Csaba", "Balázs")


def test_a_researcher_known_only_by_initials_gets_no_queries():
    assert written_out_name(profile(("C. Balázs", 9, "Balázs"))) is None
    assert queries_for(profile(("C. Balázs", 9, "Balázs"))) == []


def test_every_kind_of_query_is_written_from_the_name():
    items = {item.kind: item.query for item in queries_for(profile(("Shang-Yung Balázs", 2, "Balázs")))}
    assert items == {
        "full": "Shang-Yung Balázs",
        "initialled": "S. Y. Balázs",
        "surname_initial": "Balázs, S",
        "reordered": "Balázs Shang-Yung",
        "no_diacritics": "shang yung balazs",
        "surname_topic": "Balázs High Energy Physics - Phenomenology",
    }


def test_names_without_diacritics_get_no_folded_duplicate():
    kinds = {item.kind for item in queries_for(profile(("Louis Theran", 2, "Theran")))}
    assert "no_diacritics" not in kinds


def test_metrics():
    assert rank_of("b", ["a", "b"]) == 2 and rank_of("z", ["a"]) is None
    figures = summarise([1, 2, None, 10], [1.0, 2.0, 3.0, 4.0])
    assert figures["success_at_1"] == 0.25 and figures["success_at_10"] == 0.75
    assert figures["mrr"] == pytest.approx((1 + 0.5 + 0.1) / 4, abs=1e-4)
    assert figures["latency_ms"]["p50"] == 2.5


def test_form_agreement_counts_targets_whose_three_forms_agree_on_the_first_hit():
    from evaluation.search import form_agreement

    firsts = {
        "r-1": {"full": "r-1", "reordered": "r-1", "surname_initial": "r-1"},
        "r-2": {"full": "r-2", "reordered": "r-2", "surname_initial": "r-9"},
        "r-3": {"full": "r-8", "reordered": "r-8", "surname_initial": "r-8"},
        "r-4": {"full": "r-4"},  # not every form was asked: not counted
    }
    assert form_agreement(firsts) == {"targets": 3, "same_first": round(2 / 3, 4), "same_first_and_target": round(1 / 3, 4)}
