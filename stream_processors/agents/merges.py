"""merges (researcher.merges, on the retired id's partition): publish the retired profile's
redirect revision and send its content to the survivor as a MergeMove; a merge whose retired id
was merged elsewhere is re-addressed, a refused one dead-lettered with the reason (or, when only an
operator may grant it, put in the review queue: reviews.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.profiles import MergeEvent
from stream_processors.agents.boundary import BatchReport, DeadLetters, Step, run_batch
from stream_processors.agents.ports import Topic
from stream_processors.agents.reviews import refuse
from stream_processors.agents.state import LinkingState
from stream_processors.merge_stage import on_merge


@dataclass
class MergesAgent:
    state: LinkingState
    dead_letters: DeadLetters  # researcher.merges.dlq, source researcher.merges
    reviews: Topic  # researcher.merges.review

    async def handle(self, events: Sequence[Any]) -> BatchReport:
        async with self.state.profile_lock:
            return await run_batch(events, self._step, self.state.remember_profile, self.dead_letters)

    async def _step(self, event: Any, staged: dict[bytes, Any]) -> Step:
        merge = MergeEvent.model_validate_json(event.value)
        key = merge.retired_id.encode()
        outcome = on_merge(self.state.current(key, staged), merge)
        if outcome.rejected:
            return Step(event, [await refuse(event, merge, outcome.rejected, outcome.rejected, self.dead_letters, self.reviews)])
        if outcome.forward is not None:
            return Step(event, [await self.state.send_merge(outcome.forward)])
        if outcome.profile is not None and outcome.move is not None:
            sends = [await self.state.send_move(outcome.move)]
            published = len(sends)
            sends += await self.state.profile_sends(key, outcome.profile, None)
            return Step(event, sends, key, outcome.profile, published=published)
        return Step(event)
