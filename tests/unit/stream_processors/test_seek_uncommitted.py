"""A source partition the broker holds no commit for is read from its start, and faust forgets
whatever it believed committed there.

faust records an offset as committed even when the commit failed because the group had
rebalanced meanwhile. A worker that finished a long batch after its partitions were revoked and
was later given them back re-read them from the start but acknowledged nothing below the offset it
wrongly believed committed: the partition was never committed (the cluster test that kills a
worker under load stalled with the lag of two whole partitions). The consumer here is faust's own
(not started); only its driver's two calls to the broker are answered in-process.
"""

from __future__ import annotations

import asyncio

import faust
from faust.types import TP

from stream_processors.app import seek_uncommitted_to_earliest

RAW = TP("t.arxiv.papers.raw", 2)
COMMITTED = TP("t.arxiv.papers.raw", 1)


def test_a_partition_without_a_commit_is_read_from_its_start_and_faust_forgets_its_stale_commit():
    app = faust.App("seek-test", broker="kafka://127.0.0.1:1", store="memory://")
    consumer = app.consumer
    sought: list[tuple[TP, int]] = []

    async def broker_commits():  # what the group coordinator holds
        return {RAW: None, COMMITTED: 40}

    async def seek(tp, offset):
        sought.append((tp, offset))

    consumer.seek_to_committed = broker_commits
    consumer._seek = seek
    # What a commit that failed in a rebalance left behind, and acknowledgements from then.
    consumer._committed_offset[RAW] = 65
    consumer._acked[RAW] = [63, 64]
    consumer._acked_index[RAW] = {63, 64}

    seek_uncommitted_to_earliest(app)
    asyncio.run(consumer.perform_seek())

    assert sought == [(RAW, 0)]
    assert consumer._committed_offset.get(RAW) is None, "faust's belief matches the broker: nothing committed"
    assert not consumer._acked.get(RAW) and not consumer._acked_index.get(RAW)
    assert consumer._committed_offset[COMMITTED] == 40
    assert consumer._should_commit(RAW, 3), "the records re-read from the start can be committed again"
