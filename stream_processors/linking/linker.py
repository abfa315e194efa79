"""The incremental linker over one block: every candidate for a mention shares its blocking key.

A block's state is the summaries of its researchers, in creation order. `link_mention` decides
(never mutates); `apply_decision` returns the next state. Both are pure, so a replay of the same
mentions in the same order rebuilds the same researchers with the same ids, and the faust agent
can keep `BlockState` in a changelog-backed table.

Researcher ids come from the mention that created the researcher (its paper id and author
position), not from a counter or a clock: they do not depend on which worker linked the block.
"""

from __future__ import annotations

import hashlib
import math
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from schemas.linking_events import coauthor_keys_of
from schemas.names import fold
from stream_processors.linking.evidence import (
    Evidence,
    affiliation_similarity,
    as_vector,
    embedding_cosine,
    is_short_given_name,
    name_evidence,
    shared_coauthors,
    topic_overlap,
    years_apart,
)
from stream_processors.linking.name_index import NameIndex
from stream_processors.linking.names import INCOMPATIBLE, NameCompatibility, PersonName, compare_names, parse_name
from stream_processors.linking.popularity import NamePopularity, rarity
from stream_processors.linking.scorer import (
    DEFAULT_THRESHOLD,
    DEFAULT_WEIGHTS,
    RULE_KEPT_APART,
    RULE_NAME_CONFLICT,
    RULE_ORCID_CONFLICT,
    RULE_SAME_PAPER,
    Score,
    Weigher,
    identity_rule,
)

MAX_AFFILIATIONS = 32  # most recent distinct affiliations kept per researcher


@dataclass(frozen=True)
class Mention:
    """One author line as the linker needs it (an `AuthorMention` carries the same fields)."""

    position: int
    keyname: str
    forenames: str = ""
    affiliations: tuple[str, ...] = ()
    blocking_key: str = ""


@dataclass(frozen=True)
class PaperContext:
    """What the paper around a mention tells: its id, year, categories, vector and authors."""

    paper_id: str
    year: int | None = None
    categories: tuple[str, ...] = ()
    author_keys: tuple[str, ...] = ()  # blocking key of every author, by position
    embedding: tuple[float, ...] | None = None
    line_coauthors: tuple[str, ...] | None = None  # one line's coauthor keys, as a mention event carries them

    @cached_property
    def vector(self) -> np.ndarray | None:
        """The embedding as float64 numpy, made once for all the candidates a mention is compared with."""
        return None if self.embedding is None else as_vector(self.embedding)

    def coauthor_keys(self, position: int) -> tuple[str, ...]:
        """The coauthor keys the line at `position` takes as evidence (schemas.linking_events.coauthor_keys_of)."""
        if self.line_coauthors is not None:
            return self.line_coauthors
        return coauthor_keys_of(self.author_keys, position)


@dataclass(frozen=True)
class ResearcherSummary:
    """What the linker remembers of a researcher: enough to score the next mention."""

    researcher_id: str
    names: Mapping[tuple[str, str], int]              # (keyname, forenames) -> times seen
    coauthor_keys: Mapping[str, int] = field(default_factory=dict)  # blocking key -> shared papers
    categories: Mapping[str, int] = field(default_factory=dict)
    affiliations: tuple[str, ...] = ()               # folded, most recent last
    first_year: int | None = None
    last_year: int | None = None
    paper_ids: frozenset[str] = frozenset()
    mention_keys: frozenset[str] = frozenset()       # "paper_id#position", for idempotent replays
    orcid: str | None = None
    # float32 in an array (`as_centroid`): 1.5 KB for 384 dimensions, where a tuple of Python floats takes 12 KB
    centroid: array[float] | None = None
    embedded: int = 0
    apart: frozenset[str] = frozenset()  # researchers a relink split this one from: linking never merges them

    @cached_property
    def name_forms(self) -> tuple[PersonName, ...]:
        return tuple(parse_name(keyname, forenames) for keyname, forenames in self.names)

    @property
    def works(self) -> int:
        return len(self.paper_ids)


@dataclass(frozen=True)
class BlockState:
    """A block's researchers in creation order, and the index of their names (`name_index.py`),
    which a block's successive states share and which equality ignores."""

    key: str
    researchers: dict[str, ResearcherSummary] = field(default_factory=dict)
    names: NameIndex = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.names is None:
            index = NameIndex()
            for rid, summary in self.researchers.items():
                index.add(rid, summary.names)
            object.__setattr__(self, "names", index)

    def name_candidates(self, forms: Iterable[PersonName]) -> list[ResearcherSummary]:
        """The researchers, in block order, whose names may be compatible with every one of `forms`
        (a superset: the others conflict with at least one of them)."""
        found: set[str] | None = None
        for form in forms:
            ids = self.names.candidates(form)
            if ids is not None:
                found = ids if found is None else found & ids
        if found is None:
            return list(self.researchers.values())
        return [self.researchers[rid] for rid in self.names.in_order(found, self.researchers)]


@dataclass(frozen=True)
class Candidate:
    researcher_id: str
    score: float
    rule: str | None


@dataclass(frozen=True)
class LinkDecision:
    """The outcome for one mention, with the evidence that decided it."""

    researcher_id: str
    created: bool
    confidence: float
    score: float | None
    evidence: Evidence | None
    contributions: dict[str, float]
    candidates: tuple[Candidate, ...] = ()  # best few candidates considered, best first
    replay: bool = False

    def explain(self) -> dict[str, object]:
        return {
            "researcher_id": self.researcher_id,
            "created": self.created,
            "confidence": self.confidence,
            "score": self.score,
            "evidence": self.evidence.as_dict() if self.evidence else None,
            "contributions": self.contributions,
            "candidates": [vars(c) for c in self.candidates],
        }


def mention_key(paper_id: str, position: int) -> str:
    return f"{paper_id}#{position}"


def researcher_id_for(paper_id: str, position: int) -> str:
    """A stable id from the mention that created the researcher."""
    return "r-" + hashlib.sha1(mention_key(paper_id, position).encode()).hexdigest()[:16]


def evidence_for(
    mention: Mention, paper: PaperContext, researcher: ResearcherSummary, name_rarity: float | None = None,
) -> Evidence:
    parsed = parse_name(mention.keyname, mention.forenames)
    return _evidence(parsed, name_evidence(parsed, researcher.name_forms), mention, paper, researcher, name_rarity)


def _evidence(
    parsed: PersonName, name: NameCompatibility, mention: Mention, paper: PaperContext, researcher: ResearcherSummary,
    name_rarity: float | None, rivals: int = 0,
) -> Evidence:
    if name.label == INCOMPATIBLE:  # vetoed anyway: skip the costlier features
        return Evidence(name.label, name.grade, 0, None, None, None, None, rivals=rivals)
    coauthors = paper.coauthor_keys(mention.position)
    return Evidence(
        name_label=name.label,
        name_grade=name.grade,
        shared_coauthors=shared_coauthors(coauthors, researcher.coauthor_keys),
        topic_overlap=topic_overlap(paper.categories, researcher.categories),
        embedding_cosine=embedding_cosine(paper.vector, researcher.centroid),
        affiliation_similarity=affiliation_similarity(mention.affiliations, researcher.affiliations),
        years_apart=years_apart(paper.year, researcher.first_year, researcher.last_year),
        short_given_name=is_short_given_name(parsed),
        name_rarity=name_rarity,
        rivals=rivals,
        comparable_coauthors=min(len(set(coauthors)), len(researcher.coauthor_keys)),
    )


# A mention, or a researcher tested for a merge, is weighed against at most this many of the
# block's name-compatible researchers (`shortlist`). Below it, against every one.
SHORTLIST = 64


def shortlist(
    candidates: Sequence[ResearcherSummary], coauthors: Iterable[str], vector: np.ndarray | None,
    categories: Iterable[str], limit: int = SHORTLIST,
) -> list[ResearcherSummary]:
    """At most `limit` of `candidates`, in their order: those sharing most coauthors, then the
    nearest centroids, then those sharing most categories (ties: the earlier researcher).

    Names cannot tell people apart who print the same one, and a common name on the whole of
    arXiv is hundreds of them; weighing every one of them made a mention of such a name cost
    linearly in its namesakes (docs/performance.md 7g). The cheap evidence ranks them here, all
    cosines in one matrix product, and only the shortlist is weighed in full. A pure function of
    the block and the mention, so a replay makes the same choice.
    """
    if len(candidates) <= limit:
        return list(candidates)
    keys, codes = set(coauthors), set(categories)
    shared = np.fromiter((len(r.coauthor_keys.keys() & keys) for r in candidates), dtype=np.int64, count=len(candidates))
    fields = np.fromiter((len(r.categories.keys() & codes) for r in candidates), dtype=np.int64, count=len(candidates))
    near = _cosines(vector, candidates)
    # lexsort sorts by its last key first: most shared coauthors, then nearest, then most categories, then place
    order = np.lexsort((np.arange(len(candidates)), -fields, -near, -shared))
    return [candidates[place] for place in sorted(order[:limit].tolist())]


def _cosines(vector: np.ndarray | None, candidates: Sequence[ResearcherSummary]) -> np.ndarray:
    """Each candidate's centroid cosine to `vector` (float32, for ranking only); -2 where either is missing."""
    near = np.full(len(candidates), -2.0, dtype=np.float32)
    if vector is None:
        return near
    places = [p for p, r in enumerate(candidates) if r.centroid is not None and len(r.centroid) == len(vector)]
    if not places:
        return near
    centroids = [candidates[p].centroid for p in places]
    if all(isinstance(c, array) and c.typecode == "f" for c in centroids):  # as summaries keep them: one copy
        matrix = np.frombuffer(b"".join(centroids), dtype=np.float32).reshape(len(places), len(vector))  # type: ignore[arg-type]
    else:
        matrix = np.stack([np.asarray(c, dtype=np.float32) for c in centroids])
    probe = np.asarray(vector, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1) * np.float32(np.linalg.norm(probe))
    near[places] = (matrix @ probe) / np.where(norms > 0, norms, np.float32(1.0))
    return near


def candidate_evidence(
    block: BlockState, mention: Mention, paper: PaperContext, *, orcid: str | None = None,
    popularity: NamePopularity | None = None,
) -> list[tuple[Evidence, ResearcherSummary]]:
    """The evidence against the researchers of the block that no hard rule forbids, in block order,
    with `rivals` set: what the linker weighs, and what the pairwise model is trained on. Past
    SHORTLIST such researchers, against the shortlist of them only."""
    parsed = parse_name(mention.keyname, mention.forenames)
    # How common the mention's name is does not depend on the candidate: looked up once per mention.
    name_rarity = rarity(popularity.expected_people(parsed)) if popularity is not None else None
    # Only researchers whose names may fit: the rest are INCOMPATIBLE, vetoed and not counted below.
    named = []
    for researcher in block.name_candidates((parsed,)):
        name = name_evidence(parsed, researcher.name_forms)
        if name.label != INCOMPATIBLE:
            named.append((name, researcher))
    rivals = len(named) - 1
    # The name rule passed; a candidate another hard rule forbids is never weighed either.
    allowed = {
        researcher.researcher_id: name
        for name, researcher in named
        if identity_rule(mention_orcid=orcid, researcher_orcid=researcher.orcid,
                         already_authored_paper=paper.paper_id in researcher.paper_ids) is None
    }
    weighed = [researcher for _, researcher in named if researcher.researcher_id in allowed]
    weighed = shortlist(weighed, paper.coauthor_keys(mention.position), paper.vector, paper.categories)
    return [(_evidence(parsed, allowed[r.researcher_id], mention, paper, r, name_rarity, rivals), r) for r in weighed]


def _confidence(margin: float) -> float:
    """Distance from the threshold squashed to (0, 1): 0.5 exactly at the threshold."""
    return round(1 / (1 + math.exp(-4 * margin)), 4)


def link_mention(
    block: BlockState,
    mention: Mention,
    paper: PaperContext,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    weights: Weigher = DEFAULT_WEIGHTS,
    orcid: str | None = None,
    popularity: NamePopularity | None = None,
) -> LinkDecision:
    """Link to the best-scoring researcher at or above `threshold`, else create a new one."""
    key = mention_key(paper.paper_id, mention.position)
    for researcher in block.researchers.values():
        if key in researcher.mention_keys:
            return LinkDecision(researcher.researcher_id, False, 1.0, None, None, {}, replay=True)
    scored = [(weights.total(evidence), evidence, researcher)
              for evidence, researcher in candidate_evidence(block, mention, paper, orcid=orcid, popularity=popularity)]
    ranked = sorted(scored, key=lambda item: -item[0])  # stable: ties keep creation order
    candidates = tuple(Candidate(r.researcher_id, total, None) for total, _, r in ranked[:3])
    if ranked and ranked[0][0] >= threshold:
        _, evidence, researcher = ranked[0]
        score = weights.weigh(evidence)  # the explanation, for the winner only
        return LinkDecision(
            researcher.researcher_id, False, _confidence(score.total - threshold), score.total, evidence,
            score.contributions, candidates,
        )
    best = ranked[0][0] if ranked else None
    confidence = _confidence(threshold - best) if best is not None else 1.0
    return LinkDecision(
        researcher_id_for(paper.paper_id, mention.position), True, confidence, best, None, {}, candidates
    )


def as_centroid(mean: np.ndarray) -> array[float]:
    """A centroid as a summary keeps it: the mean (computed in float64) rounded to float16 and held
    as float32, the form `state_codec` stores losslessly in float16, so a block recovered from its
    changelog holds exactly the centroids of one that was never decoded."""
    centroid = array("f")
    centroid.frombytes(np.asarray(mean, dtype=np.float16).astype(np.float32).tobytes())
    return centroid


def _bump(counts: Mapping[str, int], keys: Sequence[str]) -> dict[str, int]:
    bumped = dict(counts)
    for item in keys:
        bumped[item] = bumped.get(item, 0) + 1
    return bumped


def absorb(
    summary: ResearcherSummary, mention: Mention, paper: PaperContext, orcid: str | None = None
) -> ResearcherSummary:
    """The summary with one more mention folded in (the input is not changed)."""
    names = dict(summary.names)
    form = (mention.keyname, mention.forenames)
    names[form] = names.get(form, 0) + 1
    affiliations = list(summary.affiliations)
    for affiliation in mention.affiliations:
        folded = fold(affiliation)
        if folded:
            if folded in affiliations:
                affiliations.remove(folded)
            affiliations.append(folded)
    years = [y for y in (summary.first_year, summary.last_year, paper.year) if y is not None]
    centroid, embedded = summary.centroid, summary.embedded
    if paper.vector is not None:
        if centroid is None:
            centroid, embedded = as_centroid(paper.vector), 1
        else:
            centroid = as_centroid((as_vector(centroid) * embedded + paper.vector) / (embedded + 1))
            embedded += 1
    return replace(
        summary,
        names=names,
        coauthor_keys=_bump(summary.coauthor_keys, sorted(set(paper.coauthor_keys(mention.position)))),
        categories=_bump(summary.categories, sorted(set(paper.categories))),
        affiliations=tuple(affiliations[-MAX_AFFILIATIONS:]),
        first_year=min(years) if years else None,
        last_year=max(years) if years else None,
        paper_ids=summary.paper_ids | {paper.paper_id},
        mention_keys=summary.mention_keys | {mention_key(paper.paper_id, mention.position)},
        orcid=summary.orcid or orcid,
        centroid=centroid,
        embedded=embedded,
    )


def apply_decision(
    block: BlockState, decision: LinkDecision, mention: Mention, paper: PaperContext, orcid: str | None = None
) -> BlockState:
    """The block after the decision: the mention folded into its (possibly new) researcher."""
    if decision.replay:
        return block
    current = block.researchers.get(decision.researcher_id)
    new = current is None
    if current is None:
        current = ResearcherSummary(researcher_id=decision.researcher_id, names={})
    researchers = dict(block.researchers)
    updated = researchers[decision.researcher_id] = absorb(current, mention, paper, orcid)
    return BlockState(block.key, researchers, block.names.add(decision.researcher_id, updated.names, new=new))


# --- merges ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeDecision:
    """Whether two researchers of a block are one person; `retired_id` would redirect to `surviving_id`."""

    merge: bool
    surviving_id: str
    retired_id: str
    score: Score
    evidence: Evidence


def compare_researchers(a: ResearcherSummary, b: ResearcherSummary) -> Evidence:
    """The same features as for a mention, summary against summary."""
    labels = [compare_names(x, y) for x in a.name_forms for y in b.name_forms]
    conflict = any(result.label == INCOMPATIBLE for result in labels)
    best = max(labels, key=lambda result: result.grade) if labels else None
    overlap = None
    if a.categories and b.categories:
        total_a, total_b = sum(a.categories.values()), sum(b.categories.values())
        overlap = round(sum(min(a.categories.get(code, 0) / total_a, n / total_b) for code, n in b.categories.items()), 4)
    affiliation = affiliation_similarity(a.affiliations, b.affiliations)
    gap = None
    if a.first_year is not None and a.last_year is not None and b.first_year is not None and b.last_year is not None:
        gap = max(0, max(a.first_year, b.first_year) - min(a.last_year, b.last_year))
    return Evidence(
        name_label=INCOMPATIBLE if conflict or best is None else best.label,
        name_grade=0.0 if conflict or best is None else best.grade,
        shared_coauthors=shared_coauthors(a.coauthor_keys, b.coauthor_keys),
        topic_overlap=overlap,
        embedding_cosine=embedding_cosine(a.centroid, b.centroid),
        affiliation_similarity=affiliation,
        years_apart=gap,
        comparable_coauthors=min(len(a.coauthor_keys), len(b.coauthor_keys)),
    )


def merge_candidates(
    a: ResearcherSummary, b: ResearcherSummary, threshold: float = DEFAULT_THRESHOLD, weights: Weigher = DEFAULT_WEIGHTS,
    *, explain: bool = True,
) -> MergeDecision:
    """Should two researchers be merged? Same hard rules and weights as linking a mention.

    The survivor is the researcher with more works (then the smaller id), so profiles that
    people already follow keep their id. `explain=False` leaves the score's terms out (a caller
    that weighs the pair again, as `merging.pair_merge` does, explains it then).
    """
    evidence = compare_researchers(a, b)
    rule = None
    if a.orcid and b.orcid and a.orcid != b.orcid:
        rule = RULE_ORCID_CONFLICT
    elif a.paper_ids & b.paper_ids:
        rule = RULE_SAME_PAPER
    elif a.researcher_id in b.apart or b.researcher_id in a.apart:
        rule = RULE_KEPT_APART
    elif evidence.name_label == INCOMPATIBLE:
        rule = RULE_NAME_CONFLICT
    if rule is not None:
        score = Score(float("-inf"), {}, rule)
    else:  # the explanation only for a pair that passes: most pairs of a block do not
        total = weights.total(evidence)
        score = weights.weigh(evidence) if explain and total >= threshold else Score(total, {})
    survivor, retired = sorted((a, b), key=lambda r: (-r.works, r.researcher_id))
    return MergeDecision(
        merge=rule is None and score.total >= threshold,
        surviving_id=survivor.researcher_id,
        retired_id=retired.researcher_id,
        score=score,
        evidence=evidence,
    )


def merge_summaries(surviving: ResearcherSummary, retired: ResearcherSummary) -> ResearcherSummary:
    """One summary holding both researchers' evidence, under the survivor's id."""
    names = dict(surviving.names)
    for form, n in retired.names.items():
        names[form] = names.get(form, 0) + n
    coauthors = _bump(surviving.coauthor_keys, ())
    for key, n in retired.coauthor_keys.items():
        coauthors[key] = coauthors.get(key, 0) + n
    categories = _bump(surviving.categories, ())
    for code, n in retired.categories.items():
        categories[code] = categories.get(code, 0) + n
    affiliations = [a for a in retired.affiliations if a not in surviving.affiliations] + list(surviving.affiliations)
    years = [y for y in (surviving.first_year, surviving.last_year, retired.first_year, retired.last_year) if y is not None]
    centroid, embedded = surviving.centroid, surviving.embedded
    if retired.centroid is not None:
        if centroid is None:
            centroid, embedded = retired.centroid, retired.embedded
        else:
            total = embedded + retired.embedded
            centroid = as_centroid((as_vector(centroid) * embedded + as_vector(retired.centroid) * retired.embedded) / total)
            embedded = total
    return replace(
        surviving,
        names=names,
        coauthor_keys=coauthors,
        categories=categories,
        affiliations=tuple(affiliations[-MAX_AFFILIATIONS:]),
        first_year=min(years) if years else None,
        last_year=max(years) if years else None,
        paper_ids=surviving.paper_ids | retired.paper_ids,
        mention_keys=surviving.mention_keys | retired.mention_keys,
        orcid=surviving.orcid or retired.orcid,
        centroid=centroid,
        embedded=embedded,
        apart=(surviving.apart | retired.apart) - {surviving.researcher_id, retired.researcher_id},
    )
