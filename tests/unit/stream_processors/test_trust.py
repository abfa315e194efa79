"""Trust score trust-v1: each component alone, the labels, anomaly flags, and the audit event."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from schemas.papers import TopicScore
from schemas.profiles import (
    AffiliationUpdateSignal,
    ClaimSignal,
    Coauthor,
    FollowSignal,
    OrcidEvidence,
    ResearcherProfile,
    VerifySignal,
    Work,
)
from stream_processors.profiles import apply_signal, apply_work, new_profile, with_trust
from stream_processors.trust import (
    FORMULA_VERSION,
    WEIGHTS,
    activity_span,
    anomalies,
    collaboration_network,
    community,
    identity,
    label_for,
    profile_completeness,
    publication_evidence,
    trust_change,
    trust_snapshot,
)

NOW = datetime(2026, 2, 1, tzinfo=UTC)
LATER = datetime(2026, 2, 2, tzinfo=UTC)


def work(n: int, year: int, month: int = 1, categories=("cs.LG",), authors: int = 3) -> Work:
    return Work(
        arxiv_id=f"{year % 100:02d}{month:02d}.{n:05d}",
        title=f"Paper {n}",
        year=year,
        categories=categories,
        topics=(TopicScore(code=categories[0], name=categories[0], score=0.7),),
        author_count=authors,
    )


def with_works(
    works: list[Work], rid: str = "r-1", name: str = "Ana Souza", collaborators: int = 2, affiliation: str | None = None
) -> ResearcherProfile:
    profile = new_profile(rid, name)
    for index, item in enumerate(works):
        people = [
            Coauthor(researcher_id=f"r-c{(index + k) % max(collaborators, 1)}", display_name="C") for k in range(min(collaborators, 2))
        ]
        profile = apply_work(
            profile, item, people if collaborators else [], printed_name=name, affiliations=[affiliation] if affiliation else []
        )
    return profile


def new_unclaimed_author() -> ResearcherProfile:
    """Three papers over two years with four coauthors who are themselves new: the seed page's case."""
    return with_works(
        [
            work(1, 2024, 3, ("cs.LG", "stat.ML")),
            work(2, 2024, 9, ("cs.CL",)),
            work(3, 2025, 2, ("cs.LG", "cs.AI")),
        ],
        collaborators=4,
    )


def claim_and_verify(profile: ResearcherProfile) -> ResearcherProfile:
    rid = profile.researcher_id
    profile = apply_signal(profile, ClaimSignal(signal_id="c1", researcher_id=rid, actor="user-1", at=NOW))
    return apply_signal(
        profile,
        VerifySignal(
            signal_id="v1", researcher_id=rid, actor="user-1", at=NOW, level="L3",
            evidence=OrcidEvidence(orcid="0000-0002-1825-0097"),
        ),
    )


def prolific_verified_author() -> ResearcherProfile:
    works = [work(y * 10 + m, y, m, ("cs.IR", "cs.LG") if m % 2 else ("cs.LG", "cs.CL")) for y in range(2013, 2026) for m in range(1, 8)]
    profile = with_works(works, collaborators=24, affiliation="University of Pisa")
    profile = claim_and_verify(profile)
    profile = apply_signal(
        profile,
        AffiliationUpdateSignal(signal_id="a1", researcher_id="r-1", actor="user-1", at=NOW, affiliations=("University of Pisa",)),
    )
    for n in range(40):
        profile = apply_signal(profile, FollowSignal(signal_id=f"f{n}", researcher_id="r-1", actor=f"reader-{n}", at=NOW))
    return profile


# --- the formula as a whole --------------------------------------------------------------------


def test_weights_sum_to_one_hundred():
    assert sum(WEIGHTS.values()) == 100


@pytest.mark.parametrize(("score", "label"), [
    (0, "Unverified"), (19, "Unverified"), (20, "Emerging"), (59, "Established"), (60, "Trusted"), (100, "Highly trusted"),
])
def test_labels_by_score(score, label):
    assert label_for(score) == label


def test_a_new_unclaimed_author_lands_near_eleven_unverified():
    collaborator_trust = {f"r-c{k}": 11 for k in range(4)}
    snapshot = trust_snapshot(new_unclaimed_author(), collaborator_trust, NOW)
    assert 9 <= snapshot.score <= 13, snapshot
    assert snapshot.label == "Unverified"
    assert snapshot.verification_level.value == "L0"
    assert snapshot.formula_version == FORMULA_VERSION == "trust-v1"


def test_a_claimed_orcid_verified_prolific_author_is_highly_trusted():
    profile = prolific_verified_author()
    snapshot = trust_snapshot(profile, {f"r-c{k}": 45 for k in range(24)}, NOW)
    assert snapshot.score >= 80 and snapshot.label == "Highly trusted", snapshot
    assert snapshot.verification_level.value == "L3"
    assert snapshot.anomalies == ()


def test_score_is_the_rounded_sum_of_component_points():
    snapshot = trust_snapshot(prolific_verified_author(), {}, NOW)
    assert snapshot.score == round(sum(c.weight * c.value for c in snapshot.components))
    assert [c.name for c in snapshot.components] == list(WEIGHTS)
    assert all(c.evidence for c in snapshot.components)


def test_snapshot_is_pure_and_deterministic():
    profile = new_unclaimed_author()
    trust = {"r-c0": 50.0}
    before = (copy.deepcopy(profile.model_dump()), dict(trust))
    first = trust_snapshot(profile, trust, NOW)
    assert trust_snapshot(profile, trust, NOW) == first
    assert (profile.model_dump(), trust) == before


def test_verification_level_is_a_separate_axis_beside_the_score():
    """Followers move the score, never the level; the level moves the score only through identity."""
    base = claim_and_verify(new_unclaimed_author())
    followed = apply_signal(base, FollowSignal(signal_id="f1", researcher_id="r-1", actor="x", at=NOW))
    a, b = trust_snapshot(base, {}, NOW), trust_snapshot(followed, {}, NOW)
    assert a.verification_level == b.verification_level
    moved = {x.name for x, y in zip(a.components, b.components, strict=False) if x != y}
    assert moved == {"community"}


# --- components, one by one --------------------------------------------------------------------


def test_publication_evidence_grows_with_diminishing_returns():
    values = [publication_evidence(with_works([work(n, 2000 + n) for n in range(count)])).value for count in (0, 3, 25, 80)]
    assert values[0] == 0 and values == sorted(values)
    assert values[1] - values[0] > (values[3] - values[2]) / 10
    assert 0.6 < values[2] < 0.66 and values[3] > 0.95


def test_publication_evidence_caps_works_per_month():
    burst = with_works([work(n, 2021, 3) for n in range(10)])
    spread = with_works([work(n, 2012 + n, 3) for n in range(10)])
    assert publication_evidence(burst).value < publication_evidence(spread).value
    assert "6 counted: at most 6 per calendar month" in publication_evidence(burst).evidence


def test_activity_span_rewards_long_and_steady_records():
    none = activity_span(new_profile("r-1", "A B"))
    one_year = activity_span(with_works([work(1, 2020)]))
    far_apart = activity_span(with_works([work(1, 2010), work(2, 2022)]))
    steady = activity_span(with_works([work(n, 2010 + n) for n in range(13)]))
    assert none.value == 0 and none.evidence == ("no dated works",)
    assert 0 < one_year.value < far_apart.value < steady.value == 1.0
    assert "active 2010-2022 (12 years)" in far_apart.evidence


def test_collaboration_network_counts_breadth_and_trusted_collaborators():
    profile = with_works([work(n, 2020, n + 1) for n in range(4)], collaborators=4)
    alone = collaboration_network(with_works([work(1, 2020)], collaborators=0), {})
    unscored = collaboration_network(profile, {})
    trusted = collaboration_network(profile, {f"r-c{k}": 80 for k in range(4)})
    assert alone.value == 0
    assert 0 < unscored.value < trusted.value
    assert trusted.value - unscored.value == pytest.approx(0.4, abs=0.001)
    assert "(4 of 4 scored)" in trusted.evidence[1] and "(0 of 4 scored)" in unscored.evidence[1]


def test_collaboration_network_ignores_large_collaborations():
    profile = with_works([work(1, 2020, authors=3000)], collaborators=2)
    assert profile.close_collaborators == ()
    assert collaboration_network(profile, {}).value == 0


def test_identity_is_level_and_claim():
    unclaimed = new_unclaimed_author()
    claimed = apply_signal(unclaimed, ClaimSignal(signal_id="c1", researcher_id="r-1", actor="u", at=NOW))
    verified = claim_and_verify(unclaimed)
    assert identity(unclaimed).value == 0
    assert identity(claimed).value == pytest.approx(0.2)
    assert identity(verified).value == 1.0
    assert "verification L3" in identity(verified).evidence and "ORCID iD 0000-0002-1825-0097" in identity(verified).evidence


def test_profile_completeness_counts_five_checkable_facts():
    bare = profile_completeness(with_works([work(1, 2020)], name="A. Souza"))
    full = profile_completeness(prolific_verified_author())
    assert bare.value == 0 and "lacks a full given name" in bare.evidence
    assert full.value == 1.0 and "has an ORCID iD on record" in full.evidence
    assert profile_completeness(new_unclaimed_author()).value == pytest.approx(0.4)


def test_community_has_diminishing_returns_and_a_cap():
    def value(followers: int) -> float:
        return community(new_profile("r-1", "A B").model_copy(update={"followers_count": followers})).value

    assert value(0) == 0
    assert value(10) - value(0) > value(250) - value(100)
    assert value(250) == 1.0 and value(100_000) == 1.0


# --- anomaly flags -----------------------------------------------------------------------------


def test_a_burst_of_works_in_one_month_is_flagged():
    steady = [work(n, 2010 + n) for n in range(10)]
    burst = [work(100 + n, 2021, 5) for n in range(9)]
    flags = anomalies(with_works(steady + burst))
    assert [f.code for f in flags] == ["burst"]
    assert "9 works first submitted in 2021-05" in flags[0].detail
    assert anomalies(with_works(steady)) == ()


def test_works_spread_over_many_unrelated_fields_are_flagged():
    fields = ["cs.LG", "hep-th", "math.AG", "q-bio.GN"]
    spread = with_works([work(n, 2000 + n, categories=(fields[n % 4],)) for n in range(8)])
    focused = with_works([work(n, 2000 + n, categories=(("cs.LG", "cs.IR", "stat.ML", "cs.CL")[n % 4],)) for n in range(8)])
    flags = anomalies(spread)
    assert [f.code for f in flags] == ["category_spread"] and "4 unrelated fields" in flags[0].detail
    assert anomalies(focused) == ()
    assert trust_snapshot(spread, {}, NOW).anomalies == flags


# --- the audit event ---------------------------------------------------------------------------


def test_claim_and_orcid_verification_raise_the_score_and_the_change_says_why():
    before = new_unclaimed_author()
    old = trust_snapshot(before, {}, NOW)
    after = claim_and_verify(before)
    new = trust_snapshot(after, {}, LATER)
    assert new.score > old.score and new.verification_level.value == "L3"
    change = trust_change(old, new, LATER)
    assert change is not None
    assert (change.old_score, change.new_score) == (old.score, new.score)
    assert change.old_verification_level.value == "L0" and change.new_verification_level.value == "L3"
    moved = {c.name: c for c in change.changes}
    assert set(moved) == {"identity", "profile_completeness"}
    assert moved["identity"].old_value == 0 and moved["identity"].new_value == 1.0
    assert "verification L0" in moved["identity"].why and "verification L3" in moved["identity"].why
    assert "ORCID iD on record" in moved["profile_completeness"].why
    assert change.formula_version == "trust-v1" and change.at == LATER


def test_no_change_event_when_the_score_did_not_move():
    profile = new_unclaimed_author()
    assert trust_change(trust_snapshot(profile, {}, NOW), trust_snapshot(profile, {}, LATER), LATER) is None


def test_the_first_score_is_a_change_from_nothing():
    change = trust_change(None, trust_snapshot(new_unclaimed_author(), {}, NOW), NOW)
    assert change is not None and change.old_score is None
    assert {c.name for c in change.changes} >= {"publication_evidence", "activity_span"}


def test_with_trust_ignores_a_recomputation_that_changed_nothing():
    profile = new_unclaimed_author()
    scored = with_trust(profile, trust_snapshot(profile, {}, NOW))
    assert scored.revision == profile.revision + 1 and scored.trust is not None
    assert with_trust(scored, trust_snapshot(profile, {}, LATER)) is scored
