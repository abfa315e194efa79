"""The merge step inside a block: which researchers fold, which id survives, what the test weighs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from stream_processors.linking.linker import SHORTLIST, BlockState, ResearcherSummary, as_centroid
from stream_processors.linking.merging import DEFAULT_POLICY, MergePolicy, RivalCounts, display_name, merge_after_link
from stream_processors.linking.names import INCOMPATIBLE, compare_names
from stream_processors.linking.policy import policy_named


def summary(rid, names, coauthors=(), categories=(), affiliations=(), papers=(), years=(2015, 2015)):
    return ResearcherSummary(
        researcher_id=rid,
        names={name: 1 for name in names},
        coauthor_keys={key: 1 for key in coauthors},
        categories={code: 1 for code in categories},
        affiliations=tuple(affiliations),
        first_year=years[0],
        last_year=years[1],
        paper_ids=frozenset(papers),
        mention_keys=frozenset(f"{p}#0" for p in papers),
    )


def block(*researchers):
    return BlockState("wang_z", {r.researcher_id: r for r in researchers})


ZHENG = summary("r-b", [("Wang", "Zheng")], coauthors=["smith_a", "jones_b"], categories=["cs.DS"], papers=["p1", "p2"])
Z = summary("r-c", [("Wang", "Z.")], coauthors=["smith_a"], categories=["cs.DS"], papers=["p3"])
Z_BARE = summary("r-c", [("Wang", "Z.")], papers=["p3"])
ZHIGANG = summary("r-a", [("Wang", "Zhi-Gang")], papers=["p9"])


def test_coauthors_and_topics_merge_an_initialled_form_into_the_full_name_and_the_smaller_id_survives():
    folded, (merge,) = merge_after_link(block(ZHENG, Z), "r-c")
    assert (merge.surviving_id, merge.retired_id) == ("r-b", "r-c")
    assert merge.evidence.shared_coauthors == 1 and merge.contributions["topics"] > 0
    assert list(folded.researchers) == ["r-b"]
    survivor = folded.researchers["r-b"]
    assert survivor.paper_ids == {"p1", "p2", "p3"} and survivor.mention_keys >= Z.mention_keys
    assert (merge.surviving_name, merge.retired_name) == ("Zheng Wang", "Z. Wang")


def test_the_smaller_id_survives_even_with_fewer_works():
    more_works = summary("r-z", [("Wang", "Zheng")], coauthors=["smith_a"], categories=["cs.DS"], papers=["p1", "p2", "p4"])
    _, (merge,) = merge_after_link(block(more_works, Z), "r-z")
    assert (merge.surviving_id, merge.retired_id) == ("r-c", "r-z")


def test_a_name_match_alone_merges_only_when_no_other_researcher_of_the_block_fits_the_name():
    _, merges = merge_after_link(block(ZHENG, Z_BARE), "r-c")
    assert len(merges) == 1, "same initials and nothing against: the link test passes"
    unchanged, merges = merge_after_link(block(ZHIGANG, ZHENG, Z_BARE), "r-c")
    assert merges == (), "'Z.' also fits Zhi-Gang: the ambiguity the linker penalises blocks the merge"
    assert list(unchanged.researchers) == ["r-a", "r-b", "r-c"]
    _, merges = merge_after_link(block(ZHIGANG, ZHENG, Z_BARE), "r-c", MergePolicy(context_penalties=False))
    assert len(merges) == 1, "merge_candidates alone ignores the rival (why the stage adds the penalties)"


def test_hard_rules_hold_for_merges():
    same_paper = summary("r-c", [("Wang", "Z.")], coauthors=["smith_a"], categories=["cs.DS"], papers=["p1"])
    assert merge_after_link(block(ZHENG, same_paper), "r-c")[1] == ()
    other_name = summary("r-c", [("Wang", "Zhi-Gang")], coauthors=["smith_a", "jones_b"], categories=["cs.DS"], papers=["p3"])
    assert merge_after_link(block(ZHENG, other_name), "r-c")[1] == ()


def test_a_shared_coauthor_requirement_is_a_policy_option():
    policy = MergePolicy(min_shared_coauthors=1)
    assert merge_after_link(block(ZHENG, Z_BARE), "r-c", policy)[1] == ()
    assert len(merge_after_link(block(ZHENG, Z), "r-c", policy)[1]) == 1


def test_one_link_can_fold_a_chain_and_the_result_does_not_depend_on_anything_but_the_block():
    twin = summary("r-d", [("Wang", "Zheng")], coauthors=["jones_b", "smith_a"], categories=["cs.DS"], papers=["p5"])
    state = block(ZHENG, Z, twin)
    first = merge_after_link(state, "r-c")
    assert first == merge_after_link(state, "r-c")
    folded, merges = first
    assert [(m.surviving_id, m.retired_id) for m in merges] == [("r-b", "r-c"), ("r-b", "r-d")]
    assert list(folded.researchers) == ["r-b"]
    assert state.researchers.keys() == {"r-b", "r-c", "r-d"}, "the input block is not changed"


def test_the_display_name_is_the_most_printed_form():
    many = ResearcherSummary("r-x", names={("Wang", "Z."): 3, ("Wang", "Zheng"): 1})
    assert display_name(many) == "Z. Wang"
    assert DEFAULT_POLICY.context_penalties


def _brute_rivals(state, a, b):
    """The count as defined: every other researcher whose forms fit all of a's (or b's), compared one by one."""
    def fits(x, y):
        return all(compare_names(p, q).label != INCOMPATIBLE for p in x.name_forms for q in y.name_forms)
    others = [o for o in state.researchers.values() if o.researcher_id not in (a.researcher_id, b.researcher_id)]
    return max(sum(fits(a, o) for o in others), sum(fits(b, o) for o in others))


def test_rival_counts_counted_once_per_name_equal_one_by_one_comparison():
    names = [("Wang", "Zheng"), ("Wang", "Z."), ("Wang", "Zhi-Gang"), ("Wang", "Zhen"), ("Wang", "Wei"), ("Wang", "W."),
             ("Wang", "Zheng")]
    people = [summary(f"r-{i}", [names[i % len(names)]], papers=[f"p{i}"]) for i in range(20)]
    people.append(summary("r-x", [("Wang", "Z."), ("Wang", "Zheng")], papers=["px"]))
    state = block(*people)
    counts = RivalCounts(state)
    for a in state.researchers.values():
        for b in state.researchers.values():
            if a is not b:
                assert counts(a, b) == _brute_rivals(state, a, b), (a.names, b.names)


def _namesake(number, coauthors=(), categories=("cs.LG",), centroid=None):
    person = summary(f"r-{number:04d}", [("Wang", "Wei")], coauthors=coauthors, categories=categories, papers=[f"p{number}"])
    return replace(person, centroid=None if centroid is None else as_centroid(np.asarray(centroid)), embedded=centroid is not None)


def test_a_block_of_one_name_past_the_shortlist_still_merges_the_one_that_shares_the_evidence():
    strangers = [_namesake(n, coauthors=[f"other_{n}"], categories=["math.AP"], centroid=[0.0, 1.0]) for n in range(SHORTLIST + 30)]
    twin = _namesake(9_000, coauthors=["smith_a", "jones_b"], categories=["cs.LG"], centroid=[1.0, 0.0])
    me = _namesake(9_001, coauthors=["smith_a", "jones_b"], categories=["cs.LG"], centroid=[1.0, 0.05])
    state = BlockState("wang_w", {r.researcher_id: r for r in [*strangers, twin, me]})
    _, merges = merge_after_link(state, me.researcher_id, policy_named("pairwise"))
    assert [(m.surviving_id, m.retired_id) for m in merges] == [(twin.researcher_id, me.researcher_id)]
