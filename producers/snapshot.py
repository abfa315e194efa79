"""The arXiv bulk metadata snapshot (one JSON object per line, optionally gzipped).

`read_snapshot` yields the raw lines untouched (they are what a dead letter must carry);
`snapshot_record_to_paper` is the pure mapping from one snapshot object to the contract.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from foundation.errors import InvalidRecord, ScholarStreamError
from producers.normalise import (
    authors_from_string,
    bounded_raw,
    clean_tex_keeping_raw,
    clean_text,
    make_author,
    split_categories,
)
from schemas.papers import MAX_ABSTRACT_CHARS, MAX_TITLE_CHARS, Author, RawPaper, describe_validation_error

# A snapshot line is one paper: a few KB, a 5,000-author one some hundreds. A longer line is read
# this far and no further (the rest is skipped unread) and refused by the mapping.
MAX_LINE_CHARS = 4_000_000


def read_snapshot(path: Path) -> Iterator[str]:
    """Yield each non-blank line of a .json/.jsonl file, gunzipping when the name ends in .gz.

    A file holding one JSON array (rather than JSON lines) is also accepted, one element a record.
    """
    if not path.exists():
        raise ScholarStreamError(f"no such file: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        first = handle.read(1)
        while first.isspace():
            first = handle.read(1)
        if first == "[":
            for item in json.loads(first + handle.read()):
                yield json.dumps(item)
            return
        line = first + handle.readline(MAX_LINE_CHARS)
        while line:
            if len(line) >= MAX_LINE_CHARS and not line.endswith("\n"):
                _skip_rest_of_line(handle)  # never held whole: its head goes on, to be refused
            if line.strip():
                yield line.rstrip("\n")
            line = handle.readline(MAX_LINE_CHARS + 1)


def _skip_rest_of_line(handle: IO[str]) -> None:
    while True:
        chunk = handle.readline(1 << 20)
        if not chunk or chunk.endswith("\n"):
            return


def snapshot_record_to_paper(line: str) -> RawPaper:
    """Map one snapshot line to a `RawPaper`; raises `InvalidRecord` naming what is wrong."""
    if len(line) > MAX_LINE_CHARS:
        raise InvalidRecord(f"a record line over {MAX_LINE_CHARS:,} characters: refused unread")
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise InvalidRecord(f"not JSON: {error.msg} at column {error.colno}") from error
    except RecursionError as error:  # json's C decoder recurses once per nesting level
        raise InvalidRecord("not JSON: nested too deeply") from error
    if not isinstance(record, dict):
        raise InvalidRecord(f"expected a JSON object, got {type(record).__name__}")
    arxiv_id = _text(record, "id")
    given_title = bounded_raw("title", _text(record, "title"), MAX_TITLE_CHARS)
    given_abstract = bounded_raw("abstract", _text(record, "abstract", required=False), MAX_ABSTRACT_CHARS)
    title, title_raw = clean_tex_keeping_raw(given_title)
    abstract, abstract_raw = clean_tex_keeping_raw(given_abstract)
    try:
        return RawPaper(
            arxiv_id=arxiv_id,
            version=_latest_version(record),
            title=title,
            title_raw=title_raw,
            abstract=abstract,
            abstract_raw=abstract_raw,
            authors=_authors(record),
            categories=split_categories(_text(record, "categories")),
            submitted=_version_date(record, first=True),
            updated=_version_date(record, first=False),
            doi=_optional(record, "doi"),
            journal_ref=_optional(record, "journal-ref"),
            comments=_optional(record, "comments"),
            license=_optional(record, "license"),
            source="snapshot",
        )
    except ValidationError as error:
        raise InvalidRecord(describe_validation_error(error)) from error


def record_key(line: str) -> str | None:
    """The record's id if one can be read at all, so even a dead letter is keyed usefully."""
    try:
        value = json.loads(line).get("id")
    except (json.JSONDecodeError, RecursionError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _text(record: dict[str, Any], field: str, required: bool = True) -> str:
    value = record.get(field)
    if value is None:
        if required:
            raise InvalidRecord(f"{field}: missing", field=field)
        return ""
    if not isinstance(value, str):
        raise InvalidRecord(f"{field}: expected a string, got {type(value).__name__}", field=field)
    return value


def _optional(record: dict[str, Any], field: str) -> str | None:
    value = _text(record, field, required=False)
    value = " ".join(value.split())
    return value or None


def _versions(record: dict[str, Any]) -> list[dict[str, Any]]:
    versions = record.get("versions") or []
    if not isinstance(versions, list) or not all(isinstance(v, dict) for v in versions):
        raise InvalidRecord("versions: expected a list of objects", field="versions")
    return versions


def _latest_version(record: dict[str, Any]) -> int:
    numbers = []
    for entry in _versions(record):
        label = str(entry.get("version", ""))
        if not (label.startswith("v") and label[1:].isdigit()):
            raise InvalidRecord(f"versions: bad version label {label!r}", field="versions")
        numbers.append(int(label[1:]))
    return max(numbers, default=1)


def _version_date(record: dict[str, Any], first: bool):
    versions = _versions(record)
    if not versions:
        return None
    entry = versions[0] if first else versions[-1]
    created = entry.get("created")
    if not isinstance(created, str):
        return None
    try:
        return parsedate_to_datetime(created)
    except (TypeError, ValueError) as error:
        raise InvalidRecord(f"versions: unreadable date {created!r}", field="versions") from error


def _authors(record: dict[str, Any]) -> tuple[Author, ...]:
    """`authors_parsed` when present (its optional 4th+ elements are affiliations), with the
    affiliations written inline in the raw `authors` string attached when both list the same
    people; the raw string alone otherwise."""
    raw = record.get("authors")
    from_string = authors_from_string(raw) if isinstance(raw, str) else ()
    parsed = record.get("authors_parsed")
    if parsed:
        if not isinstance(parsed, list) or not all(isinstance(item, list) for item in parsed):
            raise InvalidRecord("authors_parsed: expected a list of [keyname, forenames, suffix]", field="authors_parsed")
        authors = []
        for item in parsed:
            parts = [str(part) for part in item] + ["", "", ""]
            if clean_text(parts[0]):
                authors.append(make_author(parts[0], parts[1], parts[2], tuple(str(a) for a in item[3:])))
        if authors:
            return _attach_affiliations(tuple(authors), from_string)
    if raw is None:
        raise InvalidRecord("authors: missing", field="authors")
    if not isinstance(raw, str):
        raise InvalidRecord(f"authors: expected a string, got {type(raw).__name__}", field="authors")
    return from_string


def _attach_affiliations(parsed: tuple[Author, ...], from_string: tuple[Author, ...]) -> tuple[Author, ...]:
    parsed = _drop_affiliations_read_as_authors(parsed, from_string)
    if len(parsed) != len(from_string):
        return parsed
    merged = []
    for author, other in zip(parsed, from_string, strict=False):
        if other.affiliations and author.keyname.casefold() == other.keyname.casefold():
            combined = tuple(dict.fromkeys(author.affiliations + other.affiliations))
            author = author.model_copy(update={"affiliations": combined})
        merged.append(author)
    return tuple(merged)


def _drop_affiliations_read_as_authors(parsed: tuple[Author, ...], from_string: tuple[Author, ...]) -> tuple[Author, ...]:
    """The snapshot's own `authors_parsed` reads a numbered list written without outer parentheses
    ('Peter J. Mares (2)\\n (1) CTIO (2) Cornell University', 1007.0013) as two more authors, 'CTIO'
    and 'Cornell University'. Entries named exactly like an affiliation of the raw string are
    dropped, but only when that leaves the same people the raw string lists."""
    affiliations = {text.casefold() for author in from_string for text in author.affiliations}
    if len(parsed) <= len(from_string) or not affiliations:
        return parsed
    kept = tuple(a for a in parsed if " ".join(filter(None, (a.forenames, a.keyname))).casefold() not in affiliations)
    return kept if len(kept) == len(from_string) else parsed
