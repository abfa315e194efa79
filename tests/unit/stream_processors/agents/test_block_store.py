"""block_store: a block lives in parts, a mention rewrites only what it changed, and what is read
back is the block the linker built, after a recovery and after a crash cut a write short."""

from __future__ import annotations

import itertools
import json

import pytest

from schemas.linking_events import Authorship, MentionEvent
from stream_processors.agents import LinkAgent, block_store
from stream_processors.agents.block_store import CHUNK, BlockStore, chunk_key, rechunk, summary_key
from stream_processors.agents.state import Decoded
from stream_processors.linking.linker import BlockState, ResearcherSummary
from stream_processors.linking.state_codec import dumps_ids, dumps_summary
from stream_processors.linking_stage import link_and_merge
from stream_processors.table_store import ChangeFeed, DiskMapping
from tests.unit.stream_processors.agents.memory import (
    AUTHORSHIPS,
    LINK_DLQ,
    MENTIONS,
    NOW,
    Worker,
    handle,
    paper,
    pending,
)


class CountingTable(dict):
    """A dict table that records every key written or deleted."""

    def __init__(self) -> None:
        super().__init__()
        self.touched: list[bytes] = []

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.touched.append(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: bytes) -> None:
        self.touched.append(key)
        super().__delitem__(key)


def given_names(count: int) -> list[str]:
    letters = "bcdfghjklmnprstvz"
    return [f"Q{a}a{b}{c}" for a, b, c in itertools.islice(itertools.product(letters, "aeiou", letters), count)]


def worker_with_counting_blocks() -> tuple[Worker, CountingTable]:
    worker = Worker()
    table = CountingTable()
    worker.state.blocks = table
    agent = worker.handlers[MENTIONS]
    assert isinstance(agent, LinkAgent)
    agent.blocks = BlockStore(table)
    return worker, table


def store_of(worker: Worker) -> BlockStore:
    agent = worker.handlers[MENTIONS]
    assert isinstance(agent, LinkAgent)
    return agent.blocks


def link_all(worker: Worker, papers) -> list[Authorship]:
    worker.ingest(papers)
    return [Authorship.model_validate_json(e.value) for e in worker.topics[AUTHORSHIPS].log]


# --- chunks ----------------------------------------------------------------------------------


def test_new_ids_go_to_the_last_chunk_and_a_new_one_when_it_is_full():
    ids = [f"r-{n}" for n in range(CHUNK + 2)]
    chunks, changed = rechunk((), ids[:3])
    assert chunks == (tuple(ids[:3]),) and changed == [0]
    chunks, changed = rechunk((tuple(ids[:CHUNK]),), ids)
    assert chunks == (tuple(ids[:CHUNK]), tuple(ids[CHUNK:])) and changed == [1], "the full chunk is not rewritten"


def test_an_id_that_left_is_removed_from_its_own_chunk_only():
    first, second = tuple(f"a{n}" for n in range(CHUNK)), ("b0", "b1")
    chunks, changed = rechunk((first, second), [*first[1:], *second])
    assert chunks == (first[1:], second) and changed == [0]


def test_an_order_the_chunks_cannot_hold_is_laid_out_afresh():
    chunks, changed = rechunk((("a", "b"), ("c",)), ["b", "a"])
    assert chunks == (("b", "a"),) and changed == [0, 1]


# --- a mention writes what it changed ----------------------------------------------------------


def test_a_large_block_is_written_in_parts_each_far_below_kafkas_limit():
    worker, table = worker_with_counting_blocks()
    people = given_names(300)
    papers = [paper(f"2612.{n:05d}", [("Zyxwright", name, [])], vector=(1.0, 0.1 * n, 0.0, 0.5)) for n, name in enumerate(people)]
    linked = link_all(worker, papers)
    assert len({a.researcher_id for a in linked}) == 300, "300 distinct given names are 300 people"
    block = b"zyxwright_q"
    assert json.loads(table[block]) == {"schema": 2, "chunks": 1}
    assert len(json.loads(table[chunk_key(block, 0)])) == 300
    assert max(len(v) for v in table.values()) < 10_000

    table.touched.clear()
    link_all(worker, [paper("2612.99999", [("Zyxwright", people[7], [])], vector=(1.0, 0.7, 0.0, 0.5))])
    again = Authorship.model_validate_json(worker.topics[AUTHORSHIPS].log[-1].value)
    assert again.researcher_id == linked[7].researcher_id and not again.created
    assert table.touched == [summary_key(block, again.researcher_id)], "one summary, nothing else"

    table.touched.clear()
    link_all(worker, [paper("2612.99998", [("Zyxwright", "Qwerty", [])])])
    assert table.touched[1:] == [chunk_key(block, 0)], "a new person: its summary and its chunk"


def test_the_head_is_written_when_a_block_begins_and_when_a_person_opens_a_chunk(monkeypatch):
    monkeypatch.setattr(block_store, "CHUNK", 2)
    worker, table = worker_with_counting_blocks()
    people = given_names(3)
    block = b"zyxwright_q"
    link_all(worker, [paper("2612.00000", [("Zyxwright", people[0], [])])])
    assert table.touched[-1] == block and json.loads(table[block]) == {"schema": 2, "chunks": 1}
    table.touched.clear()
    link_all(worker, [paper("2612.00001", [("Zyxwright", people[1], [])])])
    assert block not in table.touched, "the second person fits the first chunk"
    table.touched.clear()
    link_all(worker, [paper("2612.00002", [("Zyxwright", people[2], [])])])
    assert table.touched[1:] == [chunk_key(block, 1), block] and json.loads(table[block]) == {"schema": 2, "chunks": 2}
    recovered = BlockStore({key: bytes(bytearray(value)) for key, value in table.items()})
    assert len(recovered.begin(block).block.researchers) == 3


def test_what_the_store_holds_is_the_block_the_linker_built_and_a_recovered_worker_reads_it_back():
    worker, table = worker_with_counting_blocks()
    papers = [
        paper("1601.00001", [("Wang", "Zheng", []), ("Smith", "Adam", [])], vector=(1.0, 0.0, 0.0, 0.0)),
        paper("1601.00002", [("Wang", "Z.", []), ("Smith", "Adam", [])], vector=(1.0, 0.1, 0.0, 0.0)),
        paper("1601.00003", [("Wang", "Zhen", []), ("Ortiz", "Ana", [])], vector=(0.0, 1.0, 0.0, 0.0), categories=("q-bio.NC",)),
        paper("1601.00004", [("Wang", "Zheng", []), ("Smith", "Adam", [])], vector=(1.0, 0.0, 0.1, 0.0)),
    ]
    link_all(worker, papers)
    expected = None  # the same mentions through the pure step, with the block in memory
    for event in worker.topics[MENTIONS].log:
        mention = MentionEvent.model_validate_json(event.value)
        if mention.mention.blocking_key == "wang_z":
            expected, _, _ = link_and_merge(expected, mention, NOW)
    live = store_of(worker).begin(b"wang_z").block
    assert live == expected
    recovered = BlockStore({key: bytes(bytearray(value)) for key, value in table.items()})  # new objects, as after recovery
    assert recovered.begin(b"wang_z").block == expected


class ReadCountingTable(CountingTable):
    """A dict table that also counts its reads."""

    reads = 0

    def get(self, key, default=None):
        self.reads += 1
        return super().get(key, default)


def test_a_cached_block_is_used_without_reading_the_table_until_the_feed_names_one_of_its_keys():
    worker = Worker()
    table = ReadCountingTable()
    worker.state.blocks = table
    feed = ChangeFeed()
    agent = worker.handlers[MENTIONS]
    assert isinstance(agent, LinkAgent)
    agent.blocks = store = BlockStore(table, changes=feed)
    (linked,) = link_all(worker, [paper("1601.00001", [("Wang", "Zheng", [])])])
    table.reads = 0
    first = store.begin(b"wang_z").block
    assert store.begin(b"wang_z").block is first and table.reads == 0, "written by this store: read from its cache"

    feed.changed([b"wang_q", summary_key(b"wang_q", "r-0")])  # another block's keys: nothing to drop
    assert store.begin(b"wang_z").block is first and table.reads == 0

    # A recovery or a standby applied a changelog record of this block: read it again.
    table[summary_key(b"wang_z", linked.researcher_id)] = bytes(bytearray(table[summary_key(b"wang_z", linked.researcher_id)]))
    feed.changed([summary_key(b"wang_z", linked.researcher_id)])
    again = store.begin(b"wang_z").block
    assert again is not first and again == first and table.reads > 0

    table.reads = 0
    assert store.begin(b"wang_z").block is again and table.reads == 0
    feed.changed(None)  # partitions dropped after a rebalance: anything may have changed
    assert store.begin(b"wang_z").block is not again and table.reads > 0


def test_a_stale_cache_is_what_the_feed_prevents():
    """Without the feed's word, a change made behind the store's back is not seen: the feed is what
    keeps the cache honest (this test fails if the store ever reads the table for a cached block,
    and the one above fails if it ignores the feed)."""
    table, (first, second) = _two_people_block()
    feed = ChangeFeed()
    store = BlockStore(table, changes=feed)
    assert set(store.begin(b"wang_z").block.researchers) == {first, second}
    del table[summary_key(b"wang_z", second)]  # as a recovered tombstone would
    assert set(store.begin(b"wang_z").block.researchers) == {first, second}
    feed.changed([summary_key(b"wang_z", second)])
    assert set(store.begin(b"wang_z").block.researchers) == {first}


class CountingDisk(DiskMapping):
    """The worker's SQLite store, counting the summaries read."""

    summaries_read = 0
    heads_read = 0

    def get(self, key: bytes, default=None):
        if b"\x1f" in key and b"\x1f#" not in key:
            self.summaries_read += 1
        elif b"\x1f" not in key:
            self.heads_read += 1
        return super().get(key, default)


def test_on_the_sqlite_store_a_block_is_not_decoded_again_for_every_mention(tmp_path):
    worker = Worker()
    table = CountingDisk(tmp_path / "blocks.sqlite")
    worker.state.blocks = table
    agent = worker.handlers[MENTIONS]
    assert isinstance(agent, LinkAgent)
    agent.blocks = BlockStore(table)
    people = given_names(60)
    link_all(worker, [paper(f"2612.{n:05d}", [("Zyxwright", name, [])]) for n, name in enumerate(people[:50])])
    table.summaries_read = table.heads_read = 0
    link_all(worker, [paper(f"2612.{n:05d}", [("Zyxwright", name, [])]) for n, name in enumerate(people[50:], 50)])
    assert table.summaries_read == 0, "ten more people of a 50-person block: no researcher of it read back"
    assert table.heads_read == 0, "nor its head: the cached block is current"
    table.close()


def test_a_head_written_with_a_token_before_2026_12_06_still_loads():
    table, (first, second) = _two_people_block()
    table[b"wang_z"] = json.dumps({"schema": 2, "chunks": 1, "w": "0123456789abcdef"}, separators=(",", ":")).encode()
    assert set(BlockStore(table).begin(b"wang_z").block.researchers) == {first, second}


# --- what a crash can leave, and what cannot be stored ---------------------------------------------


def _two_people_block() -> tuple[CountingTable, list[str]]:
    worker, table = worker_with_counting_blocks()
    linked = link_all(worker, [paper("1601.00001", [("Wang", "Zheng", [])]), paper("1601.00002", [("Wang", "Zhi", [])])])
    return table, [a.researcher_id for a in linked]


def test_a_merge_cut_short_after_its_survivor_was_written_loses_the_retired_duplicate_on_load():
    table, (first, second) = _two_people_block()
    store = BlockStore(table)
    block = store.begin(b"wang_z").block
    survivor = block.researchers[first]
    retired = block.researchers[second]
    from stream_processors.linking.linker import merge_summaries

    table[summary_key(b"wang_z", first)] = dumps_summary(merge_summaries(survivor, retired))  # the crash: nothing after
    table[b"wang_z"] = bytes(bytearray(table[b"wang_z"]))
    assert list(BlockStore(table).begin(b"wang_z").block.researchers) == [first]


def test_a_merge_cut_short_after_its_tombstone_skips_the_listed_id_without_a_summary():
    table, (first, second) = _two_people_block()
    del table[summary_key(b"wang_z", second)]
    assert list(BlockStore(table).begin(b"wang_z").block.researchers) == [first]
    assert json.loads(table[chunk_key(b"wang_z", 0)]) == [first, second]


def test_linking_state_too_large_for_kafka_dead_letters_the_mention_and_writes_nothing(monkeypatch):
    worker, table = worker_with_counting_blocks()
    link_all(worker, [paper("1601.00001", [("Wang", "Zheng", [])])])
    before = dict(table)
    monkeypatch.setattr(block_store, "MAX_ENTRY_BYTES", 100)
    worker.topics["papers.enriched"].put("1601.00002", paper("1601.00002", [("Wang", "Zheng", [])]))
    handle(worker, "papers.enriched", pending(worker, "papers.enriched"))
    report = handle(worker, MENTIONS, pending(worker, MENTIONS))
    assert (report.applied, report.dead_lettered) == (0, 1)
    (letter,) = worker.topics[LINK_DLQ].letters()
    assert "bytes of linking state, over the 100 a Kafka message may hold" in letter.reason
    assert table == before


def test_a_blocking_key_with_the_separator_byte_is_refused():
    with pytest.raises(Exception, match="reserved separator"):
        BlockStore({}).begin(b"wang\x1fz")


def test_decoded_values_are_reused_only_for_the_very_bytes_they_came_from():
    cache = Decoded(lambda _key, data: data.decode(), budget=5)
    stored = b"value"
    first = cache.get(b"k", stored)
    assert cache.get(b"k", stored) is first
    again = cache.get(b"k", bytes(bytearray(stored)))  # equal bytes, another object: as after a recovery
    assert again == first and again is not first
    cache.put(b"other", "x", b"x")
    assert cache.get(b"k", None) is None


def test_values_that_are_their_whole_bytes_are_reused_for_equal_bytes():
    decoded: list[bytes] = []
    cache = Decoded(lambda _key, data: decoded.append(data) or data.decode(), budget=50, unique=lambda _data: True)
    first = cache.get(b"k", b"value")
    # Equal bytes in another object, as the SQLite store returns for every read: not parsed again.
    assert cache.get(b"k", bytes(bytearray(b"value"))) is first and decoded == [b"value"]
    assert cache.get(b"k", b"value2") == "value2" and decoded == [b"value", b"value2"], "changed bytes: parsed"


def test_the_decoded_cache_keeps_the_recently_used_within_its_budget():
    cache = Decoded(lambda _key, data: data.decode(), budget=10, weigh=lambda value, _stored: len(value))
    values = {key: key.decode() * 3 for key in (b"a", b"b", b"c", b"d")}  # 3 estimated bytes each
    stored = {key: value.encode() for key, value in values.items()}
    for key in (b"a", b"b", b"c"):
        cache.get(key, stored[key])
    assert len(cache) == 3 and cache.weight == 9
    cache.get(b"a", stored[b"a"])  # used again: now the most recent
    cache.get(b"d", stored[b"d"])  # 12 > 10: the least recently used, b, goes
    assert len(cache) == 3 and cache.weight == 9
    decoded: list[bytes] = []
    counting = Decoded(lambda key, data: decoded.append(key) or data.decode(), budget=10, weigh=lambda value, _stored: len(value))
    for key in (b"a", b"b", b"c", b"a", b"d", b"a", b"b"):
        counting.get(key, stored[key])
    assert decoded == [b"a", b"b", b"c", b"d", b"b"]  # a stayed (used again), b was dropped for d
    huge = Decoded(lambda _key, data: data.decode(), budget=1)
    assert huge.get(b"a", stored[b"a"]) == "aaa" and len(huge) == 1  # the newest always stays


def test_a_cached_value_is_given_whatever_the_table_holds_until_it_is_forgotten():
    cache = Decoded(lambda _key, data: data.decode(), budget=50)
    assert cache.cached(b"k") is None
    first = cache.get(b"k", b"value")
    assert cache.cached(b"k") is first
    cache.get(b"j", b"other")
    cache.forget(b"k")
    assert cache.cached(b"k") is None and cache.cached(b"j") == "other" and cache.weight == len(b"other")
    cache.forget(b"absent")
    cache.forget_all()
    assert cache.cached(b"j") is None and len(cache) == 0 and cache.weight == 0


def test_a_decoded_block_weighs_a_summary_for_each_of_its_researchers():
    def stored(people: int) -> block_store.Stored:
        ids = tuple(f"r-{n}" for n in range(people))
        block = BlockState("zyxwright q", {rid: ResearcherSummary(rid, {("zyxwright", "q"): 1}) for rid in ids})
        return block_store.Stored(block, (ids,))

    head = b'{"schema":2,"chunks":1}'
    one, many = block_store._weigh(stored(1), head), block_store._weigh(stored(2_000), head)
    assert many - one == 1_999 * (block_store.SUMMARY_DECODED_BYTES + 64)  # one chunk, yet 2,000 summaries


def test_chunk_values_are_plain_json_lists():
    assert json.loads(dumps_ids(("r-1", "r-2"))) == ["r-1", "r-2"]
