"""Which decision the worker links and merges with, by the name in the settings (`SCHOLARSTREAM_LINKER`).

- `weights`: the hand-set linear weights and threshold (`scorer.DEFAULT_WEIGHTS`), no name popularity.
- `pairwise`: the learned pairwise model shipped with the code (`pairwise_model.packaged()`) wherever
  the paper carries categories or a vector, the weights elsewhere (`pairwise_model.GatedModel`), with
  the packaged name-popularity table it was trained with.

Both are pure functions of the evidence, so a replay with the same setting rebuilds the same result;
changing the setting is a relink (`scholarstream rebuild --from-stage link`).
"""

from __future__ import annotations

from typing import Literal

from stream_processors.linking import pairwise_model, popularity
from stream_processors.linking.merging import DEFAULT_POLICY, MergePolicy
from stream_processors.linking.scorer import DEFAULT_THRESHOLD, DEFAULT_WEIGHTS

LinkerName = Literal["weights", "pairwise"]
LINKERS: tuple[LinkerName, ...] = ("weights", "pairwise")


def policy_named(name: LinkerName) -> MergePolicy:
    if name == "weights":
        return DEFAULT_POLICY
    if name == "pairwise":
        gated = pairwise_model.GatedModel(pairwise_model.packaged(), DEFAULT_WEIGHTS, DEFAULT_THRESHOLD)
        return MergePolicy(threshold=DEFAULT_THRESHOLD, weights=gated, popularity=popularity.packaged())
    raise ValueError(f"unknown linker {name!r}: one of {', '.join(LINKERS)}")
