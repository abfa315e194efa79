"""`ingest oai` end to end: checkpoint, harvest, the shared ingest loop, flush, checkpoint again.

The wiring lives here rather than in the CLI so tests and other commands can run a harvest
with their own clock, sleep and progress callback.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

import requests

from foundation.settings import Settings
from producers.checkpoints import resume_point
from producers.ingest import IngestSummary, ingest
from producers.oai_pmh import HarvestRequest, HarvestStats, PageFetcher, RetryPolicy, harvest, start_state
from producers.oai_records import OaiRecord, oai_element_to_paper
from producers.publish import Publisher
from schemas.checkpoints import HarvestCheckpoint


def run_oai_ingest(
    settings: Settings,
    request: HarvestRequest,
    *,
    limit: int | None,
    dry_run: bool,
    clock: Callable[[], datetime],
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    policy: RetryPolicy = RetryPolicy(),
) -> dict[str, Any]:
    """Harvest into `arxiv.papers.raw`; a dry run reads and validates only (no Kafka at all,
    so it neither resumes from nor writes a checkpoint)."""
    publisher: Publisher | None = None
    store, previous = resume_point(settings, request.checkpoint_id, dry_run)
    state = start_state(request, previous, clock())
    report: dict[str, Any] = {"checkpoint_id": request.checkpoint_id, "endpoint": request.endpoint}
    if state is None:
        summary = IngestSummary(source="oai", dry_run=dry_run)
        return {**summary.as_dict(), **report, "already_complete": True, "completed": True}

    stats = HarvestStats()
    last: list[HarvestCheckpoint] = []

    def page_done(next_state: HarvestCheckpoint) -> None:
        if publisher is not None and store is not None:
            publisher.flush()  # every record of the page is acknowledged ...
            store.save(next_state)  # ... before the checkpoint moves past it
        last[:] = [next_state]

    session = requests.Session()
    fetcher = PageFetcher(session, sleep=sleep, now=clock, policy=policy)
    if not dry_run:
        publisher = Publisher(settings, clock)
    payloads = harvest(request, fetcher, state, on_page_done=page_done, now=clock, on_total=on_total, stats=stats)
    try:
        summary = ingest(
            payloads,
            source="oai",
            parse=_map_record,
            key_of=_record_key,
            payload_text=_record_text,
            publisher=publisher,
            limit=limit,
            progress=progress,
        )
    finally:
        payloads.close()
        session.close()
        if store is not None:
            store.close()
    fetch = asdict(fetcher.stats)
    fetch.pop("errors")
    return {
        **summary.as_dict(),
        **report,
        "already_complete": False,
        "completed": bool(last and last[0].completed),
        "pages": stats.pages,
        "deleted_skipped": stats.deleted_skipped,
        "resumed_from_cursor": stats.resumed_from_cursor,
        "complete_list_size": stats.complete_list_size,
        "fetch": fetch,
    }


def _map_record(record: OaiRecord):
    return oai_element_to_paper(record.element)


def _record_key(record: OaiRecord) -> str | None:
    return record.key


def _record_text(record: OaiRecord) -> str:
    return record.xml
