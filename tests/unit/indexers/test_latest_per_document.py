"""Of one batch, only the writes Elasticsearch would keep are sent."""

from __future__ import annotations

import random

from indexers.bulk_writer import IndexAction, latest_per_document


def action(doc_id: str, version: int, tag: str) -> IndexAction:
    return IndexAction(doc_id, version, {"tag": tag}, f"topic\n{doc_id}", tag)


def applied_in_order(actions: list[IndexAction]) -> dict[str, tuple[int, str]]:
    """What an index with external versions holds after the actions, sent one by one."""
    held: dict[str, tuple[int, str]] = {}
    for a in actions:
        if a.doc_id not in held or a.version > held[a.doc_id][0]:
            held[a.doc_id] = (a.version, a.payload)
    return held


def test_the_newest_revision_of_each_document_is_kept_in_arrival_order():
    batch = [action("r-1", 3, "a"), action("r-2", 1, "b"), action("r-1", 5, "c"), action("r-1", 4, "d"),
             action("r-3", 2, "e"), action("r-3", 2, "f")]
    kept, superseded = latest_per_document(batch)
    assert [(a.doc_id, a.payload) for a in kept] == [("r-2", "b"), ("r-1", "c"), ("r-3", "e")]  # equal versions: the first
    assert superseded == 3


def test_the_index_ends_the_same_as_with_every_write_sent():
    rng = random.Random(11)
    for _ in range(200):
        batch = [action(f"r-{rng.randint(1, 6)}", rng.randint(1, 8), str(i)) for i in range(rng.randint(0, 30))]
        kept, superseded = latest_per_document(batch)
        assert applied_in_order(kept) == applied_in_order(batch)
        assert len({a.doc_id for a in kept}) == len(kept) and superseded == len(batch) - len(kept)
