"""Writing documents with `streaming_bulk`: external versions, retries, and rejected documents.

Writes are idempotent by construction: `_id` is the entity id and `version_type=external` makes
Elasticsearch refuse a write that is not newer than what it holds (a 409, which here means
"already indexed" and counts as success). So a whole batch can be re-sent after any failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch.helpers import streaming_bulk


@dataclass(frozen=True)
class IndexAction:
    doc_id: str
    version: int
    document: dict[str, Any] | None  # None deletes
    source_key: str
    payload: str  # the Kafka record, kept for the dead-letter topic


@dataclass
class BulkOutcome:
    written: int = 0
    stale: int = 0
    rejected: list[tuple[IndexAction, str]] = field(default_factory=list)


_STALE = "version_conflict_engine_exception"


def latest_per_document(actions: list[IndexAction]) -> tuple[list[IndexAction], int]:
    """The actions Elasticsearch would keep of one batch, and how many it would refuse as stale.

    With external versions a write stands only if it is newer than what the index holds: of one
    document's actions in a batch, the one with the highest version stands, and of equal versions
    the first (a later one is "not newer"). Sending only that one leaves the index as sending them
    all in order would, with one write instead of several: a researcher whose profile was revised
    three times in the batch is indexed once (its centroid is inserted into the vector graph once).
    The kept actions stay in the order they came.
    """
    best: dict[str, int] = {}
    for position, action in enumerate(actions):
        kept = best.get(action.doc_id)
        if kept is None or action.version > actions[kept].version:
            best[action.doc_id] = position
    chosen = sorted(best.values())
    return [actions[position] for position in chosen], len(actions) - len(chosen)


def write_batch(es: Elasticsearch, index: str, actions: list[IndexAction]) -> BulkOutcome:
    """Send one batch; 429s are retried inside, connection failures raise for the caller to retry."""
    outcome = BulkOutcome()
    by_id: dict[str, IndexAction] = {}
    for action in actions:  # one write per document: the highest version in the batch wins
        if action.doc_id not in by_id or action.version > by_id[action.doc_id].version:
            by_id[action.doc_id] = action
    bulk_actions = [_bulk_action(index, action) for action in by_id.values()]
    results = streaming_bulk(
        es,
        bulk_actions,
        chunk_size=500,
        raise_on_error=False,
        raise_on_exception=True,
        max_retries=5,
        initial_backoff=0.5,
        max_backoff=8,
        yield_ok=True,
    )
    for ok, item in results:
        (op, detail), = item.items()
        if ok:
            outcome.written += 1
            continue
        error = detail.get("error") or {}
        if isinstance(error, dict) and error.get("type") == _STALE:
            outcome.stale += 1
        elif op == "delete" and detail.get("status") == 404:
            outcome.stale += 1
        else:
            reason = f"{error.get('type', 'error')}: {error.get('reason', error)}" if isinstance(error, dict) else str(error)
            outcome.rejected.append((by_id[detail["_id"]], reason))
    return outcome


def write_with_retry(
    es: Elasticsearch,
    index: str,
    actions: list[IndexAction],
    *,
    sleep: Callable[[float], None] = time.sleep,
    should_stop: Callable[[], bool] = lambda: False,
    on_retry: Callable[[int, float, Exception], None] | None = None,
    max_backoff: float = 30.0,
) -> BulkOutcome | None:
    """Retry the whole batch with capped exponential backoff until it lands or we are told to stop.

    Returns None only when stopped before success; the caller then must not commit offsets.
    """
    attempt = 0
    while True:
        try:
            return write_batch(es, index, actions)
        except (TransportError, ApiError) as error:
            if isinstance(error, ApiError) and error.meta.status not in (429, 502, 503, 504):
                raise
            attempt += 1
            delay = min(max_backoff, 0.5 * 2 ** min(attempt, 10))
            if on_retry is not None:
                on_retry(attempt, delay, error)
            if should_stop():
                return None
            sleep(delay)


def _bulk_action(index: str, action: IndexAction) -> dict[str, Any]:
    base = {"_index": index, "_id": action.doc_id, "version": action.version, "version_type": "external"}
    if action.document is None:
        return {**base, "_op_type": "delete"}
    return {**base, "_op_type": "index", "_source": action.document}
