"""What the profile page says about an action the viewer just sent: pending, applied or refused.

Pure: the status comes in (indexers/signal_outcomes.py, through the status lookup), the words go
out. A pending message carries where the page polls (htmx, every second) and a link to reload the
page, which is all a browser without JavaScript gets; applied and refused messages are final.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from indexers.signal_outcomes import SignalStatus

_LABELS = {
    "follow": "Follow", "unfollow": "Unfollow", "claim": "Claim", "unclaim": "Unclaim",
    "open_to_collaborate": "Open-to-collaborate update", "affiliation_update": "Affiliation update",
    "merge_request": "Merge request", "disown_work": "Disowned works",
    "verify": "Verification", "verify-orcid": "Verification", "verify-email": "Verification",  # the kind, its routes
}
_APPLIED = {
    "follow": "Follow applied: you follow this researcher.",
    "unfollow": "Unfollow applied: you no longer follow this researcher.",
    "claim": "Claim applied: this profile is yours.",
    "verify": "Verification applied: the profile shows its new level.",
}


@dataclass(frozen=True)
class ActionMessage:
    text: str
    tone: str  # the message's class: "notice" (pending, applied) or "error" (refused)
    poll: str | None = None  # the status fragment htmx polls while pending
    reload: str | None = None  # the page again, for a browser without JavaScript


def label(kind: str | None) -> str:
    return _LABELS.get(kind or "", "Action")


def pending_text(kind: str | None) -> str:
    return f"{label(kind)} sent: pending until the pipeline has applied it."


def applied_text(kind: str | None) -> str:
    return _APPLIED.get(kind or "", f"{label(kind)} applied.")


def refused_text(kind: str | None, reason: str | None) -> str:
    why = (reason or "it breaks a rule of the profile").rstrip(". ")
    return f"Your {label(kind).lower()} was refused: {why}."


# A page polls a pending action this long, then says it is still pending and stops (a tab left open
# would otherwise ask every second for good).
POLL_SECONDS = 600
STILL_PENDING = ("Still pending after ten minutes: the pipeline may be behind. "
                 "Reload the page later to see whether it has applied.")


def action_message(status: SignalStatus, sent: str | None, page: str, now: float = 0.0) -> ActionMessage:
    """The message for `status` of the action `sent` (the kind the page's redirect names) on `page`;
    a pending one polls with `since` = `now` (seconds), so the fragment knows when to stop."""
    kind = status.kind or sent
    if status.status == "refused":
        return ActionMessage(refused_text(kind, status.reason), "error")
    if status.status == "applied":
        return ActionMessage(applied_text(kind), "notice")
    query = {"sent": sent or "", "signal": status.signal_id}
    return ActionMessage(pending_text(kind), "notice", poll=f"/signals/{status.signal_id}?since={int(now)}",
                         reload=f"{page}?{urlencode(query)}")


def polled_too_long(since: str | None, now: float) -> bool:
    """Whether a page has polled since `since` (its poll URL's, as sent) for longer than POLL_SECONDS."""
    return since is not None and since.isdigit() and now - int(since) > POLL_SECONDS
