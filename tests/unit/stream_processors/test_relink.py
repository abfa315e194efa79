"""Relinks through the real linking handlers over in-memory topics: a researcher that holds two
people's works is split, the split reaches the profiles, and later mentions follow it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.linking_events import RelinkRequest
from schemas.profiles import ClaimSignal, SplitEvent
from scholarstream import relink as planning
from stream_processors.agents import LinkAgent
from stream_processors.linking.policy import policy_named
from stream_processors.linking.resplit import split_id
from tests.unit.stream_processors.agents.memory import LINK_DLQ, MENTIONS, MERGES, NOW, Worker, paper

POLICY = policy_named("pairwise", "static-minilm-v1")  # the worker's, in fast mode: no cosine
AT = datetime(2026, 3, 1, tzinfo=UTC)
A_COAUTHORS: list[tuple[str, str, list[str]]] = [("Li", "Xiang", []), ("Chen", "Yu", []), ("Zhao", "Qing", [])]
B_COAUTHORS: list[tuple[str, str, list[str]]] = [("Smith", "John", []), ("Brown", "Kate", [])]


def wei(affiliation):
    return ("Wang", "Wei", [affiliation])


# Two people print "Wei Wang": A in databases at Tsinghua, B in vision at Sydney. B's first paper
# shares one coauthor ("Xiang Li") with A's, so the stream links it, and with it B's later papers,
# to A's researcher: a link made on thin evidence, which B's later papers outweigh.
A = [paper(f"1601.0000{i}", [wei("Tsinghua University"), *A_COAUTHORS], categories=("cs.DB",), year=2016) for i in range(1, 5)]
BRIDGE = paper("1602.00001", [wei("University of Sydney"), ("Li", "Xiang", []), *B_COAUTHORS], categories=("cs.CV",), year=2016)
B = [paper(f"1602.0000{i}", [wei("University of Sydney"), *B_COAUTHORS], categories=("cs.CV", "cs.LG"), year=2016)
     for i in range(2, 9)]
PAPERS = [*A, BRIDGE, *B]
A_IDS = [p.paper.arxiv_id for p in A]
B_IDS = [p.paper.arxiv_id for p in (BRIDGE, *B)]


def block_of(worker: Worker):
    agent = worker.handlers[MENTIONS]
    assert isinstance(agent, LinkAgent)
    return agent.blocks.begin(b"wang_w").block


def relink_requests(worker: Worker, papers=PAPERS, name="Wei Wang") -> list[RelinkRequest]:
    """What `scholarstream relink --name` sends, planned over the worker's block and the papers."""
    block = block_of(worker)
    looked = planning.chosen(block, name)
    mentions = planning.events_of(papers, {k for r in looked for k in r.mention_keys})
    made, too_large = planning.requests(block, planning.plan(looked, mentions, POLICY), mentions, "operator", AT)
    assert too_large == []
    return made


def relinked(worker: Worker, requests: list[RelinkRequest]) -> Worker:
    for request in requests:
        worker.topics[MENTIONS].put(request.blocking_key, request)
    return worker.run((MENTIONS,)).drain()


def wangs(worker: Worker) -> dict[str, list[str]]:
    return {rid: [w.arxiv_id for w in worker.works_of(rid)] for rid, p in worker.live().items() if "Wang" in p.display_name}


@pytest.fixture
def folded() -> Worker:
    worker = Worker(policy=POLICY).ingest(PAPERS).drain()
    assert list(wangs(worker).values()) == [A_IDS + B_IDS], "the stream folds both people into one researcher"
    return worker


def test_a_relink_splits_the_two_people_and_the_profiles_follow(folded):
    (kept_id,) = wangs(folded)
    (request,) = relink_requests(folded)
    assert request.researcher_id == kept_id and len(request.mentions) == 12
    relinked(folded, [request])
    new_id = split_id(kept_id, "1602.00001#0")
    assert wangs(folded) == {kept_id: A_IDS, new_id: B_IDS}, "A keeps the id (its first paper made it); B is split off"
    (split,) = [SplitEvent.model_validate_json(e.value) for e in folded.topics[MERGES].log]
    assert (split.researcher_id, split.split_to, list(split.arxiv_ids)) == (kept_id, new_id, B_IDS)
    assert split.relink_id == request.relink_id and split.evidence["mean_between"] < split.evidence["threshold"]
    kept = folded.profiles[kept_id]
    assert kept.works_count == 4 and {d.moved_to for d in kept.disowned_works} == {new_id}
    assert {c.display_name for c in kept.close_collaborators} == {"Xiang Li", "Yu Chen", "Qing Zhao"}
    assert len(folded.placed()) == len(A_IDS) * 4 + 4 + len(B) * 3, "every author line in exactly one live profile"
    block = block_of(folded)
    assert {k.split("#")[0] for k in block.researchers[new_id].mention_keys} == set(B_IDS)


def test_after_the_split_new_and_redelivered_mentions_follow_it(folded):
    (kept_id,) = wangs(folded)
    relinked(folded, relink_requests(folded))
    new_id = split_id(kept_id, "1602.00001#0")
    later = paper("1603.00001", [wei("University of Sydney"), *B_COAUTHORS], categories=("cs.CV",), year=2016)
    folded.ingest([later, B[0]]).drain()  # a new paper of B's, and one of B's old papers again
    assert wangs(folded)[new_id] == [*B_IDS, "1603.00001"]
    assert wangs(folded)[kept_id] == A_IDS
    version_2 = B[1].model_copy(update={"paper": B[1].paper.model_copy(update={"version": 2})})
    folded.ingest([version_2]).drain()
    assert B[1].paper.arxiv_id not in wangs(folded)[kept_id], "a new version of a split-off work goes on to its researcher"


def test_a_replay_of_the_same_records_makes_the_same_split():
    first = relinked(Worker(policy=POLICY).ingest(PAPERS).drain(), [])
    requests = relink_requests(first)
    relinked(first, requests)
    again = relinked(Worker(policy=POLICY).ingest(PAPERS).drain(), requests)
    assert again.profiles == first.profiles
    merges = len(again.topics[MERGES].log)
    relinked(again, requests)  # re-delivered (a worker killed before committing its offset): a no-op
    assert again.profiles == first.profiles and len(again.topics[MERGES].log) == merges
    assert again.topics[LINK_DLQ].letters() == [], "an applied relink read again is not refused"


def test_a_relink_made_before_more_mentions_arrived_is_refused_not_applied(folded):
    requests = relink_requests(folded)
    folded.ingest([paper("1603.00002", [wei("Tsinghua University"), *A_COAUTHORS], categories=("cs.DB",), year=2016)]).drain()
    before = folded.profiles
    relinked(folded, requests)
    assert folded.profiles == before
    (letter,) = folded.topics[LINK_DLQ].letters()
    assert "1 missing" in letter.reason and "1603.00002#0" in letter.reason


def test_one_person_is_left_whole_and_no_request_is_made():
    worker = Worker(policy=POLICY).ingest(A).drain()
    block = block_of(worker)
    looked = planning.chosen(block, "Wei Wang")
    mentions = planning.events_of(A, {k for r in looked for k in r.mention_keys})
    (planned,) = planning.plan(looked, mentions, POLICY)
    assert planned.parts == (tuple(A_IDS),) and not planned.splits
    assert planning.requests(block, [planned], mentions, "operator", AT) == ([], [])


def test_the_name_filter_keeps_researchers_the_name_cannot_be_out():
    other = paper("1601.00009", [("Wang", "Wen", ["MIT"]), ("Doe", "Jane", [])], categories=("math.CO",))
    worker = Worker(policy=POLICY).ingest([*A, other, paper("1601.00010", [("Wang", "Wen", ["MIT"])], categories=("math.CO",))]).drain()
    names = {planning.display_name(r) for r in planning.chosen(block_of(worker), "Wei Wang")}
    assert names == {"Wei Wang"}
    assert {planning.display_name(r) for r in planning.chosen(block_of(worker), None)} == {"Wei Wang", "Wen Wang"}


def test_a_claimed_profile_is_not_split_and_the_refusal_says_why(folded):
    (kept_id,) = wangs(folded)
    folded.signal(ClaimSignal(signal_id="claim-1", researcher_id=kept_id, actor="user:wei", at=NOW))
    relinked(folded, relink_requests(folded))
    assert wangs(folded)[kept_id] == A_IDS + B_IDS
    assert any("a relink does not split" in reason for reason in folded.refused)


def test_a_relink_of_another_block_or_a_researcher_not_in_it_is_refused(folded):
    (request,) = relink_requests(folded)
    relinked(folded, [request.model_copy(update={"researcher_id": "r-0000000000000000"})])
    (letter,) = folded.topics[LINK_DLQ].letters()
    assert "is not a researcher of block 'wang_w'" in letter.reason
    with pytest.raises(ValueError, match="a mention of block 'wang_w' in a relink of block 'li_x'"):
        RelinkRequest.model_validate({**request.model_dump(), "blocking_key": "li_x"})


def test_a_split_block_round_trips_through_its_codec_with_the_parts_apart(folded):
    from stream_processors.linking.linker import ResearcherSummary
    from stream_processors.linking.state_codec import dumps_summary, loads_summary

    relinked(folded, relink_requests(folded))
    block = block_of(folded)
    parts = [r for r in block.researchers.values() if r.apart]
    assert len(parts) == 2 and all(loads_summary(dumps_summary(r)) == r for r in parts)
    untouched = ResearcherSummary(researcher_id="r-0123456789abcdef", names={("Wang", "Wei"): 1})
    assert b"apart" not in dumps_summary(untouched), "a summary no relink split stores no `apart`: no bytes for the common case"


def test_the_parts_of_a_split_never_pass_the_merge_test_again(folded):
    from stream_processors.linking.linker import merge_candidates

    relinked(folded, relink_requests(folded))
    a, b = [r for r in block_of(folded).researchers.values() if r.apart]
    decision = merge_candidates(a, b, POLICY.threshold, POLICY.weights)
    assert not decision.merge and decision.score.rule == "split-apart-by-relink"


def test_the_records_tell_their_kind_by_their_first_bytes():
    from schemas.linking_events import MentionEvent, is_relink
    from schemas.profiles import MergeEvent, is_split
    from stream_processors.linking_stage import route

    mention = route(PAPERS[0])[0]
    request = RelinkRequest(relink_id="r1", blocking_key="wang_w", researcher_id="r-0123456789abcdef",
                            requested_by="operator", mentions=(mention,), at=AT)
    split = SplitEvent(researcher_id="r-0123456789abcdef", split_to="r-0123456789abcdee", arxiv_ids=("1601.00001",),
                       relink_id="r1", requested_by="operator", at=AT)
    merge = MergeEvent(retired_id="r-0123456789abcdef", surviving_id="r-0123456789abcdee", reason="linking", at=AT)
    assert is_relink(request.model_dump_json().encode()) and not is_relink(mention.model_dump_json().encode())
    assert is_split(split.model_dump_json().encode()) and not is_split(merge.model_dump_json().encode())
    assert MentionEvent.model_validate_json(mention.model_dump_json()) == mention


def test_a_researcher_two_targets_may_be_is_looked_at_once():
    worker = Worker(policy=POLICY).ingest(PAPERS).drain()
    block = block_of(worker)
    (wei,) = planning.chosen(block, "Wei Wang")
    looked = planning.looked_at({"wang_w": block}, [("wang_w", "Wei Wang"), ("wang_w", None)])
    assert [[r.researcher_id for r in researchers] for _, _, researchers in looked] == [[wei.researcher_id], []], (
        "the whole block (the second target) holds Wei Wang's researcher too: one request, not two"
    )
