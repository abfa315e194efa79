"""Deterministic malformed and hostile records, each with the words its dead letter must give.

`snapshot_lines` are lines of a snapshot file (the producer must reject them); `raw_values` are
values written straight to `arxiv.papers.raw`, past the producer's validation (the worker must
reject them). Each comes with a fragment its dead letter's reason must contain, so a record
dead-lettered for the wrong reason is caught too. Real records are the base of the mutations.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Hostile:
    kind: str
    payload: bytes | None
    reason: str  # a fragment of the expected dead-letter reason
    key: bytes | None = None


Mutation = Callable[[dict[str, Any], random.Random], tuple[str, str]]  # -> (line, reason fragment)


def _with(record: dict[str, Any], **changes: Any) -> str:
    return json.dumps({**record, **changes}, ensure_ascii=False)


def _without(record: dict[str, Any], *fields: str) -> str:
    return json.dumps({k: v for k, v in record.items() if k not in fields}, ensure_ascii=False)


_BAD_IDS = [
    "1006.5314v2", "../../etc/passwd", "", "abc", "1006.531", "1006.5314; DROP TABLE papers",
    "<script>alert(1)</script>", "١٠٠٦.٥٣١٤", "１００６.５３１４", "1006.5314\u200b", "1006.5314\x00",
    "cs/011201", "CS/0112017", "1006_5314", "%31006.5314", "1006.5314\x1b[31m", "${jndi:ldap://x/a}",
]

SNAPSHOT_KINDS: dict[str, Mutation] = {
    "truncated JSON": lambda r, g: (json.dumps(r)[: g.randrange(1, 40)], "not JSON"),
    "trailing garbage": lambda r, g: (json.dumps(r) + " }{" + "x" * g.randrange(1, 5), "not JSON"),
    "python repr": lambda r, _g: (repr(r), "not JSON"),
    "binary garbage": lambda _r, g: (
        "".join(chr(b) for b in g.randbytes(64) if b not in (10, 13)) + "\x00{", "not JSON"
    ),
    "deep nesting": lambda _r, g: ('{"id": ' + "[" * (50_000 + g.randrange(100)) + "]" * 10, "not JSON"),
    "not an object": lambda _r, g: (g.choice(["[1, 2, 3]", "42", '"1006.5314"', "null", "true", "[]"]), "expected a JSON object"),
    "id of wrong type": lambda r, g: (
        _with(r, id=g.choice([1006.5314, 10065314, ["1006.5314"], {"id": 1}, True])), "id: expected a string"
    ),
    "id missing": lambda r, _g: (_without(r, "id"), "id: missing"),
    "invalid id": lambda r, g: (_with(r, id=g.choice(_BAD_IDS)), "arxiv_id"),
    "title of wrong type": lambda r, g: (_with(r, title=g.choice([["a title"], {"t": 1}, 3.14, False])), "title: expected a string"),
    "title missing": lambda r, _g: (_without(r, "title"), "title: missing"),
    "blank title": lambda r, g: (_with(r, title=" \n\t " * g.randrange(1, 4)), "title"),
    "huge title": lambda r, g: (_with(r, title="Graph " * (500 + g.randrange(1000))), "title"),
    "huge abstract": lambda r, g: (_with(r, abstract="lorem ipsum " * (2_000 + g.randrange(2_000))), "abstract"),
    "huge comments": lambda r, g: (_with(r, comments="c" * (5_001 + g.randrange(5_000))), "comments"),
    "too many authors": lambda r, g: (
        _with(r, authors_parsed=[[f"Name{i}", "A.", ""] for i in range(5_001 + g.randrange(200))]), "authors"
    ),
    "authors of wrong type": lambda r, g: (
        _with(r, authors=g.choice([5, ["A. B"], {"a": 1}]), authors_parsed=None), "authors: expected a string"
    ),
    "authors_parsed of wrong type": lambda r, g: (_with(r, authors_parsed=g.choice(["Lepers, M.", 7, {"k": "v"}])), "authors_parsed"),
    "no authors": lambda r, _g: (_without(r, "authors", "authors_parsed"), "authors: missing"),
    "categories of wrong type": lambda r, g: (_with(r, categories=g.choice([["cs.LG"], 12, None])), "categories"),
    "invalid category": lambda r, g: (_with(r, categories=g.choice(["Quant Ph!!", "cs.LG; rm -rf /", "", "ΑΒΓ.XX"])), "categor"),
    "versions of wrong type": lambda r, g: (_with(r, versions=g.choice(["v1", 3, [1, 2]])), "versions: expected a list"),
    "bad version label": lambda r, g: (
        _with(r, versions=[{"version": g.choice(["1", "version 2", "v", "v-1", "v1.5"]), "created": "Mon, 28 Jun 2010 11:03:36 GMT"}]),
        "bad version label",
    ),
    "version out of range": lambda r, g: (
        _with(r, versions=[{"version": g.choice(["v0", "v1001", "v99999999"]), "created": "Mon, 28 Jun 2010 11:03:36 GMT"}]), "version"
    ),
    "unreadable date": lambda r, g: (
        _with(r, versions=[{"version": "v1", "created": g.choice(["yesterday", "2010-13-45", "Mon, 99 Foo 2010"])}]), "unreadable date"
    ),
}

_RAW_KINDS: dict[str, Callable[[dict[str, Any], random.Random], tuple[bytes | None, str]]] = {
    "empty value": lambda _p, _g: (b"", "Invalid JSON"),
    "tombstone": lambda _p, _g: (None, "JSON input should be"),
    "not JSON": lambda _p, g: (g.choice([b"not json", b"<paper/>", b"{'a': 1}"]), "Invalid JSON"),
    "invalid UTF-8": lambda _p, g: (b"\xff\xfe\x00" + g.randbytes(32), "Invalid JSON"),
    "not an object": lambda _p, g: (g.choice([b"null", b"[]", b"42", b'"x"']), "<record>"),
    "deep nesting": lambda _p, _g: (b'{"arxiv_id": ' + b"[" * 10_000, "recursion limit"),
    "wrong schema version": lambda p, g: (_raw(p, schema_version=g.choice([2, 99, "1"])), "schema_version"),
    "unknown field": lambda p, _g: (_raw(p, evil="$(rm -rf /)"), "evil"),
    "missing authors": lambda p, _g: (_raw_without(p, "authors"), "authors"),
    "invalid id": lambda p, g: (_raw(p, arxiv_id=g.choice(_BAD_IDS)), "arxiv_id"),
    "bad version": lambda p, g: (_raw(p, version=g.choice([0, -1, "one", 1001, 1.5])), "version"),
    "control characters": lambda p, g: (_raw(p, title=p["title"] + g.choice(["\x00", "\x07", "\x1b[31m", "\x7f"])), "control characters"),
    "huge abstract": lambda p, g: (_raw(p, abstract="x" * (20_001 + g.randrange(5_000))), "abstract"),
    "naive timestamp": lambda p, _g: (_raw(p, submitted="2010-06-28T11:03:36"), "timezone"),
    "invalid category": lambda p, _g: (_raw(p, categories=["BAD CAT"]), "categories"),
    "empty author name": lambda p, _g: (_raw(p, authors=[{"keyname": ""}]), "keyname"),
}


def _raw(paper: dict[str, Any], **changes: Any) -> bytes:
    return json.dumps({**paper, **changes}, ensure_ascii=False).encode()


def _raw_without(paper: dict[str, Any], *fields: str) -> bytes:
    return json.dumps({k: v for k, v in paper.items() if k not in fields}).encode()


def snapshot_lines(records: list[dict[str, Any]], count: int, seed: int = 8) -> Iterator[Hostile]:
    """`count` bad snapshot lines, cycling through every kind, mutating the given real records."""
    rng = random.Random(seed)
    kinds = list(SNAPSHOT_KINDS.items())
    for i in range(count):
        kind, mutate = kinds[i % len(kinds)]
        line, reason = mutate(records[i % len(records)], rng)
        yield Hostile(kind, line.encode(), reason)


def raw_values(papers: list[dict[str, Any]], count: int, seed: int = 8) -> Iterator[Hostile]:
    """`count` bad values for `arxiv.papers.raw`, mutating valid RawPaper JSON; some have no key."""
    rng = random.Random(seed)
    kinds = list(_RAW_KINDS.items())
    for i in range(count):
        kind, mutate = kinds[i % len(kinds)]
        value, reason = mutate(papers[i % len(papers)], rng)
        # Kafka takes no record without both key and value, so a tombstone always has a key.
        key = None if i % 10 == 9 and value is not None else f"hostile-{i:04d}".encode()
        yield Hostile(kind, value, reason, key)
