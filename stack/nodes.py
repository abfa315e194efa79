"""The nodes of the local stack: how many, and where each one listens and writes.

Everything here is a pure function of the settings and the node counts, so the layout of node i
is the same on every run and can be read off without starting anything:

    Kafka node i (1-based, node.id = i):   broker port K + 2(i-1), controller port K + 2(i-1) + 1
    Elasticsearch node i (node-i):         HTTP port E + (i-1), transport port E + 100 + (i-1)

where K is the port of KAFKA_BOOTSTRAP_SERVERS (its first address) and E the port of
ELASTICSEARCH_URL. One node of each (the default) is the single-node stack, in the directories and
pid files it always had; a cluster keeps each node under `kafka/brokers-N/node-i/` and
`elasticsearch/nodes-M/node-i/`, with pid files `kafka-i.pid` and `elasticsearch-i.pid`, so data of
clusters of different sizes never mixes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from foundation.errors import StackError
from foundation.settings import Settings

from .layout import StackPaths

HOST = "127.0.0.1"
MAX_NODES = 9  # ports stay inside K..K+17 and E..E+8 / E+100..E+108
ES_TRANSPORT_OFFSET = 100
KAFKA_ROLE = "broker+controller"
ES_ROLE = "master-eligible+data"


@dataclass(frozen=True)
class Shape:
    """How many Kafka brokers and Elasticsearch nodes the stack runs."""

    brokers: int = 1
    es_nodes: int = 1

    def __post_init__(self) -> None:
        for what, count in (("brokers", self.brokers), ("Elasticsearch nodes", self.es_nodes)):
            if not 1 <= count <= MAX_NODES:
                raise StackError(f"the local stack runs 1 to {MAX_NODES} {what}, not {count}")

    @property
    def single(self) -> bool:
        return self.brokers == 1 and self.es_nodes == 1

    def describe(self) -> str:
        brokers = "1 Kafka broker" if self.brokers == 1 else f"{self.brokers} Kafka brokers"
        nodes = "1 Elasticsearch node" if self.es_nodes == 1 else f"{self.es_nodes} Elasticsearch nodes"
        return f"{brokers} and {nodes}"

    def to_dict(self) -> dict[str, int]:
        return {"brokers": self.brokers, "es_nodes": self.es_nodes}


SINGLE = Shape()


@dataclass(frozen=True)
class KafkaNode:
    """One combined broker+controller."""

    node_id: int
    port: int
    controller_port: int
    home: Path  # working directory
    config_dir: Path
    data_dir: Path
    logs_dir: Path
    pid_file: Path

    @property
    def name(self) -> str:
        return f"kafka-{self.node_id}"

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def controller_address(self) -> str:
        return f"{HOST}:{self.controller_port}"

    @property
    def server_properties(self) -> Path:
        return self.config_dir / "server.properties"

    @property
    def log4j(self) -> Path:
        return self.config_dir / "log4j2.properties"

    @property
    def output(self) -> Path:
        return self.logs_dir / "kafka.out"

    @property
    def server_log(self) -> Path:
        return self.logs_dir / "server.log"


@dataclass(frozen=True)
class EsNode:
    """One master-eligible data node."""

    index: int
    http_port: int
    transport_port: int
    config_dir: Path
    data_dir: Path
    logs_dir: Path
    tmp_dir: Path
    pid_file: Path

    @property
    def name(self) -> str:
        return f"node-{self.index}"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.http_port}"

    @property
    def transport_address(self) -> str:
        return f"{HOST}:{self.transport_port}"

    @property
    def output(self) -> Path:
        return self.logs_dir / "elasticsearch.out"


def kafka_nodes(settings: Settings, paths: StackPaths, brokers: int) -> tuple[KafkaNode, ...]:
    base = settings.kafka_port
    if brokers == 1:
        return (
            KafkaNode(1, base, base + 1, paths.kafka, paths.kafka_config, paths.kafka_data, paths.kafka_logs, paths.kafka_pid),
        )
    nodes = []
    for i in range(1, brokers + 1):
        home = paths.kafka_node(brokers, i)
        port = base + 2 * (i - 1)
        nodes.append(KafkaNode(i, port, port + 1, home, home / "config", home / "data", home / "logs", paths.kafka_node_pid(i)))
    return tuple(nodes)


def es_nodes(settings: Settings, paths: StackPaths, count: int) -> tuple[EsNode, ...]:
    base = settings.elasticsearch_port
    if count == 1:
        return (
            EsNode(1, base, base + ES_TRANSPORT_OFFSET, paths.es_config, paths.es_data, paths.es_logs, paths.es_tmp, paths.es_pid),
        )
    nodes = []
    for i in range(1, count + 1):
        home = paths.es_node(count, i)
        nodes.append(
            EsNode(
                i,
                base + i - 1,
                base + ES_TRANSPORT_OFFSET + i - 1,
                home / "config",
                home / "data",
                home / "logs",
                home / "tmp",
                paths.es_node_pid(i),
            )
        )
    return tuple(nodes)


def bootstrap_servers(nodes: Sequence[KafkaNode]) -> str:
    """What Kafka clients should be given: every broker, so any one of them may be down."""
    return ",".join(node.address for node in nodes)


def elasticsearch_urls(nodes: Sequence[EsNode]) -> list[str]:
    return [node.url for node in nodes]


def ports_of(kafka: Sequence[KafkaNode], es: Sequence[EsNode]) -> list[tuple[int, str]]:
    """Every port the stack listens on, with what it is for."""
    ports: list[tuple[int, str]] = []
    for k in kafka:
        ports += [(k.port, f"Kafka broker {k.node_id}"), (k.controller_port, f"Kafka controller {k.node_id}")]
    for e in es:
        ports += [(e.http_port, f"Elasticsearch {e.name} HTTP"), (e.transport_port, f"Elasticsearch {e.name} transport")]
    return ports


def check_distinct_ports(kafka: Sequence[KafkaNode], es: Sequence[EsNode]) -> None:
    """Refuse settings whose Kafka and Elasticsearch port ranges overlap (e.g. K=9200, E=9202)."""
    seen: dict[int, str] = {}
    for port, purpose in ports_of(kafka, es):
        if port in seen:
            raise StackError(
                f"port {port} would serve both {seen[port]} and {purpose}; move KAFKA_BOOTSTRAP_SERVERS or ELASTICSEARCH_URL"
            )
        if not 0 < port < 65536:
            raise StackError(f"port {port} ({purpose}) is out of range")
        seen[port] = purpose


# The recorded shape ------------------------------------------------------------------------


def read_shape(paths: StackPaths) -> Shape:
    """The shape the last `stack up` started here (the single-node stack when none is recorded)."""
    try:
        data = json.loads(paths.cluster_state.read_text(encoding="utf-8"))
        return Shape(int(data["brokers"]), int(data["es_nodes"]))
    except FileNotFoundError:
        return SINGLE
    except (OSError, ValueError, KeyError, TypeError, StackError) as exc:
        raise StackError(f"{paths.cluster_state} is unreadable ({exc}); `stack down` does not need it, delete it") from exc


def record_shape(paths: StackPaths, shape: Shape) -> None:
    """Remember a cluster's shape for `status` and `down`; the single-node stack needs no record."""
    if shape.single:
        paths.cluster_state.unlink(missing_ok=True)
        return
    paths.root.mkdir(parents=True, exist_ok=True)
    partial = paths.cluster_state.with_suffix(".partial")
    partial.write_text(json.dumps(shape.to_dict(), indent=2) + "\n", encoding="utf-8")
    partial.replace(paths.cluster_state)
