"""The profiles table's changelog is the topic the revisions are published on (the profile-works
table's, the topic its works are published on): taking a revision must not write it to that
topic a second time."""

from __future__ import annotations

import pytest

from stream_processors.published_table import PublishedTable


class FaustLikeTable:
    """faust's table shape: `[]=` writes the changelog, `data` is the store beneath it."""

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}
        self.changelog: list[tuple[bytes, bytes]] = []

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.changelog.append((key, value))
        self.data[key] = value

    def get(self, key: bytes, default: object = None) -> object:
        return self.data.get(key, default)


def test_a_revision_taken_updates_the_store_and_writes_no_changelog_record():
    table = FaustLikeTable()
    published = PublishedTable(table)
    published[b"r1"] = b'{"revision": 1}'
    published[b"r1"] = b'{"revision": 2}'
    assert published.get(b"r1") == b'{"revision": 2}'
    assert published.get(b"r2") is None and published.get(b"r2", b"none") == b"none"
    assert table.changelog == []


def test_a_key_is_never_deleted():
    with pytest.raises(TypeError, match="never deleted"):
        del PublishedTable(FaustLikeTable())[b"r1"]


def test_the_keys_of_one_researcher_are_listed_in_order_from_the_store():
    table = FaustLikeTable()
    published = PublishedTable(table)
    for key in (b"r-2\x1fb", b"r-1\x1fb", b"r-10\x1fa", b"r-1\x1fa", b"r-1"):
        published[key] = b"{}"
    assert published.keys_from(b"r-1\x1f") == [b"r-1\x1fa", b"r-1\x1fb"]
