"""Features a person would weigh: does this author line fit this researcher?

Each feature is `None` when one side has nothing to compare (no affiliation, no year, no
vector), so the scorer can tell "no evidence" from "evidence against".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from schemas.names import fold
from stream_processors.linking.names import INCOMPATIBLE, NameCompatibility, PersonName, compare_names

# Words that say "some institution" rather than which one: they count a tenth of a word.
_AFFILIATION_STOPWORDS = frozenset("""
university univ u universita universitat universite universidad universidade uni
department dept dep institute inst institut instituto istituto school faculty college
laboratory lab labs laboratories center centre centro research national state key
of and the for in at de di der des la le el du fur y e et und
physics science sciences engineering technology mathematics computer applied
p r china usa
""".split())
_STOPWORD_WEIGHT = 0.1
SHORT_GIVEN_NAME = 4


def is_short_given_name(name: PersonName) -> bool:
    """'Yan Wang', 'Jun Sun': a short full given name alone says little about who this is."""
    joined = "".join("".join(part) for part in name.given)
    return not name.is_initialled and 0 < len(joined) <= SHORT_GIVEN_NAME


@dataclass(frozen=True)
class Evidence:
    """The feature values for one mention against one researcher: what a link is explained by."""

    name_label: str
    name_grade: float
    shared_coauthors: int
    topic_overlap: float | None
    embedding_cosine: float | None
    affiliation_similarity: float | None
    years_apart: int | None
    short_given_name: bool = False  # a full given name of at most SHORT_GIVEN_NAME letters: shared by many people
    rivals: int = 0  # how many other researchers of the block the mention's name is also compatible with
    name_rarity: float | None = None  # log10 of the people expected to print this full name (popularity.py)
    comparable_coauthors: int = 0  # coauthors that could have been shared: the smaller side's count (0: no coauthor evidence)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": {"label": self.name_label, "grade": self.name_grade},
            "shared_coauthors": self.shared_coauthors,
            "topic_overlap": self.topic_overlap,
            "embedding_cosine": self.embedding_cosine,
            "affiliation_similarity": self.affiliation_similarity,
            "years_apart": self.years_apart,
            "short_given_name": self.short_given_name,
            "rivals": self.rivals,
            **({"name_rarity": self.name_rarity} if self.name_rarity is not None else {}),
            **({"comparable_coauthors": self.comparable_coauthors} if self.comparable_coauthors else {}),
        }


def name_evidence(mention: PersonName, researcher_names: Iterable[PersonName]) -> NameCompatibility:
    """Best grade over the researcher's name forms, but incompatible if ANY form conflicts.

    The veto stops chaining: once "P. Wang" is "Peng Wang", a "Ping Wang" must not join
    through the shared initial.
    """
    best: NameCompatibility | None = None
    for form in researcher_names:
        result = compare_names(mention, form)
        if result.label == INCOMPATIBLE:
            return result
        if best is None or result.grade > best.grade:
            best = result
    return best if best is not None else NameCompatibility(INCOMPATIBLE, 0.0)


def shared_coauthors(mention_coauthors: Iterable[str], researcher_coauthors: Mapping[str, int]) -> int:
    """How many of the paper's other authors (by blocking key) the researcher wrote with before."""
    return sum(1 for key in set(mention_coauthors) if researcher_coauthors.get(key, 0) > 0)


def topic_overlap(categories: Sequence[str], researcher_categories: Mapping[str, int]) -> float | None:
    """Share of the paper's categories the researcher has published in, weighted by habit."""
    if not categories or not researcher_categories:
        return None
    total = sum(researcher_categories.values())
    return round(sum(researcher_categories.get(code, 0) / total for code in set(categories)), 4)


Vector = Sequence[float] | np.ndarray


def as_vector(values: Vector) -> np.ndarray:
    """float64 numpy view of a vector: no copy for a float64 array, a copy for a tuple or float32."""
    return np.asarray(values, dtype=np.float64)


def embedding_cosine(vector: Vector | None, centroid: Vector | None) -> float | None:
    """Cosine of two vectors in float64, rounded to 4 places. numpy, not a Python loop: a block of
    a common name compares each mention with hundreds of centroids (73 % of the pairwise linker's
    time on the pseudo-namesakes was this function as a generator sum)."""
    if vector is None or centroid is None:
        return None
    a, b = as_vector(vector), as_vector(centroid)
    if a.shape != b.shape:
        raise ValueError(f"vectors of {a.shape} and {b.shape} cannot be compared")
    norm = math.sqrt(float(a @ a)) * math.sqrt(float(b @ b))
    return round(float(a @ b) / norm, 4) if norm else None


@lru_cache(maxsize=65536)
def affiliation_tokens(affiliation: str) -> frozenset[str]:
    return frozenset(fold(affiliation).split())


def _weight(token: str) -> float:
    return _STOPWORD_WEIGHT if token in _AFFILIATION_STOPWORDS or len(token) == 1 else 1.0


def affiliation_jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Token Jaccard with institution boilerplate down-weighted."""
    union = a | b
    if not union:
        return 0.0
    return sum(_weight(t) for t in a & b) / sum(_weight(t) for t in union)


@lru_cache(maxsize=262144)
def _pair_similarity(a: str, b: str) -> float:
    return affiliation_jaccard(affiliation_tokens(a), affiliation_tokens(b))


def affiliation_similarity(affiliations: Sequence[str], researcher_affiliations: Sequence[str]) -> float | None:
    """Best match between any of the mention's affiliations and any the researcher had (strings)."""
    mine = [a for a in affiliations if a.strip()]
    if not mine or not researcher_affiliations:
        return None
    return round(max(_pair_similarity(a, b) for a in mine for b in researcher_affiliations), 4)


def years_apart(year: int | None, first_year: int | None, last_year: int | None) -> int | None:
    """0 inside the researcher's active span, else the distance to the nearest end."""
    if year is None or first_year is None or last_year is None:
        return None
    if first_year <= year <= last_year:
        return 0
    return first_year - year if year < first_year else year - last_year
