"""Reading a folder of harvest pages (`page-NNN.xml.gz`): order, what is skipped, files closed."""

from __future__ import annotations

import gzip

from producers.oai_records import page_files, page_records, papers_in_pages, parse_page
from tests.conftest import FIXTURES

OAI = FIXTURES / "oai"


def test_page_files_are_the_gzipped_pages_in_harvest_order(tmp_path):
    for name in ("page-010.xml.gz", "page-002.xml.gz", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in page_files(tmp_path)] == ["page-002.xml.gz", "page-010.xml.gz"]
    assert page_files(tmp_path / "missing") == []


def test_page_records_are_every_record_of_every_page_in_order():
    pages = page_files(OAI)
    expected = [r.identifier for p in pages for r in parse_page(gzip.decompress(p.read_bytes())).records]
    assert [r.identifier for r in page_records(pages)] == expected and expected


def _page(records: str) -> bytes:
    return gzip.compress(
        f'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>{records}</ListRecords></OAI-PMH>'.encode()
    )


def test_papers_skip_deleted_and_unmappable_records(tmp_path):
    good = (OAI / "record-0806.2312.xml").read_text()
    deleted = '<record><header status="deleted"><identifier>oai:arXiv.org:0806.0001</identifier></header></record>'
    unmappable = "<record><header><identifier>oai:arXiv.org:0806.0002</identifier></header><metadata/></record>"
    (tmp_path / "page-001.xml.gz").write_bytes(_page(deleted + unmappable))
    (tmp_path / "page-002.xml.gz").write_bytes(_page(good))
    assert [r.deleted for r in page_records(page_files(tmp_path))] == [True, False, False]
    assert [p.arxiv_id for p in papers_in_pages(page_files(tmp_path))] == ["0806.2312"]


def test_each_page_file_is_closed_before_its_records_are_handed_out(monkeypatch):
    opened = []
    real_open = gzip.open

    def spy(*args, **kwargs):
        handle = real_open(*args, **kwargs)
        opened.append(handle)
        return handle

    monkeypatch.setattr(gzip, "open", spy)
    reader = page_records(page_files(OAI))
    next(reader)
    assert len(opened) == 1 and opened[0].closed
    list(reader)
    assert len(opened) == len(page_files(OAI)) and all(handle.closed for handle in opened)
