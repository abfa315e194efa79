"""`scholarstream relink`: look again at the researchers of some blocks, or of some names, and split
those whose mentions are more than one person (issue 15, item 4; `linking/resplit.py`).

1. The blocks' current researchers are read from the worker's `block-state` changelog: only the
   partitions the blocks live on (`clients.partitioning`), only their keys.
2. Their mentions are rebuilt from `papers.enriched` (compacted: every paper's latest enrichment)
   with the route step the worker uses, so they are the events the link agent linked.
3. Each researcher of two or more works is re-clustered here with the worker's policy, to show what
   would change (`--dry-run` stops here).
4. For each that would split, a RelinkRequest carrying its mentions goes to `researcher.mentions`
   under the block's key. The link agent applies it in order with the block's mentions, decides
   again with the same function, and refuses it if the researcher took other mentions meanwhile;
   its splits and merges then travel as the pipeline's own events, so a replay of the mentions
   topic makes the same split.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from clients import kafka_io
from clients.partitioning import SEPARATOR, partition_for
from foundation.errors import ScholarStreamError
from foundation.settings import Settings
from schemas.linking_events import MentionEvent, RelinkRequest
from schemas.names import blocking_key
from schemas.papers import MAX_RECORD_BYTES, EnrichedPaper
from schemas.topics import PAPERS_ENRICHED, RESEARCHER_MENTIONS
from stream_processors.agents.block_store import BlockStore
from stream_processors.app import BLOCK_STATE_TABLE, WORKER_GROUP
from stream_processors.linking.linker import BlockState, ResearcherSummary, mention_key
from stream_processors.linking.merging import MergePolicy, display_name
from stream_processors.linking.names import INCOMPATIBLE, compare_names, parse_name
from stream_processors.linking.policy import policy_named
from stream_processors.linking.resplit import MAX_LINES, Line, resplit
from stream_processors.linking_stage import line_of, route

Advance = Callable[[int], None]


@dataclass(frozen=True)
class Planned:
    """One researcher looked at: its parts (paper ids; the first keeps the id), or why it was not."""

    researcher_id: str
    name: str
    works: int
    parts: tuple[tuple[str, ...], ...] = ()
    mean_between: float | None = None
    skipped: str | None = None

    @property
    def splits(self) -> bool:
        return len(self.parts) > 1

    def as_dict(self) -> dict[str, Any]:
        return {"researcher_id": self.researcher_id, "name": self.name, "works": self.works,
                "parts": [list(part) for part in self.parts], "mean_between": self.mean_between, "skipped": self.skipped}


@dataclass(frozen=True)
class BlockReport:
    """One block looked at: for a name, only the researchers the name may be."""

    block: str
    name: str | None
    researchers: int  # in the block
    looked_at: list[Planned] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"block": self.block, "name": self.name, "researchers_in_block": self.researchers,
                "looked_at": len(self.looked_at), "would_split": sum(p.splits for p in self.looked_at),
                "researchers": [p.as_dict() for p in self.looked_at]}


@dataclass(frozen=True)
class RelinkReport:
    blocks: list[BlockReport]
    sent: list[str] = field(default_factory=list)  # relink ids of the requests sent
    dry_run: bool = False
    papers_read: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        looked = [p for b in self.blocks for p in b.looked_at]
        return {"looked_at": len(looked), "would_split": sum(p.splits for p in looked),
                "skipped": sum(p.skipped is not None for p in looked), "dry_run": self.dry_run,
                "requests_sent": self.sent, "papers_read": self.papers_read, "seconds": self.seconds,
                "blocks": [b.as_dict() for b in self.blocks]}


def name_parts(name: str) -> tuple[str, str]:
    """(surname, forenames) of a printed name: "Wei Wang" -> ("Wang", "Wei"), the last word the surname."""
    words = name.split()
    if not words:
        raise ScholarStreamError("--name needs a name, such as 'Wei Wang'")
    return words[-1], " ".join(words[:-1])


def block_of(name: str) -> str:
    """The blocking key of a printed name, "Wei Wang" -> "wang_w"."""
    return blocking_key(*name_parts(name))


def changelog_of_blocks(settings: Settings) -> str:
    return f"{settings.group(WORKER_GROUP)}-{BLOCK_STATE_TABLE}-changelog"


def read_blocks(settings: Settings, keys: list[str]) -> dict[str, BlockState | None]:
    """The blocks as the worker's changelog holds them now (None: no such block), each partition
    read once for all the blocks it holds."""
    topic = changelog_of_blocks(settings)
    reader = kafka_io.consumer(settings)
    try:
        partitions = reader.partitions_for_topic(topic)
    finally:
        reader.close()
    if not partitions:
        raise ScholarStreamError(f"no topic {topic}: has a worker linked anything in this generation?")
    heads = {key.encode() for key in keys}
    by_partition: dict[int, set[bytes]] = {}
    for head in heads:
        by_partition.setdefault(partition_for(head, len(partitions)), set()).add(head)
    table: dict[bytes, bytes] = {}
    for partition, wanted in sorted(by_partition.items()):
        for record in kafka_io.read_to_end(settings, topic, partitions=[partition]):
            if record.key is not None and record.key.split(SEPARATOR, 1)[0] in wanted:
                if record.value is None:
                    table.pop(record.key, None)
                else:
                    table[record.key] = record.value
    return {key: block_from(table, key.encode()) for key in keys}


def block_from(table: Mapping[bytes, bytes], head: bytes) -> BlockState | None:
    """A block decoded from its table entries, as the link agent decodes it."""
    if head not in table:
        return None
    staged = BlockStore(dict(table)).begin(head)  # a dict serves as the table
    return staged.block


def mentions_of(settings: Settings, wanted: set[str], advance: Advance = lambda _: None,
                total: Advance = lambda _: None) -> dict[str, MentionEvent]:
    """The mention events of the mention keys `wanted`, from each paper's latest enrichment
    (`advance(1)` per record read; `total(n)` once, with the topic's end offsets summed)."""
    papers = {key.split("#", 1)[0] for key in wanted}
    latest: dict[str, EnrichedPaper] = {}
    topic = settings.topic(PAPERS_ENRICHED.name)
    total(sum(kafka_io.end_offsets(settings, topic).values()))
    for record in kafka_io.read_to_end(settings, topic):
        advance(1)
        if record.key is None or record.value is None or record.key.decode() not in papers:
            continue
        item = EnrichedPaper.model_validate_json(record.value)
        known = latest.get(item.paper.arxiv_id)
        if known is None or item.paper.version >= known.paper.version:
            latest[item.paper.arxiv_id] = item
    return events_of(latest.values(), wanted)


def events_of(papers: Iterable[EnrichedPaper], wanted: set[str]) -> dict[str, MentionEvent]:
    found = {}
    for item in papers:
        for event in route(item):
            key = mention_key(event.arxiv_id, event.mention.position)
            if key in wanted:
                found[key] = event
    return found


def named(researcher: ResearcherSummary, name: str | None) -> bool:
    """Whether the researcher may be the person `name` prints (every one of its name forms fits)."""
    if name is None:
        return True
    wanted = parse_name(*name_parts(name))
    return all(compare_names(wanted, form).label != INCOMPATIBLE for form in researcher.name_forms)


def chosen(block: BlockState, name: str | None) -> list[ResearcherSummary]:
    """The researchers a relink looks at: those of two or more mentions that `name` fits."""
    return [r for r in block.researchers.values() if len(r.mention_keys) > 1 and named(r, name)]


def looked_at(blocks: Mapping[str, BlockState], targets: list[tuple[str, str | None]]
              ) -> list[tuple[str, str | None, list[ResearcherSummary]]]:
    """For each (block key, name or None) the researchers to look at, each researcher once: one that
    two names may be ("Y. Zhang" for "Yu Zhang" and "Yi Zhang") goes with the first."""
    seen: set[str] = set()
    looked = []
    for key, name in targets:
        researchers = [r for r in chosen(blocks[key], name) if r.researcher_id not in seen]
        seen.update(r.researcher_id for r in researchers)
        looked.append((key, name, researchers))
    return looked


def plan(researchers: list[ResearcherSummary], mentions: Mapping[str, MentionEvent], policy: MergePolicy) -> list[Planned]:
    """What a relink would do to each researcher (pure: the link agent decides the same)."""
    planned = []
    for researcher in researchers:
        rid, name, works = researcher.researcher_id, display_name(researcher), researcher.works
        missing = sorted(k for k in researcher.mention_keys if k not in mentions)
        if missing:
            why = f"{len(missing)} of its mentions are not in papers.enriched (e.g. {missing[0]}: a later version changed the authors?)"
            planned.append(Planned(rid, name, works, skipped=why))
        elif len(researcher.mention_keys) > MAX_LINES:
            why = f"{len(researcher.mention_keys):,} mentions, over the {MAX_LINES:,} a relink re-clusters"
            planned.append(Planned(rid, name, works, skipped=why))
        else:
            outcome = resplit(researcher, [Line(*line_of(mentions[k])) for k in sorted(researcher.mention_keys)], policy)
            planned.append(Planned(rid, name, works, tuple(part.paper_ids for part in outcome.parts), outcome.mean_between))
    return planned


def requests(block: BlockState, planned: list[Planned], mentions: Mapping[str, MentionEvent], by: str,
             now: datetime) -> tuple[list[RelinkRequest], list[Planned]]:
    """One request per researcher that would split, and the plans of those too large to send."""
    made, too_large = [], []
    for item in planned:
        if not item.splits:
            continue
        researcher = block.researchers[item.researcher_id]
        request = RelinkRequest(
            relink_id=f"relink-{uuid.uuid4().hex[:16]}", blocking_key=block.key, researcher_id=item.researcher_id,
            requested_by=by, mentions=tuple(mentions[k] for k in sorted(researcher.mention_keys)), at=now,
        )
        if len(request.model_dump_json()) > MAX_RECORD_BYTES:
            too_large.append(item)
        else:
            made.append(request)
    return made, too_large


def relink(settings: Settings, *, names: list[str], blocks: list[str], by: str, now: datetime, dry_run: bool,
           advance: Advance = lambda _: None, total: Advance = lambda _: None) -> RelinkReport:
    """Look at each block of `blocks` whole and at the block of each of `names` (only the
    researchers the name may be), reading `papers.enriched` once for all of them, and send a relink
    request for every researcher that would split (none with `dry_run`)."""
    began = time.monotonic()
    targets: list[tuple[str, str | None]] = [(key, None) for key in blocks]
    targets += [(block_of(name), name) for name in names]
    found = read_blocks(settings, sorted({key for key, _ in targets}))
    present = {key: block for key, block in found.items() if block is not None}
    missing = sorted(set(found) - set(present))
    if missing:
        raise ScholarStreamError(f"no block {', '.join(map(repr, missing))} in {changelog_of_blocks(settings)}")
    looked = looked_at(present, targets)
    wanted = {k for _, _, researchers in looked for r in researchers for k in r.mention_keys}
    read = [0]

    def counted(n: int) -> None:
        read[0] += n
        advance(n)

    mentions = mentions_of(settings, wanted, counted, total) if wanted else {}
    policy = policy_named(settings.linker, settings.encoder_model)
    reports = [BlockReport(key, name, len(present[key].researchers), plan(researchers, mentions, policy))
               for key, name, researchers in looked]
    sent: list[str] = []
    if not dry_run:
        for report in reports:
            sent += _send(settings, present[report.block], report, mentions, by, now)
    return RelinkReport(reports, sent, dry_run, read[0], round(time.monotonic() - began, 1))


def _send(settings: Settings, block: BlockState, report: BlockReport, mentions: Mapping[str, MentionEvent], by: str,
          now: datetime) -> list[str]:
    made, too_large = requests(block, report.looked_at, mentions, by, now)
    for item in too_large:
        report.looked_at[report.looked_at.index(item)] = replace(
            item, skipped=f"its relink request is over Kafka's {MAX_RECORD_BYTES:,}-byte message limit")
    if not made:
        return []
    kafka_io.ensure_topics(settings, [RESEARCHER_MENTIONS])
    topic = settings.topic(RESEARCHER_MENTIONS.name)
    for request in made:
        kafka_io.send_one(settings, topic, block.key.encode(), request.model_dump_json().encode())
    return [request.relink_id for request in made]
