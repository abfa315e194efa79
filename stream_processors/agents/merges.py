"""merges (researcher.merges, on the retired id's partition): publish the retired profile's
redirect revision and send its content to the survivor as a MergeMove; a merge whose retired id
was merged elsewhere is re-addressed, a refused one dead-lettered with the reason (or, when only an
operator may grant it, put in the review queue: reviews.py). A relink's SplitEvent, on the same
topic under the id that loses works: take them out of that profile and send them to the new one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.profiles import MergeEvent, SplitEvent, is_split
from stream_processors.agents.boundary import BatchReport, DeadLetters, Step, run_batch
from stream_processors.agents.ports import Topic
from stream_processors.agents.reviews import refuse
from stream_processors.agents.state import LinkingState, staged_revision, timestamp
from stream_processors.merge_stage import on_merge, on_split


@dataclass
class MergesAgent:
    state: LinkingState
    dead_letters: DeadLetters  # researcher.merges.dlq, source researcher.merges
    reviews: Topic  # researcher.merges.review

    async def handle(self, events: Sequence[Any]) -> BatchReport:
        async with self.state.profile_lock:
            return await run_batch(events, self._step, self.state.remember_profile, self.dead_letters)

    async def _step(self, event: Any, staged: dict[bytes, Any]) -> Step:
        if is_split(event.value):
            return await self._split(event, staged)
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
            return Step(event, sends, key, staged_revision(outcome.profile, previous=staged.get(key)), published=published)
        return Step(event)

    async def _split(self, event: Any, staged: dict[bytes, Any]) -> Step:
        split = SplitEvent.model_validate_json(event.value)
        key = split.researcher_id.encode()
        stored = self.state.works_of(split.researcher_id, staged)
        outcome = on_split(self.state.current(key, staged), split, timestamp(event), self.state.score_of, stored)
        if outcome.rejected:
            return Step(event, [await self.dead_letters.send(event, outcome.rejected)])
        if outcome.forward is not None:
            return Step(event, [await self.state.send_split(outcome.forward)])
        if outcome.profile is None:
            return Step(event)
        sends = [await self.state.send_work(a) for a in outcome.assignments]
        published = len(sends)
        sends += await self.state.profile_sends(key, outcome.profile, outcome.change)
        work_sends, records = await self.state.works_sends(split.researcher_id, outcome.profile.revision, removed=outcome.removed)
        sends += work_sends
        return Step(event, sends, key, staged_revision(outcome.profile, records, staged.get(key)), published=published)
