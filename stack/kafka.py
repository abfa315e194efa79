"""Kafka in KRaft mode: one process acting as broker and controller, or a cluster of such nodes.

The broker is started straight from the Maven-copied classpath with `kafka.Kafka`, not from
a distribution tarball, so its configuration files are written here rather than shipped.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import subprocess
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from foundation.errors import StackError
from foundation.settings import Settings

from .java import JavaRuntime
from .layout import StackPaths
from .nodes import KafkaNode
from .processes import Launch, port_answers

HOST = "127.0.0.1"
_JAR_VERSION = re.compile(r"^kafka_\d+\.\d+-(.+)\.jar$")


def controller_port(settings: Settings) -> int:
    return settings.kafka_port + 1


def render_server_properties(port: int, controller: int, data_dir: Path) -> str:
    """server.properties for a combined broker+controller with a static one-voter quorum.

    Replication settings are 1 because there is one broker; the initial rebalance delay is 0
    so consumer groups in tests start at once instead of waiting three seconds.
    """
    lines = [
        "# Written by `scholarstream stack up`; regenerated on every start.",
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@{HOST}:{controller}",
        f"listeners=PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller}",
        f"advertised.listeners=PLAINTEXT://{HOST}:{port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        f"log.dirs={data_dir}",
        *SINGLE_NODE,
        "auto.create.topics.enable=true",
    ]
    return "\n".join(lines) + "\n"


# What one broker that is its own controller needs: internal topics with one replica, no
# rebalance delay. Shared with the SASL broker the fault tests start.
SINGLE_NODE = (
    "num.partitions=1",
    "offsets.topic.replication.factor=1",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "share.coordinator.state.topic.replication.factor=1",
    "share.coordinator.state.topic.min.isr=1",
    "group.initial.rebalance.delay.ms=0",
)


def render_log4j(logs_dir: Path) -> str:
    """log4j2 configuration: everything at INFO into a size-capped server.log, warnings to the console.

    The console is kafka.out, which has no rotation, so only problems go there.
    """
    pattern = "[%d] %p %m (%c)%n"
    return "\n".join(
        [
            "status = warn",
            "name = scholarstream-kafka",
            "",
            "appender.console.type = Console",
            "appender.console.name = STDOUT",
            "appender.console.layout.type = PatternLayout",
            f"appender.console.layout.pattern = {pattern}",
            "appender.console.filter.threshold.type = ThresholdFilter",
            "appender.console.filter.threshold.level = warn",
            "",
            "appender.server.type = RollingFile",
            "appender.server.name = SERVER",
            f"appender.server.fileName = {logs_dir / 'server.log'}",
            f"appender.server.filePattern = {logs_dir / 'server.log.%i'}",
            "appender.server.layout.type = PatternLayout",
            f"appender.server.layout.pattern = {pattern}",
            "appender.server.policies.type = Policies",
            "appender.server.policies.size.type = SizeBasedTriggeringPolicy",
            "appender.server.policies.size.size = 50MB",
            "appender.server.strategy.type = DefaultRolloverStrategy",
            "appender.server.strategy.max = 5",
            "",
            "rootLogger.level = info",
            "rootLogger.appenderRef.console.ref = STDOUT",
            "rootLogger.appenderRef.server.ref = SERVER",
            "",
        ]
    )


def new_cluster_id() -> str:
    """A KRaft cluster id: a random UUID as 22 url-safe base64 characters.

    Like Kafka's own generator, ids starting with "-" are avoided so they never look like a flag.
    """
    while True:
        encoded = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
        if not encoded.startswith("-"):
            return encoded


def write_config(settings: Settings, paths: StackPaths) -> None:
    for directory in (paths.kafka_config, paths.kafka_data, paths.kafka_logs):
        directory.mkdir(parents=True, exist_ok=True)
    paths.kafka_server_properties.write_text(
        render_server_properties(settings.kafka_port, controller_port(settings), paths.kafka_data),
        encoding="utf-8",
    )
    paths.kafka_log4j.write_text(render_log4j(paths.kafka_logs), encoding="utf-8")


def _java_base(java: JavaRuntime, paths: StackPaths) -> list[str]:
    return _java_argv(java, paths.kafka_libs, paths.kafka_log4j)


def _java_argv(java: JavaRuntime, libs: Path, log4j: Path) -> list[str]:
    # From JDK 24 on, Kafka's use of sun.misc.Unsafe prints a four-line warning at every start.
    unsafe = ["--sun-misc-unsafe-memory-access=allow"] if java.major >= 23 else []
    return [
        str(java.executable),
        *unsafe,
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j}",
        # log4j's own shutdown hook races Kafka's, cutting the shutdown off the log; file
        # appenders flush every event, so there is nothing for log4j's hook to do anyway.
        "-Dlog4j2.shutdownHookEnabled=false",
        "-cp",
        f"{libs}/*",
    ]


def format_storage(java: JavaRuntime, paths: StackPaths, on_step: Callable[[str], None] | None) -> bool:
    """Format the KRaft log directory once; returns whether it had to be formatted.

    Formatting an already formatted directory fails, and meta.properties is what it writes.
    """
    if (paths.kafka_data / "meta.properties").exists():
        return False
    if on_step:
        on_step("Formatting Kafka storage (first start)")
    argv = [
        *_java_base(java, paths),
        "kafka.tools.StorageTool",
        "format",
        "-t",
        new_cluster_id(),
        "-c",
        str(paths.kafka_server_properties),
    ]
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StackError(f"formatting Kafka storage failed: {exc}") from exc
    if completed.returncode != 0:
        output = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-30:])
        raise StackError(f"formatting Kafka storage in {paths.kafka_data} failed:\n{output}")
    return True


def launch(settings: Settings, paths: StackPaths, java: JavaRuntime) -> Launch:
    heap = settings.stack_kafka_heap
    java_argv = _java_base(java, paths)
    argv = [
        java_argv[0],
        f"-Xmx{heap}",
        f"-Xms{heap}",
        *java_argv[1:],
        "kafka.Kafka",
        str(paths.kafka_server_properties),
    ]
    return Launch(argv=argv, env=dict(os.environ), cwd=paths.kafka, output=paths.kafka_out)


def version_from_libs(libs: Path) -> str | None:
    """The Kafka version of the copied classpath (from the kafka_2.13-X.jar name)."""
    if not libs.is_dir():
        return None
    for jar in libs.iterdir():
        match = _JAR_VERSION.match(jar.name)
        if match:
            return match.group(1)
    return None


@contextmanager
def _quiet_client_logs() -> Iterator[None]:
    """kafka-python logs every refused connection at WARNING/ERROR; while we poll a broker that is
    still starting those are expected, and must not reach the user's terminal."""
    logger = logging.getLogger("kafka")
    previous = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(previous)


def is_ready(settings: Settings, timeout_seconds: float = 3.0) -> bool:
    """Whether the broker answers a metadata request (not merely accepts TCP connections)."""
    return broker_count(settings.kafka_port, timeout_seconds) > 0


def broker_count(port: int, timeout_seconds: float = 3.0) -> int:
    """How many brokers the broker at `port` reports (0 when it does not answer a metadata request)."""
    cluster = describe_cluster(port, timeout_seconds)
    brokers = cluster.get("brokers") if cluster else None
    return len(brokers) if isinstance(brokers, list) else 0


def describe_cluster(port: int, timeout_seconds: float = 3.0) -> dict[str, Any] | None:
    """The DescribeCluster answer of the broker at `port`, or None when it does not answer (yet)."""
    if not port_answers(port, HOST):
        return None
    # Imported late: only needed once a port answers, and keeps `status` cheap when stopped.
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaConfigurationError

    timeout_ms = int(timeout_seconds * 1000)
    options = {
        "bootstrap_servers": f"{HOST}:{port}",
        "client_id": "scholarstream-stack",
        "request_timeout_ms": timeout_ms,
        "api_version_auto_timeout_ms": timeout_ms,
    }
    with _quiet_client_logs():
        try:
            admin = KafkaAdminClient(**options)
        except KafkaConfigurationError as exc:  # our bug, not a slow broker: never wait it out
            raise StackError(f"cannot probe Kafka with kafka-python: {exc}") from exc
        except Exception:  # noqa: BLE001 - unready  (any other failure just means "not ready yet")
            return None
        try:
            cluster = admin.describe_cluster()
            return cluster if isinstance(cluster, dict) else None
        except Exception:  # noqa: BLE001 - unready
            return None
        finally:
            try:
                admin.close()
            except Exception:  # noqa: BLE001 - cleanup
                pass


# A cluster of combined brokers+controllers ------------------------------------------------------


def replication_defaults(brokers: int) -> tuple[str, ...]:
    """Broker defaults for `brokers` nodes: internal and auto-created topics get min(3, n) copies and
    accept writes with one copy missing (min.insync.replicas = copies - 1, at least 1)."""
    copies = min(3, brokers)
    in_sync = max(1, copies - 1)
    return (
        "num.partitions=1",
        f"default.replication.factor={copies}",
        f"min.insync.replicas={in_sync}",
        f"offsets.topic.replication.factor={copies}",
        f"transaction.state.log.replication.factor={copies}",
        f"transaction.state.log.min.isr={in_sync}",
        f"share.coordinator.state.topic.replication.factor={copies}",
        f"share.coordinator.state.topic.min.isr={in_sync}",
        "group.initial.rebalance.delay.ms=0",
    )


def render_node_properties(node: KafkaNode, nodes: Sequence[KafkaNode]) -> str:
    """server.properties for one combined broker+controller of a dynamic (KIP-853) quorum of all `nodes`.

    `controller.quorum.bootstrap.servers` replaces the static `controller.quorum.voters` (deprecated
    since kraft.version 1); who votes is fixed once, when every node's storage is formatted with the
    same `--initial-controllers`. Each node advertises its CONTROLLER listener too, because in a
    dynamic quorum the voters learn each other's endpoints from what they advertise.
    """
    lines = [
        "# Written by `scholarstream stack up`; regenerated on every start.",
        "process.roles=broker,controller",
        f"node.id={node.node_id}",
        "controller.quorum.bootstrap.servers=" + ",".join(n.controller_address for n in nodes),
        f"listeners=PLAINTEXT://{node.address},CONTROLLER://{node.controller_address}",
        f"advertised.listeners=PLAINTEXT://{node.address},CONTROLLER://{node.controller_address}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        f"log.dirs={node.data_dir}",
        *replication_defaults(len(nodes)),
        "auto.create.topics.enable=true",
    ]
    return "\n".join(lines) + "\n"


def initial_controllers(nodes: Sequence[KafkaNode], directory_ids: dict[int, str]) -> str:
    """The `--initial-controllers` value: id@host:port:directory-id for every node, identical on all."""
    return ",".join(f"{n.node_id}@{n.controller_address}:{directory_ids[n.node_id]}" for n in nodes)


def cluster_identity(identity_file: Path, nodes: Sequence[KafkaNode]) -> tuple[str, dict[int, str]]:
    """The cluster id and each controller's metadata directory id: chosen once and kept in `identity_file`.

    Kept so that a node formatted later (its first start failed) joins the same cluster with the
    same voter set instead of bootstrapping a second one.
    """
    if identity_file.exists():
        try:
            data = json.loads(identity_file.read_text(encoding="utf-8"))
            ids = {int(key): str(value) for key, value in data["directory_ids"].items()}
            cluster_id = str(data["cluster_id"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StackError(f"{identity_file} is unreadable ({exc}); remove {identity_file.parent} to start a new cluster") from exc
        if sorted(ids) != sorted(n.node_id for n in nodes):
            raise StackError(f"{identity_file} names nodes {sorted(ids)}; remove {identity_file.parent} to start a new cluster")
        return cluster_id, ids
    cluster_id = new_cluster_id()
    ids = {n.node_id: new_cluster_id() for n in nodes}
    identity_file.parent.mkdir(parents=True, exist_ok=True)
    partial = identity_file.with_suffix(".partial")
    partial.write_text(
        json.dumps({"cluster_id": cluster_id, "directory_ids": {str(k): v for k, v in ids.items()}}, indent=2) + "\n",
        encoding="utf-8",
    )
    partial.replace(identity_file)
    return cluster_id, ids


def write_node_config(node: KafkaNode, nodes: Sequence[KafkaNode]) -> None:
    for directory in (node.config_dir, node.data_dir, node.logs_dir):
        directory.mkdir(parents=True, exist_ok=True)
    node.server_properties.write_text(render_node_properties(node, nodes), encoding="utf-8")
    node.log4j.write_text(render_log4j(node.logs_dir), encoding="utf-8")


def is_formatted(node: KafkaNode) -> bool:
    return (node.data_dir / "meta.properties").exists()


def format_cluster(
    java: JavaRuntime,
    libs: Path,
    identity_file: Path,
    nodes: Sequence[KafkaNode],
    on_step: Callable[[str], None] | None,
) -> list[int]:
    """Format the storage of every node not yet formatted, all with one cluster id and voter set.

    Returns the ids of the nodes formatted. A controller must never rejoin its quorum with a blank
    log (it could elect a leader that lacks committed metadata), so a cluster whose other nodes
    are formatted is refused rather than patched.
    """
    blank = [n for n in nodes if not is_formatted(n)]
    if not blank:
        return []
    if len(blank) != len(nodes):
        formatted = ", ".join(n.name for n in nodes if n not in blank)
        raise StackError(
            f"{', '.join(n.name for n in blank)} has no storage while {formatted} has: a controller must not rejoin its "
            f"quorum with an empty log. Remove {identity_file.parent} to start this cluster afresh."
        )
    cluster_id, directory_ids = cluster_identity(identity_file, nodes)
    voters = initial_controllers(nodes, directory_ids)
    if on_step:
        on_step(f"Formatting Kafka storage of {len(blank)} nodes (cluster {cluster_id}, first start)")
    running = []
    for node in blank:
        argv = [
            *_java_argv(java, libs, node.log4j),
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            cluster_id,
            "--initial-controllers",
            voters,
            "--config",
            str(node.server_properties),
        ]
        try:
            running.append((node, subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
        except OSError as exc:
            raise StackError(f"formatting Kafka storage failed: {exc}") from exc
    failures = []
    for node, process in running:
        try:
            output, _ = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        if process.returncode != 0:
            failures.append(f"{node.name} ({node.data_dir}):\n" + "\n".join(output.strip().splitlines()[-15:]))
    if failures:
        raise StackError("formatting Kafka storage failed for " + "\n".join(failures))
    return [n.node_id for n in blank]


def launch_node(node: KafkaNode, libs: Path, java: JavaRuntime, heap: str) -> Launch:
    java_argv = _java_argv(java, libs, node.log4j)
    argv = [java_argv[0], f"-Xmx{heap}", f"-Xms{heap}", *java_argv[1:], "kafka.Kafka", str(node.server_properties)]
    return Launch(argv=argv, env=dict(os.environ), cwd=node.home, output=node.output)
