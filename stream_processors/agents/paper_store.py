"""A paper's linked author lines in parts, so that each line writes only itself.

One table holds, for the paper with arXiv id K:
- `K`: the head, `{"schema": 2, "version": v, "author_count": n, "linked": k}`: the paper version
  being collected, how many author lines it has, and how many of them are stored;
- `K \\x1f <position>`: that line's Authorship without its evidence, which assembly does not read
  (`researcher.authorships` keeps it); a line of an older version is counted again when its
  position is linked for the new one.
Until schema 2 a paper's lines were one value rewritten for every line: a paper of n authors
wrote n(n+1)/2 lines to the changelog, and a collaboration of a few hundred authors outgrew
Kafka's 1 MB message limit, which crashes the worker (docs/performance.md, "Growth").
All keys of a paper are partitioned by K (`clients.partitioning`), the partition of its lines.

A batch writes its lines first and the head last, all to one partition, so a worker killed
mid-way leaves a prefix: lines stored that the head does not count yet. Their authorships are
re-delivered (their offsets were not committed) and find their lines already stored, so counting
only the lines not stored before would leave the head short for good and the paper never complete.
A re-delivered line of a paper still incomplete therefore counts the version's stored lines again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from clients.partitioning import SEPARATOR, compound_key
from foundation.errors import InvalidRecord
from schemas.linking_events import Authorship
from stream_processors.agents.state import Table

SCHEMA = 2


@dataclass(frozen=True)
class Collecting:
    """A paper version being collected: its head, and the lines this batch linked (not yet written)."""

    version: int
    author_count: int
    linked: int
    lines: Mapping[int, Authorship] = field(default_factory=dict)


def _assigned(line: Authorship) -> tuple:
    """What `linking_stage.assemble` puts into the assignments from one line (the paper's
    embedding aside: one per version, and stored lines of a complete paper keep none)."""
    return (line.researcher_id, line.work, line.printed_name, line.surname, line.affiliations)


def line_key(arxiv_id: bytes, position: int) -> bytes:
    return compound_key(arxiv_id, str(position))


class PaperStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def begin(self, key: bytes) -> Collecting | None:
        if SEPARATOR in key:
            raise InvalidRecord(f"arXiv id {key!r} contains the reserved separator byte 0x1f", "arxiv_id")
        head = self.table.get(key)
        if head is None:
            return None
        meta = json.loads(head)
        if meta.get("schema") != SCHEMA:
            raise InvalidRecord(f"paper {key!r} is stored in schema {meta.get('schema')}, this worker reads {SCHEMA}")
        return Collecting(meta["version"], meta["author_count"], meta["linked"])

    def line(self, key: bytes, current: Collecting, position: int) -> Authorship | None:
        """The line at `position` of the version being collected, if linked."""
        if position in current.lines:
            return current.lines[position]
        data = self.table.get(line_key(key, position))
        if data is None:
            return None
        line = Authorship.model_validate_json(data)
        return line if line.version == current.version else None

    def add(self, key: bytes, current: Collecting | None, authorship: Authorship) -> Collecting | None:
        """The collection with one more line; None when the line is of an older version (ignored)."""
        if current is not None and authorship.version < current.version:
            return None
        if current is None or authorship.version > current.version:
            current = Collecting(authorship.version, authorship.author_count, 0)
        known = self.line(key, current, authorship.position) is not None
        linked = current.linked + (not known)
        if known and linked < current.author_count:  # a re-delivery: the head may not count every stored line
            linked = len(self.everyone(key, current))
        return Collecting(current.version, current.author_count, linked, {**current.lines, authorship.position: authorship})

    def holds_complete(self, key: bytes, current: Collecting | None, authorship: Authorship) -> bool:
        """Whether the table holds `authorship` already as a line of its paper complete, with
        everything the paper's assignments take from it unchanged (a re-linked line differs in its
        evidence, confidence or `created`, which no assignment carries)."""
        if current is None or authorship.version != current.version or current.linked < current.author_count:
            return False
        stored = self.line(key, current, authorship.position)
        return stored is not None and _assigned(stored) == _assigned(authorship)

    def everyone(self, key: bytes, current: Collecting) -> dict[int, Authorship]:
        """Every linked line of the version, by position (read once, when the paper is complete)."""
        found = {}
        for position in range(current.author_count):
            line = self.line(key, current, position)
            if line is not None:
                found[position] = line
        return found

    def settled(self, current: Collecting, everyone: Mapping[int, Authorship]) -> Collecting:
        """A complete paper's collection with every line that still carries the paper's embedding
        stored without it: the assignments took it, and a stored copy of each paper's vector
        would stay in the worker's memory for good. A line of this batch is written once anyway;
        a line stored by an earlier batch is written again, small."""
        lines = dict(current.lines)
        for position, line in everyone.items():
            if line.embedding is not None:
                lines[position] = line.model_copy(update={"embedding": None})
        return Collecting(current.version, current.author_count, current.linked, lines)

    def write(self, key: bytes, current: Collecting) -> None:
        for position, line in current.lines.items():
            self.table[line_key(key, position)] = (line.model_copy(update={"evidence": {}}) if line.evidence else line).wire()
        head = {"schema": SCHEMA, "version": current.version, "author_count": current.author_count, "linked": current.linked}
        self.table[key] = json.dumps(head, separators=(",", ":")).encode()
