"""Where every file of the local stack lives, so no other module invents a path.

Everything (binaries, configuration, data, logs, pid files) sits under one stack directory, so
`rm -rf .stack` is a complete reset and nothing leaks into the rest of the machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

POM = Path(__file__).resolve().parent / "pom.xml"


@dataclass(frozen=True)
class StackPaths:
    """The stack directory's layout; built from `settings.stack_dir`."""

    root: Path

    @classmethod
    def of(cls, stack_dir: Path) -> StackPaths:
        # Resolved once, because the path is also how we recognise our own processes
        # (it appears on their command lines) and must be spelled the same every time.
        return cls(Path(stack_dir).expanduser().resolve())

    # Kafka -------------------------------------------------------------------------------
    @property
    def kafka(self) -> Path:
        return self.root / "kafka"

    @property
    def kafka_libs(self) -> Path:
        return self.kafka / "libs"

    @property
    def kafka_config(self) -> Path:
        return self.kafka / "config"

    @property
    def kafka_server_properties(self) -> Path:
        return self.kafka_config / "server.properties"

    @property
    def kafka_log4j(self) -> Path:
        return self.kafka_config / "log4j2.properties"

    @property
    def kafka_data(self) -> Path:
        return self.kafka / "data"

    @property
    def kafka_logs(self) -> Path:
        return self.kafka / "logs"

    @property
    def kafka_out(self) -> Path:
        return self.kafka_logs / "kafka.out"

    @property
    def kafka_server_log(self) -> Path:
        return self.kafka_logs / "server.log"

    @property
    def kafka_pid(self) -> Path:
        return self.root / "kafka.pid"

    # Elasticsearch -----------------------------------------------------------------------
    @property
    def es(self) -> Path:
        return self.root / "elasticsearch"

    @property
    def es_home(self) -> Path:
        return self.es / "home"

    @property
    def es_config(self) -> Path:
        return self.es / "config"

    @property
    def es_data(self) -> Path:
        return self.es / "data"

    @property
    def es_logs(self) -> Path:
        return self.es / "logs"

    @property
    def es_tmp(self) -> Path:
        return self.es / "tmp"

    @property
    def es_out(self) -> Path:
        return self.es_logs / "elasticsearch.out"

    @property
    def es_pid(self) -> Path:
        return self.root / "elasticsearch.pid"

    # A multi-node cluster (stack/nodes.py) -------------------------------------------------
    @property
    def cluster_state(self) -> Path:
        """The shape of the last `stack up` when it was not the single-node stack."""
        return self.root / "cluster.json"

    def kafka_cluster(self, brokers: int) -> Path:
        return self.kafka / f"brokers-{brokers}"

    def kafka_cluster_identity(self, brokers: int) -> Path:
        """The cluster id and the controllers' directory ids, chosen once, used to format every node."""
        return self.kafka_cluster(brokers) / "identity.json"

    def kafka_node(self, brokers: int, node_id: int) -> Path:
        return self.kafka_cluster(brokers) / f"node-{node_id}"

    def kafka_node_pid(self, node_id: int) -> Path:
        return self.root / f"kafka-{node_id}.pid"

    def es_cluster(self, count: int) -> Path:
        return self.es / f"nodes-{count}"

    def es_node(self, count: int, index: int) -> Path:
        return self.es_cluster(count) / f"node-{index}"

    def es_node_pid(self, index: int) -> Path:
        return self.root / f"elasticsearch-{index}.pid"

    def pid_files(self) -> list[Path]:
        """Every pid file of this stack, whatever its shape: what `down` stops."""
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.glob("*.pid") if p.stem.split("-")[0] in ("kafka", "elasticsearch"))

    # Scratch -----------------------------------------------------------------------------
    @property
    def downloads(self) -> Path:
        return self.root / "downloads"
