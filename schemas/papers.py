"""The paper events every stage agrees on: what producers emit and what enrichment adds.

Producers of any source (snapshot, OAI-PMH, query API) normalise into `RawPaper`; nothing
downstream ever sees a source's own format. Validation errors name the failing field so the
dead-letter reason is useful to a person.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Annotated, Final, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from foundation.errors import InvalidRecord
from schemas._base import FrozenStripped

RAW_SCHEMA_VERSION: Final = 1
# Enriched v3 (issue 17): the embedding is written in float16 (`"dtype": "f2"`), 1 KB instead of 2 KB
# in base64. A v2 record (float32) still reads; a reader older than v3 refuses v3 records.
ENRICHED_SCHEMA_VERSION: Final = 3

# New-style ids (0704.0001, 1501.00001) and old-style archive ids (cs/0112017, math.AG/0301001).
_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7}"
# ASCII only: `\d` would otherwise accept any script's digits ("١٠٠٦.٥٣١٤" is not an arXiv id).
ARXIV_ID = re.compile(rf"^(?:{_NEW_ID}|{_OLD_ID})$", re.ASCII)
_CATEGORY = re.compile(r"^[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z-]+)?$")

Source = Literal["snapshot", "oai", "arxiv-api"]


def _arxiv_id(value: str) -> str:
    if not ARXIV_ID.match(value):
        raise ValueError(f"not an arXiv id without version: {value!r}")
    return value


ArxivId = Annotated[str, AfterValidator(_arxiv_id)]

_MAX_TITLE = 2_000
_MAX_ABSTRACT = 20_000
_MAX_AUTHORS = 5_000
MAX_TITLE_CHARS: Final = _MAX_TITLE
MAX_ABSTRACT_CHARS: Final = _MAX_ABSTRACT
# Kafka refuses a record over 1 MiB by default (the broker's message.max.bytes, the producer's
# max.request.size); a value may take this much, which leaves room for its key and headers.
MAX_RECORD_BYTES: Final = 1_000_000


class Author(FrozenStripped):
    """One name as printed on one paper: not yet a person (linking decides that)."""

    keyname: str = Field(min_length=1, max_length=300, description="Surname, or a collaboration's name.")
    forenames: str = Field("", max_length=300)
    suffix: str = Field("", max_length=50)
    affiliations: tuple[str, ...] = Field((), max_length=50)

    @property
    def full_name(self) -> str:
        parts = [self.forenames, self.keyname, self.suffix]
        return " ".join(part for part in parts if part)


class RawPaper(FrozenStripped):
    """A paper as any producer delivers it to `arxiv.papers.raw`, keyed by `arxiv_id`."""

    schema_version: Literal[1] = RAW_SCHEMA_VERSION
    arxiv_id: ArxivId = Field(description="arXiv identifier without version, e.g. 1006.5314 or cs/0112017.")
    version: int = Field(ge=1, le=1000, description="Highest version number seen (v1 = 1).")
    title: str = Field(min_length=1, max_length=_MAX_TITLE)
    abstract: str = Field("", max_length=_MAX_ABSTRACT)
    title_raw: str | None = Field(
        None, max_length=_MAX_TITLE, description="The title as the source wrote it, when TeX/whitespace clean-up changed it."
    )
    abstract_raw: str | None = Field(
        None, max_length=_MAX_ABSTRACT, description="The abstract as the source wrote it, when clean-up changed it."
    )
    authors: tuple[Author, ...] = Field(min_length=1, max_length=_MAX_AUTHORS)
    categories: tuple[str, ...] = Field(min_length=1, max_length=50, description="Primary category first.")
    submitted: datetime | None = Field(None, description="When version 1 was submitted, UTC.")
    updated: datetime | None = Field(None, description="When this version was submitted or last updated, UTC.")
    doi: str | None = Field(None, max_length=300)
    journal_ref: str | None = Field(None, max_length=1_000)
    comments: str | None = Field(None, max_length=5_000)
    license: str | None = Field(None, max_length=300)
    source: Source

    @field_validator("categories")
    @classmethod
    def _valid_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for category in value:
            if not _CATEGORY.match(category):
                raise ValueError(f"not an arXiv category: {category!r}")
        return value

    @field_validator("submitted", "updated")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a timezone")
        return value.astimezone(UTC)

    @field_validator("title", "abstract")
    @classmethod
    def _no_control_characters(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("contains control characters")
        return value

    @property
    def primary_category(self) -> str:
        return self.categories[0]

    @property
    def year(self) -> int | None:
        stamp = self.submitted or self.updated
        return stamp.year if stamp else None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


_ITEMSIZE = {"f4": 4, "f2": 2}


class Embedding(FrozenStripped):
    """A float vector as little-endian base64: a quarter of the size of a JSON float list.

    float16 (`f2`, half the bytes of float32) on every event and profile: a paper's vector
    (`EnrichedPaper` v3), the linking events that carry it to each of its authors, and a
    researcher's centroid (`ResearcherProfile` v4), which is folded in float64 and rounded once
    per revision. float32 (`f4`) in records written before those versions. `dtype` is written
    only when it is `f2`, so a float32 embedding reads and writes as before it existed.
    """

    model: str
    dim: int = Field(ge=1, le=8192)
    b64: str
    dtype: Literal["f4", "f2"] = "f4"

    @model_validator(mode="after")
    def _size_matches(self) -> Embedding:
        if len(base64.b64decode(self.b64)) != self.dim * _ITEMSIZE[self.dtype]:
            width = "float32" if self.dtype == "f4" else "float16"
            raise ValueError(f"embedding payload does not hold {self.dim} {width} values")
        return self

    @model_serializer(mode="wrap")
    def _without_default_dtype(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        data: dict[str, object] = handler(self)
        if self.dtype == "f4":
            data.pop("dtype", None)
        return data

    @classmethod
    def from_vector(cls, model: str, vector: np.ndarray, dtype: Literal["f4", "f2"] = "f4") -> Embedding:
        data = np.asarray(vector, dtype=f"<{dtype}")
        return cls(model=model, dim=int(data.shape[0]), b64=base64.b64encode(data.tobytes()).decode("ascii"), dtype=dtype)

    def vector(self) -> np.ndarray:
        """The values as float32, whatever they travel as."""
        values = np.frombuffer(base64.b64decode(self.b64), dtype=f"<{self.dtype}")
        return values if self.dtype == "f4" else values.astype(np.float32)

    def compact(self) -> Embedding:
        """The same vector in float16, for an event that hands it on to be folded into a centroid."""
        return self if self.dtype == "f2" else Embedding.from_vector(self.model, self.vector(), "f2")

    def full(self) -> Embedding:
        """The same vector in float32."""
        return self if self.dtype == "f4" else Embedding.from_vector(self.model, self.vector())


class TopicScore(FrozenStripped):
    """A field topic: an arXiv category with its calibrated probability."""

    code: str
    name: str
    score: float = Field(ge=0, le=1)


class Keyphrase(FrozenStripped):
    """A fine topic: a phrase from the paper with its similarity to the whole paper."""

    phrase: str = Field(min_length=1, max_length=200)
    score: float


class AuthorMention(FrozenStripped):
    """One author line of one paper, ready for linking: the name as printed plus its blocking key."""

    position: int = Field(ge=0, description="0 for the first author.")
    keyname: str
    forenames: str = ""
    suffix: str = ""
    affiliations: tuple[str, ...] = ()
    blocking_key: str = Field(description="Folded surname + '_' + first initial (schemas/names.py).")
    is_collaboration: bool = False


class EnrichedPaper(FrozenStripped):
    """A raw paper plus what enrichment derived from it; compacted in `papers.enriched` by id.

    Nothing here depends on when enrichment ran: re-enriching the same record gives the same
    event (up to float rounding in the encoder), so a re-emission after a crash is harmless.
    """

    schema_version: Literal[2, 3] = ENRICHED_SCHEMA_VERSION
    paper: RawPaper
    embedding: Embedding = Field(description="The title and abstract's vector; float16 from v3, float32 before.")
    topics: tuple[TopicScore, ...] = Field(max_length=10, description="Field topics, best first.")
    topic_model: str = Field(description="Version of the field-topic model that assigned `topics`.")
    keyphrases: tuple[Keyphrase, ...] = Field((), max_length=20, description="Fine topics, best first.")
    mentions: tuple[AuthorMention, ...] = Field(max_length=5_000)
    ingested_at: datetime = Field(description="When the raw record reached Kafka (its record timestamp).")

    @property
    def arxiv_id(self) -> str:
        return self.paper.arxiv_id


def parse_raw_paper(payload: bytes | str) -> RawPaper:
    """Decode a `arxiv.papers.raw` value, translating pydantic's error into `InvalidRecord`."""
    return _parse(RawPaper, payload)


def parse_enriched_paper(payload: bytes | str) -> EnrichedPaper:
    return _parse(EnrichedPaper, payload)


def _parse(model: type[BaseModel], payload: bytes | str):
    try:
        return model.model_validate_json(payload)
    except ValidationError as error:
        raise InvalidRecord(describe_validation_error(error), field=_first_field(error)) from error


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem, each naming the field: 'authors.0.keyname: String should have ...'."""
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "<record>"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


def _first_field(error: ValidationError) -> str | None:
    errors = error.errors()
    if not errors or not errors[0]["loc"]:
        return None
    return ".".join(str(part) for part in errors[0]["loc"])


def encode_raw(paper: RawPaper) -> bytes:
    """The paper's record value for `arxiv.papers.raw`; InvalidRecord when it is too large for a
    Kafka message. Every field is within its limit and the whole can still be over (5,000 authors
    with long affiliations): Kafka would refuse the send, and a harvest would retry its page forever."""
    value = paper.model_dump_json().encode()
    if len(value) > MAX_RECORD_BYTES:
        raise InvalidRecord(
            f"the record is {len(value):,} bytes, over the {MAX_RECORD_BYTES:,} a Kafka message may hold "
            f"({len(paper.authors):,} authors)"
        )
    return value
