"""profiles (researcher.works -> researcher.profiles, researcher.trust.changes): fold each work
into its researcher's profile and rescore it; a work for a merged id, or a disowned one, goes on
to the researcher it belongs to (re-keyed on researcher.works)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.linking_events import WorkAssignment
from stream_processors.agents.boundary import BatchReport, DeadLetters, Step, run_batch
from stream_processors.agents.state import LinkingState, timestamp
from stream_processors.linking_stage import profile, redirected
from stream_processors.profiles import ProfileUpdateRejected


@dataclass
class ProfilesAgent:
    state: LinkingState
    dead_letters: DeadLetters

    async def handle(self, events: Sequence[Any]) -> BatchReport:
        async with self.state.profile_lock:
            return await run_batch(events, self._step, self.state.remember_profile, self.dead_letters)

    async def _step(self, event: Any, staged: dict[bytes, Any]) -> Step:
        assignment = WorkAssignment.model_validate_json(event.value)
        key = assignment.researcher_id.encode()
        current = staged[key] if key in staged else self.state.stored_profile(key)
        try:
            updated, change = profile(current, assignment, timestamp(event), self.state.score_of)
        except ProfileUpdateRejected as rejected:  # merged or disowned: on to where it belongs
            if rejected.redirect_to is None:
                raise
            return Step(event, [await self.state.send_work(redirected(assignment, rejected.redirect_to))])
        if current is not None and updated == current:
            return Step(event)
        return Step(event, await self.state.profile_sends(key, updated, change), key, updated, published=0)
