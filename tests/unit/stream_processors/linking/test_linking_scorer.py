"""Hard rules decide before any weighing; the score explains itself feature by feature."""

from stream_processors.linking.evidence import Evidence
from stream_processors.linking.scorer import (
    DEFAULT_WEIGHTS,
    RULE_NAME_CONFLICT,
    RULE_ORCID_CONFLICT,
    RULE_SAME_PAPER,
    Weights,
    score_candidate,
    weigh,
)

STRONG = Evidence("exact", 1.0, shared_coauthors=3, topic_overlap=1.0, embedding_cosine=0.9,
                  affiliation_similarity=1.0, years_apart=0)


def test_two_different_orcids_never_link_however_strong_the_evidence():
    score = score_candidate(STRONG, mention_orcid="0000-0001-0000-0001", researcher_orcid="0000-0002-0000-0002")
    assert score.vetoed and score.rule == RULE_ORCID_CONFLICT


def test_same_orcid_or_missing_orcid_is_no_veto():
    assert not score_candidate(STRONG, mention_orcid="0000-0001", researcher_orcid="0000-0001").vetoed
    assert not score_candidate(STRONG, mention_orcid="0000-0001", researcher_orcid=None).vetoed


def test_a_researcher_never_authors_the_same_paper_twice():
    assert score_candidate(STRONG, already_authored_paper=True).rule == RULE_SAME_PAPER


def test_incompatible_names_never_link():
    evidence = Evidence("incompatible", 0.0, 5, 1.0, 1.0, 1.0, 0)
    assert score_candidate(evidence).rule == RULE_NAME_CONFLICT


def test_contributions_add_up_and_name_each_feature():
    weights = Weights(name=1.0, coauthor=0.5, affiliation=0.8, topic=0.3, embedding=0.4, embedding_floor=0.5)
    evidence = Evidence("same-initials", 0.6, shared_coauthors=1, topic_overlap=0.5, embedding_cosine=0.75,
                        affiliation_similarity=0.5, years_apart=None)
    score = weigh(evidence, weights)
    assert score.contributions == {"name": 0.6, "coauthors": 0.25, "affiliation": 0.4, "topics": 0.15, "embedding": 0.2}
    assert abs(score.total - sum(score.contributions.values())) < 1e-9


def test_missing_features_contribute_nothing_but_disjoint_affiliations_cost():
    bare = Evidence("exact", 1.0, 0, None, None, None, None)
    elsewhere = Evidence("exact", 1.0, 0, None, None, 0.0, None)
    assert weigh(bare).total == 1.0
    assert weigh(elsewhere).total < weigh(bare).total


def test_long_gaps_in_years_cost():
    near = Evidence("exact", 1.0, 0, None, None, None, 1)
    far = Evidence("exact", 1.0, 0, None, None, None, 20)
    assert weigh(near).total > weigh(far).total


def test_a_weak_name_match_costs_more_the_more_researchers_the_name_also_fits():
    alone = Evidence("same-initials", 0.6, 0, None, None, None, None)
    one_rival = Evidence("same-initials", 0.6, 0, None, None, None, None, rivals=1)
    three_rivals = Evidence("same-initials", 0.6, 0, None, None, None, None, rivals=3)
    assert "ambiguity" not in weigh(alone).contributions
    assert weigh(one_rival).total < weigh(alone).total
    assert weigh(three_rivals).total < weigh(one_rival).total
    assert weigh(one_rival).contributions["ambiguity"] == -round(DEFAULT_WEIGHTS.ambiguity * 0.5, 4)


def test_the_same_full_name_is_not_ambiguous_whatever_the_block_holds():
    exact = Evidence("exact", 1.0, 0, None, None, None, None, rivals=5)
    same_full = Evidence("same-full", 0.95, 0, None, None, None, None, rivals=5)
    assert "ambiguity" not in weigh(exact).contributions
    assert "ambiguity" not in weigh(same_full).contributions
