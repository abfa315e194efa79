"""A profile's running totals: whatever sequence of works, new versions, disowns and merges made
the profile, its totals are exactly the sums over the works it holds, and the derived fields read
from them are what summing the works again gives."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from schemas.papers import TopicScore
from schemas.profiles import PROFILE_SCHEMA_VERSION, ClaimSignal, Coauthor, DisownWorkSignal, ResearcherProfile, Work, WorkTotals
from stream_processors.profiles import (
    CLOSE_COLLABORATORS,
    COLLABORATOR_COUNTS_KEPT,
    ProfileUpdateRejected,
    TotalsDraft,
    WorksDraft,
    _rebuild,
    apply_signal,
    new_profile,
    rank_close_collaborators,
    totals_of,
)
from tests.unit.stream_processors.held import Held

AT = datetime(2026, 2, 1, tzinfo=UTC)
CATEGORIES = ("cs.LG", "cs.CL", "math.CO", "hep-th", "q-bio.NC", "stat.ML")
TOPICS = ("t-graphs", "t-vision", "t-language", "t-physics")
PEOPLE = tuple(f"r-{n:03d}" for n in range(12))


def random_work(rng: random.Random, arxiv_id: str) -> tuple[Work, list[Coauthor]]:
    authors = rng.choice((1, 2, 3, 5, 30))
    people = rng.sample(PEOPLE, k=min(authors - 1, 4)) if authors <= 25 else []
    work = Work(
        arxiv_id=arxiv_id,
        title=f"Work {arxiv_id}",
        year=rng.choice((None, 2015, 2018, 2021)),
        categories=tuple(rng.sample(CATEGORIES, k=rng.randint(1, 3))),
        topics=tuple(
            TopicScore(code=code, name=code.title(), score=round(rng.random(), 3))
            for code in rng.sample(TOPICS, k=rng.randint(0, 2))
        ),
        author_count=authors,
    )
    return work, [Coauthor(researcher_id=rid, display_name=f"Name {rid}") for rid in people]


def arxiv_id(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return f"hep-th/{rng.randint(91, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 999):03d}"
    return f"{rng.randint(15, 24)}{rng.randint(1, 12):02d}.{rng.randint(1, 40):05d}"


def counts(totals) -> dict:
    """The totals without the names, which follow the order works arrived in."""
    return totals.model_dump(exclude={"topic_names", "collaborator_names"})


def summed(held: Held):
    """The totals summed again from the works the researcher holds."""
    draft = TotalsDraft(WorkTotals())
    for work in held.works.values():
        draft.add(work)
    return draft.finish()


def build(rng: random.Random, rid: str, steps: int) -> Held:
    held = Held(new_profile(rid, "Ana Souza"))
    claimed = False
    for step in range(steps):
        roll = rng.random()
        if roll < 0.7 or not held.works:
            draft = WorksDraft(held.profile, held.works.get)
            for _ in range(rng.randint(1, 4)):  # a batch: several works, sometimes one twice in new versions
                work, people = random_work(rng, arxiv_id(rng))
                try:
                    draft.add(work, people, printed_name="Ana Souza")
                except ProfileUpdateRejected:  # a disowned id: the draft is as it was
                    continue
            held = Held(draft.finish(), {**held.works, **draft.written})
        elif roll < 0.85:  # a new version of a known work: other topics, other coauthors
            known = rng.choice(sorted(held.works))
            work, people = random_work(rng, known)
            held = held.add(work, people, printed_name="A. Souza")
        else:
            if not claimed:
                held = held.signal(_claim(rid, step))
                claimed = True
            chosen = rng.sample(sorted(held.works), k=min(2, len(held.works)))
            held = held.signal(DisownWorkSignal(
                signal_id=f"s-{rid}-{step}", researcher_id=rid, actor="acct-1", at=AT, arxiv_ids=tuple(chosen)
            ))
    return held


def _claim(rid: str, step: int) -> ClaimSignal:
    return ClaimSignal(signal_id=f"c-{rid}-{step}", researcher_id=rid, actor="acct-1", at=AT)


def test_totals_equal_the_sums_over_the_works_after_any_sequence_of_changes():
    for seed in range(40):
        rng = random.Random(seed)
        a = build(rng, "r-a", rng.randint(1, 25))
        b = build(rng, "r-b", rng.randint(1, 25))
        for held in (a, b):
            assert counts(held.profile.totals) == counts(summed(held)), seed
            again = _rebuild(held.profile, totals=summed(held))
            assert held.profile.top_topics == again.top_topics, seed
            assert [c.shared_works for c in held.profile.close_collaborators] == [
                c.shared_works for c in again.close_collaborators
            ], seed
            assert held.profile.works_count == len(held.works)
        # The retired side disowned works the survivor holds too (the same paper, an author line on
        # each side): they leave the merged profile. A profile disowns only works it holds.
        if not b.profile.claimed:
            b = b.signal(_claim("r-b", 0))
        shared = sorted(a.works)[:2]
        for arxiv_id in shared:
            if arxiv_id not in b.works and arxiv_id not in {d.arxiv_id for d in b.profile.disowned_works}:
                b = b.add(a.works[arxiv_id], printed_name="A. Souza")
        if shared:
            b = b.signal(DisownWorkSignal(
                signal_id=f"d-{seed}", researcher_id="r-b", actor="acct-1", at=AT, arxiv_ids=tuple(shared),
            ))
        merged = a.merge(b)
        assert counts(merged.profile.totals) == counts(summed(merged)), seed
        assert merged.profile.works_count == len(merged.works)
        assert not set(merged.works) & {d.arxiv_id for d in merged.profile.disowned_works}
        assert (merged.profile.first_active_year, merged.profile.last_active_year) == (
            min(merged.profile.totals.years, default=None),
            max(merged.profile.totals.years, default=None),
        )


def test_a_v2_record_with_its_works_inside_reads_and_its_next_revision_keeps_the_totals():
    held = build(random.Random(7), "r-a", 12)
    record = held.profile.model_dump(mode="json", exclude={"totals", "recent_works"})
    record |= {"schema_version": 2, "works": [w.model_dump(mode="json") for _, w in sorted(held.works.items())]}
    v2 = ResearcherProfile.model_validate(record)
    assert v2.totals is None and counts(totals_of(v2)) == counts(held.profile.totals)
    upgraded = apply_signal(v2, _claim("r-a", 99)) if not v2.claimed else _rebuild(v2)
    assert upgraded.schema_version == PROFILE_SCHEMA_VERSION and upgraded.works == () and upgraded.works_count == len(held.works)
    assert counts(upgraded.totals) == counts(held.profile.totals) and upgraded.top_topics == held.profile.top_topics


def test_removing_a_work_takes_back_exactly_what_adding_it_gave():
    rng = random.Random(3)
    start = build(rng, "r-a", 8).profile.totals
    added = [random_work(rng, arxiv_id(rng)) for _ in range(20)]
    added = [work.model_copy(update={"coauthors": tuple(people)}) for work, people in added]
    draft = TotalsDraft(start)
    for work in added:
        draft.add(work)
    assert draft.finish() != start
    for work in reversed(added):
        draft.remove(work)
    assert draft.finish().model_dump() == start.model_dump()


def test_a_prolific_profile_keeps_the_most_frequent_coauthors_up_to_the_cap():
    draft = TotalsDraft(totals_of(new_profile("r-a", "Ana Souza")))
    for n in range(COLLABORATOR_COUNTS_KEPT + 50):
        coauthor = Coauthor(researcher_id=f"r-{n:05d}", display_name=f"Person {n}")
        work = Work(arxiv_id=f"2001.{n:05d}", title="t", year=2020, categories=("cs.LG",), author_count=2,
                    coauthors=(coauthor,) if n >= 10 else (coauthor, Coauthor(researcher_id="r-often", display_name="Often")))
        draft.add(work)
    totals = draft.finish()
    assert len(totals.collaborators) == COLLABORATOR_COUNTS_KEPT
    assert totals.collaborators["r-often"] == 10
    assert set(totals.collaborator_names) == set(totals.collaborators)


def test_close_collaborators_are_the_most_shared_then_by_id_leaving_out_the_excluded():
    rng = random.Random(7)
    shared = {f"r-{n:016x}": rng.randint(1, 4) for n in range(300)}
    totals = WorkTotals(collaborators=shared, collaborator_names={rid: f"Name {rid[-4:]}" for rid in shared}, works=9)
    excluded = {"r-0000000000000003", "r-0000000000000011"}
    expected = sorted((rid for rid in shared if rid not in excluded), key=lambda rid: (-shared[rid], rid))[:CLOSE_COLLABORATORS]
    found = rank_close_collaborators(totals, excluded)
    assert [c.researcher_id for c in found] == expected
    assert [c.shared_works for c in found] == [shared[rid] for rid in expected]
    assert found[0].display_name == f"Name {expected[0][-4:]}"
