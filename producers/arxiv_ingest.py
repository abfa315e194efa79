"""`ingest arxiv` end to end: checkpoint, poll the query API, the shared ingest loop, checkpoint.

Same resume protocol as `ingest oai` (`producers/oai_ingest.py`): after each page the publisher
is flushed, and only then the checkpoint (window start, offset of the next page) is saved.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from foundation.settings import Settings
from producers.arxiv_api import PollRequest, api_payload_to_paper, new_client, payload_key, poll, start_poll_state
from producers.checkpoints import resume_point
from producers.ingest import IngestSummary, ingest
from producers.publish import Publisher
from schemas.checkpoints import HarvestCheckpoint


def run_arxiv_ingest(
    settings: Settings,
    request: PollRequest,
    *,
    limit: int | None,
    dry_run: bool,
    clock: Callable[[], datetime],
    progress: Callable[[int], None] | None = None,
    follow_interval_s: float | None = None,
    spacing_s: float = 3.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    publisher: Publisher | None = None
    store, previous = resume_point(settings, request.checkpoint_id, dry_run)
    state = start_poll_state(request, previous, clock())
    report: dict[str, Any] = {"checkpoint_id": request.checkpoint_id, "endpoint": request.endpoint}
    if state is None:
        return {**IngestSummary(source="arxiv-api", dry_run=dry_run).as_dict(), **report,
                "already_complete": True, "completed": True}
    resumed_from = state.cursor if previous is not None else None
    last: list[HarvestCheckpoint] = []

    def page_done(next_state: HarvestCheckpoint) -> None:
        if publisher is not None and store is not None:
            publisher.flush()
            store.save(next_state)
        last[:] = [next_state]

    client = new_client(request.endpoint, request.page_size, spacing_s)
    if not dry_run:
        publisher = Publisher(settings, clock)
    payloads = poll(request, client, state, on_page_done=page_done, now=clock, sleep=sleep,
                    follow_interval_s=follow_interval_s)
    try:
        summary = ingest(payloads, source="arxiv-api", parse=api_payload_to_paper, key_of=payload_key,
                         publisher=publisher, limit=limit, progress=progress)
    finally:
        payloads.close()
        if store is not None:
            store.close()
    return {
        **summary.as_dict(),
        **report,
        "already_complete": False,
        "completed": bool(last and last[0].completed),
        "pages": last[0].pages if last else 0,
        "resumed_from_offset": resumed_from,
        "next_window_from": last[0].params.get("effective_from") if last else None,
    }
