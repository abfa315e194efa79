"""Resetting a consumer group's committed offsets, so a stage re-reads (replays) its input.

Refuses while the group has active members: moving offsets under a running consumer is undone by
its next commit, and the operator would believe a replay happened that did not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from kafka import TopicPartition

from clients import kafka_io
from foundation.errors import ScholarStreamError
from foundation.settings import Settings


class ReplayRefused(ScholarStreamError):
    """The replay cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class Target:
    """Exactly one of: earliest, latest, an offset, a point in time."""

    earliest: bool = False
    latest: bool = False
    offset: int | None = None
    at: datetime | None = None

    def __post_init__(self) -> None:
        chosen = sum([self.earliest, self.latest, self.offset is not None, self.at is not None])
        if chosen != 1:
            raise ReplayRefused("choose exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime")
        if self.at is not None and self.at.tzinfo is None:
            raise ReplayRefused("--to-datetime needs a timezone, e.g. 2026-11-25T10:00:00Z")


@dataclass(frozen=True)
class PartitionMove:
    partition: int
    before: int | None  # None: the group never committed here
    after: int
    end: int

    @property
    def to_reread(self) -> int:
        return self.end - self.after


def active_members(settings: Settings, group: str) -> list[str]:
    client = kafka_io.admin(settings)
    try:
        (description,) = client.describe_consumer_groups([group])
    finally:
        client.close()
    if description.state in ("Empty", "Dead", ""):
        return []
    return [f"{member.client_id}@{member.client_host}" for member in description.members] or [description.state]


def plan_replay(settings: Settings, group: str, topic: str, target: Target, partitions: list[int] | None = None) -> list[PartitionMove]:
    """Where each partition's committed offset is and where the replay would put it."""
    consumer = kafka_io.consumer(settings)
    try:
        known = consumer.partitions_for_topic(topic)
        if not known:
            raise ReplayRefused(f"topic {topic!r} does not exist")
        chosen = sorted(known) if partitions is None else partitions
        unknown = set(chosen) - set(known)
        if unknown:
            raise ReplayRefused(f"topic {topic!r} has no partition {sorted(unknown)}")
        tps = [TopicPartition(topic, p) for p in chosen]
        starts, ends = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
        times = {}
        if target.at is not None:
            times = consumer.offsets_for_times({tp: int(target.at.timestamp() * 1000) for tp in tps})
    finally:
        consumer.close()
    committed = kafka_io.group_positions(settings, group, topic)
    moves = []
    for tp in tps:
        if target.earliest:
            after = starts[tp]
        elif target.latest:
            after = ends[tp]
        elif target.offset is not None:
            after = min(max(target.offset, starts[tp]), ends[tp])
        else:
            found = times.get(tp)
            after = found.offset if found is not None else ends[tp]
        moves.append(PartitionMove(tp.partition, committed.get(tp.partition), after, ends[tp]))
    return moves


def replay(settings: Settings, group: str, topic: str, target: Target, partitions: list[int] | None = None,
           dry_run: bool = False) -> list[PartitionMove]:
    members = active_members(settings, group)
    if members:
        raise ReplayRefused(
            f"group {group!r} has active members ({', '.join(members)}); stop its consumers first, "
            "or the next commit would undo the replay"
        )
    moves = plan_replay(settings, group, topic, target, partitions)
    if not dry_run:
        kafka_io.commit_offsets(settings, group, topic, {m.partition: m.after for m in moves})
    return moves


def as_rows(moves: list[PartitionMove]) -> list[dict[str, int | None]]:
    return [{**asdict(move), "to_reread": move.to_reread} for move in moves]
