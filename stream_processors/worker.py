"""`scholarstream worker`: create the topics, load the encoder, run the faust app until stopped."""

from __future__ import annotations

import time

import faust
from threadpoolctl import threadpool_limits

from clients import kafka_io
from clients.handover import take_over
from encoders.loading import load_encoder
from foundation.errors import ConfigError, ServiceUnavailable
from foundation.settings import Settings
from schemas.topics import PAPERS_RAW, TOPICS
from stream_processors import collector
from stream_processors.app import BLOCK_STATE_TABLE, WORKER_GROUP, create_app
from stream_processors.topic_model.fields import load_field_model, model_path_for

CHANGELOG_SETUP_SECONDS = 120.0


def create_changelogs(settings: Settings, app: faust.App) -> None:
    """Create the tables' changelog topics before the worker joins its group, and wait until the
    cluster's metadata lists them.

    faust declares them itself while starting, but its group leader may assign partitions from
    metadata fetched before they existed: it then logs "Ignoring missing topic" for the changelog,
    leaves its partitions unassigned, and table recovery waits for them forever (seen with the
    `trust-scores` changelog of a new namespace on 8 partitions: the worker never consumed).
    Same partitions, compaction and replication as faust would give them.
    """
    configs = {"cleanup.policy": "compact"}
    names = [table.changelog_topic_name for table in app.tables.values()]
    deadline = time.monotonic() + CHANGELOG_SETUP_SECONDS
    while True:  # a broker that just died answers "not ready" until the clients drop it: try again
        try:
            for name in names:
                kafka_io.create_topic(settings, name, settings.topic_partitions, configs)
            kafka_io.wait_until_known(settings, names)
            return
        except ServiceUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def refuse_old_linking_state(existing: set[str], app_id: str) -> None:
    """Refuse to link over a generation whose blocks are stored in schema 1.

    Schema 1 kept a block as one value in the `blocks` table; schema 2 keeps it in parts in
    `block-state` (agents/block_store.py). A worker of schema 2 started on a generation that
    linked under schema 1 would find no block and give every known person a new researcher, so it
    stops with the way forward instead: a relink into a new generation."""
    old, new = f"{app_id}-blocks-changelog", f"{app_id}-{BLOCK_STATE_TABLE}-changelog"
    if old in existing and new not in existing:
        raise ConfigError(
            f"this generation's linking state is in the schema 1 changelog {old}, which this worker does not read; "
            "relink into a new generation with `scholarstream rebuild --from-stage link` (docs/operations.md)"
        )


def run_worker(settings: Settings) -> None:
    kafka_io.through_failover(lambda: kafka_io.ensure_topics(settings, TOPICS))
    encoder = field_model = None
    if "enrich" in settings.stages:  # a linking-only worker (a rebuild from `link`) needs no model
        # numpy's matrix products here are small (a chunk's topics and keyphrases); with BLAS threads
        # of their own they only fight the encoder's threads for the cores and spin while waiting.
        threadpool_limits(1, user_api="blas")
        encoder = load_encoder(settings)  # fails here, once, with a clear error; never per message
        field_model = load_field_model(model_path_for(encoder.name, settings.data_dir), encoder=encoder.name)
        # After a rebuild from `link`, continue the enrich stage where the replaced generation left it.
        kafka_io.through_failover(
            lambda: take_over(settings, WORKER_GROUP, PAPERS_RAW.name, changelogs=("-enriched-versions-changelog",))
        )
    app = create_app(settings, encoder, field_model)
    if "link" in settings.stages:
        refuse_old_linking_state(kafka_io.through_failover(lambda: kafka_io.existing_topics(settings)), app.conf.id)
    run_app(settings, app)


def run_app(settings: Settings, app: faust.App) -> None:
    """Run a worker's faust app until it stops: its changelogs made first, the collector as the
    worker sets it (stream_processors/collector.py). `bench.faust_floor` runs its app through this too."""
    create_changelogs(settings, app)
    collector.WATCH.install()
    if settings.worker_gc_full_seconds > 0:
        passes = collector.FullPasses(settings.worker_gc_whole_every)

        async def full_gc_pass() -> None:
            """The worker's full garbage-collection pass, on its timer (stream_processors/collector.py)."""
            passes()

        app.timer(settings.worker_gc_full_seconds, name="full-gc-pass")(full_gc_pass)
        # the models and the app are loaded: frozen, walked again only by a whole pass
        collector.time_full_passes(settings.worker_gc_young_threshold)
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), quiet=True)
    worker.execute_from_commandline()
