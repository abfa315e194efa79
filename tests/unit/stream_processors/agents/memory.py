"""In-memory stand-ins for faust's topics, events and tables, and the seven linking handlers wired
over them: the real handlers run, only Kafka is a list. Topics are queues that a test drains in an
order it chooses (`merges_first`), so it can show that an outcome does not depend on it."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, Protocol

from pydantic import BaseModel, SecretStr

from foundation.signal_keys import SignalKeys
from schemas.dead_letters import DeadLetter
from schemas.merge_reviews import MergeReview
from schemas.profiles import MergeEvent, ResearcherProfile, Work
from schemas.signal_auth import sign_signal
from schemas.signal_outcomes import SignalOutcomeEvent
from schemas.signal_voids import SignalVoid
from stream_processors.agents import (
    AssembleAgent,
    DeadLetters,
    LinkAgent,
    LinkingState,
    MergeMovesAgent,
    MergesAgent,
    ProfilesAgent,
    RouteAgent,
    SignalsAgent,
)
from stream_processors.agents.parked_signals import ParkedSignals
from stream_processors.agents.works_store import WorksStore
from stream_processors.linking.merging import DEFAULT_POLICY, MergePolicy
from stream_processors.signal_voids import RefreshingVoids, VoidList

NOW = datetime(2026, 2, 1, tzinfo=UTC)


@dataclass
class Event:
    key: bytes | None
    value: bytes
    message: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(timestamp=NOW.timestamp()))


class MemoryTopic:
    """`send(key=, value=)` like faust's: the record is queued and a delivery future returned.
    `refuse(key, value)` may return an error: the future fails with it (Kafka refused the record);
    `raise_on(key, value)` may return an error that `send` itself raises."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.log: list[Event] = []
        self.pending: deque[Event] = deque()
        self.refuse: Callable[[bytes | None, bytes], BaseException | None] = lambda _key, _value: None
        self.raise_on: Callable[[bytes | None, bytes], BaseException | None] = lambda _key, _value: None

    async def send(self, *, key: bytes | None, value: bytes) -> asyncio.Future:
        raised = self.raise_on(key, value)
        if raised is not None:
            raise raised
        future = asyncio.get_running_loop().create_future()
        refused = self.refuse(key, value)
        if refused is not None:
            future.set_exception(refused)
            return future
        event = Event(key, value)
        self.log.append(event)
        self.pending.append(event)
        future.set_result(None)
        return future

    def put(self, key: str | bytes | None, value: bytes | BaseModel) -> None:
        """A record produced from outside (a test's producer)."""
        data = value if isinstance(value, bytes) else value.model_dump_json().encode()
        event = Event(key.encode() if isinstance(key, str) else key, data)
        self.log.append(event)
        self.pending.append(event)

    def letters(self) -> list[DeadLetter]:
        return [DeadLetter.model_validate_json(e.value) for e in self.log]


ENRICHED, MENTIONS, AUTHORSHIPS, WORKS = "papers.enriched", "researcher.mentions", "researcher.authorships", "researcher.works"
PROFILES, TRUST, SIGNALS, MERGES, MOVES = (
    "researcher.profiles", "researcher.trust.changes", "researcher.signals", "researcher.merges", "researcher.merge.moves"
)
LINK_DLQ, SIGNALS_DLQ, MERGES_DLQ = "researcher.link.dlq", "researcher.signals.dlq", "researcher.merges.dlq"
PROFILE_WORKS = "researcher.profile.works"
REVIEWS = "researcher.merges.review"
OUTCOMES = "researcher.signals.outcomes"
KEYS = SignalKeys(account=SecretStr("account-key-of-the-tests"), operator=SecretStr("operator-key-of-the-tests"))


class Handler(Protocol):
    async def handle(self, events: Sequence[Any]) -> Any: ...


class Worker:
    """The seven linking handlers over in-memory topics and dict tables."""

    def __init__(self, merges_first: bool = True, policy: MergePolicy = DEFAULT_POLICY) -> None:
        self.merges_first = merges_first
        self.voids = VoidList()  # the operators' voids in force, read by the signals agent at each signal
        self.topics = {name: MemoryTopic(name) for name in (
            ENRICHED, MENTIONS, AUTHORSHIPS, WORKS, PROFILES, TRUST, SIGNALS, MERGES, MOVES, LINK_DLQ, SIGNALS_DLQ,
            MERGES_DLQ, PROFILE_WORKS, REVIEWS, OUTCOMES)}
        t = self.topics
        self.profile_table: dict[bytes, bytes] = {}  # the state's `profiles`, read back as a dict
        self.works_table: dict[bytes, bytes] = {}  # the state's `profile_works`
        self.parked_table: dict[bytes, bytes] = {}  # the state's `parked` signals
        self.state = LinkingState(blocks={}, paper_authors={}, profiles=self.profile_table, scores={},
                                  profiles_topic=t[PROFILES], trust_changes=t[TRUST], works=t[WORKS], merges=t[MERGES],
                                  moves=t[MOVES], profile_works=self.works_table, profile_works_topic=t[PROFILE_WORKS],
                                  parked=ParkedSignals(self.parked_table, t[SIGNALS]))
        self.handlers: dict[str, Handler] = {
            ENRICHED: RouteAgent(t[MENTIONS], DeadLetters(t[LINK_DLQ], "link", ENRICHED)),
            MENTIONS: LinkAgent(self.state, t[AUTHORSHIPS], DeadLetters(t[LINK_DLQ], "link", MENTIONS), policy),
            AUTHORSHIPS: AssembleAgent(self.state, DeadLetters(t[LINK_DLQ], "link", AUTHORSHIPS)),
            WORKS: ProfilesAgent(self.state, DeadLetters(t[LINK_DLQ], "profile", WORKS)),
            SIGNALS: SignalsAgent(self.state, t[SIGNALS], DeadLetters(t[SIGNALS_DLQ], "profile", SIGNALS), KEYS,
                                  RefreshingVoids(lambda: self.voids, every=0), t[OUTCOMES]),
            MERGES: MergesAgent(self.state, DeadLetters(t[MERGES_DLQ], "profile", MERGES), t[REVIEWS]),
            MOVES: MergeMovesAgent(self.state, DeadLetters(t[MERGES_DLQ], "profile", MOVES), t[REVIEWS]),
        }

    def run(self, order: tuple[str, ...]) -> Worker:
        """Hand the first non-empty topic of `order` its next record, until all are empty."""
        queues = [self.topics[name].pending for name in order]
        while any(queues):
            name = next(n for n, q in zip(order, queues, strict=True) if q)
            asyncio.run(self.handlers[name].handle([self.topics[name].pending.popleft()]))
        return self

    def ingest(self, papers) -> Worker:
        """Route, link and assemble each paper before the next, as the old model did."""
        for item in papers:
            self.topics[ENRICHED].put(item.arxiv_id, item)
            self.run((AUTHORSHIPS, MENTIONS, ENRICHED))
        return self

    def drain(self) -> Worker:
        order = (MERGES, MOVES, SIGNALS, WORKS) if self.merges_first else (WORKS, SIGNALS, MOVES, MERGES)
        return self.run(order)

    def signal(self, *signals) -> Worker:
        """Each signal as the write path (or, for an operator's, the CLI) would send it: signed."""
        for signal in signals:
            self.topics[SIGNALS].put(signal.researcher_id, sign_signal(signal, KEYS))
        return self.drain()

    def void(self, *voids: SignalVoid) -> Worker:
        """Operators' voids, in force for every signal handled from now on."""
        self.voids = VoidList(self.voids.voids + voids)
        return self

    # --- reading ---------------------------------------------------------------------------

    @property
    def profiles(self) -> dict[str, ResearcherProfile]:
        return {k.decode(): ResearcherProfile.model_validate_json(v) for k, v in self.profile_table.items()}

    @property
    def published(self) -> list[ResearcherProfile]:
        return [ResearcherProfile.model_validate_json(e.value) for e in self.topics[PROFILES].log]

    @property
    def merge_log(self) -> list[MergeEvent]:
        """The merges linking found (not the claimants' requests, nor re-addressed ones)."""
        found = [MergeEvent.model_validate_json(e.value) for e in self.topics[MERGES].log]
        return [m for m in found if m.reason == "linking"]

    @property
    def refused(self) -> list[str]:
        return [letter.reason for name in (SIGNALS_DLQ, MERGES_DLQ) for letter in self.topics[name].letters()]

    @property
    def outcomes(self) -> dict[str, SignalOutcomeEvent]:
        """Each signal's last outcome, as a compacted topic keeps it."""
        return {e.key.decode(): SignalOutcomeEvent.model_validate_json(e.value) for e in self.topics[OUTCOMES].log if e.key}

    @property
    def reviews(self) -> list[MergeReview]:
        """The operators' review queue, as the worker wrote it."""
        return [MergeReview.model_validate_json(e.value) for e in self.topics[REVIEWS].log]

    def live(self) -> dict[str, ResearcherProfile]:
        return {rid: p for rid, p in self.profiles.items() if p.merged_into is None}

    def by_name(self, text: str) -> ResearcherProfile:
        (found,) = [p for p in self.live().values() if any(text in v.name for v in p.name_variants)]
        return found

    def works_of(self, researcher_id: str) -> list[Work]:
        """The researcher's works as its store holds them, sorted by arXiv id."""
        return sorted(WorksStore(self.works_table).works(researcher_id), key=lambda w: w.arxiv_id)

    def placed(self) -> list[tuple[str, str]]:
        """(arXiv id, researcher id) for every work of every live profile, sorted."""
        return sorted((w.arxiv_id, rid) for rid in self.live() for w in self.works_of(rid))


def paper(arxiv_id, authors, vector=(1.0, 0.0, 0.0, 0.0), categories=("math.CO",), year=2015):
    """An enriched paper; `authors` as (keyname, forenames, affiliations)."""
    import numpy as np

    from schemas.papers import Author, RawPaper
    from tests.factories import enriched_paper

    return enriched_paper(
        RawPaper(arxiv_id=arxiv_id, version=1, title=f"Paper {arxiv_id}", abstract="", categories=categories,
                 source="snapshot", submitted=datetime(year, 1, 1, tzinfo=UTC),
                 authors=tuple(Author(keyname=k, forenames=f, affiliations=tuple(a)) for k, f, a in authors)),
        np.asarray(vector, dtype=np.float32),
    )


POISON = Event(b"poison", b'{"not": "a record"')


def handle(worker: Worker, topic: str, events: list[Event]):
    return asyncio.run(worker.handlers[topic].handle(events))


def pending(worker: Worker, topic: str) -> list[Event]:
    """Take the records queued on `topic` (the next agent's input)."""
    events = list(worker.topics[topic].pending)
    worker.topics[topic].pending.clear()
    return events
