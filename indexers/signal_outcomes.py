"""Reading what became of a signal: its outcome, and whether the profile shows it yet.

An outcome is written by the worker as soon as it decided the signal; the profile revision that
carries the change reaches the researchers index a moment later (the indexer reads both topics, in
no set order). The person who acted must not be told "applied" and then see the old profile, so a
signal counts as applied only once the indexed profile is at least at the outcome's revision.
Both reads are real-time gets (as the profile page's own), never searches waiting for a refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from elasticsearch import Elasticsearch

from clients import es_io
from foundation.settings import Settings
from indexers.mappings import RESEARCHERS, SIGNAL_OUTCOMES

Status = Literal["pending", "applied", "refused"]


@dataclass(frozen=True)
class SignalStatus:
    signal_id: str
    status: Status
    researcher_id: str | None = None  # None until the worker decided the signal
    kind: str | None = None
    reason: str | None = None  # refused only


def status_of(signal_id: str, outcome: dict[str, Any] | None, indexed_revision: int | None) -> SignalStatus:
    """Pure: the status an outcome document and the indexed profile's revision make."""
    if outcome is None:
        return SignalStatus(signal_id, "pending")
    researcher_id, kind = outcome["researcher_id"], outcome["kind"]
    if outcome["outcome"] == "refused":
        return SignalStatus(signal_id, "refused", researcher_id, kind, outcome["reason"])
    shown = indexed_revision is not None and indexed_revision >= int(outcome["revision"])
    return SignalStatus(signal_id, "applied" if shown else "pending", researcher_id, kind)


def signal_status(es: Elasticsearch, settings: Settings, signal_id: str, actor: str) -> SignalStatus | None:
    """The status of `actor`'s signal; None when its outcome names another actor (not theirs to see).
    A signal with no outcome yet, or no outcomes index yet, is pending."""
    with es_io.search_errors(settings, "lookup"):
        found = es.options(ignore_status=404).get(index=SIGNAL_OUTCOMES.alias(settings), id=signal_id)
        outcome = found.get("_source") if found.get("found") else None
        if outcome is not None and outcome.get("actor") != actor:
            return None
        revision = None
        if outcome is not None and outcome["outcome"] != "refused":
            profile = es.options(ignore_status=404).get(
                index=RESEARCHERS.alias(settings), id=outcome["researcher_id"], source_includes=["revision"]
            )
            revision = profile["_source"].get("revision") if profile.get("found") else None
    return status_of(signal_id, outcome, revision)


# How many of an account's latest claims and unclaims `claimed_by` reads: a person claims one or a few.
CLAIMS_READ = 50


def claimed_by(es: Elasticsearch, settings: Settings, actor: str) -> list[str]:
    """The researchers `actor` claimed and still holds, newest claim first: its latest own claim or
    unclaim of each is a claim that applied, no one unclaimed it since (an operator takes a claim back
    in a dispute), and the indexed profile is claimed. The read API never names a claimant; the
    outcomes are where the worker says whose a claim was."""
    alias = SIGNAL_OUTCOMES.alias(settings)
    with es_io.search_errors(settings, "lookup"):
        if not es.indices.exists(index=alias):
            return []
        own = es.search(index=alias, size=CLAIMS_READ, sort=[{"at": "desc"}], query={"bool": {"filter": [
            {"term": {"actor": actor}}, {"terms": {"kind": ["claim", "unclaim"]}},
            {"terms": {"outcome": ["applied", "unchanged"]}},
        ]}})["hits"]["hits"]
        latest: dict[str, dict[str, Any]] = {}
        for hit in own:
            latest.setdefault(hit["_source"]["researcher_id"], hit["_source"])
        claims = {rid: datetime.fromisoformat(outcome["at"]) for rid, outcome in latest.items() if outcome["kind"] == "claim"}
        if not claims:
            return []
        taken_back = es.search(index=alias, size=CLAIMS_READ, query={"bool": {"filter": [
            {"terms": {"researcher_id": list(claims)}}, {"term": {"kind": "unclaim"}}, {"term": {"outcome": "applied"}},
        ]}})["hits"]["hits"]
        for hit in taken_back:
            rid = hit["_source"]["researcher_id"]
            if rid in claims and datetime.fromisoformat(hit["_source"]["at"]) > claims[rid]:
                del claims[rid]
        if not claims:
            return []
        shown = es.mget(index=RESEARCHERS.alias(settings), ids=list(claims), source_includes=["claimed"])["docs"]
    still = {doc["_id"] for doc in shown if doc.get("found") and doc["_source"].get("claimed")}
    return [rid for rid in claims if rid in still]
