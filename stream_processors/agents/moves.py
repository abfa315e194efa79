"""merge-moves (researcher.merge.moves, on the survivor's partition): fold the retired content into
the survivor with `apply_merge`, pass a move on when the survivor was itself merged, or bounce it
back (dead-lettering the refused merge) so the retired profile is restored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.profiles import MergeMove
from stream_processors.agents.boundary import BatchReport, DeadLetters, Step, run_batch
from stream_processors.agents.state import LinkingState, timestamp
from stream_processors.merge_stage import on_move


@dataclass
class MergeMovesAgent:
    state: LinkingState
    dead_letters: DeadLetters  # researcher.merges.dlq, source researcher.merge.moves

    async def handle(self, events: Sequence[Any]) -> BatchReport:
        async with self.state.profile_lock:
            return await run_batch(events, self._step, self.state.remember_profile, self.dead_letters)

    async def _step(self, event: Any, staged: dict[bytes, Any]) -> Step:
        move = MergeMove.model_validate_json(event.value)
        key = move.target_id.encode()
        current = staged[key] if key in staged else self.state.stored_profile(key)
        outcome = on_move(current, move, timestamp(event), self.state.score_of)
        if outcome.move is not None:
            sends = [await self.state.send_move(outcome.move)]
            if outcome.move.bounced:
                reason = f"merge refused by the survivor: {outcome.move.bounced}"
                sends.append(await self.dead_letters.send(event, reason, payload=move.merge.model_dump_json()))
            return Step(event, sends)
        if outcome.profile is not None:
            sends = [await self.state.send_work(a) for a in outcome.assignments]
            published = len(sends)
            sends += await self.state.profile_sends(key, outcome.profile, outcome.change)
            return Step(event, sends, key, outcome.profile, published=published)
        return Step(event)
