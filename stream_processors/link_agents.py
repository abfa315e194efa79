"""The faust agents of linking and profiles: route, link, assemble, profile, signals, merges.

Each agent reads one topic, keeps its state in a changelog-backed table keyed like its input
(so the state of a key lives on the key's partition and is recovered after a restart), calls
the pure step in `linking_stage.py` / `merge_stage.py`, waits for Kafka to acknowledge what it
sent, and only then updates its table. A re-delivered event therefore finds either the old state
(and redoes the same step) or the new one (and the step is a no-op): at-least-once, with no
duplicates in effect.

Four agents (works, signals, merges, merge moves) read and write the `profiles` table; one lock
makes each read-modify-publish-write atomic, so two of them never build on the same revision.
Every published profile's score goes into the `trust-scores` GlobalTable, which every worker
holds whole: that is how a profile sees its collaborators' scores (docs/trust.md).
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Generic, TypeVar

import faust

from foundation.errors import InvalidRecord
from foundation.settings import Settings
from schemas.dead_letters import DeadLetter, cap_dead_letter
from schemas.linking_events import Authorship, MentionEvent, WorkAssignment
from schemas.papers import parse_enriched_paper
from schemas.profiles import MergeEvent, MergeMove, ResearcherProfile, TrustChange, parse_signal
from schemas.topics import (
    MERGES_DLQ,
    PAPERS_ENRICHED,
    RESEARCHER_AUTHORSHIPS,
    RESEARCHER_MENTIONS,
    RESEARCHER_MERGE_MOVES,
    RESEARCHER_MERGES,
    RESEARCHER_PROFILES,
    RESEARCHER_SIGNALS,
    RESEARCHER_WORKS,
    SIGNALS_DLQ,
    TRUST_CHANGES,
)
from stream_processors.collaborator_trust import encode_redirect, encode_score, lookup_from
from stream_processors.linking.linker import BlockState
from stream_processors.linking.state_codec import dumps_block, loads_block
from stream_processors.linking_stage import apply_product_signal, assemble, link_and_merge, profile, redirected, route
from stream_processors.merge_stage import on_merge, on_move
from stream_processors.profiles import ProfileUpdateRejected

TRUST_SCORES_TABLE = "trust-scores"
# The hot agents (route, link, assemble, profiles) take events in batches and wait for Kafka's
# acknowledgements once per batch, not once per event: a round trip per record was the bound.
BATCH = 200
BATCH_WITHIN_SECONDS = 0.1
BLOCK_CACHE_SIZE = 20_000
PROFILE_CACHE_SIZE = 20_000
T = TypeVar("T")


class _Decoded(Generic[T]):
    """Decoded values next to a table's bytes, so a hot key is not parsed again for every event.
    An entry is used only while the table still holds the very bytes object it was decoded from
    (after a recovery the table holds new objects, which are decoded afresh). Values must be
    immutable (block states and frozen pydantic profiles are)."""

    def __init__(self, decode: Callable[[bytes], T], size: int) -> None:
        self._decode = decode
        self._entries: OrderedDict[bytes, tuple[bytes, T]] = OrderedDict()
        self._size = size

    def get(self, key: bytes, stored: bytes | None) -> T | None:
        if stored is None:
            return None
        entry = self._entries.get(key)
        if entry is not None and entry[0] is stored:
            self._entries.move_to_end(key)
            return entry[1]
        value = self._decode(stored)
        self.put(key, value, stored)
        return value

    def put(self, key: bytes, value: T, stored: bytes) -> bytes:
        self._entries[key] = (stored, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return stored


def _table(app: faust.App, name: str, settings: Settings) -> faust.Table:
    return app.Table(name, default=None, partitions=settings.topic_partitions, key_type=bytes, value_type=bytes,
                     use_partitioner=True)


def _scores_table(app: faust.App, settings: Settings) -> faust.GlobalTable:
    """researcher id -> current score (or a redirect), whole on every worker.

    Partitioned like the profile topics and written through the producer's partitioner, so a
    researcher id's entry lands on the partition its profile events use (the batched profile
    agent writes after a batch is acknowledged, when there is no current event to take it from). A
    recovery buffer of one makes faust keep reading every changelog partition after recovery, so
    each worker applies the others' writes as they come. (With one partition written through the
    partitioner, a restarted worker stopped consuming its input topics once the changelog held
    about 160 records: see docs/architecture.md.)
    """
    return app.GlobalTable(TRUST_SCORES_TABLE, default=None, partitions=settings.topic_partitions,
                           key_type=bytes, value_type=bytes, recovery_buffer_size=1, use_partitioner=True)


def _timestamp(event: faust.EventT) -> datetime:
    return datetime.fromtimestamp(event.message.timestamp, tz=UTC)


async def _delivered(*sends) -> None:
    await asyncio.gather(*sends)


def register_linking(app: faust.App, settings: Settings, raw_topic: Callable[[str], faust.TopicT]) -> None:
    enriched = raw_topic(PAPERS_ENRICHED.name)
    mentions = raw_topic(RESEARCHER_MENTIONS.name)
    authorships = raw_topic(RESEARCHER_AUTHORSHIPS.name)
    works = raw_topic(RESEARCHER_WORKS.name)
    profiles_topic = raw_topic(RESEARCHER_PROFILES.name)
    trust_changes = raw_topic(TRUST_CHANGES.name)
    merges = raw_topic(RESEARCHER_MERGES.name)
    moves = raw_topic(RESEARCHER_MERGE_MOVES.name)
    merges_dlq = raw_topic(MERGES_DLQ.name)
    blocks = _table(app, "blocks", settings)
    paper_authors = _table(app, "paper-authors", settings)
    profiles = _table(app, "profiles", settings)
    scores = _scores_table(app, settings)
    score_of = lookup_from(scores.get)
    signals = raw_topic(RESEARCHER_SIGNALS.name)
    signals_dlq = raw_topic(SIGNALS_DLQ.name)
    profile_lock = asyncio.Lock()
    block_cache: _Decoded[BlockState] = _Decoded(loads_block, BLOCK_CACHE_SIZE)
    profile_cache: _Decoded[ResearcherProfile] = _Decoded(ResearcherProfile.model_validate_json, PROFILE_CACHE_SIZE)

    def stored_profile(key: bytes) -> ResearcherProfile | None:
        return profile_cache.get(key, profiles.get(key))

    async def send_merge(event: MergeEvent):
        return await merges.send(key=event.retired_id.encode(), value=event.model_dump_json().encode())

    async def send_move(move: MergeMove):
        return await moves.send(key=move.target_id.encode(), value=move.model_dump_json().encode())

    @app.agent(enriched, name="route-mentions")
    async def route_mentions(stream: faust.StreamT) -> None:
        async for events in stream.take_events(BATCH, within=BATCH_WITHIN_SECONDS):
            sends = []
            for event in events:
                for mention in route(parse_enriched_paper(event.value)):
                    sends.append(await mentions.send(
                        key=mention.mention.blocking_key.encode(), value=mention.model_dump_json().encode()
                    ))
            await _delivered(*sends)

    @app.agent(mentions, name="link")
    async def link_mentions(stream: faust.StreamT) -> None:
        async for events in stream.take_events(BATCH, within=BATCH_WITHIN_SECONDS):
            sends, touched = [], {}
            for event in events:
                mention = MentionEvent.model_validate_json(event.value)
                key = mention.mention.blocking_key.encode()
                state = touched[key] if key in touched else block_cache.get(key, blocks.get(key))
                state, authorship, found = link_and_merge(state, mention, _timestamp(event))
                touched[key] = state
                sends.append(await authorships.send(key=authorship.arxiv_id.encode(), value=authorship.model_dump_json().encode()))
                sends += [await send_merge(merge) for merge in found]
            await _delivered(*sends)
            for key, state in touched.items():
                blocks[key] = block_cache.put(key, state, dumps_block(state))

    @app.agent(authorships, name="assemble-works")
    async def assemble_works(stream: faust.StreamT) -> None:
        async for events in stream.take_events(BATCH, within=BATCH_WITHIN_SECONDS):
            sends, touched = [], {}
            for event in events:
                authorship = Authorship.model_validate_json(event.value)
                key = authorship.arxiv_id.encode()
                if key in touched:
                    known = touched[key]
                else:
                    stored = paper_authors.get(key)
                    known = {int(p): Authorship.model_validate(a) for p, a in json.loads(stored).items()} if stored else {}
                known, assignments = assemble(known, authorship)
                touched[key] = known
                sends += [await works.send(key=a.researcher_id.encode(), value=a.model_dump_json().encode()) for a in assignments]
            await _delivered(*sends)
            for key, known in touched.items():
                paper_authors[key] = json.dumps({str(p): a.model_dump(mode="json") for p, a in known.items()}).encode()

    @app.agent(works, name="profiles")
    async def build_profiles(stream: faust.StreamT) -> None:
        async for events in stream.take_events(BATCH, within=BATCH_WITHIN_SECONDS):
            async with profile_lock:
                sends, touched = [], {}
                for event in events:
                    assignment = WorkAssignment.model_validate_json(event.value)
                    key = assignment.researcher_id.encode()
                    current = touched[key] if key in touched else stored_profile(key)
                    try:
                        updated, change = profile(current, assignment, _timestamp(event), score_of)
                    except ProfileUpdateRejected as rejected:  # merged or disowned: on to where it belongs
                        if rejected.redirect_to is None:
                            raise
                        moved = redirected(assignment, rejected.redirect_to)
                        sends.append(await works.send(key=moved.researcher_id.encode(), value=moved.model_dump_json().encode()))
                        continue
                    if current is not None and updated == current:
                        continue
                    touched[key] = updated
                    sends += await profile_sends(key, updated, change)
                await _delivered(*sends)
                for key, updated in touched.items():
                    remember_profile(key, updated)

    async def profile_sends(key: bytes, updated: ResearcherProfile, change: TrustChange | None) -> list:
        sends = [await profiles_topic.send(key=key, value=updated.model_dump_json().encode())]
        if change is not None:
            sends.append(await trust_changes.send(key=key, value=change.model_dump_json().encode()))
        return sends

    def remember_profile(key: bytes, updated: ResearcherProfile) -> None:
        """After Kafka acknowledged the profile: the table, and the score other profiles read."""
        profiles[key] = profile_cache.put(key, updated, updated.model_dump_json().encode())
        if updated.merged_into:
            score = encode_redirect(updated.merged_into)
        elif updated.trust is not None:
            score = encode_score(updated.trust.score)
        else:
            return
        if scores.get(key) != score:
            scores[key] = score

    async def publish_profile(
        key: bytes, updated: ResearcherProfile, change: TrustChange | None, *extra_sends
    ) -> None:
        """Send the profile (and its audit event and any follow-up events); once acknowledged,
        update the profiles table and the score other profiles read."""
        await _delivered(*await profile_sends(key, updated, change), *extra_sends)
        remember_profile(key, updated)

    @app.agent(signals, name="signals")
    async def apply_signals(stream: faust.StreamT) -> None:
        async for event in stream.events():
            try:
                signal = parse_signal(event.value)
            except InvalidRecord as error:
                await _dead_letter(event, error.reason, error.field)
                continue
            key = signal.researcher_id.encode()
            async with profile_lock:
                outcome = apply_product_signal(stored_profile(key), signal, _timestamp(event), score_of)
                follow_ups = [
                    await works.send(key=a.researcher_id.encode(), value=a.model_dump_json().encode())
                    for a in outcome.assignments
                ]
                if outcome.merge is not None:
                    follow_ups.append(await send_merge(outcome.merge))
                if outcome.redirect_to:
                    moved = signal.model_copy(update={"researcher_id": outcome.redirect_to})
                    await _delivered(await signals.send(key=outcome.redirect_to.encode(), value=moved.model_dump_json().encode()))
                elif outcome.rejected:
                    await _dead_letter(event, outcome.rejected, None)
                elif outcome.profile is not None:
                    await publish_profile(key, outcome.profile, outcome.change, *follow_ups)
                else:
                    await _delivered(*follow_ups)

    @app.agent(merges, name="merges")
    async def retire_merged(stream: faust.StreamT) -> None:
        """On the retired id's partition: publish its redirect, send its content to the survivor."""
        async for event in stream.events():
            merge = MergeEvent.model_validate_json(event.value)
            key = merge.retired_id.encode()
            async with profile_lock:
                outcome = on_merge(stored_profile(key), merge)
                if outcome.rejected:
                    await _dead_letter(event, outcome.rejected, None, RESEARCHER_MERGES.name, MERGES_DLQ.name)
                elif outcome.forward is not None:
                    await _delivered(await send_merge(outcome.forward))
                elif outcome.profile is not None and outcome.move is not None:
                    await publish_profile(key, outcome.profile, None, await send_move(outcome.move))

    @app.agent(moves, name="merge-moves")
    async def move_merged(stream: faust.StreamT) -> None:
        """On the survivor's partition: fold the retired content in (or restore a refused merge)."""
        async for event in stream.events():
            move = MergeMove.model_validate_json(event.value)
            key = move.target_id.encode()
            async with profile_lock:
                outcome = on_move(stored_profile(key), move, _timestamp(event), score_of)
                if outcome.move is not None:
                    sends = [await send_move(outcome.move)]
                    if outcome.move.bounced:
                        await _dead_letter(event, f"merge refused by the survivor: {outcome.move.bounced}", None,
                                           RESEARCHER_MERGE_MOVES.name, MERGES_DLQ.name,
                                           payload=move.merge.model_dump_json())
                    await _delivered(*sends)
                elif outcome.profile is not None:
                    await publish_profile(key, outcome.profile, outcome.change, *[
                        await works.send(key=a.researcher_id.encode(), value=a.model_dump_json().encode())
                        for a in outcome.assignments
                    ])

    async def _dead_letter(
        event: faust.EventT, reason: str, field: str | None, source: str = RESEARCHER_SIGNALS.name,
        dlq: str = SIGNALS_DLQ.name, payload: str | None = None,
    ) -> None:
        text = payload if payload is not None else (
            event.value.decode("utf-8", "replace") if isinstance(event.value, bytes) else repr(event.value)
        )
        reason, text = cap_dead_letter(reason, text)
        letter = DeadLetter(
            stage="profile", reason=reason, field=field, source=settings.topic(source),
            key=event.key.decode("utf-8", "replace") if isinstance(event.key, bytes) else None,
            payload=text,
            failed_at=_timestamp(event),
        )
        topic = signals_dlq if dlq == SIGNALS_DLQ.name else merges_dlq
        await _delivered(await topic.send(key=event.key, value=letter.model_dump_json().encode()))
