"""Evidence features: each says nothing (None) when one side has nothing to compare."""

import math
import random
from array import array

import pytest

from stream_processors.linking.evidence import (
    affiliation_similarity,
    as_vector,
    embedding_cosine,
    name_evidence,
    shared_coauthors,
    topic_overlap,
    years_apart,
)
from stream_processors.linking.names import EXACT_INITIAL, INCOMPATIBLE, SAME_INITIALS, parse_name


def test_name_evidence_vetoes_when_any_known_form_conflicts():
    """'P. Wang' already linked to 'Peng Wang' must not pull in 'Ping Wang' through the initial."""
    forms = [parse_name("Wang", "P."), parse_name("Wang", "Peng")]
    assert name_evidence(parse_name("Wang", "Ping"), forms).label == INCOMPATIBLE
    assert name_evidence(parse_name("Wang", "P."), forms).label == EXACT_INITIAL


def test_name_evidence_takes_the_best_compatible_form():
    forms = [parse_name("Wang", "S."), parse_name("Wang", "S.-Y.")]
    assert name_evidence(parse_name("Wang", "Shang-Yung"), forms).label == SAME_INITIALS


def test_shared_coauthors_counts_distinct_keys():
    assert shared_coauthors(["smith_j", "smith_j", "lee_k", "ng_a"], {"smith_j": 3, "lee_k": 1, "zhu_x": 2}) == 2
    assert shared_coauthors([], {"smith_j": 1}) == 0


def test_affiliation_similarity_downweights_boilerplate():
    same_place = affiliation_similarity(["Dept. of Physics, University of Pittsburgh"], ["pittsburgh u"])
    other_place = affiliation_similarity(["Department of Physics, University of Tokyo"], ["department of physics university of pittsburgh"])
    assert same_place is not None and other_place is not None
    assert same_place > 0.5 > other_place
    assert affiliation_similarity([], ["pittsburgh u"]) is None
    assert affiliation_similarity(["MIT"], []) is None


def test_topic_overlap_is_weighted_by_habit():
    assert topic_overlap(["cs.LG"], {"cs.LG": 3, "cs.CV": 1}) == pytest.approx(0.75)
    assert topic_overlap(["math.AG"], {"cs.LG": 3}) == 0.0
    assert topic_overlap([], {"cs.LG": 3}) is None


def test_embedding_cosine():
    assert embedding_cosine([1.0, 0.0], [2.0, 0.0]) == pytest.approx(1.0)
    assert embedding_cosine([1.0, 0.0], [0.0, 1.0]) == pytest.approx(0.0)
    assert embedding_cosine(None, [1.0]) is None
    assert embedding_cosine([0.0, 0.0], [1.0, 0.0]) is None


def test_embedding_cosine_agrees_with_the_plain_formula_on_every_vector_kind():
    rng = random.Random(7)
    for _ in range(200):
        vector = tuple(rng.uniform(-1, 1) for _ in range(384))
        centroid = array("d", (rng.uniform(-1, 1) for _ in range(384)))
        dot = sum(a * b for a, b in zip(vector, centroid, strict=True))
        plain = dot / (math.sqrt(sum(a * a for a in vector)) * math.sqrt(sum(b * b for b in centroid)))
        assert embedding_cosine(vector, centroid) == pytest.approx(round(plain, 4), abs=1e-4)
        assert embedding_cosine(as_vector(vector), centroid) == embedding_cosine(vector, centroid)


def test_embedding_cosine_refuses_vectors_of_different_lengths():
    with pytest.raises(ValueError, match="cannot be compared"):
        embedding_cosine([1.0, 0.0, 0.0], [1.0, 0.0])


@pytest.mark.parametrize(("year", "expected"), [(2010, 0), (2005, 3), (2016, 4), (None, None)])
def test_years_apart(year, expected):
    assert years_apart(year, 2008, 2012) == expected
