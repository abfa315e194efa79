"""Researcher indexing and search against real Kafka and Elasticsearch.

Profiles are built with the pipeline's own pure steps, sent to `researcher.profiles` revision by
revision as the worker sends them, and indexed by the real indexer; then searched the way people
ask (initials, either order, diacritics, particles, type-ahead, topics), over the API too.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import numpy as np
import pytest
from fastapi.openapi.models import OpenAPI
from fastapi.testclient import TestClient

from clients import es_io, kafka_io
from clients.partitioning import compound_key
from indexers.indexer import INDEXER_GROUP, run_indexer
from indexers.researcher_search import ResearcherFilters, ResearcherQuery, search_researchers
from schemas.papers import Embedding, TopicScore
from schemas.profiles import ClaimSignal, OrcidEvidence, ProfileWork, VerificationLevel, VerifySignal, Work
from schemas.topics import INDEX_DLQ, RESEARCHER_PROFILE_WORKS, RESEARCHER_PROFILES
from scholarstream.api import create_api
from stream_processors.profiles import WorksDraft, apply_signal, new_profile, retire, with_trust
from stream_processors.trust import trust_snapshot

NOW = datetime(2026, 11, 29, tzinfo=UTC)
AXES = {"hep-ph": 0, "cs.DS": 1, "physics.flu-dyn": 2, "math.AG": 3, "cs.IR": 4, "q-bio.PE": 5}


def unit(category: str) -> Embedding:
    vector = np.full(len(AXES), 0.05, dtype=np.float32)
    vector[AXES[category]] = 1.0
    return Embedding.from_vector("test", vector / np.linalg.norm(vector))


# The researcher.profile.works records `revisions` made, by researcher id (the same every call).
WORK_RECORDS: dict[str, list[ProfileWork]] = {}


def revisions(rid: str, printed: str, surname: str, category: str, titles: list[str], year: int = 2012,
              affiliation: str | None = None) -> list:
    """Every revision the profiles agent would emit while the works arrive, trust included; the
    works it would list go to WORK_RECORDS."""
    profile = new_profile(rid, printed, surname)
    emitted = []
    held: dict[str, Work] = {}
    WORK_RECORDS[rid] = []
    for n, title in enumerate(titles):
        work = Work(arxiv_id=f"{1001 + n % 12:04d}.{abs(hash((rid, n))) % 90000 + 10000}", title=title,
                    year=year + n % 4, categories=(category,),
                    topics=(TopicScore(code=category, name=category, score=0.9),), author_count=2)
        draft = WorksDraft(profile, held.get)
        draft.add(work, (), printed_name=printed, surname=surname,
                  affiliations=(affiliation,) if affiliation else (), embedding=unit(category))
        built = draft.finish()
        profile = with_trust(built, trust_snapshot(built, {}, NOW))
        held.update(draft.written)
        WORK_RECORDS[rid] += [ProfileWork(researcher_id=rid, work=w, revision=profile.revision) for w in draft.written.values()]
        emitted.append(profile)
    return emitted


def corpus() -> dict[str, list]:
    return {
        "csaba": revisions("r-csaba", "Csaba Balázs", "Balázs", "hep-ph",
                           [f"Supersymmetric dark matter constraints {i}" for i in range(12)], affiliation="Monash University"),
        "c-namesake": revisions("r-cbalazs", "C. Balazs", "Balazs", "cs.DS", ["Sorting networks revisited"]),
        "peter": revisions("r-peter", "Peter Balazs", "Balazs", "math.AG", ["Frames and time-frequency analysis", "Gabor multipliers"]),
        "kops": revisions("r-kops", "S. M. de Bruyn Kops", "de Bruyn Kops", "physics.flu-dyn",
                          ["Stratified turbulence simulations", "Mixing in stratified flows", "Direct numerical simulation of wakes"]),
        "waals": revisions("r-waals", "J. D. van der Waals", "van der Waals", "physics.flu-dyn",
                           ["Continuity of the gaseous and liquid states"]),
        "miro": revisions("r-miro", "Rosa M. Miró-Roig", "Miró-Roig", "math.AG",
                          ["Globally generated vector bundles", "Lefschetz properties"]),
        "atlas": revisions("r-atlas", "ATLAS Collaboration", "ATLAS Collaboration", "hep-ph", ["Observation of a new particle"]),
        "markov": revisions("r-markov", "Ilya Markov", "Markov", "cs.IR", ["Federated search evaluation", "Click models for web search"]),
        "retrieval": revisions("r-ir", "Maarten de Rijke", "de Rijke", "cs.IR",
                               [f"Markov models of user behaviour in retrieval {i}" for i in range(6)]),
        # A surname two edits from a word of someone else's title ("wakes", r-kops).
        "wakely": revisions("r-wakely", "Ruth Wakely", "Wakely", "q-bio.PE", ["Seasonal forcing of epidemics"]),
    }


def produce_profiles(settings, profiles) -> None:
    producer = kafka_io.producer(settings)
    topic = settings.topic(RESEARCHER_PROFILES.name)
    for profile in profiles:
        producer.send(topic, key=profile.researcher_id.encode(), value=profile.model_dump_json().encode())
    producer.flush()
    producer.close()


def produce_works(settings, rids) -> None:
    producer = kafka_io.producer(settings)
    topic = settings.topic(RESEARCHER_PROFILE_WORKS.name)
    for rid in rids:
        for record in WORK_RECORDS[rid]:
            producer.send(topic, key=compound_key(rid, record.work.arxiv_id), value=record.model_dump_json().encode())
    producer.flush()
    producer.close()


def index_all(settings, timeout: float = 90.0):
    es = es_io.client(settings)
    stop = threading.Event()
    thread = threading.Thread(target=run_indexer, args=(settings, es, stop, lambda: NOW), daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            lags = [kafka_io.group_lag(settings, settings.group(INDEXER_GROUP), settings.topic(spec.name))
                    for spec in (RESEARCHER_PROFILES, RESEARCHER_PROFILE_WORKS)]
            if all(lag and sum(lag.values()) == 0 for lag in lags):
                es.indices.refresh(index=f"{settings.index('researchers')},{settings.index('researcher-works')}")
                return es
            time.sleep(0.3)
        raise AssertionError("the indexer did not catch up in time")
    finally:
        stop.set()
        thread.join(30)


@pytest.fixture
def indexed(settings):
    kafka_io.ensure_topics(settings, [RESEARCHER_PROFILES, RESEARCHER_PROFILE_WORKS, INDEX_DLQ])
    people = corpus()
    produce_profiles(settings, [p for emitted in people.values() for p in emitted])
    produce_works(settings, [emitted[-1].researcher_id for emitted in people.values()])
    return index_all(settings), {name: emitted[-1] for name, emitted in people.items()}


def top(es, settings, text, **options) -> list[str]:
    filters = ResearcherFilters(**options.pop("filters", {}))
    return [h.researcher_id for h in search_researchers(es, settings, ResearcherQuery(text, filters, **options)).hits]


@pytest.mark.parametrize("query", ["Balazs, C", "Balázs, C.", "C. Balazs", "Csaba Balazs", "Balazs Csaba", "csaba balázs", "BALAZS, CSABA"])
def test_every_form_of_a_name_finds_the_prolific_person_first(indexed, settings, query):
    es, _ = indexed
    assert top(es, settings, query)[0] == "r-csaba"


def test_the_prior_for_works_and_trust_orders_namesakes_with_the_same_name_match(indexed, settings):
    """'C. Balazs' (one work) and Csaba Balázs (twelve) match 'Balazs, C' by the same keys."""
    es, _ = indexed
    hits = search_researchers(es, settings, ResearcherQuery("Balazs, C")).hits
    scores = {h.researcher_id: h.score for h in hits}
    assert scores["r-csaba"] > scores["r-cbalazs"] + 1.0


def test_a_namesake_sharing_only_the_surname_ranks_below_initial_matches(indexed, settings):
    es, _ = indexed
    ranked = top(es, settings, "Balazs, C")
    assert ranked.index("r-cbalazs") < ranked.index("r-peter")
    assert top(es, settings, "Peter Balazs")[0] == "r-peter"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("de Bruyn Kops, S M", "r-kops"), ("S. M. de Bruyn Kops", "r-kops"), ("Bruyn Kops", "r-kops"),
        ("van der Waals", "r-waals"), ("Waals, J D", "r-waals"),
        ("Miro-Roig", "r-miro"), ("Miró Roig, R", "r-miro"), ("Roig", "r-miro"),
        ("ATLAS Collaboration", "r-atlas"), ("atlas", "r-atlas"),
        ("Balaz", "r-csaba"), ("de bru", "r-kops"),  # type-ahead prefixes
    ],
)
def test_particles_hyphens_collaborations_and_prefixes(indexed, settings, query, expected):
    es, _ = indexed
    assert top(es, settings, query)[0] == expected


def test_a_surname_beats_a_word_in_other_peoples_titles(indexed, settings):
    es, _ = indexed
    ranked = top(es, settings, "Markov")
    assert ranked[0] == "r-markov" and "r-ir" in ranked


def fields_of(rid: str, printed: str, surname: str, fields: list[tuple[str, str]]) -> list:
    """The revisions of a researcher whose works are in the given (arXiv category, its name) fields."""
    profile, emitted = new_profile(rid, printed, surname), []
    for n, (code, name) in enumerate(fields):
        work = Work(arxiv_id=f"1501.{abs(hash((rid, n))) % 90000 + 10000}", title=f"Work {n} of {printed}", year=2015,
                    categories=(code,), topics=(TopicScore(code=code, name=name, score=0.9),), author_count=1)
        draft = WorksDraft(profile, lambda _: None)
        draft.add(work, (), printed_name=printed, surname=surname, affiliations=(), embedding=unit("cs.IR"))
        built = draft.finish()
        profile = with_trust(built, trust_snapshot(built, {}, NOW))
        emitted.append(profile)
    return emitted


def test_a_surname_and_a_topic_find_the_namesake_whose_main_field_it_is(settings):
    """Both Jansons have robotics among their topics; the one with more works (the prior) works
    mostly on machine learning. "Janson Robotics" means the roboticist, and prolific researchers of
    the topic named otherwise do not pass a Janson, even one whose top topic it is not."""
    kafka_io.ensure_topics(settings, [RESEARCHER_PROFILES, RESEARCHER_PROFILE_WORKS, INDEX_DLQ])
    robotics, learning = ("cs.RO", "Robotics"), ("cs.LG", "Machine Learning")
    produce_profiles(settings, fields_of("r-janson-ro", "Ada Janson", "Janson", [robotics, robotics, learning])
                     + fields_of("r-janson-lg", "Bo Janson", "Janson", [learning] * 6 + [robotics] * 2)
                     + fields_of("r-moravec", "Hans Moravec", "Moravec", [robotics] * 12)
                     + fields_of("r-kovacs", "Mia Kovacs", "Kovacs", [learning] * 12))
    es = index_all(settings)
    assert top(es, settings, "Janson Robotics") == ["r-janson-ro", "r-janson-lg", "r-moravec"], (
        "the topic orders the namesakes; a roboticist of another name comes after them")
    assert top(es, settings, "Janson Machine Learning")[:2] == ["r-janson-lg", "r-janson-ro"], (
        "a prolific researcher of the topic with another name does not pass either Janson")
    assert top(es, settings, "Janson")[:2] == ["r-janson-lg", "r-janson-ro"], "the name alone: more works first"


def test_topic_queries_and_filters(indexed, settings):
    es, _ = indexed
    assert top(es, settings, "stratified turbulence")[0] == "r-kops"
    assert set(top(es, settings, "Balazs", filters={"topic": "math.AG"})) == {"r-peter"}
    assert top(es, settings, "Balazs", filters={"has_affiliation": True}) == ["r-csaba"]
    assert top(es, settings, "Balazs", filters={"verified": VerificationLevel.L1}) == []
    assert top(es, settings, "Balazs", filters={"active_since": 2014}) == ["r-csaba"]


def test_pages_do_not_overlap_and_highlights_show_why(indexed, settings):
    es, _ = indexed
    first = search_researchers(es, settings, ResearcherQuery("Balazs", size=2, page=1))
    second = search_researchers(es, settings, ResearcherQuery("Balazs", size=2, page=2))
    assert len(first.hits) == 2 and not {h.researcher_id for h in first.hits} & {h.researcher_id for h in second.hits}
    assert first.total == 3
    hit = search_researchers(es, settings, ResearcherQuery("stratified turbulence")).hits[0]
    assert any("<em>" in fragment for fragments in hit.highlights.values() for fragment in fragments)


def test_a_hostile_title_and_affiliation_come_back_escaped_in_the_highlights(indexed, settings):
    es, _ = indexed
    hostile = revisions("r-hostile", "Mallory Quux", "Quux", "cs.IR", ['<script>alert("x")</script> Quokka ranking'],
                        affiliation='<img src=x onerror=alert(1)> Quokka Institute')
    produce_profiles(settings, hostile)
    index_all(settings)
    (hit,) = search_researchers(es, settings, ResearcherQuery("quokka")).hits
    fragments = [fragment for fragments in hit.highlights.values() for fragment in fragments]
    assert any("<em>Quokka</em>" in fragment for fragment in fragments)
    assert any("&lt;script&gt;" in fragment for fragment in fragments), fragments
    assert any("&lt;img src=x onerror=alert(1)&gt;" in fragment for fragment in fragments), fragments
    assert not any("<script" in fragment or "<img" in fragment for fragment in fragments), fragments


def test_semantic_and_hybrid_search_use_the_researchers_centroid(indexed, settings):
    es, _ = indexed
    embed = lambda _text: unit("physics.flu-dyn").vector().tolist()  # noqa: E731 - stub  (the query "means" fluid dynamics)
    semantic = search_researchers(es, settings, ResearcherQuery("flows", mode="semantic"), embed=embed)
    assert {h.researcher_id for h in semantic.hits[:2]} == {"r-kops", "r-waals"}
    hybrid = search_researchers(es, settings, ResearcherQuery("Kops", mode="hybrid"), embed=embed)
    assert hybrid.hits[0].researcher_id == "r-kops" and hybrid.hits[0].matched_by == ["text", "semantic"]


def test_redelivering_every_profile_event_twice_leaves_the_index_identical(indexed, settings):
    es, people = indexed
    alias = settings.index("researchers")
    def snapshot():
        hits = es.search(index=alias, query={"match_all": {}}, size=100, version=True, source_exclude_vectors=False)
        return {h["_id"]: (h["_version"], h["_source"]) for h in hits["hits"]["hits"]}
    before = snapshot()
    everything = [p for emitted in corpus().values() for p in emitted]
    produce_profiles(settings, everything + everything)
    index_all(settings)
    assert snapshot() == before
    assert before["r-csaba"][0] == people["csaba"].revision, "external version = profile revision"


def test_merged_researchers_become_redirects_and_leave_search(indexed, settings):
    es, people = indexed
    produce_profiles(settings, [retire(people["c-namesake"], "r-csaba")])
    index_all(settings)
    assert "r-cbalazs" not in top(es, settings, "Balazs")
    client = TestClient(create_api(settings))
    response = client.get("/researchers/r-cbalazs", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/researchers/r-csaba"
    assert client.get("/researchers/r-cbalazs").json()["researcher_id"] == "r-csaba"
    moved = client.get("/researchers/r-cbalazs/works", params={"size": 5}, follow_redirects=False)
    assert moved.status_code == 307 and moved.headers["location"] == "/researchers/r-csaba/works?page=1&size=5"


def test_the_api_pages_every_work_newest_first(indexed, settings):
    _, people = indexed
    client = TestClient(create_api(settings))
    expected = sorted((r.work for r in WORK_RECORDS["r-csaba"]), key=lambda w: (w.year or 0, w.arxiv_id), reverse=True)
    pages = [client.get("/researchers/r-csaba/works", params={"page": n, "size": 5}).json() for n in (1, 2, 3, 4)]
    assert [p["total"] for p in pages] == [12] * 4
    assert [len(p["works"]) for p in pages] == [5, 5, 2, 0]
    assert [w["arxiv_id"] for p in pages for w in p["works"]] == [w.arxiv_id for w in expected]
    assert pages[0]["works"][0]["title"] == expected[0].title
    for params in ({"page": 0}, {"size": 0}, {"size": 101}, {"page": "x"}):
        assert client.get("/researchers/r-csaba/works", params=params).status_code == 422
    assert client.get("/researchers/r-nobody/works").status_code == 404


def test_the_api_serves_search_profiles_and_the_graph(indexed, settings):
    es, people = indexed
    claimed = apply_signal(people["kops"], ClaimSignal(signal_id="s1", researcher_id="r-kops", actor="u-1", at=NOW))
    verified = apply_signal(claimed, VerifySignal(signal_id="s2", researcher_id="r-kops", actor="u-1", at=NOW,
                                                  level=VerificationLevel.L3,
                                                  evidence=OrcidEvidence(orcid="0000-0002-1825-0097")))
    produce_profiles(settings, [with_trust(verified, trust_snapshot(verified, {}, NOW))])
    index_all(settings)
    client = TestClient(create_api(settings))
    body = client.get("/researchers/search", params={"q": "de Bruyn Kops, S M"}).json()
    assert body["hits"][0]["researcher_id"] == "r-kops" and body["hits"][0]["verification_level"] == "L3"
    assert client.get("/researchers/search", params={"q": "Kops", "verified": "L3", "claimed": True}).json()["hits"]
    profile = client.get("/researchers/r-kops").json()
    assert profile["claimed"] is True and profile["verification_level"] == "L3" and profile["works_count"] == 3
    assert {c["name"] for c in profile["trust"]["components"]} >= {"identity", "publication_evidence"}
    graph = client.get("/researchers/r-kops/graph").json()
    kinds = {node["kind"] for node in graph["nodes"]}
    assert kinds == {"researcher", "topic", "paper"}
    assert any(e["kind"] == "similar_topics" and e["target"] == "r-waals" for e in graph["edges"])
    assert client.get("/researchers/r-nobody").status_code == 404
    assert client.get("/metrics").status_code == 200 and "scholarstream_http_requests" in client.get("/metrics").text
    schema = OpenAPI.model_validate(client.get("/openapi.json").json())  # the OpenAPI 3.1 document model
    assert schema.paths.keys() >= {"/researchers/search", "/researchers/{researcher_id}"}


@pytest.mark.parametrize(
    "params",
    [{"q": ""}, {"q": "x" * 10_000}, {"q": "a", "page": -1}, {"q": "a", "page": 0}, {"q": "a", "size": 1000},
     {"q": "a", "verified": "L9"}, {"q": "a", "mode": "magic"}, {"q": "a", "page": 900, "size": 50},
     {"q": "a", "active_since": 3}, {}],
)
@pytest.mark.usefixtures("indexed")
def test_hostile_parameters_get_4xx_never_500(settings, params):
    client = TestClient(create_api(settings))
    assert 400 <= client.get("/researchers/search", params=params).status_code < 500


@pytest.mark.parametrize("query", ['name:(wang OR "x" AND) ~*[{', "Balazs\x00\x1f", "<script>", "a*", "b?"])
@pytest.mark.usefixtures("indexed")
def test_query_syntax_characters_are_just_text(settings, query):
    client = TestClient(create_api(settings))
    assert client.get("/researchers/search", params={"q": query}).status_code == 200
    assert client.get("/researchers/" + "bad id").status_code in (404, 422)


@pytest.mark.parametrize("query", ["\\", "/.*/", "*", "?", '"\\*('])
def test_a_query_with_no_letters_or_digits_is_refused_with_a_reason(settings, query):
    """It used to match nobody by its words and everybody by the prior: 1,000 arbitrary researchers."""
    answer = TestClient(create_api(settings)).get("/researchers/search", params={"q": query})
    assert answer.status_code == 400 and "no letters or digits" in answer.json()["detail"]


@pytest.mark.parametrize(("query", "expected", "suggested"), [
    ("Markv", "r-markov", "Ilya Markov"),          # a letter dropped
    ("Balasz, Csaba", "r-csaba", "Csaba Balázs"),  # two letters swapped
    ("de Rijck", "r-ir", "Maarten de Rijke"),      # one letter changed, one added
])
def test_a_misspelled_name_still_finds_the_person_with_a_did_you_mean(indexed, settings, query, expected, suggested):
    """Issue 19: one or two edits in a name found nobody. When nothing matches as written, the
    names within one or two edits of each word are searched, and the best is offered back."""
    es, _ = indexed
    results = search_researchers(es, settings, ResearcherQuery(query))
    assert results.hits and results.hits[0].researcher_id == expected
    assert results.did_you_mean == suggested and results.hits[0].matched_by == ["fuzzy"]


def test_a_misspelling_that_is_a_word_of_a_title_still_finds_the_person_after_the_exact_matches(indexed, settings):
    """Issue 19: a misspelled surname that happens to be a word of someone's titles found only that
    someone. The near names now follow the matches as written, on the first page."""
    es, _ = indexed
    results = search_researchers(es, settings, ResearcherQuery("Wakes"))
    first, *near = results.hits
    assert (first.researcher_id, first.matched_by) == ("r-kops", ["text"])
    # Both within two edits of "wakes": Wakely (two) and Waals (two).
    assert {(h.researcher_id, tuple(h.matched_by)) for h in near} == {("r-wakely", ("fuzzy",)), ("r-waals", ("fuzzy",))}
    assert results.did_you_mean == near[0].display_name and results.total == 3


def test_an_exact_match_comes_first_and_offers_no_correction(indexed, settings):
    es, _ = indexed
    exact = search_researchers(es, settings, ResearcherQuery("Markov"))
    assert exact.hits[0].researcher_id == "r-markov" and exact.did_you_mean is None
    assert all(h.matched_by == ["text"] for h in exact.hits)
    nothing = search_researchers(es, settings, ResearcherQuery("Qwxyzt"))
    assert (nothing.total, nothing.hits, nothing.did_you_mean) == (0, [], None)
    with TestClient(create_api(settings)) as client:
        answered = client.get("/researchers/search", params={"q": "Markv"})
        assert answered.status_code == 200 and answered.json()["did_you_mean"] == "Ilya Markov"
        page = client.get("/", params={"q": "Markv"}, headers={"Accept": "text/html"})
        assert page.status_code == 200 and "Did you mean" in page.text and "Ilya Markov" in page.text
