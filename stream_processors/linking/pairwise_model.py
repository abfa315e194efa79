"""A learned pairwise decision: boosted trees over the linker's evidence, evaluated in pure Python.

The hand-set `Weights` add evidence up with one weight per feature, so a full-name match is worth
the same for "Uwe Aickelin" as for "Wei Wang", and no coauthor can take anything away. The model
learns the decision from labelled pairs instead (`evaluation/linking_model.py`, dev halves only):
how much a name match is worth given how common the name is, and how much corroboration a common
name needs when there is something to corroborate with (coauthors that could have been shared, an
affiliation, categories, a vector).

The artefact is gzipped JSON (`data/pairwise-v*.json.gz`): the feature list, each feature's
monotone direction (the training enforces it), the trees as node arrays, the bias and the
threshold. Evaluating it needs no learning library. Its score is the log-odds that the pair is one
person; the explanation splits it into the bias plus one term per feature, each term the change in
the tree's mean output along the path where that feature decided (Saabas' attribution), so the
terms add up to the score exactly as the linear weights' do.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from stream_processors.linking.evidence import Evidence
from stream_processors.linking.names import EXACT, EXACT_INITIAL, SAME_FULL
from stream_processors.linking.scorer import Score, Weights

FORMAT = "scholarstream-pairwise-model-v1"
PACKAGED = Path(__file__).parent / "data" / "pairwise-v1.json.gz"

# (feature, monotone direction): +1 more of it never lowers the score, -1 never raises it, 0 free.
FEATURES: tuple[tuple[str, int], ...] = (
    ("name_grade", 1),
    ("specific_name", 0),          # 1 when the name match is as specific as a name gets (EXACT, SAME_FULL, ...)
    ("short_given_name", -1),
    ("rivals", -1),
    ("name_rarity", -1),           # log10 of the people expected to print the name: higher is commoner
    ("shared_coauthors", 1),
    ("comparable_coauthors", 0),   # how many coauthors could have been shared
    ("topic_overlap", 1),
    ("embedding_cosine", 1),
    ("affiliation_similarity", 1),
    ("years_apart", -1),
)
FEATURE_NAMES = tuple(name for name, _ in FEATURES)
_COSINE = FEATURE_NAMES.index("embedding_cosine")
_SPECIFIC = frozenset({EXACT, EXACT_INITIAL, SAME_FULL})


def _number(value: float | int | bool | None) -> float:
    return math.nan if value is None else float(value)


def feature_vector(evidence: Evidence) -> tuple[float, ...]:
    """The evidence as the model reads it, NaN where a side had nothing to compare."""
    return (
        evidence.name_grade,
        1.0 if evidence.name_label in _SPECIFIC else 0.0,
        1.0 if evidence.short_given_name else 0.0,
        float(evidence.rivals),
        _number(evidence.name_rarity),
        float(evidence.shared_coauthors),
        float(evidence.comparable_coauthors),
        _number(evidence.topic_overlap),
        _number(evidence.embedding_cosine),
        _number(evidence.affiliation_similarity),
        _number(evidence.years_apart),
    )


@dataclass(frozen=True)
class Tree:
    """One regression tree as parallel node arrays; node 0 is the root."""

    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    missing_left: tuple[bool, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]      # leaf output; inner nodes: the mean output of the training rows below
    leaf: tuple[bool, ...]

    def path(self, row: Sequence[float]) -> tuple[int, list[tuple[int, float]]]:
        """The leaf `row` lands in and, per split passed, (feature, change in mean output)."""
        node, steps = 0, []
        while not self.leaf[node]:
            value = row[self.feature[node]]
            goes_left = self.missing_left[node] if math.isnan(value) else value <= self.threshold[node]
            child = self.left[node] if goes_left else self.right[node]
            steps.append((self.feature[node], self.value[child] - self.value[node]))
            node = child
        return node, steps


def _literal(value: float) -> str:
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    return repr(float(value))


def compile_trees(bias: float, trees: Sequence[Tree], width: int) -> Callable[[Sequence[float]], float]:
    """The trees as one Python function of a feature row: straight-line comparisons, no loop.

    Walking node arrays costs about 9 microseconds a tree in Python; the compiled form costs a
    tenth of that, which is what lets the linker weigh every candidate of a large block. The
    source holds only numbers taken from the artefact (floats, feature indices), never text.
    A missing value (NaN) fails every comparison, so `not (x > t)` sends it left and `x <= t` right.
    """
    lines = ["def total(row):", f"    {', '.join(f'r{i}' for i in range(width))}, = row", f"    s = {_literal(bias)}"]

    def emit(tree: Tree, node: int, depth: int) -> None:
        indent = "    " * depth
        if tree.leaf[node]:
            lines.append(f"{indent}s += {_literal(tree.value[node])}")
            return
        feature, threshold = int(tree.feature[node]), _literal(tree.threshold[node])
        test = f"not (r{feature} > {threshold})" if tree.missing_left[node] else f"r{feature} <= {threshold}"
        lines.append(f"{indent}if {test}:")
        emit(tree, int(tree.left[node]), depth + 1)
        lines.append(f"{indent}else:")
        emit(tree, int(tree.right[node]), depth + 1)

    for tree in trees:
        emit(tree, 0, 1)
    lines.append("    return s")
    namespace: dict[str, object] = {"INF": math.inf}
    exec(compile("\n".join(lines), "<pairwise-model>", "exec"), namespace)  # noqa: S102 - numbers only, see above
    function = namespace["total"]
    assert callable(function)
    return function


@dataclass(frozen=True)
class PairwiseModel:
    version: str
    features: tuple[str, ...]
    bias: float
    trees: tuple[Tree, ...]
    threshold: float               # log-odds at or above which a pair is linked
    trained_on: dict[str, object]
    _compiled: Callable[[Sequence[float]], float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", compile_trees(self.bias, self.trees, len(self.features)))

    @property
    def encoder(self) -> str | None:
        """The encoder whose vectors the model learned its cosines from (None: not recorded)."""
        encoder = self.trained_on.get("encoder")
        return str(encoder) if encoder else None

    def total(self, evidence: Evidence, *, without_cosine: bool = False) -> float:
        """The log-odds alone: what ranking the candidates needs (`without_cosine`: as if the pair
        had no vector to compare, what `GatedModel` reads for another encoder's vectors)."""
        row = feature_vector(evidence)
        if without_cosine:
            row = (*row[:_COSINE], math.nan, *row[_COSINE + 1 :])
        return round(self._compiled(row), 4)

    def weigh(self, evidence: Evidence) -> Score:
        """The log-odds with its explanation: the bias and each feature's share."""
        row = feature_vector(evidence)
        terms = dict.fromkeys(self.features, 0.0)
        bias = self.bias
        for tree in self.trees:
            bias += tree.value[0]
            for feature, change in tree.path(row)[1]:
                terms[self.features[feature]] += change
        contributions = {"bias": round(bias, 4)}
        contributions.update({name: round(value, 4) for name, value in terms.items() if abs(value) >= 5e-5})
        return Score(total=round(bias + sum(terms.values()), 4), contributions=contributions)

    def to_json(self) -> dict[str, object]:
        return {
            "format": FORMAT, "version": self.version, "features": list(self.features),
            "monotone": {name: direction for name, direction in FEATURES if name in self.features},
            "bias": self.bias, "threshold": self.threshold, "trained_on": self.trained_on,
            "trees": [{field: list(getattr(tree, field)) for field in Tree.__dataclass_fields__} for tree in self.trees],
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            json.dump(self.to_json(), handle, separators=(",", ":"))


def load(path: Path) -> PairwiseModel:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a pairwise linking model ({data.get('format')!r})")
    if tuple(data["features"]) != FEATURE_NAMES:
        raise ValueError(f"{path}: features {data['features']} differ from this code's {list(FEATURE_NAMES)}")
    trees = tuple(
        Tree(tuple(t["feature"]), tuple(t["threshold"]), tuple(t["missing_left"]), tuple(t["left"]),
             tuple(t["right"]), tuple(t["value"]), tuple(t["leaf"]))
        for t in data["trees"]
    )
    return PairwiseModel(data["version"], tuple(data["features"]), float(data["bias"]), trees,
                         float(data["threshold"]), data.get("trained_on", {}))


@lru_cache(maxsize=1)
def packaged() -> PairwiseModel:
    """The model shipped with the code (read once per process)."""
    return load(PACKAGED)


@dataclass(frozen=True)
class GatedModel:
    """The model where the paper gives it something to weigh, the hand-set weights elsewhere.

    The model was trained on pairs whose paper carries categories or a vector (every arXiv paper
    does); a mention without either (the gold sets' records) is decided by `fallback` as before.
    Scores are on the fallback's scale so one threshold serves both: `threshold + (log-odds -
    model threshold) x scale`, and the explanation's terms are scaled alike, with the offset as
    its own term, so they still add up to the score.
    """

    model: PairwiseModel
    fallback: Weights
    threshold: float
    scale: float = 0.25

    vectors: bool = True  # False: the paper vectors come from another encoder than the model's

    @staticmethod
    def applies(evidence: Evidence) -> bool:
        return evidence.topic_overlap is not None or evidence.embedding_cosine is not None

    def _seen(self, evidence: Evidence) -> Evidence:
        """The evidence as the model may read it: a cosine between another encoder's vectors is
        on another scale (static-minilm-v1's unrelated papers score like MiniLM's related ones),
        so it is left out, as the model learned for pairs without a vector."""
        return evidence if self.vectors else replace(evidence, embedding_cosine=None)

    def total(self, evidence: Evidence) -> float:
        if not self.applies(evidence):
            return self.fallback.total(evidence)
        learned = self.model.total(evidence, without_cosine=not self.vectors)
        return round(self.threshold + self.scale * (learned - self.model.threshold), 4)

    def weigh(self, evidence: Evidence) -> Score:
        if not self.applies(evidence):
            return self.fallback.weigh(evidence)
        learned = self.model.weigh(self._seen(evidence))
        terms = {name: round(self.scale * value, 4) for name, value in learned.contributions.items()}
        terms["offset"] = round(self.threshold - self.scale * self.model.threshold, 4)
        return Score(total=round(self.threshold + self.scale * (learned.total - self.model.threshold), 4), contributions=terms)

    def as_dict(self) -> dict[str, object]:
        return {"model": self.model.version, "model_threshold": self.model.threshold, "threshold": self.threshold,
                "scale": self.scale, "vectors": self.vectors, "fallback": self.fallback.as_dict()}
