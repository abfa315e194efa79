"""B-cubed and pairwise precision/recall/F1 of a clustering against the true clusters.

Both are computed from the contingency counts n(predicted, true), so they cost one pass over
the items. B-cubed averages per item (every mention counts once, as a reader of profiles would
notice it); pairwise counts same-person pairs (large clusters dominate).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import asdict, dataclass
from typing import TypeVar

Item = TypeVar("Item", bound=Hashable)  # what is clustered: a mention id, say


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float

    def as_dict(self) -> dict[str, float]:
        return {key: round(value, 4) for key, value in asdict(self).items()}


def _prf(precision: float, recall: float) -> PRF:
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PRF(precision, recall, f1)


def _counts(predicted: Mapping[Item, Hashable], truth: Mapping[Item, Hashable]):
    if set(predicted) != set(truth):
        raise ValueError("predicted and true clusterings must cover the same items")
    cells = Counter((predicted[item], truth[item]) for item in truth)
    pred_sizes = Counter(predicted[item] for item in truth)
    true_sizes = Counter(truth.values())
    return cells, pred_sizes, true_sizes


def b_cubed(predicted: Mapping[Item, Hashable], truth: Mapping[Item, Hashable]) -> PRF:
    """Per item: |pred ∩ true| / |pred| (precision) and / |true| (recall), averaged over items."""
    cells, pred_sizes, true_sizes = _counts(predicted, truth)
    total = len(truth)
    if not total:
        return PRF(0.0, 0.0, 0.0)
    precision = sum(n * n / pred_sizes[p] for (p, _), n in cells.items()) / total
    recall = sum(n * n / true_sizes[t] for (_, t), n in cells.items()) / total
    return _prf(precision, recall)


def b_cubed_per_item(
    predicted: Mapping[Item, Hashable], truth: Mapping[Item, Hashable]
) -> dict[Item, tuple[float, float]]:
    """Each item's B-cubed (precision, recall); `b_cubed` is their mean, F1 taken after."""
    cells, pred_sizes, true_sizes = _counts(predicted, truth)
    out: dict[Item, tuple[float, float]] = {}
    for item, person in truth.items():
        cluster = predicted[item]
        shared = cells[(cluster, person)]
        out[item] = (shared / pred_sizes[cluster], shared / true_sizes[person])
    return out


def pairwise(predicted: Mapping[Item, Hashable], truth: Mapping[Item, Hashable]) -> PRF:
    """Over unordered pairs of items: predicted together vs truly together.

    With no predicted pairs precision is 1 (no wrong claim made); with no true pairs recall is 1.
    """
    cells, pred_sizes, true_sizes = _counts(predicted, truth)
    both = sum(n * (n - 1) // 2 for n in cells.values())
    pred_pairs = sum(n * (n - 1) // 2 for n in pred_sizes.values())
    true_pairs = sum(n * (n - 1) // 2 for n in true_sizes.values())
    precision = both / pred_pairs if pred_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    return _prf(precision, recall)
