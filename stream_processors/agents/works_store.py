"""Every researcher's works beside its profile, so a work costs the same however many the
researcher holds (profile v3: the profile keeps running totals and its newest works only).

One table (`profile-works`) holds, for researcher R:
- `R \\x1f <arXiv id>`: the work as the profile counted it (`schemas.profiles.Work`, JSON);
- `R \\x1f #i`: chunk i of R's arXiv ids in the order they came, at most CHUNK ids;
- `R \\x1f #`: how many chunks there are (ASCII digits).
Every key is partitioned by R (`clients.partitioning`), the partition of R's profile, so the worker
that owns a profile recovers its works from the same changelog partition.

A new work writes its entry and appends to the last chunk; a work that leaves (disowned, or moved
to a merge's survivor) is removed from its chunk and its entry deleted. Only a merge's move reads
the chunks whole. Chunks and the count are written before the entries, so a worker killed
between them leaves an id listed without an entry, or listed twice once the work is re-delivered:
`ids` skips neither, and `works` drops both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from clients.partitioning import compound_key
from schemas.profiles import Work
from stream_processors.agents.ports import Table

CHUNK = 512  # arXiv ids a chunk: about 8 KB


def work_key(researcher_id: str, arxiv_id: str) -> bytes:
    return compound_key(researcher_id, arxiv_id)


def chunk_key(researcher_id: str, index: int) -> bytes:
    return compound_key(researcher_id, f"#{index}")


def count_key(researcher_id: str) -> bytes:
    return compound_key(researcher_id, "#")


class WorksStore:
    """Reads and writes researchers' works over one table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, researcher_id: str, arxiv_id: str) -> Work | None:
        data = self.table.get(work_key(researcher_id, arxiv_id))
        return Work.model_validate_json(data) if data is not None else None

    def ids(self, researcher_id: str) -> list[str]:
        """The researcher's arXiv ids in the order they came (each once)."""
        listed: dict[str, None] = {}
        for index in range(self._chunks(researcher_id)):
            listed.update(dict.fromkeys(self._chunk(researcher_id, index)))
        return list(listed)

    def works(self, researcher_id: str) -> list[Work]:
        """Every work the researcher holds, in the order they came."""
        found = (self.get(researcher_id, arxiv_id) for arxiv_id in self.ids(researcher_id))
        return [work for work in found if work is not None]

    def write(self, researcher_id: str, changes: Mapping[str, Work | None]) -> None:
        """Store the works of `changes` and delete those mapped to None: lists, then entries."""
        present = {a: self.table.get(work_key(researcher_id, a)) is not None for a in changes}
        added = [a for a, work in changes.items() if work is not None and not present[a]]
        removed = {a for a, work in changes.items() if work is None and present[a]}
        count = self._chunks(researcher_id)
        if removed:
            for index in range(count):
                chunk = self._chunk(researcher_id, index)
                kept = [a for a in chunk if a not in removed]
                if len(kept) != len(chunk):
                    self.table[chunk_key(researcher_id, index)] = _dumps(kept)
        if added:
            last = max(count - 1, 0)
            chunk = self._chunk(researcher_id, last) if count else []
            for arxiv_id in added:
                if len(chunk) >= CHUNK:
                    self.table[chunk_key(researcher_id, last)] = _dumps(chunk)
                    last, chunk = last + 1, []
                chunk.append(arxiv_id)
            self.table[chunk_key(researcher_id, last)] = _dumps(chunk)
            if last + 1 != count:
                self.table[count_key(researcher_id)] = str(last + 1).encode()
        for arxiv_id, work in changes.items():
            if work is not None:
                self.table[work_key(researcher_id, arxiv_id)] = work.wire()
            elif arxiv_id in removed:
                del self.table[work_key(researcher_id, arxiv_id)]

    def _chunks(self, researcher_id: str) -> int:
        data = self.table.get(count_key(researcher_id))
        return int(data) if data is not None else 0

    def _chunk(self, researcher_id: str, index: int) -> list[str]:
        data = self.table.get(chunk_key(researcher_id, index))
        return list(json.loads(data)) if data is not None else []


def _dumps(ids: list[str]) -> bytes:
    return json.dumps(ids, separators=(",", ":")).encode()
