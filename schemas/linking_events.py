"""Events between the linking stages: a mention routed to its block, the authorship the linker
decided, and a work assigned to a researcher with its linked coauthors."""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from typing import Any, Final, Literal

from pydantic import Field, model_validator

from schemas._base import Frozen
from schemas.papers import AuthorMention, Embedding, TopicScore
from schemas.profiles import MAX_SPLIT_WORKS, Coauthor, ResearcherId, UtcDatetime, Work

# v3: the embedding may travel as float16 (`Embedding.compact`), which a v2 reader refuses.
# v4: the embedding may travel as int8 with a scale (`"dtype": "i1"`), which a v3 reader refuses.
MENTION_SCHEMA_VERSION: Final = 4
# A line's coauthor evidence is every other author of its paper, or for a paper of more authors
# than this, a sample of this many of their distinct blocking keys.
COAUTHOR_SAMPLE = 100


def _rank(key: str) -> bytes:
    """A key's place in the sample order: a stable hash, the same in every process and paper."""
    return hashlib.blake2b(key.encode(), digest_size=8).digest()


def coauthor_keys_of(author_keys: tuple[str, ...], position: int) -> tuple[str, ...]:
    """The other authors' blocking keys the line at `position` takes as coauthor evidence.

    Every other author's key for a paper of at most COAUTHOR_SAMPLE + 1 authors. For a larger
    one, the COAUTHOR_SAMPLE distinct keys of lowest hash among the other authors' (a bottom-k
    sketch): the same hash order in every paper, so two papers of one collaboration, which share
    most of their authors, share most of their samples, as their whole lists would share most
    keys; the whole list would cost each line n keys, n^2 for the paper, and each researcher's
    summary every key of every collaboration. Empty keys (unparsed names) are skipped.
    """
    if len(author_keys) <= COAUTHOR_SAMPLE + 1:
        return tuple(key for index, key in enumerate(author_keys) if index != position and key)
    counts = Counter(key for key in author_keys if key)
    return _sample(_sketch(counts), counts, author_keys[position])


def coauthor_keys_by_line(author_keys: tuple[str, ...]) -> list[tuple[str, ...]]:
    """`coauthor_keys_of` for every line of a paper, its sketch computed once."""
    if len(author_keys) <= COAUTHOR_SAMPLE + 1:
        return [coauthor_keys_of(author_keys, position) for position in range(len(author_keys))]
    counts = Counter(key for key in author_keys if key)
    sketch = _sketch(counts)
    return [_sample(sketch, counts, own) for own in author_keys]


def _sketch(counts: Counter[str]) -> list[str]:
    return heapq.nsmallest(COAUTHOR_SAMPLE + 1, counts, key=_rank)


def _sample(sketch: list[str], counts: Counter[str], own: str) -> tuple[str, ...]:
    """The sketch of the other lines: without the line's own key unless another line prints it too."""
    alone = own if own and counts[own] == 1 else None
    return tuple(key for key in sketch if key != alone)[:COAUTHOR_SAMPLE]


class MentionEvent(Frozen):
    """One author line with its paper's context, keyed by blocking key in `researcher.mentions`.

    v2 carries the line's own printed name, the paper's author count and the coauthor keys the
    linker uses for this line (`coauthor_keys_of`) instead of every author's name and key, so a
    paper's mentions grow linearly with its authors, not with their square. v1 records (every
    name and key by position) are read as v2.
    """

    schema_version: Literal[2, 3, 4] = MENTION_SCHEMA_VERSION
    arxiv_id: str
    version: int = Field(ge=1)
    title: str
    year: int | None = None
    categories: tuple[str, ...]
    topics: tuple[TopicScore, ...] = ()
    author_count: int = Field(ge=1, description="How many authors the paper has.")
    coauthor_keys: tuple[str, ...] = Field(
        (),
        description="Blocking keys of the line's coauthors as the linker takes them: every other author's of a paper "
        f"of at most {COAUTHOR_SAMPLE + 1}, else a sample of {COAUTHOR_SAMPLE} distinct keys (coauthor_keys_of).",
    )
    printed_name: str = Field(description="This line's name as printed.")
    embedding: Embedding | None = None
    mention: AuthorMention

    @model_validator(mode="before")
    @classmethod
    def _from_v1(cls, data: Any) -> Any:
        """A v1 mention (schema_version 1; `author_keys` and `author_names` by position) as v2."""
        if not isinstance(data, dict) or data.get("schema_version") != 1:
            return data
        mention = data["mention"]
        position = mention["position"] if isinstance(mention, dict) else mention.position
        keys = tuple(data.get("author_keys", ()))
        upgraded = {k: v for k, v in data.items() if k not in ("author_keys", "author_names")}
        upgraded.update(
            schema_version=MENTION_SCHEMA_VERSION,
            author_count=len(keys),
            coauthor_keys=coauthor_keys_of(keys, position),
            printed_name=data["author_names"][position],
        )
        return upgraded

    @model_validator(mode="after")
    def _position_in_paper(self) -> MentionEvent:
        if not 0 <= self.mention.position < self.author_count:
            raise ValueError(f"mention position {self.mention.position} outside the paper's {self.author_count} authors")
        return self


RELINK_PREFIX: Final = b'{"kind":"relink"'


class RelinkRequest(Frozen):
    """An operator's request to look again at one researcher of a block (`scholarstream relink`).

    Sent to `researcher.mentions` under the block's key, so the link agent applies it in order with
    the block's mentions, and a replay of the topic applies it at the same place. It carries every
    mention the researcher held when the request was made; the agent re-clusters them
    (`linking/resplit.py`) and refuses the request if the researcher holds other mentions by then.
    Serialised with `kind` first (`is_relink`), so a mention is told from it without parsing.
    """

    kind: Literal["relink"] = "relink"
    schema_version: Literal[1] = 1
    relink_id: str = Field(min_length=1, max_length=100)
    blocking_key: str = Field(min_length=1, max_length=300)
    researcher_id: ResearcherId
    requested_by: str = Field(min_length=1, max_length=200)
    mentions: tuple[MentionEvent, ...] = Field(min_length=1, max_length=MAX_SPLIT_WORKS)
    at: UtcDatetime

    @model_validator(mode="after")
    def _one_block(self) -> RelinkRequest:
        other = [m.mention.blocking_key for m in self.mentions if m.mention.blocking_key != self.blocking_key]
        if other:
            raise ValueError(f"a mention of block {other[0]!r} in a relink of block {self.blocking_key!r}")
        return self


def is_relink(value: bytes) -> bool:
    """Whether a `researcher.mentions` record is a RelinkRequest rather than a MentionEvent."""
    return value.startswith(RELINK_PREFIX)


class Authorship(Frozen):
    """Who wrote one author line, how sure the linker is and why; keyed by arXiv id.
    v2: the embedding may travel as float16; v3: as int8."""

    schema_version: Literal[1, 2, 3] = 3
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
    """A paper for one researcher, once every author line of it is linked; keyed by researcher id.
    v2 added `moved_from` (a merge's works on their way to the survivor), and the embedding may
    travel as float16; v3: as int8."""

    schema_version: Literal[1, 2, 3] = 3
    researcher_id: str
    work: Work
    coauthors: tuple[Coauthor, ...] = ()
    printed_name: str
    surname: str = Field("", description="The surname part of the printed name (arXiv keyname).")
    affiliations: tuple[str, ...] = ()
    embedding: Embedding | None = Field(None, description="The paper's embedding, for the researcher's centroid.")
    moved_from: str | None = Field(
        None,
        description="Set when a merge moves the work from this retired id: its name and embedding were counted there "
        "and came with the merge, so the survivor adds the work without counting them again.",
    )
