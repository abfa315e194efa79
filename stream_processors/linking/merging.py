"""Merges inside a block: after a mention is linked, is its researcher now one with another?

A link adds evidence to one researcher (a coauthor, a category, an affiliation, a name form).
That evidence can show that two researchers the block kept apart are one person, e.g. "Z. Wang"
and "Zheng Wang" once a paper of "Z. Wang" shares coauthors and topics with "Zheng Wang".
`merge_after_link` tests the researcher the mention went to against every other researcher of
the block, folds the best passing pair, and repeats with the folded researcher until none passes.
It reads the block state only, in its stored (creation) order, so the same mentions in the same
order give the same merges with the same ids.

The test is `linker.merge_candidates` (the link's hard rules, weights and threshold, summary
against summary), re-weighed with the two context penalties the linker applies to a mention and
`merge_candidates` leaves out: the ambiguity of a weak name match that also fits other
researchers of the block (`rivals`), and a short full given name ("Jun"). Without them a merge
would undo exactly the links those penalties refused ("Z. Wang" into "Zheng Wang" while a
"Zhi-Gang Wang" exists), which the gold sets confirm (`evaluation/linking_merges.py`).

Survivor: the smaller researcher id, not `merge_candidates`' choice (the one with more works).
Every redirect then points to a smaller id, so redirect chains end and two merges can never
redirect into each other, even when a linking merge and a claimant's merge request for the same
pair cross in flight on different partitions (docs/linking.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from stream_processors.linking.evidence import Evidence, is_short_given_name
from stream_processors.linking.linker import (
    BlockState,
    ResearcherSummary,
    merge_candidates,
    merge_summaries,
    shortlist,
)
from stream_processors.linking.names import INCOMPATIBLE, PersonName, compare_names
from stream_processors.linking.popularity import NamePopularity, rarity
from stream_processors.linking.scorer import DEFAULT_THRESHOLD, DEFAULT_WEIGHTS, Weigher, weigh


@dataclass(frozen=True)
class MergePolicy:
    threshold: float = DEFAULT_THRESHOLD
    weights: Weigher = DEFAULT_WEIGHTS
    context_penalties: bool = True  # rivals and short given names, as when linking a mention
    min_shared_coauthors: int = 0   # corroboration beyond names and places (0: the score decides)
    popularity: NamePopularity | None = None  # how common the names are (popularity.py), as when linking
    split_margin: float = 0.0  # a relink keeps two groups together down to threshold + this (resplit.py)


DEFAULT_POLICY = MergePolicy()


@dataclass(frozen=True)
class BlockMerge:
    """Two researchers of a block found to be one: `retired_id` now redirects to `surviving_id`."""

    surviving_id: str
    retired_id: str
    score: float
    contributions: dict[str, float]
    evidence: Evidence
    surviving_name: str
    retired_name: str

    def explain(self) -> dict[str, float | int | str | bool | None]:
        """Flat evidence for the MergeEvent: each feature and each term of the score."""
        e = self.evidence
        flat: dict[str, float | int | str | bool | None] = {
            "name_label": e.name_label,
            "name_grade": e.name_grade,
            "shared_coauthors": e.shared_coauthors,
            "topic_overlap": e.topic_overlap,
            "embedding_cosine": e.embedding_cosine,
            "affiliation_similarity": e.affiliation_similarity,
            "years_apart": e.years_apart,
            "short_given_name": e.short_given_name,
            "rivals": e.rivals,
        }
        if e.name_rarity is not None:
            flat["name_rarity"] = e.name_rarity
        flat.update({f"term_{name}": value for name, value in sorted(self.contributions.items())})
        return flat


def display_name(summary: ResearcherSummary) -> str:
    """The most printed name form (then the longest, then alphabetical): for redirects and audits."""
    (keyname, forenames), _ = max(
        summary.names.items(), key=lambda item: (item[1], len(item[0][1]), item[0][1], item[0][0])
    )
    return " ".join(part for part in (forenames, keyname) if part)


def _compatible(a: Iterable[PersonName], b: tuple[PersonName, ...]) -> bool:
    return all(compare_names(x, y).label != INCOMPATIBLE for x in a for y in b)


class RivalCounts:
    """How ambiguous a pair's name is: the other researchers of the block whose names fit a's or
    b's (the larger count), for the many pairs one block state is tested with.

    A block of one common name holds hundreds of people, and a link compares its researcher with
    each of them: counting the fitting researchers anew for every pair made each link cost the
    square of the block. Here the researchers fitting a set of name forms are counted once per
    set (through the name index, a superset of them), and a pair subtracts the two of its own
    that were counted: the same count as comparing every other researcher with both.
    """

    def __init__(self, block: BlockState) -> None:
        self.block = block
        self.fitting: dict[tuple[PersonName, ...], int] = {}

    def _fit(self, forms: tuple[PersonName, ...]) -> int:
        count = self.fitting.get(forms)
        if count is None:
            count = self.fitting[forms] = sum(_compatible(forms, other.name_forms) for other in self.block.name_candidates(forms))
        return count

    def _others(self, a: ResearcherSummary, b: ResearcherSummary) -> int:
        forms = a.name_forms
        return self._fit(forms) - _compatible(forms, forms) - _compatible(forms, b.name_forms)

    def __call__(self, a: ResearcherSummary, b: ResearcherSummary) -> int:
        return max(self._others(a, b), self._others(b, a))


def _short_names_only(a: ResearcherSummary, b: ResearcherSummary) -> bool:
    """No full given name longer than a short one ('Jun', 'Yan') on either side: the name says little."""
    full = [form for form in (*a.name_forms, *b.name_forms) if not form.is_initialled]
    return bool(full) and all(is_short_given_name(form) for form in full)


def _pair_rarity(a: ResearcherSummary, b: ResearcherSummary, popularity: NamePopularity | None) -> float | None:
    """The rarity of the commonest full name either side prints: a pair is only as specific as that."""
    if popularity is None:
        return None
    expected = [popularity.expected_people(form) for form in (*a.name_forms, *b.name_forms)]
    known = [value for value in expected if value is not None]
    return rarity(max(known)) if known else None


def pair_merge(
    block: BlockState, a: ResearcherSummary, b: ResearcherSummary, policy: MergePolicy = DEFAULT_POLICY,
    rivals: RivalCounts | None = None,
) -> BlockMerge | None:
    """The merge of a and b if it passes, else None. Deterministic in its inputs (`rivals`, when
    given, counts over `block`)."""
    decision = merge_candidates(a, b, policy.threshold, policy.weights, explain=not policy.context_penalties)
    if not decision.merge:
        return None
    evidence, score = decision.evidence, decision.score
    if policy.context_penalties:
        evidence = replace(evidence, rivals=(rivals or RivalCounts(block))(a, b), short_given_name=_short_names_only(a, b),
                           name_rarity=_pair_rarity(a, b, policy.popularity))
        if policy.weights.total(evidence) < policy.threshold:
            return None
        score = weigh(evidence, policy.weights)
    if evidence.shared_coauthors < policy.min_shared_coauthors:
        return None
    survivor, retired = sorted((a, b), key=lambda r: r.researcher_id)
    return BlockMerge(
        surviving_id=survivor.researcher_id,
        retired_id=retired.researcher_id,
        score=score.total,
        contributions=dict(score.contributions),
        evidence=evidence,
        surviving_name=display_name(survivor),
        retired_name=display_name(retired),
    )


def fold(block: BlockState, merge: BlockMerge) -> BlockState:
    """The block with the retired researcher folded into the survivor, which keeps its place."""
    survivor = block.researchers[merge.surviving_id]
    retired = block.researchers[merge.retired_id]
    folded = merge_summaries(survivor, retired)
    researchers = {
        rid: (folded if rid == merge.surviving_id else summary)
        for rid, summary in block.researchers.items()
        if rid != merge.retired_id
    }
    return BlockState(block.key, researchers, block.names.add(merge.surviving_id, folded.names))


def merge_after_link(
    block: BlockState, researcher_id: str, policy: MergePolicy = DEFAULT_POLICY
) -> tuple[BlockState, tuple[BlockMerge, ...]]:
    """Fold every researcher that the linked one now passes the merge test with, best first.

    Candidates are tried in block order; the best score wins, ties go to the earlier researcher.
    After a fold the survivor is tested again (it carries more evidence now), so one link can
    merge a chain; the loop ends because every fold removes a researcher.
    """
    merges: list[BlockMerge] = []
    current = researcher_id
    while current in block.researchers:
        me = block.researchers[current]
        best: BlockMerge | None = None
        rivals = RivalCounts(block)
        others = [other for other in block.name_candidates(me.name_forms) if other.researcher_id != current]
        # the others conflict by name: never merged; past SHORTLIST, the shortlist of them only
        vector = None if me.centroid is None else np.asarray(me.centroid, dtype=np.float32)
        for other in shortlist(others, me.coauthor_keys, vector, me.categories):
            found = pair_merge(block, me, other, policy, rivals)
            if found is not None and (best is None or found.score > best.score):
                best = found
        if best is None:
            break
        block = fold(block, best)
        merges.append(best)
        current = best.surviving_id
    return block, tuple(merges)


def follow_redirects(researcher_id: str, redirects: dict[str, str]) -> str:
    """Where a researcher id ends after merges (retired id -> surviving id, chains followed).

    Every redirect points to a smaller id, so the chain ends."""
    while researcher_id in redirects:
        researcher_id = redirects[researcher_id]
    return researcher_id
