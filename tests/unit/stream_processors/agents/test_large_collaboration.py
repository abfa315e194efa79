"""Issue 17: a paper with 3,000 authors flows through route, link, assemble and profiles, every
record small and the paper's traffic linear in its authors (v1 mentions carried every author's
name and key: 3,000 x 3,000 of them)."""

from __future__ import annotations

from tests.unit.stream_processors.agents.memory import (
    AUTHORSHIPS,
    ENRICHED,
    LINK_DLQ,
    MENTIONS,
    PROFILES,
    WORKS,
    Worker,
    handle,
    paper,
    pending,
)

AUTHORS = 3_000


def _surname(n: int) -> str:
    """Distinct surnames, so each author is a block of one (a real collaboration's list is mostly so)."""
    letters = "abcdefghij"
    return "Phys" + "".join(letters[int(d)] for d in f"{n:04d}")


def _flow(authors: int) -> Worker:
    worker = Worker()
    item = paper("1501.00007", [(_surname(n), "Alex", []) for n in range(authors)])
    worker.topics[ENRICHED].put(item.arxiv_id, item)
    for topic in (ENRICHED, MENTIONS, AUTHORSHIPS, WORKS):
        report = handle(worker, topic, pending(worker, topic))
        assert report.dead_lettered == 0, worker.topics[LINK_DLQ].letters()[:1]
    return worker


def _bytes(worker: Worker, topic: str) -> int:
    return sum(len(e.value) + len(e.key or b"") for e in worker.topics[topic].log)


def test_a_collaboration_of_3000_authors_gets_3000_profiles_through_small_records():
    worker = _flow(AUTHORS)
    profiles = worker.profiles
    assert len(profiles) == AUTHORS
    assert all(p.works_count == 1 and p.close_collaborators == () for p in profiles.values())
    assert {p.display_name for p in profiles.values()} == {f"Alex {_surname(n)}" for n in range(AUTHORS)}
    for topic in (MENTIONS, AUTHORSHIPS, WORKS, PROFILES):
        largest = max(len(e.value) for e in worker.topics[topic].log)
        assert largest < 8_000, f"{topic}: a record of {largest} bytes"


def test_a_collaborations_traffic_grows_linearly_with_its_authors():
    small, large = _flow(100), _flow(1_000)
    for topic in (MENTIONS, AUTHORSHIPS, WORKS, PROFILES):
        per_author = (_bytes(small, topic) / 100, _bytes(large, topic) / 1_000)
        assert per_author[1] < 1.2 * per_author[0], f"{topic}: bytes per author {per_author}"
