"""The profile page's content, from the stored public profile (indexers/documents.py:
`public_profile`) and one page of its works: pure, so unit tests call it with a dict."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any
from urllib.parse import urlencode

from scholarstream.web import wording

ARXIV_ABSTRACT = "https://arxiv.org/abs/"


@dataclass(frozen=True)
class TrustPart:
    name: str
    points: str
    evidence: list[str]


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    note: str = ""


@dataclass(frozen=True)
class WorkItem:
    arxiv_id: str
    title: str
    year: int | None
    kind: str
    href: str
    abstract: str | None


@dataclass(frozen=True)
class WorksView:
    heading: str
    items: list[WorkItem]
    page: int
    pages: int
    newer: str | None  # href of the previous (newer) page
    older: str | None


@dataclass(frozen=True)
class ProfileView:
    researcher_id: str
    name: str
    affiliation: str
    open_to_collaborate: bool
    trust: str
    verification: str
    orcid: str | None  # the iD an L3 ORCID verification set
    claimed: bool
    claim_status: str
    counts: list[str]
    followers: int
    trust_parts: list[TrustPart]
    anomalies: list[str]
    formula: str
    topics: list[Link]
    collaborators: list[Link]
    works: WorksView


def profile_view(profile: dict[str, Any], works: dict[str, Any], abstracts: dict[str, str]) -> ProfileView:
    rid = profile["researcher_id"]
    trust = profile.get("trust") or {}
    topics = profile.get("top_topics") or []
    collaborators = profile.get("close_collaborators") or []
    followers = int(profile.get("followers_count") or 0)
    works_count = int(profile.get("works_count") or works.get("total") or 0)
    return ProfileView(
        researcher_id=rid,
        name=profile["display_name"],
        affiliation=wording.current_affiliation(profile.get("affiliations") or []) or "Affiliation not imported",
        open_to_collaborate=bool(profile.get("open_to_collaborate")),
        trust=wording.trust_quick_read(trust.get("score"), trust.get("label")),
        verification=wording.verification(profile.get("verification_level")),
        orcid=profile.get("orcid"),
        claimed=bool(profile.get("claimed")),
        claim_status=wording.claim_status(bool(profile.get("claimed"))),
        counts=[
            wording.count(works_count, "work"),
            wording.count(followers, "follower"),
            wording.count(len(topics), "topic"),
            wording.count(len(collaborators), "close collaborator"),
        ],
        followers=followers,
        trust_parts=[
            TrustPart(wording.humanised(part["name"]), f"{part['points']:g} of {part['weight']:g} points", list(part.get("evidence", [])))
            for part in trust.get("components", [])
        ],
        anomalies=[flag["detail"] for flag in trust.get("anomalies", [])],
        formula=str(trust.get("formula_version", "")),
        topics=[
            Link(topic["name"], "/?" + urlencode({"q": topic["name"], "topic": topic["code"]}), wording.count(topic["works"], "work"))
            for topic in topics
        ],
        collaborators=[
            Link(c["display_name"], f"/researchers/{c['researcher_id']}", wording.count(c["shared_works"], "shared work"))
            for c in collaborators
        ],
        works=works_view(rid, works, abstracts),
    )


def works_view(researcher_id: str, works: dict[str, Any], abstracts: dict[str, str]) -> WorksView:
    total, page, size = int(works["total"]), int(works["page"]), int(works["size"])
    pages = max(1, ceil(total / size))

    def href(number: int) -> str:
        return f"/researchers/{researcher_id}?works_page={number}#works"

    return WorksView(
        heading=f"{total:,} published item(s)",
        items=[
            WorkItem(
                arxiv_id=work["arxiv_id"], title=work["title"], year=work.get("year"), kind="Preprint",
                href=ARXIV_ABSTRACT + work["arxiv_id"], abstract=abstracts.get(work["arxiv_id"]),
            )
            for work in works["works"]
        ],
        page=page,
        pages=pages,
        newer=href(page - 1) if page > 1 else None,
        older=href(page + 1) if page < pages else None,
    )
