"""The search page's form and result cards: the URL's parameters read leniently (a person typed
them; a bad one becomes a message on the page, not a 422), and each hit worded for a card. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from math import ceil
from urllib.parse import urlencode

from indexers.researcher_search import MAX_RESULT_WINDOW, ResearcherFilters, ResearcherHit, ResearcherResults
from schemas.profiles import VerificationLevel
from scholarstream.web import wording

PAGE_SIZE = 10
FIELDS = ("q", "topic", "verified", "claimed", "has_affiliation", "active_since")
YES_NO = {"": None, "yes": True, "no": False}


@dataclass(frozen=True)
class SearchForm:
    """What the form shows (the values as typed) and what the search runs with."""

    values: dict[str, str]
    filters: ResearcherFilters
    page: int
    problems: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.values["q"].strip()


def read_form(params: Mapping[str, str]) -> SearchForm:
    values = {name: str(params.get(name, ""))[:300] for name in FIELDS}
    problems: list[str] = []
    verified = None
    if values["verified"]:
        try:
            verified = VerificationLevel(values["verified"])
        except ValueError:
            problems.append("Verification level must be one of L0, L1, L2, L3.")
    flags: dict[str, bool | None] = {}
    for name, label in (("claimed", "Claimed"), ("has_affiliation", "Has affiliation")):
        if values[name] not in YES_NO:
            problems.append(f"{label} must be yes, no or any.")
        flags[name] = YES_NO.get(values[name])
    active_since = None
    if values["active_since"].strip():
        text = values["active_since"].strip()
        if text.isdigit() and 1900 <= int(text) <= 2200:
            active_since = int(text)
        else:
            problems.append("Active since must be a year between 1900 and 2200.")
    page_text = str(params.get("page", "1"))
    page = int(page_text) if page_text.isdigit() and 1 <= int(page_text) <= MAX_RESULT_WINDOW // PAGE_SIZE else 1
    topic = values["topic"].strip() or None
    filters = ResearcherFilters(topic, verified, flags["claimed"], flags["has_affiliation"], active_since)
    return SearchForm(values, filters, page, problems)


@dataclass(frozen=True)
class Card:
    href: str
    name: str
    affiliation: str
    topics: list[str]
    works: str
    trust: str
    verification: str
    claim_status: str
    claimed: bool


@dataclass(frozen=True)
class ResultsView:
    summary: str
    cards: list[Card]
    page: int
    pages: int
    previous: str | None
    next: str | None
    did_you_mean: str | None = None  # the name the fuzzy fallback found, when nothing matched as typed
    did_you_mean_href: str | None = None


def card(hit: ResearcherHit) -> Card:
    return Card(
        href=f"/researchers/{hit.researcher_id}",
        name=hit.display_name,
        affiliation=wording.current_affiliation(hit.affiliations) or "Affiliation not imported",
        topics=[topic["name"] for topic in hit.topics[:3]],
        works=wording.count(hit.works_count, "work"),
        trust=wording.trust_quick_read(hit.trust_score, hit.trust_label),
        verification=wording.verification(hit.verification_level),
        claim_status=wording.claim_status(hit.claimed),
        claimed=hit.claimed,
    )


def results_view(form: SearchForm, results: ResearcherResults) -> ResultsView:
    pages = max(1, min(ceil(results.total / results.size), MAX_RESULT_WINDOW // results.size))
    capped = "+" if results.total >= MAX_RESULT_WINDOW else ""
    noun = "researcher" if results.total == 1 else "researchers"
    summary = f"{results.total:,}{capped} {noun} for \u201c{results.query}\u201d"
    if pages > 1:
        summary += f", page {results.page} of {pages}"

    def href(page: int) -> str:
        return page_url(form.values, page)

    return ResultsView(
        summary=summary,
        cards=[card(hit) for hit in results.hits],
        page=results.page,
        pages=pages,
        previous=href(results.page - 1) if results.page > 1 else None,
        next=href(results.page + 1) if results.page < pages else None,
        did_you_mean=results.did_you_mean,
        did_you_mean_href=page_url({**form.values, "q": results.did_you_mean}) if results.did_you_mean else None,
    )


def page_url(values: Mapping[str, str], page: int = 1) -> str:
    """The search's shareable URL: only the fields that are set, and the page past the first."""
    query = {name: value for name, value in values.items() if value}
    if page > 1:
        query["page"] = str(page)
    return "/?" + urlencode(query) if query else "/"
