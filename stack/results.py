"""What `up` and `down` hand back to the CLI: plain data it can print or dump as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .java import JavaRuntime


@dataclass(frozen=True)
class ServiceReport:
    """One service after `up`: where it answers, where it writes, and how long it took."""

    name: str  # "kafka" or "elasticsearch"
    url: str  # bootstrap servers for Kafka, the HTTP URL for Elasticsearch
    pid: int
    version: str | None
    log: Path  # the service's main log
    output: Path  # its captured stdout/stderr (start-up failures land here)
    data_dir: Path
    already_running: bool
    seconds_to_ready: float  # from process start (or from this call, if it was already starting)
    title: str = ""  # "Kafka", or "Kafka 2" / "Elasticsearch node-1" in a cluster
    role: str = ""  # "broker+controller" or "master-eligible+data"

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "title": self.title,
            "role": self.role,
            "url": self.url,
            "pid": self.pid,
            "version": self.version,
            "log": str(self.log),
            "output": str(self.output),
            "data_dir": str(self.data_dir),
            "already_running": self.already_running,
            "seconds_to_ready": round(self.seconds_to_ready, 2),
        }


@dataclass(frozen=True)
class UpResult:
    stack_dir: Path
    kafka: ServiceReport  # in a cluster: its first broker
    elasticsearch: ServiceReport  # in a cluster: its first node
    java: JavaRuntime | None  # None when nothing had to be started
    fetched: tuple[str, ...] = ()  # components that were (re)copied from Maven this time
    downloaded_artifacts: int = 0  # files Maven pulled from a remote repository (0: ~/.m2 had all)
    seconds_fetching: float = 0.0
    seconds_total: float = 0.0
    nodes: tuple[ServiceReport, ...] = ()  # every node, Kafka first
    brokers: int = 1
    es_nodes: int = 1
    bootstrap_servers: str = ""  # every broker, for KAFKA_BOOTSTRAP_SERVERS
    elasticsearch_urls: tuple[str, ...] = ()  # every node's HTTP URL

    @property
    def already_running(self) -> bool:
        return all(node.already_running for node in self.nodes or (self.kafka, self.elasticsearch))

    @property
    def cluster(self) -> bool:
        return self.brokers > 1 or self.es_nodes > 1

    @property
    def downloaded(self) -> bool:
        return self.downloaded_artifacts > 0

    def to_dict(self) -> dict[str, object]:
        return {
            "stack_dir": str(self.stack_dir),
            "already_running": self.already_running,
            "kafka": self.kafka.to_dict(),
            "elasticsearch": self.elasticsearch.to_dict(),
            "java": self.java.to_dict() if self.java else None,
            "fetched": list(self.fetched),
            "downloaded": self.downloaded,
            "downloaded_artifacts": self.downloaded_artifacts,
            "seconds_fetching": round(self.seconds_fetching, 2),
            "seconds_total": round(self.seconds_total, 2),
            "shape": {"brokers": self.brokers, "es_nodes": self.es_nodes},
            "bootstrap_servers": self.bootstrap_servers,
            "elasticsearch_urls": list(self.elasticsearch_urls),
            "nodes": [node.to_dict() for node in self.nodes],
        }


@dataclass(frozen=True)
class StoppedService:
    name: str
    pid: int
    forced: bool  # needed SIGKILL after the grace period
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "pid": self.pid, "forced": self.forced, "seconds": round(self.seconds, 2)}


@dataclass(frozen=True)
class DownResult:
    stack_dir: Path
    stopped: tuple[StoppedService, ...] = field(default_factory=tuple)  # empty: nothing was running
    seconds_total: float = 0.0

    @property
    def was_running(self) -> bool:
        return bool(self.stopped)

    def to_dict(self) -> dict[str, object]:
        return {
            "stack_dir": str(self.stack_dir),
            "was_running": self.was_running,
            "stopped": [s.to_dict() for s in self.stopped],
            "seconds_total": round(self.seconds_total, 2),
        }
