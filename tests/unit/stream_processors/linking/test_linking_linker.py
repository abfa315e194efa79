"""The block linker end to end over hand-made mentions: links, new researchers, ids, merges."""

import numpy as np

from stream_processors.linking.linker import (
    SHORTLIST,
    BlockState,
    Mention,
    PaperContext,
    ResearcherSummary,
    apply_decision,
    as_centroid,
    candidate_evidence,
    link_mention,
    merge_candidates,
    merge_summaries,
    researcher_id_for,
    shortlist,
)
from stream_processors.linking.scorer import DEFAULT_THRESHOLD

# (paper id, position, keyname, forenames, affiliation, coauthor keys, categories, year)
STREAM = [
    ("p1", 0, "Wang", "Shang-Yung", "Pittsburgh U.", ("boyanovsky_d", "devega_h"), ("hep-ph",), 2001),
    ("p2", 1, "Wang", "Shang-Yung", "Pittsburgh U.", ("boyanovsky_d",), ("hep-ph",), 2002),
    ("p3", 0, "Wang", "S.-Y.", "Natl. Chiao Tung U., Taiwan", ("boyanovsky_d",), ("hep-ph",), 2004),
    ("p4", 2, "Wang", "Sheng", "Peking U.", ("li_x",), ("cond-mat",), 2004),
    ("p5", 0, "Wang", "S.", "Peking U.", ("li_x",), ("cond-mat",), 2005),
]


def _run(stream, threshold=DEFAULT_THRESHOLD):
    block = BlockState("wang_s")
    decisions = []
    for paper_id, position, keyname, forenames, affiliation, coauthors, categories, year in stream:
        mention = Mention(position, keyname, forenames, (affiliation,), "wang_s")
        before = list(coauthors[:position]) + [""] * max(0, position - len(coauthors))
        authors = before + ["wang_s"] + list(coauthors[position:])
        paper = PaperContext(paper_id, year, categories, tuple(authors))
        decision = link_mention(block, mention, paper, threshold)
        block = apply_decision(block, decision, mention, paper)
        decisions.append(decision)
    return block, decisions


def test_hand_made_stream_links_the_right_mentions():
    block, decisions = _run(STREAM)
    ids = [d.researcher_id for d in decisions]
    assert ids[0] == ids[1] == ids[2]          # same person: exact name, then initials + coauthor
    assert ids[3] != ids[0]                     # "Sheng" conflicts with "Shang-Yung"
    assert ids[4] == ids[3]                     # "S." at Peking U. with Li X. is Sheng
    assert len(block.researchers) == 2
    assert decisions[0].created and not decisions[1].created


def test_every_link_carries_its_evidence():
    _, decisions = _run(STREAM)
    linked = decisions[2]
    assert linked.evidence is not None and linked.evidence.name_label == "same-initials"
    assert linked.evidence.shared_coauthors == 1
    assert "coauthors" in linked.contributions and 0.5 < linked.confidence <= 1.0
    assert linked.explain()["evidence"]["name"]["label"] == "same-initials"


def test_same_input_same_order_gives_same_ids():
    first, _ = _run(STREAM)
    second, _ = _run(list(STREAM))
    assert list(first.researchers) == list(second.researchers)
    assert list(first.researchers)[0] == researcher_id_for("p1", 0)


def test_replaying_a_mention_is_idempotent():
    block, decisions = _run(STREAM)
    again, replayed = _run(STREAM + STREAM[:2])
    assert replayed[-1].replay and replayed[-1].researcher_id == decisions[1].researcher_id
    assert again.researchers == block.researchers


def test_coauthor_on_the_same_paper_is_never_the_same_researcher():
    stream = [STREAM[0], ("p1", 3, "Wang", "Shang-Yung", "Pittsburgh U.", ("x_a", "y_b", "z_c"), ("hep-ph",), 2001)]
    _, decisions = _run(stream)
    assert decisions[1].created
    assert decisions[1].candidates == ()  # the only candidate was vetoed


def test_inputs_are_not_mutated():
    block, _ = _run(STREAM[:1])
    snapshot = dict(block.researchers)
    mention = Mention(0, "Wang", "Shang-Yung", ("Pittsburgh U.",), "wang_s")
    paper = PaperContext("p9", 2003, ("hep-ph",), ("wang_s",))
    decision = link_mention(block, mention, paper)
    apply_decision(block, decision, mention, paper)
    assert block.researchers == snapshot


def test_merge_candidates_joins_split_profiles_and_respects_hard_rules():
    a_block, _ = _run([STREAM[0]])
    b_block, _ = _run([("p7", 0, "Wang", "S.-Y.", "Pittsburgh U.", ("boyanovsky_d", "devega_h"), ("hep-ph",), 2002)])
    a, b = next(iter(a_block.researchers.values())), next(iter(b_block.researchers.values()))
    decision = merge_candidates(a, b)
    assert decision.merge and decision.evidence.shared_coauthors == 2
    survivor, retired = (a, b) if decision.surviving_id == a.researcher_id else (b, a)
    merged = merge_summaries(survivor, retired)
    assert merged.paper_ids == {"p1", "p7"} and merged.researcher_id == decision.surviving_id
    c_block, _ = _run([("p1", 5, "Wang", "S.-Y.", "Pittsburgh U.", ("boyanovsky_d",), ("hep-ph",), 2001)])
    c = next(iter(c_block.researchers.values()))
    assert not merge_candidates(a, c).merge and merge_candidates(a, c).score.rule == "already-author-of-paper"


def _link_all(stream, key):
    """(paper id, keyname, forenames) in order, no affiliations or coauthors: name evidence only."""
    block = BlockState(key)
    decisions = []
    for paper_id, keyname, forenames in stream:
        mention = Mention(0, keyname, forenames, (), key)
        paper = PaperContext(paper_id, None, (), (key,))
        decision = link_mention(block, mention, paper)
        block = apply_decision(block, decision, mention, paper)
        decisions.append(decision)
    return block, decisions


def test_an_initial_that_fits_one_researcher_links_on_the_name():
    _, decisions = _link_all([("p1", "Wang", "Zheng"), ("p2", "Wang", "Z.")], "wang_z")
    assert not decisions[1].created
    assert decisions[1].researcher_id == decisions[0].researcher_id
    assert decisions[1].evidence.rivals == 0


def test_an_initial_that_fits_several_researchers_does_not_bridge_into_one():
    """'Z. Wang' could be Zheng or Zhi-Gang: without other evidence it starts its own researcher,
    so later 'Z.' mentions gather there (as exact names would) instead of inflating Zheng."""
    stream = [("p1", "Wang", "Zheng"), ("p2", "Wang", "Zhi-Gang"), ("p3", "Wang", "Z."), ("p4", "Wang", "Z.")]
    _, decisions = _link_all(stream, "wang_z")
    zheng, zhigang, first_z, second_z = decisions
    assert first_z.created
    assert {c.researcher_id for c in first_z.candidates} == {zheng.researcher_id, zhigang.researcher_id}
    assert not second_z.created and second_z.researcher_id == first_z.researcher_id
    assert second_z.evidence.rivals == 2 and "ambiguity" not in second_z.contributions


def test_a_bare_initial_elsewhere_starts_its_own_researcher_but_a_full_name_may_move():
    """"J. Wang" at Arizona is not the "J. Wang" of Syracuse on the name alone; "Jianxin Wang" who
    moves from IHEP to Brussels still is the same Jianxin Wang (a full name says more)."""
    def run(stream):
        block, ids = BlockState("wang_j"), []
        for paper_id, forenames, affiliation in stream:
            mention = Mention(0, "Wang", forenames, (affiliation,) if affiliation else (), "wang_j")
            paper = PaperContext(paper_id, 2010, (), ("wang_j",))
            decision = link_mention(block, mention, paper, DEFAULT_THRESHOLD)
            block = apply_decision(block, decision, mention, paper)
            ids.append(decision.researcher_id)
        return ids

    initials = run([("a1", "J.", "Syracuse U."), ("a2", "J.", "Arizona U."), ("a3", "J.", "Arizona U."), ("a4", "J.", None)])
    assert initials[1] != initials[0] and initials[2] == initials[1]
    assert initials[3] == initials[0]              # nothing against either: the earlier researcher
    full = run([("b1", "Jianxin", "Beijing, Inst. High Energy Phys."), ("b2", "Jianxin", "Brussels U.")])
    assert full[1] == full[0]


def _person(number, coauthors, categories, centroid):
    return ResearcherSummary(
        researcher_id=f"r-{number:04d}", names={("Wang", "Wei"): 1}, coauthor_keys=dict.fromkeys(coauthors, 1),
        categories=dict.fromkeys(categories, 1), paper_ids=frozenset({f"q{number}"}),
        mention_keys=frozenset({f"q{number}#0"}), centroid=as_centroid(np.asarray(centroid, dtype=float)), embedded=1,
    )


def test_the_shortlist_keeps_shared_coauthors_then_the_nearest_then_shared_fields_in_block_order():
    far = [_person(n, [f"x_{n}"], ["math.AP"], [0.0, 1.0]) for n in range(10)]
    near = _person(10, [], ["math.AP"], [1.0, 0.1])
    same_field = _person(11, [], ["cs.LG"], [0.0, 1.0])
    colleague = _person(12, ["smith_a"], [], [-1.0, 0.0])
    candidates = [*far, near, same_field, colleague]
    assert shortlist(candidates, ["smith_a"], np.array([1.0, 0.0]), ["cs.LG"], limit=len(candidates)) == candidates
    picked = shortlist(candidates, ["smith_a"], np.array([1.0, 0.0]), ["cs.LG"], limit=3)
    assert picked == [near, same_field, colleague], "returned in block order"
    picked = shortlist(candidates, ["smith_a"], np.array([1.0, 0.0]), ["cs.LG"], limit=2)
    assert picked == [near, colleague]
    picked = shortlist(candidates, [], None, [], limit=2)
    assert picked == far[:2], "nothing to rank by: the earliest researchers"


def test_a_mention_of_a_name_held_by_more_people_than_the_shortlist_links_to_its_colleague():
    strangers = [_person(n, [f"x_{n}"], ["math.AP"], [0.0, 1.0]) for n in range(SHORTLIST + 40)]
    colleague = _person(5_000, ["smith_a", "jones_b"], ["cs.LG"], [1.0, 0.0])
    block = BlockState("wang_w", {r.researcher_id: r for r in [*strangers, colleague]})
    mention = Mention(0, "Wang", "Wei", (), "wang_w")
    paper = PaperContext("new", 2016, ("cs.LG",), ("wang_w", "smith_a", "jones_b"), (1.0, 0.02))
    weighed = candidate_evidence(block, mention, paper)
    assert len(weighed) == SHORTLIST and weighed[-1][1] is colleague
    assert all(evidence.rivals == SHORTLIST + 40 for evidence, _ in weighed), "rivals still count every namesake"
    assert link_mention(block, mention, paper).researcher_id == colleague.researcher_id
