"""profiles (researcher.works -> researcher.profiles, researcher.trust.changes): fold each work
into its researcher's profile and rescore it; a work for a merged id, or a disowned one, goes on
to the researcher it belongs to (re-keyed on researcher.works).

A batch's works for one researcher are folded into one draft and published as one revision at
the end of the batch (run_batch's deferred steps): a backlog of n works for a researcher of w
works costs one rebuild, one rescore and one revision of about w works, not n of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.linking_events import WorkAssignment
from schemas.profiles import ResearcherProfile
from stream_processors.agents.boundary import BatchReport, DeadLetters, Published, Step, run_batch
from stream_processors.agents.state import LinkingState, staged_revision, timestamp
from stream_processors.linking_stage import add_assignment, finish_works, redirected, works_draft
from stream_processors.profiles import ProfileUpdateRejected, WorksDraft


@dataclass
class _Pending:
    """A researcher's works of this batch: the profile they started from, the draft, and the
    newest record time (the revision's clock)."""

    current: ResearcherProfile | None
    draft: WorksDraft
    at: datetime


@dataclass
class ProfilesAgent:
    state: LinkingState
    dead_letters: DeadLetters

    async def handle(self, events: Sequence[Any]) -> BatchReport:
        async with self.state.profile_lock:
            return await run_batch(events, self._step, self.state.remember_profile, self.dead_letters, self._publish)

    async def _step(self, event: Any, staged: dict[bytes, Any]) -> Step:
        assignment = WorkAssignment.model_validate_json(event.value)
        key = assignment.researcher_id.encode()
        pending = staged.get(key)
        if pending is None:
            current = self.state.stored_profile(key)
            stored = self.state.works_of(assignment.researcher_id)
            pending = _Pending(current, works_draft(current, assignment, stored), timestamp(event))
        try:
            add_assignment(pending.draft, assignment)
        except ProfileUpdateRejected as rejected:  # merged or disowned: on to where it belongs
            if rejected.redirect_to is None:
                raise
            return Step(event, [await self.state.send_work(redirected(assignment, rejected.redirect_to))])
        pending.at = max(pending.at, timestamp(event))
        return Step(event, key=key, state=pending, deferred=True)

    async def _publish(self, key: bytes, pending: _Pending) -> Published | None:
        made = finish_works(pending.current, pending.draft, pending.at, self.state.score_of)
        if made is None:
            return None
        updated, change = made
        written = pending.draft.written.values()
        sends = await self.state.profile_sends(key, updated, change)
        work_sends, records = await self.state.works_sends(updated.researcher_id, updated.revision, written)
        sends += work_sends
        if pending.current is None:  # the first revision: the signals that waited for it go back
            sends += await self.state.parked.release(key)
        return Published(staged_revision(updated, records), sends, published=0)
