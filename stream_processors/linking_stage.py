"""The linking and profile stages as pure steps; the faust agents in `app.py` only move bytes.

route:    an enriched paper -> one MentionEvent per author line (keyed by blocking key)
link:     a block's state + a mention -> the next state + the Authorship (keyed by paper)
assemble: a paper's authorships so far + one more -> when all are in, one WorkAssignment per
          author, each with its linked coauthors (keyed by researcher)
profile:  a profile + a work assignment -> the next profile, its trust snapshot, and the audit
          event when the score moved
Every step is idempotent under re-delivery, so the stages are at-least-once with no duplicates
in effect, and deterministic, so a replay rebuilds the same researcher ids and profiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.linking_events import Authorship, MentionEvent, WorkAssignment
from schemas.papers import EnrichedPaper
from schemas.profiles import Coauthor, ResearcherProfile, ResearcherSignal, TrustChange, Work
from stream_processors.linking.linker import BlockState, Mention, PaperContext, apply_decision, link_mention
from stream_processors.profiles import SignalRejected, apply_signal, apply_work, new_profile, with_trust
from stream_processors.trust import trust_change, trust_snapshot


def printed_name(keyname: str, forenames: str, suffix: str = "") -> str:
    return " ".join(part for part in (forenames, keyname, suffix) if part)


def route(item: EnrichedPaper) -> list[MentionEvent]:
    paper = item.paper
    names = tuple(printed_name(m.keyname, m.forenames, m.suffix) for m in item.mentions)
    return [
        MentionEvent(
            arxiv_id=paper.arxiv_id,
            version=paper.version,
            title=paper.title,
            year=paper.year,
            categories=paper.categories,
            topics=item.topics,
            author_keys=tuple(m.blocking_key for m in item.mentions),
            author_names=names,
            embedding=item.embedding,
            mention=mention,
        )
        for mention in item.mentions
    ]


def link(block: BlockState | None, event: MentionEvent) -> tuple[BlockState, Authorship]:
    block = block or BlockState(event.mention.blocking_key)
    m = event.mention
    mention = Mention(m.position, m.keyname, m.forenames, m.affiliations, m.blocking_key)
    context = PaperContext(
        paper_id=event.arxiv_id,
        year=event.year,
        categories=event.categories,
        author_keys=event.author_keys,
        embedding=tuple(float(v) for v in event.embedding.vector()) if event.embedding else None,
    )
    decision = link_mention(block, mention, context)
    next_block = apply_decision(block, decision, mention, context)
    explanation = decision.explain()
    authorship = Authorship(
        arxiv_id=event.arxiv_id,
        version=event.version,
        position=m.position,
        author_count=len(event.author_keys),
        researcher_id=decision.researcher_id,
        created=decision.created,
        confidence=decision.confidence,
        evidence={k: explanation[k] for k in ("score", "evidence", "contributions", "candidates")},
        printed_name=event.author_names[m.position],
        surname=m.keyname,
        affiliations=m.affiliations,
        embedding=event.embedding if m.position == 0 else None,
        work=Work(
            arxiv_id=event.arxiv_id,
            title=event.title,
            year=event.year,
            categories=event.categories,
            topics=event.topics,
            author_count=len(event.author_keys),
        ),
    )
    return next_block, authorship


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
    assignments = [
        WorkAssignment(
            researcher_id=a.researcher_id,
            work=a.work,
            coauthors=tuple(
                Coauthor(researcher_id=o.researcher_id, display_name=o.printed_name)
                for o in everyone if o.researcher_id != a.researcher_id
            ),
            printed_name=a.printed_name,
            surname=a.surname,
            affiliations=a.affiliations,
            embedding=embedding,
        )
        for a in everyone
    ]
    return known, assignments


def profile(
    current: ResearcherProfile | None, assignment: WorkAssignment, now: datetime
) -> tuple[ResearcherProfile, TrustChange | None]:
    """Fold one work into the profile; recompute trust (collaborators' scores are not known on
    this partition yet and count as 0, see docs/trust.md)."""
    base = current or new_profile(assignment.researcher_id, assignment.printed_name, assignment.surname)
    updated = apply_work(
        base, assignment.work, assignment.coauthors,
        printed_name=assignment.printed_name, surname=assignment.surname, affiliations=assignment.affiliations,
        embedding=assignment.embedding,
    )
    if current is not None and updated == current:
        return current, None
    snapshot = trust_snapshot(updated, {}, now)
    change = trust_change(current.trust if current is not None else None, snapshot, now)
    return with_trust(updated, snapshot), change


@dataclass(frozen=True)
class SignalOutcome:
    """What one signal did: a new profile (and audit event), nothing, a redirect, or a rejection."""

    profile: ResearcherProfile | None = None
    change: TrustChange | None = None
    redirect_to: str | None = None
    rejected: str | None = None


def apply_product_signal(current: ResearcherProfile | None, signal: ResearcherSignal, now: datetime) -> SignalOutcome:
    if current is None:
        return SignalOutcome(rejected=f"unknown researcher {signal.researcher_id}")
    try:
        updated = apply_signal(current, signal)
    except SignalRejected as error:
        if error.redirect_to:
            return SignalOutcome(redirect_to=error.redirect_to)
        return SignalOutcome(rejected=str(error))
    if updated == current:
        return SignalOutcome()
    snapshot = trust_snapshot(updated, {}, now)
    return SignalOutcome(with_trust(updated, snapshot), trust_change(current.trust, snapshot, now))
