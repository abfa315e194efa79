"""After a rebuild from `link`, the enrich stage's state moves into the new generation's groups.

A rebuild from `link` runs the link stage alone (scholarstream/rebuild.py), so the new generation's
worker group has never read `arxiv.papers.raw` and its `enriched-versions` table is empty, and its
indexer group has never read `papers.enriched`. Started as they are, a worker and an indexer of the
new generation would enrich and index the whole corpus again: hours of encoding, and every
enriched version written to `papers.enriched` a second time.

So a process that runs the enrich stage and finds its group without a single commit on the stage's
input takes the state over, once, before it consumes, from the newest older group of the same
enrich generation (a lower link number) that has commits: the table's changelog records first,
then the committed offsets (the commit is what marks the hand-over done; a crash before it means
the copy is made again, and a compacted changelog absorbs the repeat). The old process must be
stopped before the new one starts (docs/operations.md), so what it did last is in what is taken
over.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from clients import kafka_io
from foundation.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handover:
    """What a group took over: from which group, the offsets per partition, changelog records copied."""

    source_group: str
    group: str
    topic: str
    offsets: dict[int, int]
    changelog_records: int = 0


def predecessors(settings: Settings, base_group: str) -> list[str]:
    """The groups of the same enrich generation with lower link numbers, newest first."""
    return [
        settings.model_copy(update={"link_generation": link}).group(base_group)
        for link in range(settings.link_generation - 1, -1, -1)
    ]


def _copy_changelog(settings: Settings, source: str, target: str) -> int:
    """Every record of the compacted topic `source` into the same partition of `target`."""
    ends = kafka_io.end_offsets(settings, source)
    if not any(ends.values()):
        return 0
    kafka_io.create_topic(settings, target, len(ends), {"cleanup.policy": "compact"})  # replicated like faust's own
    return kafka_io.copy_records(settings, source, target)


def take_over(settings: Settings, base_group: str, topic: str, changelogs: tuple[str, ...] = ()) -> Handover | None:
    """Give this generation's `base_group` the position (and table changelogs, named by suffix:
    `-enriched-versions-changelog`) of its newest predecessor on `topic`, if it has none itself."""
    sources = predecessors(settings, base_group)
    group, physical = settings.group(base_group), settings.topic(topic)
    if not sources or kafka_io.group_positions(settings, group, physical):
        return None
    for source in sources:
        offsets = kafka_io.group_positions(settings, source, physical)
        if not offsets:
            continue
        copied = sum(_copy_changelog(settings, source + suffix, group + suffix) for suffix in changelogs)
        kafka_io.commit_offsets(settings, group, physical, offsets)
        handover = Handover(source, group, physical, offsets, copied)
        log.info("took over %s on %s from %s: offsets %s, %d changelog records", group, physical, source, offsets, copied)
        return handover
    return None
