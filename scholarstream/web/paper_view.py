"""The paper page's content, from the indexed paper and the researchers it is linked to. Pure.

Each printed author is linked to the linked researcher of the same folded name, or else of the
same folded surname when only one linked researcher has it; the linked researchers no printed
name matched are listed after the authors, so no profile of the paper goes unshown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemas.names import fold
from scholarstream.web.profile_view import ARXIV_ABSTRACT, Link


@dataclass(frozen=True)
class PaperView:
    arxiv_id: str
    title: str
    href: str
    authors: list[Link]  # href empty for an author no profile was matched to
    other_researchers: list[Link]
    topics: list[str]
    keyphrases: list[str]
    abstract: str
    facts: list[str]


def _surname(name: str) -> str:
    words = fold(name).split()
    return words[-1] if words else ""


def paper_view(paper: dict[str, Any], researchers: list[dict[str, str]]) -> PaperView:
    by_name = {fold(r["display_name"]): r for r in researchers}
    by_surname: dict[str, list[dict[str, str]]] = {}
    for researcher in researchers:
        by_surname.setdefault(_surname(researcher["display_name"]), []).append(researcher)
    used: set[str] = set()
    authors = []
    for name in paper.get("authors", []):
        match = by_name.get(fold(name))
        if match is None and len(by_surname.get(_surname(name), [])) == 1:
            match = by_surname[_surname(name)][0]
        if match is not None and match["researcher_id"] not in used:
            used.add(match["researcher_id"])
            authors.append(Link(name, f"/researchers/{match['researcher_id']}"))
        else:
            authors.append(Link(name, ""))
    others = [Link(r["display_name"], f"/researchers/{r['researcher_id']}") for r in researchers if r["researcher_id"] not in used]
    facts = [f"Version v{paper.get('version', 1)}"]
    for label, key in (("submitted", "submitted"), ("updated", "updated")):
        if paper.get(key):
            facts.append(f"{label} {str(paper[key])[:10]}")
    if paper.get("categories"):
        facts.append("categories " + ", ".join(paper["categories"]))
    if paper.get("journal_ref"):
        facts.append(str(paper["journal_ref"]))
    return PaperView(
        arxiv_id=paper["arxiv_id"], title=paper["title"], href=ARXIV_ABSTRACT + paper["arxiv_id"],
        authors=authors, other_researchers=others,
        topics=list(dict.fromkeys(topic["name"] for topic in paper.get("topics", []))),  # two codes may share a name
        keyphrases=list(paper.get("keyphrases", [])), abstract=str(paper.get("abstract") or ""), facts=facts,
    )
