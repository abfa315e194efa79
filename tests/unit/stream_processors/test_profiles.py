"""Researcher profiles: the contract's field-level errors, works folded in, merges, no mutation."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import numpy as np
import pytest
from pydantic import ValidationError

from schemas.papers import Embedding, TopicScore
from schemas.profiles import (
    CLOSE_COLLABORATION_MAX_AUTHORS,
    RECENT_WORKS,
    Affiliation,
    ClaimSignal,
    Coauthor,
    MergeEvent,
    NameVariant,
    OrcidEvidence,
    ResearcherProfile,
    VerificationLevel,
    VerifySignal,
    Work,
    WorkTotals,
    newest_first,
)
from stream_processors.profiles import (
    MergeRejected,
    ProfileUpdateRejected,
    _fold_centroid,
    apply_merge,
    apply_signal,
    apply_work,
    new_profile,
    retire,
    work_month,
)
from tests.unit.stream_processors.held import Held

NOW = datetime(2026, 2, 1, tzinfo=UTC)
ORCID_A = "0000-0002-1825-0097"
ORCID_B = "0000-0001-5109-3700"


def work(arxiv_id: str, year: int | None = 2020, categories=("cs.LG",), topics=(), authors: int = 3, title="A paper") -> Work:
    return Work(
        arxiv_id=arxiv_id, title=title, year=year, categories=categories, topics=topics, author_count=authors
    )


def coauthors(*ids: str) -> list[Coauthor]:
    return [Coauthor(researcher_id=rid, display_name=f"Name {rid}") for rid in ids]


def topic(code: str, score: float) -> TopicScore:
    return TopicScore(code=code, name=code.upper(), score=score)


# --- the contract ------------------------------------------------------------------------------


def test_profile_errors_name_the_field():
    with pytest.raises(ValidationError) as caught:
        ResearcherProfile(researcher_id="r 1", display_name="A B", name_variants=(NameVariant(name="A B", works=1),))
    assert caught.value.errors()[0]["loc"] == ("researcher_id",)


def test_profile_refuses_unknown_fields():
    with pytest.raises(ValidationError, match="hindex"):
        ResearcherProfile(
            researcher_id="r-1", display_name="A", name_variants=(NameVariant(name="A", works=0),), hindex=3
        )


def test_profile_refuses_a_works_count_that_does_not_match_its_works():
    with pytest.raises(ValidationError, match="works_count is 2 but the profile holds 0 works"):
        ResearcherProfile(
            schema_version=2, researcher_id="r-1", display_name="A", name_variants=(NameVariant(name="A", works=0),),
            works_count=2,
        )
    with pytest.raises(ValidationError, match="works_count is 2 but the totals count 1 works"):
        ResearcherProfile(
            researcher_id="r-1", display_name="A", name_variants=(NameVariant(name="A", works=0),), works_count=2,
            totals=WorkTotals(works=1),
        )
    with pytest.raises(ValidationError, match="keeps its works in researcher.profile.works"):
        ResearcherProfile(
            researcher_id="r-1", display_name="A", name_variants=(NameVariant(name="A", works=0),), works_count=1,
            works=(work("2001.00001"),),
        )


def test_profile_refuses_a_verification_level_without_verifications():
    with pytest.raises(ValidationError, match="verification_level L3 does not match"):
        ResearcherProfile(
            researcher_id="r-1", display_name="A", name_variants=(NameVariant(name="A", works=0),), verification_level="L3"
        )


def test_profile_refuses_a_malformed_orcid_naming_the_field():
    with pytest.raises(ValidationError) as caught:
        ResearcherProfile(
            researcher_id="r-1", display_name="A", name_variants=(NameVariant(name="A", works=0),), orcid="0000-0002-1825-0098"
        )
    error = caught.value.errors()[0]
    assert error["loc"] == ("orcid",) and "checksum" in error["msg"]


def test_work_refuses_a_versioned_arxiv_id():
    with pytest.raises(ValidationError) as caught:
        work("1006.5314v2")
    assert caught.value.errors()[0]["loc"] == ("arxiv_id",)


def test_affiliation_last_seen_cannot_precede_first_seen():
    with pytest.raises(ValidationError, match="last_seen is before first_seen"):
        Affiliation(name="MIT", first_seen=2020, last_seen=2019)


def test_merge_event_needs_two_different_ids():
    with pytest.raises(ValidationError, match="must differ"):
        MergeEvent(retired_id="r-1", surviving_id="r-1", reason="linking", at=NOW)


def test_profile_round_trips_through_json():
    profile = apply_work(
        new_profile("r-1", "Ana Souza"), work("2001.00001", topics=(topic("cs.LG", 0.8),)), coauthors("r-2"), printed_name="Ana Souza"
    )
    assert ResearcherProfile.model_validate_json(profile.model_dump_json()) == profile


# --- works -------------------------------------------------------------------------------------


def test_applying_a_work_fills_the_derived_fields_and_bumps_the_revision():
    profile = new_profile("r-1", "A. Souza")
    after = apply_work(
        profile,
        work("1906.00001", year=2019, categories=("cs.LG", "stat.ML"), topics=(topic("cs.LG", 0.7), topic("cs.AI", 0.2))),
        coauthors("r-2", "r-3"),
        printed_name="Ana Souza",
        affiliations=("Univ. of Lisbon",),
    )
    assert after.revision == profile.revision + 1
    assert after.works_count == 1 and after.recent_works[0].arxiv_id == "1906.00001"
    assert after.recent_works[0].topics == () and after.recent_works[0].coauthors == (), \
        "counted in the totals; the whole work is in researcher.profile.works"
    assert after.first_active_year == after.last_active_year == 2019
    assert [c.researcher_id for c in after.close_collaborators] == ["r-2", "r-3"]
    assert [t.code for t in after.top_topics] == ["cs.LG", "cs.AI", "stat.ML"]
    assert after.affiliations == (Affiliation(name="Univ. of Lisbon", first_seen=2019, last_seen=2019),)
    assert after.display_name == "Ana Souza"


def test_top_topics_are_weighted_over_works_and_at_least_three_when_the_works_allow():
    profile = new_profile("r-1", "Ana Souza")
    profile = apply_work(profile, work("2001.00001", topics=(topic("cs.IR", 0.9),), categories=("cs.IR",)), (), printed_name="Ana Souza")
    profile = apply_work(
        profile, work("2002.00002", topics=(topic("cs.IR", 0.6),), categories=("cs.IR", "cs.CL")), (), printed_name="Ana Souza"
    )
    profile = apply_work(profile, work("2003.00003", topics=(topic("cs.LG", 0.5),), categories=("cs.LG",)), (), printed_name="Ana Souza")
    codes = [t.code for t in profile.top_topics]
    assert codes[:2] == ["cs.IR", "cs.LG"] and "cs.CL" in codes and len(codes) >= 3
    assert profile.top_topics[0].works == 2


def test_close_collaborators_rank_by_shared_works_and_skip_large_collaborations():
    profile = new_profile("r-1", "Ana Souza")
    profile = apply_work(profile, work("2001.00001"), coauthors("r-2", "r-3"), printed_name="Ana Souza")
    profile = apply_work(profile, work("2002.00002"), coauthors("r-3", "r-1"), printed_name="Ana Souza")
    big = work("2003.00003", authors=CLOSE_COLLABORATION_MAX_AUTHORS + 1)
    profile = apply_work(profile, big, coauthors("r-9"), printed_name="Ana Souza")
    assert [(c.researcher_id, c.shared_works) for c in profile.close_collaborators] == [("r-3", 2), ("r-2", 1)]
    assert profile.works_count == 3


def test_display_name_prefers_the_full_form_over_initials():
    profile = new_profile("r-1", "C. Balázs")
    for n, arxiv_id in enumerate(["2001.00001", "2001.00002", "2001.00003"]):
        profile = apply_work(profile, work(arxiv_id), (), printed_name="C. Balázs" if n else "Csaba Balázs")
    assert profile.display_name == "Csaba Balázs"
    assert {v.name: v.works for v in profile.name_variants} == {"C. Balázs": 2, "Csaba Balázs": 1}


def test_replaying_a_work_returns_the_same_profile():
    held = Held(new_profile("r-1", "Ana Souza")).add(work("2001.00001"), coauthors("r-2"), printed_name="Ana Souza")
    assert held.add(work("2001.00001"), coauthors("r-2"), printed_name="Ana Souza").profile is held.profile


def test_a_new_version_of_a_known_work_replaces_it_without_counting_the_name_twice():
    held = Held(new_profile("r-1", "Ana Souza")).add(work("2001.00001"), (), printed_name="Ana Souza")
    updated = held.add(work("2001.00001", title="A better title"), (), printed_name="Ana Souza")
    assert updated.works["2001.00001"].title == "A better title" and updated.profile.works_count == 1
    assert updated.profile.recent_works[0].title == "A better title"
    assert updated.profile.name_variants[0].works == 1 and updated.profile.revision == held.profile.revision + 1


def test_a_profile_keeps_its_newest_works_and_counts_all():
    held = Held(new_profile("r-1", "Ana Souza"))
    for n in range(RECENT_WORKS + 10):
        held = held.add(work(f"2001.{n:05d}", year=2000 + n % 20), (), printed_name="Ana Souza")
    recent = held.profile.recent_works
    assert held.profile.works_count == len(held.works) == RECENT_WORKS + 10 and len(recent) == RECENT_WORKS
    assert [w.arxiv_id for w in recent] == [w.arxiv_id for w in newest_first(held.works.values())][:RECENT_WORKS]


def test_affiliation_span_covers_first_and_last_year_seen():
    profile = new_profile("r-1", "Ana Souza")
    for arxiv_id, year in [("1801.00001", 2018), ("2201.00001", 2022), ("2001.00001", 2020)]:
        profile = apply_work(profile, work(arxiv_id, year=year), (), printed_name="Ana Souza", affiliations=("INESC",))
    assert profile.affiliations == (Affiliation(name="INESC", first_seen=2018, last_seen=2022),)


def test_year_and_month_come_from_the_arxiv_id_when_the_work_has_no_date():
    assert work_month(work("1006.5314", year=None)) == (2010, 6)
    assert work_month(work("cs/9912017", year=None)) == (1999, 12)
    assert work_month(work("math.AG/0301001", year=None)) == (2003, 1)
    profile = apply_work(new_profile("r-1", "A B"), work("1006.5314", year=None), (), printed_name="A B")
    assert profile.first_active_year == 2010


def test_apply_work_does_not_mutate_its_inputs():
    profile = apply_work(new_profile("r-1", "Ana Souza"), work("2001.00001"), coauthors("r-2"), printed_name="Ana Souza")
    incoming = work("2002.00002")
    people = coauthors("r-3")
    before = (copy.deepcopy(profile.model_dump()), incoming.model_dump(), [c.model_dump() for c in people])
    apply_work(profile, incoming, people, printed_name="A. Souza", affiliations=["X"])
    assert (profile.model_dump(), incoming.model_dump(), [c.model_dump() for c in people]) == before


# --- merges ------------------------------------------------------------------------------------


def _two_held() -> tuple[Held, Held]:
    a = Held(new_profile("r-a", "Csaba Balázs"))
    a = a.add(work("2001.00001", year=2020), coauthors("r-x", "r-b"), printed_name="Csaba Balázs", affiliations=("Monash",))
    a = a.add(work("2101.00001", year=2021), coauthors("r-x"), printed_name="Csaba Balázs")
    b = Held(new_profile("r-b", "C. Balazs"))
    b = b.add(work("1801.00001", year=2018), coauthors("r-x", "r-y"), printed_name="C. Balazs", affiliations=("Monash",))
    return a, b


def _two_profiles() -> tuple[ResearcherProfile, ResearcherProfile]:
    a, b = _two_held()
    return a.profile, b.profile


def test_merge_moves_works_names_affiliations_and_followers_to_the_survivor():
    a, b = _two_held()
    b = Held(b.profile.model_copy(update={"followers_count": 3}), b.works)
    held = a.merge(b)
    merged = held.profile
    assert merged.researcher_id == "r-a" and merged.merged_into is None
    assert held.ids == ["1801.00001", "2001.00001", "2101.00001"]
    assert [w.arxiv_id for w in merged.recent_works] == ["2101.00001", "2001.00001", "1801.00001"]
    assert merged.works_count == 3 and merged.first_active_year == 2018
    assert {v.name for v in merged.name_variants} >= {"Csaba Balázs", "C. Balazs"}
    assert merged.affiliations == (Affiliation(name="Monash", first_seen=2018, last_seen=2020),)
    assert merged.followers_count == 3
    assert merged.revision == a.profile.revision + 2, "one revision for the merge, one for the moved work"
    collaborators = {c.researcher_id: c.shared_works for c in merged.close_collaborators}
    assert collaborators == {"r-x": 3, "r-y": 1}, "the retired id is no longer anyone's collaborator here"


def test_merge_keeps_the_claim_and_verification_of_either_side():
    a, b = _two_profiles()
    b = apply_signal(b, ClaimSignal(signal_id="c1", researcher_id="r-b", actor="user-7", at=NOW))
    b = apply_signal(
        b,
        VerifySignal(signal_id="v1", researcher_id="r-b", actor="user-7", at=NOW, level="L3", evidence=OrcidEvidence(orcid=ORCID_A)),
    )
    merged = apply_merge(a, b)
    assert merged.claimed and merged.claimed_by == "user-7"
    assert merged.verification_level == VerificationLevel.L3 and merged.orcid == ORCID_A


def test_merge_refuses_two_different_orcids():
    a, b = _two_profiles()
    a = a.model_copy(update={"orcid": ORCID_A})
    b = b.model_copy(update={"orcid": ORCID_B})
    with pytest.raises(MergeRejected, match="different ORCID"):
        apply_merge(a, b)


def test_merge_refuses_two_claimants():
    a, b = _two_profiles()
    a = apply_signal(a, ClaimSignal(signal_id="c1", researcher_id="r-a", actor="user-1", at=NOW))
    b = apply_signal(b, ClaimSignal(signal_id="c2", researcher_id="r-b", actor="user-2", at=NOW))
    with pytest.raises(MergeRejected, match="different accounts"):
        apply_merge(a, b)


def test_retired_profile_is_a_redirect_and_refuses_new_works():
    a, b = _two_profiles()
    gone = retire(b, "r-a")
    assert gone.merged_into == "r-a" and gone.works_count == 0 and gone.recent_works == ()
    assert gone.revision == b.revision + 1
    assert retire(gone, "r-a") is gone
    with pytest.raises(ProfileUpdateRejected) as caught:
        apply_work(gone, work("2201.00001"), (), printed_name="C. Balazs")
    assert caught.value.redirect_to == "r-a"


def test_merge_is_order_independent_in_works_and_does_not_mutate_inputs():
    a, b = _two_held()
    before = (copy.deepcopy(a.profile.model_dump()), copy.deepcopy(b.profile.model_dump()))
    merged = a.merge(b)
    assert (a.profile.model_dump(), b.profile.model_dump()) == before
    flipped = Held(b.profile.model_copy(update={"researcher_id": "r-a"}), b.works).merge(
        Held(a.profile.model_copy(update={"researcher_id": "r-b"}), a.works)
    )
    assert merged.ids == flipped.ids and merged.profile.top_topics == flipped.profile.top_topics
    assert merged.profile.totals == flipped.profile.totals


# --- the researcher's embedding (semantic search) ----------------------------------------------


def vec(*values: float) -> Embedding:
    return Embedding.from_vector("test", np.asarray(values, dtype=np.float32))


F16 = 1e-3  # a profile keeps its centroid in float16 (v4): about 3 significant digits


def test_the_centroid_is_kept_in_float16_and_many_works_do_not_drift_from_the_exact_mean():
    """20,000 works folded one at a time, each rounding the kept mean to float16, against the
    mean computed exactly: the rounding does not accumulate into a different direction. The works
    come as the pipeline carries a paper's vector, int8 (enriched v4)."""
    rng = np.random.default_rng(7)
    centre = rng.normal(size=384)
    vectors = centre / np.linalg.norm(centre) + rng.normal(size=(20_000, 384)) / np.sqrt(384)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    held = Held(new_profile("r-1", "Ana Souza"))
    for number, vector in enumerate(vectors[:300]):
        held = held.add(work(f"2001.{number:05d}"), (), printed_name="Ana Souza",
                        embedding=Embedding.from_vector("test", vector, "i1"))
        if number == 0:
            assert held.profile.embedding.dtype == "f2", "a first centroid is kept in float16, not in the work's int8"
    assert held.profile.embedding.dtype == "f2" and held.profile.embedding_works == 300
    carried = np.array([Embedding.from_vector("test", v, "i1").vector() for v in vectors], dtype=np.float64)
    exact = carried[:300].mean(axis=0)
    kept = held.profile.embedding.vector().astype(np.float64)
    assert kept @ exact / np.linalg.norm(kept) / np.linalg.norm(exact) > 0.99999
    # the same fold, straight through the centroid function, for a prolific researcher
    centroid, count = None, 0
    for vector in vectors:
        centroid, count = _fold_centroid(centroid, count, Embedding.from_vector("test", vector, "i1"), 1)
    exact = carried.mean(axis=0)
    kept = centroid.vector().astype(np.float64)
    assert count == 20_000 and kept @ exact / np.linalg.norm(kept) / np.linalg.norm(exact) > 0.9995


def test_embedding_is_the_mean_of_the_works_embeddings():
    profile = apply_work(new_profile("r-1", "Ana Souza"), work("2001.00001"), (), printed_name="Ana Souza", embedding=vec(1, 0))
    profile = apply_work(profile, work("2002.00002"), (), printed_name="Ana Souza", embedding=vec(0, 1))
    profile = apply_work(profile, work("2003.00003"), (), printed_name="Ana Souza", embedding=vec(0, 1))
    assert profile.embedding_works == 3
    assert np.allclose(profile.embedding.vector(), [1 / 3, 2 / 3], atol=F16)


def test_a_replayed_or_revised_work_does_not_count_twice_in_the_embedding():
    held = Held(new_profile("r-1", "Ana Souza")).add(work("2001.00001"), (), printed_name="Ana Souza", embedding=vec(1, 0))
    again = held.add(work("2001.00001"), (), printed_name="Ana Souza", embedding=vec(1, 0)).profile
    revised = held.add(work("2001.00001", title="Revised"), (), printed_name="Ana Souza", embedding=vec(0, 1)).profile
    assert again is held.profile
    assert revised.embedding_works == 1 and np.allclose(revised.embedding.vector(), [1, 0])


def test_merge_weights_the_embeddings_by_works_and_the_retired_id_keeps_none():
    a = apply_work(new_profile("r-1", "Ana Souza"), work("2001.00001"), (), printed_name="Ana Souza", embedding=vec(1, 0))
    a = apply_work(a, work("2001.00002"), (), printed_name="Ana Souza", embedding=vec(1, 0))
    b = apply_work(new_profile("r-2", "A. Souza"), work("2001.00003"), (), printed_name="A. Souza", embedding=vec(0, 1))
    merged = apply_merge(a, b)
    assert merged.embedding_works == 3 and np.allclose(merged.embedding.vector(), [2 / 3, 1 / 3], atol=F16)
    assert retire(b, "r-1").embedding is None


def test_topic_names_the_taxonomy_gives_are_not_stored_again_and_still_shown():
    """Issue 17 (bytes): a topic named as the arXiv taxonomy names it keeps no copy of its name in
    the totals; a topic named otherwise does, and both show their names in the top topics."""
    from stream_processors.topic_model.taxonomy import category_name

    usual = TopicScore(code="cs.IR", name=category_name("cs.IR"), score=0.6)
    other = TopicScore(code="cs.LG", name="Learning, as the model calls it", score=0.3)
    profile = apply_work(new_profile("r-1", "Ana Souza"), work("2001.00001", topics=(usual, other)), (), printed_name="Ana Souza")
    assert profile.totals.topic_names == {"cs.LG": "Learning, as the model calls it"}
    assert {t.code: t.name for t in profile.top_topics}["cs.IR"] == "Information Retrieval"
    assert {t.code: t.name for t in profile.top_topics}["cs.LG"] == "Learning, as the model calls it"
