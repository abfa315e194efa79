"""The linking and profile stages as pure steps: route, link, assemble, profile."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import numpy as np

from schemas.papers import Author, RawPaper
from stream_processors.linking.state_codec import dumps_summary, loads_summary
from stream_processors.linking_stage import add_assignment, assemble, finish_works, link, route, works_draft
from tests.factories import enriched_paper

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def paper(arxiv_id, authors, title="Graph decompositions"):
    return enriched_paper(
        RawPaper(arxiv_id=arxiv_id, version=1, title=title, abstract="", categories=("cs.DS",), source="snapshot",
                 authors=tuple(Author(keyname=k, forenames=f) for k, f in authors),
                 submitted=datetime(2015, 1, 1, tzinfo=UTC)),
        np.ones(4, dtype=np.float32),
    )


def run_through(papers):
    """Drive the steps the way the agents do, with dicts as tables."""
    blocks, authors, profiles, works, changes = {}, {}, {}, {}, []
    for item in papers:
        for mention in route(item):
            key = mention.mention.blocking_key
            stored = blocks.get(key)
            state, authorship = link(decoded(stored) if stored else None, mention)
            blocks[key] = encoded(state)
            known, assignments = assemble(authors.get(authorship.arxiv_id, {}), authorship)
            authors[authorship.arxiv_id] = known
            for assignment in assignments:
                rid = assignment.researcher_id
                held = works.setdefault(rid, {})
                draft = works_draft(profiles.get(rid), assignment, held.get)
                add_assignment(draft, assignment)
                made = finish_works(profiles.get(rid), draft, NOW)
                if made is not None:
                    profiles[rid], change = made
                    held.update(draft.written)
                    changes.extend([change] if change else [])
    return profiles, changes


def encoded(state):
    return state.key, [dumps_summary(r) for r in state.researchers.values()]


def decoded(stored):
    from stream_processors.linking.linker import BlockState

    key, summaries = stored
    researchers = [loads_summary(data) for data in summaries]
    return BlockState(key, {r.researcher_id: r for r in researchers})


PAPERS = [
    paper("1501.00001", [("Streinu", "Ileana"), ("Theran", "Louis")]),
    paper("1501.00002", [("Streinu", "I."), ("Theran", "Louis")]),
    paper("1501.00003", [("Theran", "Louis"), ("Smith", "Adam")]),
]


def test_route_gives_one_mention_per_author_keyed_by_block():
    events = route(PAPERS[0])
    assert [(e.mention.position, e.mention.blocking_key) for e in events] == [(0, "streinu_i"), (1, "theran_l")]
    assert [e.printed_name for e in events] == ["Ileana Streinu", "Louis Theran"]
    assert (events[1].coauthor_keys, events[1].author_count) == (("streinu_i",), 2)


def _member(n: int) -> str:
    return "Phys" + "".join("abcdefghij"[int(d)] for d in f"{n:04d}")


def _key(n: int) -> str:
    return f"{_member(n).lower()}_a"


def _collaboration(authors: int):
    return paper("1501.09999", [(_member(n), "Alex") for n in range(authors)])


def test_a_line_of_a_large_collaboration_carries_a_sample_of_its_coauthors_and_stays_small():
    """v1 mentions carried every author's name and key: n^2 of them for an n-author paper."""
    small, large = route(_collaboration(101)), route(_collaboration(102))
    assert all(len(e.coauthor_keys) == 100 for e in (*small, *large))
    assert small[7].coauthor_keys == tuple(_key(n) for n in range(101) if n != 7)
    everyone = {_key(n) for n in range(102)}
    assert all(set(e.coauthor_keys) <= everyone - {_key(e.mention.position)} for e in large)
    sizes = [max(len(e.model_dump_json()) for e in route(_collaboration(n))) for n in (200, 2_000)]
    assert sizes[1] < sizes[0] + 200, f"a mention grows with its paper's author count: {sizes}"


def test_two_papers_of_one_collaboration_give_a_member_mostly_the_same_sample():
    """The sample is a bottom-k sketch in one hash order: papers sharing most authors share most
    of it, whatever the order of their author lists."""
    from schemas.linking_events import coauthor_keys_of

    members = tuple(_key(n) for n in range(3_000))
    one = coauthor_keys_of(members, 10)
    other = coauthor_keys_of(tuple(reversed(members[:2_900])) + tuple(_key(n) for n in range(5_000, 5_100)), 2_889)
    assert len(one) == len(other) == 100
    assert len(set(one) & set(other)) >= 85, "96% of the authors are shared, so most of the sample is"
    assert coauthor_keys_of(members, 10) == one, "the same sample in every call"


def test_the_sample_leaves_out_the_lines_own_key_unless_another_line_prints_it():
    from schemas.linking_events import coauthor_keys_by_line, coauthor_keys_of

    keys = tuple(_key(n) for n in range(150))
    lines = coauthor_keys_by_line(keys)
    assert [coauthor_keys_of(keys, p) for p in range(150)] == lines
    assert all(keys[p] not in lines[p] for p in range(150))
    twice = (*keys, keys[0])
    assert coauthor_keys_of(twice, 0) == coauthor_keys_of(twice, 150), "each of the two lines has the other as coauthor"
    assert coauthor_keys_of(("a", "", "c"), 0) == ("c",), "unparsed names are skipped"


def test_a_v1_mention_reads_as_v2():
    from schemas.linking_events import MentionEvent

    event = route(PAPERS[0])[1]
    v1 = event.model_dump(mode="json") | {"schema_version": 1, "author_names": ["Ileana Streinu", "Louis Theran"],
                                          "author_keys": ["streinu_i", "theran_l"]}
    del v1["printed_name"], v1["author_count"], v1["coauthor_keys"]
    assert MentionEvent.model_validate(v1) == event
    assert MentionEvent.model_validate_json(json.dumps(v1)) == event


def test_profiles_collect_works_and_collaborators_with_ids():
    profiles, changes = run_through(PAPERS)
    theran = next(p for p in profiles.values() if p.display_name == "Louis Theran")
    assert theran.works_count == 3
    streinu = next(p for p in profiles.values() if "Streinu" in p.display_name)
    smith = next(p for p in profiles.values() if p.display_name == "Adam Smith")
    assert streinu.works_count == 2, "the initialled form links to the full name through the shared coauthor"
    collaborators = {c.researcher_id: c for c in theran.close_collaborators}
    assert set(collaborators) == {streinu.researcher_id, smith.researcher_id}
    assert collaborators[streinu.researcher_id].shared_works == 2
    assert all(p.trust is not None for p in profiles.values())
    assert changes and all(c.researcher_id in profiles for c in changes)


def test_replaying_everything_changes_nothing_and_ids_are_deterministic():
    first, _ = run_through(PAPERS)
    again, _ = run_through(PAPERS + PAPERS)
    assert set(first) == set(again)
    assert {k: v.works_count for k, v in first.items()} == {k: v.works_count for k, v in again.items()}


def test_a_paper_is_assigned_only_once_all_its_authors_are_linked():
    (first, second) = route(PAPERS[0])
    _, a1 = link(None, first)
    known, assignments = assemble({}, a1)
    assert assignments == []
    _, a2 = link(None, second)
    known, assignments = assemble(known, a2)
    assert [a.researcher_id for a in assignments] == [a1.researcher_id, a2.researcher_id]
    assert [c.researcher_id for c in assignments[0].coauthors] == [a2.researcher_id]


def test_block_state_round_trips_through_json():
    (mention, _) = route(PAPERS[0])
    state, _ = link(None, mention)
    assert decoded(encoded(state)) == state


def test_every_author_gets_the_papers_embedding_though_only_the_first_line_carries_it():
    (first, second) = route(PAPERS[0])
    _, a1 = link(None, first)
    _, a2 = link(None, second)
    assert a1.embedding is not None and a2.embedding is None, "one copy of the vector per paper in the table"
    _, assignments = assemble({1: a2}, a1)
    assert [a.embedding for a in assignments] == [a1.embedding, a1.embedding]
    profiles, _ = run_through(PAPERS)
    theran = next(p for p in profiles.values() if p.display_name == "Louis Theran")
    assert theran.embedding_works == 3 and np.allclose(theran.embedding.vector(), np.ones(4))


def test_name_variants_keep_the_printed_surname_for_search():
    profiles, _ = run_through([paper("1501.00009", [("de Bruyn Kops", "S. M."), ("Theran", "Louis")])])
    kops = next(p for p in profiles.values() if "Kops" in p.display_name)
    assert [(v.name, v.surname) for v in kops.name_variants] == [("S. M. de Bruyn Kops", "de Bruyn Kops")]


def test_block_codec_is_lossless_so_a_recovered_worker_links_as_an_uninterrupted_one():
    """Regression: centroids were stored rounded to 5 decimals, so a state decoded after a restart
    differed from the in-memory one (and rounding them was the slowest part of encoding)."""
    rng = np.random.default_rng(3)
    papers = [
        enriched_paper(item.paper, rng.standard_normal(4).astype(np.float32)) for item in PAPERS
    ]
    blocks = {}
    for item in papers:
        for mention in route(item):
            key = mention.mention.blocking_key
            state, _ = link(blocks.get(key), mention)
            blocks[key] = state
    for state in blocks.values():
        again = decoded(encoded(state))
        assert again == state
        assert all(r.centroid is None or isinstance(r.centroid[0], float) for r in again.researchers.values())


def test_block_codec_still_reads_states_with_rounded_centroids():
    import json as _json

    (mention, _) = route(PAPERS[0])
    state, _ = link(None, mention)
    raw = _json.loads(dumps_summary(next(iter(state.researchers.values()))))
    raw["centroid"] = [0.25, 0.5, 0.5, 0.5]
    old = loads_summary(_json.dumps(raw).encode())
    assert tuple(old.centroid) == (0.25, 0.5, 0.5, 0.5)


def test_summaries_keep_float16_centroids_and_still_read_float32_and_float64_states():
    import json as _json

    (mention, _) = route(PAPERS[0])
    state, _ = link(None, mention)
    summary = next(iter(state.researchers.values()))
    assert summary.centroid is not None and summary.centroid.typecode == "f"
    raw = _json.loads(dumps_summary(summary))
    assert raw["dtype"] == "f2" and len(base64.b64decode(raw["centroid"])) == 2 * len(summary.centroid)
    assert loads_summary(dumps_summary(summary)) == summary  # float16 holds the kept centroid exactly
    precise = np.array([0.1, 1 / 3, 2 / 3, -0.7], dtype="<f8")
    rounded = precise.astype(np.float16).astype(np.float32).tolist()
    for dtype in ("f4", "f8"):  # summaries written when centroids were float32, and float64 before that
        raw["centroid"] = base64.b64encode(precise.astype(f"<{dtype}").tobytes()).decode("ascii")
        if dtype == "f4":
            raw["dtype"] = "f4"
        else:
            del raw["dtype"]
        old = loads_summary(_json.dumps(raw).encode())
        assert old.centroid is not None and old.centroid.typecode == "f"
        assert list(old.centroid) == rounded
        assert loads_summary(dumps_summary(old)) == old


def test_the_paper_vector_travels_to_the_lines_and_the_profiles_in_float16():
    mentions = route(PAPERS[0])
    assert all(m.embedding is not None and m.embedding.dtype == "f2" for m in mentions)
    assert len(mentions[0].embedding.b64) < 0.55 * len(PAPERS[0].embedding.full().b64)
    profiles, _ = run_through(PAPERS)
    assert all(p.embedding is not None and p.embedding.dtype == "f2" for p in profiles.values())
    paper_vector = PAPERS[0].embedding.vector()
    theran = next(p for p in profiles.values() if p.display_name == "Louis Theran")
    assert np.allclose(theran.embedding.vector(), paper_vector, atol=2e-3)


def test_an_int8_paper_vector_travels_to_the_lines_as_it_came_and_the_profiles_keep_float16():
    papers = [p.model_copy(update={"embedding": p.embedding.as_dtype("i1")}) for p in PAPERS]
    mentions = route(papers[0])
    assert all(m.embedding == papers[0].embedding and m.embedding.dtype == "i1" for m in mentions)
    assert len(base64.b64decode(mentions[0].embedding.b64)) * 4 == len(base64.b64decode(PAPERS[0].embedding.full().b64))
    profiles, _ = run_through(papers)
    assert all(p.embedding is not None and p.embedding.dtype == "f2" for p in profiles.values())
    theran = next(p for p in profiles.values() if p.display_name == "Louis Theran")
    assert np.allclose(theran.embedding.vector(), papers[0].embedding.vector(), atol=1e-3)
