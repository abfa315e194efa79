"""The snapshot producer's mapping, field by field, on real records from the arXiv snapshot."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone

import pytest

from producers.snapshot import read_snapshot, record_key, snapshot_record_to_paper
from scholarstream.errors import InvalidRecord


@pytest.fixture
def lines(fixtures):
    return list(read_snapshot(fixtures / "snapshot-40.jsonl"))


def first(lines):
    return snapshot_record_to_paper(lines[0])


def test_reads_every_line(lines):
    assert len(lines) == 40


def test_reads_gzip_and_json_arrays_alike(tmp_path, lines):
    gz = tmp_path / "s.jsonl.gz"
    with gzip.open(gz, "wt") as handle:
        handle.write("\n".join(lines[:3]) + "\n")
    array = tmp_path / "s.json"
    array.write_text(json.dumps([json.loads(line) for line in lines[:3]]))
    assert [record_key(x) for x in read_snapshot(gz)] == [record_key(x) for x in read_snapshot(array)]


def test_id_is_kept_without_version(lines):
    """arxiv_id: the snapshot's `id`, which never carries a version."""
    assert first(lines).arxiv_id == "1006.5314"


def test_version_is_the_highest_listed(lines):
    """version: the highest vN in `versions` (1006.5314 has v1 and v2)."""
    assert first(lines).version == 2


def test_dates_come_from_first_and_last_version_in_utc(lines):
    """submitted: v1's date; updated: the last version's date; both UTC."""
    value = first(lines)
    assert value.submitted == datetime(2010, 6, 28, 11, 3, 36, tzinfo=timezone.utc)
    assert value.updated == datetime(2010, 8, 31, 15, 39, 12, tzinfo=timezone.utc)


def test_title_whitespace_is_collapsed(lines):
    """title: the 80-column line breaks of the snapshot are folded into single spaces."""
    assert first(lines).title == (
        "Photoassociation of a cold atom-molecule pair: long-range quadrupole-quadrupole interactions"
    )


def test_categories_keep_primary_first(lines):
    assert first(lines).categories == ("quant-ph", "physics.atom-ph", "physics.chem-ph")


def test_authors_come_from_authors_parsed(lines):
    value = snapshot_record_to_paper(lines[1])
    assert [(a.keyname, a.forenames) for a in value.authors] == [("Costa", "L."), ("Miró-Roig", "R. M.")]


def test_optional_fields(lines):
    value = first(lines)
    assert value.doi == "10.1103/PhysRevA.82.042711"
    assert value.journal_ref == "Physical Review A, vol. 82, no. 4, 042711, 2010"
    assert value.comments == "5 figures"
    assert value.source == "snapshot"


def test_authors_string_is_used_without_authors_parsed(lines):
    record = json.loads(lines[0])
    del record["authors_parsed"]
    value = snapshot_record_to_paper(json.dumps(record))
    assert [a.full_name for a in value.authors] == ["M. Lepers", "O. Dulieu", "V. Kokoouline"]


def test_every_fixture_record_is_valid(lines):
    assert len({snapshot_record_to_paper(line).arxiv_id for line in lines}) == 40


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"id": 5}', "id: expected a string"),
        ('{"title": "x"}', "id: missing"),
    ],
)
def test_broken_records_say_why(payload, reason):
    with pytest.raises(InvalidRecord, match=reason):
        snapshot_record_to_paper(payload)


def test_invalid_id_is_reported_by_field(lines):
    record = json.loads(lines[0])
    record["id"] = "1006.5314v2"
    with pytest.raises(InvalidRecord, match="arxiv_id"):
        snapshot_record_to_paper(json.dumps(record))


def test_record_key_survives_broken_payloads():
    assert record_key('{"id": "1006.5314", "title": 3}') == "1006.5314"
    assert record_key("{broken") is None
