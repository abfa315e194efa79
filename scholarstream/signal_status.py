"""`GET /signals/{signal_id}`: what became of an action the signed-in account sent.

An action is answered 202 "pending" as soon as Kafka holds its signal; the worker decides it later.
This route tells the account that sent it whether it is still pending, applied (the profile shows
it: the indexed revision is at least the outcome's) or refused, and why. Only that account may ask:
anyone else, and an id nobody minted, gets the same 404, so the answer never tells that a signal
exists. Whose a signal is comes from the id itself (accounts/signal_ids.py), then from the outcome's
actor once there is one. The actor is never part of an answer. Each ask counts as a read of its
client address (`SCHOLARSTREAM_API_READS_PER_MINUTE`, scholarstream/api.py), as the page's polls do.
"""

# No `from __future__ import annotations`: FastAPI reads the route's annotations at run time.
from collections.abc import Callable
from typing import Annotated, Literal

from elasticsearch import Elasticsearch
from fastapi import APIRouter, Depends, HTTPException, Path, Request
from pydantic import BaseModel, Field

from accounts import Account, AccountStore, signal_ids
from foundation.errors import SearchError, ServiceUnavailable
from foundation.settings import Settings
from indexers.signal_outcomes import SignalStatus, signal_status
from scholarstream.web_accounts import TOO_MANY, UNAUTHENTICATED, UNAVAILABLE, Responses, signed_in

# The write path's ids (`web-<nonce>-<mac>`) and the operators' (any id of the signal schema);
# the route answers only the first kind with anything but 404.
SIGNAL_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
# (signal id, account id) -> the status, or None when the signal is not that account's.
StatusLookup = Callable[[str, str], SignalStatus | None]


class SignalStatusAnswer(BaseModel):
    signal_id: str
    researcher_id: str | None = Field(description="The profile it acts on (a merged id's survivor); null until decided.")
    status: Literal["pending", "applied", "refused"] = Field(
        description="pending: not decided, or not shown on the profile yet; applied: the profile shows it (or it "
                    "changed nothing, being already so); refused: it broke a rule, said in `reason`."
    )
    reason: str | None = Field(None, description="Why it was refused (refused only).")


NOT_FOUND: Responses = {404: {"description": "No signal of this account has this id (whether it exists is not said)."}}
INVALID: Responses = {422: {"description": "Not a signal id."}}


def status_lookup(settings: Settings, es: Elasticsearch) -> StatusLookup:
    """The status of an account's own signal from the signal-outcomes and researchers indices;
    None for an id not minted for that account (no index is asked)."""
    ids = signal_ids(settings)

    def lookup(signal_id: str, account_id: str) -> SignalStatus | None:
        if not ids.sent_by(signal_id, account_id):
            return None
        return signal_status(es, settings, signal_id, account_id)

    return lookup


def signal_status_router(store: AccountStore, lookup: StatusLookup) -> APIRouter:
    router = APIRouter(tags=["accounts"])

    def account(request: Request) -> Account:
        return signed_in(request, store)

    @router.get("/signals/{signal_id}", response_model=SignalStatusAnswer, response_model_exclude_unset=True,
                responses={**UNAUTHENTICATED, **NOT_FOUND, **INVALID, **TOO_MANY, **UNAVAILABLE})
    def signal_status_route(signal_id: Annotated[str, Path(pattern=SIGNAL_ID)],
                            sender: Annotated[Account, Depends(account)]) -> SignalStatusAnswer:
        """What became of an action you sent (the `signal_id` its 202 answer gave): pending until the
        profile shows it, then applied, or refused with the reason."""
        try:
            found = lookup(signal_id, sender.id)
        except (ServiceUnavailable, SearchError) as error:
            raise HTTPException(status_code=503, detail=str(error)) from error
        if found is None:
            raise HTTPException(status_code=404, detail=f"no signal {signal_id} of yours")
        fields = {"signal_id": found.signal_id, "researcher_id": found.researcher_id, "status": found.status}
        if found.reason is not None:  # set only when refused: the answer leaves it out otherwise
            fields["reason"] = found.reason
        return SignalStatusAnswer.model_validate(fields)

    return router
