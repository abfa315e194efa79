"""The worker's tables on disk: a mapping with the in-memory store's semantics, in a scratch file."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from stream_processors.table_store import COMMIT_EVERY, DiskMapping, change_feed, scratch_file, store_url


def test_a_disk_mapping_behaves_as_a_dict_of_bytes(tmp_path):
    table = DiskMapping(scratch_file(tmp_path, "profiles"))
    table[b"r-1"] = b"one"
    table[b"r-2"] = None  # faust stores None for a key it is about to drop
    table[b"r-1"] = b"uno"
    assert table[b"r-1"] == b"uno" and table.get(b"r-2", b"absent") is None and table.get(b"r-3") is None
    assert b"r-1" in table and b"r-3" not in table and len(table) == 2 and sorted(table) == [b"r-1", b"r-2"]
    with pytest.raises(KeyError):
        table[b"r-3"]
    del table[b"r-2"]
    with pytest.raises(KeyError):
        del table[b"r-2"]
    assert dict(table.items()) == {b"r-1": b"uno"}
    table.clear()
    assert len(table) == 0


def test_a_lookup_after_a_membership_test_reads_the_file_once_and_never_a_stale_value(tmp_path):
    from mode.utils.collections import FastUserDict

    class Table(FastUserDict):  # faust's table: `key in data`, then `data[key]`
        def __init__(self, data):
            self.data = data

        def __missing__(self, key):
            return None

    mapping = DiskMapping(scratch_file(tmp_path, "profiles"))
    mapping[b"r-1"], mapping[b"r-2"] = b"one", None
    selects: list[str] = []
    mapping._db.set_trace_callback(lambda sql: selects.append(sql) if sql.startswith("SELECT") else None)
    table = Table(mapping)
    assert table[b"r-1"] == b"one" and table.get(b"r-2", b"absent") is None and table[b"r-3"] is None
    assert len(selects) == 3  # one a lookup, the missing key's included
    assert b"r-1" in mapping
    mapping[b"r-1"] = b"uno"  # a write between the test and the lookup
    assert mapping[b"r-1"] == b"uno"
    assert b"r-1" in mapping
    mapping.apply([(b"r-1", b"eins", 0)])
    assert mapping.get(b"r-1") == b"eins"
    assert b"r-1" in mapping and mapping.get(b"r-2", b"absent") is None  # the kept value is only for its own key
    assert b"r-1" in mapping
    del mapping[b"r-1"]
    assert mapping.get(b"r-1", b"gone") == b"gone"


def test_changelog_records_apply_in_order_and_other_partitions_can_be_dropped(tmp_path):
    table = DiskMapping(scratch_file(tmp_path, "blocks"))
    table[b"written"] = b"by an agent"  # not from a changelog: no partition, kept like faust's memory store
    table.apply([(b"a", b"1", 0), (b"b", b"2", 1), (b"a", None, 0), (b"c", b"3", 2), (b"a", b"again", 0)])
    assert dict(table.items()) == {b"written": b"by an agent", b"b": b"2", b"c": b"3", b"a": b"again"}
    assert table.keep_partitions({0, 2}) == 1
    assert sorted(table) == [b"a", b"c", b"written"]
    assert table.keep_partitions(set()) == 2 and sorted(table) == [b"written"]


def test_a_failed_batch_changes_nothing(tmp_path):
    table = DiskMapping(scratch_file(tmp_path, "blocks"))

    def changes():
        yield b"a", b"1", 0
        raise RuntimeError("a record that cannot be decoded")

    with pytest.raises(RuntimeError):
        table.apply(changes())
    assert len(table) == 0


def test_the_scratch_file_starts_empty_and_a_dead_process_file_is_deleted(tmp_path):
    first = DiskMapping(scratch_file(tmp_path, "profiles", pid=os.getpid()))
    first[b"k"] = b"v"
    first.close()
    again = DiskMapping(scratch_file(tmp_path, "profiles", pid=os.getpid()))
    assert len(again) == 0, "the table is recovered from its changelog, never from the file"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    dead = int(gone.stdout)
    DiskMapping(tmp_path / f"profiles.{dead}.sqlite").close()
    DiskMapping(tmp_path / f"blocks.{dead}.sqlite").close()
    DiskMapping(tmp_path / f"profiles.{os.getppid()}.sqlite").close()
    scratch_file(tmp_path, "profiles")
    assert not (tmp_path / f"profiles.{dead}.sqlite").exists()
    assert (tmp_path / f"blocks.{dead}.sqlite").exists(), "another table's files are that table's to sweep"
    assert (tmp_path / f"profiles.{os.getppid()}.sqlite").exists(), "another live process keeps its file"


def test_the_setting_names_the_store():
    assert store_url("memory", 16) == "feedmemory://"
    assert store_url("disk", 32) == "sqlite://?cache_mib=32"


def test_writes_across_commits_are_all_read_back_and_kept_by_close(tmp_path):
    path = scratch_file(tmp_path, "paper-authorships")
    table = DiskMapping(path)
    for number in range(COMMIT_EVERY * 2 + 7):
        table[b"%d" % number] = b"x" * number
    with pytest.raises(RuntimeError):
        table.apply(_failing([(b"0", None, 0), (b"new", b"v", 0)]))
    assert len(table) == COMMIT_EVERY * 2 + 7 and table[b"0"] == b"" and b"new" not in table
    table.close()
    assert len(DiskMapping(path)) == COMMIT_EVERY * 2 + 7


def _failing(changes):
    yield from changes
    raise RuntimeError("a record that cannot be decoded")


def test_the_keys_with_a_prefix_are_a_range_of_the_index_and_match_a_scan(tmp_path):
    mapping = DiskMapping(tmp_path / "t.sqlite")
    keys = [b"r-1\x1fa", b"r-1\x1fb", b"r-1", b"r-10\x1fa", b"r-2\x1fa", b"r\xff", b"r\xff\xff\x01", b"s", b"\xff\xff", b""]
    for key in keys:
        mapping[key] = b"v"
    for prefix in (b"r-1\x1f", b"r-1", b"r", b"r\xff", b"r\xff\xff", b"\xff", b"s", b"t", b""):
        assert mapping.keys_from(prefix) == sorted(k for k in keys if k.startswith(prefix)), prefix
    mapping.close()


@dataclass
class Message:
    value: bytes | None
    partition: int


@dataclass
class ChangelogEvent:
    key: bytes
    value: bytes | None
    message: Message


def changelog(*records: tuple[bytes, bytes | None, int]) -> list[ChangelogEvent]:
    return [ChangelogEvent(key, value, Message(value, partition)) for key, value, partition in records]


@pytest.mark.parametrize("kind", ["memory", "disk"])
def test_both_stores_announce_what_a_changelog_or_a_rebalance_changed(tmp_path, kind):
    import faust
    from faust.types import TP

    app = faust.App(f"feed-test-{kind}", store=store_url(kind, 1), datadir=str(tmp_path))
    table = app.Table("blocks", default=None, partitions=2, key_type=bytes, value_type=bytes)
    feed = change_feed(table)
    assert feed is not None and change_feed({}) is None
    heard: list[list[bytes] | None] = []
    feed.subscribe(heard.append)
    store = table.data
    store[b"written"] = b"by the table itself"
    assert heard == [], "the table's own writes are not announced"
    store.apply_changelog_batch(changelog((b"a", b"1", 0), (b"b", b"2", 1), (b"a", None, 0)), lambda k: k, lambda v: v)
    assert heard == [[b"a", b"b", b"a"]]
    assert store.get(b"b") == b"2" and store.get(b"a") is None
    asyncio.run(store.on_recovery_completed({TP(table.changelog_topic.get_topic_name(), 0)}, set()))
    assert heard[-1] is None, "partitions dropped: anything may have changed"
    assert store.get(b"b") is None, "partition 1 is not active here"


def test_the_kept_count_matches_a_count_of_the_keys_through_every_kind_of_write(tmp_path):
    import random

    path = tmp_path / "t.sqlite"
    table = DiskMapping(path)
    rnd = random.Random(7)
    keys = [b"k%d" % n for n in range(60)]

    def counted() -> int:
        return table._db.execute("SELECT count(*) FROM kv").fetchone()[0]

    for step in range(2_000):
        key = rnd.choice(keys)
        kind = rnd.random()
        if kind < 0.45:
            table[key] = b"v%d" % step  # an insert or an update
        elif kind < 0.6:
            table[key] = None
        elif kind < 0.8:
            try:
                del table[key]
            except KeyError:
                pass
        elif kind < 0.9:
            table.apply([(rnd.choice(keys), rnd.choice([b"x", None]), rnd.randrange(3)) for _ in range(5)])
        elif kind < 0.95:
            with pytest.raises(RuntimeError):
                table.apply(_failing([(rnd.choice(keys), b"y", 0), (rnd.choice(keys), None, 1)]))
        else:
            table.keep_partitions({rnd.randrange(3)})
        assert len(table) == counted(), f"step {step}"
    table.clear()
    assert len(table) == 0 == counted()
    table[b"again"] = b"1"
    table.close()
    assert len(DiskMapping(path)) == 1, "a file opened again counts what it holds"
