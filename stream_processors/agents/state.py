"""What the linking and profile agents share: their tables, the decoded-value caches, the profile
lock, the collaborators' score lookup, and publishing a profile.

Tables and topics are anything with faust's shape (`get`/`[]=` and a `send(key=, value=)`
coroutine returning the delivery future), so unit tests hand in dicts and in-memory topics.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from clients.partitioning import compound_key
from schemas.profiles import MergeEvent, MergeMove, ProfileWork, ResearcherProfile, SplitEvent, TrustChange, Work
from stream_processors.agents.parked_signals import ParkedSignals
from stream_processors.agents.ports import Table, Topic
from stream_processors.agents.works_store import StoredWork, WorksStore, stored_work
from stream_processors.collaborator_trust import ScoreLookup, encode_redirect, encode_score, lookup_from
from stream_processors.profiles import WorkLookup

PROFILE_CACHE_BYTES = 96 * 2**20
PROFILE_DECODED_PER_BYTE = 5  # a decoded profile takes about 5x its JSON (31,948 bytes for 6,559, measured)
T = TypeVar("T")


def profile_cache(budget: int) -> Decoded[ResearcherProfile]:
    """Decoded profiles up to `budget` estimated resident bytes (`SCHOLARSTREAM_PROFILE_CACHE_MIB`);
    a profile's bytes are the whole of its write, so equal bytes are the same revision."""
    return Decoded(lambda _key, data: ResearcherProfile.model_validate_json(data), budget,
                   lambda _profile, data: PROFILE_DECODED_PER_BYTE * len(data), lambda _data: True)


def timestamp(event: Any) -> datetime:
    """The record's Kafka timestamp: when it was produced, which re-delivery does not change."""
    return datetime.fromtimestamp(event.message.timestamp, tz=UTC)


class Decoded(Generic[T]):
    """Decoded values next to a table's bytes, so a hot key is not parsed again for every event.
    An entry is used only while the table still holds the bytes it was decoded from: the very
    bytes object (after a recovery the table holds new objects, which are decoded afresh), or
    bytes equal to them when `unique(stored)` says equal bytes can only be the same write. The
    SQLite store returns a new object for every read, so without that no entry would ever be used
    again there; comparing a few KB costs far less than parsing them. A profile's bytes are the
    whole value (`unique` always true); a block's head names its write (`block_store.py`). Values
    must be immutable (block states and frozen pydantic profiles are). `decode(key, stored)` is
    given the key too, for values stored in parts beside it (`block_store.py`).

    Bounded by memory, not by count: `weigh(value, stored)` estimates an entry's resident bytes,
    and the least recently used entries go once the estimates pass `budget` (the newest entry
    always stays). A count bound let 20,000 decoded profiles of about 32 KB each take 640 MB of
    the worker's memory (docs/performance.md, 7g)."""

    def __init__(self, decode: Callable[[bytes, bytes], T], budget: int,
                 weigh: Callable[[T, bytes], int] = lambda _value, stored: len(stored),
                 unique: Callable[[bytes], bool] = lambda _stored: False) -> None:
        self._decode = decode
        self._weigh = weigh
        self._unique = unique
        self._entries: OrderedDict[bytes, tuple[bytes, T, int]] = OrderedDict()
        self._budget = budget
        self.weight = 0  # the estimates of the entries held

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: bytes, stored: bytes | None) -> T | None:
        if stored is None:
            return None
        entry = self._entries.get(key)
        if entry is not None and (entry[0] is stored or (entry[0] == stored and self._unique(stored))):
            self._entries.move_to_end(key)
            return entry[1]
        value = self._decode(key, stored)
        self.put(key, value, stored)
        return value

    def cached(self, key: bytes) -> T | None:
        """The entry for `key` whatever the table holds now, for a caller that knows it is current
        (a block store told of every other change by its table's feed)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def forget(self, key: bytes) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.weight -= old[2]

    def forget_all(self) -> None:
        self._entries.clear()
        self.weight = 0

    def put(self, key: bytes, value: T, stored: bytes) -> bytes:
        self.forget(key)
        weight = self._weigh(value, stored)
        self._entries[key] = (stored, value, weight)
        self.weight += weight
        while self.weight > self._budget and len(self._entries) > 1:
            _, (_, _, dropped) = self._entries.popitem(last=False)
            self.weight -= dropped
        return stored


@dataclass(frozen=True)
class Revision:
    """A profile and the `researcher.profile.works` records sent with it (by arXiv id), written to
    the tables together once Kafka acknowledged them; a step's staged state when works changed."""

    profile: ResearcherProfile
    works: Mapping[str, StoredWork]


def staged_revision(profile: ResearcherProfile, works: Mapping[str, StoredWork] | None = None,
                    previous: Any = None) -> ResearcherProfile | Revision:
    """The state a step leaves: the profile, with the works records it sent if any, after those
    an earlier step of the batch staged for the same researcher (`previous`): the batch writes
    only a key's last staged state, which must carry every record the topic got."""
    earlier = previous.works if isinstance(previous, Revision) else {}
    records = {**earlier, **(works or {})}
    return Revision(profile, records) if records else profile


def _staged_works(researcher_id: str, staged: Mapping[bytes, Any] | None) -> Mapping[str, StoredWork]:
    """The works records earlier steps of this batch sent for the researcher, by arXiv id."""
    pending = staged.get(researcher_id.encode()) if staged is not None else None
    return pending.works if isinstance(pending, Revision) else {}


@dataclass
class LinkingState:
    """The tables of the linking agents and the profile helpers four agents share.

    `blocks` holds every block's linking state in parts; only the link agent reads and writes it,
    through `block_store.BlockStore`.

    `profiles` is read and written by the works, signals, merges and merge-moves agents: each
    holds `profile_lock` over its read-modify-publish-write, so no two build on one revision.
    In the worker its changelog is the `researcher.profiles` topic the revisions are published on.
    `scores` (the `trust-scores` GlobalTable) holds every published profile's score or redirect.
    `profile_works` holds each researcher's works (`works_store.py`), written with its profile.
    `parked` holds the signals that reached the signals agent before their researcher's first
    revision; the profiles agent sends them back when it publishes that revision.
    """

    blocks: Table
    paper_authors: Table
    profiles: Table
    scores: Table
    profiles_topic: Topic
    trust_changes: Topic
    works: Topic
    merges: Topic
    moves: Topic
    profile_works: Table
    profile_works_topic: Topic
    parked: ParkedSignals  # signals that came before their profile (parked_signals.py)
    profile_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    profile_cache: Decoded[ResearcherProfile] = field(default_factory=lambda: profile_cache(PROFILE_CACHE_BYTES))

    score_of: ScoreLookup = field(init=False)  # collaborators' scores, as this worker's copy knows them now
    # A revision's JSON, made once for its send and reused when the table takes it.
    _encoded: dict[bytes, tuple[ResearcherProfile, bytes]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.score_of = lookup_from(self.scores.get)
        self.works_store = WorksStore(self.profile_works)

    def current(self, key: bytes, staged: Mapping[bytes, Any]) -> ResearcherProfile | None:
        """The profile as this batch left it so far, else as stored."""
        if key in staged:
            value = staged[key]
            return value.profile if isinstance(value, Revision) else value
        return self.stored_profile(key)

    def works_of(self, researcher_id: str, staged: Mapping[bytes, Any] | None = None) -> WorkLookup:
        """Look up the researcher's works as this batch left them so far, else as stored."""
        changes = _staged_works(researcher_id, staged)

        def lookup(arxiv_id: str) -> Work | None:
            if arxiv_id in changes:
                return changes[arxiv_id].work
            return self.works_store.get(researcher_id, arxiv_id)

        return lookup

    def all_works(self, researcher_id: str, staged: Mapping[bytes, Any] | None = None) -> list[Work]:
        """Every work the researcher holds as this batch left it so far, in arXiv id order: the
        store's, with what earlier steps of the batch sent for the researcher (added or removed)."""
        changes = _staged_works(researcher_id, staged)
        if not changes:
            return self.works_store.works(researcher_id)
        held = {work.arxiv_id: work for work in self.works_store.works(researcher_id)}
        for arxiv_id, record in changes.items():
            if record.work is None:
                held.pop(arxiv_id, None)
            else:
                held[arxiv_id] = record.work
        return [held[arxiv_id] for arxiv_id in sorted(held)]

    async def works_sends(self, researcher_id: str, revision: int, written: Iterable[Work] = (),
                          removed: Iterable[Work] = ()) -> tuple[list, dict[str, StoredWork]]:
        """Publish the works a revision stored, and those it took out (with `removed` set): the
        delivery futures, and the records sent by arXiv id, for the table once they are acknowledged."""
        records = [ProfileWork(researcher_id=researcher_id, work=w, revision=revision) for w in written]
        records += [ProfileWork(researcher_id=researcher_id, work=w, revision=revision, removed=True) for w in removed]
        sends, sent = [], {}
        for record in records:
            arxiv_id = record.work.arxiv_id
            sent[arxiv_id] = stored = stored_work(record)
            sends.append(await self.profile_works_topic.send(key=compound_key(researcher_id, arxiv_id), value=stored.data))
        return sends, sent

    def stored_profile(self, key: bytes) -> ResearcherProfile | None:
        return self.profile_cache.get(key, self.profiles.get(key))

    async def profile_sends(self, key: bytes, updated: ResearcherProfile, change: TrustChange | None) -> list:
        """Send a profile revision (and its audit event); the delivery futures."""
        data = updated.wire()
        self._encoded[key] = (updated, data)
        sends = [await self.profiles_topic.send(key=key, value=data)]
        if change is not None:
            sends.append(await self.trust_changes.send(key=key, value=change.wire()))
        return sends

    def remember_profile(self, key: bytes, state: ResearcherProfile | Revision) -> None:
        """After Kafka acknowledged the profile: its works, the table, and the score other profiles read.
        In the worker the table's changelog is the profiles topic, so the table takes the revision
        without writing it again (stream_processors/published_table.py)."""
        if isinstance(state, Revision):
            if state.works:
                self.works_store.write(key.decode(), state.works)
            updated = state.profile
        else:
            updated = state
        sent = self._encoded.pop(key, None)
        data = sent[1] if sent is not None and sent[0] is updated else updated.wire()
        self.profiles[key] = self.profile_cache.put(key, updated, data)
        if updated.merged_into:
            score = encode_redirect(updated.merged_into)
        elif updated.trust is not None:
            score = encode_score(updated.trust.score)
        else:
            return
        if self.scores.get(key) != score:
            self.scores[key] = score

    async def send_work(self, assignment: Any) -> Awaitable[Any]:
        return await self.works.send(key=assignment.researcher_id.encode(), value=assignment.wire())

    async def send_merge(self, event: MergeEvent) -> Awaitable[Any]:
        return await self.merges.send(key=event.retired_id.encode(), value=event.wire())

    async def send_split(self, event: SplitEvent) -> Awaitable[Any]:
        """A relink's split, beside the merges (researcher.merges), keyed by the researcher that loses works."""
        return await self.merges.send(key=event.researcher_id.encode(), value=event.wire())

    async def send_move(self, move: MergeMove) -> Awaitable[Any]:
        return await self.moves.send(key=move.target_id.encode(), value=move.wire())
