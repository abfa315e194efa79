"""Pure mappings from events to Elasticsearch documents."""

from __future__ import annotations

from typing import Any

from indexers.name_keys import index_keys, name_form
from schemas.names import fold, is_collaboration
from schemas.papers import EnrichedPaper
from schemas.profiles import ProfileWork, ResearcherProfile, newest_first
from schemas.signal_outcomes import SignalOutcomeEvent

# Titles of the newest works searched as a researcher's free text.
MAX_TITLES = 200


def paper_document(item: EnrichedPaper) -> dict[str, Any]:
    paper = item.paper
    names = [author.full_name for author in paper.authors]
    return {
        "arxiv_id": paper.arxiv_id,
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": names,
        "author_names": names,
        "categories": list(paper.categories),
        "primary_category": paper.primary_category,
        "year": paper.year,
        "submitted": paper.submitted.isoformat() if paper.submitted else None,
        "updated": paper.updated.isoformat() if paper.updated else None,
        "doi": paper.doi,
        "journal_ref": paper.journal_ref,
        "source": paper.source,
        "topics": [{"code": t.code, "name": t.name, "score": t.score} for t in item.topics],
        "topic_model": item.topic_model,
        "keyphrases": [k.phrase for k in item.keyphrases],
        "author_keys": [m.blocking_key for m in item.mentions],
        "encoder": item.embedding.model,
        "ingested_at": item.ingested_at.isoformat(),
        "embedding": item.embedding.vector().tolist(),
    }


def researcher_document(profile: ResearcherProfile) -> dict[str, Any]:
    """The search document of a profile; a merged profile becomes a redirect that search skips.

    Names are folded here (core Elasticsearch has no asciifolding): `names` for words and
    type-ahead prefixes, `name_keys` for the name forms people type (see indexers/name_keys.py).
    """
    if profile.merged_into:
        return {
            "researcher_id": profile.researcher_id,
            "revision": profile.revision,
            "merged_into": profile.merged_into,
            "display_name": profile.display_name,
        }
    forms = [name_form(variant.name, variant.surname) for variant in profile.name_variants]
    trust = profile.trust
    return {
        "researcher_id": profile.researcher_id,
        "revision": profile.revision,
        "display_name": profile.display_name,
        "names": sorted({fold(variant.name) for variant in profile.name_variants}),
        "name_keys": index_keys(forms),
        "is_collaboration": any(is_collaboration(v.surname or v.name) for v in profile.name_variants),
        "affiliations": [a.name for a in profile.affiliations],
        "has_affiliation": bool(profile.affiliations),
        "topic_codes": [t.code for t in profile.top_topics],
        "topic_names": [t.name for t in profile.top_topics],
        "work_titles": [w.title for w in _newest_works(profile)[:MAX_TITLES]],
        "works_count": profile.works_count,
        "followers_count": profile.followers_count,
        "first_active_year": profile.first_active_year,
        "last_active_year": profile.last_active_year,
        "claimed": profile.claimed,
        "open_to_collaborate": profile.open_to_collaborate,
        "verification_level": profile.verification_level.value,
        "trust_score": trust.score if trust else 0,
        "trust_label": trust.label if trust else None,
        **({"embedding": profile.embedding.vector().tolist()} if profile.embedding is not None else {}),
        "profile": public_profile(profile),
    }


def public_profile(profile: ResearcherProfile) -> dict[str, Any]:
    """What the read API may show of a profile: not who claimed it, who follows it, or who sent a
    verification (account ids), nor the worker's bookkeeping."""
    shown = profile.model_dump(
        mode="json", exclude={"embedding", "seen_signal_ids", "totals", "claimed_by", "followers"}
    )
    for verification in shown["verifications"]:
        verification.pop("actor", None)
        verification.pop("signal_id", None)
    return shown


def _newest_works(profile: ResearcherProfile) -> list:
    """A v3 profile's newest works as it carries them; a v1/v2 profile's own works, newest first."""
    if profile.recent_works or not profile.works:
        return list(profile.recent_works)
    return newest_first(profile.works)


def work_document_id(researcher_id: str, arxiv_id: str) -> str:
    return f"{researcher_id}/{arxiv_id}"


def researcher_work_document(item: ProfileWork) -> dict[str, Any] | None:
    """The researcher-works document of a listed work; None for a work that left the researcher
    (the indexer deletes it)."""
    if item.removed:
        return None
    work = item.work
    return {
        "researcher_id": item.researcher_id,
        "arxiv_id": work.arxiv_id,
        "revision": item.revision,
        "title": work.title,
        "year": work.year,
        "categories": list(work.categories),
        "topic_codes": [t.code for t in work.topics],
        "author_count": work.author_count,
        "coauthor_ids": [c.researcher_id for c in work.coauthors],
        "work": work.model_dump(mode="json"),
    }


def signal_outcome_document(item: SignalOutcomeEvent) -> dict[str, Any]:
    """The outcome as recorded; the actor stays in, for the check that only its sender reads it."""
    return item.model_dump(mode="json", exclude={"schema_version"})
