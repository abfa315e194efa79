"""Researcher search without a cluster: input checks, the query's shape, fusion, documents."""

from __future__ import annotations

import json

import numpy as np
import pytest

from foundation.errors import SearchError
from foundation.settings import Settings
from indexers.documents import researcher_document
from indexers.researcher_search import (
    FIRST_VALUE_END,
    MAIN_TOPIC_BOOST,
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    ResearcherFilters,
    ResearcherQuery,
    filter_clauses,
    main_topic_clause,
    reciprocal_rank_fusion,
    search_researchers,
    text_query,
)
from schemas.papers import Embedding
from schemas.profiles import VerificationLevel, Work
from stream_processors.profiles import apply_work, new_profile, retire


class NeverCalled:
    def search(self, **_kwargs):
        raise AssertionError("Elasticsearch must not be queried for invalid input")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (ResearcherQuery("   "), "empty"),
        (ResearcherQuery('"\\*('), "no letters or digits"),
        (ResearcherQuery("-- . ,"), "no letters or digits"),
        (ResearcherQuery("x" * (MAX_QUERY_LENGTH + 1)), "longer"),
        (ResearcherQuery("wang", size=0), "size"),
        (ResearcherQuery("wang", size=MAX_PAGE_SIZE + 1), "size"),
        (ResearcherQuery("wang", page=0), "page"),
        (ResearcherQuery("wang", page=-3), "page"),
        (ResearcherQuery("wang", page=500, size=50), "beyond"),
        (ResearcherQuery("wang", mode="fuzzy"), "mode"),  # type: ignore[arg-type]  # deliberate
        (ResearcherQuery("wang", ResearcherFilters(topic=" ")), "topic"),
        (ResearcherQuery("wang", ResearcherFilters(active_since=20)), "active_since"),
        (ResearcherQuery("wang", mode="semantic"), "encoder"),
    ],
)
def test_invalid_requests_are_refused_before_elasticsearch(query, message):
    with pytest.raises(SearchError, match=message):
        search_researchers(NeverCalled(), Settings(_env_file=None), query)


def test_user_text_is_never_query_syntax():
    hostile = 'name:(wang OR "x" AND) ~*[{ \\ /regex/ _exists_:merged_into'
    body = json.dumps(text_query(ResearcherQuery(hostile).validated()))
    assert "query_string" not in body and "simple_query_string" not in body and "regexp" not in body
    assert "wildcard" not in body and "script" not in body


def test_filters_exclude_merged_researchers_and_translate_each_option():
    clauses = filter_clauses(ResearcherFilters(
        topic="cs.IR", verified=VerificationLevel.L2, claimed=True, has_affiliation=False, active_since=2015,
    ))
    assert clauses[0] == {"bool": {"must_not": {"exists": {"field": "merged_into"}}}}
    assert {"term": {"topic_codes": "cs.IR"}} in clauses
    assert {"terms": {"verification_level": ["L2", "L3"]}} in clauses
    assert {"term": {"claimed": True}} in clauses
    assert {"term": {"has_affiliation": False}} in clauses
    assert {"range": {"last_active_year": {"gte": 2015}}} in clauses
    words = filter_clauses(ResearcherFilters(topic="information retrieval"))
    assert {"match": {"topic_names": {"query": "information retrieval", "operator": "and"}}} in words


def _key_weights(text: str) -> dict[str, float]:
    name = text_query(ResearcherQuery(text).validated())["function_score"]["query"]["bool"]["should"][0]
    keys = name["dis_max"]["queries"][0]["bool"]["should"]
    return {
        key: clause["constant_score"]["boost"]
        for clause in keys
        for key in clause["constant_score"]["filter"]["terms"]["name_keys"]
    }


def test_more_specific_name_keys_weigh_more():
    full = _key_weights("Csaba Balazs")
    assert full["x:csaba balazs"] > full["g:balazs csaba"] > full["f:balazs csaba"] > full["s:balazs"]
    typed = _key_weights("C. Balazs")
    assert typed["a:balazs c"] > typed["i:balazs c"] > typed["s:balazs"]
    assert full["a:balazs c"] < typed["a:balazs c"], "initials cut from written-out words are weaker than typed ones"


def test_topic_words_after_a_surname_are_not_read_as_five_given_names():
    keys = _key_weights("Su Computer Vision and Pattern Recognition")
    assert "i:su c" not in keys and keys["s:su"] > 0


def test_reciprocal_rank_fusion_rewards_agreement_and_is_stable():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "d"]], k=60)
    assert [doc for doc, _ in fused] == ["c", "a", "b", "d"]
    assert fused[0][1] == pytest.approx(1 / 63 + 1 / 61)
    assert reciprocal_rank_fusion([[], []]) == []
    assert [d for d, _ in reciprocal_rank_fusion([["x", "y"], ["y", "x"]])] == ["x", "y"], "ties keep first appearance"


def _profile():
    work = Work(arxiv_id="1501.00001", title="Graph decompositions", year=2015, categories=("cs.DS",), author_count=2)
    profile = apply_work(
        new_profile("r-1", "Csaba Balázs", "Balázs"), work, (), printed_name="Csaba Balázs", surname="Balázs",
        affiliations=("Monash University",),
        embedding=Embedding.from_vector("m", np.asarray([0.6, 0.8], dtype=np.float32)),
    )
    return profile


def test_researcher_document_folds_names_and_keeps_the_profile_for_reads():
    doc = researcher_document(_profile())
    assert doc["names"] == ["csaba balazs"]
    assert "x:csaba balazs" in doc["name_keys"] and "a:balazs c" in doc["name_keys"]
    assert doc["has_affiliation"] is True and doc["affiliations"] == ["Monash University"]
    assert doc["topic_codes"] == ["cs.DS"] and doc["work_titles"] == ["Graph decompositions"]
    assert doc["embedding"] == pytest.approx([0.6, 0.8], abs=1e-3)  # the profile keeps float16
    assert doc["profile"]["researcher_id"] == "r-1" and "embedding" not in doc["profile"]
    assert doc["is_collaboration"] is False


def test_a_merged_profile_is_indexed_as_a_redirect():
    doc = researcher_document(retire(_profile(), "r-2"))
    assert doc["merged_into"] == "r-2" and "name_keys" not in doc and "profile" not in doc


def test_researcher_document_does_not_mutate_the_profile():
    profile = _profile()
    before = profile.model_dump()
    researcher_document(profile)
    assert profile.model_dump() == before


def test_words_of_the_top_topic_are_terms_of_the_first_topic_value_only():
    clause = main_topic_clause("Andreopoulos Networking and Internet Architecture")
    assert clause is not None
    assert clause["constant_score"]["boost"] == MAIN_TOPIC_BOOST
    span = clause["constant_score"]["filter"]["span_first"]
    assert span["end"] == FIRST_VALUE_END
    assert [c["span_term"]["topic_names"] for c in span["match"]["span_or"]["clauses"]] == [
        "andreopoulos", "architecture", "internet", "networking"], "lowercased, split, the filler 'and' left out"
    assert main_topic_clause("of the and") is None
    should = text_query(ResearcherQuery("Janson Robotics").validated())["function_score"]["query"]["bool"]["should"]
    assert should[-1] == main_topic_clause("Janson Robotics")
    names_only = text_query(ResearcherQuery("J. K.").validated())["function_score"]["query"]["bool"]["should"]
    assert len(names_only) == 1, "initials are neither topics nor free text"
