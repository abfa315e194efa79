"""Researcher search: names the way people type them, topics and free text, and meaning.

The text ranking is one bool query: name keys (indexers/name_keys.py) as constant scores, so the
most specific form a person typed decides, plus the folded names as words and type-ahead
prefixes, plus topics, work titles and affiliations as free text; a mild prior for works and
trust is added on top (`function_score`, boost_mode sum), small enough that it only orders
namesakes. Semantic search is a kNN query of the query's embedding against each researcher's
centroid; `hybrid` fuses both lists by reciprocal rank fusion computed here (Elasticsearch's RRF
retriever needs a paid licence).

User input is only ever the value of a term, match or kNN query: never query syntax.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from elasticsearch import Elasticsearch

from clients import es_io
from foundation.errors import SearchError
from foundation.settings import Settings
from indexers.mappings import RESEARCHERS
from indexers.name_keys import query_keys
from schemas.profiles import VerificationLevel

MAX_QUERY_LENGTH = 300
MAX_PAGE_SIZE = 50
MAX_RESULT_WINDOW = 1_000  # deeper pages are refused: nobody reads them, and they cost the cluster
# Semantic and hybrid searches rank a kNN window of page x size (and hybrid a text window as deep):
# past this they are refused, so one request cannot make Elasticsearch score thousands of vectors.
MAX_SEMANTIC_WINDOW = 200
RRF_K = 60
# The prior: points per log10(1 + n) of works and of the trust score (see `text_query`).
PRIOR_WORKS = 1.0
PRIOR_TRUST = 0.5
# Points a researcher gains when a query word is in its top topic (the first of `topic_names`), on
# top of the free-text clause (see `main_topic_clause`): more than the prior's difference between
# most namesakes, a quarter of a surname's key (8), so a name match still outranks people who share
# only the topic. Chosen on the known-item evaluation's tuning sample (docs/search.md).
MAIN_TOPIC_BOOST = 2.0
# A profile's topics are indexed top topic first, and Elasticsearch puts each later value of a text
# array 100 positions further on (`position_increment_gap`): a word that ends before position 50
# belongs to the top topic.
FIRST_VALUE_END = 50
MAX_TOPIC_TERMS = 20
_TOPIC_FILLERS = frozenset({"a", "an", "and", "for", "in", "of", "on", "the", "to", "with"})
_WORD = re.compile(r"[^\W_]+")
Mode = Literal["text", "semantic", "hybrid"]
MODES: tuple[str, ...] = ("text", "semantic", "hybrid")
_CATEGORY = re.compile(r"^[a-z-]+(\.[A-Za-z-]+)?$")
_RETURNED = [
    "researcher_id", "display_name", "affiliations", "topic_codes", "topic_names", "works_count", "trust_score",
    "trust_label", "verification_level", "claimed", "open_to_collaborate", "followers_count", "last_active_year",
]


@dataclass(frozen=True)
class ResearcherFilters:
    topic: str | None = None  # an arXiv category ('cs.IR') or words of a topic name
    verified: VerificationLevel | None = None  # at least this level
    claimed: bool | None = None
    has_affiliation: bool | None = None
    active_since: int | None = None  # last active in this year or later


@dataclass(frozen=True)
class ResearcherQuery:
    text: str
    filters: ResearcherFilters = field(default_factory=ResearcherFilters)
    page: int = 1
    size: int = 10
    mode: Mode = "text"

    def validated(self) -> ResearcherQuery:
        """The same query with the text trimmed; SearchError says what is wrong in words."""
        text = " ".join(self.text.split())
        if not text:
            raise SearchError("the query is empty")
        if not any(ch.isalnum() for ch in text):
            # Punctuation alone matches nothing by itself but every profile through the prior:
            # '"\\*(' used to answer 1,000 arbitrary researchers.
            raise SearchError("the query has no letters or digits to search for: type a name, a topic or words of a title")
        if len(text) > MAX_QUERY_LENGTH:
            raise SearchError(f"the query is longer than {MAX_QUERY_LENGTH} characters")
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise SearchError(f"size must be between 1 and {MAX_PAGE_SIZE}")
        if self.page < 1:
            raise SearchError("page must be 1 or more")
        if self.page * self.size > MAX_RESULT_WINDOW:
            raise SearchError(f"results beyond the first {MAX_RESULT_WINDOW} are not served; refine the query")
        if self.mode not in MODES:
            raise SearchError(f"mode must be one of {', '.join(MODES)}")
        if self.mode != "text" and self.page * self.size > MAX_SEMANTIC_WINDOW:
            raise SearchError(
                f"{self.mode} search serves the first {MAX_SEMANTIC_WINDOW} results; use text search to page deeper"
            )
        topic = self.filters.topic
        if topic is not None and (not topic.strip() or len(topic) > 200):
            raise SearchError("topic must be 1 to 200 characters")
        if self.filters.active_since is not None and not 1900 <= self.filters.active_since <= 2200:
            raise SearchError("active_since must be a year between 1900 and 2200")
        return ResearcherQuery(text, self.filters, self.page, self.size, self.mode)


@dataclass(frozen=True)
class ResearcherHit:
    researcher_id: str
    display_name: str
    score: float
    works_count: int
    trust_score: int
    trust_label: str | None
    verification_level: str
    claimed: bool
    open_to_collaborate: bool
    followers_count: int
    last_active_year: int | None
    affiliations: list[str]
    topics: list[dict[str, str]]
    matched_by: list[str]
    highlights: dict[str, list[str]]


@dataclass(frozen=True)
class ResearcherResults:
    query: str
    mode: str
    page: int
    size: int
    total: int  # text matches (at least); for semantic-only, the neighbours considered
    hits: list[ResearcherHit]
    took_ms: float
    # Set when fewer people than fill the first page matched the text as written and names within
    # one or two edits add others (after the exact matches): the best of those, for a "did you mean" line.
    did_you_mean: str | None = None


# --- query building (pure) ---------------------------------------------------------------------


def filter_clauses(filters: ResearcherFilters) -> list[dict[str, Any]]:
    """Filters as Elasticsearch clauses; merged (redirect) documents are never results."""
    clauses: list[dict[str, Any]] = [{"bool": {"must_not": {"exists": {"field": "merged_into"}}}}]
    if filters.topic:
        topic = filters.topic.strip()
        if _CATEGORY.match(topic) and "." in topic:
            clauses.append({"term": {"topic_codes": topic}})
        else:
            clauses.append({"match": {"topic_names": {"query": topic, "operator": "and"}}})
    if filters.verified is not None:
        levels = [level.value for level in VerificationLevel if level.rank >= filters.verified.rank]
        clauses.append({"terms": {"verification_level": levels}})
    if filters.claimed is not None:
        clauses.append({"term": {"claimed": filters.claimed}})
    if filters.has_affiliation is not None:
        clauses.append({"term": {"has_affiliation": filters.has_affiliation}})
    if filters.active_since is not None:
        clauses.append({"range": {"last_active_year": {"gte": filters.active_since}}})
    return clauses


def text_query(query: ResearcherQuery) -> dict[str, Any]:
    """The text ranking for a validated query.

    The name part is a dis_max: the sum of the matched name keys, or the folded names as words,
    or as type-ahead prefixes, whichever is best, so one name is never counted three times.
    Free text (topics, titles, affiliations) adds to it with a lower weight: it decides topic
    queries and orders the people of one surname in "surname + topic" queries, and words of a
    researcher's top topic add a little more (`main_topic_clause`). The prior for
    works and trust (log10(1 + n)) only orders researchers whose text scores are close.
    """
    by_weight: dict[float, list[str]] = {}
    for key, weight in query_keys(query.text).items():
        by_weight.setdefault(weight, []).append(key)
    keys = [
        {"constant_score": {"filter": {"terms": {"name_keys": sorted(group)}}, "boost": weight}}
        for weight, group in sorted(by_weight.items(), reverse=True)
    ]
    name = {"dis_max": {"queries": [
        {"bool": {"should": keys}},
        {"match": {"names": {"query": query.text, "operator": "and", "boost": 2.0}}},
        {"match_bool_prefix": {"names": {"query": query.text, "operator": "and", "boost": 1.0}}},
    ]}}
    should: list[dict[str, Any]] = [name]
    words = " ".join(word for word in query.text.split() if len(word.strip(".,;-")) > 1)  # initials are not topics
    if words:
        should.append({"multi_match": {
            "query": words,
            "fields": ["topic_names^2", "work_titles", "affiliations"],
            "type": "best_fields",
            "tie_breaker": 0.3,
            "minimum_should_match": "75%",
            "boost": 0.5,
        }})
        main_topic = main_topic_clause(words)
        if main_topic is not None:
            should.append(main_topic)
    return {
        "function_score": {
            "query": {"bool": {"should": should, "minimum_should_match": 1,
                               "filter": filter_clauses(query.filters)}},
            "functions": [
                {"field_value_factor": {"field": "works_count", "modifier": "log1p", "missing": 0}, "weight": PRIOR_WORKS},
                {"field_value_factor": {"field": "trust_score", "modifier": "log1p", "missing": 0}, "weight": PRIOR_TRUST},
            ],
            "score_mode": "sum",
            "boost_mode": "sum",
        }
    }


def main_topic_clause(words: str) -> dict[str, Any] | None:
    """The query's words found in a researcher's top topic: "Janson Robotics" ranks the Janson whose
    main field is robotics above one who has a robotics paper among others. Each word is a term
    value (lowercased and split as the standard analyzer does, fillers like "and" left out); the
    span must end within the first value of `topic_names`, which is the top topic. A constant
    score: one word or several, rare or common, it adds MAIN_TOPIC_BOOST."""
    terms = sorted({word for word in _WORD.findall(words.lower()) if len(word) > 1 and word not in _TOPIC_FILLERS})
    if not terms:
        return None
    in_top_topic = {"span_first": {
        "match": {"span_or": {"clauses": [{"span_term": {"topic_names": term}} for term in terms[:MAX_TOPIC_TERMS]]}},
        "end": FIRST_VALUE_END,
    }}
    return {"constant_score": {"filter": in_top_topic, "boost": MAIN_TOPIC_BOOST}}


def fuzzy_name_query(query: ResearcherQuery) -> dict[str, Any]:
    """The names within reach of each word, every word required: no edit for one or two letters (so
    initials and particles stay exact), one for three or four, two from five on (Elasticsearch's
    `AUTO:3,5`). Run when the text query found fewer people than fill the first page; its hits
    come after the text query's, so an exact match always comes first. The same prior orders them."""
    return {
        "function_score": {
            "query": {"bool": {
                "must": {"match": {"names": {"query": query.text, "operator": "and", "fuzziness": "AUTO:3,5",
                                             "prefix_length": 1, "max_expansions": 50}}},
                "filter": filter_clauses(query.filters),
            }},
            "functions": [
                {"field_value_factor": {"field": "works_count", "modifier": "log1p", "missing": 0}, "weight": PRIOR_WORKS},
                {"field_value_factor": {"field": "trust_score", "modifier": "log1p", "missing": 0}, "weight": PRIOR_TRUST},
            ],
            "score_mode": "sum",
            "boost_mode": "sum",
        }
    }


def knn_query(vector: Sequence[float], query: ResearcherQuery) -> dict[str, Any]:
    k = query.page * query.size
    return {
        "field": "embedding",
        "query_vector": list(vector),
        "k": k,
        "num_candidates": min(10_000, max(100, 4 * k)),
        "filter": filter_clauses(query.filters),
    }


HIGHLIGHT = {
    "fields": {"names": {}, "topic_names": {}, "work_titles": {"number_of_fragments": 2}, "affiliations": {}},
    "pre_tags": ["<em>"],
    "post_tags": ["</em>"],
    # The fragments are HTML: escape the text around the tags, so a title or an affiliation that
    # holds markup reaches a page as text (issue 18: `<script>` in a title was returned raw).
    "encoder": "html",
}


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Ids ordered by the sum of 1/(k + rank) over the rankings they appear in (rank from 1).

    Ties keep the order of first appearance, reading the rankings in turn, so results are stable.
    """
    scores: dict[str, float] = {}
    first_seen: dict[str, int] = {}
    for position in range(max((len(r) for r in rankings), default=0)):
        for ranking in rankings:
            if position < len(ranking):
                first_seen.setdefault(ranking[position], len(first_seen))
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], first_seen[item[0]]))


# --- running it ----------------------------------------------------------------------------------


def search_researchers(
    es: Elasticsearch,
    settings: Settings,
    query: ResearcherQuery,
    embed: Callable[[str], Sequence[float]] | None = None,
) -> ResearcherResults:
    """Run a researcher query; `embed` (text -> vector) is needed for the semantic and hybrid modes."""
    query = query.validated()
    if query.mode != "text" and embed is None:
        raise SearchError(f"{query.mode} search needs the encoder, which this process has not loaded")
    alias = RESEARCHERS.alias(settings)
    window = query.page * query.size
    took = 0.0
    text_hits: list[dict] = []
    total = 0
    missing = "the researchers index does not exist yet: run `scholarstream setup` and the indexer"
    with es_io.search_errors(settings, missing=missing):
        if query.mode in ("text", "hybrid"):
            response = es.search(
                index=alias, query=text_query(query), highlight=HIGHLIGHT, source_includes=_RETURNED,
                size=window if query.mode == "hybrid" else query.size,
                from_=0 if query.mode == "hybrid" else (query.page - 1) * query.size,
                track_total_hits=MAX_RESULT_WINDOW,
            )
            text_hits = response["hits"]["hits"]
            total = int(response["hits"]["total"]["value"])
            took += float(response["took"])
        knn_hits: list[dict] = []
        if query.mode in ("semantic", "hybrid"):
            response = es.search(
                index=alias, knn=knn_query(embed(query.text), query), source_includes=_RETURNED, size=window,  # type: ignore[misc]
            )
            knn_hits = response["hits"]["hits"]
            took += float(response["took"])
            total = max(total, len(knn_hits))

        did_you_mean = None
        fuzzy_hits: list[dict] = []
        # Fewer matches as written than fill a page: a misspelled name? (Its misspelling may be a word
        # of someone's titles, so "no match" is too late a sign.) Only the first page mixes them.
        if query.mode == "text" and (total == 0 or (query.page == 1 and total < query.size)):
            response = es.search(
                index=alias, query=fuzzy_name_query(query), highlight=HIGHLIGHT, source_includes=_RETURNED,
                size=query.size, from_=(query.page - 1) * query.size, track_total_hits=MAX_RESULT_WINDOW,
            )
            took += float(response["took"])
            exact_ids = {h["_id"] for h in text_hits}
            fuzzy_hits = [h for h in response["hits"]["hits"] if h["_id"] not in exact_ids][:query.size - len(text_hits)]
            if not text_hits:
                total = int(response["hits"]["total"]["value"])
            elif fuzzy_hits:
                total = len(text_hits) + len(fuzzy_hits)  # one page: the exact matches, then the near ones
            if fuzzy_hits:
                did_you_mean = fuzzy_hits[0]["_source"]["display_name"]

    if query.mode == "text":
        # Matches as written first, always; then the names within an edit or two.
        hits = [_hit(h, float(h["_score"]), ["text"]) for h in text_hits]
        hits += [_hit(h, float(h["_score"]), ["fuzzy"]) for h in fuzzy_hits]
    else:
        by_id = {h["_id"]: h for h in (*knn_hits, *text_hits)}  # text hits carry the highlights
        text_ids = [h["_id"] for h in text_hits]
        knn_ids = [h["_id"] for h in knn_hits]
        fused = reciprocal_rank_fusion([text_ids, knn_ids]) if query.mode == "hybrid" else [
            (doc_id, float(h["_score"])) for doc_id, h in zip(knn_ids, knn_hits, strict=False)
        ]
        start = (query.page - 1) * query.size
        hits = [
            _hit(by_id[doc_id], score, [name for name, ids in (("text", text_ids), ("semantic", knn_ids)) if doc_id in ids])
            for doc_id, score in fused[start:start + query.size]
        ]
    return ResearcherResults(query.text, query.mode, query.page, query.size, total, hits, took, did_you_mean)


def _hit(hit: dict, score: float, matched_by: list[str]) -> ResearcherHit:
    source = hit["_source"]
    return ResearcherHit(
        researcher_id=source["researcher_id"],
        display_name=source["display_name"],
        score=round(score, 5),
        works_count=source.get("works_count", 0),
        trust_score=source.get("trust_score", 0),
        trust_label=source.get("trust_label"),
        verification_level=source.get("verification_level", "L0"),
        claimed=bool(source.get("claimed")),
        open_to_collaborate=bool(source.get("open_to_collaborate")),
        followers_count=source.get("followers_count", 0),
        last_active_year=source.get("last_active_year"),
        affiliations=list(source.get("affiliations", []))[:5],
        topics=[{"code": c, "name": n} for c, n in zip(source.get("topic_codes", []), source.get("topic_names", []), strict=False)],
        matched_by=matched_by,
        highlights=hit.get("highlight", {}),
    )
