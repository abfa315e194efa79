"""The error boundary every linking and profile agent runs its events through.

Per event: whatever handling one event raises (a malformed record, a step that raises, a send
that raises) sends that event to the stage's dead-letter topic with the reason and the original
payload; its state change is never staged, and the rest of the batch goes on.

Per batch: the sends of all events are awaited together (one round trip per batch, not per
record). A delivery that fails there is attributed to the event that made it, and that event is
dead-lettered with the delivery error as its reason. So are the later events of the batch on the
same state key, because their staged state was built on the failed one's; every other event's
state is written. A key's table entry therefore only ever holds state whose sends Kafka
acknowledged. Outputs of a dead-lettered event that did get through stay published: downstream
steps are idempotent, and `scholarstream dlq retry` re-submits the event to its topic.

A profile revision is the exception that proves the rule: once Kafka accepted a revision, the
table must hold it, or the next update would reuse its number and the indexer (external
versions) would keep the older document. So a step names the delivery that publishes its state
(`published`); when that delivery succeeded, the key's table entry is that state whatever else
of the event failed (the event is still dead-lettered for its failed outputs), and a later event
on the key that published its own revision is applied, since its snapshot holds what came before.

When even the dead letters cannot be delivered (Kafka gone), the handler raises `DeliveryLost`
and writes no table; the agent loop (`stream_processors/app.py`) then ends the process before
faust's `take_events` acknowledges the batch in its `finally`, so no offset of the batch is
committed. A restarted worker re-reads from the last commit, and the steps are deterministic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from foundation.errors import InvalidRecord, ScholarStreamError
from schemas.dead_letters import Stage, dead_letter
from stream_processors.agents.state import Topic, timestamp

log = logging.getLogger(__name__)


class DeliveryLost(ScholarStreamError):
    """A batch's dead letters could not be delivered: the worker must stop without acknowledging it."""


@dataclass
class Step:
    """What handling one event did: its delivery futures, and the state it leaves for `key`
    (None: it changed no state). A `deferred` step's state is published once for its key at the
    end of the batch, by `run_batch`'s `publish`, together with the other deferred steps on it; a
    key's steps are either all deferred or none."""

    event: Any
    deliveries: list[Awaitable[Any]] = field(default_factory=list)
    key: bytes | None = None
    state: Any = None
    published: int | None = None  # index of the delivery that makes `state` public (a profile revision)
    deferred: bool = False


@dataclass
class Published:
    """What `publish` sent for one key's deferred steps: the state to write once delivered, its
    deliveries, and which of them makes it public."""

    state: Any
    deliveries: list[Awaitable[Any]]
    published: int | None = None


@dataclass
class _Unit:
    """The events whose state stands or falls together: one step, or a key's deferred steps."""

    events: list[Any]
    deliveries: list[Awaitable[Any]]
    key: bytes | None
    state: Any
    published: int | None
    write: bool = True  # False: the state needs no write (a deferred key that nothing changed)


@dataclass(frozen=True)
class DeadLetters:
    """Where one agent's failed events go: a dead-letter topic, the stage, and the source topic."""

    topic: Topic
    stage: Stage
    source: str  # the physical input topic, which `dlq retry` re-submits to

    async def send(self, event: Any, reason: str, field_name: str | None = None, payload: object = None) -> Awaitable[Any]:
        letter = dead_letter(
            stage=self.stage, reason=reason, source=self.source, key=event.key,
            payload=event.value if payload is None else payload, failed_at=timestamp(event), field=field_name,
        )
        return await self.topic.send(key=event.key, value=letter.model_dump_json().encode())  # every field: read by people


def describe(error: BaseException) -> str:
    if isinstance(error, InvalidRecord):
        return error.reason
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


@dataclass
class BatchReport:
    applied: int = 0
    dead_lettered: int = 0


StepFn = Callable[[Any, dict[bytes, Any]], Awaitable[Step]]
WriteFn = Callable[[bytes, Any], None]
PublishFn = Callable[[bytes, Any], Awaitable[Published | None]]


async def run_batch(
    events: Sequence[Any], step: StepFn, write: WriteFn, letters: DeadLetters, publish: PublishFn | None = None
) -> BatchReport:
    """Handle `events` in order through `step`, each inside the boundary; write the final state of
    every key whose events were all delivered. `step(event, staged)` reads a key's state from
    `staged` first (what earlier events of this batch left), then from its table.

    Deferred steps (see `Step`) are published once per key after the last event: `publish(key,
    staged state)` sends what the key's state became over the whole batch (None: nothing to send),
    so a key that many events change costs one publication. If it raises or its deliveries fail,
    every event of that key is dead-lettered, as one event's would be."""
    report = BatchReport()
    staged: dict[bytes, Any] = {}
    units: list[_Unit] = []
    deferred: dict[bytes, list[Step]] = {}
    dead: list[Awaitable[Any]] = []
    try:
        for event in events:
            try:
                result = await step(event, staged)
            except Exception as error:  # noqa: BLE001 - the boundary: any error of one event is that event's
                log.warning("dead-lettering a record of %s: %s", letters.source, describe(error))
                dead.append(await letters.send(event, describe(error), getattr(error, "field", None)))
                continue
            if result.key is not None:
                staged[result.key] = result.state
            if result.deferred and result.key is not None:
                deferred.setdefault(result.key, []).append(result)
            else:
                units.append(_Unit([result.event], result.deliveries, result.key, result.state, result.published))
        for key, steps in deferred.items():
            unit = await _publish_deferred(key, steps, staged[key], publish, letters, dead)
            if unit is not None:
                units.append(unit)

        outcomes = await asyncio.gather(*(d for u in units for d in u.deliveries), return_exceptions=True)
        final: dict[bytes, Any] = {}
        failed_keys: dict[bytes, str] = {}
        position = 0
        for u in units:
            results = outcomes[position:position + len(u.deliveries)]
            position += len(u.deliveries)
            errors = [o for o in results if isinstance(o, BaseException)]
            public = u.published is not None and not isinstance(results[u.published], BaseException)
            if public and u.key is not None:  # Kafka holds this revision: so must the table
                final[u.key] = u.state
                failed_keys.pop(u.key, None)
            if errors:
                reason = f"delivery failed: {describe(errors[0])}"
            elif u.key is not None and u.key in failed_keys:
                reason = f"not applied: an earlier record of this batch on key {u.key!r} failed ({failed_keys[u.key]})"
            else:
                report.applied += len(u.events)
                if u.key is not None and u.write:
                    final[u.key] = u.state
                continue
            if u.key is not None and not public:
                failed_keys.setdefault(u.key, reason)
            for event in u.events:
                log.warning("dead-lettering a record of %s: %s", letters.source, reason)
                dead.append(await letters.send(event, reason))
        await asyncio.gather(*dead)
    except Exception as error:
        raise DeliveryLost(f"dead letters of {letters.source} could not be delivered: {describe(error)}") from error
    report.dead_lettered = len(dead)
    for key, state in final.items():
        write(key, state)
    return report


async def _publish_deferred(
    key: bytes, steps: list[Step], state: Any, publish: PublishFn | None, letters: DeadLetters, dead: list[Awaitable[Any]]
) -> _Unit | None:
    """One unit for a key's deferred steps, with what `publish` sent; None when it raised (the
    steps are dead-lettered into `dead` with its reason)."""
    if publish is None:
        raise TypeError("deferred steps need run_batch's publish")
    own = [d for s in steps for d in s.deliveries]
    events = [s.event for s in steps]
    try:
        made = await publish(key, state)
    except Exception as error:  # noqa: BLE001 - the boundary, for every event of the key
        for event in events:
            log.warning("dead-lettering a record of %s: %s", letters.source, describe(error))
            dead.append(await letters.send(event, describe(error), getattr(error, "field", None)))
        return None
    if made is None:
        return _Unit(events, own, key, None, None, write=False)
    published = None if made.published is None else len(own) + made.published
    return _Unit(events, [*own, *made.deliveries], key, made.state, published)
