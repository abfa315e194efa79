"""Collaborators' current trust scores, as the profile agent sees them.

The profile agent publishes every profile's score into a faust GlobalTable (`trust-scores`,
researcher id -> score), which every worker holds whole; a retired id holds a redirect to its
survivor instead of a score, so a collaborator list that still names the retired id reads the
survivor's score. This module is the pure part: the table's value encoding and the lookup that
follows redirects. The agent passes the lookup into the stage functions, which hand the scores of
the profile's close collaborators to `trust_snapshot`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

ScoreLookup = Callable[[str], "float | None"]

_REDIRECT = b">"
MAX_REDIRECTS = 16  # redirects point to smaller ids, so chains end; this only bounds a damaged table


def no_scores(researcher_id: str) -> float | None:  # noqa: ARG001 - the lookup's signature
    """The lookup where nothing is known: every collaborator counts as 0 (as trust-v1 says)."""
    return None


def encode_score(score: int) -> bytes:
    return str(score).encode()


def encode_redirect(surviving_id: str) -> bytes:
    return _REDIRECT + surviving_id.encode()


def lookup_from(get: Callable[[bytes], bytes | None]) -> ScoreLookup:
    """A lookup over the table's raw `get`, following merge redirects to the survivor's score."""

    def lookup(researcher_id: str) -> float | None:
        key = researcher_id
        for _ in range(MAX_REDIRECTS):
            value = get(key.encode())
            if value is None:
                return None
            if not value.startswith(_REDIRECT):
                return float(value.decode())
            key = value[len(_REDIRECT):].decode()
        return None

    return lookup


def scores_for(researcher_ids: Iterable[str], lookup: ScoreLookup) -> dict[str, float]:
    """The known scores of these researchers; the unknown ones are left out (trust-v1 counts them as 0)."""
    found = {}
    for researcher_id in researcher_ids:
        score = lookup(researcher_id)
        if score is not None:
            found[researcher_id] = score
    return found
