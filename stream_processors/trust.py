"""The trust score, formula `trust-v1`: a pure function of a profile and its collaborators' scores.

Six components, each a value in [0, 1] times a weight (the weights sum to 100), each carrying
the evidence it was computed from, so a person can check every point. The verification level is
a separate axis shown beside the score; it enters the score only through the identity
component. Anomaly flags are reported beside the score and do not lower it, except that bursts
are already capped inside publication evidence. docs/trust.md is the human description of this
module; change both together, and bump FORMULA_VERSION when any number here changes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from datetime import datetime

from schemas.profiles import (
    AnomalyFlag,
    ComponentChange,
    ResearcherProfile,
    TrustChange,
    TrustComponent,
    TrustSnapshot,
)
from stream_processors.profiles import totals_of
from stream_processors.topic_model.taxonomy import archive_of

FORMULA_VERSION = "trust-v1"

WEIGHTS: dict[str, float] = {
    "publication_evidence": 25,
    "activity_span": 15,
    "collaboration_network": 20,
    "identity": 20,
    "profile_completeness": 8,
    "community": 12,
}

# Lower bound of each label, highest first.
LABELS: tuple[tuple[int, str], ...] = (
    (80, "Highly trusted"),
    (60, "Trusted"),
    (40, "Established"),
    (20, "Emerging"),
    (0, "Unverified"),
)

WORKS_SCALE = 25  # works at which publication evidence reaches 1 - 1/e
MONTHLY_CAP = 6  # works per calendar month that count as evidence
SPAN_FULL_YEARS = 12
ACTIVE_YEARS_FULL = 8
COLLABORATORS_SCALE = 15
FOLLOWERS_FULL = 250
BURST_MIN_WORKS = 8
BURST_FACTOR = 4
SPREAD_MIN_GROUPS = 4
SPREAD_MIN_WORKS_PER_GROUP = 2

_LEVEL_VALUE = {"L0": 0.0, "L1": 1 / 3, "L2": 2 / 3, "L3": 1.0}
_PHYSICS = {
    "astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nlin",
    "nucl-ex", "nucl-th", "physics", "quant-ph",
}


def label_for(score: int) -> str:
    return next(label for floor, label in LABELS if score >= floor)


def _component(name: str, value: float, evidence: list[str]) -> TrustComponent:
    value = min(1.0, max(0.0, value))
    weight = WEIGHTS[name]
    return TrustComponent(
        name=name, weight=weight, value=round(value, 4), points=round(weight * value, 2), evidence=tuple(evidence)
    )


def publication_evidence(profile: ResearcherProfile) -> TrustComponent:
    """How much published work stands behind the name: works on arXiv, with diminishing returns.

    1 - exp(-works / 25): the first papers say the most (3 works ~0.11, 25 ~0.63, 80 ~0.96).
    At most MONTHLY_CAP works per calendar month count, so a burst of uploads (or a wrong link
    that pours someone else's papers in at once) cannot buy points.
    """
    totals = totals_of(profile)
    counted = totals.undated + sum(min(n, MONTHLY_CAP) for n in totals.months.values())
    evidence = [f"{profile.works_count} works on arXiv"]
    if counted < profile.works_count:
        evidence.append(f"{counted} counted: at most {MONTHLY_CAP} per calendar month")
    return _component("publication_evidence", 1 - math.exp(-counted / WORKS_SCALE), evidence)


def activity_span(profile: ResearcherProfile) -> TrustComponent:
    """How long and how steadily the researcher has published: 70% span, 30% distinct active years.

    A long record is hard to fabricate and makes mis-linking visible; span saturates at 12
    years, active years at 8, so a steady career scores higher than two papers far apart.
    """
    if profile.first_active_year is None or profile.last_active_year is None:
        return _component("activity_span", 0.0, ["no dated works"])
    span = profile.last_active_year - profile.first_active_year
    active = len(totals_of(profile).years)
    value = 0.7 * min(1.0, span / SPAN_FULL_YEARS) + 0.3 * min(1.0, active / ACTIVE_YEARS_FULL)
    return _component(
        "activity_span",
        value,
        [
            f"active {profile.first_active_year}-{profile.last_active_year} ({span} year{'' if span == 1 else 's'})",
            f"{active} year{'' if active == 1 else 's'} with works",
        ],
    )


def collaboration_network(profile: ResearcherProfile, collaborator_trust: Mapping[str, float]) -> TrustComponent:
    """Who vouches by writing with them: half breadth, half the trust of the close collaborators.

    Breadth is 1 - exp(-collaborators / 15). The trusted half is the collaborators' scores
    (0-100) averaged with their shared works as weights; a collaborator without a known score
    counts as 0, so an unscored network earns only breadth. Scores feed back into each other
    through this half only (at most 10 of 100 points), which keeps repeated recomputation
    converging instead of inflating.
    """
    collaborators = profile.close_collaborators
    if not collaborators:
        return _component("collaboration_network", 0.0, ["no close collaborators (large collaborations excluded)"])
    breadth = 1 - math.exp(-len(collaborators) / COLLABORATORS_SCALE)
    total_shared = sum(c.shared_works for c in collaborators)
    scored = [c for c in collaborators if c.researcher_id in collaborator_trust]
    weighted = sum(c.shared_works * min(100.0, max(0.0, collaborator_trust[c.researcher_id])) for c in scored)
    trusted = weighted / total_shared / 100
    evidence = [
        f"{len(collaborators)} close collaborators",
        f"collaborators' trust {trusted * 100:.0f}/100 weighted by shared works ({len(scored)} of {len(collaborators)} scored)",
    ]
    return _component("collaboration_network", 0.5 * breadth + 0.5 * trusted, evidence)


def identity(profile: ResearcherProfile) -> TrustComponent:
    """Whether a verified person stands behind the profile: 80% verification level, 20% claimed.

    L0 0, L1 1/3, L2 2/3, L3 1. This is the only place the verification level enters the score.
    """
    level = profile.verification_level.value
    value = 0.8 * _LEVEL_VALUE[level] + 0.2 * profile.claimed
    evidence = [f"verification {level}", "claimed" if profile.claimed else "unclaimed"]
    methods = sorted({v.evidence.method for v in profile.verifications})
    if methods:
        evidence.append("verified by " + ", ".join(methods))
    if profile.orcid:
        evidence.append(f"ORCID iD {profile.orcid}")
    return _component("identity", value, evidence)


def profile_completeness(profile: ResearcherProfile) -> TrustComponent:
    """How much a reader can check: five facts, 0.2 each.

    A full given name (not initials only), a known affiliation, at least three topics, an ORCID
    iD on record, and an affiliation the claimant confirmed themselves.
    """
    first = profile.display_name.split()[0] if profile.display_name.split() else ""
    checks = {
        "a full given name": len(first.rstrip(".")) > 1 and len(profile.display_name.split()) > 1,
        "a known affiliation": bool(profile.affiliations),
        "three or more topics": len(profile.top_topics) >= 3,
        "an ORCID iD on record": profile.orcid is not None,
        "an affiliation confirmed by the researcher": any(a.self_reported for a in profile.affiliations),
    }
    evidence = [("has " if ok else "lacks ") + name for name, ok in checks.items()]
    return _component("profile_completeness", sum(checks.values()) / len(checks), evidence)


def community(profile: ResearcherProfile) -> TrustComponent:
    """Whether readers care to follow: log(1 + followers) / log(1 + 250), capped at 1.

    Logarithmic so the first followers matter and a follower campaign does not (10 ~0.43,
    50 ~0.71, 250 = 1).
    """
    followers = profile.followers_count
    value = math.log1p(followers) / math.log1p(FOLLOWERS_FULL)
    return _component("community", value, [f"{followers} followers"])


def anomalies(profile: ResearcherProfile) -> tuple[AnomalyFlag, ...]:
    """Patterns a person should look at: bursts of works, works spread over unrelated fields."""
    flags: list[AnomalyFlag] = []
    totals = totals_of(profile)
    months = {(int(key[:4]), int(key[5:])): n for key, n in totals.months.items()}
    for month, count in sorted(months.items()):
        others = [n for m, n in months.items() if m != month]
        baseline = sum(others) / len(others) if others else 0.0
        if count >= BURST_MIN_WORKS and count >= BURST_FACTOR * baseline:
            flags.append(
                AnomalyFlag(
                    code="burst",
                    detail=f"{count} works first submitted in {month[0]}-{month[1]:02d} (other active months average {baseline:.1f})",
                )
            )
    groups: Counter[str] = Counter()
    for archive, n in totals.archives.items():
        groups[_field_group(archive)] += n
    broad = {group: n for group, n in groups.items() if n >= SPREAD_MIN_WORKS_PER_GROUP}
    if len(broad) >= SPREAD_MIN_GROUPS:
        listed = ", ".join(f"{group} {n}" for group, n in sorted(broad.items()))
        flags.append(AnomalyFlag(code="category_spread", detail=f"works in {len(broad)} unrelated fields: {listed}"))
    return tuple(flags)


def _field_group(category: str) -> str:
    archive = archive_of(category)
    return "physics" if archive in _PHYSICS else archive


def trust_snapshot(profile: ResearcherProfile, collaborator_trust: Mapping[str, float], now: datetime) -> TrustSnapshot:
    components = (
        publication_evidence(profile),
        activity_span(profile),
        collaboration_network(profile, collaborator_trust),
        identity(profile),
        profile_completeness(profile),
        community(profile),
    )
    total = sum(c.weight * c.value for c in components)
    score = min(100, max(0, math.floor(total + 0.5)))
    return TrustSnapshot(
        researcher_id=profile.researcher_id,
        formula_version=FORMULA_VERSION,
        score=score,
        label=label_for(score),
        verification_level=profile.verification_level,
        components=components,
        anomalies=anomalies(profile),
        computed_at=now,
        profile_revision=profile.revision,
    )


def trust_change(old: TrustSnapshot | None, new: TrustSnapshot, now: datetime) -> TrustChange | None:
    """The audit event for a score movement, naming each component that moved and why; None if the score held."""
    if old is not None and old.score == new.score:
        return None
    if old is not None and old.researcher_id != new.researcher_id:
        raise ValueError(f"snapshots of two researchers: {old.researcher_id} and {new.researcher_id}")
    before = {c.name: c for c in old.components} if old else {}
    changes = []
    for component in new.components:
        previous = before.get(component.name)
        if previous is not None and previous.points == component.points and previous.value == component.value:
            continue
        gone = [e for e in (previous.evidence if previous else ()) if e not in component.evidence]
        came = [e for e in component.evidence if previous is None or e not in previous.evidence]
        why = f"{'; '.join(gone) or 'nothing'} -> {'; '.join(came) or 'same evidence'}"
        changes.append(
            ComponentChange(
                name=component.name,
                old_points=previous.points if previous else 0.0,
                new_points=component.points,
                old_value=previous.value if previous else 0.0,
                new_value=component.value,
                why=why,
            )
        )
    return TrustChange(
        researcher_id=new.researcher_id,
        old_score=old.score if old else None,
        new_score=new.score,
        old_label=old.label if old else None,
        new_label=new.label,
        old_formula_version=old.formula_version if old else None,
        formula_version=new.formula_version,
        old_verification_level=old.verification_level if old else None,
        new_verification_level=new.verification_level,
        changes=tuple(changes),
        profile_revision=new.profile_revision,
        at=now,
    )
