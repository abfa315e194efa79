"""Kafka clients built from settings, with Kafka's errors translated at this boundary.

Producers and admin calls use kafka-python; the faust worker has its own (aiokafka) clients and
takes the same addresses, TLS context and SASL credentials from `faust_broker_settings`.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ConfigResource,
    ConfigResourceType,
    NewTopic,
    ResourcePattern,
    ResourceType,
)
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import (
    AuthorizationError,
    CoordinatorNotAvailableError,
    KafkaConfigurationError,
    KafkaError,
    NoBrokersAvailable,
    TopicAlreadyExistsError,
)
from kafka.structs import OffsetAndMetadata

from foundation.errors import ConfigError, NotAuthorized, ScholarStreamError, ServiceUnavailable
from foundation.settings import Settings
from schemas.topics import TopicSpec


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context of every Kafka connection (kafka-python and the worker's aiokafka), or None
    without TLS: the server is verified against the CA file (else the system's trust store), with
    its host name unless KAFKA_SSL_CHECK_HOSTNAME=false, and a client certificate is presented
    when one is configured (mutual TLS)."""
    if settings.kafka_security_protocol not in ("SSL", "SASL_SSL"):
        return None
    cafile = settings.kafka_ssl_cafile
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(cafile) if cafile else None)
        context.check_hostname = settings.kafka_ssl_check_hostname
        if settings.kafka_ssl_certfile is not None:
            password = settings.kafka_ssl_key_password
            context.load_cert_chain(
                str(settings.kafka_ssl_certfile),
                str(settings.kafka_ssl_keyfile),
                password=password.get_secret_value() if password is not None else None,
            )
    except (OSError, ssl.SSLError) as error:  # the files' paths are named, never the key's password
        files = ", ".join(str(path) for path in (cafile, settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile) if path)
        raise ConfigError(f"cannot build the Kafka TLS context from {files or 'the system trust store'}: {error}") from error
    return context


def connection_config(settings: Settings) -> dict[str, Any]:
    """Arguments every kafka-python client needs: address and, when configured, TLS/SASL."""
    config: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers.split(","),
        "security_protocol": settings.kafka_security_protocol,
    }
    context = ssl_context(settings)
    if context is not None:
        config["ssl_context"] = context  # kafka-python then ignores its own ssl_* options
    if settings.kafka_sasl_mechanism:
        # kafka-python takes SCRAM credentials under the same two names as PLAIN ones.
        config["sasl_mechanism"] = settings.kafka_sasl_mechanism
        config["sasl_plain_username"] = settings.kafka_sasl_username
        if settings.kafka_sasl_password is not None:
            config["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return config


def unavailable(settings: Settings, error: KafkaError | None = None) -> ServiceUnavailable | NotAuthorized:
    """Kafka's error as ours: refused by the cluster's ACLs (no retry helps), or not reachable."""
    if isinstance(error, AuthorizationError):
        who = f"principal User:{settings.kafka_sasl_username}" if settings.kafka_sasl_username else "this client"
        return NotAuthorized(f"Kafka refused {who}: {type(error).__name__} ({error}). The cluster's ACLs do not "
                             "allow it; see docs/operations.md, \"Secured clusters\".")
    if settings.kafka_security_protocol != "PLAINTEXT":
        # kafka-python reports refused credentials as a failed version probe, so say where to look.
        hint = "Check KAFKA_BOOTSTRAP_SERVERS and the security settings (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_*)."
    elif settings.kafka_is_default:
        hint = "Start the local stack with `scholarstream stack up`."
    else:
        hint = "Check KAFKA_BOOTSTRAP_SERVERS."
    if error is not None and not isinstance(error, NoBrokersAvailable):
        hint = f"{hint} ({type(error).__name__}: {error})"
    return ServiceUnavailable("Kafka", settings.kafka_bootstrap_servers, hint)


def _open(settings: Settings, client: Callable[..., Any], *topics: str, **config: Any) -> Any:
    """A kafka-python client, which connects as it is built: its failures become ours here."""
    try:
        return client(*topics, **config)
    except KafkaConfigurationError as error:
        raise ConfigError(f"Kafka client configuration: {error}") from error
    except KafkaError as error:
        raise unavailable(settings, error) from error


T = TypeVar("T")
FAILOVER_SECONDS = 120.0


def through_failover(step: Callable[[], T], seconds: float = FAILOVER_SECONDS, pause: float = 2.0) -> T:
    """Run a start-up step again while the cluster answers but one of its brokers does not.

    A broker that has just died stays in the clients' metadata until the others notice: a process
    starting then (a worker, the indexer) is told "node not ready" or a leader is missing, errors
    Kafka marks retriable. Those are retried for `seconds`; a cluster that does not answer at all
    (no broker reachable) and every other error are reported at once, as before.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            return step()
        except ServiceUnavailable as error:
            cause = error.__cause__
            passing = isinstance(cause, KafkaError) and cause.retriable and not isinstance(cause, NoBrokersAvailable)
            if not passing or time.monotonic() > deadline:
                raise
            time.sleep(pause)


def producer(settings: Settings, **overrides: Any) -> KafkaProducer:
    """An idempotent producer that waits for all in-sync replicas: an accepted record is never lost."""
    config = {
        **connection_config(settings),
        "acks": "all",
        "enable_idempotence": True,
        "retries": 2**31 - 1,
        "delivery_timeout_ms": 120_000,
        "linger_ms": 20,
        "batch_size": 256 * 1024,
        "compression_type": "gzip",
        **overrides,
    }
    return _open(settings, KafkaProducer, **config)


def send_one(settings: Settings, topic: str, key: bytes, value: bytes, timeout: float = 60.0) -> None:
    """Write one record and wait for Kafka's acknowledgement (acks=all); Kafka's errors as ours."""
    writer = producer(settings)
    try:
        writer.send(topic, key=key, value=value).get(timeout=timeout)
    except KafkaError as error:
        raise unavailable(settings, error) from error
    finally:
        writer.close()


def consumer(settings: Settings, *topics: str, **overrides: Any) -> KafkaConsumer:
    """A consumer; without a group it is a probe (offsets, reading a topic), whose requests give up
    after 15 s instead of kafka-python's 305 s, so a dead broker is reported rather than waited on."""
    probe_defaults = {} if "group_id" in overrides else {"request_timeout_ms": 15_000}
    config = {**connection_config(settings), "enable_auto_commit": False, **probe_defaults, **overrides}
    return _open(settings, KafkaConsumer, *topics, **config)


def admin(settings: Settings) -> KafkaAdminClient:
    return _open(settings, KafkaAdminClient, **connection_config(settings), request_timeout_ms=15_000)


DEFAULT_REPLICATION_FACTOR = 3
MIN_INSYNC_REPLICAS = "min.insync.replicas"


@dataclass(frozen=True)
class Replication:
    """How many copies every topic the project creates gets, resolved against the live cluster."""

    factor: int
    min_insync_replicas: int
    brokers: int
    factor_from_setting: bool = False  # SCHOLARSTREAM_REPLICATION_FACTOR named it (else the default)

    @property
    def attainable(self) -> bool:
        """Whether the cluster has enough brokers to create topics with this factor."""
        return self.factor <= self.brokers

    def topic_configs(self) -> dict[str, str]:
        """Topic configs of every created topic (faust's changelogs too)."""
        return {MIN_INSYNC_REPLICAS: str(self.min_insync_replicas)}

    def as_dict(self) -> dict[str, Any]:
        return {
            "replication_factor": self.factor,
            "min_insync_replicas": self.min_insync_replicas,
            "brokers": self.brokers,
            "replication_factor_from": "SCHOLARSTREAM_REPLICATION_FACTOR" if self.factor_from_setting else "default",
        }


def decide_replication(factor: int | None, min_insync_replicas: int | None, brokers: int) -> Replication:
    """The replication of new topics: the configured factor, else 3 capped by the broker count (a
    one-broker development stack gets 1); min.insync.replicas as configured, else the factor less
    one (one broker may be down and acks=all writes still succeed), never below 1 nor above the
    factor. A configured factor is never capped: a cluster too small for it is refused where topics
    are created (`Replication.attainable`), not quietly given fewer copies."""
    chosen = factor if factor is not None else max(1, min(DEFAULT_REPLICATION_FACTOR, brokers))
    in_sync = min_insync_replicas if min_insync_replicas is not None else chosen - 1
    return Replication(chosen, max(1, min(in_sync, chosen)), brokers, factor_from_setting=factor is not None)


def broker_count(client: KafkaAdminClient) -> int:
    """Brokers alive in the cluster's metadata (a broker that is down is not counted)."""
    return len(client.describe_cluster()["brokers"])


def replication_for(settings: Settings, client: KafkaAdminClient | None = None) -> Replication:
    """`decide_replication` for the settings and the live cluster (through `client`, else a new one)."""
    own = client is None
    admin_client = admin(settings) if client is None else client
    try:
        brokers = broker_count(admin_client)
    except KafkaError as error:
        raise unavailable(settings, error) from error
    finally:
        if own:
            admin_client.close()
    return decide_replication(settings.replication_factor, settings.min_insync_replicas, brokers)


def _refuse_unattainable(replication: Replication, names: list[str]) -> None:
    if not replication.attainable:
        raise ConfigError(
            f"SCHOLARSTREAM_REPLICATION_FACTOR={replication.factor} but the cluster has {replication.brokers} "
            f"broker(s) alive: {len(names)} topic(s) not created ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''}). "
            "Add brokers (or bring them back), or lower SCHOLARSTREAM_REPLICATION_FACTOR."
        )


def _create(client: KafkaAdminClient, topics: list[NewTopic]) -> list[str]:
    created = []
    for topic in topics:
        try:
            client.create_topics([topic])
            created.append(topic.name)
        except TopicAlreadyExistsError:
            pass  # another process won the race; the topic is what we wanted
    return created


def ensure_topics(settings: Settings, specs: Iterable[TopicSpec]) -> list[str]:
    """Create the registry's topics that do not exist yet, with the resolved replication factor and
    min.insync.replicas (`replication_for`); returns the names created. Existing topics are left as
    they are: `check_topics` reports those below the configured replication."""
    client = admin(settings)
    try:
        existing = set(client.list_topics())
        missing = [spec for spec in specs if settings.topic(spec.name) not in existing]
        if not missing:
            return []
        replication = replication_for(settings, client)
        _refuse_unattainable(replication, [settings.topic(spec.name) for spec in missing])
        wanted = [
            NewTopic(
                name=settings.topic(spec.name),
                num_partitions=spec.partitions or settings.topic_partitions,
                replication_factor=replication.factor,
                topic_configs={**replication.topic_configs(), **spec.kafka_config()},
            )
            for spec in missing
        ]
        return _create(client, wanted)
    except KafkaError as error:
        raise unavailable(settings, error) from error
    finally:
        client.close()


def create_topic(settings: Settings, name: str, partitions: int, configs: Mapping[str, str]) -> bool:
    """Create one topic outside the registry (a hand-over's changelog copy) with the same replication
    as the registry's; False when it exists already."""
    client = admin(settings)
    try:
        replication = replication_for(settings, client)
        _refuse_unattainable(replication, [name])
        topic = NewTopic(name, partitions, replication.factor, topic_configs={**replication.topic_configs(), **configs})
        return bool(_create(client, [topic]))
    except KafkaError as error:
        raise unavailable(settings) from error
    finally:
        client.close()


def wait_until_known(settings: Settings, names: Iterable[str], timeout: float = 30.0) -> None:
    """Block until a fresh client's metadata lists each topic's partitions.

    A consumer group's assignment only covers topics its leader's metadata knows: one created a
    moment before may still be missing there, and faust then leaves it unassigned.
    """
    wanted = sorted(set(names))
    probe = consumer(settings)
    try:
        deadline = time.monotonic() + timeout
        while True:
            missing = [name for name in wanted if not probe.partitions_for_topic(name)]
            if not missing:
                return
            if time.monotonic() > deadline:
                raise ServiceUnavailable("Kafka", settings.kafka_bootstrap_servers,
                                         f"topics not in the cluster's metadata after {timeout:.0f} s: {', '.join(missing)}")
            time.sleep(0.2)  # an unknown topic makes the next call fetch the whole metadata again
    finally:
        probe.close()


# What to do about a topic below the configured replication: `scholarstream setup` prints it.
UNDER_REPLICATED_ADVICE = (
    "Existing topics are never changed by setup. Raise a topic's replication factor in place with "
    "kafka-reassign-partitions.sh (a plan listing SCHOLARSTREAM_REPLICATION_FACTOR brokers per partition; "
    "the data is kept), and its min.insync.replicas with `kafka-configs.sh --alter --entity-type topics "
    "--entity-name TOPIC --add-config min.insync.replicas=N`. A derived topic can instead be rebuilt "
    "(`scholarstream rebuild`); never delete a source topic (arxiv.papers.raw, researcher.signals). "
    "See docs/operations.md, \"Durable topics\"."
)


@dataclass(frozen=True)
class TopicDurability:
    """One existing topic's partitions and copies, and what falls short of the configured replication."""

    topic: str
    partitions: int
    replication_factor: int  # the smallest over its partitions
    min_insync_replicas: int | None  # None when the broker would not describe the topic's configs
    smallest_isr: int  # in-sync replicas of its worst partition right now (a broker down shows here)
    problems: tuple[str, ...] = ()  # below the configured replication: setup fails on these
    notes: tuple[str, ...] = ()  # worth knowing, not a failure

    @property
    def under_replicated(self) -> bool:
        return bool(self.problems)

    def as_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic, "partitions": self.partitions, "replication_factor": self.replication_factor,
            "min_insync_replicas": self.min_insync_replicas, "smallest_isr": self.smallest_isr,
            "under_replicated": self.under_replicated, "problems": list(self.problems), "notes": list(self.notes),
        }


def topic_durability(
    described: Mapping[str, Any], configs: Mapping[str, str] | None, wanted: Replication, expected_partitions: int | None = None,
) -> TopicDurability:
    """Judge one topic from `describe_topics` (`described`) and its described configs (None when
    unknown) against the configured replication."""
    partitions = described.get("partitions") or []
    factor = min((len(p["replicas"]) for p in partitions), default=0)
    smallest_isr = min((len(p["isr"]) for p in partitions), default=0)
    raw_isr = (configs or {}).get(MIN_INSYNC_REPLICAS)
    min_isr = int(raw_isr) if raw_isr is not None and raw_isr.isdigit() else None
    problems, notes = [], []
    if factor < wanted.factor:
        problems.append(f"replication factor {factor} < {wanted.factor}")
    if min_isr is None:
        notes.append("min.insync.replicas unknown (describe_configs refused)")
    elif min_isr > factor:
        problems.append(f"min.insync.replicas {min_isr} > replication factor {factor}: every acks=all write fails")
    elif min_isr < wanted.min_insync_replicas:
        problems.append(f"min.insync.replicas {min_isr} < {wanted.min_insync_replicas}")
    if expected_partitions is not None and len(partitions) != expected_partitions:
        notes.append(f"{len(partitions)} partitions, {expected_partitions} configured (kept: changing it moves keys)")
    if partitions and smallest_isr < factor:
        notes.append(f"a partition has {smallest_isr} of {factor} replicas in sync now")
    return TopicDurability(described["topic"], len(partitions), factor, min_isr, smallest_isr, tuple(problems), tuple(notes))


@dataclass(frozen=True)
class DurabilityReport:
    replication: Replication
    topics: tuple[TopicDurability, ...]
    missing: tuple[str, ...]  # asked about, not in the cluster

    @property
    def under_replicated(self) -> tuple[TopicDurability, ...]:
        return tuple(topic for topic in self.topics if topic.under_replicated)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.replication.as_dict(),
            "topics": [topic.as_dict() for topic in self.topics],
            "under_replicated": [topic.topic for topic in self.under_replicated],
            "missing": list(self.missing),
        }


def check_topics(settings: Settings, expected: Mapping[str, int | None], client: KafkaAdminClient | None = None) -> DurabilityReport:
    """Describe the topics named in `expected` (name -> configured partitions, None for no
    expectation) that exist and judge each against the configured replication (`topic_durability`);
    for `setup` now, and `status` later."""
    own = client is None
    admin_client = admin(settings) if client is None else client
    try:
        wanted = replication_for(settings, admin_client)
        present = set(admin_client.list_topics())
        names = [name for name in expected if name in present]
        described = {topic["topic"]: topic for topic in admin_client.describe_topics(names)} if names else {}
        configs = _topic_configs(admin_client, names)
    except KafkaError as error:
        raise unavailable(settings, error) from error
    finally:
        if own:
            admin_client.close()
    topics = tuple(topic_durability(described[name], configs.get(name), wanted, expected[name]) for name in names if name in described)
    return DurabilityReport(wanted, topics, tuple(name for name in expected if name not in present))


def _topic_configs(client: KafkaAdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    """Topic -> its effective configs (broker defaults included); {} where describing is refused."""
    if not names:
        return {}
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    found: dict[str, dict[str, str]] = {}
    for response in client.describe_configs(resources):
        for error_code, _message, _type, name, entries in response.resources:
            if error_code == 0:
                found[name] = {entry[0]: entry[1] for entry in entries if entry[1] is not None}
    return found


def existing_topics(settings: Settings) -> set[str]:
    client = admin(settings)
    try:
        return set(client.list_topics())
    except KafkaError as error:  # translated, so `through_failover` can tell a retriable one
        raise unavailable(settings, error) from error
    finally:
        client.close()


def delete_topics(settings: Settings, names: Iterable[str]) -> None:
    client = admin(settings)
    try:
        present = set(client.list_topics())
        doomed = [name for name in names if name in present]
        if doomed:
            client.delete_topics(doomed)
    finally:
        client.close()


def end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    """Partition -> next offset to be written (the log end)."""
    probe = consumer(settings)
    try:
        partitions = probe.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        return {tp.partition: offset for tp, offset in probe.end_offsets(tps).items()}
    finally:
        probe.close()


def read_to_end(
    settings: Settings,
    topic: str,
    *,
    partitions: Iterable[int] | None = None,
    start: Mapping[int, int] | None = None,
    **consumer_overrides: Any,
) -> Iterator[ConsumerRecord]:
    """Every record of `topic` from the beginning (or from `start`'s offset for a partition it
    names) up to the end offsets read when the iteration begins: records written later are not
    read. Only `partitions` when given (those the topic lacks are skipped); a missing topic has no
    records. In offset order within a partition, partitions interleaved as the broker returns them.
    The consumer (with `consumer_overrides`, e.g. larger fetches) is closed when the iteration ends
    or is abandoned."""
    reader = consumer(settings, **consumer_overrides)
    try:
        yield from _read_to_end(reader, topic, partitions, start)
    except KafkaError as error:  # translated, so `through_failover` can tell a retriable one
        raise unavailable(settings, error) from error
    finally:
        reader.close()


def _read_to_end(
    reader: KafkaConsumer, topic: str, partitions: Iterable[int] | None, start: Mapping[int, int] | None
) -> Iterator[ConsumerRecord]:
    known = reader.partitions_for_topic(topic) or set()
    chosen = sorted(known if partitions is None else set(partitions) & known)
    tps = [TopicPartition(topic, p) for p in chosen]
    if not tps:
        return
    ends = reader.end_offsets(tps)
    reader.assign(tps)
    for tp in tps:
        if start and tp.partition in start:
            reader.seek(tp, start[tp.partition])
        else:
            reader.seek_to_beginning(tp)
    while any(reader.position(tp) < ends[tp] for tp in tps):
        for tp, records in reader.poll(timeout_ms=1000).items():
            for record in records:
                if record.offset < ends[tp]:
                    yield record


def copy_records(settings: Settings, topic_in: str, topic_out: str, **producer_overrides: Any) -> int:
    """Every record of `topic_in` (up to its end when called) into the same partition of
    `topic_out`, which must have at least as many partitions; returns how many were copied."""
    writer = producer(settings, **producer_overrides)
    copied = 0
    try:
        for record in read_to_end(settings, topic_in, max_poll_records=5_000, fetch_max_bytes=64 * 1024 * 1024):
            writer.send(topic_out, key=record.key, value=record.value, partition=record.partition)
            copied += 1
        writer.flush()
    finally:
        writer.close()
    return copied


def commit_offsets(settings: Settings, group: str, topic: str, offsets: Mapping[int, int]) -> None:
    """Commit `offsets` (partition -> the next offset to read) as `group`'s position on `topic`,
    through a consumer of the group that reads nothing. The group must have no active members, or
    their next commit undoes this one."""
    if not offsets:
        return
    committer = consumer(settings, group_id=group)
    try:
        committer.commit({TopicPartition(topic, p): OffsetAndMetadata(o, "", -1) for p, o in offsets.items()})
    finally:
        committer.close()


def group_positions(settings: Settings, group: str, topic: str) -> dict[int, int]:
    """Partition -> the offset `group` has committed on `topic`; partitions without a commit (and
    a topic that does not exist) are left out, so a group that never committed gives {}."""
    partitions = end_offsets(settings, topic)
    if not partitions:
        return {}
    client = admin(settings)
    try:
        found = committed_offsets(client, group, [TopicPartition(topic, p) for p in partitions])
    finally:
        client.close()
    return {tp.partition: meta.offset for tp, meta in found.items() if meta is not None and meta.offset >= 0}


def group_lag(settings: Settings, group: str, topic: str) -> dict[int, int]:
    """Partition -> records the group has not committed yet; no commit counts as all of the log."""
    with LagReader(settings) as reader:
        return reader.group_lag(group, topic)


class LagReader:
    """Lag readings over one consumer and one admin client, for callers that read it every second.

    `scholarstream run` polls the lag of nine (group, topic) pairs each second; opening two
    clients per pair (bootstrap, metadata, coordinator lookup) made the runner cost a tenth of a
    core. A failed reading drops the clients, so the next one reconnects (a broker restart).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._probe: KafkaConsumer | None = None
        self._admin: KafkaAdminClient | None = None

    def __enter__(self) -> LagReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for client in (self._probe, self._admin):
            if client is not None:
                client.close()
        self._probe = self._admin = None

    def group_lag(self, group: str, topic: str) -> dict[int, int]:
        try:
            return self._read(group, topic)
        except KafkaError as error:
            self.close()
            raise unavailable(self.settings) from error
        except BaseException:
            self.close()
            raise

    def _read(self, group: str, topic: str) -> dict[int, int]:
        if self._probe is None:
            self._probe = consumer(self.settings)
        if self._admin is None:
            self._admin = admin(self.settings)
        partitions = self._probe.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return {}
        ends = self._probe.end_offsets(tps)
        starts = self._probe.beginning_offsets(tps)
        committed = committed_offsets(self._admin, group, tps)
        lag = {}
        for tp in tps:
            meta = committed.get(tp)
            position = meta.offset if meta is not None and meta.offset >= 0 else starts[tp]
            lag[tp.partition] = max(0, ends[tp] - position)
        return lag


def committed_offsets(
    client: KafkaAdminClient, group: str, tps: list[TopicPartition], sleep: Callable[[float], None] = time.sleep
) -> dict:
    """A group's committed offsets, riding out the coordinator's start-up.

    On a new broker the offsets topic is created by the first group that asks, and for a few
    seconds the coordinator answers with retriable errors (not available, not coordinator, load
    in progress): those are retried. Before any group has ever committed, no coordinator at all
    means the same as no commits.
    """
    last: KafkaError | None = None
    for attempt in range(10):
        try:
            return client.list_consumer_group_offsets(group, partitions=tps)
        except KafkaError as error:
            if not getattr(error, "retriable", False):
                raise ScholarStreamError(f"cannot read the offsets of group {group!r}: {error}") from error
            last = error
            sleep(min(2.0, 0.2 * (attempt + 1)))
    if isinstance(last, CoordinatorNotAvailableError):
        return {}
    raise ScholarStreamError(f"cannot read the offsets of group {group!r}: {last}") from last


def _principals(setting: str, name: str) -> list[str]:
    principals = [item.strip() for item in setting.split(",") if item.strip()]
    bad = [p for p in principals if not p.startswith("User:") or len(p) == len("User:")]
    if bad:
        raise ConfigError(f"{name} takes Kafka principals such as User:webapp, comma-separated; not {', '.join(bad)}")
    return principals


def restrict_signals(settings: Settings, topic: str) -> list[str]:
    """Let only the configured principals write `topic` (researcher.signals) and read it.

    With SCHOLARSTREAM_KAFKA_SIGNAL_WRITERS set, the topic gets ACLs allowing WRITE (and DESCRIBE)
    to those principals and READ (and DESCRIBE) to SCHOLARSTREAM_KAFKA_SIGNAL_READERS: once a topic
    has ACLs, a principal none of them names is refused, also on a cluster that allows everything
    without an ACL. The worker sends signals back (re-keyed to a merge's survivor, parked ones), so
    its principal is in both lists unless it is a super user. Needs ALTER on the cluster (an admin
    or super user). Idempotent: Kafka keeps one copy of an ACL. Returns the ACLs as text.
    """
    writers = _principals(settings.kafka_signal_writers, "SCHOLARSTREAM_KAFKA_SIGNAL_WRITERS")
    readers = _principals(settings.kafka_signal_readers, "SCHOLARSTREAM_KAFKA_SIGNAL_READERS")
    if not writers:
        return []
    resource = ResourcePattern(ResourceType.TOPIC, topic, ACLResourcePatternType.LITERAL)
    wanted = [ACL(principal, "*", operation, ACLPermissionType.ALLOW, resource)
              for principals, operations in ((writers, (ACLOperation.WRITE, ACLOperation.DESCRIBE)),
                                             (readers, (ACLOperation.READ, ACLOperation.DESCRIBE)))
              for principal in principals for operation in operations]
    client = admin(settings)
    try:
        result = client.create_acls(wanted)
    except KafkaError as error:
        raise unavailable(settings, error) from error
    finally:
        client.close()
    failed = result.get("failed") or []
    if failed:
        raise unavailable(settings, failed[0][1]) if isinstance(failed[0][1], KafkaError) else ScholarStreamError(
            f"Kafka did not take the ACLs on {topic}: {failed}")
    return [f"{acl.principal} {acl.operation.name} {topic}" for acl in wanted]
