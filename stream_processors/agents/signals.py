"""signals (researcher.signals -> researcher.profiles, researcher.merges, researcher.works): apply
a product signal to its profile; a signal for a merged id is re-keyed to the survivor, one that
cannot apply (unsigned or badly signed, voided by an operator, a claim by someone else) is
dead-lettered with the reason. A signal for a researcher without a profile yet is parked until
the profile exists (parked_signals.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from foundation.errors import InvalidRecord
from foundation.signal_keys import SignalKeys
from schemas.profiles import parse_signal
from schemas.signal_auth import check_signature, sign_signal
from stream_processors.agents.boundary import BatchReport, DeadLetters, Step, run_batch
from stream_processors.agents.parked_signals import MAX_PARKED
from stream_processors.agents.state import LinkingState, Topic, staged_revision, timestamp
from stream_processors.linking_stage import apply_product_signal
from stream_processors.signal_voids import RefreshingVoids


@dataclass
class SignalsAgent:
    state: LinkingState
    signals: Topic  # re-keyed signals for a merged id go back here
    dead_letters: DeadLetters  # researcher.signals.dlq
    keys: SignalKeys  # a signal applies only when signed by its principal's key
    voids: RefreshingVoids  # and when no operator's void covers it

    async def handle(self, events: Sequence[Any]) -> BatchReport:
        async with self.state.profile_lock:
            return await run_batch(events, self._step, self.state.remember_profile, self.dead_letters)

    async def _step(self, event: Any, staged: dict[bytes, Any]) -> Step:
        signal = parse_signal(event.value)
        check_signature(signal, self.keys)
        void = await self.voids.covering(signal)
        if void is not None:
            raise InvalidRecord(void.describe(), field="signal_id")
        key = signal.researcher_id.encode()
        current = self.state.current(key, staged)
        if current is None:  # its profile is not made yet (a rebuild reads signals before papers)
            if self.state.parked.park(key, event.value):
                return Step(event, [])
            raise InvalidRecord(f"unknown researcher {signal.researcher_id}: {MAX_PARKED} signals already wait for it",
                                field="researcher_id")
        stored = self.state.works_of(signal.researcher_id, staged)
        outcome = apply_product_signal(current, signal, timestamp(event), self.state.score_of, stored)
        sends = [await self.state.send_work(a) for a in outcome.assignments]
        if outcome.merge is not None:
            sends.append(await self.state.send_merge(outcome.merge))
        if outcome.redirect_to:
            # Signed again (the worker holds the keys): the original checked, only its target changed.
            moved = sign_signal(signal.model_copy(update={"researcher_id": outcome.redirect_to}), self.keys)
            return Step(event, [await self.signals.send(key=outcome.redirect_to.encode(), value=moved.model_dump_json().encode())])
        if outcome.rejected:
            return Step(event, [await self.dead_letters.send(event, outcome.rejected)])
        if outcome.profile is not None:
            published = len(sends)
            sends += await self.state.profile_sends(key, outcome.profile, outcome.change)
            sends += await self.state.works_sends(signal.researcher_id, outcome.profile.revision, removed=outcome.removed)
            return Step(event, sends, key, staged_revision(outcome.profile, removed=outcome.removed), published=published)
        return Step(event, sends)
