"""Reading profiles back from the compacted `researcher.profiles` topic.

Until the researchers index exists (the search issue), the topic is the place to read a profile:
a key lives on one partition (`clients.partitioning`, as faust wrote it), so `by_id`
scans only that partition. `by_name` scans everything and is meant for small deployments.
"""

from __future__ import annotations

from clients import kafka_io
from clients.partitioning import partition_for
from foundation.settings import Settings
from schemas.names import fold
from schemas.profiles import ResearcherProfile
from schemas.topics import RESEARCHER_PROFILES


def _scan(settings: Settings, partitions: list[int] | None, wanted: bytes | None) -> dict[str, ResearcherProfile]:
    topic = settings.topic(RESEARCHER_PROFILES.name)
    latest: dict[str, ResearcherProfile] = {}
    for record in kafka_io.read_to_end(settings, topic, partitions=partitions):
        if record.value is None or (wanted is not None and record.key != wanted):
            continue
        profile = ResearcherProfile.model_validate_json(record.value)
        seen = latest.get(profile.researcher_id)
        if seen is None or profile.revision >= seen.revision:
            latest[profile.researcher_id] = profile
    return latest


def by_id(settings: Settings, researcher_id: str) -> ResearcherProfile | None:
    key = researcher_id.encode()
    probe = kafka_io.consumer(settings)
    try:
        count = len(probe.partitions_for_topic(settings.topic(RESEARCHER_PROFILES.name)) or [])
    finally:
        probe.close()
    if not count:
        return None
    return _scan(settings, [partition_for(key, count)], key).get(researcher_id)


def by_name(settings: Settings, name: str, limit: int = 10) -> list[ResearcherProfile]:
    wanted = fold(name)
    found = [p for p in _scan(settings, None, None).values()
             if not p.merged_into and any(wanted in fold(v.name) for v in p.name_variants)]
    return sorted(found, key=lambda p: (-p.works_count, p.researcher_id))[:limit]
