"""Every researcher's works beside its profile, so a work costs the same however many the
researcher holds (profile v3: the profile keeps running totals and its newest works only).

The `profile-works` table holds, under `R \\x1f <arXiv id>` (partitioned by R, the partition of R's
profile), the last `researcher.profile.works` record the worker sent for that work of researcher
R: the work as the profile counted it, or a record with `removed` set for a work that left (disowned,
or moved to a merge's survivor). The table's changelog is that topic itself (`published_table.py`):
the records the indexer reads are the ones a recovery reads, so they are written to Kafka once,
and a recovered table holds exactly what the live one held.

A merge's move reads all of a researcher's works: the keys under `R \\x1f`, in key order (an
indexed range of the worker's SQLite store, `table_store.DiskMapping.keys_from`; a scan of the
keys in faust's in-memory store).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from clients.partitioning import compound_key
from schemas.profiles import ProfileWork, Work
from stream_processors.agents.ports import Table
from stream_processors.table_store import keys_with_prefix


@dataclass(frozen=True)
class StoredWork:
    """One `researcher.profile.works` record as it was sent: its work (None when the record
    removes it) and its bytes, which the table keeps."""

    work: Work | None
    data: bytes


def work_key(researcher_id: str, arxiv_id: str) -> bytes:
    return compound_key(researcher_id, arxiv_id)


def stored_work(record: ProfileWork) -> StoredWork:
    return StoredWork(None if record.removed else record.work, record.wire())


class WorksStore:
    """Reads and writes researchers' works over one table."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, researcher_id: str, arxiv_id: str) -> Work | None:
        return _work(self.table.get(work_key(researcher_id, arxiv_id)))

    def works(self, researcher_id: str) -> list[Work]:
        """Every work the researcher holds, in arXiv id order."""
        found = (_work(self.table.get(key)) for key in keys_with_prefix(self.table, compound_key(researcher_id, "")))
        return [work for work in found if work is not None]

    def write(self, researcher_id: str, records: Mapping[str, StoredWork]) -> None:
        """Keep the records a revision sent (the topic holds them already, acknowledged)."""
        for arxiv_id, record in records.items():
            self.table[work_key(researcher_id, arxiv_id)] = record.data


def _work(data: bytes | None) -> Work | None:
    if data is None:
        return None
    record = ProfileWork.model_validate_json(data)
    return None if record.removed else record.work
