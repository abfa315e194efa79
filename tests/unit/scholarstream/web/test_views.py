"""The pages' wording, from a stored public profile and a search hit: every element of the
product's reference profile page, worded as it words them."""

from __future__ import annotations

from indexers.researcher_search import ResearcherFilters, ResearcherHit, ResearcherResults
from schemas.profiles import VerificationLevel
from scholarstream.web.profile_view import profile_view
from scholarstream.web.search_view import card, page_url, read_form, results_view

PROFILE = {
    "researcher_id": "r-jy", "display_name": "Jinng Yi", "affiliations": [], "works_count": 1, "followers_count": 0,
    "claimed": False, "verification_level": "L1", "open_to_collaborate": False,
    "top_topics": [{"code": "cs.IR", "name": "Information retrieval", "weight": 1.0, "works": 1},
                   {"code": "cs.MM", "name": "Multimedia", "weight": 0.5, "works": 1},
                   {"code": "cs.LG", "name": "Machine learning", "weight": 0.2, "works": 1}],
    "close_collaborators": [{"researcher_id": "r-2", "display_name": "A <b>Coauthor</b>", "shared_works": 1}],
    "trust": {"score": 11, "label": "Unverified", "formula_version": "trust-v1", "anomalies": [],
              "components": [{"name": "publication_evidence", "weight": 25, "value": 0.04, "points": 1.0,
                              "evidence": ["1 work on arXiv"]}]},
}
WORKS = {"researcher_id": "r-jy", "total": 45, "page": 2, "size": 20, "works": [
    {"arxiv_id": "2201.00001", "title": "Debiased Cross-modal Matching", "year": 2022},
    {"arxiv_id": "2101.00002", "title": "Older", "year": None},
]}


def test_the_profile_reads_as_the_reference_page() -> None:
    view = profile_view(PROFILE, WORKS, {"2201.00001": "We match music to micro-videos."})
    assert view.name == "Jinng Yi"
    assert view.affiliation == "Affiliation not imported"
    assert view.trust == "Trust 11 - Unverified"
    assert view.verification == "Verification L1"
    assert view.claim_status == "Unclaimed author"
    assert view.counts == ["1 work", "0 followers", "3 topics", "1 close collaborator"]
    assert view.trust_parts[0].name == "Publication evidence" and view.trust_parts[0].evidence == ["1 work on arXiv"]
    assert view.collaborators[0].href == "/researchers/r-2"
    assert view.topics[0].href == "/?q=Information+retrieval&topic=cs.IR"


def test_works_are_paged_with_links_both_ways_and_link_to_arxiv() -> None:
    works = profile_view(PROFILE, WORKS, {"2201.00001": "An abstract."}).works
    assert works.heading == "45 published item(s)" and (works.page, works.pages) == (2, 3)
    assert works.newer == "/researchers/r-jy?works_page=1#works" and works.older == "/researchers/r-jy?works_page=3#works"
    first, second = works.items
    assert (first.kind, first.year, first.href, first.abstract) == ("Preprint", 2022, "https://arxiv.org/abs/2201.00001", "An abstract.")
    assert second.abstract is None


def test_an_affiliation_shows_the_newest_and_a_missing_trust_snapshot_reads_unscored() -> None:
    profile = {**PROFILE, "trust": None, "claimed": True, "affiliations": [
        {"name": "Old Lab", "first_seen": 2001, "last_seen": 2005}, {"name": "New Lab", "first_seen": 2010, "last_seen": 2020}]}
    view = profile_view(profile, {**WORKS, "total": 0, "page": 1, "works": []}, {})
    assert (view.affiliation, view.trust, view.claim_status) == ("New Lab", "Trust 0 - Unscored", "Claimed")
    assert (view.works.newer, view.works.older, view.works.pages) == (None, None, 1)


def test_the_search_form_reads_what_a_person_typed_and_says_what_does_not_fit() -> None:
    form = read_form({"q": " ada ", "topic": "cs.IR", "verified": "L2", "claimed": "yes", "has_affiliation": "no",
                      "active_since": "2015", "page": "3"})
    assert form.text == "ada" and form.page == 3 and not form.problems
    assert form.filters == ResearcherFilters("cs.IR", VerificationLevel.L2, True, False, 2015)
    bad = read_form({"q": "x", "verified": "L9", "claimed": "maybe", "active_since": "20", "page": "-1"})
    assert len(bad.problems) == 3 and bad.page == 1


def test_a_card_and_the_pages_of_results() -> None:
    hit = ResearcherHit("r-1", "Ada Lovelace", 1.0, 3, 42, "Established", "L2", True, False, 0, 2020, ["Analytical Engines"],
                        [{"code": "cs.LG", "name": "Machine learning"}], ["text"], {})
    shown = card(hit)
    assert (shown.trust, shown.verification) == ("Trust 42 - Established", "Verification L2")
    assert (shown.claim_status, shown.works) == ("Claimed", "3 works")
    form = read_form({"q": "lovelace", "claimed": "yes"})
    results = results_view(form, ResearcherResults("lovelace", "text", 2, 10, 25, [hit], 1.0))
    assert results.summary == "25 researchers for \u201clovelace\u201d, page 2 of 3"
    assert results.previous == "/?q=lovelace&claimed=yes" and results.next == "/?q=lovelace&claimed=yes&page=3"
    assert page_url({"q": "", "topic": ""}) == "/"
