"""The snapshot producer's mapping, field by field, on real records from the arXiv snapshot."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from foundation.errors import InvalidRecord
from producers.snapshot import read_snapshot, record_key, snapshot_record_to_paper


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
    assert value.submitted == datetime(2010, 6, 28, 11, 3, 36, tzinfo=UTC)
    assert value.updated == datetime(2010, 8, 31, 15, 39, 12, tzinfo=UTC)


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


# Raw `authors` strings (when `authors_parsed` is absent), from ../shared/data/arxiv-kaggle-1006.


def test_inline_numbered_affiliations_attach_to_their_authors():
    """'Name (1,2), ... ((1) A, (2) B)': each marker points into the trailing numbered list."""
    from producers.normalise import authors_from_string

    authors = authors_from_string("Maryam Modjaz (1,2), Joshua S. Bloom (1) ((1) UC Berkeley, (2) Columbia University)")
    assert [(a.keyname, a.forenames, a.affiliations) for a in authors] == [
        ("Modjaz", "Maryam", ("UC Berkeley", "Columbia University")),
        ("Bloom", "Joshua S.", ("UC Berkeley",)),
    ]


def test_string_with_tex_wrapped_affiliations():
    from producers.normalise import authors_from_string

    text = (
        'J\\"org P. Rachen (1), Thomas\n  Krichbaum (2) ((1) Max-Planck-Institut f\\"ur Astrophysik (2)\n'
        '  Max-Planck-Institut f\\"ur Radioastronomie)'
    )
    assert [(a.keyname, a.forenames, a.affiliations) for a in authors_from_string(text)] == [
        ("Rachen", "Jörg P.", ("Max-Planck-Institut für Astrophysik",)),
        ("Krichbaum", "Thomas", ("Max-Planck-Institut für Radioastronomie",)),
    ]


def test_string_particles_suffixes_collaborations():
    from producers.normalise import authors_from_string

    authors = authors_from_string("ArDM Collaboration: C. Amsler, B. van der Berg, Jr. and C. Wu (CERN), et al")
    assert [(a.keyname, a.forenames, a.suffix, a.affiliations) for a in authors] == [
        ("ArDM Collaboration", "", "", ()),
        ("Amsler", "C.", "", ()),
        ("van der Berg", "B.", "Jr.", ()),
        ("Wu", "C.", "", ("CERN",)),
    ]


def test_record_without_authors_parsed_uses_the_string(lines):
    record = json.loads(lines[0])
    record.pop("authors_parsed")
    record["authors"] = "Maryam Modjaz (1,2), Joshua S. Bloom (1) ((1) UC Berkeley, (2) Columbia University)"
    paper = snapshot_record_to_paper(json.dumps(record))
    assert paper.authors[0].affiliations == ("UC Berkeley", "Columbia University")


def test_every_record_of_the_kaggle_slice_parses_with_affiliations():
    """All 1,403 records of ../shared/data/arxiv-kaggle-1006 (the sample is the same file), with the
    inline affiliations of the raw string attached to the parsed authors."""
    from tests.conftest import REPO

    papers = [snapshot_record_to_paper(line) for line in read_snapshot(REPO / "samples" / "arxiv-kaggle-1006.jsonl.gz")]
    assert len(papers) == 1403
    assert len({paper.arxiv_id for paper in papers}) == 1403
    assert all(paper.authors for paper in papers)
    with_affiliations = [p for p in papers if any(a.affiliations for a in p.authors)]
    assert len(with_affiliations) == 102
    sivaram = next(p for p in papers if p.authors[0].keyname == "Sivaram")
    assert sivaram.authors[1].affiliations == ("Christ Junior College, Bangalore",)


def test_numbered_affiliation_list_without_outer_parentheses():
    """1006.x record: 'Roberto De Propris (1), ... Peter J. Mares (2)\\n (1) CTIO (2) Cornell University'."""
    from producers.normalise import authors_from_string

    text = "Roberto De Propris (1), Craig D. Harrison (1) and Peter J. Mares (2)\n  (1) CTIO (2) Cornell University"
    assert [(a.keyname, a.forenames, a.affiliations) for a in authors_from_string(text)] == [
        ("De Propris", "Roberto", ("CTIO",)),  # particles belong to the surname
        ("Harrison", "Craig D.", ("CTIO",)),
        ("Mares", "Peter J.", ("Cornell University",)),
    ]


def test_regression_affiliations_read_as_authors_by_authors_parsed_are_dropped():
    """1007.0013 as the snapshot has it: `authors_parsed` lists 'CTIO' and 'Cornell University' as
    two more authors. They were produced as people (and would have become researchers) while the
    three real authors lost their affiliations."""
    record = {
        "id": "1007.0013",
        "authors": "Roberto De Propris (1), Craig D. Harrison (1) and Peter J. Mares (2)\n  (1) CTIO (2) Cornell University",
        "authors_parsed": [
            ["De Propris", "Roberto", ""], ["Harrison", "Craig D.", ""], ["Mares", "Peter J.", ""],
            ["CTIO", "", ""], ["University", "Cornell", ""],
        ],
        "title": "Galaxies", "categories": "astro-ph.CO", "versions": [{"version": "v1", "created": "Wed, 30 Jun 2010 20:00:01 GMT"}],
    }
    paper = snapshot_record_to_paper(json.dumps(record))
    assert [(a.keyname, a.forenames, a.affiliations) for a in paper.authors] == [
        ("De Propris", "Roberto", ("CTIO",)),
        ("Harrison", "Craig D.", ("CTIO",)),
        ("Mares", "Peter J.", ("Cornell University",)),
    ]


def test_parsed_authors_kept_when_dropping_would_not_match_the_string():
    """Only entries named exactly like a listed affiliation go, and only if the rest lines up with
    the raw string; a real author who shares a name with an affiliation is never dropped otherwise."""
    record = {
        "id": "1006.0001",
        "authors": "A. Smith (1) and B. Jones (2) ((1) CERN, (2) MIT)",
        "authors_parsed": [["Smith", "A.", ""], ["Jones", "B.", ""], ["Wu", "C.", ""]],
        "title": "T", "categories": "cs.DS",
    }
    paper = snapshot_record_to_paper(json.dumps(record))
    assert [a.keyname for a in paper.authors] == ["Smith", "Jones", "Wu"]
