"""A researcher's works beside its profile: one entry per work, ids in chunks, every key on the
researcher's partition; a work written costs one entry and one chunk, and a worker killed between
the chunks and the entries heals when the batch is re-delivered."""

from __future__ import annotations

from clients.partitioning import partition_for
from schemas.profiles import Work
from stream_processors.agents.works_store import CHUNK, WorksStore, chunk_key, count_key, work_key
from tests.unit.stream_processors.agents.test_block_store import CountingTable


def work(arxiv_id: str, title: str = "A paper") -> Work:
    return Work(arxiv_id=arxiv_id, title=title, year=2020, categories=("cs.LG",), author_count=2)


def test_works_are_stored_listed_in_order_and_taken_out():
    store = WorksStore({})
    store.write("r-1", {"2001.00002": work("2001.00002"), "2001.00001": work("2001.00001")})
    store.write("r-1", {"2001.00003": work("2001.00003"), "2001.00002": work("2001.00002", "New title")})
    assert store.ids("r-1") == ["2001.00002", "2001.00001", "2001.00003"]
    assert store.get("r-1", "2001.00002").title == "New title"
    store.write("r-1", {"2001.00001": None, "2009.99999": None})  # one held, one never was
    assert [w.arxiv_id for w in store.works("r-1")] == ["2001.00002", "2001.00003"]
    assert store.get("r-1", "2001.00001") is None and store.ids("r-2") == []


def test_every_key_of_a_researcher_lands_on_its_partition():
    table: dict[bytes, bytes] = {}
    WorksStore(table).write("r-abc", {f"2001.{n:05d}": work(f"2001.{n:05d}") for n in range(CHUNK + 3)})
    assert {partition_for(key, 12) for key in table} == {partition_for(b"r-abc", 12)}
    assert chunk_key("r-abc", 1) in table and table[count_key("r-abc")] == b"2"


def test_a_new_work_writes_its_entry_and_the_last_chunk_however_many_the_researcher_holds():
    table = CountingTable()
    store = WorksStore(table)
    for start in range(0, 3 * CHUNK, 100):
        store.write("r-1", {f"2001.{n:05d}": work(f"2001.{n:05d}") for n in range(start, start + 100)})
    table.touched.clear()
    store.write("r-1", {"2501.00001": work("2501.00001")})
    assert table.touched == [chunk_key("r-1", 3), work_key("r-1", "2501.00001")]
    assert len(store.ids("r-1")) == 1601


def test_a_worker_killed_between_the_chunks_and_the_entries_heals_on_redelivery():
    table: dict[bytes, bytes] = {}
    store = WorksStore(table)
    store.write("r-1", {"2001.00001": work("2001.00001")})
    batch = {"2001.00002": work("2001.00002"), "2001.00003": work("2001.00003")}
    store.write("r-1", batch)
    del table[work_key("r-1", "2001.00003")]  # the kill: the chunk was written, this entry not
    assert [w.arxiv_id for w in store.works("r-1")] == ["2001.00001", "2001.00002"]
    store.write("r-1", batch)  # the batch again
    assert store.ids("r-1") == ["2001.00001", "2001.00002", "2001.00003"], "listed once, though written twice"
    assert [w.arxiv_id for w in store.works("r-1")] == ["2001.00001", "2001.00002", "2001.00003"]
