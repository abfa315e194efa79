"""The faust app: its topics and its agents, built from settings with the encoder passed in.

One app per worker process. The app id is the consumer group, so two workers with the same
settings share the raw topic's partitions, and a test's prefix gives it a group of its own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import faust

from clients import kafka_io
from clients.partitioning import prefix_partitioner
from encoders.base import Encoder
from foundation.settings import Settings
from foundation.signal_keys import signal_keys
from schemas.topics import (
    ENRICH_DLQ,
    LINK_DLQ,
    MERGE_REVIEWS,
    MERGES_DLQ,
    PAPERS_ENRICHED,
    PAPERS_RAW,
    RESEARCHER_AUTHORSHIPS,
    RESEARCHER_MENTIONS,
    RESEARCHER_MERGE_MOVES,
    RESEARCHER_MERGES,
    RESEARCHER_PROFILE_WORKS,
    RESEARCHER_PROFILES,
    RESEARCHER_SIGNALS,
    RESEARCHER_WORKS,
    SIGNAL_OUTCOMES,
    SIGNALS_DLQ,
    TRUST_CHANGES,
    TopicSpec,
)
from stream_processors.agents import (
    AssembleAgent,
    DeadLetters,
    EnrichAgent,
    LinkAgent,
    LinkingState,
    MergeMovesAgent,
    MergesAgent,
    ProfilesAgent,
    RouteAgent,
    SignalsAgent,
)
from stream_processors.agents.parked_signals import ParkedSignals
from stream_processors.agents.state import profile_cache
from stream_processors.direct_topic import DirectTopic
from stream_processors.linking.policy import policy_named
from stream_processors.producer_flush import flush_completely
from stream_processors.published_table import PublishedTable
from stream_processors.signal_voids import RefreshingVoids, read_voids
from stream_processors.table_recovery import SafeSeekTableManager
from stream_processors.table_store import store_url
from stream_processors.topic_model.fields import FieldTopicModel
from stream_processors.worker_report import install as install_worker_report

if TYPE_CHECKING:
    from faust.transport.consumer import Consumer
    from faust.types import TP
    from faust.types.tables import GlobalTableT, TableT

log = logging.getLogger(__name__)

WORKER_GROUP = "scholarstream-worker"
TRUST_SCORES_TABLE = "trust-scores"
# Schema 2 of the linking state, in parts: a block (agents/block_store.py; was "blocks") and a
# paper's linked lines (agents/paper_store.py; was "paper-authors").
BLOCK_STATE_TABLE = "block-state"
PAPER_LINES_TABLE = "paper-authorships"
# The hot linking agents (route, link, assemble, profiles) take events in batches and wait for
# Kafka's acknowledgements once per batch, not once per event: a round trip per record was the bound.
BATCH = 200
BATCH_WITHIN_SECONDS = 0.1
EXIT_UNACKNOWLEDGED = 70  # the worker stopped with a batch it must not acknowledge
# The topics the worker's group consumes, in pipeline order (`scholarstream run` waits on all).
WORKER_INPUTS_BY_STAGE = {
    "enrich": (PAPERS_RAW,),
    "link": (
        PAPERS_ENRICHED, RESEARCHER_MENTIONS, RESEARCHER_AUTHORSHIPS, RESEARCHER_WORKS, RESEARCHER_SIGNALS,
        RESEARCHER_MERGES, RESEARCHER_MERGE_MOVES,
    ),
}
WORKER_INPUTS = tuple(spec for inputs in WORKER_INPUTS_BY_STAGE.values() for spec in inputs)


def worker_inputs(settings: Settings) -> tuple:
    """The topics this worker's group consumes, for the stages it runs (SCHOLARSTREAM_WORKER_STAGES)."""
    return tuple(spec for stage in settings.stages for spec in WORKER_INPUTS_BY_STAGE[stage])


class BatchHandler(Protocol):
    """What every linking agent is: `handle(events)` over a batch of faust events."""

    async def handle(self, events: Sequence[Any]) -> object: ...


def faust_broker_settings(settings: Settings) -> dict[str, Any]:
    """The faust (aiokafka) side of the connection settings that `kafka_io` gives kafka-python.

    faust hands `broker_credentials` to its consumer, its producer and the client that creates
    its changelog topics; SASL credentials with a TLS context make SASL_SSL, without one
    SASL_PLAINTEXT, and TLS alone is `SSLCredentials`.
    """
    servers = ";".join(f"kafka://{server.strip()}" for server in settings.kafka_bootstrap_servers.split(","))
    config: dict[str, Any] = {"broker": servers}  # keyword options of faust.App, whose types vary by key
    context = kafka_io.ssl_context(settings)
    password = settings.kafka_sasl_password
    if settings.kafka_security_protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        config["broker_credentials"] = faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=password.get_secret_value() if password is not None else None,
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=context,
        )
    elif context is not None:
        config["broker_credentials"] = faust.SSLCredentials(context)
    return config


def hold_flow_until_sought(app: faust.App) -> None:
    """Deliver no source record between table recovery and the seek to the committed offsets.

    faust 0.15.3 resumes the source partitions at the end of table recovery and only then awaits
    `perform_seek()`, while the fetcher it started to read the changelogs (whenever there is state
    to recover, i.e. on every restart) keeps fetching. Records fetched in that window reach the
    agents and are acked (and may be committed) before the seek resets the consumer's read
    offsets to the committed ones; the drain loop, still walking the batch it fetched, then takes
    the distance to the reset read offset for a gap (offsets that may be committed unprocessed,
    as after compaction), the records still queued are cleared when the flow resumes, and their
    re-fetched copies fall below the read offset and are dropped. Those records are skipped:
    committed over (lost) when later records follow, or never committed when they were a
    partition's tail (an idle worker with lag). faust sends `on_rebalance_complete` just before
    that resume and resumes the flow itself after the seek, so stopping the flow here closes the
    window; a fetch already under way when it closes is discarded and sought back by faust.
    """

    @app.on_partitions_assigned.connect
    async def _before_recovery(sender: faust.App, /, *args: object, **kwargs: object) -> None:  # noqa: ARG001
        seek_uncommitted_to_earliest(sender)

    @app.on_rebalance_complete.connect
    async def _stop_flow_until_the_seek(sender: faust.App, /, *args: object, **kwargs: object) -> None:  # noqa: ARG001
        seek_uncommitted_to_earliest(sender)
        sender.consumer.stop_flow()


def seek_uncommitted_to_earliest(app: faust.App) -> None:
    """Make "seek to the committed offsets" send a partition nobody has committed back to its start.

    faust seeks every source partition to its committed offset after recovery, and again whenever
    its fetcher returns records while the flow is stopped (it discards them and seeks back).
    aiokafka's `seek_to_committed` skips a partition without a committed offset, so records
    fetched from such a partition in one of those windows are discarded and never fetched again:
    the worker goes idle with lag on a partition that was empty at its last commit (a restart
    that meets new signals, say). With `auto_offset_reset="earliest"`, "no commit" means "from
    the start", so that is where this seeks such a partition. Table changelogs are left alone:
    recovery positions those itself. Installed on the consumer instance once, on the first
    assignment, before recovery resumes any source partition.

    It also makes faust forget what it believed committed there. faust records an offset as
    committed even when the commit failed because the group had rebalanced meanwhile (0.15.3,
    `Consumer._commit_offsets`), and `perform_seek` only overwrites that belief with the offsets
    the broker does hold. A worker that finished a batch after its partitions were revoked (a long
    batch under a rebalance) and was later given them back therefore re-read them from the start
    but acknowledged nothing below that stale offset: the partition was never committed and the
    pipeline never caught up (found by the cluster test that kills a worker under load).
    """
    consumer = cast("Consumer", app.consumer)  # faust's Consumer: `ConsumerT` does not declare seek_to_committed
    if getattr(consumer, "_scholarstream_seeks_uncommitted", False):
        return
    seek_to_committed = consumer.seek_to_committed

    async def seek_to_committed_or_earliest() -> Mapping[TP, int]:
        committed = await seek_to_committed()
        changelogs = app.tables.changelog_topics
        for tp, offset in committed.items():
            if not offset and tp.topic not in changelogs:
                await consumer.seek(tp, 0)  # below the log start, the earliest reset applies
                forget_commit_bookkeeping(consumer, tp)
        return committed

    consumer.seek_to_committed = seek_to_committed_or_earliest  # type: ignore[method-assign]  # monkeypatch
    consumer._scholarstream_seeks_uncommitted = True  # type: ignore[attr-defined]  # marker


def forget_commit_bookkeeping(consumer: Any, tp: TP) -> None:
    """Drop faust's record of what it committed and acknowledged in `tp`: it starts afresh there."""
    for name in ("_committed_offset", "_acked", "_acked_index", "_gap"):
        getattr(consumer, name).pop(tp, None)


def producer_settings(settings: Settings) -> dict[str, Any]:
    """How the worker's producer batches and compresses (faust.App options; docs/architecture.md)."""
    codec = settings.worker_producer_compression
    return {
        "producer_linger": settings.worker_producer_linger_ms / 1000,
        "producer_max_batch_size": settings.worker_producer_batch_bytes,
        "producer_compression_type": None if codec == "none" else codec,
    }


def consumer_settings(settings: Settings) -> dict[str, Any]:
    """How much one poll of the worker's consumer returns (faust.App options): bounded, so a
    backlog on one input topic cannot keep the next stage's input waiting (docs/performance.md 7c)."""
    return {"broker_max_poll_records": settings.worker_max_poll_records}


def worker_app(settings: Settings, group: str) -> tuple[faust.App, kafka_io.Replication]:
    """A faust app configured as the worker's (its broker, producer, consumer, store, partitioner
    and rebalance settings), with no agent yet, and the replication its tables' changelogs get.
    `bench.faust_floor` measures what moving records costs through exactly this app."""
    datadir = Path(settings.data_dir) / "faust" / settings.group(group)
    datadir.mkdir(parents=True, exist_ok=True)
    # faust creates its table changelogs with `topic_replication_factor` (its default: 1) and each
    # table's `extra_topic_configs`: both from the same resolution as the registry's topics. Asked
    # through a failover like every start-up step: a broker killed while the worker loads its model
    # answers "node not ready" here (found by the broker test of a CI rehearsal: the worker exited).
    replication = kafka_io.through_failover(lambda: kafka_io.replication_for(settings))
    app = faust.App(
        settings.group(group),
        **faust_broker_settings(settings),
        datadir=str(datadir),
        store=store_url(settings.table_store, settings.table_cache_mib),
        key_serializer="raw",
        value_serializer="raw",
        web_enabled=False,
        topic_allow_declare=True,  # faust creates its table changelogs; our topics come from the registry
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        **producer_settings(settings),
        topic_replication_factor=replication.factor,
        broker_commit_interval=settings.worker_commit_interval,
        **consumer_settings(settings),
        # Rebalances (docs/operations.md, "Several workers"). The event loop never blocks for long
        # (forward passes run on an executor), so heartbeats keep going under load and a worker is
        # dropped only when it is gone; a standby copy of each table partition on another worker
        # makes the take-over a short catch-up instead of a replay of the whole changelog.
        broker_session_timeout=settings.worker_session_timeout,
        broker_heartbeat_interval=settings.worker_heartbeat_interval,
        broker_rebalance_timeout=settings.worker_rebalance_timeout,
        table_standby_replicas=settings.table_standby_replicas,
        # Kafka's default partitioner, except that a compound key (a block's parts) lands where its
        # prefix does: the block's mentions' partition (clients/partitioning.py).
        producer_partitioner=prefix_partitioner,
        TableManager=SafeSeekTableManager,  # a rebalance during recovery must not crash the worker
    )
    return app, replication


def create_app(settings: Settings, encoder: Encoder | None, field_model: FieldTopicModel | None) -> faust.App:
    app, replication = worker_app(settings, WORKER_GROUP)
    changelog_configs = replication.topic_configs()

    def raw_topic(name: str) -> faust.TopicT:
        return app.topic(settings.topic(name), key_type=bytes, value_type=bytes)

    def sink(name: str) -> DirectTopic:  # an output: sent to through the producer (direct_topic.py)
        return DirectTopic(app, settings.topic(name))

    if "enrich" in settings.stages:
        if encoder is None or field_model is None:
            raise ValueError("the enrich stage needs an encoder and a field-topic model")
        _register_enrich(app, settings, encoder, field_model, raw_topic, sink, changelog_configs)
    if "link" in settings.stages:
        _register_linking(app, settings, raw_topic, sink, changelog_configs)
    hold_flow_until_sought(app)
    flush_completely(app.producer.buffer)  # a commit waits for every table write (producer_flush.py)
    install_worker_report(app, Path(settings.data_dir))
    return app


def _register_enrich(
    app: faust.App, settings: Settings, encoder: Encoder, field_model: FieldTopicModel, raw_topic,
    sink: Callable[[str], DirectTopic], changelog_configs: Mapping[str, str],
) -> None:
    papers_raw = raw_topic(PAPERS_RAW.name)
    # Keyed like the raw topic and written through the producer's partitioner, so each key's
    # changelog partition is its source partition even when a whole batch is written at once.
    # Values are the version as ASCII digits: the app's serializers are raw bytes throughout.
    versions = app.Table(
        "enriched-versions", default=None, partitions=settings.topic_partitions,
        key_type=bytes, value_type=bytes, use_partitioner=True, extra_topic_configs=changelog_configs,
    )
    enrich = EnrichAgent(
        encoder=encoder,
        field_model=field_model,
        versions=versions,
        enriched=sink(PAPERS_ENRICHED.name),
        dead_letters=sink(ENRICH_DLQ.name),
        source_topic=settings.topic(PAPERS_RAW.name),
        executor=ThreadPoolExecutor(max_workers=1, thread_name_prefix="encoder"),
        chunk=settings.encoder_batch_size,
    )

    @app.agent(papers_raw, name="enrich")
    async def enrich_papers(stream: faust.StreamT) -> None:
        async for events in cast(faust.Stream, stream).take_events(settings.enrich_take_max, within=settings.batch_within_seconds):
            await enrich.handle(events, asyncio.get_running_loop())


def _table(app: faust.App, name: str, settings: Settings, changelog_configs: Mapping[str, str],
           changelog: faust.TopicT | None = None) -> TableT:
    """A bytes table written through the producer's partitioner; `changelog`: a topic of the
    registry that is its changelog instead of one faust makes (see `PublishedTable`)."""
    return app.Table(name, default=None, partitions=settings.topic_partitions, key_type=bytes, value_type=bytes,
                     use_partitioner=True, extra_topic_configs=changelog_configs, changelog_topic=changelog)


def _scores_table(app: faust.App, settings: Settings, changelog_configs: Mapping[str, str]) -> GlobalTableT:
    """researcher id -> current score (or a redirect), whole on every worker.

    Partitioned like the profile topics and written through the producer's partitioner, so a
    researcher id's entry lands on the partition its profile events use (the batched profile
    agent writes after a batch is acknowledged, when there is no current event to take it from). A
    recovery buffer of one makes faust keep reading every changelog partition after recovery, so
    each worker applies the others' writes as they come. (With one partition written through the
    partitioner, a restarted worker stopped consuming its input topics once the changelog held
    about 160 records: see docs/architecture.md.)
    """
    return app.GlobalTable(TRUST_SCORES_TABLE, default=None, partitions=settings.topic_partitions,
                           key_type=bytes, value_type=bytes, recovery_buffer_size=1, use_partitioner=True,
                           extra_topic_configs=changelog_configs)


def _register_linking(
    app: faust.App, settings: Settings, raw_topic: Callable[[str], faust.TopicT], sink: Callable[[str], DirectTopic],
    changelog_configs: Mapping[str, str],
) -> None:
    """The seven linking and profile agents (stream_processors/agents/), each a thin loop over its handler."""
    # The profiles table's changelog is `researcher.profiles` itself, the profile-works table's
    # `researcher.profile.works` (published_table.py). Read only by the tables' recovery and
    # standbys, so not acked, like faust's own changelogs. Declared (if faust gets there first)
    # exactly as the registry creates them.
    def published(spec: TopicSpec) -> faust.TopicT:
        return app.topic(settings.topic(spec.name), key_type=bytes, value_type=bytes, acks=False,
                         partitions=spec.partitions or settings.topic_partitions,
                         config={**changelog_configs, **spec.kafka_config()})

    state = LinkingState(
        blocks=_table(app, BLOCK_STATE_TABLE, settings, changelog_configs),
        paper_authors=_table(app, PAPER_LINES_TABLE, settings, changelog_configs),
        profiles=PublishedTable(_table(app, "profiles", settings, changelog_configs, changelog=published(RESEARCHER_PROFILES))),
        scores=_scores_table(app, settings, changelog_configs),
        profiles_topic=sink(RESEARCHER_PROFILES.name),
        trust_changes=sink(TRUST_CHANGES.name),
        works=sink(RESEARCHER_WORKS.name),
        merges=sink(RESEARCHER_MERGES.name),
        moves=sink(RESEARCHER_MERGE_MOVES.name),
        profile_works=PublishedTable(_table(app, "profile-works", settings, changelog_configs,
                                            changelog=published(RESEARCHER_PROFILE_WORKS))),
        profile_works_topic=sink(RESEARCHER_PROFILE_WORKS.name),
        parked=ParkedSignals(_table(app, "parked-signals", settings, changelog_configs), sink(RESEARCHER_SIGNALS.name)),
        profile_cache=profile_cache(settings.profile_cache_mib * 2**20),
    )
    link_dlq, signals_dlq, merges_dlq = sink(LINK_DLQ.name), sink(SIGNALS_DLQ.name), sink(MERGES_DLQ.name)
    reviews = sink(MERGE_REVIEWS.name)

    def letters(topic: DirectTopic, stage, source) -> DeadLetters:
        return DeadLetters(topic, stage, settings.topic(source.name))

    # The operators' voids, read whole before the first signal (a rebuild must never apply one a
    # void covers), then again every few seconds (stream_processors/signal_voids.py).
    keys = signal_keys(settings)
    voids = RefreshingVoids(lambda: read_voids(settings, keys), settings.signal_voids_refresh_seconds)
    voids.current = kafka_io.through_failover(voids.load)
    voids.loaded_at = voids.clock()

    handlers: list[tuple[TopicSpec, str, bool, BatchHandler]] = [
        (PAPERS_ENRICHED, "route-mentions", True,
         RouteAgent(sink(RESEARCHER_MENTIONS.name), letters(link_dlq, "link", PAPERS_ENRICHED))),
        (RESEARCHER_MENTIONS, "link", True,
         LinkAgent(state, sink(RESEARCHER_AUTHORSHIPS.name), letters(link_dlq, "link", RESEARCHER_MENTIONS),
                   policy_named(settings.linker, settings.encoder_model))),
        (RESEARCHER_AUTHORSHIPS, "assemble-works", True,
         AssembleAgent(state, letters(link_dlq, "link", RESEARCHER_AUTHORSHIPS))),
        (RESEARCHER_WORKS, "profiles", True, ProfilesAgent(state, letters(link_dlq, "profile", RESEARCHER_WORKS))),
        (RESEARCHER_SIGNALS, "signals", False,
         SignalsAgent(state, sink(RESEARCHER_SIGNALS.name), letters(signals_dlq, "profile", RESEARCHER_SIGNALS),
                      keys, voids, sink(SIGNAL_OUTCOMES.name))),
        (RESEARCHER_MERGES, "merges", False, MergesAgent(state, letters(merges_dlq, "profile", RESEARCHER_MERGES), reviews)),
        (RESEARCHER_MERGE_MOVES, "merge-moves", False,
         MergeMovesAgent(state, letters(merges_dlq, "profile", RESEARCHER_MERGE_MOVES), reviews)),
    ]
    for spec, name, batched, handler in handlers:
        run_agent(app, raw_topic(spec.name), name, handler.handle, batched)


def run_agent(
    app: faust.App, topic: faust.TopicT, name: str, handle: Callable[[Sequence[Any]], Awaitable[object]], batched: bool
) -> None:
    """Register `handle` as agent `name`: batches via `take_events`, or one event at a time.

    A handler dead-letters what one event raises; what still escapes it (its dead letters could
    not be delivered: Kafka gone) ends the process here, inside the loop body, before faust's
    `take_events` acknowledges the batch in its `finally`, so no offset of the batch is committed
    and a restarted worker reads it again (stream_processors/agents/boundary.py).
    """

    async def loop(stream: faust.StreamT) -> None:
        batches = cast(faust.Stream, stream).take_events(BATCH, within=BATCH_WITHIN_SECONDS) if batched else _one_by_one(stream)
        async for events in batches:
            try:
                await handle(events)
            except Exception as error:  # noqa: BLE001 - anything that escapes the handler stops the worker unacknowledged
                _stop_unacknowledged(name, error)

    app.agent(topic, name=name)(loop)


async def _one_by_one(stream: faust.StreamT):
    async for event in stream.events():
        yield [event]


def _stop_unacknowledged(agent: str, error: BaseException) -> None:
    log.critical("agent %s: %s: %s; stopping the worker without acknowledging the batch (a restart re-reads it)",
                 agent, type(error).__name__, error, exc_info=error)
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stderr.flush()
    os._exit(EXIT_UNACKNOWLEDGED)
