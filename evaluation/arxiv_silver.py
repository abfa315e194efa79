"""A silver standard for author linking built from real arXiv metadata, where the truth can be known.

The gold sets carry names and affiliations only, so they never exercise the linker's coauthor,
category and year evidence. arXiv does, but nobody has labelled who is who. Some pairs of
mentions are known anyway, with high confidence:

- **positive** (`initialled-full`): an initialled mention ("M. England") and a mention with a full
  forename ("Matthew England") in the same block, on different papers, with compatible names, whose
  papers share at least `MIN_SHARED` coauthors (a coauthor is shared when the surnames fold alike
  and the given names are compatible, "J. H. Davenport" / "James H. Davenport"). Two people with
  compatible names writing with the same two others is rare enough to call them one person.
  `strict` marks the pairs that share `MIN_SHARED` coauthors under *identical* full names.
  (`initialled-initialled`): two initialled mentions tied to the same full-forename mention.
- **negative** (`initialled-other`): an initialled mention tied as above to "Jian Wang", and a
  mention whose own name ("Jun Wang") or whose ties are incompatible with every name it was tied
  to, although its *printed* name fits the initialled one ("J. Wang"). The name cannot separate
  the pair; the person behind the initials is known to be someone else.
  (`full-full`): incompatible full forenames in one block ("Jian Wang" / "Jun Wang"), one mention
  per name form. The linker's hard rule separates these by construction; they are a sanity
  check, reported on their own and left out of the pooled figures.

An initialled mention tied to mutually incompatible full names (the coauthors point at two
people) is dropped. Only blocks that hold a positive pair are linked and scored, but every mention
of those blocks is linked, in stream order, so the linker sees the same block state it would see
in production.

Bias, stated plainly: the silver pairs are *defined* by shared coauthors, and the linker uses
shared coauthors (by blocking key) as evidence, so recall on the positives is optimistic; the
`linker_without_coauthors` row shows how much of it comes from that evidence. The positives are
the easy cases of initialled/full linking (collaborators recur), and the negatives only the
initialled forms that could be pinned to somebody. The baselines score by construction here
(exact full name never joins an initialled and a full form; surname + first initial joins every
pair of a block): the set measures the linker, not the baselines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from evaluation.labelled_papers import OAI_CS_2016
from foundation.errors import InvalidRecord, ScholarStreamError
from producers.oai_records import page_files, papers_in_pages
from schemas.names import fold
from stream_processors.enrich import author_mentions
from stream_processors.linking.linker import BlockState, Mention, PaperContext, apply_decision, link_mention, mention_key
from stream_processors.linking.merging import DEFAULT_POLICY, MergePolicy, follow_redirects, merge_after_link
from stream_processors.linking.names import INCOMPATIBLE, PersonName, compare_names, parse_name
from stream_processors.linking.popularity import NamePopularity
from stream_processors.linking.scorer import DEFAULT_THRESHOLD, DEFAULT_WEIGHTS, Weigher

SET_NAME = "arxiv-oai-cs-2016"
MIN_SHARED = 2
POSITIVE_KINDS = ("initialled-full", "initialled-initialled")
NEGATIVE_KINDS = ("initialled-other",)  # the negatives that test the linker
SANITY_KINDS = ("full-full",)  # separated by the hard rule on incompatible names: reported, not pooled


@dataclass(frozen=True)
class SilverPaper:
    """One paper as the linker sees it: id, stream position, year, categories and author lines."""

    paper_id: str
    submitted: str  # ISO date: papers are linked in (submitted, paper_id) order
    year: int | None
    categories: tuple[str, ...]
    mentions: tuple[Mention, ...]  # by position; `blocking_key` set as the pipeline sets it
    embedding: tuple[float, ...] | None = None  # the paper's vector, where the evaluation encoded it

    @property
    def author_keys(self) -> tuple[str, ...]:
        return tuple(m.blocking_key for m in self.mentions)


@dataclass(frozen=True)
class SilverPair:
    a: str  # mention key "paper#position"
    b: str
    same: bool
    kind: str
    block: str
    strict: bool = False  # positives only: the shared coauthors match by identical full name


@dataclass(frozen=True)
class SilverSet:
    papers: tuple[SilverPaper, ...]  # in stream order
    pairs: tuple[SilverPair, ...]

    @property
    def blocks(self) -> frozenset[str]:
        return frozenset(pair.block for pair in self.pairs)


def read_oai_papers(path: Path = OAI_CS_2016) -> Iterator[SilverPaper]:
    """Every record of the OAI harvest through the producer's own mapping and the pipeline's mentions."""
    pages = page_files(path)
    if not pages:
        raise ScholarStreamError(f"{path} holds no OAI pages: the evaluation reads the shared data set beside the checkout")
    for paper in papers_in_pages(pages):
        mentions = tuple(
            Mention(m.position, m.keyname, m.forenames, m.affiliations, m.blocking_key)
            for m in author_mentions(paper)
        )
        if paper.submitted is None:  # every OAI record carries its first version's date
            raise InvalidRecord(f"{paper.arxiv_id}: no submission date", "submitted")
        yield SilverPaper(paper.arxiv_id, paper.submitted.date().isoformat(), paper.year, paper.categories, mentions)


def stream_order(papers: Iterable[SilverPaper]) -> tuple[SilverPaper, ...]:
    return tuple(sorted(papers, key=lambda p: (p.submitted, p.paper_id)))


# --- building the silver pairs ---------------------------------------------------------------


def _person(mention: Mention) -> PersonName | None:
    """The parsed name, or None for a line with no given names (collaborations, mononyms)."""
    name = parse_name(mention.keyname, mention.forenames)
    return name if name.given else None


def _compatible(a: PersonName, b: PersonName) -> bool:
    return compare_names(a, b).label != INCOMPATIBLE


def shared_coauthors_by_name(mine: Sequence[Mention], theirs: Sequence[Mention]) -> tuple[int, int]:
    """Coauthors two papers share: (compatible names, identical full names), each matched once.

    Lines without given names never count: "Smith" alone could be anybody called Smith.
    """
    by_surname: dict[str, list[tuple[PersonName, str]]] = defaultdict(list)
    for other in theirs:
        theirs_name = _person(other)
        if theirs_name is not None:
            by_surname[theirs_name.surname].append((theirs_name, fold(other.keyname) + "|" + fold(other.forenames)))
    compatible = identical = 0
    used: set[tuple[str, int]] = set()
    for mention in mine:
        name = _person(mention)
        if name is None:
            continue
        full = fold(mention.keyname) + "|" + fold(mention.forenames)
        options = [(i, n, f) for i, (n, f) in enumerate(by_surname.get(name.surname, ())) if (name.surname, i) not in used]
        options.sort(key=lambda option: option[2] != full)  # an identical name first
        for index, candidate, other_full in options:
            if _compatible(name, candidate):
                used.add((name.surname, index))
                compatible += 1
                identical += other_full == full
                break
    return compatible, identical


@dataclass(frozen=True)
class _Line:
    key: str
    paper: SilverPaper
    mention: Mention
    name: PersonName

    @property
    def coauthors(self) -> tuple[Mention, ...]:
        return tuple(m for m in self.paper.mentions if m.position != self.mention.position)


def build_pairs(papers: Sequence[SilverPaper], min_shared: int = MIN_SHARED) -> tuple[SilverPair, ...]:
    """The silver pairs of every block (see the module docstring for the rules)."""
    blocks: dict[str, list[_Line]] = defaultdict(list)
    for paper in papers:
        for mention in paper.mentions:
            name = _person(mention)
            if name is not None and mention.blocking_key:
                blocks[mention.blocking_key].append(_Line(mention_key(paper.paper_id, mention.position), paper, mention, name))
    pairs: list[SilverPair] = []
    for block in sorted(blocks):
        pairs.extend(_block_pairs(block, blocks[block], min_shared))
    return tuple(pairs)


def _block_pairs(block: str, lines: list[_Line], min_shared: int) -> list[SilverPair]:
    initialled = [line for line in lines if line.name.is_initialled]
    full = [line for line in lines if not line.name.is_initialled]
    if not initialled or not full:
        return []
    ties: dict[str, list[tuple[_Line, bool]]] = defaultdict(list)  # initialled key -> (full line, strict)
    for short in initialled:
        for long in full:
            if long.paper.paper_id == short.paper.paper_id or not _compatible(short.name, long.name):
                continue
            compatible, identical = shared_coauthors_by_name(short.coauthors, long.coauthors)
            if compatible >= min_shared:
                ties[short.key].append((long, identical >= min_shared))
    # An initialled line tied to two incompatible full names: the coauthors point at two people.
    ties = {key: tied for key, tied in ties.items() if all(_compatible(a.name, b.name) for a, _ in tied for b, _ in tied)}
    if not ties:
        return []
    pairs = [SilverPair(key, long.key, True, "initialled-full", block, strict) for key, tied in ties.items() for long, strict in tied]
    by_key = {line.key: line for line in lines}
    anchors = {key: {long.key for long, _ in tied} for key, tied in ties.items()}
    anchor_names = {key: [long.name for long, _ in tied] for key, tied in ties.items()}
    tied_keys = sorted(ties)
    for i, first in enumerate(tied_keys):
        for second in tied_keys[i + 1:]:
            if by_key[first].paper.paper_id == by_key[second].paper.paper_id:
                continue
            if anchors[first] & anchors[second]:
                pairs.append(SilverPair(first, second, True, "initialled-initialled", block))
            elif _all_incompatible(anchor_names[first], anchor_names[second]) and _compatible(by_key[first].name, by_key[second].name):
                pairs.append(SilverPair(first, second, False, "initialled-other", block))
    for key in tied_keys:
        short = by_key[key]
        for long in full:
            if long.paper.paper_id != short.paper.paper_id and _compatible(short.name, long.name) \
                    and _all_incompatible(anchor_names[key], [long.name]):
                pairs.append(SilverPair(key, long.key, False, "initialled-other", block))
    forms: dict[tuple[str, ...], _Line] = {}
    for long in full:  # one mention per full name form: the first in stream order
        forms.setdefault(tuple("-".join(part) for part in long.name.given), long)
    distinct = list(forms.values())
    for i, one in enumerate(distinct):
        for another in distinct[i + 1:]:
            if one.paper.paper_id != another.paper.paper_id and not _compatible(one.name, another.name):
                pairs.append(SilverPair(one.key, another.key, False, "full-full", block))
    return pairs


def _all_incompatible(names: Sequence[PersonName], others: Sequence[PersonName]) -> bool:
    return bool(names) and bool(others) and all(not _compatible(a, b) for a in names for b in others)


def build_silver(papers: Iterable[SilverPaper], min_shared: int = MIN_SHARED) -> SilverSet:
    ordered = stream_order(papers)
    return SilverSet(ordered, build_pairs(ordered, min_shared))


# --- linking and scoring ---------------------------------------------------------------------


def link_blocks(
    papers: Sequence[SilverPaper],
    blocks: frozenset[str],
    weights: Weigher = DEFAULT_WEIGHTS,
    threshold: float = DEFAULT_THRESHOLD,
    coauthors: bool = True,
    policy: MergePolicy | None = None,
    popularity: NamePopularity | None = None,
) -> dict[str, str]:
    """Mention key -> researcher id for every mention of `blocks`, linked in stream order.

    With a merge `policy` the merge step runs after each link to an existing researcher, as in the
    worker, and ids follow the merge redirects. With `coauthors=False` the paper's other authors
    are withheld (the ablation that shows how much of the recall comes from the evidence the silver
    pairs were built from).
    """
    states: dict[str, BlockState] = {}
    assigned: dict[str, str] = {}
    redirects: dict[str, str] = {}
    for paper in papers:
        keys = paper.author_keys
        for mention in paper.mentions:
            block = mention.blocking_key
            if block not in blocks:
                continue
            if not coauthors:
                keys = tuple(key if index == mention.position else "" for index, key in enumerate(paper.author_keys))
            context = PaperContext(paper.paper_id, paper.year, paper.categories, keys, paper.embedding)
            state = states.get(block) or BlockState(block)
            decision = link_mention(state, mention, context, threshold, weights=weights, popularity=popularity)
            state = apply_decision(state, decision, mention, context)
            if policy is not None and not decision.created and not decision.replay:
                state, merges = merge_after_link(state, decision.researcher_id, policy)
                redirects.update({m.retired_id: m.surviving_id for m in merges})
            states[block] = state
            assigned[mention_key(paper.paper_id, mention.position)] = decision.researcher_id
    return {key: follow_redirects(rid, redirects) for key, rid in assigned.items()}


def pair_scores(pairs: Sequence[SilverPair], together: Callable[[SilverPair], bool]) -> dict[str, object]:
    """Recall on positive pairs, the share of negative pairs kept apart, and pooled precision/F1.

    Pooled precision is linked positives over linked positives and linked `initialled-other`
    negatives; it depends on how many negatives the set holds, so read it beside the two rates it
    is made of. `full-full` pairs are reported on their own (the hard rule keeps them apart).
    """
    positives = [pair for pair in pairs if pair.same]
    negatives = [pair for pair in pairs if pair.kind in NEGATIVE_KINDS]
    linked_pos = sum(1 for pair in positives if together(pair))
    linked_neg = sum(1 for pair in negatives if together(pair))
    recall = linked_pos / len(positives) if positives else 0.0
    precision = linked_pos / (linked_pos + linked_neg) if linked_pos + linked_neg else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    report: dict[str, object] = {
        "positives": len(positives),
        "negatives": len(negatives),
        "recall": round(recall, 4),
        "negatives_apart": round(1 - linked_neg / len(negatives), 4) if negatives else 1.0,
        "precision": round(precision, 4),
        "f1": round(f1, 4),
    }
    strict = [pair for pair in positives if pair.strict]
    if strict:
        report["recall_strict"] = round(sum(1 for pair in strict if together(pair)) / len(strict), 4)
    for kind in POSITIVE_KINDS + NEGATIVE_KINDS + SANITY_KINDS:
        chosen = [pair for pair in pairs if pair.kind == kind]
        if chosen:
            hits = sum(1 for pair in chosen if together(pair))
            report[kind] = {"pairs": len(chosen), "linked": round(hits / len(chosen), 4)}
    return report


def evaluate_silver(
    silver: SilverSet,
    weights: Weigher = DEFAULT_WEIGHTS,
    threshold: float = DEFAULT_THRESHOLD,
    split_of: Callable[[str], str] = lambda _block: "all",
    splits: Iterable[str] = ("all",),
    popularity: NamePopularity | None = None,
) -> dict[str, object]:
    """The linker as the worker runs it (link + merge step), the link step alone, the linker without
    coauthor evidence, and both baselines on the silver pairs."""
    blocks = silver.blocks
    policy = replace(DEFAULT_POLICY, weights=weights, threshold=threshold, popularity=popularity)
    linked = link_blocks(silver.papers, blocks, weights, threshold, policy=policy, popularity=popularity)
    unmerged = link_blocks(silver.papers, blocks, weights, threshold, popularity=popularity)
    alone = link_blocks(silver.papers, blocks, weights, threshold, coauthors=False, policy=policy, popularity=popularity)
    names = {
        mention_key(paper.paper_id, m.position): fold(m.keyname) + "|" + fold(m.forenames)
        for paper in silver.papers for m in paper.mentions if m.blocking_key in blocks
    }
    methods: dict[str, Callable[[SilverPair], bool]] = {
        "linker": lambda pair: linked[pair.a] == linked[pair.b],
        "linker_without_merges": lambda pair: unmerged[pair.a] == unmerged[pair.b],
        "linker_without_coauthors": lambda pair: alone[pair.a] == alone[pair.b],
        "exact_full_name": lambda pair: names[pair.a] == names[pair.b],
        "surname_first_initial": lambda _pair: True,  # every pair lies inside one block
    }
    report: dict[str, object] = {
        "papers": len(silver.papers),
        "blocks_linked": len(blocks),
        "mentions_linked": len(linked),
    }
    for split in splits:
        chosen = [pair for pair in silver.pairs if split == "all" or split_of(pair.block) == split]
        report[split] = {name: pair_scores(chosen, together) for name, together in methods.items()}
    return report
