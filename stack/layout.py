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

    # Scratch -----------------------------------------------------------------------------
    @property
    def downloads(self) -> Path:
        return self.root / "downloads"
