"""The linking and profile agents' steps driven in memory, with dicts as tables and deques as topics.

The worker runs the same pure steps (`linking_stage`, `merge_stage`); what only the real worker
has is the interleaving of topics, which here is an explicit choice (`merges_first`), so a test can
show that the outcome does not depend on it.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime

from schemas.linking_events import WorkAssignment
from schemas.profiles import MergeEvent, MergeMove, ResearcherProfile, ResearcherSignal
from stream_processors.collaborator_trust import encode_redirect, encode_score, lookup_from
from stream_processors.linking.state_codec import dumps_block, loads_block
from stream_processors.linking_stage import apply_product_signal, assemble, link_and_merge, profile, redirected, route
from stream_processors.merge_stage import on_merge, on_move
from stream_processors.profiles import ProfileUpdateRejected

NOW = datetime(2026, 2, 1, tzinfo=UTC)


class StreamModel:
    def __init__(self, merges_first: bool = True) -> None:
        self.merges_first = merges_first
        self.blocks: dict[str, bytes] = {}
        self.paper_authors: dict[str, dict] = {}
        self.profiles: dict[str, ResearcherProfile] = {}
        self.scores: dict[bytes, bytes] = {}
        self.works: deque[WorkAssignment] = deque()
        self.merges: deque[MergeEvent] = deque()
        self.moves: deque[MergeMove] = deque()
        self.signals: deque[ResearcherSignal] = deque()
        self.merge_log: list[MergeEvent] = []
        self.refused: list[str] = []
        self.published: list[ResearcherProfile] = []

    # --- linking ---------------------------------------------------------------------------

    def ingest(self, papers) -> StreamModel:
        for item in papers:
            for mention in route(item):
                key = mention.mention.blocking_key
                stored = self.blocks.get(key)
                state, authorship, merges = link_and_merge(loads_block(stored) if stored else None, mention, NOW)
                self.blocks[key] = dumps_block(state)
                self.merges.extend(merges)
                self.merge_log.extend(merges)
                known, assignments = assemble(self.paper_authors.get(authorship.arxiv_id, {}), authorship)
                self.paper_authors[authorship.arxiv_id] = known
                self.works.extend(assignments)
        return self

    # --- profiles --------------------------------------------------------------------------

    def _publish(self, updated: ResearcherProfile) -> None:
        rid = updated.researcher_id
        self.profiles[rid] = updated
        self.published.append(updated)
        if updated.merged_into:
            self.scores[rid.encode()] = encode_redirect(updated.merged_into)
        elif updated.trust is not None:
            self.scores[rid.encode()] = encode_score(updated.trust.score)

    def drain(self) -> StreamModel:
        lookup = lookup_from(self.scores.get)
        order = (self.merges, self.moves, self.signals, self.works) if self.merges_first else (
            self.works, self.signals, self.moves, self.merges)
        while any(order):
            queue = next(q for q in order if q)
            item = queue.popleft()
            if queue is self.works:
                try:
                    updated, _ = profile(self.profiles.get(item.researcher_id), item, NOW, lookup)
                except ProfileUpdateRejected as rejected:
                    self.works.append(redirected(item, rejected.redirect_to))
                    continue
                self._publish(updated)
            elif queue is self.merges:
                outcome = on_merge(self.profiles.get(item.retired_id), item)
                if outcome.rejected:
                    self.refused.append(outcome.rejected)
                if outcome.forward is not None:
                    self.merges.append(outcome.forward)
                if outcome.profile is not None:
                    self._publish(outcome.profile)
                if outcome.move is not None:
                    self.moves.append(outcome.move)
            elif queue is self.moves:
                outcome = on_move(self.profiles.get(item.target_id), item, NOW, lookup)
                if outcome.move is not None:
                    if outcome.move.bounced:
                        self.refused.append(outcome.move.bounced)
                    self.moves.append(outcome.move)
                if outcome.profile is not None:
                    self._publish(outcome.profile)
                self.works.extend(outcome.assignments)
            else:
                outcome = apply_product_signal(self.profiles.get(item.researcher_id), item, NOW, lookup)
                if outcome.redirect_to:
                    self.signals.append(item.model_copy(update={"researcher_id": outcome.redirect_to}))
                if outcome.rejected:
                    self.refused.append(outcome.rejected)
                if outcome.profile is not None:
                    self._publish(outcome.profile)
                if outcome.merge is not None:
                    self.merges.append(outcome.merge)
                self.works.extend(outcome.assignments)
        return self

    def signal(self, *signals: ResearcherSignal) -> StreamModel:
        self.signals.extend(signals)
        return self.drain()

    # --- reading ---------------------------------------------------------------------------

    def live(self) -> dict[str, ResearcherProfile]:
        return {rid: p for rid, p in self.profiles.items() if p.merged_into is None}

    def by_name(self, text: str) -> ResearcherProfile:
        (found,) = [p for p in self.live().values() if any(text in v.name for v in p.name_variants)]
        return found

    def placed(self) -> list[tuple[str, str]]:
        """(arXiv id, researcher id) for every work of every live profile, sorted."""
        return sorted((w.arxiv_id, p.researcher_id) for p in self.live().values() for w in p.works)
