"""Every block's linking state in parts, so that a mention rewrites only what it changed.

One table holds, for the block with blocking key K:
- `K`: the head, `{"schema": 2, "chunks": n}`, written when the block is new and when its number
  of chunks changes (heads written before 2026-12-06 also name their write, `"w": token`, which is
  no longer read);
- `K \\x1f #i`: chunk i of the researchers' ids in creation order, at most CHUNK ids. A new
  researcher is appended to the last chunk; a researcher merged away is removed from its chunk;
- `K \\x1f <researcher id>`: that researcher's summary (`linking.state_codec`).
Every key of a block is partitioned by K (`clients.partitioning`), the partition of its mentions,
so the worker that links a block recovers all of it from one changelog partition.

A mention linked to a known researcher writes that researcher's summary, nothing else; a new
researcher adds its chunk (and the head, when it opens a chunk); a merge writes the survivor, the
retired researcher's tombstone and its chunk. Until schema 2 a block was one value holding every
summary, rewritten for every mention: a block of a few hundred people (each summary carries a 4 KB
centroid) outgrew Kafka's 1 MB message limit and the worker crashed on it
(bench/results/growth-synthetic.json).

Decoded blocks are cached, and a cached block is used without reading the table: within one worker
process a block's keys change only through this store's writes, which update the cache, or through
what the table's store announces on its `ChangeFeed` (a changelog batch applied by a recovery or a
standby, partitions dropped after a rebalance), which drops the cached block. Until 2026-12-06 the
head was rewritten with a new token for every batch that changed the block and read for every
mention to check the cached copy: 1.1 changelog records a paper more, and a read a mention
(docs/performance.md, 7q).

Writes go summaries first, then chunks and tombstones, then the head when it changes, all to one
partition, so a worker killed mid-way leaves a prefix of them. Each prefix heals: a summary not yet
listed, or listed in a chunk the head does not count yet, is written again with the same id when
the mention is re-delivered; a merge whose tombstone landed before its chunk leaves an id without a
summary, and one whose survivor landed before its tombstone leaves the retired researcher beside a
survivor that holds all its mentions. Loading drops both (a mention belongs to one researcher).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from clients.partitioning import SEPARATOR, compound_key
from foundation.errors import InvalidRecord
from schemas.papers import MAX_RECORD_BYTES
from stream_processors.agents.state import Decoded, Table
from stream_processors.linking.linker import BlockState, ResearcherSummary
from stream_processors.linking.state_codec import dumps_ids, dumps_summary, loads_ids, loads_summary
from stream_processors.table_store import ChangeFeed

log = logging.getLogger(__name__)

SCHEMA = 2
CHUNK = 512  # ids per chunk: about 11 KB
MAX_ENTRY_BYTES = MAX_RECORD_BYTES  # Kafka's default message limit (1 MiB) less room for the key and headers
CACHE_BYTES = 96 * 2**20
SUMMARY_DECODED_BYTES = 4_500  # a decoded researcher summary (4,365 bytes on the 2016 harvest, measured)


@dataclass(frozen=True)
class Stored:
    """A block as the table holds it, decoded: its state and id chunks."""

    block: BlockState
    chunks: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Staged:
    """A block's next state within a batch, over what the table held when the batch began.
    `encoded` holds the summaries the batch changed, encoded once, by researcher id."""

    base: Stored | None
    block: BlockState | None
    encoded: Mapping[str, tuple[ResearcherSummary, bytes]] = field(default_factory=dict)


def chunk_key(block_key: bytes, index: int) -> bytes:
    return compound_key(block_key, f"#{index}")


def summary_key(block_key: bytes, researcher_id: str) -> bytes:
    return compound_key(block_key, researcher_id)


def rechunk(
    chunks: tuple[tuple[str, ...], ...], after: list[str]
) -> tuple[tuple[tuple[str, ...], ...], list[int]]:
    """The chunks holding `after` (ids in creation order), and which of them changed.

    Ids that left are removed where they were; new ids are appended to the last chunk and to new
    ones. The chunks never reorder: if `after` is not the kept ids followed by new ones (which the
    linker's state never does), every chunk is laid out afresh."""
    present = set(after)
    kept = [tuple(i for i in chunk if i in present) for chunk in chunks]
    changed = [n for n, (old, new) in enumerate(zip(chunks, kept, strict=True)) if old != new]
    listed = [i for chunk in kept for i in chunk]
    if after[:len(listed)] != listed:
        fresh = tuple(tuple(after[i:i + CHUNK]) for i in range(0, len(after), CHUNK))
        return fresh, list(range(max(len(fresh), len(chunks))))
    result = [list(chunk) for chunk in kept]
    for rid in after[len(listed):]:
        if not result or len(result[-1]) >= CHUNK:
            result.append([])
        result[-1].append(rid)
        index = len(result) - 1
        if index not in changed:
            changed.append(index)
    return tuple(tuple(chunk) for chunk in result), changed


class BlockStore:
    """Reads and writes blocks in parts over one table, with decoded blocks cached (see above).
    `changes`: the feed of the table's store; without one (a plain dict) nothing else writes it."""

    def __init__(self, table: Table, cache_bytes: int = CACHE_BYTES, changes: ChangeFeed | None = None) -> None:
        self.table = table
        self._cache: Decoded[Stored] = Decoded(self._load, cache_bytes, _weigh)
        if changes is not None:
            changes.subscribe(self._forget)

    def begin(self, key: bytes) -> Staged:
        """The block as the table holds it now, to stage a batch's changes on."""
        if SEPARATOR in key:
            raise InvalidRecord(f"blocking key {key!r} contains the reserved separator byte 0x1f", "mention.blocking_key")
        stored = self._cache.cached(key)
        if stored is None:
            stored = self._cache.get(key, self.table.get(key))
        return Staged(stored, stored.block if stored else None)

    def _forget(self, keys: list[bytes] | None) -> None:
        """The table changed other than through this store: drop the blocks those keys belong to."""
        if keys is None:
            self._cache.forget_all()
            return
        for key in keys:
            self._cache.forget(key.split(SEPARATOR, 1)[0])

    def advance(self, current: Staged, block: BlockState) -> Staged:
        """The staged block after one more mention: every summary it changed is encoded now, so a
        summary too large for Kafka fails this mention (and dead-letters it), not the batch."""
        before = current.block.researchers if current.block is not None else {}
        encoded = {rid: item for rid, item in current.encoded.items() if rid in block.researchers}
        for rid, summary in block.researchers.items():
            if before.get(rid) is not summary:
                data = dumps_summary(summary)
                if len(data) > MAX_ENTRY_BYTES:
                    raise InvalidRecord(
                        f"researcher {rid} of block {block.key!r} would need {len(data):,} bytes of linking state, "
                        f"over the {MAX_ENTRY_BYTES:,} a Kafka message may hold", "mention",
                    )
                encoded[rid] = (summary, data)
        return Staged(current.base, block, encoded)

    def write(self, key: bytes, staged: Staged) -> None:
        """Write what the batch changed: summaries, then chunks and tombstones, then the head if it changed."""
        if staged.block is None:
            return
        base = staged.base
        before = base.block.researchers if base is not None else {}
        after = staged.block.researchers
        chunks, changed = rechunk(base.chunks if base is not None else (), list(after))
        for rid, summary in after.items():
            if before.get(rid) is not summary:
                self.table[summary_key(key, rid)] = staged.encoded[rid][1]
        for index in changed:
            self.table[chunk_key(key, index)] = dumps_ids(chunks[index] if index < len(chunks) else ())
        for rid in before:
            if rid not in after:
                del self.table[summary_key(key, rid)]
        head = json.dumps({"schema": SCHEMA, "chunks": len(chunks)}, separators=(",", ":")).encode()
        if base is None or len(base.chunks) != len(chunks):
            self.table[key] = head
        self._cache.put(key, Stored(staged.block, chunks), head)

    # --- reading ---------------------------------------------------------------------------

    def _load(self, key: bytes, head: bytes) -> Stored:
        meta = json.loads(head)
        if meta.get("schema") != SCHEMA:
            raise InvalidRecord(f"block {key!r} is stored in schema {meta.get('schema')}, this worker reads {SCHEMA}")
        chunks = []
        for index in range(meta["chunks"]):
            data = self.table.get(chunk_key(key, index))
            chunks.append(loads_ids(data) if data is not None else ())
        summaries = {}
        for chunk in chunks:
            for rid in chunk:
                data = self.table.get(summary_key(key, rid))
                if data is not None:  # None: a merge's tombstone landed before its chunk
                    summaries[rid] = loads_summary(data)
        researchers = _one_owner_per_mention(key, summaries)
        return Stored(BlockState(key.decode(), researchers), tuple(chunks))


def _weigh(stored: Stored, head: bytes) -> int:
    """A decoded block's estimated resident bytes: a decoded summary for each researcher, and its ids."""
    ids = sum(len(chunk) for chunk in stored.chunks)
    return len(head) + SUMMARY_DECODED_BYTES * len(stored.block.researchers) + 64 * ids


def _one_owner_per_mention(key: bytes, summaries: dict[str, ResearcherSummary]) -> dict[str, ResearcherSummary]:
    """Drop a researcher whose every mention another one holds: a merge cut short by a crash."""
    owners: dict[str, int] = {}
    for summary in summaries.values():
        for mention in summary.mention_keys:
            owners[mention] = owners.get(mention, 0) + 1
    kept = {}
    for rid, summary in summaries.items():
        if summary.mention_keys and all(owners[m] > 1 for m in summary.mention_keys):
            log.warning("block %r: %s is a merge cut short (its mentions belong to another researcher); dropped", key, rid)
            for mention in summary.mention_keys:
                owners[mention] -= 1
            continue
        kept[rid] = summary
    return kept
