"""How the pages word a profile's values, shared by the search cards and the profile page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def trust_quick_read(score: int | None, label: str | None) -> str:
    """'Trust 11 - Unverified', as the product's reference page shows it."""
    return f"Trust {score or 0} - {label or 'Unscored'}"


def verification(level: str | None) -> str:
    return f"Verification {level or 'L0'}"


def claim_status(claimed: bool) -> str:
    return "Claimed" if claimed else "Unclaimed author"


def count(number: int, singular: str, plural: str | None = None) -> str:
    """'1 work', '2 works'; '1 close collaborator'."""
    return f"{number:,} {singular if number == 1 else (plural or singular + 's')}"


def current_affiliation(affiliations: Sequence[dict[str, Any]] | Sequence[str]) -> str | None:
    """The affiliation seen last (a profile's list of records) or the first of a search hit's names."""
    if not affiliations:
        return None
    first = affiliations[0]
    if isinstance(first, str):
        return first
    records = [a for a in affiliations if isinstance(a, dict)]
    newest = max(records, key=lambda a: (a.get("self_reported", False), a.get("last_seen") or 0))
    return str(newest["name"])


def humanised(name: str) -> str:
    """'collaboration_network' -> 'Collaboration network'."""
    return name.replace("_", " ").capitalize()
