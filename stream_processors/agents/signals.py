"""signals (researcher.signals -> researcher.profiles, researcher.merges, researcher.works,
researcher.signals.outcomes): apply a product signal to its profile; a signal for a merged id is
re-keyed to the survivor, one that cannot apply (unsigned or badly signed, voided by an operator, a
claim by someone else) is dead-lettered with the reason. A signal for a researcher without a
profile yet is parked until the profile exists (parked_signals.py).

Each signal that is decided gets its outcome (applied, unchanged, refused; stream_processors/
signal_outcomes.py), sent as one more delivery of its step, so the error boundary holds it to the
same rule as the profile it reports: a replay sends it again under the same key, and nothing is
acknowledged before it is delivered. Every dead letter of a signed signal, whatever refused it (a
rule, a void, a failed delivery), is told as a refusal by the dead letters themselves
(`_TellingDeadLetters`), so no path out of the agent leaves its sender waiting. Redirected and
parked signals are told nothing yet: they are decided where, and when, they apply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any

from foundation.errors import InvalidRecord
from foundation.signal_keys import SignalKeys
from schemas.profiles import parse_signal
from schemas.signal_auth import check_signature, sign_signal
from schemas.signal_outcomes import SignalOutcomeEvent
from stream_processors.agents.boundary import BatchReport, DeadLetters, Step, run_batch
from stream_processors.agents.parked_signals import MAX_PARKED
from stream_processors.agents.ports import Topic
from stream_processors.agents.state import LinkingState, staged_revision, timestamp
from stream_processors.linking_stage import apply_product_signal
from stream_processors.signal_outcomes import outcome_of, refused_letter
from stream_processors.signal_voids import RefreshingVoids


async def _tell(outcomes: Topic, told: SignalOutcomeEvent) -> Awaitable[Any]:
    return await outcomes.send(key=told.signal_id.encode(), value=told.wire())


@dataclass(frozen=True)
class _TellingDeadLetters(DeadLetters):
    """The signals' dead letters, each with the refused outcome of its signal (if signed)."""

    outcomes: Topic = field(kw_only=True)
    keys: SignalKeys = field(kw_only=True)

    async def send(self, event: Any, reason: str, field_name: str | None = None, payload: object = None) -> Awaitable[Any]:
        letter = await super().send(event, reason, field_name, payload)
        told = refused_letter(event.value, reason, timestamp(event), self.keys)
        if told is None:
            return letter
        return asyncio.gather(letter, await _tell(self.outcomes, told))


@dataclass
class SignalsAgent:
    state: LinkingState
    signals: Topic  # re-keyed signals for a merged id go back here
    dead_letters: DeadLetters  # researcher.signals.dlq
    keys: SignalKeys  # a signal applies only when signed by its principal's key
    voids: RefreshingVoids  # and when no operator's void covers it
    outcomes: Topic  # researcher.signals.outcomes: what became of each signal, for its sender

    def __post_init__(self) -> None:
        letters = self.dead_letters
        self._letters = _TellingDeadLetters(letters.topic, letters.stage, letters.source, outcomes=self.outcomes, keys=self.keys)

    async def handle(self, events: Sequence[Any]) -> BatchReport:
        async with self.state.profile_lock:
            return await run_batch(events, self._step, self.state.remember_profile, self._letters)

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
        if outcome.redirect_to:
            # Signed again (the worker holds the keys): the original checked, only its target changed.
            moved = sign_signal(signal.model_copy(update={"researcher_id": outcome.redirect_to}), self.keys)
            return Step(event, [await self.signals.send(key=outcome.redirect_to.encode(), value=moved.wire())])
        if outcome.rejected:
            return Step(event, [await self._letters.send(event, outcome.rejected)])
        told = outcome_of(signal, outcome, current, timestamp(event))
        sends = [await self.state.send_work(a) for a in outcome.assignments]
        if outcome.merge is not None:
            sends.append(await self.state.send_merge(outcome.merge))
        if outcome.profile is not None:
            published = len(sends)
            sends += await self.state.profile_sends(key, outcome.profile, outcome.change)
            work_sends, records = await self.state.works_sends(signal.researcher_id, outcome.profile.revision,
                                                               removed=outcome.removed)
            sends += work_sends
            if told is not None:
                sends.append(await _tell(self.outcomes, told))
            return Step(event, sends, key, staged_revision(outcome.profile, records, staged.get(key)), published=published)
        if told is not None:
            sends.append(await _tell(self.outcomes, told))
        return Step(event, sends)
