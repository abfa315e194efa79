"""B-cubed and pairwise scores on clusterings small enough to compute by hand."""

import pytest

from evaluation.cluster_metrics import b_cubed, pairwise

TRUTH = {"a": "T1", "b": "T1", "c": "T1", "d": "T2", "e": "T2"}


def test_b_cubed_hand_computed():
    # Predicted {a,b} {c,d,e}: precision (2*2/2 + 1/3 + 2*2/3) / 5 = 11/15; recall (4/3 + 1/3 + 4/2) / 5 = 11/15.
    score = b_cubed({"a": "P1", "b": "P1", "c": "P2", "d": "P2", "e": "P2"}, TRUTH)
    assert score.precision == pytest.approx(11 / 15)
    assert score.recall == pytest.approx(11 / 15)
    assert score.f1 == pytest.approx(11 / 15)


def test_pairwise_hand_computed():
    # True pairs: ab ac bc de (4). Predicted pairs: ab cd ce de (4). Shared: ab de.
    score = pairwise({"a": "P1", "b": "P1", "c": "P2", "d": "P2", "e": "P2"}, TRUTH)
    assert score.precision == pytest.approx(0.5)
    assert score.recall == pytest.approx(0.5)


def test_one_big_cluster_has_full_recall_and_low_precision():
    lumped = {item: "X" for item in TRUTH}
    assert b_cubed(lumped, TRUTH).recall == pytest.approx(1.0)
    assert b_cubed(lumped, TRUTH).precision == pytest.approx((9 / 5 + 4 / 5) / 5)
    assert pairwise(lumped, TRUTH).precision == pytest.approx(4 / 10)


def test_singletons_have_full_precision():
    split = {item: item for item in TRUTH}
    assert b_cubed(split, TRUTH).precision == pytest.approx(1.0)
    assert b_cubed(split, TRUTH).recall == pytest.approx((3 * (1 / 3) + 2 * (1 / 2)) / 5)
    assert pairwise(split, TRUTH).recall == pytest.approx(0.0)


def test_perfect_clustering_scores_one_whatever_the_labels():
    renamed = {item: label.lower() for item, label in TRUTH.items()}
    assert b_cubed(renamed, TRUTH).f1 == pytest.approx(1.0)
    assert pairwise(renamed, TRUTH).f1 == pytest.approx(1.0)


def test_items_must_match():
    with pytest.raises(ValueError):
        b_cubed({"a": "P1"}, TRUTH)
