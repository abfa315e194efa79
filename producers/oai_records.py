"""OAI-PMH `ListRecords` pages in arXiv's own metadata format, read into the contract.

`parse_page` splits one response into its records (each kept as its own XML text: that is what
a dead letter carries) and its resumption token; `oai_record_to_paper` is the pure mapping of
one record to `RawPaper`. Both are pure: the harvester (`producers/oai_pmh.py`) does the I/O.

Field by field (source element in arXiv's `metadataPrefix=arXiv` format -> `RawPaper`):

| field | source | required |
| --- | --- | --- |
| arxiv_id | `<id>` (never versioned in this format; old-style ids such as cs/0112017 kept) | yes |
| version | 1 without `<updated>`, 2 with it (see below) | - |
| submitted | `<created>`, midnight UTC | yes |
| updated | `<updated>`, else `<created>`, midnight UTC | - |
| title / title_raw | `<title>`, TeX and whitespace cleaned / verbatim when TeX clean-up changed it | yes |
| abstract / abstract_raw | `<abstract>`, same treatment | no |
| authors | `<authors><author>`: keyname, forenames, suffix, every affiliation | yes |
| categories | `<categories>`, space separated, primary first | yes |
| doi, journal_ref, comments, license | `<doi>`, `<journal-ref>`, `<comments>`, `<license>`, whitespace collapsed | no |

Versions. This format carries dates, not version numbers: `<created>` is v1's date and
`<updated>` appears only when the paper has more than one version. `version` is therefore a
*lower bound* on the true version: 1 without `<updated>`, 2 with it. A lower bound keeps the
downstream rule "keep the highest version" correct: an OAI record can never outrank a snapshot
or query-API record that knows the exact (higher) number, yet a paper first seen as v1 that gains
a second version is picked up by the next OAI harvest (1 -> 2). What a lower bound cannot do is
carry v2 -> v3 updates from OAI alone; the query-API poller (`ingest arxiv`), which sees exact
versions, covers those.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from pydantic import ValidationError

from foundation.errors import InvalidRecord, ScholarStreamError
from producers.normalise import (
    bounded_raw,
    clean_tex_keeping_raw,
    clean_text,
    make_author,
    split_arxiv_id,
    split_categories,
    utc_date,
)
from schemas.papers import MAX_ABSTRACT_CHARS, MAX_TITLE_CHARS, RawPaper, describe_validation_error

OAI = "http://www.openarchives.org/OAI/2.0/"
ARXIV = "http://arxiv.org/OAI/arXiv/"
_O = f"{{{OAI}}}"
_A = f"{{{ARXIV}}}"
# lxml's own limits stay on (no `huge_tree`): a text node over 10 MB or markup nested past 256
# levels makes the page malformed instead of being built in memory.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class MalformedPage(ScholarStreamError):
    """A response that is not a complete OAI-PMH document (cut off, HTML error page ...): retry it."""


class OaiProtocolError(ScholarStreamError):
    """The repository answered with an OAI-PMH error such as badResumptionToken."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"OAI-PMH error {code}: {message}".strip())


@dataclass(frozen=True)
class OaiRecord:
    """One `<record>` of a parsed page; mapping reads `element` directly (no second parse),
    and `xml` serialises it only when needed (a dead letter)."""

    identifier: str
    datestamp: str
    deleted: bool
    element: etree._Element = field(repr=False, compare=False)

    @property
    def xml(self) -> str:
        return etree.tostring(self.element, encoding="unicode")

    @property
    def key(self) -> str | None:
        return split_arxiv_id(self.identifier)[0] if self.identifier else record_key(self.xml)


@dataclass(frozen=True)
class OaiPage:
    records: list[OaiRecord] = field(default_factory=list)
    token: str | None = None  # None or empty: this was the last page
    cursor: int | None = None
    complete_list_size: int | None = None
    response_date: str | None = None


def parse_page(body: bytes) -> OaiPage:
    """Read one `ListRecords` response; `noRecordsMatch` is an empty, final page.

    Raises `MalformedPage` for anything that is not a whole OAI-PMH document (the harvester
    retries those) and `OaiProtocolError` for the repository's own errors (it does not).
    """
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as error:
        raise MalformedPage(f"not a complete XML document: {error}") from error
    if root.tag != f"{_O}OAI-PMH":
        raise MalformedPage(f"not an OAI-PMH response (root element {root.tag!r})")
    response_date = root.findtext(f"{_O}responseDate")
    for problem in root.iterfind(f"{_O}error"):
        code = problem.get("code", "unknown")
        if code == "noRecordsMatch":
            return OaiPage(response_date=response_date)
        raise OaiProtocolError(code, (problem.text or "").strip())
    listing = root.find(f"{_O}ListRecords")
    if listing is None:
        raise MalformedPage("response has neither ListRecords nor an error")
    records = []
    for element in listing.iterfind(f"{_O}record"):
        header = element.find(f"{_O}header")
        if header is None:
            raise MalformedPage("record without header")
        records.append(
            OaiRecord(
                identifier=(header.findtext(f"{_O}identifier") or "").strip(),
                datestamp=(header.findtext(f"{_O}datestamp") or "").strip(),
                deleted=header.get("status") == "deleted",
                element=element,
            )
        )
    token_element = listing.find(f"{_O}resumptionToken")
    token, cursor, size = None, None, None
    if token_element is not None:
        token = (token_element.text or "").strip() or None
        cursor = _int(token_element.get("cursor"))
        size = _int(token_element.get("completeListSize"))
    return OaiPage(records, token, cursor, size, response_date)


def page_files(folder: Path) -> list[Path]:
    """A harvest folder's gzipped pages (`page-NNN.xml.gz`) in harvest order; none when the
    folder does not exist."""
    return sorted(folder.glob("page-*.xml.gz"))


def page_records(pages: Iterable[Path]) -> Iterator[OaiRecord]:
    """Every record of the gzipped pages, page after page; each file is read whole and closed
    before its records are handed out."""
    for path in pages:
        with gzip.open(path) as handle:
            body = handle.read()
        yield from parse_page(body).records


def papers_in_pages(pages: Iterable[Path]) -> Iterator[RawPaper]:
    """The papers of the gzipped pages in harvest order: deleted records and records the mapping
    refuses (InvalidRecord) are skipped."""
    for record in page_records(pages):
        if record.deleted:
            continue
        try:
            paper = oai_element_to_paper(record.element)
        except InvalidRecord:
            continue
        yield paper


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def oai_record_to_paper(payload: str) -> RawPaper:
    """Map one `<record>` (as XML text) to a `RawPaper`; raises `InvalidRecord` naming what is wrong."""
    try:
        record = etree.fromstring(payload.encode(), _PARSER)
    except etree.XMLSyntaxError as error:
        raise InvalidRecord(f"not XML: {error}") from error
    return oai_element_to_paper(record)


def oai_element_to_paper(record: etree._Element) -> RawPaper:
    """The same mapping from an already parsed `<record>` element (the harvester's fast path)."""
    meta = record.find(f"{_O}metadata/{_A}arXiv")
    if meta is None:
        raise InvalidRecord("metadata: no arXiv-format metadata in the record", field="metadata")
    fields = _texts(meta)
    raw_id = _required(fields, "id")
    arxiv_id, id_version = split_arxiv_id(raw_id)
    created = _required(fields, "created")
    updated = _optional(fields, "updated")
    _required(fields, "title")
    title_raw = bounded_raw("title", fields.get(f"{_A}title", ""), MAX_TITLE_CHARS)
    abstract_raw = bounded_raw("abstract", fields.get(f"{_A}abstract", ""), MAX_ABSTRACT_CHARS)
    try:
        submitted = utc_date(created)
        last = utc_date(updated) if updated else submitted
    except ValueError as error:
        raise InvalidRecord(f"created/updated: not a date: {error}", field="created") from error
    title, title_kept = clean_tex_keeping_raw(title_raw)
    abstract, abstract_kept = clean_tex_keeping_raw(abstract_raw)
    try:
        return RawPaper(
            arxiv_id=arxiv_id,
            version=id_version or (2 if updated else 1),
            title=title,
            title_raw=title_kept,
            abstract=abstract,
            abstract_raw=abstract_kept,
            authors=_authors(meta),
            categories=split_categories(_required(fields, "categories")),
            submitted=submitted,
            updated=last,
            doi=_optional(fields, "doi"),
            journal_ref=_optional(fields, "journal-ref"),
            comments=_optional(fields, "comments"),
            license=_optional(fields, "license"),
            source="oai",
        )
    except ValidationError as error:
        raise InvalidRecord(describe_validation_error(error)) from error


_ID = re.compile(r"<id>\s*([^<\s]+)\s*</id>")
_IDENTIFIER = re.compile(r"<identifier>\s*([^<\s]+)\s*</identifier>")


def record_key(payload: str) -> str | None:
    """The record's arXiv id if one can be read at all, so even a dead letter is keyed usefully."""
    match = _ID.search(payload) or _IDENTIFIER.search(payload)
    return split_arxiv_id(match.group(1))[0] if match else None


def _texts(element: etree._Element) -> dict[str, str]:
    """Each child's text by tag, the first of a repeated tag winning as with `findtext`. One pass
    over the children costs a fifth of a path search per field, and the harvester maps every record."""
    texts: dict[str, str] = {}
    for child in element:
        texts.setdefault(child.tag, child.text or "")
    return texts


def _required(fields: dict[str, str], name: str) -> str:
    value = clean_text(fields.get(f"{_A}{name}", ""))
    if not value:
        raise InvalidRecord(f"{name}: missing", field=name)
    return value


def _optional(fields: dict[str, str], name: str) -> str | None:
    return clean_text(fields.get(f"{_A}{name}", "")) or None


_AUTHORS, _AUTHOR, _AFFILIATION = f"{_A}authors", f"{_A}author", f"{_A}affiliation"
_KEYNAME, _FORENAMES, _SUFFIX = f"{_A}keyname", f"{_A}forenames", f"{_A}suffix"


def _authors(meta: etree._Element) -> tuple:
    authors = []
    for group in meta:
        if group.tag != _AUTHORS:
            continue
        for element in group:
            if element.tag != _AUTHOR:
                continue
            parts: dict[str, str] = {}
            affiliations = []
            for child in element:
                if child.tag == _AFFILIATION:
                    affiliations.append(child.text or "")
                else:
                    parts.setdefault(child.tag, child.text or "")
            keyname, forenames = parts.get(_KEYNAME, ""), parts.get(_FORENAMES, "")
            if not keyname.strip() and forenames.strip():
                keyname, forenames = forenames, ""  # a mononym filed as forenames
            authors.append(make_author(keyname, forenames, parts.get(_SUFFIX, ""), tuple(affiliations)))
    return tuple(authors)
