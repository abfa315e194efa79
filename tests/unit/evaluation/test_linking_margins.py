"""The bootstrap of a B-cubed margin: exact on the full sample, narrow when blocks agree, wide when not."""

from evaluation.cluster_metrics import b_cubed, b_cubed_per_item
from evaluation.margins import margin_interval


def _blocks(count: int, method_right: set[int]):
    """`count` blocks of two people with two mentions each; the method splits them right in
    `method_right` blocks and lumps them elsewhere; the baseline always lumps."""
    truth, method, baseline, unit = {}, {}, {}, {}
    for b in range(count):
        for person in (0, 1):
            for k in (0, 1):
                item = f"{b}-{person}-{k}"
                truth[item], unit[item] = f"{b}-{person}", b
                method[item] = f"{b}-{person}" if b in method_right else f"{b}"
                baseline[item] = f"{b}"
    return method, baseline, truth, unit


def test_per_item_values_average_to_b_cubed():
    method, _, truth, _ = _blocks(5, {0, 2})
    per_item = b_cubed_per_item(method, truth)
    whole = b_cubed(method, truth)
    assert sum(p for p, _ in per_item.values()) / len(per_item) == whole.precision
    assert sum(r for _, r in per_item.values()) / len(per_item) == whole.recall


def test_margin_on_the_full_sample_is_the_difference_of_f1():
    method, baseline, truth, unit = _blocks(10, {0, 1, 2})
    result = margin_interval(method, baseline, truth, unit, resamples=500)
    assert result["margin"] == round(b_cubed(method, truth).f1 - b_cubed(baseline, truth).f1, 4)
    assert result["units"] == 10


def test_a_margin_every_block_agrees_on_is_certain_and_a_lone_block_is_not():
    everywhere = margin_interval(*_blocks(20, set(range(20))), resamples=500)
    assert everywhere["ci95"][0] > 0 and everywhere["share_of_resamples_ahead"] == 1.0
    one_block = margin_interval(*_blocks(20, {7}), resamples=500)
    assert one_block["margin"] > 0
    assert one_block["ci95"][0] == 0.0 and one_block["share_of_resamples_ahead"] < 0.8
