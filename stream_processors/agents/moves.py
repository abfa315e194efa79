"""merge-moves (researcher.merge.moves, on the survivor's partition): fold the retired content into
the survivor with `apply_merge` and send the move back accepted, pass a move on when the survivor
was itself merged, or bounce it back (dead-lettering the refused merge) so the retired profile is
restored. An accepted move, back on the retired id's partition, sends that id's works on to the
survivor (researcher.works, `moved_from` set) and takes them out of its store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.profiles import MergeMove, ResearcherProfile
from stream_processors.agents.boundary import BatchReport, DeadLetters, Step, run_batch
from stream_processors.agents.ports import Topic
from stream_processors.agents.reviews import refuse
from stream_processors.agents.state import LinkingState, staged_revision, timestamp
from stream_processors.linking_stage import moved_works
from stream_processors.merge_stage import on_move


@dataclass
class MergeMovesAgent:
    state: LinkingState
    dead_letters: DeadLetters  # researcher.merges.dlq, source researcher.merge.moves
    reviews: Topic  # researcher.merges.review

    async def handle(self, events: Sequence[Any]) -> BatchReport:
        async with self.state.profile_lock:
            return await run_batch(events, self._step, self.state.remember_profile, self.dead_letters)

    async def _step(self, event: Any, staged: dict[bytes, Any]) -> Step:
        move = MergeMove.model_validate_json(event.value)
        key = move.target_id.encode()
        current = self.state.current(key, staged)
        stored = self.state.works_of(move.target_id, staged)
        outcome = on_move(current, move, timestamp(event), self.state.score_of, stored)
        if outcome.release is not None:
            return await self._release(event, key, outcome.release, staged)
        if outcome.move is not None:
            sends = [await self.state.send_move(outcome.move)]
            if outcome.move.bounced:
                letter = f"merge refused by the survivor: {outcome.move.bounced}"
                sends.append(await refuse(event, move.merge, outcome.move.bounced, letter, self.dead_letters, self.reviews,
                                          payload=move.merge.model_dump_json()))
            return Step(event, sends)
        if outcome.profile is not None:
            sends = [await self.state.send_work(a) for a in outcome.assignments]
            published = len(sends)
            sends += await self.state.profile_sends(key, outcome.profile, outcome.change)
            if outcome.ack is not None:
                sends.append(await self.state.send_move(outcome.ack))
            work_sends, records = await self.state.works_sends(move.target_id, outcome.profile.revision, removed=outcome.removed)
            sends += work_sends
            return Step(event, sends, key, staged_revision(outcome.profile, records, staged.get(key)), published=published)
        if outcome.ack is not None:  # a move already folded in: its accepted answer again
            return Step(event, [await self.state.send_move(outcome.ack)])
        return Step(event)

    async def _release(self, event: Any, key: bytes, retired: ResearcherProfile, staged: dict[bytes, Any]) -> Step:
        """The survivor accepted: the retired id's works go to it, and leave the retired id's store.
        A re-delivery finds none left (in the store, or removed earlier in this batch) and sends nothing."""
        works = self.state.all_works(retired.researcher_id, staged)
        if not works:
            return Step(event)
        sends = [await self.state.send_work(a) for a in moved_works(retired, works)]
        # A removal's document version must pass the revision that listed the work.
        work_sends, records = await self.state.works_sends(retired.researcher_id, retired.revision + 1, removed=works)
        sends += work_sends
        return Step(event, sends, key, staged_revision(retired, records, staged.get(key)))
