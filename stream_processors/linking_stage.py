"""The linking and profile stages as pure steps; the faust agents in `app.py` only move bytes.

route:    an enriched paper -> one MentionEvent per author line (keyed by blocking key)
link:     a block's state + a mention -> the next state + the Authorship (keyed by paper), and
          with `link_and_merge` the merges the new evidence shows (keyed by retired id)
assemble: a paper's authorships so far + one more -> when all are in, one WorkAssignment per
          author, each with its linked coauthors (keyed by researcher)
profile:  a profile + a work assignment -> the next profile, its trust snapshot, and the audit
          event when the score moved (collaborators' scores come from a lookup the agent passes)
Merges downstream of linking (retire, move, restore) are in `merge_stage.py`.
Every step is idempotent under re-delivery, so the stages are at-least-once with no duplicates
in effect, and deterministic, so a replay rebuilds the same researcher ids and profiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.linking_events import Authorship, MentionEvent, RelinkRequest, WorkAssignment, coauthor_keys_by_line
from schemas.papers import EnrichedPaper
from schemas.profiles import (
    CLOSE_COLLABORATION_MAX_AUTHORS,
    Coauthor,
    DisownWorkSignal,
    MergeEvent,
    MergeRequestSignal,
    ResearcherProfile,
    ResearcherSignal,
    SplitEvent,
    TrustChange,
    Work,
)
from stream_processors.collaborator_trust import ScoreLookup, no_scores, scores_for
from stream_processors.linking.linker import (
    BlockState,
    LinkDecision,
    Mention,
    PaperContext,
    apply_decision,
    link_mention,
)
from stream_processors.linking.merging import (
    DEFAULT_POLICY,
    BlockMerge,
    MergePolicy,
    display_name,
    merge_after_link,
)
from stream_processors.linking.resplit import Line, Resplit, StaleRelink, relink_block
from stream_processors.profiles import (
    SignalRejected,
    WorkLookup,
    WorksDraft,
    apply_signal,
    new_profile,
    newly_disowned,
    no_works,
    with_trust,
)
from stream_processors.trust import trust_change, trust_snapshot


def printed_name(keyname: str, forenames: str, suffix: str = "") -> str:
    return " ".join(part for part in (forenames, keyname, suffix) if part)


def route(item: EnrichedPaper) -> list[MentionEvent]:
    """One mention event per author line, with the coauthor keys its linking takes (`coauthor_keys_of`)."""
    paper = item.paper
    keys = tuple(m.blocking_key for m in item.mentions)
    coauthors = coauthor_keys_by_line(keys)
    return [
        MentionEvent(
            arxiv_id=paper.arxiv_id,
            version=paper.version,
            title=paper.title,
            year=paper.year,
            categories=paper.categories,
            topics=item.topics,
            author_count=len(keys),
            coauthor_keys=coauthors[mention.position],
            printed_name=printed_name(mention.keyname, mention.forenames, mention.suffix),
            embedding=item.embedding.compact(),  # int8 as enriched (v4), float16 from an older record
            mention=mention,
        )
        for mention in item.mentions
    ]


def link(block: BlockState | None, event: MentionEvent) -> tuple[BlockState, Authorship]:
    """Link one mention (no merge step): the next block state and the authorship."""
    _, next_block, authorship = _link(block, event)
    return next_block, authorship


def link_and_merge(
    block: BlockState | None, event: MentionEvent, now: datetime, policy: MergePolicy = DEFAULT_POLICY
) -> tuple[BlockState, Authorship, tuple[MergeEvent, ...]]:
    """Link one mention, then fold the researchers its new evidence shows to be one.

    The merge step runs only after a link to an existing researcher: a researcher the mention
    just created carries only that mention's evidence, which the linker has just found too weak.
    When the linked researcher is itself retired by a merge (the survivor is the smaller id),
    the authorship names the survivor, as a replay of the mention would.
    """
    decision, next_block, authorship = _link(block, event, policy)
    if decision.created or decision.replay:
        return next_block, authorship, ()
    next_block, merges = merge_after_link(next_block, decision.researcher_id, policy)
    if not merges:
        return next_block, authorship, ()
    final = decision.researcher_id
    for merge in merges:
        if merge.retired_id == final:
            final = merge.surviving_id
    if final != authorship.researcher_id:
        authorship = authorship.model_copy(update={"researcher_id": final})
    return next_block, authorship, tuple(merge_event(merge, now) for merge in merges)


def relink(
    block: BlockState | None, request: RelinkRequest, now: datetime, policy: MergePolicy = DEFAULT_POLICY
) -> tuple[BlockState, Resplit, tuple[SplitEvent, ...], tuple[MergeEvent, ...]]:
    """Apply an operator's relink of one researcher (`resplit.relink_block`): the next block, the
    re-clustering, a SplitEvent per part split off (keyed by the researcher that keeps its id) and
    the merges the split-off parts then pass. Raises StaleRelink when the researcher is not in the
    block or holds other mentions than the request carries (the block moved on: run it again)."""
    if block is None:
        raise StaleRelink(f"{request.researcher_id} is not a researcher of block {request.blocking_key!r} (no such block)")
    lines = [Line(*line_of(event)) for event in request.mentions]
    done = relink_block(block, request.researcher_id, lines, policy)
    kept, *split = done.outcome.parts
    sizes = ",".join(str(len(part.paper_ids)) for part in done.outcome.parts)
    splits = tuple(
        SplitEvent(
            researcher_id=kept.summary.researcher_id, split_to=part.summary.researcher_id, arxiv_ids=part.paper_ids,
            relink_id=request.relink_id, requested_by=request.requested_by,
            researcher_name=display_name(kept.summary), split_name=display_name(part.summary),
            evidence={"mean_between": done.outcome.mean_between, "threshold": done.outcome.threshold, "part_sizes": sizes},
            at=now,
        )
        for part in split
    )
    return done.block, done.outcome, splits, tuple(merge_event(merge, now) for merge in done.merges)


def merge_event(merge: BlockMerge, now: datetime) -> MergeEvent:
    return MergeEvent(
        retired_id=merge.retired_id,
        surviving_id=merge.surviving_id,
        reason="linking",
        retired_name=merge.retired_name,
        surviving_name=merge.surviving_name,
        evidence=merge.explain(),
        score=merge.score,
        at=now,
    )


def line_of(event: MentionEvent) -> tuple[Mention, PaperContext]:
    """A mention event as the linker reads it."""
    m = event.mention
    return Mention(m.position, m.keyname, m.forenames, m.affiliations, m.blocking_key), PaperContext(
        paper_id=event.arxiv_id,
        year=event.year,
        categories=event.categories,
        embedding=tuple(float(v) for v in event.embedding.vector()) if event.embedding else None,
        line_coauthors=event.coauthor_keys,
    )


def _link(
    block: BlockState | None, event: MentionEvent, policy: MergePolicy = DEFAULT_POLICY
) -> tuple[LinkDecision, BlockState, Authorship]:
    block = block or BlockState(event.mention.blocking_key)
    m = event.mention
    mention, context = line_of(event)
    decision = link_mention(block, mention, context, policy.threshold, weights=policy.weights, popularity=policy.popularity)
    next_block = apply_decision(block, decision, mention, context)
    explanation = decision.explain()
    authorship = Authorship(
        arxiv_id=event.arxiv_id,
        version=event.version,
        position=m.position,
        author_count=event.author_count,
        researcher_id=decision.researcher_id,
        created=decision.created,
        confidence=decision.confidence,
        evidence={k: explanation[k] for k in ("score", "evidence", "contributions", "candidates")},
        printed_name=event.printed_name,
        surname=m.keyname,
        affiliations=m.affiliations,
        embedding=event.embedding if m.position == 0 else None,
        work=Work(
            arxiv_id=event.arxiv_id,
            title=event.title,
            year=event.year,
            categories=event.categories,
            topics=event.topics,
            author_count=event.author_count,
        ),
    )
    return decision, next_block, authorship


def assemble(
    known: dict[int, Authorship], authorship: Authorship
) -> tuple[dict[int, Authorship], list[WorkAssignment]]:
    """Collect a paper's authorships; once every position is linked, assign the work to each
    author with the others as coauthors. A newer paper version starts the collection again."""
    if known and next(iter(known.values())).version != authorship.version:
        if authorship.version < next(iter(known.values())).version:
            return known, []
        known = {}
    known = {**known, authorship.position: authorship}
    if len(known) < authorship.author_count:
        return known, []
    everyone = [known[p] for p in sorted(known)]
    embedding = next((a.embedding for a in everyone if a.embedding is not None), None)
    # A large collaboration's coauthors are not kept by the profile (profiles.apply_work): not
    # sending them keeps the paper's assignments linear in its authors, not quadratic.
    close = authorship.author_count <= CLOSE_COLLABORATION_MAX_AUTHORS
    assignments = [
        WorkAssignment(
            researcher_id=a.researcher_id,
            work=a.work,
            coauthors=tuple(
                Coauthor(researcher_id=o.researcher_id, display_name=o.printed_name)
                for o in everyone if o.researcher_id != a.researcher_id
            ) if close else (),
            printed_name=a.printed_name,
            surname=a.surname,
            affiliations=a.affiliations,
            embedding=embedding,
        )
        for a in everyone
    ]
    return known, assignments


def profile(
    current: ResearcherProfile | None, assignment: WorkAssignment, now: datetime, scores: ScoreLookup = no_scores,
    stored: WorkLookup = no_works,
) -> tuple[ResearcherProfile, TrustChange | None]:
    """Fold one work into the profile; recompute trust with the collaborators' scores as `scores`
    knows them now (eventually consistent, see docs/trust.md).

    Raises ProfileUpdateRejected with `redirect_to` when the profile was merged or the work was
    disowned: the caller re-keys the assignment to that researcher.
    """
    draft = works_draft(current, assignment, stored)
    add_assignment(draft, assignment)
    return finish_works(current, draft, now, scores) or (current or draft.base, None)


def works_draft(current: ResearcherProfile | None, assignment: WorkAssignment, stored: WorkLookup = no_works) -> WorksDraft:
    """Where a batch's works for one researcher are folded: its profile, or a new one named as
    the first work prints the name; `stored` looks up the works it already holds."""
    base = current or new_profile(assignment.researcher_id, assignment.printed_name, assignment.surname)
    return WorksDraft(base, stored)


def add_assignment(draft: WorksDraft, assignment: WorkAssignment) -> None:
    """Fold one assignment into the draft (raises like `profile`, leaving the draft unchanged)."""
    draft.add(
        assignment.work, assignment.coauthors,
        printed_name=assignment.printed_name, surname=assignment.surname, affiliations=assignment.affiliations,
        embedding=assignment.embedding, moved=assignment.moved_from is not None,
    )


def finish_works(
    current: ResearcherProfile | None, draft: WorksDraft, now: datetime, scores: ScoreLookup = no_scores
) -> tuple[ResearcherProfile, TrustChange | None] | None:
    """The drafted profile rebuilt and rescored once, with the audit event against `current`;
    None when its works changed nothing."""
    if not draft.changed:
        return None
    return rescore(current, draft.finish(), now, scores)


def rescore(
    current: ResearcherProfile | None, updated: ResearcherProfile, now: datetime, scores: ScoreLookup = no_scores
) -> tuple[ResearcherProfile, TrustChange | None]:
    """The updated profile with a fresh trust snapshot, and the audit event if the score moved."""
    collaborators = scores_for((c.researcher_id for c in updated.close_collaborators), scores)
    snapshot = trust_snapshot(updated, collaborators, now)
    change = trust_change(current.trust if current is not None else None, snapshot, now)
    return with_trust(updated, snapshot), change


def redirected(assignment: WorkAssignment, researcher_id: str) -> WorkAssignment:
    """The same work for the researcher a merge or a disown sent it to."""
    return assignment.model_copy(update={"researcher_id": researcher_id})


@dataclass(frozen=True)
class SignalOutcome:
    """What one signal did: a new profile (and audit event), nothing, a redirect, or a rejection;
    a merge request also yields its MergeEvent, a disown the split-off works' assignments."""

    profile: ResearcherProfile | None = None
    change: TrustChange | None = None
    redirect_to: str | None = None
    rejected: str | None = None
    merge: MergeEvent | None = None
    assignments: tuple[WorkAssignment, ...] = ()
    removed: tuple[Work, ...] = ()  # the works a disown took out of the profile


def apply_product_signal(
    current: ResearcherProfile | None, signal: ResearcherSignal, now: datetime, scores: ScoreLookup = no_scores,
    stored: WorkLookup = no_works,
) -> SignalOutcome:
    if current is None:
        return SignalOutcome(rejected=f"unknown researcher {signal.researcher_id}")
    try:
        updated = apply_signal(current, signal, stored)
    except SignalRejected as error:
        if error.redirect_to:
            return SignalOutcome(redirect_to=error.redirect_to)
        return SignalOutcome(rejected=str(error))
    if isinstance(signal, MergeRequestSignal):
        return SignalOutcome(merge=merge_request(current, signal))
    if updated == current:
        return SignalOutcome()
    removed = newly_disowned(current, updated, stored) if isinstance(signal, DisownWorkSignal) else ()
    profile_, change = rescore(current, updated, now, scores)
    return SignalOutcome(profile_, change, assignments=split_off(current, updated, removed), removed=removed)


def merge_request(claimant: ResearcherProfile, signal: MergeRequestSignal) -> MergeEvent | None:
    """The MergeEvent for a claimant's request, or an operator's (the smaller id survives); None if
    already one.

    The claimant's ownership was checked by `apply_signal`; the other profile is checked where
    it lives (merge_stage.on_merge or on_move): an account's request joins only profiles that
    account claimed (anything else is refused for an operator's review), an operator's joins two
    profiles unless they are claimed by different accounts or carry different ORCID iDs.
    """
    if signal.other_id in claimant.merged_from:
        return None
    retired, surviving = max(claimant.researcher_id, signal.other_id), min(claimant.researcher_id, signal.other_id)
    mine = claimant.display_name
    return MergeEvent(
        retired_id=retired,
        surviving_id=surviving,
        reason="operator" if signal.principal == "operator" else "claim",
        retired_name=mine if retired == claimant.researcher_id else None,
        surviving_name=mine if surviving == claimant.researcher_id else None,
        requested_by=claimant.researcher_id,
        actor=signal.actor,
        claimant_orcid=claimant.orcid,
        signal_id=signal.signal_id,
        at=signal.at,
    )


def split_off(
    before: ResearcherProfile, after: ResearcherProfile, removed: tuple[Work, ...]
) -> tuple[WorkAssignment, ...]:
    """One assignment per work a disown (or a merge with a disowning profile) removed, to the
    researcher its author line is split off to.

    The printed name of the line is not kept per work, so the split-off profile starts with the
    profile's display name; a replay that re-links the line carries its printed name instead.
    """
    moved_to = {d.arxiv_id: d.moved_to for d in after.disowned_works}
    surname = next((v.surname for v in before.name_variants if v.name == before.display_name), "")
    return tuple(
        WorkAssignment(
            researcher_id=moved_to[work.arxiv_id],
            work=work.model_copy(update={"coauthors": ()}),
            coauthors=work.coauthors,
            printed_name=before.display_name,
            surname=surname,
        )
        for work in removed
        if work.arxiv_id in moved_to
    )


def moved_works(retired: ResearcherProfile, works: list[Work]) -> tuple[WorkAssignment, ...]:
    """A retired id's works on their way to the survivor that accepted its merge: each adds to the
    survivor only if the survivor does not hold it, counting no name or embedding again (those came
    with the merge)."""
    if retired.merged_into is None:
        return ()
    surname = next((v.surname for v in retired.name_variants if v.name == retired.display_name), "")
    return tuple(
        WorkAssignment(
            researcher_id=retired.merged_into,
            work=work.model_copy(update={"coauthors": ()}),
            coauthors=work.coauthors,
            printed_name=retired.display_name,
            surname=surname,
            moved_from=retired.researcher_id,
        )
        for work in works
    )
