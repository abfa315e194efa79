"""Merges downstream of linking and claims, as pure steps over one profile at a time.

A merge touches two profiles that live on two partitions (keys differ), so it travels in two
hops, each applied where its profile lives:

on_merge: the retired id's profile + a MergeEvent (keyed by retired id) -> the redirect revision
          to publish, and a MergeMove carrying the retired content to the survivor; or the merge
          re-addressed (the retired id was already merged elsewhere), or refused with a reason
on_move:  the survivor's profile + the MergeMove (keyed by survivor id) -> the survivor holding
          both, and the move sent back `accepted`; or the move passed on (the survivor was itself
          merged), or bounced back to the retired id, which `on_move` there restores
on_move, accepted, at the retired id: its works leave for the survivor (`moved_works`), which
          adds those it does not hold (profile v3 keeps works beside the profile, not in it)
on_split: a profile + a relink's SplitEvent (keyed by the profile's id, on `researcher.merges`)
          -> the profile without the split-off works, and those works assigned to the new researcher

Every redirect points to a smaller id (MergeEvent enforces it), so chains end and two merges can
never redirect into each other. Each step is idempotent: a redelivered MergeEvent finds the
redirect already in place, a redelivered move finds its retired id in `merged_from`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.linking_events import WorkAssignment
from schemas.profiles import MergeEvent, MergeMove, ResearcherProfile, SplitEvent, TrustChange, Work
from stream_processors.collaborator_trust import ScoreLookup, no_scores
from stream_processors.linking_stage import rescore, split_off
from stream_processors.profiles import (
    MergeRejected,
    ProfileUpdateRejected,
    WorkLookup,
    apply_merge,
    new_profile,
    newly_disowned,
    no_works,
    restore,
    retire,
    split_works,
)


@dataclass(frozen=True)
class MergeOutcome:
    """What one merge event or move did; at most one of the fields besides `change` is set,
    except `profile` + `move` (a retirement publishes the redirect and sends the content)."""

    profile: ResearcherProfile | None = None
    change: TrustChange | None = None
    move: MergeMove | None = None
    forward: MergeEvent | None = None
    rejected: str | None = None
    assignments: tuple[WorkAssignment, ...] = ()  # works one side had disowned, to their split-off researchers
    removed: tuple[Work, ...] = ()  # those works, which leave the survivor
    ack: MergeMove | None = None  # the accepted move, back to the retired id to release its works
    release: ResearcherProfile | None = None  # an accepted move arrived: this redirect's works go to its survivor


def on_merge(current: ResearcherProfile | None, event: MergeEvent) -> MergeOutcome:
    """Retire `event.retired_id` (whose profile is `current`) into the survivor."""
    if current is None:
        if event.reason != "linking":
            return MergeOutcome(rejected=f"unknown researcher {event.retired_id}")
        # Its works are still on their way: a redirect now sends them on when they arrive.
        current = new_profile(event.retired_id, event.retired_name or event.retired_id)
    if current.merged_into == event.surviving_id:
        return MergeOutcome()
    if current.merged_into is not None:
        return MergeOutcome(forward=_readdressed(event, current.merged_into))
    refusal = _refusal(current, event)
    if refusal:
        return MergeOutcome(rejected=refusal)
    move = MergeMove(merge=event, retired=current, target_id=event.surviving_id)
    return MergeOutcome(profile=retire(current, event.surviving_id), move=move)


def _readdressed(event: MergeEvent, merged_into: str) -> MergeEvent | None:
    """The retired id is already a redirect to `merged_into`: merge that one with the survivor."""
    pair = sorted((merged_into, event.surviving_id))
    if pair[0] == pair[1]:
        return None
    requested_by = event.requested_by
    if requested_by == event.retired_id:
        requested_by = merged_into  # the claimant's profile lives on in its survivor
    names = {event.retired_id: event.retired_name, event.surviving_id: event.surviving_name}
    return event.model_copy(update={
        "retired_id": pair[1], "surviving_id": pair[0], "requested_by": requested_by,
        "retired_name": names.get(pair[1]), "surviving_name": names.get(pair[0]),
    })


@dataclass(frozen=True)
class SplitOutcome:
    """What one split did to the profile that loses works: the new revision and the works' way
    to the split-off researcher, the split re-addressed (the profile was merged), or a refusal."""

    profile: ResearcherProfile | None = None
    change: TrustChange | None = None
    assignments: tuple[WorkAssignment, ...] = ()
    removed: tuple[Work, ...] = ()
    forward: SplitEvent | None = None
    rejected: str | None = None


def on_split(
    current: ResearcherProfile | None, event: SplitEvent, now: datetime, scores: ScoreLookup = no_scores,
    stored: WorkLookup = no_works,
) -> SplitOutcome:
    """Take a relink's split-off works out of `event.researcher_id` (whose profile is `current`)
    and send them to `event.split_to`. A profile not made yet remembers the split, so its works are
    sent on as they arrive; a merged one passes the split to its survivor, which holds the works."""
    if current is None:
        current = new_profile(event.researcher_id, event.researcher_name or event.researcher_id)
    if current.merged_into is not None:
        if current.merged_into == event.split_to:
            return SplitOutcome()
        return SplitOutcome(forward=event.model_copy(update={"researcher_id": current.merged_into}))
    try:
        updated = split_works(current, event, stored)
    except ProfileUpdateRejected as error:
        return SplitOutcome(rejected=str(error))
    if updated is current:
        return SplitOutcome()
    removed = newly_disowned(current, updated, stored)
    profile, change = rescore(current, updated, now, scores)
    return SplitOutcome(profile, change, assignments=split_off(current, updated, removed), removed=removed)


REVIEW = "for review"


def needs_review(unclaimed_id: str, event: MergeEvent) -> str:
    """Why an account's merge request was refused, for the operators who review it: a person may
    join only profiles they claimed (else one claim could absorb any unclaimed profile); an
    operator who agrees sends the merge request as an operator (docs/operations.md)."""
    return (f"{REVIEW}: {unclaimed_id} is not claimed by {event.actor}, who asked to merge it with "
            f"{event.requested_by}; an account merges only profiles it claimed")


def _refusal(retired: ResearcherProfile, event: MergeEvent) -> str | None:
    """Why the retired side cannot go; the survivor's side is checked by `apply_merge` in on_move."""
    if event.reason == "linking" and (retired.claimed or retired.orcid):
        return (f"linking does not retire {retired.researcher_id}: it is claimed or carries an ORCID iD "
                f"(its claimant can ask with merge_request)")
    if event.reason == "claim":
        if retired.claimed and retired.claimed_by != event.actor:
            return f"{retired.researcher_id} is claimed by another account than {event.actor}"
        if event.requested_by == retired.researcher_id and not retired.claimed:
            return f"{retired.researcher_id} is no longer claimed by {event.actor}"
        if not retired.claimed:
            return needs_review(retired.researcher_id, event)
        if retired.orcid and event.claimant_orcid and retired.orcid != event.claimant_orcid:
            return f"different ORCID iDs: {retired.orcid} and {event.claimant_orcid}"
    return None


def on_move(
    current: ResearcherProfile | None, move: MergeMove, now: datetime, scores: ScoreLookup = no_scores,
    stored: WorkLookup = no_works,
) -> MergeOutcome:
    """Apply a move where it is addressed: fold the content into the survivor (whose works
    `stored` looks up), restore a bounce, or release the works of an accepted one."""
    if move.accepted:
        if current is None or current.merged_into is None:
            return MergeOutcome()
        return MergeOutcome(release=current)
    if move.bounced is not None:
        if current is None or current.merged_into != move.merge.surviving_id:
            return MergeOutcome()
        return _scored(current, restore(current, move.retired), now, scores)
    event = move.merge
    if current is None:
        if event.reason != "linking":
            return MergeOutcome(move=_bounce(move, f"unknown researcher {move.target_id}"))
        current = new_profile(move.target_id, event.surviving_name or move.retired.display_name)
    if current.merged_into is not None:
        return MergeOutcome(move=move.model_copy(update={"target_id": current.merged_into}))
    if event.retired_id in current.merged_from:
        # Already folded in. The accepted move goes back again: if the first one was lost (its
        # delivery failed and the move was retried from the dead letters), the retired works are
        # still waiting for it; if not, the retired id's store is empty and nothing moves.
        return MergeOutcome(ack=_accepted(move))
    if event.reason == "claim" and event.requested_by == event.surviving_id and current.claimed_by != event.actor:
        return MergeOutcome(move=_bounce(move, f"{current.researcher_id} is no longer claimed by {event.actor}"))
    if event.reason == "claim" and not current.claimed:
        return MergeOutcome(move=_bounce(move, needs_review(current.researcher_id, event)))
    try:
        merged = apply_merge(current, move.retired, stored)
    except MergeRejected as error:
        return MergeOutcome(move=_bounce(move, error.reason))
    # A work of the survivor the retired side had disowned leaves it: on to its split-off researcher.
    # (The retired side's own works come later as moved works, and the disowned ones are refused then.)
    removed = newly_disowned(current, merged, stored)
    outcome = _scored(current, merged, now, scores)
    return MergeOutcome(profile=outcome.profile, change=outcome.change, assignments=split_off(current, merged, removed),
                        removed=removed, ack=_accepted(move))


def _accepted(move: MergeMove) -> MergeMove:
    return move.model_copy(update={"target_id": move.merge.retired_id, "accepted": True})


def _bounce(move: MergeMove, reason: str) -> MergeMove:
    return move.model_copy(update={"target_id": move.merge.retired_id, "bounced": reason[:2_000]})


def _scored(current: ResearcherProfile, updated: ResearcherProfile, now: datetime, scores: ScoreLookup) -> MergeOutcome:
    profile, change = rescore(current, updated, now, scores)
    return MergeOutcome(profile=profile, change=change)
