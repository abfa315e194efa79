"""`scholarstream ingest`: producers of arXiv records (snapshot, OAI-PMH, query API)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from foundation.settings import Settings, get_settings
from scholarstream.cli._app import JsonFlag, emit, ingest_app, out, utc_now
from scholarstream.progress import progress_bar


@ingest_app.command("snapshot")
def ingest_snapshot(
    path: Annotated[Path, typer.Argument(help="arXiv snapshot file: .json or .jsonl, optionally .gz")],
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after N records.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Parse and validate only; produce nothing.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Backfill from the arXiv bulk metadata snapshot into `arxiv.papers.raw`."""
    summary = ingest_snapshot_file(get_settings(), path, limit, dry_run)
    summarise_ingest(summary, as_json)


def ingest_snapshot_file(settings: Settings, path: Path, limit: int | None, dry_run: bool) -> dict[str, Any]:
    from clients import kafka_io
    from producers.ingest import ingest
    from producers.publish import Publisher
    from producers.snapshot import read_snapshot, record_key, snapshot_record_to_paper
    from schemas.topics import TOPICS

    # A file is counted first so the progress line has an ETA; a pipe (records arriving as they are
    # written, or a decompressing process) can be read only once, so it goes without.
    total: int | None = sum(1 for _ in read_snapshot(path)) if path.is_file() else limit
    if limit is not None and total is not None:
        total = min(total, limit)
    publisher = None
    if not dry_run:
        kafka_io.ensure_topics(settings, TOPICS)
        publisher = Publisher(settings, utc_now)
    with progress_bar(f"ingest {path.name}", total) as advance:
        summary = ingest(
            read_snapshot(path),
            source="snapshot",
            parse=snapshot_record_to_paper,
            key_of=record_key,
            publisher=publisher,
            limit=limit,
            progress=advance,
        )
    return summary.as_dict()


@ingest_app.command("oai")
def ingest_oai(
    endpoint: Annotated[str, typer.Option(help="OAI-PMH base URL (default: arXiv's).")] = "https://export.arxiv.org/oai2",
    set_: Annotated[str | None, typer.Option("--set", help="OAI set, e.g. cs or physics:hep-th.")] = None,
    from_date: Annotated[str | None, typer.Option("--from", help="First datestamp, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Last datestamp, YYYY-MM-DD.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after N records.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Parse and validate only; produce nothing.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Harvest arXiv's OAI-PMH `ListRecords` (metadataPrefix=arXiv) into `arxiv.papers.raw`, resuming from `ingest.checkpoints`."""
    from datetime import date

    from producers.oai_ingest import run_oai_ingest
    from producers.oai_pmh import HarvestRequest

    for name, value in (("--from", from_date), ("--until", until)):
        try:
            value is None or date.fromisoformat(value)
        except ValueError:
            raise typer.BadParameter(f"{name} must be YYYY-MM-DD, got {value!r}") from None
    request = HarvestRequest(endpoint=endpoint, set=set_, from_date=from_date, until=until)
    with progress_bar(f"ingest oai {set_ or 'all'}", limit) as advance:
        data = run_oai_ingest(
            get_settings(), request, limit=limit, dry_run=dry_run, clock=utc_now, progress=advance,
            on_total=lambda n: advance.set_total(min(n, limit) if limit else n),
        )
    summarise_ingest(data, as_json)
    if not as_json:
        state = "complete" if data["completed"] else "resumable"
        out.print(f"harvest {data['checkpoint_id']}: {data.get('pages', 0)} pages, {state}")


@ingest_app.command("arxiv")
def ingest_arxiv(
    categories: Annotated[str, typer.Option(help="Comma-separated arXiv categories, e.g. cs.LG,cs.IR.")],
    from_time: Annotated[
        str | None, typer.Option("--from", help="Window start (submission), YYYY-MM-DD[THH:MM]; default: two days ago.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Window end; default: now (and, with --follow, each poll's now).")] = None,
    follow: Annotated[bool, typer.Option("--follow", help="Keep polling for new submissions.")] = False,
    interval: Annotated[float, typer.Option(min=60, help="Seconds between polls with --follow.")] = 900.0,
    endpoint: Annotated[str, typer.Option(help="Query API URL (default: arXiv's).")] = "https://export.arxiv.org/api/query",
    page_size: Annotated[int, typer.Option(min=1, max=2000, help="Entries per request.")] = 100,
    limit: Annotated[int | None, typer.Option(min=1, help="Stop after N records.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Parse and validate only; produce nothing.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Poll arXiv's query API (one request every 3 s) into `arxiv.papers.raw`, resuming from `ingest.checkpoints`."""
    from producers.arxiv_api import PollRequest, parse_window_start
    from producers.arxiv_ingest import run_arxiv_ingest

    try:
        start = parse_window_start(from_time, utc_now())
        end = parse_window_start(until, utc_now()) if until else None
    except ValueError as error:
        raise typer.BadParameter(f"--from/--until: {error}") from None
    cats = tuple(c.strip() for c in categories.split(",") if c.strip())
    request = PollRequest(categories=cats, from_time=start, until=end, endpoint=endpoint, page_size=page_size)
    with progress_bar(f"ingest arxiv {','.join(cats)}", limit) as advance:
        data = run_arxiv_ingest(
            get_settings(), request, limit=limit, dry_run=dry_run, clock=utc_now, progress=advance,
            follow_interval_s=interval if follow else None,
        )
    summarise_ingest(data, as_json)


def summarise_ingest(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit(data, True)
        return
    verb = "validated" if data["dry_run"] else "produced"
    out.print(
        f"{verb} {data['produced']}, duplicates skipped {data['duplicates_skipped']}, "
        f"rejected to the dead-letter topic {data['rejected']}, read {data['read']} "
        f"in {data['elapsed_seconds']:.1f}s ({data['records_per_second']:,.0f} records/s)"
    )
