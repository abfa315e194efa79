"""A researcher's works beside its profile: the last `researcher.profile.works` record of each work,
every key on the researcher's partition, one key written a work however many the researcher holds,
and the table a recovery from the topic would rebuild."""

from __future__ import annotations

import asyncio

from clients.partitioning import partition_for
from schemas.profiles import ClaimSignal, DisownWorkSignal, ProfileWork, Work
from schemas.signal_auth import sign_signal
from stream_processors.agents.state import Revision, staged_revision
from stream_processors.agents.works_store import WorksStore, stored_work, work_key
from tests.unit.stream_processors.agents.memory import KEYS, NOW, PROFILE_WORKS, SIGNALS, WORKS, Worker
from tests.unit.stream_processors.agents.test_block_store import CountingTable
from tests.unit.stream_processors.agents.test_moved_works import assignment


def work(arxiv_id: str, title: str = "A paper") -> Work:
    return Work(arxiv_id=arxiv_id, title=title, year=2020, categories=("cs.LG",), author_count=2)


def records(researcher_id: str, revision: int, *works: Work, removed: bool = False) -> dict:
    return {w.arxiv_id: stored_work(ProfileWork(researcher_id=researcher_id, work=w, revision=revision, removed=removed))
            for w in works}


def test_works_are_stored_listed_in_arxiv_order_and_taken_out():
    store = WorksStore({})
    store.write("r-1", records("r-1", 1, work("2001.00002"), work("2001.00001")))
    store.write("r-1", records("r-1", 2, work("2001.00003"), work("2001.00002", "New title")))
    store.write("r-10", records("r-10", 1, work("2001.00009")))  # "r-1" is a prefix of its id, not of its keys
    assert [w.arxiv_id for w in store.works("r-1")] == ["2001.00001", "2001.00002", "2001.00003"]
    assert store.get("r-1", "2001.00002").title == "New title"
    store.write("r-1", records("r-1", 3, work("2001.00001"), removed=True))
    assert [w.arxiv_id for w in store.works("r-1")] == ["2001.00002", "2001.00003"]
    assert store.get("r-1", "2001.00001") is None and store.works("r-2") == []
    assert [w.arxiv_id for w in store.works("r-10")] == ["2001.00009"]


def test_every_key_of_a_researcher_lands_on_its_partition():
    table: dict[bytes, bytes] = {}
    WorksStore(table).write("r-abc", records("r-abc", 1, *(work(f"2001.{n:05d}") for n in range(600))))
    assert {partition_for(key, 12) for key in table} == {partition_for(b"r-abc", 12)}


def test_a_new_work_writes_its_own_key_only_however_many_the_researcher_holds():
    table = CountingTable()
    store = WorksStore(table)
    store.write("r-1", records("r-1", 1, *(work(f"2001.{n:05d}") for n in range(1_600))))
    table.touched.clear()
    store.write("r-1", records("r-1", 2, work("2501.00001")))
    assert table.touched == [work_key("r-1", "2501.00001")]
    assert len(store.works("r-1")) == 1_601


def test_a_step_staged_after_another_of_the_batch_keeps_its_records():
    first = staged_revision(None, records("r-1", 2, work("2001.00001"), removed=True))
    second = staged_revision(None, records("r-1", 3, work("2001.00002"), removed=True), first)
    assert isinstance(second, Revision) and sorted(second.works) == ["2001.00001", "2001.00002"]
    assert staged_revision(None, previous=second).works == second.works


def recovered(model: Worker) -> dict[bytes, bytes]:
    """The table a recovery from researcher.profile.works would make: the last record of each key."""
    return {event.key or b"": event.value for event in model.topics[PROFILE_WORKS].log}


def test_the_table_is_what_a_recovery_from_the_topic_would_make_even_with_two_disowns_in_one_batch():
    model = Worker()
    for n in range(4):
        model.topics[WORKS].put("r-a", assignment("r-a", n, "Ana Souza"))
    model.drain()
    model.signal(ClaimSignal(signal_id="c-1", researcher_id="r-a", actor="user:ana", at=NOW))
    held = [w.arxiv_id for w in model.works_of("r-a")]
    for n, arxiv_id in enumerate(held[:2]):
        disown = DisownWorkSignal(signal_id=f"d-{n}", researcher_id="r-a", actor="user:ana", at=NOW, arxiv_ids=(arxiv_id,))
        model.topics[SIGNALS].put("r-a", sign_signal(disown, KEYS))
    batch = [model.topics[SIGNALS].pending.popleft() for _ in range(2)]
    asyncio.run(model.handlers[SIGNALS].handle(batch))  # both in one batch: the table keeps the last step's state
    model.drain()
    assert [w.arxiv_id for w in model.works_of("r-a")] == held[2:], "both disowned works left the store"
    assert model.works_table == recovered(model)
