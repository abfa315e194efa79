"""Normalisation shared by every producer: whitespace, categories, and author strings."""

from __future__ import annotations

import re

from schemas.papers import Author

_SPACE = re.compile(r"\s+")
_AND = re.compile(r",?\s+and\s+|\s*&\s*", re.IGNORECASE)


def clean_text(text: str) -> str:
    """Collapse runs of whitespace (arXiv wraps titles and abstracts at 80 columns)."""
    return _SPACE.sub(" ", text).strip()


def split_categories(text: str) -> tuple[str, ...]:
    """Space-separated categories, primary first, without duplicates."""
    seen: dict[str, None] = {}
    for category in text.split():
        seen.setdefault(category, None)
    return tuple(seen)


def authors_from_string(text: str) -> tuple[Author, ...]:
    """Split 'A. Smith, B. Jones and C. Wu' into authors, surname last.

    A minimal reading for records without `authors_parsed`; inline affiliations are dropped here.
    """
    text = re.sub(r"\([^()]*\)", " ", text)  # inline affiliation markers such as (1,2)
    names = [clean_text(part) for part in _AND.sub(",", text).split(",")]
    authors = []
    for name in names:
        if not name:
            continue
        forenames, _, keyname = name.rpartition(" ")
        authors.append(Author(keyname=keyname, forenames=forenames))
    return tuple(authors)
