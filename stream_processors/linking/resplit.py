"""Looking again at one researcher of a block: are the mentions linked to it one person?

The linker decides each mention once, against what the block held at that moment. A link made on
thin evidence (two namesakes, one shared category, nothing else known yet) stays made however much
evidence accumulates later. `resplit` undoes it: it takes every mention the researcher holds,
scores every pair of them with the block's own policy (each mention against the other as a
one-paper researcher, as `linker.evidence_for` weighs a mention), and clusters them by average
linkage: the two groups with the highest mean pair score are joined while that mean is at least
the policy's threshold plus its `split_margin` (the pairwise linker's: a log-odds of -1, chosen on
the pseudo-namesakes' dev groups; below the link threshold, because a mention scored against one
other mention knows less than against a researcher of many). One group: the researcher stands. Several: each group
is a researcher of its own.

Which group keeps the researcher's id: the one holding the mention that created it (the id is
made from that mention, `linker.researcher_id_for`), else the largest. The others get ids made
from the researcher and the group's first mention (`split_id`), so a replay of the same request
makes the same ids. Every summary is rebuilt from its group's mentions, in mention-key order, so
the result depends on the set of mentions only, not on the order a caller lists them in.

`relink_block` puts the parts in the block. Pure: the link agent applies a relink request with
them (`linking_stage.relink`), and `scholarstream relink` runs `resplit` first to show what would
change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from stream_processors.linking.evidence import INCOMPATIBLE
from stream_processors.linking.linker import (
    BlockState,
    Mention,
    PaperContext,
    ResearcherSummary,
    absorb,
    evidence_for,
    mention_key,
    researcher_id_for,
)
from stream_processors.linking.merging import BlockMerge, MergePolicy, follow_redirects, merge_after_link
from stream_processors.linking.names import parse_name
from stream_processors.linking.popularity import rarity

FORBIDDEN = -1e6  # a pair no link may join (two lines of one paper, incompatible names)
MAX_LINES = 2_000  # a researcher of more mentions is not re-clustered here (the pairs grow as its square)


class StaleRelink(ValueError):
    """The mentions given are not exactly the researcher's: the block moved on since they were read."""


@dataclass(frozen=True)
class Line:
    """One mention as the linker saw it."""

    mention: Mention
    paper: PaperContext

    @property
    def key(self) -> str:
        return mention_key(self.paper.paper_id, self.mention.position)


@dataclass(frozen=True)
class Part:
    """One group of a split researcher: its new summary and the papers it holds."""

    summary: ResearcherSummary
    paper_ids: tuple[str, ...]


@dataclass(frozen=True)
class Resplit:
    """The outcome for one researcher: `parts[0]` keeps its id; more than one part is a split."""

    researcher_id: str
    parts: tuple[Part, ...]
    mean_between: float | None  # the highest mean pair score between two parts (None: not split)
    threshold: float
    applied: bool = False  # the request was applied before (a re-delivery): nothing to do

    @property
    def split(self) -> bool:
        return len(self.parts) > 1


def split_id(researcher_id: str, first_mention: str) -> str:
    """The id of a group split off `researcher_id`, from the group's first mention key: stable."""
    return "r-" + hashlib.sha1(f"{researcher_id}/split/{first_mention}".encode()).hexdigest()[:16]


def pair_scores(lines: Sequence[Line], policy: MergePolicy) -> np.ndarray:
    """Symmetric matrix of the policy's score for every pair of lines, the mean of both directions
    (FORBIDDEN where a hard rule forbids the pair either way; the diagonal too)."""
    alone = [absorb(ResearcherSummary(line.key, {}), line.mention, line.paper) for line in lines]
    rarities = [
        rarity(policy.popularity.expected_people(parse_name(line.mention.keyname, line.mention.forenames)))
        if policy.popularity is not None else None
        for line in lines
    ]
    n = len(lines)
    scores = np.full((n, n), FORBIDDEN)
    for i, line in enumerate(lines):
        for j, other in enumerate(lines):
            if i == j or line.paper.paper_id == other.paper.paper_id:
                continue
            evidence = evidence_for(line.mention, line.paper, alone[j], rarities[i])
            if evidence.name_label != INCOMPATIBLE:
                scores[i, j] = policy.weights.total(evidence)
    forbidden = (scores == FORBIDDEN) | (scores.T == FORBIDDEN)
    return np.where(forbidden, FORBIDDEN, (scores + scores.T) / 2)


def average_linkage(
    scores: np.ndarray, threshold: float, start: Sequence[int] | None = None
) -> tuple[list[int], float | None]:
    """Group labels of the lines, joining the two groups of highest mean pair score while it is at
    least `threshold`; and the highest mean left between two groups (None: one group).

    Groups start one per line, or as the `start` labels say (lines of one label begin together;
    groups are numbered in the labels' order). Ties go to the lowest pair of groups, so the result is a function of the matrix."""
    first = list(range(len(scores))) if start is None else list(start)
    index = {label: k for k, label in enumerate(sorted(set(first)))}
    member = np.array([index[label] for label in first], dtype=np.int64)
    n = len(index)
    sums = np.zeros((n, n))
    np.add.at(sums, (member[:, None], member[None, :]), scores.astype(float))
    sizes = np.bincount(member, minlength=n).astype(float)
    alive = np.ones(n, dtype=bool)
    parent = list(range(n))
    best: float | None = None
    while alive.sum() > 1:
        means = sums / np.outer(sizes, sizes)
        means[~alive, :] = -np.inf
        means[:, ~alive] = -np.inf
        np.fill_diagonal(means, -np.inf)
        a, b = np.unravel_index(int(np.argmax(means)), means.shape)
        best = float(means[a, b])
        if best < threshold:
            break
        a, b = min(a, b), max(a, b)
        sums[a, :] += sums[b, :]
        sums[:, a] += sums[:, b]
        sizes[a] += sizes[b]
        alive[b] = False
        parent[b] = int(a)
        best = None

    def root(k: int) -> int:
        while parent[k] != k:
            k = parent[k]
        return k

    return [root(int(k)) for k in member], best


def resplit(researcher: ResearcherSummary, lines: Sequence[Line], policy: MergePolicy) -> Resplit:
    """Re-cluster the researcher's mentions; `lines` must be exactly the mentions it holds.

    Raises StaleRelink otherwise (a mention linked since the lines were read, one missing), and
    ValueError past MAX_LINES."""
    given = {line.key for line in lines}
    if given != set(researcher.mention_keys) or len(given) != len(lines):
        missing, extra = sorted(set(researcher.mention_keys) - given), sorted(given - set(researcher.mention_keys))
        raise StaleRelink(
            f"the mentions given for {researcher.researcher_id} are not the ones it holds "
            f"({len(missing)} missing, e.g. {missing[:3]}; {len(extra)} not its own or repeated, e.g. {extra[:3]})"
        )
    if len(lines) > MAX_LINES:
        raise ValueError(f"{researcher.researcher_id} holds {len(lines):,} mentions, over the {MAX_LINES:,} a relink re-clusters")
    ordered = sorted(lines, key=lambda line: (line.paper.paper_id, line.mention.position))
    threshold = policy.threshold + policy.split_margin
    labels, between = average_linkage(pair_scores(ordered, policy), threshold) if len(ordered) > 1 else ([0], None)
    groups: dict[int, list[Line]] = {}
    for label, line in zip(labels, ordered, strict=True):
        groups.setdefault(label, []).append(line)
    if len(groups) == 1:
        return Resplit(researcher.researcher_id, (Part(researcher, tuple(sorted(researcher.paper_ids))),), None, threshold)
    chosen = list(groups.values())
    creator = [g for g in chosen if any(researcher_id_for(x.paper.paper_id, x.mention.position) == researcher.researcher_id for x in g)]
    keeper = creator[0] if creator else max(chosen, key=len)  # max keeps the first on ties: the earliest keys
    named = [(researcher.researcher_id, keeper)]
    named += [(split_id(researcher.researcher_id, group[0].key), group) for group in chosen if group is not keeper]
    ids = frozenset(rid for rid, _ in named)
    parts = [_part(rid, group, researcher.orcid if rid == researcher.researcher_id else None, researcher.apart | (ids - {rid}))
             for rid, group in named]
    return Resplit(researcher.researcher_id, tuple(parts), between, threshold)


@dataclass(frozen=True)
class Relinked:
    block: BlockState
    outcome: Resplit
    merges: tuple[BlockMerge, ...]  # what the split-off parts then merged with


def relink_block(block: BlockState, researcher_id: str, lines: Sequence[Line], policy: MergePolicy) -> Relinked:
    """The block after re-clustering one researcher: each part in it (the first keeps the id and
    its place; the others join the block's end), then each split-off part tested for a merge with
    the block's other researchers, as after a link.

    The parts are kept apart from each other from then on (`ResearcherSummary.apart`): the
    re-clustering decided that with every mention in view, and a merge test between their
    summaries, which sees less, must not undo it at the next mention. Raises StaleRelink when the
    researcher is not in the block or `lines` are not its mentions."""
    if researcher_id not in block.researchers:
        raise StaleRelink(f"{researcher_id} is not a researcher of block {block.key!r} (merged since, or never linked there)")
    researcher = block.researchers[researcher_id]
    if applied(block, researcher, lines):
        return Relinked(block, Resplit(researcher_id, (Part(researcher, tuple(sorted(researcher.paper_ids))),), None,
                                       policy.threshold + policy.split_margin, applied=True), ())
    outcome = resplit(researcher, lines, policy)
    if not outcome.split:
        return Relinked(block, outcome, ())
    kept, *split = outcome.parts
    researchers = {rid: (kept.summary if rid == researcher_id else r) for rid, r in block.researchers.items()}
    researchers.update({part.summary.researcher_id: part.summary for part in split})
    block = BlockState(block.key, researchers)
    merges: list[BlockMerge] = []
    for part in split:
        block, found = merge_after_link(block, follow_redirects(part.summary.researcher_id, _redirects(merges)), policy)
        merges.extend(found)
    return Relinked(block, outcome, tuple(merges))


def applied(block: BlockState, researcher: ResearcherSummary, lines: Sequence[Line]) -> bool:
    """Whether this relink was applied already: the researcher holds some of its mentions, and each
    of the others is held by a researcher kept apart from it (a part split off, or what that part
    merged into). A worker killed after the split's events were acknowledged and the block written,
    but before the request's offset was committed, reads the request again: a no-op, not a refusal."""
    given = {line.key for line in lines}
    held = set(researcher.mention_keys)
    if not held < given:
        return False
    elsewhere = given - held
    for other in block.researchers.values():
        if researcher.researcher_id in other.apart:
            elsewhere -= other.mention_keys
    return not elsewhere


def _redirects(merges: list[BlockMerge]) -> dict[str, str]:
    return {merge.retired_id: merge.surviving_id for merge in merges}


def _part(researcher_id: str, group: list[Line], orcid: str | None, apart: frozenset[str]) -> Part:
    """A group's summary rebuilt from its mentions (the kept part keeps the researcher's ORCID iD),
    apart from the other parts and from what the researcher was already apart from."""
    summary = ResearcherSummary(researcher_id=researcher_id, names={})
    for line in group:
        summary = absorb(summary, line.mention, line.paper)
    return Part(replace(summary, orcid=orcid, apart=apart), tuple(sorted({line.paper.paper_id for line in group})))
