"""A faust table whose changelog is a topic the agents publish to themselves.

The `profiles` table holds each researcher's latest revision, which the agents publish on
`researcher.profiles` (compacted, keyed by researcher id, partitioned by the same partitioner as
the table). A changelog of its own would hold the same bytes under the same keys a second time:
about a fifth of all the bytes the pipeline wrote to Kafka (docs/performance.md, 7g). So the table
is made with `researcher.profiles` as its changelog, faust recovers it from there, and this
wrapper updates the worker's copy without a changelog write: the record that changes it is
already in the topic, acknowledged (`agents/state.py`, `remember_profile`), so the table and
the topic hold the same revision, as before. The `profile-works` table is the same over
`researcher.profile.works` (`agents/works_store.py`).
"""

from __future__ import annotations

from typing import Any

from stream_processors.table_store import keys_with_prefix


class PublishedTable:
    """`get` as faust's table; `[]=` writes the worker's copy only (the table's store)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, key: bytes, default: Any = None) -> Any:
        return self._table.get(key, default)

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._table.data[key] = value  # faust's `table[key] = value` would send it to the changelog again

    def __delitem__(self, key: bytes) -> None:
        raise TypeError("a published table's key is never deleted: the topic gets a record that says so instead")

    def keys_from(self, prefix: bytes) -> list[bytes]:
        """The worker's keys that start with `prefix`, in order (a range of our SQLite store, a scan
        of faust's in-memory one)."""
        return keys_with_prefix(self._table.data, prefix)
