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
    (None: it changed no state)."""

    event: Any
    deliveries: list[Awaitable[Any]] = field(default_factory=list)
    key: bytes | None = None
    state: Any = None
    published: int | None = None  # index of the delivery that makes `state` public (a profile revision)


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
        return await self.topic.send(key=event.key, value=letter.model_dump_json().encode())


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


async def run_batch(events: Sequence[Any], step: StepFn, write: WriteFn, letters: DeadLetters) -> BatchReport:
    """Handle `events` in order through `step`, each inside the boundary; write the final state of
    every key whose events were all delivered. `step(event, staged)` reads a key's state from
    `staged` first (what earlier events of this batch left), then from its table."""
    report = BatchReport()
    staged: dict[bytes, Any] = {}
    done: list[Step] = []
    dead: list[Awaitable[Any]] = []
    try:
        for event in events:
            try:
                result = await step(event, staged)
            except Exception as error:  # noqa: BLE001 - the boundary: any error of one event is that event's
                log.warning("dead-lettering a record of %s: %s", letters.source, describe(error))
                dead.append(await letters.send(event, describe(error), getattr(error, "field", None)))
                continue
            done.append(result)
            if result.key is not None:
                staged[result.key] = result.state

        outcomes = await asyncio.gather(*(d for s in done for d in s.deliveries), return_exceptions=True)
        final: dict[bytes, Any] = {}
        failed_keys: dict[bytes, str] = {}
        position = 0
        for s in done:
            results = outcomes[position:position + len(s.deliveries)]
            position += len(s.deliveries)
            errors = [o for o in results if isinstance(o, BaseException)]
            public = s.published is not None and not isinstance(results[s.published], BaseException)
            if public and s.key is not None:  # Kafka holds this revision: so must the table
                final[s.key] = s.state
                failed_keys.pop(s.key, None)
            if errors:
                reason = f"delivery failed: {describe(errors[0])}"
            elif s.key is not None and s.key in failed_keys:
                reason = f"not applied: an earlier record of this batch on key {s.key!r} failed ({failed_keys[s.key]})"
            else:
                report.applied += 1
                if s.key is not None:
                    final[s.key] = s.state
                continue
            if s.key is not None and not public:
                failed_keys.setdefault(s.key, reason)
            log.warning("dead-lettering a record of %s: %s", letters.source, reason)
            dead.append(await letters.send(s.event, reason))
        await asyncio.gather(*dead)
    except Exception as error:
        raise DeliveryLost(f"dead letters of {letters.source} could not be delivered: {describe(error)}") from error
    report.dead_lettered = len(dead)
    for key, state in final.items():
        write(key, state)
    return report
