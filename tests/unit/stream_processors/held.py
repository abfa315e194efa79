"""A profile with its works beside it, as the worker keeps them (profile v3): the pure steps of
stream_processors/profiles.py driven the way the agents drive them, with a dict as the store."""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.profiles import Coauthor, ResearcherProfile, Work
from stream_processors.linking_stage import moved_works
from stream_processors.profiles import (
    ProfileUpdateRejected,
    WorksDraft,
    apply_merge,
    apply_signal,
    newly_disowned,
    retire,
)


@dataclass(frozen=True)
class Held:
    profile: ResearcherProfile
    works: dict[str, Work] = field(default_factory=dict)

    def add(self, work: Work, coauthors: tuple[Coauthor, ...] | list[Coauthor] = (), **options) -> Held:
        """`apply_work`, storing what the draft wrote."""
        draft = WorksDraft(self.profile, self.works.get)
        draft.add(work, coauthors, **options)
        return Held(draft.finish(), {**self.works, **draft.written})

    def signal(self, signal) -> Held:
        after = apply_signal(self.profile, signal, self.works.get)
        return Held(after, self._without(newly_disowned(self.profile, after, self.works.get)))

    def merge(self, other: Held) -> Held:
        """The whole merge: the survivor takes the content, then the retired works move to it."""
        merged = apply_merge(self.profile, other.profile, self.works.get)
        held = Held(merged, self._without(newly_disowned(self.profile, merged, self.works.get)))
        for assignment in moved_works(retire(other.profile, self.profile.researcher_id), list(other.works.values())):
            try:
                held = held.add(assignment.work, assignment.coauthors, printed_name=assignment.printed_name, moved=True)
            except ProfileUpdateRejected:  # disowned by the survivor: on to its split-off researcher
                continue
        return held

    @property
    def ids(self) -> list[str]:
        return sorted(self.works)

    def _without(self, gone: tuple[Work, ...]) -> dict[str, Work]:
        ids = {w.arxiv_id for w in gone}
        return {k: w for k, w in self.works.items() if k not in ids}
