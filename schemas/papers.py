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
# in base64. v4: in int8 with a scale (`"dtype": "i1"`), about 0.55 KB. Older records still read;
# a reader older than a version refuses its records.
ENRICHED_SCHEMA_VERSION: Final = 4

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


_ITEMSIZE = {"f4": 4, "f2": 2, "i1": 1}
_WIDTH = {"f4": "float32", "f2": "float16", "i1": "int8"}
EmbeddingDtype = Literal["f4", "f2", "i1"]


class Embedding(FrozenStripped):
    """A vector as little-endian base64: a quarter of the size of a JSON float list or less.

    Three widths, by what the vector is for:
    - `i1`, int8 with one scale a vector (`value = q * scale`, q in -127..127): a paper's vector,
      which is made once and only read (`EnrichedPaper` v4 and the linking events that hand it
      to each author line, `MentionEvent` v4, `Authorship` v3, `WorkAssignment` v3). A quarter
      of float32; its cosine to the float32 vector is 0.9998 or more on the encoder's vectors.
    - `f2`, float16: a centroid, which is folded again at every revision (`ResearcherProfile`
      v4, the linker's block state): folded in float64 and rounded once a revision, so its
      error does not grow with the works the way int8's step would. Also the paper's vector on
      records written before the int8 versions (`EnrichedPaper` v3, `MentionEvent` v3).
    - `f4`, float32: records written before either. `dtype` is written only when it is not
      `f4`, and `scale` only for `i1`, so a float32 embedding reads and writes as before.
    """

    model: str
    dim: int = Field(ge=1, le=8192)
    b64: str
    dtype: EmbeddingDtype = "f4"
    scale: float | None = Field(None, gt=0, description="int8 only: the value of one step.")

    @model_validator(mode="after")
    def _size_matches(self) -> Embedding:
        if len(base64.b64decode(self.b64)) != self.dim * _ITEMSIZE[self.dtype]:
            raise ValueError(f"embedding payload does not hold {self.dim} {_WIDTH[self.dtype]} values")
        if (self.scale is not None) != (self.dtype == "i1"):
            raise ValueError("an int8 embedding needs its scale, and only an int8 one has one")
        return self

    @model_serializer(mode="wrap")
    def _without_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        data: dict[str, object] = handler(self)
        if self.dtype == "f4":
            data.pop("dtype", None)
        if self.scale is None:
            data.pop("scale", None)
        return data

    @classmethod
    def from_vector(cls, model: str, vector: np.ndarray, dtype: EmbeddingDtype = "f4") -> Embedding:
        if dtype == "i1":
            return cls._quantized(model, np.asarray(vector, dtype=np.float64))
        data = np.asarray(vector, dtype=f"<{dtype}")
        return cls(model=model, dim=int(data.shape[0]), b64=base64.b64encode(data.tobytes()).decode("ascii"), dtype=dtype)

    @classmethod
    def _quantized(cls, model: str, vector: np.ndarray) -> Embedding:
        """Symmetric int8: the largest magnitude maps to 127 (a zero vector keeps scale 1)."""
        largest = float(np.abs(vector).max()) if vector.size else 0.0
        scale = largest / 127 if largest > 0 else 1.0
        steps = np.clip(np.rint(vector / scale), -127, 127).astype("<i1")
        return cls(model=model, dim=int(vector.shape[0]), b64=base64.b64encode(steps.tobytes()).decode("ascii"),
                   dtype="i1", scale=scale)

    def vector(self) -> np.ndarray:
        """The values as float32, whatever they travel as."""
        values = np.frombuffer(base64.b64decode(self.b64), dtype=f"<{self.dtype}")
        if self.dtype == "i1":
            assert self.scale is not None  # the validator holds it for every int8 embedding
            return (values.astype(np.float64) * self.scale).astype(np.float32)
        return values if self.dtype == "f4" else values.astype(np.float32)

    def as_dtype(self, dtype: EmbeddingDtype) -> Embedding:
        """The same vector in another width (itself when it already is)."""
        return self if self.dtype == dtype else Embedding.from_vector(self.model, self.vector(), dtype)

    def compact(self) -> Embedding:
        """The vector as the linking events carry it: as it came if int8 or float16, else float16."""
        return self if self.dtype in ("f2", "i1") else self.as_dtype("f2")

    def full(self) -> Embedding:
        """The same vector in float32."""
        return self.as_dtype("f4")


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

    schema_version: Literal[2, 3, 4] = ENRICHED_SCHEMA_VERSION
    paper: RawPaper
    embedding: Embedding = Field(description="The title and abstract's vector; int8 from v4, float16 in v3, float32 before.")
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
