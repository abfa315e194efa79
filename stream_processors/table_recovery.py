"""faust's table recovery, with changelog partitions assigned during a recovery sought safely.

faust (0.15.3) recovers a worker's tables in one loop per rebalance: it looks up where to start
reading each changelog partition (`_build_offsets`), reads the active partitions up to their
high-water marks, and only then seeks the standby partitions. A rebalance that lands while that
loop runs (a worker killed or started under load) rebuilds the sets of active and standby
partitions in place, and each partition that is new to this worker starts with no offset
(`None`: the in-memory store persists none). The loop still running for the previous assignment
then seeks those partitions to `None`, aiokafka refuses ("Offset must be a positive integer"),
the recovery service crashes and takes the worker down. Found by the cluster test that kills a
worker under load (`tests/cluster/test_worker_dies.py`): a surviving worker died this way.

Here a partition without an offset is given one the way faust gives every other partition (the
earliest offset still in the changelog, less one, never below zero) before the seek; the next
pass of the loop, already signalled by that rebalance, recovers the new assignment as usual.
"""

from __future__ import annotations

from collections import Counter

from faust.tables import TableManager
from faust.tables.recovery import Recovery
from faust.types import TP
from faust.types.transports import ConsumerT


class SafeSeekRecovery(Recovery):
    """faust's `Recovery`, except that it never seeks a changelog partition to no offset."""

    async def _seek_offsets(self, consumer: ConsumerT, tps: set[TP], offsets: Counter[TP], title: str) -> None:
        tps = set(tps)  # the rebalance callback rebuilds the live set while this awaits
        unknown = {tp for tp in tps if offsets.get(tp) is None}
        if unknown:
            self.log.info("%d %s changelog partition(s) assigned during recovery: looking up where they start", len(unknown), title)
            await self._build_offsets(consumer, unknown, offsets, title)
        await super()._seek_offsets(consumer, tps, offsets, title)


class SafeSeekTableManager(TableManager):
    """faust's `TableManager` with `SafeSeekRecovery` as its recovery service."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = SafeSeekRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery
