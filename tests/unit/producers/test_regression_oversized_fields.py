"""Regression (issue 18, ingest): hostile sizes are refused before any work is spent on them.

A raw title or abstract over twice its limit is dead-lettered before TeX clean-up runs; a snapshot
line past MAX_LINE_CHARS is never held whole (its head is refused, the rest skipped unread), and
the lines around it are read as usual.
"""

from __future__ import annotations

import gzip
import json

import pytest

from foundation.errors import InvalidRecord
from producers import snapshot
from producers.snapshot import read_snapshot, snapshot_record_to_paper
from schemas.papers import MAX_ABSTRACT_CHARS, MAX_TITLE_CHARS


def record(**fields) -> str:
    base = {"id": "1501.00001", "title": "A title", "abstract": "An abstract.", "authors": "A. Author",
            "categories": "hep-th", "versions": [{"version": "v1", "created": "Mon, 5 Jan 2015 00:00:00 GMT"}]}
    return json.dumps({**base, **fields})


@pytest.mark.parametrize(("field", "limit"), [("title", MAX_TITLE_CHARS), ("abstract", MAX_ABSTRACT_CHARS)])
def test_a_field_over_twice_its_limit_is_refused_before_clean_up(field, limit, monkeypatch):
    cleaned = []
    monkeypatch.setattr(snapshot, "clean_tex_keeping_raw", lambda text: cleaned.append(text) or (text, None))
    with pytest.raises(InvalidRecord, match=f"{field}: .* over twice") as refused:
        snapshot_record_to_paper(record(**{field: "\\(" * limit + "x"}))
    assert refused.value.field == field and cleaned == []


def test_a_line_past_the_cap_is_refused_and_its_neighbours_are_read(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "MAX_LINE_CHARS", 1_000)
    path = tmp_path / "feed.jsonl.gz"
    huge = record(abstract="y" * 5_000)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(record(id="1501.00001") + "\n" + huge + "\n" + record(id="1501.00003") + "\n")
    lines = list(read_snapshot(path))
    assert len(lines) == 3 and len(lines[1]) == 1_001
    assert snapshot_record_to_paper(lines[0]).arxiv_id == "1501.00001"
    with pytest.raises(InvalidRecord, match="over 1,000 characters"):
        snapshot_record_to_paper(lines[1])
    assert snapshot_record_to_paper(lines[2]).arxiv_id == "1501.00003"
