"""Which decision the worker links and merges with, by the name in the settings (`SCHOLARSTREAM_LINKER`).

- `weights`: the hand-set linear weights and threshold (`scorer.DEFAULT_WEIGHTS`), no name popularity.
- `pairwise` (the default): the learned pairwise model shipped with the code (`pairwise_model.packaged()`) wherever
  the paper carries categories or a vector, the weights elsewhere (`pairwise_model.GatedModel`), with
  the packaged name-popularity table it was trained with. It reads the embedding cosine only when
  the worker's encoder is the one it was trained with (a cosine of other vectors is on another
  scale); with another encoder (fast mode's static model) it decides without the vector.

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


def policy_named(name: LinkerName, encoder: str | None = None) -> MergePolicy:
    """The policy of linker `name` for papers whose vectors come from `encoder` (None: the model's
    own). The pairwise model reads the embedding cosine only from the encoder it was trained with."""
    if name == "weights":
        return DEFAULT_POLICY
    if name == "pairwise":
        model = pairwise_model.packaged()
        vectors = encoder is None or encoder == model.encoder
        gated = pairwise_model.GatedModel(model, DEFAULT_WEIGHTS, DEFAULT_THRESHOLD, vectors=vectors)
        # A relink splits a researcher where its groups' mean pair score is below log-odds -1 (0.25
        # a unit on the gated scale): the best of -1, 0, +1, +2 on the pseudo-namesakes' dev groups.
        return MergePolicy(threshold=DEFAULT_THRESHOLD, weights=gated, popularity=popularity.packaged(),
                           split_margin=-1 * gated.scale)
    raise ValueError(f"unknown linker {name!r}: one of {', '.join(LINKERS)}")
