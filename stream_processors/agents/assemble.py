"""assemble-works (researcher.authorships -> researcher.works): collect a paper's linked author
lines (the `paper-authorships` table, in parts: `paper_store.py`); once all are in, one
WorkAssignment per author.

A line of a paper that the table already holds complete, re-delivered unchanged (a worker
restarted before committing it), sends nothing: the table records a paper complete only after
Kafka acknowledged its assignments, so they are out. Re-sending them cost a re-delivered paper of
n authors n * n assignments: the fault test's killed run wrote 4,007 works where the uninterrupted
run wrote 377, and now writes 377 (fault test 1's `derived_records`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas.linking_events import Authorship, WorkAssignment
from stream_processors.agents.boundary import BatchReport, DeadLetters, Step, run_batch
from stream_processors.agents.paper_store import Collecting, PaperStore
from stream_processors.agents.state import LinkingState
from stream_processors.linking_stage import assemble


@dataclass
class AssembleAgent:
    state: LinkingState
    dead_letters: DeadLetters
    papers: PaperStore = field(init=False)

    def __post_init__(self) -> None:
        self.papers = PaperStore(self.state.paper_authors)

    async def handle(self, events: Sequence[Any]) -> BatchReport:
        return await run_batch(events, self._step, self._write, self.dead_letters)

    async def _step(self, event: Any, staged: dict[bytes, Any]) -> Step:
        authorship = Authorship.model_validate_json(event.value)
        key = authorship.arxiv_id.encode()
        current = staged[key] if key in staged else self.papers.begin(key)
        if key not in staged and self.papers.holds_complete(key, current, authorship):
            return Step(event)
        after = self.papers.add(key, current, authorship)
        if after is None:  # a line of an older version of the paper: nothing changes
            return Step(event)
        assignments: list[WorkAssignment] = []
        if after.linked >= after.author_count:  # complete: read the other lines once
            everyone = self.papers.everyone(key, after)
            others = {p: line for p, line in everyone.items() if p != authorship.position}
            _, assignments = assemble(others, authorship)
            after = self.papers.settled(after, everyone)
        return Step(event, [await self.state.send_work(a) for a in assignments], key, after)

    def _write(self, key: bytes, collecting: Collecting) -> None:
        self.papers.write(key, collecting)
