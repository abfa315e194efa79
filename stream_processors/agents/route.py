"""route-mentions (papers.enriched -> researcher.mentions): one MentionEvent per author line,
keyed by blocking key so a block's candidates meet on one partition. No state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.papers import parse_enriched_paper
from stream_processors.agents.boundary import BatchReport, DeadLetters, Step, run_batch
from stream_processors.agents.state import Topic
from stream_processors.linking_stage import route


@dataclass
class RouteAgent:
    mentions: Topic
    dead_letters: DeadLetters

    async def handle(self, events: Sequence[Any]) -> BatchReport:
        return await run_batch(events, self._step, _no_state, self.dead_letters)

    async def _step(self, event: Any, staged: dict[bytes, Any]) -> Step:  # noqa: ARG002 - stateless
        routed = route(parse_enriched_paper(event.value))
        return Step(event, [
            await self.mentions.send(key=m.mention.blocking_key.encode(), value=m.wire()) for m in routed
        ])


def _no_state(key: bytes, state: Any) -> None:  # noqa: ARG001
    raise AssertionError("route keeps no state")
