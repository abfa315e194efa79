"""Evidence to a decision: hard rules first, then a score against a threshold.

The score comes from a `Weigher`: the hand-set `Weights` below (a weighted sum), or the learned
`pairwise_model.PairwiseModel` (boosted trees over the same evidence). Either returns a `Score`
whose total is the sum of its named contributions, so every decision stays explainable.

A linear score with named weights is deliberately plain: every link can be explained as
"name 0.6 x 1.0 + affiliation 0.42 x 0.8 - ... = 0.93 >= 0.75", and a wrong link points at the
feature that misled it. Weights and threshold were tuned on half of the gold blocks
(docs/linking.md); the other half is held out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Protocol

from stream_processors.linking.evidence import Evidence
from stream_processors.linking.names import EXACT, EXACT_INITIAL, INCOMPATIBLE, SAME_FULL

# Hard rules, by the name that an explanation shows.
RULE_ORCID_CONFLICT = "different-orcid"
RULE_SAME_PAPER = "already-author-of-paper"
RULE_NAME_CONFLICT = "incompatible-name"
RULE_KEPT_APART = "split-apart-by-relink"  # two researchers a relink split: never merged again by linking

# Name labels that pin the person down as far as a name can: no ambiguity penalty on them.
_SPECIFIC_NAMES = frozenset({EXACT, EXACT_INITIAL, SAME_FULL})


@dataclass(frozen=True)
class Weights:
    name: float = 1.0
    coauthor: float = 0.3           # times 1 - 0.5**shared: one shared coauthor is half the weight
    affiliation: float = 0.4        # times the affiliation similarity
    affiliation_mismatch: float = 0.4  # subtracted when both sides have affiliations and none overlap
    topic: float = 0.3              # times the category overlap
    embedding: float = 0.4          # times the cosine above `embedding_floor`, rescaled to [0, 1]
    embedding_floor: float = 0.3
    year_gap: float = 0.05          # subtracted per year outside the active span, after `year_grace`
    year_grace: int = 3
    short_name: float = 0.2         # subtracted when the only name evidence is a short full given name ("Yan", "Jun")
    ambiguity: float = 0.5          # times 1 - 0.5**rivals, subtracted when the name match is weaker than the same full name
    # A full-name match of a name many people print is worth less: subtracted, times how far the
    # name's rarity (log10 expected people) lies between `popularity_floor` and floor + span.
    popularity: float = 0.0
    popularity_floor: float = -2.0
    popularity_span: float = 2.0
    bias: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def weigh(self, evidence: Evidence) -> Score:
        return weigh_linear(evidence, self)

    def total(self, evidence: Evidence) -> float:
        return weigh_linear(evidence, self).total


DEFAULT_WEIGHTS = Weights()
DEFAULT_THRESHOLD = 0.6  # tuned with the weights above on dev blocks (evaluation/linking_tuning.py)


@dataclass(frozen=True)
class Score:
    """The weighted evidence and how each feature contributed: the explanation of a link."""

    total: float
    contributions: dict[str, float] = field(default_factory=dict)
    rule: str | None = None  # the hard rule that vetoed the candidate, if any

    @property
    def vetoed(self) -> bool:
        return self.rule is not None


def hard_rule(
    evidence: Evidence,
    *,
    mention_orcid: str | None,
    researcher_orcid: str | None,
    already_authored_paper: bool,
) -> str | None:
    """The first hard rule that forbids the link, or None. Checked before any weighing."""
    rule = identity_rule(mention_orcid=mention_orcid, researcher_orcid=researcher_orcid,
                         already_authored_paper=already_authored_paper)
    if rule is None and evidence.name_label == INCOMPATIBLE:
        return RULE_NAME_CONFLICT
    return rule


def identity_rule(*, mention_orcid: str | None, researcher_orcid: str | None, already_authored_paper: bool) -> str | None:
    """The hard rules besides the name's: two ORCID iDs that differ, or a paper the researcher already wrote."""
    if mention_orcid and researcher_orcid and mention_orcid != researcher_orcid:
        return RULE_ORCID_CONFLICT
    if already_authored_paper:
        return RULE_SAME_PAPER
    return None


class Weigher(Protocol):
    """Anything that turns evidence into a `Score`: `Weights`, or a learned `PairwiseModel`."""

    def weigh(self, evidence: Evidence) -> Score: ...

    def total(self, evidence: Evidence) -> float:
        """`weigh(evidence).total`, possibly cheaper: for ranking many candidates."""
        ...


def weigh(evidence: Evidence, weights: Weigher = DEFAULT_WEIGHTS) -> Score:
    return weights.weigh(evidence)


def weigh_linear(evidence: Evidence, weights: Weights) -> Score:
    parts: dict[str, float] = {"name": weights.name * evidence.name_grade}
    if evidence.short_given_name and weights.short_name:
        parts["short_name"] = -weights.short_name
    if evidence.rivals and weights.ambiguity and evidence.name_label not in _SPECIFIC_NAMES:
        parts["ambiguity"] = -weights.ambiguity * (1 - 0.5 ** evidence.rivals)
    if weights.popularity and evidence.name_rarity is not None and evidence.name_label in _SPECIFIC_NAMES:
        share = (evidence.name_rarity - weights.popularity_floor) / weights.popularity_span
        if share > 0:
            parts["popularity"] = -weights.popularity * min(1.0, share)
    if evidence.shared_coauthors:
        parts["coauthors"] = weights.coauthor * (1 - 0.5 ** evidence.shared_coauthors)
    if evidence.affiliation_similarity is not None:
        similarity = evidence.affiliation_similarity
        parts["affiliation"] = weights.affiliation * similarity
        if similarity < 0.05:
            parts["affiliation"] -= weights.affiliation_mismatch
    if evidence.topic_overlap is not None:
        parts["topics"] = weights.topic * evidence.topic_overlap
    if evidence.embedding_cosine is not None:
        lifted = max(0.0, evidence.embedding_cosine - weights.embedding_floor) / (1 - weights.embedding_floor)
        parts["embedding"] = weights.embedding * lifted
    if evidence.years_apart is not None and evidence.years_apart > weights.year_grace:
        parts["years"] = -weights.year_gap * (evidence.years_apart - weights.year_grace)
    if weights.bias:
        parts["bias"] = weights.bias
    rounded = {key: round(value, 4) for key, value in parts.items()}
    return Score(total=round(sum(parts.values()), 4), contributions=rounded)


def score_candidate(
    evidence: Evidence,
    weights: Weigher = DEFAULT_WEIGHTS,
    *,
    mention_orcid: str | None = None,
    researcher_orcid: str | None = None,
    already_authored_paper: bool = False,
) -> Score:
    rule = hard_rule(
        evidence,
        mention_orcid=mention_orcid,
        researcher_orcid=researcher_orcid,
        already_authored_paper=already_authored_paper,
    )
    if rule is not None:
        return Score(total=float("-inf"), contributions={}, rule=rule)
    return weigh(evidence, weights)
