"""Which partition a key lands on: Kafka's default (murmur2 of the key), except that a compound
key `prefix \\x1f rest` lands where its prefix does.

The worker keeps one block's linking state under several keys (`blocking key \\x1f part`), and
every one of them must live on the partition of the block's mentions: a worker that owns the
block's partition recovers the whole block from that changelog partition, and nothing else. Keys
without the separator (every topic's keys) are partitioned exactly as Kafka's default does.
"""

from __future__ import annotations

from collections.abc import Sequence

from kafka.partitioner.default import murmur2

SEPARATOR = b"\x1f"  # ASCII unit separator: never part of a folded name, an arXiv id or a researcher id


def compound_key(prefix: str | bytes, part: str | bytes) -> bytes:
    head = prefix.encode() if isinstance(prefix, str) else prefix
    tail = part.encode() if isinstance(part, str) else part
    return head + SEPARATOR + tail


def partition_key(key: bytes) -> bytes:
    """The bytes the partition is hashed from: the prefix of a compound key, else the key."""
    return key.split(SEPARATOR, 1)[0]


def partition_for(key: bytes, partitions: int) -> int:
    return (murmur2(partition_key(key)) & 0x7FFFFFFF) % partitions


def prefix_partitioner(key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]) -> int:
    """A producer partitioner (faust's `producer_partitioner`, aiokafka's signature)."""
    if key is None:  # no key: any partition, as the default does; every record here has one
        return (available or all_partitions)[0]
    return all_partitions[partition_for(key, len(all_partitions))]
