"""Researcher profiles as pure transitions: state + event -> new state, never mutating either.

The profile agent folds three event streams into one profile per researcher id: linked works
(`apply_work`), product signals (`apply_signal`, `disown_works` for the split-off works) and
merges (`apply_merge` on the survivor, `retire` on the retired id, `restore` when a survivor
refused the content). Every field a person could dispute (top topics, collaborators,
active years, works count) is read from running totals over the works (`WorkTotals`): integer
sums that a work adds to and takes back exactly, so a work costs the same however many the
profile holds, and a merge or a replay gives the same profile whatever the order in which the
works arrived (names, the last printed, follow the order).

Idempotence of signals: state-setting signals (claim, unclaim, verify, affiliation_update,
open_to_collaborate) are idempotent by construction: applying one twice leaves the state as
once, and the profile is returned unchanged. Counting signals (follow, unfollow) are not, so the
profile remembers the ids of the last `SEEN_SIGNALS_KEPT` signals it applied; a redelivery after a
crash re-sends only records since the last committed offset, which is far inside that window. A
signal whose id is remembered returns the very same profile object, revision untouched.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from foundation.errors import ScholarStreamError
from schemas.papers import Embedding
from schemas.profiles import (
    CLOSE_COLLABORATION_MAX_AUTHORS,
    MAX_VERIFICATIONS,
    PROFILE_SCHEMA_VERSION,
    RECENT_WORKS,
    SEEN_SIGNALS_KEPT,
    Affiliation,
    AffiliationUpdateSignal,
    ClaimSignal,
    Coauthor,
    Collaborator,
    DisownedWork,
    DisownWorkSignal,
    FollowSignal,
    MergeRequestSignal,
    NameVariant,
    OpenToCollaborateSignal,
    ResearcherProfile,
    ResearcherSignal,
    SplitEvent,
    TrustSnapshot,
    UnclaimSignal,
    UnfollowSignal,
    Verification,
    VerificationLevel,
    VerifySignal,
    WeightedTopic,
    Work,
    WorkTotals,
    newest_first,
)
from stream_processors.topic_model.taxonomy import archive_of, category_name

TOP_TOPICS = 5
CLOSE_COLLABORATORS = 20
# A work's listed arXiv categories count for this share beside its enrichment topics, so a
# profile shows at least three topics whenever its works span three codes.
CATEGORY_SHARE = 0.25
# Coauthor counts a profile keeps in its totals: the top CLOSE_COLLABORATORS are read from them,
# so a prolific researcher with thousands of coauthors keeps the most frequent, not all of them.
COLLABORATOR_COUNTS_KEPT = 1_000

_NEW_STYLE = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}$")
_OLD_STYLE = re.compile(r"/(\d{2})(\d{2})\d{3}$")
_INITIAL_FIRST = re.compile(r"^[A-Z]\.?(?:[\s-]|$)")


class ProfileUpdateRejected(ScholarStreamError):
    """An event cannot be applied to this profile; `reason` is for the dead letter.

    `redirect_to` is set when the profile was merged: the caller re-keys the event to that id.
    """

    def __init__(self, reason: str, redirect_to: str | None = None) -> None:
        self.reason = reason
        self.redirect_to = redirect_to
        super().__init__(reason)


class SignalRejected(ProfileUpdateRejected):
    """A product signal that does not apply (wrong actor, unclaimed profile, conflicting ORCID ...)."""


class MergeRejected(ProfileUpdateRejected):
    """Two profiles that must not become one (two claimants, two different ORCID iDs ...)."""


# --- construction ------------------------------------------------------------------------------


def new_profile(researcher_id: str, name: str, surname: str = "") -> ResearcherProfile:
    """The empty profile linking creates for a new researcher, before its first work is applied."""
    return ResearcherProfile(
        researcher_id=researcher_id, display_name=name,
        name_variants=(NameVariant(name=name, works=0, surname=surname),),
    )


def work_month(work: Work) -> tuple[int, int] | None:
    """(year, month) of first submission, read from the arXiv id: 1006.5314 -> (2010, 6)."""
    return _month_of(work.arxiv_id)


@lru_cache(maxsize=1 << 18)
def _month_of(arxiv_id: str) -> tuple[int, int] | None:
    # Cached: every rebuild of a profile reads every work's month (profiles.py, trust.py).
    match = _NEW_STYLE.match(arxiv_id) or _OLD_STYLE.search(arxiv_id)
    if not match:
        return None
    yy, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        return None
    century = 1900 if "/" in arxiv_id and yy >= 91 else 2000
    return century + yy, month


def work_year(work: Work) -> int | None:
    month = work_month(work)
    return work.year or (month[0] if month else None)


# --- running totals ----------------------------------------------------------------------------


def totals_of(profile: ResearcherProfile) -> WorkTotals:
    """The profile's running sums; a v1/v2 record (no totals) gets them by summing its works."""
    if profile.totals is not None:
        return profile.totals
    draft = TotalsDraft(WorkTotals())
    for work in profile.works:
        draft.add(work)
    return draft.finish()


def _topic_micros(work: Work) -> dict[str, int]:
    """The work's share of each topic and category code, in millionths (integers add exactly)."""
    shares: defaultdict[str, float] = defaultdict(float)
    for topic in work.topics:
        shares[topic.code] += topic.score
    for code in work.categories:
        shares[code] += CATEGORY_SHARE / len(work.categories)
    return {code: round(share * 1_000_000) for code, share in shares.items()}


def _bump(counts: dict[Any, int], key: Any, by: int) -> None:
    value = counts.get(key, 0) + by
    if value > 0:
        counts[key] = value
    else:
        counts.pop(key, None)


class TotalsDraft:
    """Works added to or removed from a profile's totals; `finish` gives the new `WorkTotals`.

    Removing a work takes back exactly what adding it gave, so a work replaced by its new version
    is `remove(old)` then `add(new)`."""

    def __init__(self, totals: WorkTotals, collaborators_kept: int = COLLABORATOR_COUNTS_KEPT) -> None:
        self.collaborators_kept = collaborators_kept  # the bound; evaluation.collaborator_bound tries others
        self.topic_micros = dict(totals.topic_micros)
        self.topic_works = dict(totals.topic_works)
        self.topic_names = dict(totals.topic_names)
        self.collaborators = dict(totals.collaborators)
        self.collaborator_names = dict(totals.collaborator_names)
        self.months = dict(totals.months)
        self.undated = totals.undated
        self.works = totals.works
        self.years = dict(totals.years)
        self.archives = dict(totals.archives)

    def add(self, work: Work) -> None:
        for topic in work.topics:
            if topic.name != category_name(topic.code):  # the taxonomy's own name is not stored again
                self.topic_names.setdefault(topic.code, topic.name)
        for coauthor in work.coauthors:
            self.collaborator_names[coauthor.researcher_id] = coauthor.display_name
        self._count(work, 1)

    def remove(self, work: Work) -> None:
        self._count(work, -1)
        self.topic_names = {code: name for code, name in self.topic_names.items() if code in self.topic_works}
        for coauthor in work.coauthors:
            if coauthor.researcher_id not in self.collaborators:
                self.collaborator_names.pop(coauthor.researcher_id, None)

    def _count(self, work: Work, sign: int) -> None:
        self.works = max(0, self.works + sign)
        for code, micros in _topic_micros(work).items():
            _bump(self.topic_micros, code, sign * micros)
            _bump(self.topic_works, code, sign)
        for coauthor in work.coauthors:
            _bump(self.collaborators, coauthor.researcher_id, sign)
        month = work_month(work)
        if month is None:
            self.undated = max(0, self.undated + sign)
        else:
            _bump(self.months, f"{month[0]}-{month[1]:02d}", sign)
        year = work_year(work)
        if year is not None:
            _bump(self.years, year, sign)
        _bump(self.archives, archive_of(work.categories[0]), sign)

    def finish(self) -> WorkTotals:
        collaborators = self.collaborators
        if len(collaborators) > self.collaborators_kept:
            kept = sorted(collaborators, key=lambda rid: (-collaborators[rid], rid))[:self.collaborators_kept]
            collaborators = {rid: collaborators[rid] for rid in sorted(kept)}
        return WorkTotals(
            topic_micros=self.topic_micros,
            topic_works=self.topic_works,
            topic_names=self.topic_names,
            collaborators=collaborators,
            collaborator_names={rid: self.collaborator_names[rid] for rid in collaborators},
            months=self.months,
            works=self.works,
            undated=self.undated,
            years=self.years,
            archives=self.archives,
        )


# --- works -------------------------------------------------------------------------------------


WorkLookup = Callable[[str], "Work | None"]


def no_works(_arxiv_id: str) -> Work | None:
    """The lookup of a researcher who holds no works yet (and of the pure unit tests' new profiles)."""
    return None


def _recent(recent: Sequence[Work], added: Iterable[Work], removed: Iterable[str] = ()) -> tuple[Work, ...]:
    """The newest works after `added` came and `removed` left, without their coauthors and topics
    (the profile counts both in its totals; researcher.profile.works keeps each work whole, and
    the profile page lists works from there). A work removed from a full list is not replaced by
    the next older one until a newer work comes."""
    gone = set(removed)
    by_id = {w.arxiv_id: w for w in recent if w.arxiv_id not in gone}
    by_id.update({w.arxiv_id: w.model_copy(update={"coauthors": (), "topics": ()}) if w.coauthors or w.topics else w
                  for w in added})
    return tuple(newest_first(by_id.values())[:RECENT_WORKS])


def apply_work(
    profile: ResearcherProfile,
    work: Work,
    coauthors: Sequence[Coauthor],
    *,
    printed_name: str,
    surname: str = "",
    affiliations: Sequence[str] = (),
    embedding: Embedding | None = None,
    stored: WorkLookup = no_works,
) -> ResearcherProfile:
    """Add (or refresh) one linked work: its coauthors, the name as printed, its affiliations,
    and its embedding into the researcher's centroid (a new version of a known work is not
    counted again: the centroid describes the researcher's topics, not the exact text).

    `stored` looks up the works the researcher already holds (researcher.profile.works). Coauthors
    of works with more than CLOSE_COLLABORATION_MAX_AUTHORS authors are not kept: a large
    collaboration's author list says nothing about who works closely with whom. Applying the same
    work again (a replay) returns the profile unchanged; a new version of a known work replaces it
    without counting its name twice. One work at a time; `WorksDraft` folds several into one
    rebuild and says which works to write.
    """
    draft = WorksDraft(profile, stored)
    draft.add(work, coauthors, printed_name=printed_name, surname=surname, affiliations=affiliations, embedding=embedding)
    return draft.finish()


class WorksDraft:
    """Works folded into a profile but not yet rebuilt, so a batch's works for one researcher
    cost one rebuild (derived fields, validation, revision) instead of one each.

    `add` is `apply_work` without the rebuild: it raises what `apply_work` raises before it
    changes anything, so a refused work leaves the draft as it was. `written` holds the works to
    store and publish (researcher.profile.works). `finish` gives the rebuilt profile, or the very
    profile the draft started from when no work changed it. The profile `finish` gives equals
    what `apply_work` one work at a time gives, except for `revision`, which rises by one per
    rebuild (a unit test compares them).
    """

    def __init__(self, profile: ResearcherProfile, stored: WorkLookup = no_works) -> None:
        self.base = profile
        self._stored = stored
        self.written: dict[str, Work] = {}
        self._variants = profile.name_variants
        self._affiliations = profile.affiliations
        self._embedding, self._embedding_works = profile.embedding, profile.embedding_works
        self._disowned = {d.arxiv_id: d for d in profile.disowned_works}
        self._totals: TotalsDraft | None = None  # made on the first work that changes anything

    @property
    def changed(self) -> bool:
        return bool(self.written) or self._affiliations != self.base.affiliations

    def known(self, arxiv_id: str) -> Work | None:
        """The researcher's copy of a work: written by this draft, or stored before it."""
        return self.written.get(arxiv_id) or self._stored(arxiv_id)

    def add(
        self,
        work: Work,
        coauthors: Sequence[Coauthor],
        *,
        printed_name: str,
        surname: str = "",
        affiliations: Sequence[str] = (),
        embedding: Embedding | None = None,
        moved: bool = False,
    ) -> None:
        """`moved`: a merge's work from the retired id, whose name and embedding came with the
        merge: added only when the researcher does not hold it, counting neither again."""
        profile = self.base
        if profile.merged_into:
            raise ProfileUpdateRejected(f"profile {profile.researcher_id} was merged", redirect_to=profile.merged_into)
        disowned = self._disowned.get(work.arxiv_id)
        if disowned is not None:
            raise ProfileUpdateRejected(
                f"{work.arxiv_id} was disowned by the claimant of {profile.researcher_id}", redirect_to=disowned.moved_to
            )
        kept: tuple[Coauthor, ...] = ()
        if work.author_count <= CLOSE_COLLABORATION_MAX_AUTHORS:
            unique = {c.researcher_id: c for c in coauthors if c.researcher_id != profile.researcher_id}
            kept = tuple(sorted(unique.values(), key=lambda c: c.researcher_id))
        work = work.model_copy(update={"coauthors": kept})
        known = self.known(work.arxiv_id)
        if moved and known is not None:
            return  # the survivor's own copy stays
        new_affiliations = self._affiliations
        if not moved:
            new_affiliations = _with_affiliations(self._affiliations, affiliations, work_year(work), self_reported=False)
        if known == work:
            self._affiliations = new_affiliations
            return
        variants, centroid = self._variants, (self._embedding, self._embedding_works)
        if known is None and not moved:
            variants = _count_name(variants, printed_name, surname)
            if embedding is not None:
                centroid = _fold_centroid(*centroid, embedding, 1)
        # Everything is computed: only now is the draft changed.
        if self._totals is None:
            self._totals = TotalsDraft(totals_of(profile))
        if known is not None:
            self._totals.remove(known)
        self._totals.add(work)
        self.written[work.arxiv_id] = work
        self._variants, self._affiliations = variants, new_affiliations
        self._embedding, self._embedding_works = centroid

    def finish(self) -> ResearcherProfile:
        if not self.changed:
            return self.base
        return _rebuild(
            self.base,
            recent_works=_recent(self.base.recent_works, self.written.values()),
            name_variants=self._variants,
            affiliations=self._affiliations,
            embedding=self._embedding,
            embedding_works=self._embedding_works,
            totals=self._totals.finish() if self._totals is not None else totals_of(self.base),
        )


def _fold_centroid(
    current: Embedding | None, count: int, other: Embedding, other_count: int
) -> tuple[Embedding, int]:
    """The weighted mean of two centroids and its count; a centroid of another model is replaced, not mixed.

    Computed in float64 and kept in float16 (profile v4): rounding once per revision leaves the
    mean of 20,000 simulated works at cosine 0.9999 to the exact one, and halves what every
    revision of the profile carries (docs/performance.md 7j). A work's vector comes in int8 and
    is kept as a first centroid in float16 like any other."""
    if current is None or count == 0 or current.model != other.model or current.dim != other.dim:
        return other.as_dtype("f2"), other_count
    total = count + other_count
    mean = (current.vector().astype(np.float64) * count + other.vector().astype(np.float64) * other_count) / total
    return Embedding.from_vector(other.model, mean, "f2"), total


def _count_name(variants: tuple[NameVariant, ...], name: str, surname: str = "") -> tuple[NameVariant, ...]:
    counts = {v.name: v.works for v in variants}
    surnames = {v.name: v.surname for v in variants}
    counts[name] = counts.get(name, 0) + 1
    surnames[name] = surnames.get(name) or surname
    return tuple(NameVariant(name=n, works=c, surname=surnames[n]) for n, c in sorted(counts.items()))


def _with_affiliations(
    current: tuple[Affiliation, ...], names: Iterable[str], year: int | None, *, self_reported: bool
) -> tuple[Affiliation, ...]:
    if year is None:
        return current
    by_name = {a.name: a for a in current}
    for raw in names:
        name = " ".join(raw.split())
        if not name:
            continue
        seen = by_name.get(name)
        if seen is None:
            by_name[name] = Affiliation(name=name, first_seen=year, last_seen=year, self_reported=self_reported)
        else:
            by_name[name] = seen.model_copy(
                update={
                    "first_seen": min(seen.first_seen, year),
                    "last_seen": max(seen.last_seen, year),
                    "self_reported": seen.self_reported or self_reported,
                }
            )
    return tuple(by_name[name] for name in sorted(by_name))


def _rebuild(profile: ResearcherProfile, **changes: object) -> ResearcherProfile:
    """A copy with `changes`, derived fields read from the totals, revision bumped, validated.

    The copy is built from the profile's fields as they are, not from a dump: nested models are
    kept as the validated instances they are (pydantic does not validate an instance again). A
    v1/v2 profile comes out as v3: its works leave it (the worker's upgrade is a rebuild from the
    link stage, which writes them to researcher.profile.works)."""
    data = {name: getattr(profile, name) for name in ResearcherProfile.model_fields}
    data.update({key: value for key, value in changes.items()})
    variants: tuple[NameVariant, ...] = tuple(changes.get("name_variants", profile.name_variants))  # type: ignore[arg-type]
    totals = changes.get("totals")
    if not isinstance(totals, WorkTotals):
        totals = totals_of(profile)
    merged_from: tuple[str, ...] = tuple(changes.get("merged_from", profile.merged_from))  # type: ignore[arg-type]
    data.update(
        schema_version=PROFILE_SCHEMA_VERSION,
        works=(),
        works_count=totals.works,
        totals=totals,
        display_name=_display_name(variants, profile.display_name),
        top_topics=_top_topics(totals),
        close_collaborators=rank_close_collaborators(totals, exclude={profile.researcher_id, *merged_from}),
        first_active_year=min(totals.years) if totals.years else None,
        last_active_year=max(totals.years) if totals.years else None,
        revision=profile.revision + 1,
    )
    return ResearcherProfile.model_validate(data)


def _display_name(variants: Sequence[NameVariant], fallback: str) -> str:
    """The fullest form among the most printed: 'Csaba Balázs' over 'C. Balázs' when both occur."""
    counted = [v for v in variants if v.works > 0]
    if not counted:
        return fallback
    return max(counted, key=lambda v: (not _INITIAL_FIRST.match(v.name), v.works, len(v.name), v.name)).name


def _top_topics(totals: WorkTotals) -> tuple[WeightedTopic, ...]:
    micros = totals.topic_micros
    ranked = sorted(micros, key=lambda code: (-micros[code], code))[:TOP_TOPICS]
    return tuple(
        WeightedTopic(
            code=code,
            name=totals.topic_names.get(code) or category_name(code),
            weight=round(micros[code] / 1_000_000, 4),
            works=totals.topic_works[code],
        )
        for code in ranked
    )


def rank_close_collaborators(totals: WorkTotals, exclude: set[str]) -> tuple[Collaborator, ...]:
    """The most shared works first, then by id. Every revision ranks up to COLLABORATOR_COUNTS_KEPT
    of them, so the top few are picked without sorting the rest (0.1 ms for 1,000, not 0.4)."""
    ranked = heapq.nsmallest(CLOSE_COLLABORATORS,
                             ((-n, rid) for rid, n in totals.collaborators.items() if rid not in exclude))
    return tuple(
        Collaborator(researcher_id=rid, display_name=totals.collaborator_names[rid], shared_works=-negated)
        for negated, rid in ranked
    )


# --- signals -----------------------------------------------------------------------------------


def apply_signal(profile: ResearcherProfile, signal: ResearcherSignal, stored: WorkLookup = no_works) -> ResearcherProfile:
    """Apply one product signal; the same profile object back when it was already applied.

    `stored` looks up the researcher's works (a disown takes them out: `newly_disowned` says
    which). Raises SignalRejected (with `redirect_to` for a merged profile) when the signal does not
    apply; the caller redirects it or dead-letters it with the reason.
    """
    if signal.researcher_id != profile.researcher_id:
        raise SignalRejected(f"signal for {signal.researcher_id} offered to profile {profile.researcher_id}")
    if profile.merged_into:
        raise SignalRejected(f"profile {profile.researcher_id} was merged", redirect_to=profile.merged_into)
    if signal.signal_id in profile.seen_signal_ids:
        return profile
    if isinstance(signal, DisownWorkSignal):
        changes = _disown_work(profile, signal, stored)
    else:
        changes = _SIGNAL_HANDLERS[signal.kind](profile, signal)
    if not changes:
        return profile
    seen = (*profile.seen_signal_ids, signal.signal_id)[-SEEN_SIGNALS_KEPT:]
    return _rebuild(profile, seen_signal_ids=seen, **changes)


# The rules below hold whoever wrote the signal: its signature (checked by the signals agent) proves
# only which principal vouches for the actor. Accounts act on what they claimed; operators (the
# CLI) match public records (L1) and take a claim back; nobody passes a check by how an actor is
# spelled.


def _require_claimant(profile: ResearcherProfile, signal: ResearcherSignal, what: str) -> None:
    if not profile.claimed:
        raise SignalRejected(f"{what} needs a claimed profile; {profile.researcher_id} is unclaimed")
    if signal.principal != "account" or signal.actor != profile.claimed_by:
        raise SignalRejected(f"{what} by {signal.principal} {signal.actor}, but the profile is claimed by another account")


def _require_account(signal: ResearcherSignal, what: str) -> None:
    if signal.principal != "account":
        raise SignalRejected(f"{what} is a person's own action: an operator cannot {what}")


def _claim(profile: ResearcherProfile, signal: ClaimSignal) -> dict[str, object]:
    _require_account(signal, "claim")
    if profile.claimed:
        if profile.claimed_by == signal.actor:
            return {}
        raise SignalRejected(f"profile {profile.researcher_id} is already claimed by another account")
    return {"claimed": True, "claimed_by": signal.actor}


def _unclaim(profile: ResearcherProfile, signal: UnclaimSignal) -> dict[str, object]:
    """Withdraws what the claimant brought: L2/L3 verifications, their ORCID, the open flag."""
    if not profile.claimed:
        return {}
    if signal.principal != "operator":  # an operator takes a claim back (a dispute); an account only its own
        _require_claimant(profile, signal, "unclaim")
    kept = tuple(v for v in profile.verifications if v.level.rank < VerificationLevel.L2.rank)
    return {
        "claimed": False,
        "claimed_by": None,
        "verifications": kept,
        "verification_level": _level(kept),
        "orcid": None,  # only an L3 ORCID sign-in sets it, and those went with the claim
        "open_to_collaborate": False,
    }


def _verify(profile: ResearcherProfile, signal: VerifySignal) -> dict[str, object]:
    """L1 (a match to public records) comes from an operator and never sets the profile's ORCID iD:
    only the claimant's own proof (an ORCID sign-in, a confirmed e-mail, checked by the write path)
    verifies at L2 or L3, and only an L3 ORCID sign-in sets the iD. Verifications are kept, never
    truncated: a profile refuses more than MAX_VERIFICATIONS instead of dropping old ones."""
    if signal.level.rank >= VerificationLevel.L2.rank:
        _require_claimant(profile, signal, f"verification at {signal.level.value}")
    elif signal.principal != "operator":
        raise SignalRejected(f"verification at {signal.level.value} is an operator's match to public records")
    orcid = profile.orcid
    if signal.evidence.method == "orcid" and signal.level == VerificationLevel.L3:
        if orcid and orcid != signal.evidence.orcid:
            raise SignalRejected(f"profile already carries ORCID iD {orcid}; {signal.evidence.orcid} conflicts")
        orcid = signal.evidence.orcid
    if any(v.level == signal.level and v.evidence == signal.evidence for v in profile.verifications):
        return {}
    if len(profile.verifications) >= MAX_VERIFICATIONS:
        raise SignalRejected(f"profile {profile.researcher_id} holds {MAX_VERIFICATIONS} verifications, the most it keeps")
    record = Verification(
        level=signal.level, evidence=signal.evidence, actor=signal.actor, at=signal.at, signal_id=signal.signal_id
    )
    verifications = (*profile.verifications, record)
    return {"verifications": verifications, "verification_level": _level(verifications), "orcid": orcid}


def _level(verifications: Iterable[Verification]) -> VerificationLevel:
    return max((v.level for v in verifications), key=lambda level: level.rank, default=VerificationLevel.L0)


def _follow(profile: ResearcherProfile, signal: FollowSignal) -> dict[str, object]:
    """Followers are a set of accounts: following twice counts once."""
    _require_account(signal, "follow")
    if signal.actor in profile.followers:
        return {}
    followers = tuple(sorted((*profile.followers, signal.actor)))
    return {"followers": followers, "followers_count": profile.followers_count + 1}


def _unfollow(profile: ResearcherProfile, signal: UnfollowSignal) -> dict[str, object]:
    """Only an account that follows can unfollow: a forged unfollow takes nothing away."""
    _require_account(signal, "unfollow")
    if signal.actor not in profile.followers:
        return {}
    followers = tuple(f for f in profile.followers if f != signal.actor)
    return {"followers": followers, "followers_count": profile.followers_count - 1}


def _affiliation_update(profile: ResearcherProfile, signal: AffiliationUpdateSignal) -> dict[str, object]:
    _require_claimant(profile, signal, "affiliation update")
    updated = _with_affiliations(profile.affiliations, signal.affiliations, signal.at.year, self_reported=True)
    return {} if updated == profile.affiliations else {"affiliations": updated}


def _open_to_collaborate(profile: ResearcherProfile, signal: OpenToCollaborateSignal) -> dict[str, object]:
    _require_claimant(profile, signal, "open-to-collaborate")
    return {} if profile.open_to_collaborate == signal.open else {"open_to_collaborate": signal.open}


def _merge_request(profile: ResearcherProfile, signal: MergeRequestSignal) -> dict[str, object]:
    """Only checks who asks: the claimant, or an operator approving a reviewed merge. The merge
    itself travels as a MergeEvent (linking_stage.apply_product_signal), and the other profile is
    checked where it lives (merge_stage)."""
    if signal.principal != "operator":
        _require_claimant(profile, signal, "merge request")
    return {}


def split_researcher_id(researcher_id: str, arxiv_id: str) -> str:
    """The researcher a disowned author line is split off to: stable, so a replay finds the same one."""
    return "r-" + hashlib.sha1(f"{researcher_id}/disowned/{arxiv_id}".encode()).hexdigest()[:16]


def _disown_work(profile: ResearcherProfile, signal: DisownWorkSignal, stored: WorkLookup) -> dict[str, object]:
    """Take the works out and remember them, so a replayed or re-versioned assignment is redirected.

    Only works the profile holds: disowning an arXiv id it does not hold would bar that paper from
    it (and, before a merge request, from any profile it absorbs), so such a signal is refused.
    """
    _require_claimant(profile, signal, "disown")
    known = {d.arxiv_id: d for d in profile.disowned_works}
    foreign = sorted(a for a in signal.arxiv_ids if a not in known and stored(a) is None)
    if foreign:
        raise SignalRejected(f"disown of works {profile.researcher_id} does not hold: {', '.join(foreign[:5])}")
    for arxiv_id in signal.arxiv_ids:
        known.setdefault(
            arxiv_id,
            DisownedWork(arxiv_id=arxiv_id, moved_to=split_researcher_id(profile.researcher_id, arxiv_id),
                         signal_id=signal.signal_id),
        )
    return _moved_out(profile, known, stored)


class SplitRejected(ProfileUpdateRejected):
    """A relink may not take works from this profile (its claimant or ORCID iD vouches for them)."""


def split_works(profile: ResearcherProfile, event: SplitEvent, stored: WorkLookup) -> ResearcherProfile:
    """The profile without the works a relink split off (`event.arxiv_ids`), each remembered as
    moved to `event.split_to`, so a replayed or re-versioned assignment is sent on there. Works
    not here yet are remembered too: their assignments are on their way.

    Refused for a claimed profile or one with an ORCID iD, as a linking merge is: its claimant
    decides which works are theirs (`disown_work`).
    """
    if profile.claimed or profile.orcid:
        raise SplitRejected(f"a relink does not split {profile.researcher_id}: it is claimed or carries an ORCID iD "
                            "(its claimant can disown works)")
    known = {d.arxiv_id: d for d in profile.disowned_works}
    for arxiv_id in event.arxiv_ids:
        known.setdefault(arxiv_id, DisownedWork(arxiv_id=arxiv_id, moved_to=event.split_to, signal_id=f"relink:{event.relink_id}"))
    changes = _moved_out(profile, known, stored)
    return _rebuild(profile, **changes) if changes else profile


def _moved_out(profile: ResearcherProfile, known: dict[str, DisownedWork], stored: WorkLookup) -> dict[str, object]:
    """The changes that take the works of `known` out of the profile, to where each moved ({}: none new)."""
    if len(known) == len(profile.disowned_works):
        return {}
    after = profile.model_copy(update={"disowned_works": tuple(known[key] for key in sorted(known))})
    removed = newly_disowned(profile, after, stored)
    totals = TotalsDraft(totals_of(profile))
    for work in removed:
        totals.remove(work)
    return {
        "disowned_works": after.disowned_works,
        "totals": totals.finish(),
        "recent_works": _recent(profile.recent_works, (), known),
    }


def newly_disowned(before: ResearcherProfile, after: ResearcherProfile, stored: WorkLookup) -> tuple[Work, ...]:
    """The works `before` held that `after` disowns (a disown, or a merge with a disowning profile):
    they leave the profile, on to their split-off researchers."""
    was = {d.arxiv_id for d in before.disowned_works}
    found = (stored(d.arxiv_id) for d in after.disowned_works if d.arxiv_id not in was)
    return tuple(work for work in found if work is not None)


# Keyed by the signal's `kind`, which fixes its class: each handler takes the one class of its kind.
_SIGNAL_HANDLERS: dict[str, Callable[[ResearcherProfile, Any], dict[str, object]]] = {
    "claim": _claim,
    "unclaim": _unclaim,
    "verify": _verify,
    "follow": _follow,
    "unfollow": _unfollow,
    "affiliation_update": _affiliation_update,
    "open_to_collaborate": _open_to_collaborate,
    "merge_request": _merge_request,
}


# --- merges and trust --------------------------------------------------------------------------


def apply_merge(surviving: ResearcherProfile, merged: ResearcherProfile, stored: WorkLookup = no_works) -> ResearcherProfile:
    """The survivor holding both researchers' names, affiliations, centroid, followers and claims.

    The merged profile's works are not in it: they follow as moved works (`WorksDraft.add` with
    `moved`) once the survivor accepted, and only those it does not hold add to its totals. The
    survivor's own works that the merged side had disowned leave it (`newly_disowned`, with
    `stored` the survivor's works).

    Refused when the two cannot be one person as far as the product knows: two different
    claimants or two different ORCID iDs. Followers are added (someone following both is
    counted twice: the product does not send follower ids). The trust snapshot is left as it
    was; the caller recomputes it (it needs the collaborators' scores and the clock).
    """
    if surviving.researcher_id == merged.researcher_id:
        raise MergeRejected("a profile cannot be merged with itself")
    if surviving.merged_into:
        raise MergeRejected(f"survivor {surviving.researcher_id} was itself merged", redirect_to=surviving.merged_into)
    if merged.merged_into not in (None, surviving.researcher_id):
        raise MergeRejected(f"{merged.researcher_id} was already merged into {merged.merged_into}")
    if surviving.claimed and merged.claimed and surviving.claimed_by != merged.claimed_by:
        raise MergeRejected("both profiles are claimed, by different accounts")
    if surviving.orcid and merged.orcid and surviving.orcid != merged.orcid:
        raise MergeRejected(f"different ORCID iDs: {surviving.orcid} and {merged.orcid}")

    disowned = {d.arxiv_id: d for d in merged.disowned_works}
    disowned.update({d.arxiv_id: d for d in surviving.disowned_works})
    # Merging a split-off researcher back into the profile it was split from takes the works back.
    disowned = {k: d for k, d in disowned.items() if d.moved_to not in (surviving.researcher_id, merged.researcher_id)}
    after = surviving.model_copy(update={"disowned_works": tuple(disowned[key] for key in sorted(disowned))})
    totals = TotalsDraft(totals_of(surviving))
    for work in newly_disowned(surviving, after, stored):
        totals.remove(work)
    names = Counter({v.name: v.works for v in surviving.name_variants})
    names.update({v.name: v.works for v in merged.name_variants})
    surnames = {v.name: v.surname for v in (*merged.name_variants, *surviving.name_variants) if v.surname}
    affiliations = {a.name: a for a in merged.affiliations}
    for a in surviving.affiliations:
        other = affiliations.get(a.name)
        affiliations[a.name] = a if other is None else a.model_copy(
            update={
                "first_seen": min(a.first_seen, other.first_seen),
                "last_seen": max(a.last_seen, other.last_seen),
                "self_reported": a.self_reported or other.self_reported,
            }
        )
    verifications = {v.signal_id: v for v in (*merged.verifications, *surviving.verifications)}
    ordered = tuple(sorted(verifications.values(), key=lambda v: (v.at, v.signal_id)))
    followers = tuple(sorted({*surviving.followers, *merged.followers}))  # distinct accounts
    claimant = surviving if surviving.claimed else merged if merged.claimed else None
    seen = tuple(dict.fromkeys((*merged.seen_signal_ids, *surviving.seen_signal_ids)))[-SEEN_SIGNALS_KEPT:]
    embedding, embedding_works = surviving.embedding, surviving.embedding_works
    if merged.embedding is not None:
        embedding, embedding_works = _fold_centroid(embedding, embedding_works, merged.embedding, merged.embedding_works)
    return _rebuild(
        surviving,
        recent_works=_recent(surviving.recent_works, (), disowned),
        name_variants=tuple(NameVariant(name=n, works=c, surname=surnames.get(n, "")) for n, c in sorted(names.items())),
        affiliations=tuple(affiliations[key] for key in sorted(affiliations)),
        followers=followers,
        followers_count=len(followers) + _unnamed_follows(surviving) + _unnamed_follows(merged),
        claimed=claimant is not None,
        claimed_by=claimant.claimed_by if claimant else None,
        orcid=surviving.orcid or merged.orcid,
        verifications=ordered,
        verification_level=_level(ordered),
        open_to_collaborate=claimant.open_to_collaborate if claimant else False,
        seen_signal_ids=seen,
        merged_from=tuple(sorted({*surviving.merged_from, *merged.merged_from, merged.researcher_id})),
        disowned_works=tuple(disowned[key] for key in sorted(disowned)),
        embedding=embedding,
        embedding_works=embedding_works,
        totals=totals.finish(),
    )


def _unnamed_follows(profile: ResearcherProfile) -> int:
    """The follows of schema-1 signals, which named no account: counted, not in `followers`."""
    return profile.followers_count - len(profile.followers)


def retire(profile: ResearcherProfile, surviving_id: str) -> ResearcherProfile:
    """The retired id's last state: a redirect to the survivor; works, claim and followers moved there."""
    if profile.merged_into == surviving_id:
        return profile
    return _rebuild(
        profile,
        recent_works=(),
        totals=WorkTotals(),
        embedding=None,
        embedding_works=0,
        merged_into=surviving_id,
        followers=(),
        followers_count=0,
        claimed=False,
        claimed_by=None,
        orcid=None,
        verifications=(),
        verification_level=VerificationLevel.L0,
        open_to_collaborate=False,
        merged_from=(),
        disowned_works=(),
    )


def restore(current: ResearcherProfile, content: ResearcherProfile) -> ResearcherProfile:
    """A retired profile back from a refused merge: its content again, at a revision above the redirect's.

    Works that arrived for the retired id while it was a redirect went on to the survivor and stay there.
    """
    if current.merged_into is None:
        return current
    return content.model_copy(update={"revision": max(current.revision, content.revision) + 1, "merged_into": None})


def with_trust(profile: ResearcherProfile, snapshot: TrustSnapshot) -> ResearcherProfile:
    """The profile carrying a new trust snapshot; unchanged when only the computation time differs."""
    if profile.trust is not None:
        ignore = {"computed_at", "profile_revision"}
        if profile.trust.model_dump(exclude=ignore) == snapshot.model_dump(exclude=ignore):
            return profile
    return profile.model_copy(update={"trust": snapshot, "revision": profile.revision + 1})
