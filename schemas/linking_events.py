"""Events between the linking stages: a mention routed to its block, the authorship the linker
decided, and a work assigned to a researcher with its linked coauthors."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from schemas._base import Frozen
from schemas.papers import AuthorMention, Embedding, TopicScore
from schemas.profiles import Coauthor, Work


class MentionEvent(Frozen):
    """One author line with its paper's context, keyed by blocking key in `researcher.mentions`."""

    schema_version: Literal[1] = 1
    arxiv_id: str
    version: int = Field(ge=1)
    title: str
    year: int | None = None
    categories: tuple[str, ...]
    topics: tuple[TopicScore, ...] = ()
    author_keys: tuple[str, ...] = Field(description="Blocking key of every author, by position.")
    author_names: tuple[str, ...] = Field(description="Printed name of every author, by position.")
    embedding: Embedding | None = None
    mention: AuthorMention


class Authorship(Frozen):
    """Who wrote one author line, how sure the linker is and why; keyed by arXiv id."""

    schema_version: Literal[1] = 1
    arxiv_id: str
    version: int = Field(ge=1)
    position: int = Field(ge=0)
    author_count: int = Field(ge=1)
    researcher_id: str
    created: bool
    confidence: float = Field(ge=0, le=1)
    evidence: dict[str, Any] = Field(default_factory=dict)
    printed_name: str
    surname: str = Field("", description="The surname part of the printed name (arXiv keyname).")
    affiliations: tuple[str, ...] = ()
    embedding: Embedding | None = Field(
        None, description="The paper's embedding, carried by the first author's line only (one copy per paper)."
    )
    work: Work


class WorkAssignment(Frozen):
    """A paper for one researcher, once every author line of it is linked; keyed by researcher id."""

    schema_version: Literal[1] = 1
    researcher_id: str
    work: Work
    coauthors: tuple[Coauthor, ...] = ()
    printed_name: str
    surname: str = Field("", description="The surname part of the printed name (arXiv keyname).")
    affiliations: tuple[str, ...] = ()
    embedding: Embedding | None = Field(None, description="The paper's embedding, for the researcher's centroid.")
