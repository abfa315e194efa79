"""`scholarstream relink`: look again at the researchers of one block, or of one name, and split
those whose mentions are more than one person (issue 15, item 4; `linking/resplit.py`).

1. The block's current researchers are read from the worker's `block-state` changelog: only the
   one partition the block lives on (`clients.partitioning`), only its keys.
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
class RelinkReport:
    block: str
    name: str | None
    researchers: int  # in the block
    looked_at: list[Planned] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)  # relink ids of the requests sent
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"block": self.block, "name": self.name, "researchers_in_block": self.researchers,
                "looked_at": len(self.looked_at), "would_split": sum(p.splits for p in self.looked_at),
                "skipped": sum(p.skipped is not None for p in self.looked_at), "dry_run": self.dry_run,
                "requests_sent": self.sent, "researchers": [p.as_dict() for p in self.looked_at]}


def block_of(name: str) -> str:
    """The blocking key of a printed name, "Wei Wang" -> "wang_w" (the last word is the surname)."""
    words = name.split()
    if not words:
        raise ScholarStreamError("--name needs a name, such as 'Wei Wang'")
    return blocking_key(words[-1], " ".join(words[:-1]))


def changelog_of_blocks(settings: Settings) -> str:
    return f"{settings.group(WORKER_GROUP)}-{BLOCK_STATE_TABLE}-changelog"


def read_block(settings: Settings, key: str) -> BlockState | None:
    """The block as the worker's changelog holds it now (None: no such block)."""
    topic, head = changelog_of_blocks(settings), key.encode()
    reader = kafka_io.consumer(settings)
    try:
        partitions = reader.partitions_for_topic(topic)
    finally:
        reader.close()
    if not partitions:
        raise ScholarStreamError(f"no topic {topic}: has a worker linked anything in this generation?")
    table: dict[bytes, bytes] = {}
    for record in kafka_io.read_to_end(settings, topic, partitions=[partition_for(head, len(partitions))]):
        if record.key == head or (record.key or b"").startswith(head + SEPARATOR):
            if record.value is None:
                table.pop(record.key, None)
            else:
                table[record.key] = record.value
    return block_from(table, head)


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
    words = name.split()
    wanted = parse_name(words[-1], " ".join(words[:-1]))
    return all(compare_names(wanted, form).label != INCOMPATIBLE for form in researcher.name_forms)


def chosen(block: BlockState, name: str | None) -> list[ResearcherSummary]:
    """The researchers a relink looks at: those of two or more mentions that `name` fits."""
    return [r for r in block.researchers.values() if len(r.mention_keys) > 1 and named(r, name)]


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


def relink(settings: Settings, *, name: str | None, block_key: str | None, by: str, now: datetime, dry_run: bool,
           advance: Advance = lambda _: None, total: Advance = lambda _: None) -> RelinkReport:
    """Look at the block of `block_key` (or of `name`, only the researchers the name fits) and
    send a relink request for every researcher that would split (none with `dry_run`)."""
    key = block_key or block_of(name or "")
    block = read_block(settings, key)
    if block is None:
        raise ScholarStreamError(f"no block {key!r} in {changelog_of_blocks(settings)}")
    looked = chosen(block, name)
    mentions = mentions_of(settings, {k for r in looked for k in r.mention_keys}, advance, total) if looked else {}
    planned = plan(looked, mentions, policy_named(settings.linker, settings.encoder_model))
    report = RelinkReport(block=key, name=name, researchers=len(block.researchers), looked_at=planned, dry_run=dry_run)
    if dry_run:
        return report
    made, too_large = requests(block, planned, mentions, by, now)
    for item in too_large:
        report.looked_at[report.looked_at.index(item)] = replace(
            item, skipped=f"its relink request is over Kafka's {MAX_RECORD_BYTES:,}-byte message limit")
    if made:
        kafka_io.ensure_topics(settings, [RESEARCHER_MENTIONS])
        topic = settings.topic(RESEARCHER_MENTIONS.name)
        for request in made:
            kafka_io.send_one(settings, topic, key.encode(), request.model_dump_json().encode())
            report.sent.append(request.relink_id)
    return report
