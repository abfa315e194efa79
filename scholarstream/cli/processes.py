"""The long-running processes: `worker`, `indexer`, and `run` (N workers and the indexer, until caught up)."""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

import typer

from foundation.settings import get_settings
from scholarstream.cli._app import JsonFlag, app, configure_logging, emit, out, utc_now
from scholarstream.progress import err_console, lag_progress


@app.command("worker")
def worker() -> None:
    """Run the faust stream processors until stopped: enrichment, linking, profiles, signals, merges."""
    from scholarstream.rebuild import with_serving_generation
    from stream_processors.worker import run_worker

    run_worker(with_serving_generation(get_settings()))


@app.command("indexer")
def indexer() -> None:
    """Index enriched papers and researcher profiles into Elasticsearch until stopped."""
    import signal

    from clients import es_io, kafka_io
    from indexers.indexer import run_indexer
    from indexers.refresh_pacing import BackgroundReading
    from scholarstream.pipeline import worker_backlog
    from scholarstream.rebuild import with_serving_generation

    settings = with_serving_generation(get_settings())
    configure_logging(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    es = es_io.client(settings)
    es_io.check_reachable(settings, es)
    log = logging.getLogger("scholarstream.indexer")
    with kafka_io.LagReader(settings) as lag, BackgroundReading(lambda: worker_backlog(settings, lag), every=5.0) as backlog:
        stats = run_indexer(settings, es, stop, utc_now, on_batch=lambda s: log.info("indexed: %s", s),
                            backlog=backlog.latest)
    log.info("indexer stopped: %s", stats)


@app.command("run")
def run(
    until_caught_up: Annotated[
        bool,
        typer.Option(
            "--until-caught-up",
            help="Exit 0 once every group has zero lag and the index is refreshed; "
            "stopped by SIGTERM/SIGINT before that, exit 128 + the signal (143, 130).",
        ),
    ] = False,
    timeout: Annotated[float | None, typer.Option(help="Give up (exit 1) after this many seconds.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1,
            help="Worker processes in the one worker group (useful up to one per partition, SCHOLARSTREAM_TOPIC_PARTITIONS).",
        ),
    ] = 1,
    as_json: JsonFlag = False,
) -> None:
    """Run the worker(s) and the indexer together in the foreground."""
    from scholarstream.pipeline import verdict

    data = run_until(until_caught_up, timeout, workers)
    ending = verdict(until_caught_up, data["caught_up"], data["interrupted_by"], data["lag"])
    if as_json:
        emit(data, True)
    elif until_caught_up and data["caught_up"]:
        out.print(f"caught up in {data['elapsed_seconds']:.1f}s; papers indexed: {data['indexed_documents']}")
    if ending.message is not None:
        err_console.print(ending.message, highlight=False, soft_wrap=True)
    if ending.exit_code:
        raise typer.Exit(ending.exit_code)


def run_until(until_caught_up: bool, timeout: float | None, workers: int = 1) -> dict[str, Any]:
    from dataclasses import asdict

    from scholarstream.pipeline import run_pipeline
    from scholarstream.rebuild import with_serving_generation

    settings = with_serving_generation(get_settings())
    with lag_progress("waiting for the pipeline") as on_poll:
        result = run_pipeline(settings, until_caught_up=until_caught_up, timeout=timeout, on_poll=on_poll, workers=workers)
    return asdict(result)
