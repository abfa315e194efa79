"""Pseudo-namesakes: real arXiv authors renamed to one common name, so the truth is known.

The gold sets carry names and affiliations only, and the arXiv silver pairs never hold two people
who print the same full name, so no evaluation could see what the linker does with "Wei Wang" when
"Wei Wang" is thirty people. Here real authors whose names are unambiguous are given a common name
(several of them per name), everything else on their papers is kept as published, and the linker
is asked to keep the people apart again. The true person of a renamed mention is the original
author, which holds as far as the original name is unambiguous:

- **rare author** (`rare_authors`): a full name (folded surname + folded forenames, with at least
  one given name that is not an initial) printed on at least `MIN_PAPERS` papers, at most once per
  paper, whose block (surname + first initial, the linker's blocking key) holds no other full name
  anywhere in the harvest: no "J. Smith", no "John A. Smith" beside "John Smith". A name that nobody
  else in 102,538 papers prints even in a compatible form is very unlikely to be two people; the
  residue (two people with one rare name) was not checked by hand.
- **target names** (`common_names`): the `TARGET_NAMES` full names on most papers of the 2025-2026
  daily announcements that have one short given name (at most `MAX_GIVEN_LETTERS` letters) and a
  common surname (printed there with at least `MIN_SURNAME_FORMS` given names): "Yang Liu",
  "Hao Chen", "Wei Wang", the names that many people share.
- **group sizes** (`draw_group_sizes`): people per target name drawn from a discrete power law
  P(k) ~ k^-1.5 on 2..50, seeded.
- **assignment** (`assign_groups`): rare authors shuffled with the seed and dealt to the names in
  turn. An author is skipped when one of their papers already carries a renamed author (every
  affected paper has exactly one renamed line, so every other author stays as published) or an
  author of the target name's block (who would share the renamed person's block by accident).
- **renaming** (`rename_paper`): the author line's surname and forenames become the target name
  (suffix dropped, it belongs to the old name); affiliations, position, coauthors, categories,
  dates and every other field of the paper are kept. Mentions are then made by the pipeline's own
  `stream_processors.enrich.author_mentions`.

Every mention of the target names' blocks on the affected papers is linked, in stream order
(submission date, arXiv id, position) with the linker as the worker runs it (link + merge step,
`evaluation.arxiv_silver.link_blocks`); those are exactly the renamed mentions. The other authors of
the same papers are context only (the coauthor evidence) and are neither linked nor scored.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from encoders.base import Encoder
from evaluation.arxiv_silver import SilverPaper, link_blocks, stream_order
from evaluation.cluster_metrics import b_cubed, pairwise
from evaluation.embedding_cache import cache_file_for, encode_cached
from evaluation.labelled_papers import DAILY_2025_2026, OAI_CS_2016
from evaluation.margins import margin_interval
from foundation.errors import InvalidRecord, ScholarStreamError
from foundation.settings import Settings
from producers.oai_records import page_files, papers_in_pages
from schemas.names import blocking_key
from schemas.papers import Author, RawPaper
from stream_processors.enrich import author_mentions, embedding_text, paper_embedding
from stream_processors.linking.linker import Mention, mention_key
from stream_processors.linking.merging import DEFAULT_POLICY
from stream_processors.linking.names import full_name_key, parse_name
from stream_processors.linking.popularity import NamePopularity
from stream_processors.linking.scorer import DEFAULT_THRESHOLD, DEFAULT_WEIGHTS, Weigher

SET_NAME = "arxiv-namesakes"
SEED = 20261201
MIN_PAPERS = 3
MIN_GROUP, MAX_GROUP = 2, 50
SIZE_EXPONENT = 1.5
TARGET_NAMES = 100
MAX_GIVEN_LETTERS = 4
MIN_SURNAME_FORMS = 100
SIZE_BUCKETS = ((2, 3), (4, 7), (8, 15), (16, 50))
SPLITS = ("dev", "held_out", "all")
METHODS = ("linker", "linker_without_merges", "exact_full_name", "surname_first_initial")
BASELINES = ("exact_full_name", "surname_first_initial")


@dataclass(frozen=True)
class TargetName:
    """A common name as arXiv prints it: surname and forenames."""

    keyname: str
    forenames: str

    @property
    def key(self) -> str:
        return full_name_key(self.keyname, self.forenames)

    @property
    def block(self) -> str:
        return blocking_key(self.keyname, self.forenames)


@dataclass(frozen=True)
class RareAuthor:
    """A full name that passes the rarity rule, with the papers that print it and where."""

    name: str  # full_name_key of the original name: the true person
    block: str
    lines: tuple[tuple[str, int], ...]  # (arXiv id, author position), in harvest order

    @property
    def papers(self) -> frozenset[str]:
        return frozenset(paper for paper, _ in self.lines)


@dataclass(frozen=True)
class Group:
    target: TargetName
    size: int  # people drawn for the name; `len(people)` is lower only if the pool ran dry
    people: tuple[RareAuthor, ...]


@dataclass(frozen=True)
class NamesakeSet:
    groups: tuple[Group, ...]
    papers: tuple[SilverPaper, ...]  # the affected papers, renamed, in stream order
    truth: dict[str, str]  # renamed mention key -> original full name (the person)
    group_of: dict[str, str]  # renamed mention key -> target name key

    @property
    def blocks(self) -> frozenset[str]:
        return frozenset(group.target.block for group in self.groups)


# --- the rarity rule and the target names -----------------------------------------------------


def _is_full(keyname: str, forenames: str) -> bool:
    name = parse_name(keyname, forenames)
    return bool(name.given) and not name.is_initialled


def rare_authors(papers: Iterable[RawPaper], min_papers: int = MIN_PAPERS) -> tuple[RareAuthor, ...]:
    """Full names on at least `min_papers` papers, once per paper, alone in their block (module docstring)."""
    lines: dict[str, list[tuple[str, int]]] = defaultdict(list)
    block_names: dict[str, set[str]] = defaultdict(set)
    twice: set[str] = set()
    for paper in papers:
        seen: set[str] = set()
        for mention in author_mentions(paper):
            name = full_name_key(mention.keyname, mention.forenames)
            block_names[mention.blocking_key].add(name)
            if name in seen:
                twice.add(name)
            seen.add(name)
            if not mention.is_collaboration:
                lines[name].append((paper.arxiv_id, mention.position))
    rare = []
    for name, where in lines.items():
        keyname, _, forenames = name.partition("|")
        block = blocking_key(keyname, forenames)
        if len({paper for paper, _ in where}) >= min_papers and name not in twice \
                and block_names[block] == {name} and _is_full(keyname, forenames):
            rare.append(RareAuthor(name, block, tuple(where)))
    return tuple(sorted(rare, key=lambda author: author.name))


def _split_plain_name(text: str) -> TargetName | None:
    """'Yang Liu' -> ('Liu', 'Yang'): the daily files print given names first, one string per author."""
    parts = text.split()
    if len(parts) != 2:
        return None
    return TargetName(parts[1], parts[0])


def common_names(
    author_lists: Iterable[Sequence[str]], count: int = TARGET_NAMES, max_given_letters: int = MAX_GIVEN_LETTERS,
    min_surname_forms: int = MIN_SURNAME_FORMS,
) -> tuple[TargetName, ...]:
    """The `count` names on most papers (ties by name; a paper counts a name once) that have one given
    name of at most `max_given_letters` letters and a common surname: one printed with at least
    `min_surname_forms` different given names. The surname rule keeps out frequent names of one
    prolific person ("Radu Timofte", "Marc Pollefeys")."""
    papers: Counter[str] = Counter()
    printed: dict[str, TargetName] = {}
    given_names: dict[str, set[str]] = defaultdict(set)
    for authors in author_lists:
        for text in set(authors):
            target = _split_plain_name(text)
            if target is None:
                continue
            given_names[target.keyname].add(target.forenames)
            if target.forenames.isalpha() and len(target.forenames) <= max_given_letters:
                printed.setdefault(target.key, target)
                papers[target.key] += 1
    common = [key for key in papers if len(given_names[printed[key].keyname]) >= min_surname_forms]
    ranked = sorted(common, key=lambda key: (-papers[key], key))[:count]
    return tuple(printed[key] for key in ranked)


def daily_author_lists(path: Path = DAILY_2025_2026) -> Iterable[list[str]]:
    months = sorted(path.glob("*.jsonl.gz"))
    if not months:
        raise ScholarStreamError(f"{path} holds no monthly files: the evaluation reads the shared data set beside the checkout")
    for month in months:
        with gzip.open(month, "rt", encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)["authors"]


# --- drawing and dealing the groups ------------------------------------------------------------


def draw_group_sizes(groups: int, seed: int = SEED, exponent: float = SIZE_EXPONENT,
                     low: int = MIN_GROUP, high: int = MAX_GROUP) -> list[int]:
    """People per name, heavy-tailed like real name frequencies: P(k) ~ k^-exponent on low..high."""
    sizes = range(low, high + 1)
    weights = [k ** -exponent for k in sizes]
    return random.Random(f"{seed}:sizes").choices(sizes, weights=weights, k=groups)


def assign_groups(
    authors: Sequence[RareAuthor],
    targets: Sequence[TargetName],
    sizes: Sequence[int],
    papers_in_block: dict[str, frozenset[str]],
    seed: int = SEED,
) -> tuple[Group, ...]:
    """Deal the shuffled rare authors to the names in turn (module docstring for who is skipped).

    `papers_in_block`: block -> ids of the papers that already print an author of that block.
    """
    pool = list(authors)
    random.Random(f"{seed}:authors").shuffle(pool)
    used_papers: set[str] = set()
    groups = []
    for target, size in zip(targets, sizes, strict=True):
        taken: list[RareAuthor] = []
        crowded = papers_in_block.get(target.block, frozenset())
        remaining = []
        for author in pool:
            if len(taken) < size and author.block != target.block and not author.papers & used_papers \
                    and not author.papers & crowded:
                taken.append(author)
                used_papers |= author.papers
            else:
                remaining.append(author)
        pool = remaining
        groups.append(Group(target, size, tuple(taken)))
    return tuple(groups)


def rename_paper(paper: RawPaper, position: int, target: TargetName) -> RawPaper:
    """The paper as published, but the author at `position` printed as `target`."""
    authors = list(paper.authors)
    authors[position] = Author(keyname=target.keyname, forenames=target.forenames, affiliations=authors[position].affiliations)
    return paper.model_copy(update={"authors": tuple(authors)})


def silver_paper(paper: RawPaper) -> SilverPaper:
    """The paper as the linker sees it, with the pipeline's own mentions."""
    if paper.submitted is None:  # every OAI record carries its first version's date
        raise InvalidRecord(f"{paper.arxiv_id}: no submission date", "submitted")
    mentions = tuple(
        Mention(m.position, m.keyname, m.forenames, m.affiliations, m.blocking_key) for m in author_mentions(paper)
    )
    return SilverPaper(paper.arxiv_id, paper.submitted.date().isoformat(), paper.year, paper.categories, mentions)


def build_namesakes(
    papers: Sequence[RawPaper], targets: Sequence[TargetName], seed: int = SEED, min_papers: int = MIN_PAPERS,
) -> NamesakeSet:
    """Rename the drawn groups in `papers` and keep the affected papers, with the truth."""
    in_block: dict[str, set[str]] = defaultdict(set)
    target_blocks = {target.block for target in targets}
    for paper in papers:
        for mention in author_mentions(paper):
            if mention.blocking_key in target_blocks:
                in_block[mention.blocking_key].add(paper.arxiv_id)
    groups = assign_groups(
        rare_authors(papers, min_papers), targets, draw_group_sizes(len(targets), seed),
        {block: frozenset(ids) for block, ids in in_block.items()}, seed,
    )
    renames: dict[str, tuple[int, TargetName, str]] = {}  # paper id -> (position, new name, person)
    for group in groups:
        for person in group.people:
            for paper_id, position in person.lines:
                renames[paper_id] = (position, group.target, person.name)
    affected: list[SilverPaper] = []
    truth: dict[str, str] = {}
    group_of: dict[str, str] = {}
    for paper in papers:
        if paper.arxiv_id in renames:
            position, target, original = renames[paper.arxiv_id]
            affected.append(silver_paper(rename_paper(paper, position, target)))
            truth[mention_key(paper.arxiv_id, position)] = original
            group_of[mention_key(paper.arxiv_id, position)] = target.key
    return NamesakeSet(groups, stream_order(affected), truth, group_of)


def the_set(papers: Sequence[RawPaper], seed: int = SEED) -> NamesakeSet:
    """The set as every evaluation of it builds it: the daily announcements' common names dealt to
    the rare authors of `papers` (the 2016 harvest)."""
    return build_namesakes(papers, common_names(daily_author_lists()), seed)


def with_embeddings(namesakes: NamesakeSet, papers: Sequence[RawPaper], settings: Settings, encoder: Encoder) -> NamesakeSet:
    """The set with each affected paper's vector, encoded as the worker encodes it (cached on disk)
    and rounded as the linking events carry it to the linker (`enrich.paper_embedding`)."""
    texts = {paper.arxiv_id: embedding_text(paper) for paper in papers}
    wanted = [texts[paper.paper_id] for paper in namesakes.papers]
    cache = cache_file_for(settings)
    vectors = encode_cached(encoder, wanted, cache, settings.encoder_max_seq_length, settings.encoder_batch_size)
    embedded = tuple(
        replace(paper, embedding=tuple(float(x) for x in paper_embedding(encoder.name, vector).vector()))
        for paper, vector in zip(namesakes.papers, vectors, strict=True)
    )
    return replace(namesakes, papers=embedded)


def read_oai_raw(path: Path = OAI_CS_2016) -> list[RawPaper]:
    pages = page_files(path)
    if not pages:
        raise ScholarStreamError(f"{path} holds no OAI pages: the evaluation reads the shared data set beside the checkout")
    return list(papers_in_pages(pages))


# --- linking and scoring ---------------------------------------------------------------------


def split_of_group(target_key: str) -> str:
    """'dev' or 'held_out', fixed by the target name: all people of one name fall on one side."""
    digest = hashlib.sha1(f"{SET_NAME}:{target_key}".encode()).hexdigest()
    return "dev" if int(digest, 16) % 2 == 0 else "held_out"


def size_bucket(size: int) -> str:
    for low, high in SIZE_BUCKETS:
        if low <= size <= high:
            return f"{low}-{high}"
    raise ValueError(f"group size {size} outside {SIZE_BUCKETS}")


def _scores(predicted: dict[str, str], truth: dict[str, str]) -> dict[str, dict[str, float]]:
    return {"b_cubed": b_cubed(predicted, truth).as_dict(), "pairwise": pairwise(predicted, truth).as_dict()}


def predictions(namesakes: NamesakeSet, weights: Weigher = DEFAULT_WEIGHTS,
                threshold: float = DEFAULT_THRESHOLD, popularity: NamePopularity | None = None) -> dict[str, dict[str, str]]:
    """Method -> (renamed mention key -> cluster): the linker with and without the merge step, and both baselines."""
    policy = replace(DEFAULT_POLICY, weights=weights, threshold=threshold, popularity=popularity)
    linked = link_blocks(namesakes.papers, namesakes.blocks, weights, threshold, policy=policy, popularity=popularity)
    unmerged = link_blocks(namesakes.papers, namesakes.blocks, weights, threshold, popularity=popularity)
    mentions = {mention_key(p.paper_id, m.position): m for p in namesakes.papers for m in p.mentions}
    scored = namesakes.truth
    return {
        "linker": {key: linked[key] for key in scored},
        "linker_without_merges": {key: unmerged[key] for key in scored},
        "exact_full_name": {key: full_name_key(mentions[key].keyname, mentions[key].forenames) for key in scored},
        "surname_first_initial": {key: mentions[key].blocking_key for key in scored},
    }


def score(namesakes: NamesakeSet, predicted: dict[str, dict[str, str]], splits: Iterable[str] = SPLITS,
          methods: Sequence[str] = METHODS) -> dict[str, Any]:
    """Per split: B-cubed and pairwise P/R/F1 of every method in `methods` (a reference beside ours,
    such as S2AND's clusters, is scored by naming it here), the linker's margins (blocks resampled),
    and the same per group-size bucket."""
    size_of = {group.target.key: len(group.people) for group in namesakes.groups}
    block_of = {group.target.key: group.target.block for group in namesakes.groups}
    report: dict[str, Any] = {}
    for split in splits:
        chosen = {key: person for key, person in namesakes.truth.items()
                  if split == "all" or split_of_group(namesakes.group_of[key]) == split}
        groups = {namesakes.group_of[key] for key in chosen}
        linker = {key: predicted["linker"][key] for key in chosen}
        units = {key: block_of[namesakes.group_of[key]] for key in chosen}
        row: dict[str, Any] = {
            "mentions": len(chosen),
            "groups": len(groups),
            "people": len(set(chosen.values())),
            **{method: _scores({key: predicted[method][key] for key in chosen}, chosen) for method in methods},
            "linker_margin_b_cubed_f1": {
                baseline: margin_interval(linker, {key: predicted[baseline][key] for key in chosen}, chosen, units)
                for baseline in BASELINES
            },
            "by_group_size": {},
        }
        for low, high in SIZE_BUCKETS:
            bucket = {key: person for key, person in chosen.items() if low <= size_of[namesakes.group_of[key]] <= high}
            row["by_group_size"][f"{low}-{high}"] = {
                "groups": len({namesakes.group_of[key] for key in bucket}),
                "people": len(set(bucket.values())),
                "mentions": len(bucket),
                **({method: _scores({key: predicted[method][key] for key in bucket}, bucket) for method in methods}
                   if bucket else {}),
            }
        report[split] = row
    return report


def evaluate_namesakes(
    weights: Weigher = DEFAULT_WEIGHTS, threshold: float = DEFAULT_THRESHOLD, seed: int = SEED,
    papers: Sequence[RawPaper] | None = None, splits: Iterable[str] = SPLITS, popularity: NamePopularity | None = None,
    vectors: Callable[[NamesakeSet, Sequence[RawPaper]], NamesakeSet] | None = None,
) -> dict[str, Any]:
    """Build the set from the 2016 harvest (or `papers`) and the daily names, give its papers their
    vectors (`vectors`, e.g. `with_embeddings` bound to an encoder), link it, score it."""
    raw = read_oai_raw() if papers is None else papers
    namesakes = the_set(raw, seed)
    if vectors is not None:
        namesakes = vectors(namesakes, raw)
    predicted = predictions(namesakes, weights, threshold, popularity)
    sizes = [len(group.people) for group in namesakes.groups if len(group.people) >= MIN_GROUP]
    return {
        "seed": seed,
        "scored": "renamed mentions only; the other authors of the affected papers are coauthor context",
        "papers": len(namesakes.papers),
        "mentions_scored": len(namesakes.truth),
        "people": len(set(namesakes.truth.values())),
        "groups": len(namesakes.groups),
        "blocks_linked": len(namesakes.blocks),
        "group_sizes": {bucket: sum(1 for size in sizes if size_bucket(size) == bucket) for bucket in
                        (f"{low}-{high}" for low, high in SIZE_BUCKETS)},
        "researchers_predicted": len(set(predicted["linker"].values())),
        "groups_short_of_draw": sum(1 for group in namesakes.groups if len(group.people) < group.size),
        "target_names": {group.target.key: {"people": len(group.people), "split": split_of_group(group.target.key)}
                         for group in namesakes.groups},
        **score(namesakes, predicted, splits),
    }
