"""The worker's tables on local disk, so its memory does not grow with the corpus.

faust's in-memory store keeps every value of every table partition the worker holds in a dict:
at the end of the 2016 harvest about 1.4 GB of profiles, block parts, paper lines and scores, and
about 70 GB at the scale of arXiv (docs/performance.md 7g). faust's RocksDB store cannot replace
it here: it writes each value to the partition of the event being processed, and the batched
agents write after a batch is acknowledged, through the producer's partitioner, when there is no
current event (app.py, `_table`).

`Store` is faust's in-memory store with its dict replaced by `DiskMapping`, a table in a local
SQLite file: same semantics, same recovery, the values on disk and a page cache of
`SCHOLARSTREAM_TABLE_CACHE_MIB` in memory per table. The changelog stays the source of truth, as
with the in-memory store: the file is scratch, made empty when the worker starts (faust then
recovers the table from its changelog, as before), never synced, and deleted when the worker
stops. Each worker process has its own file (several workers may share a data directory); files
left by a process that no longer runs are deleted at start.

`SCHOLARSTREAM_TABLE_STORE=memory` keeps faust's in-memory store. Both announce on a `ChangeFeed`
what changes their contents other than the table's own writes.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

from faust.stores import STORES, memory
from faust.types import TP, EventT

SCHEME = "sqlite"
MEMORY_SCHEME = "feedmemory"  # faust's in-memory store with a change feed (`MemoryStore`)
COMMIT_EVERY = 256
_MISSING = object()


UPSERT = "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"


def open_scratch(path: Path, cache_mib: int) -> sqlite3.Connection:
    """A connection to the scratch file at `path`, holding the `kv` table (made if missing)."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    # Never synced (scratch); the rollback journal in memory, for `apply`'s savepoints.
    for pragma in ("journal_mode=MEMORY", "synchronous=OFF", "locking_mode=EXCLUSIVE", "temp_store=MEMORY",
                   f"cache_size=-{cache_mib * 1024}"):
        db.execute(f"PRAGMA {pragma}")
    db.execute("CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB, partition INTEGER)")
    return db


class DiskMapping(MutableMapping[bytes, Any]):
    """bytes -> bytes (or None, which faust stores for a deleted key until it drops it) in one
    SQLite table, with the changelog partition a recovered key came from."""

    def __init__(self, path: Path, cache_mib: int = 16) -> None:
        self.path = path
        self._lock = threading.Lock()  # the encoder's executor threads may read a table too
        self._db = open_scratch(path, cache_mib)
        # The number of keys, kept by triggers: `count(*)` walks the whole key index, and the
        # worker's report asks every table for its size every few seconds, so that walk grew with
        # the corpus (8 ms a table of 600,000 keys, 36 of 2,000,000; bench/table_store.py). An upsert that updates
        # fires no insert trigger; a savepoint rolled back takes its triggers' counts back too.
        self._db.executescript("""
            CREATE TABLE IF NOT EXISTS kv_count (n INTEGER NOT NULL);
            INSERT INTO kv_count (n) SELECT count(*) FROM kv WHERE NOT EXISTS (SELECT 1 FROM kv_count);
            CREATE TRIGGER IF NOT EXISTS kv_added AFTER INSERT ON kv BEGIN UPDATE kv_count SET n = n + 1; END;
            CREATE TRIGGER IF NOT EXISTS kv_removed AFTER DELETE ON kv BEGIN UPDATE kv_count SET n = n - 1; END;
        """)
        # Writes go into a transaction committed every COMMIT_EVERY writes: a commit per write
        # cost 19-26 us for a profile of 7 KB, one per 256 writes 10 us. Reads see the open
        # transaction's writes (one connection); the page cache and the journal stay bounded.
        self._pending = 0
        self._db.execute("BEGIN")
        # faust's table answers `table[key]` and `table.get(key)` with `key in store`, then
        # `store[key]`: two lookups of one key, back to back. `__contains__` reads the value and
        # keeps it here for the `get` that follows; any write clears it.
        self._checked: tuple[bytes, Any] | None = None

    def _written(self, count: int = 1) -> None:
        """Call with the lock held, after `count` writes."""
        self._checked = None
        self._pending += count
        if self._pending >= COMMIT_EVERY:
            self._db.execute("COMMIT")
            self._db.execute("BEGIN")
            self._pending = 0

    def _run(self, sql: str, parameters: Iterable[Any] = ()) -> sqlite3.Cursor:
        """A write."""
        with self._lock:
            cursor = self._db.execute(sql, tuple(parameters))
            self._written()
            return cursor

    def _one(self, sql: str, parameters: Iterable[Any] = ()) -> Any:
        with self._lock:
            return self._db.execute(sql, tuple(parameters)).fetchone()

    def get(self, key: bytes, default: Any = None) -> Any:
        with self._lock:
            checked, self._checked = self._checked, None
            if checked is not None and checked[0] == key:
                row = checked[1]
            else:
                row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return default if row is None else row[0]

    def __getitem__(self, key: bytes) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key: bytes, value: Any) -> None:
        self._run(UPSERT, (key, value))

    def __delitem__(self, key: bytes) -> None:
        if self._run("DELETE FROM kv WHERE key = ?", (key,)).rowcount == 0:
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
            self._checked = (key, row) if isinstance(key, bytes) else None
        return row is not None

    def __iter__(self) -> Iterator[bytes]:
        with self._lock:
            keys = [row[0] for row in self._db.execute("SELECT key FROM kv")]
        return iter(keys)

    def __len__(self) -> int:
        return int(self._one("SELECT n FROM kv_count")[0])

    def keys_from(self, prefix: bytes) -> list[bytes]:
        """The keys that start with `prefix`, in byte order: a range of the primary key's index."""
        head = prefix.rstrip(b"\xff")
        with self._lock:
            if not head:  # empty or all 0xff: every key from the prefix on starts with it
                rows = self._db.execute("SELECT key FROM kv WHERE key >= ? ORDER BY key", (prefix,))
            else:
                end = head[:-1] + bytes([head[-1] + 1])  # the first key past every key with the prefix
                rows = self._db.execute("SELECT key FROM kv WHERE key >= ? AND key < ? ORDER BY key", (prefix, end))
            return [row[0] for row in rows]

    def clear(self) -> None:
        self._run("DELETE FROM kv")

    def apply(self, changes: Iterable[tuple[bytes, Any, int]]) -> None:
        """Changelog records in order, all or none: (key, value, partition); a None value deletes the key."""
        with self._lock:
            self._db.execute("SAVEPOINT batch")
            count = 0
            try:
                for key, value, partition in changes:
                    count += 1
                    if value is None:
                        self._db.execute("DELETE FROM kv WHERE key = ?", (key,))
                    else:
                        self._db.execute(
                            "INSERT INTO kv (key, value, partition) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
                            "SET value = excluded.value, partition = excluded.partition", (key, value, partition))
            except BaseException:
                self._db.execute("ROLLBACK TO batch")
                self._db.execute("RELEASE batch")
                raise
            self._db.execute("RELEASE batch")
            self._written(count)

    def keep_partitions(self, partitions: set[int]) -> int:
        """Drop the recovered keys of every other partition (faust's in-memory store does the same)."""
        if not partitions:
            return self._run("DELETE FROM kv WHERE partition IS NOT NULL").rowcount
        marks = ",".join("?" * len(partitions))
        return self._run(f"DELETE FROM kv WHERE partition IS NOT NULL AND partition NOT IN ({marks})",  # noqa: S608 - only ? marks
                         sorted(partitions)).rowcount

    def close(self) -> None:
        with self._lock:
            self._db.execute("COMMIT")
            self._db.close()


def keys_with_prefix(mapping: Any, prefix: bytes) -> list[bytes]:
    """A mapping's keys that start with `prefix`, in order: a range of a `DiskMapping` (or of
    anything with `keys_from`), else a scan of every key (faust's in-memory store, a dict)."""
    ranged = getattr(mapping, "keys_from", None)
    if ranged is not None:
        return list(ranged(prefix))
    return sorted(key for key in mapping if key.startswith(prefix))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def scratch_file(directory: Path, table: str, pid: int | None = None) -> Path:
    """This process's file for `table`, after deleting the files of processes that no longer run."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob(f"{table}.*.sqlite"):
        owner = old.name[len(table) + 1 : -len(".sqlite")]
        if owner.isdigit() and not _alive(int(owner)):
            old.unlink(missing_ok=True)
    path = directory / f"{table}.{pid or os.getpid()}.sqlite"
    path.unlink(missing_ok=True)  # scratch: the table is recovered from its changelog
    return path


class ChangeFeed:
    """What changed in a store other than through its table's own writes: the keys a changelog
    batch applied (a recovery, a standby catching up), or None when any key may have changed (the
    keys of partitions no longer active dropped after a rebalance). Within one worker process these
    are the only other ways a table's contents change, so a cache of decoded values over a table
    (agents/block_store.py) is current while the feed has not named its keys."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[list[bytes] | None], None]] = []

    def subscribe(self, callback: Callable[[list[bytes] | None], None]) -> None:
        self._subscribers.append(callback)

    def changed(self, keys: list[bytes] | None) -> None:
        for callback in self._subscribers:
            callback(keys)

    def applied(self, events: list[EventT], to_key: Callable[[Any], Any]) -> None:
        """A changelog batch was applied: its keys, named only when someone listens (most tables'
        recoveries have nobody to tell)."""
        if self._subscribers:
            self.changed([to_key(event.key) for event in events])


def change_feed(table: Any) -> ChangeFeed | None:
    """The feed of a faust table's store, if it has one (a plain dict, as in tests, has none)."""
    store = getattr(table, "data", None)
    return getattr(store, "changes", None)


class MemoryStore(memory.Store):
    """faust's in-memory store with a `ChangeFeed` (registered as `feedmemory://`)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.changes = ChangeFeed()

    def apply_changelog_batch(self, batch: Iterable[EventT], to_key: Callable[[Any], Any],
                              to_value: Callable[[Any], Any]) -> None:
        events = list(batch)
        super().apply_changelog_batch(events, to_key, to_value)
        self.changes.applied(events, to_key)

    async def on_recovery_completed(self, active_tps: set[TP], standby_tps: set[TP]) -> None:
        await super().on_recovery_completed(active_tps, standby_tps)
        self.changes.changed(None)


class Store(MemoryStore):
    """faust's in-memory store, its values in a `DiskMapping` (registered as `sqlite://`)."""

    def __init__(self, url: Any, app: Any, table: Any, **kwargs: Any) -> None:
        super().__init__(url, app, table, **kwargs)  # its __post_init__ makes the dicts this replaces
        directory = Path(self.app.conf.datadir) / "tables"
        cache_mib = int(self.url.query.get("cache_mib", "16"))
        self.data: DiskMapping = DiskMapping(scratch_file(directory, self.table_name), cache_mib)
        self._key_partition = {}  # kept in the file instead

    def keys_from(self, prefix: bytes) -> list[bytes]:
        return self.data.keys_from(prefix)

    def apply_changelog_batch(self, batch: Iterable[EventT], to_key: Callable[[Any], Any],
                              to_value: Callable[[Any], Any]) -> None:
        events = list(batch)
        self.data.apply((to_key(event.key), None if event.message.value is None else to_value(event.value),
                         event.message.partition) for event in events)
        self.changes.applied(events, to_key)

    async def on_recovery_completed(self, active_tps: set[TP], standby_tps: set[TP]) -> None:  # noqa: ARG002 - faust's signature
        # As faust's in-memory store: recovered keys of partitions no longer active are dropped.
        self.data.keep_partitions({partition for _, partition in active_tps})
        self.changes.changed(None)

    async def on_stop(self) -> None:
        self.data.close()
        self.data.path.unlink(missing_ok=True)


STORES.aliases.setdefault(SCHEME, f"{__name__}:Store")
STORES.aliases.setdefault(MEMORY_SCHEME, f"{__name__}:MemoryStore")


def store_url(kind: str, cache_mib: int) -> str:
    """The faust store URL for `SCHOLARSTREAM_TABLE_STORE`: `disk` (this module) or `memory`."""
    return f"{SCHEME}://?cache_mib={cache_mib}" if kind == "disk" else f"{MEMORY_SCHEME}://"
