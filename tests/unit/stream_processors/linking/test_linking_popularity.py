"""Name popularity: how many people print a full name, and what a match of a common one is worth."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stream_processors.linking.evidence import Evidence
from stream_processors.linking.names import EXACT, parse_name
from stream_processors.linking.popularity import build, load, rarity
from stream_processors.linking.scorer import DEFAULT_WEIGHTS, weigh

AUTHORS = [
    ("Wang", "Wei"), ("Wang", "Wei"), ("Wang", "Hao"), ("Wang", "Lei"), ("Chen", "Wei"), ("Li", "Wei"),
    ("Aickelin", "Uwe"), ("Wang", "W."),
]


def test_distinct_full_names_are_counted_once_and_initials_not_at_all():
    table = build(AUTHORS, "t", "unit")
    assert table.distinct_names == 6  # "Wei Wang" twice counts once; "W. Wang" is not a full name
    assert table.surnames["wang"] == 3 and table.given_names["wei"] == 3


def test_a_common_pairing_expects_more_people_than_a_rare_one():
    table = build(AUTHORS, "t", "unit")
    common = table.expected_people(parse_name("Wang", "Wei"))
    rare = table.expected_people(parse_name("Aickelin", "Uwe"))
    assert common == pytest.approx(4 * 4 / 7) and rare == pytest.approx(2 * 2 / 7)
    assert rarity(common) > rarity(rare)
    assert table.expected_people(parse_name("Wang", "W.")) is None


def test_saved_and_loaded_unchanged(tmp_path):
    table = build(AUTHORS, "t", "unit")
    path = tmp_path / "names.json.gz"
    table.save(path)
    assert load(path) == table


def _evidence(label: str, rarity_value: float | None) -> Evidence:
    return Evidence(label, 1.0, 0, None, None, None, None, name_rarity=rarity_value)


def test_no_weight_no_change():
    assert "popularity" not in weigh(_evidence(EXACT, 0.0), DEFAULT_WEIGHTS).contributions


def test_the_penalty_grows_with_how_common_the_name_is_and_stops_at_the_weight():
    weights = replace(DEFAULT_WEIGHTS, popularity=0.5, popularity_floor=-2.0, popularity_span=2.0)
    rare = weigh(_evidence(EXACT, -3.0), weights).contributions
    middle = weigh(_evidence(EXACT, -1.0), weights).contributions
    common = weigh(_evidence(EXACT, 0.5), weights).contributions
    assert "popularity" not in rare
    assert middle["popularity"] == pytest.approx(-0.25)
    assert common["popularity"] == pytest.approx(-0.5)


def test_only_full_name_matches_pay_it():
    weights = replace(DEFAULT_WEIGHTS, popularity=0.5)
    assert "popularity" in weigh(_evidence(EXACT, 0.0), weights).contributions
    assert "popularity" not in weigh(_evidence(EXACT, None), weights).contributions
