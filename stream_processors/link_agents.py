"""The faust agents of linking and profiles: route, link, assemble, profile.

Each agent reads one topic, keeps its state in a changelog-backed table keyed like its input
(so the state of a key lives on the key's partition and is recovered after a restart), calls
the pure step in `linking_stage.py`, waits for Kafka to acknowledge what it sent, and only then
updates its table. A re-delivered event therefore finds either the old state (and redoes the
same step) or the new one (and the step is a no-op): at-least-once, with no duplicates in effect.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timezone

import faust

from schemas.linking_events import Authorship, MentionEvent, WorkAssignment
from schemas.papers import parse_enriched_paper
from schemas.dead_letters import DeadLetter, cap_dead_letter
from schemas.profiles import ResearcherProfile, parse_signal
from schemas.topics import (
    PAPERS_ENRICHED,
    RESEARCHER_AUTHORSHIPS,
    RESEARCHER_MENTIONS,
    RESEARCHER_PROFILES,
    RESEARCHER_SIGNALS,
    RESEARCHER_WORKS,
    SIGNALS_DLQ,
    TRUST_CHANGES,
)
from scholarstream.settings import Settings
from stream_processors.linking.state_codec import dumps_block, loads_block
from scholarstream.errors import InvalidRecord
from stream_processors.linking_stage import apply_product_signal, assemble, link, profile, route


def _table(app: faust.App, name: str, settings: Settings) -> faust.Table:
    return app.Table(name, default=None, partitions=settings.topic_partitions, key_type=bytes, value_type=bytes,
                     use_partitioner=True)


def _timestamp(event: faust.EventT) -> datetime:
    return datetime.fromtimestamp(event.message.timestamp, tz=timezone.utc)


async def _delivered(*sends) -> None:
    await asyncio.gather(*sends)


def register_linking(app: faust.App, settings: Settings, raw_topic: Callable[[str], faust.TopicT]) -> None:
    enriched = raw_topic(PAPERS_ENRICHED.name)
    mentions = raw_topic(RESEARCHER_MENTIONS.name)
    authorships = raw_topic(RESEARCHER_AUTHORSHIPS.name)
    works = raw_topic(RESEARCHER_WORKS.name)
    profiles_topic = raw_topic(RESEARCHER_PROFILES.name)
    trust_changes = raw_topic(TRUST_CHANGES.name)
    blocks = _table(app, "blocks", settings)
    paper_authors = _table(app, "paper-authors", settings)
    profiles = _table(app, "profiles", settings)
    signals = raw_topic(RESEARCHER_SIGNALS.name)
    signals_dlq = raw_topic(SIGNALS_DLQ.name)

    @app.agent(enriched, name="route-mentions")
    async def route_mentions(stream: faust.StreamT) -> None:
        async for value in stream:
            item = parse_enriched_paper(value)
            await _delivered(*[
                await mentions.send(key=event.mention.blocking_key.encode(), value=event.model_dump_json().encode())
                for event in route(item)
            ])

    @app.agent(mentions, name="link")
    async def link_mentions(stream: faust.StreamT) -> None:
        async for event in stream.events():
            mention = MentionEvent.model_validate_json(event.value)
            key = mention.mention.blocking_key.encode()
            stored = blocks.get(key)
            state, authorship = link(loads_block(stored) if stored else None, mention)
            await _delivered(await authorships.send(key=authorship.arxiv_id.encode(), value=authorship.model_dump_json().encode()))
            blocks[key] = dumps_block(state)

    @app.agent(authorships, name="assemble-works")
    async def assemble_works(stream: faust.StreamT) -> None:
        async for event in stream.events():
            authorship = Authorship.model_validate_json(event.value)
            key = authorship.arxiv_id.encode()
            stored = paper_authors.get(key)
            known = {int(p): Authorship.model_validate(a) for p, a in json.loads(stored).items()} if stored else {}
            known, assignments = assemble(known, authorship)
            await _delivered(*[
                await works.send(key=a.researcher_id.encode(), value=a.model_dump_json().encode()) for a in assignments
            ])
            paper_authors[key] = json.dumps({str(p): a.model_dump(mode="json") for p, a in known.items()}).encode()

    @app.agent(works, name="profiles")
    async def build_profiles(stream: faust.StreamT) -> None:
        async for event in stream.events():
            assignment = WorkAssignment.model_validate_json(event.value)
            key = assignment.researcher_id.encode()
            stored = profiles.get(key)
            current = ResearcherProfile.model_validate_json(stored) if stored else None
            updated, change = profile(current, assignment, _timestamp(event))
            if current is not None and updated == current:
                continue
            await publish_profile(key, updated, change)

    async def publish_profile(key: bytes, updated: ResearcherProfile, change) -> None:
        sends = [await profiles_topic.send(key=key, value=updated.model_dump_json().encode())]
        if change is not None:
            sends.append(await trust_changes.send(key=key, value=change.model_dump_json().encode()))
        await _delivered(*sends)
        profiles[key] = updated.model_dump_json().encode()

    @app.agent(signals, name="signals")
    async def apply_signals(stream: faust.StreamT) -> None:
        async for event in stream.events():
            try:
                signal = parse_signal(event.value)
            except InvalidRecord as error:
                await _dead_letter(event, error.reason, error.field)
                continue
            key = signal.researcher_id.encode()
            stored = profiles.get(key)
            current = ResearcherProfile.model_validate_json(stored) if stored else None
            outcome = apply_product_signal(current, signal, _timestamp(event))
            if outcome.redirect_to:
                moved = signal.model_copy(update={"researcher_id": outcome.redirect_to})
                await _delivered(await signals.send(key=outcome.redirect_to.encode(), value=moved.model_dump_json().encode()))
            elif outcome.rejected:
                await _dead_letter(event, outcome.rejected, None)
            elif outcome.profile is not None:
                await publish_profile(key, outcome.profile, outcome.change)

    async def _dead_letter(event: faust.EventT, reason: str, field: str | None) -> None:
        reason, payload = cap_dead_letter(
            reason, event.value.decode("utf-8", "replace") if isinstance(event.value, bytes) else repr(event.value)
        )
        letter = DeadLetter(
            stage="profile", reason=reason, field=field, source=settings.topic(RESEARCHER_SIGNALS.name),
            key=event.key.decode("utf-8", "replace") if isinstance(event.key, bytes) else None,
            payload=payload,
            failed_at=_timestamp(event),
        )
        await _delivered(await signals_dlq.send(key=event.key, value=letter.model_dump_json().encode()))
