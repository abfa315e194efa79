"""assemble-works (researcher.authorships -> researcher.works): collect a paper's linked author
lines (the `paper-authors` table, keyed by paper); once all are in, one WorkAssignment per author."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.linking_events import Authorship
from stream_processors.agents.boundary import BatchReport, DeadLetters, Step, run_batch
from stream_processors.agents.state import LinkingState
from stream_processors.linking_stage import assemble


@dataclass
class AssembleAgent:
    state: LinkingState
    dead_letters: DeadLetters

    async def handle(self, events: Sequence[Any]) -> BatchReport:
        return await run_batch(events, self._step, self._write, self.dead_letters)

    async def _step(self, event: Any, staged: dict[bytes, Any]) -> Step:
        authorship = Authorship.model_validate_json(event.value)
        key = authorship.arxiv_id.encode()
        if key in staged:
            known = staged[key]
        else:
            stored = self.state.paper_authors.get(key)
            known = {int(p): Authorship.model_validate(a) for p, a in json.loads(stored).items()} if stored else {}
        known, assignments = assemble(known, authorship)
        return Step(event, [await self.state.send_work(a) for a in assignments], key, known)

    def _write(self, key: bytes, known: dict[int, Authorship]) -> None:
        self.state.paper_authors[key] = json.dumps({str(p): a.model_dump(mode="json") for p, a in known.items()}).encode()
