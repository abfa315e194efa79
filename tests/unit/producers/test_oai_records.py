"""The OAI-PMH (arXiv format) mapping, field by field, on real records served by arXiv."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from foundation.errors import InvalidRecord
from producers.oai_records import MalformedPage, OaiProtocolError, oai_record_to_paper, parse_page, record_key


@pytest.fixture(scope="module")
def pages():
    from tests.conftest import FIXTURES

    return {path.name: gzip.decompress(path.read_bytes()) for path in sorted((FIXTURES / "oai").glob("page-*.xml.gz"))}


@pytest.fixture(scope="module")
def records(pages):
    """arXiv id -> record XML, over every fixture page."""
    found = {}
    for body in pages.values():
        for record in parse_page(body).records:
            found[record_key(record.xml)] = record.xml
    return found


def paper(records, arxiv_id):
    return oai_record_to_paper(records[arxiv_id])


def test_page_holds_records_token_cursor_and_size(pages):
    """A page: 1,000 records, the token of the next page, the cursor and completeListSize as served."""
    page = parse_page(pages["page-002.xml.gz"])
    assert len(page.records) == 1000
    assert (page.token, page.cursor, page.complete_list_size) == ("1122234|2001", 1000, 102538)
    assert page.response_date == "2016-03-09T00:36:09Z"


def test_last_page_has_no_token(pages):
    """The last page carries an empty resumptionToken: the list is complete."""
    page = parse_page(pages["page-103.xml.gz"])
    assert page.token is None and len(page.records) == 538


def test_every_fixture_record_maps(records):
    assert len(records) == 3538
    for xml in records.values():
        oai_record_to_paper(xml)


def test_cut_off_page_is_malformed(pages):
    body = pages["page-001.xml.gz"]
    with pytest.raises(MalformedPage):
        parse_page(body[: len(body) // 2])


def test_oai_errors_are_raised_except_no_records_match():
    template = (
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2016-03-09T00:00:00Z</responseDate>'
        '<error code="{code}">x</error></OAI-PMH>'
    )
    assert parse_page(template.format(code="noRecordsMatch").encode()).records == []
    with pytest.raises(OaiProtocolError, match="badResumptionToken"):
        parse_page(template.format(code="badResumptionToken").encode())


def test_arxiv_id_new_style(records):
    """arxiv_id: `<id>` as written, without version."""
    assert paper(records, "0704.0002").arxiv_id == "0704.0002"


def test_arxiv_id_old_style_keeps_archive(records):
    """arxiv_id: old-style ids keep their archive prefix (math/0611918), which is part of the id."""
    assert paper(records, "math/0611918").arxiv_id == "math/0611918"


def test_version_is_a_lower_bound_from_updated(records):
    """version: 2 when `<updated>` is present (more than one version exists), else 1."""
    assert paper(records, "0704.0002").version == 2  # created 2007-03-30, updated 2008-12-13
    assert paper(records, "0704.0046").version == 1  # no <updated>


def test_dates_are_midnight_utc(records):
    """submitted: `<created>`; updated: `<updated>`, or `<created>` when there is one version."""
    value = paper(records, "0704.0002")
    assert value.submitted == datetime(2007, 3, 30, tzinfo=UTC)
    assert value.updated == datetime(2008, 12, 13, tzinfo=UTC)
    single = paper(records, "0704.0046")
    assert single.updated == single.submitted == datetime(2007, 4, 1, tzinfo=UTC)


def test_title_is_tex_cleaned_and_raw_kept(records):
    """title: accents decoded, line wrap folded; title_raw: verbatim, because TeX clean-up changed it."""
    value = paper(records, "0705.2205")
    assert value.title == "From Nondeterministic Büchi and Streett Automata to Deterministic Parity Automata"
    assert value.title_raw == 'From Nondeterministic B\\"uchi and Streett Automata to Deterministic\n  Parity Automata'


def test_plain_title_keeps_no_raw_copy(records):
    """title_raw: None when clean-up changed whitespace only (nothing worth keeping)."""
    value = paper(records, "0704.0002")
    assert value.title == "Sparsity-certifying Graph Decompositions" and value.title_raw is None


def test_abstract_whitespace_folded_math_kept(records):
    """abstract: the 80-column wrap folded; TeX math such as $(k,\\ell)$ left exactly as written."""
    value = paper(records, "0704.0002")
    assert value.abstract.startswith("We describe a new algorithm, the $(k,\\ell)$-pebble game with colors, and use it")
    assert "\n" not in value.abstract and value.abstract_raw is None


def test_authors_in_order_with_keyname_and_forenames(records):
    """authors: one per `<author>`, in order; keyname and forenames as given."""
    value = paper(records, "0704.0002")
    assert [(a.keyname, a.forenames) for a in value.authors] == [("Streinu", "Ileana"), ("Theran", "Louis")]


def test_author_suffix_and_stray_comma(records):
    """authors[].suffix: `<suffix>` (Jr.); a keyname typed as 'Heath,' loses the comma."""
    heath = paper(records, "0704.0802").authors[1]
    assert (heath.keyname, heath.forenames, heath.suffix) == ("Heath", "Robert W.", "Jr.")


def test_author_affiliations_and_accented_names(records):
    """authors[].affiliations: every `<affiliation>`; names TeX-decoded (J\\'er\\^ome -> Jérôme)."""
    authors = paper(records, "0704.3520").authors
    assert [(a.keyname, a.forenames, a.affiliations) for a in authors] == [
        ("Aouiche", "Kamel", ("ERIC",)),
        ("Darmont", "Jérôme", ("ERIC",)),
    ]


def test_collaboration_split_like_a_person_is_rejoined(fixtures):
    """authors: arXiv's keyname 'Collaboration' + forenames 'for the USQCD' is one collaboration."""
    value = oai_record_to_paper((fixtures / "oai" / "record-0806.2312.xml").read_text())
    assert [(a.keyname, a.forenames) for a in value.authors] == [("Joo", "Balint"), ("USQCD Collaboration", "")]


def test_categories_primary_first(records):
    """categories: `<categories>` split on spaces, the primary (first listed) first."""
    assert paper(records, "0704.0046").categories == ("quant-ph", "cs.IT", "math.IT")


def test_optional_fields(records):
    """doi, journal_ref, comments, license: whitespace collapsed, None when absent."""
    value = paper(records, "0704.0046")
    assert value.doi == "10.1063/1.2779138"
    assert value.journal_ref == "J. Math. Phys. 48(2007), 092102."
    assert value.comments == "LATEX file, 11 pages"
    assert value.license is None
    assert paper(records, "0704.0002").license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"


def test_source_is_oai(records):
    assert paper(records, "0704.0002").source == "oai"


def test_record_without_metadata_is_invalid():
    xml = (
        '<record xmlns="http://www.openarchives.org/OAI/2.0/"><header status="deleted">'
        "<identifier>oai:arXiv.org:0704.0001</identifier></header></record>"
    )
    with pytest.raises(InvalidRecord, match="metadata"):
        oai_record_to_paper(xml)
    assert record_key(xml) == "0704.0001"


def test_missing_title_names_the_field(records):
    xml = records["0704.0046"].replace("<title>", "<nottitle>").replace("</title>", "</nottitle>")
    with pytest.raises(InvalidRecord) as error:
        oai_record_to_paper(xml)
    assert error.value.field == "title"
