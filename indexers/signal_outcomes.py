"""Reading what became of a signal: its outcome, and whether the profile shows it yet.

An outcome is written by the worker as soon as it decided the signal; the profile revision that
carries the change reaches the researchers index a moment later (the indexer reads both topics, in
no set order). The person who acted must not be told "applied" and then see the old profile, so a
signal counts as applied only once the indexed profile is at least at the outcome's revision.
Both reads are real-time gets (as the profile page's own), never searches waiting for a refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
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
