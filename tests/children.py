"""Helpers the fault and cluster tests share: pipeline roles as child processes, polling, free ports."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from scholarstream.pipeline import start_role
from stack.processes import port_in_use


class Child:
    """`scholarstream <role>` in its own process group, logging to `log`, with `env` added."""

    def __init__(self, role: str, log: Path, env: dict[str, str] | None = None) -> None:
        self.role = role
        self.log = log
        self.process: subprocess.Popen = start_role(role, log, env=env)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown hook, no final commit."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 30) -> int:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.process.returncode

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def free_cluster_bases(brokers: int, es_nodes: int, taken: Iterable[int] = ()) -> tuple[int, int]:
    """A Kafka base port K (K .. K + 2 x brokers - 1 free) and an Elasticsearch base port E (E ..,
    E + 100 .. free) for `stack up --brokers B --es-nodes N`, avoiding `taken`."""
    avoid = set(taken)
    rng = random.Random()
    # Below the kernel's ephemeral range: a port the system hands out to outgoing connections
    # can be taken between this check and the node's bind (seen in a rehearsal while other
    # processes made many connections: "Address already in use" for a broker).
    top = min(_ephemeral_start(), 40000)
    middle = 20000 + (top - 20000) // 2
    for _ in range(200):
        kafka_base = rng.randrange(20000, middle - 2 * brokers, 2)
        es_base = rng.randrange(middle, top - 100 - es_nodes)
        ports = [kafka_base + i for i in range(2 * brokers)]
        ports += [es_base + i for i in range(es_nodes)] + [es_base + 100 + i for i in range(es_nodes)]
        if not any(port in avoid or port_in_use(port) for port in ports):
            return kafka_base, es_base
    raise AssertionError("no free ports for the cluster")


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def wait_for(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.3) -> float:
    """Poll until `condition` holds; returns the seconds it took, fails the test on timeout."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
    return time.monotonic() - began
