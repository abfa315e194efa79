"""What every benchmark shares: the machine description, statistics, namespaces, results.

The statistics here are pure functions (unit-tested in tests/unit/test_bench_stats.py); the
rest describes the machine or talks to the services.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# BENCH_RESULTS_DIR sends smoke tests elsewhere (`make bench-smoke`: bench/results/smoke).
RESULTS = Path(os.environ.get("BENCH_RESULTS_DIR") or Path(__file__).resolve().parent / "results").resolve()
# Namespaces a benchmark may read but never change or delete (see docs/performance.md).
PROTECTED_NAMESPACES = ("demo1", "full")
OWN_PREFIX = "bench"


# --- statistics (pure) -------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be within 0..100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def percentiles(values: Sequence[float], qs: Iterable[float] = (50, 95, 99), digits: int = 2) -> dict[str, float | None]:
    """{"p50": ..., "p95": ..., "p99": ..., "max": ..., "n": ...}; None figures when there are no values."""
    qs = list(qs)
    if not values:
        return {**{f"p{q:g}": None for q in qs}, "max": None, "n": 0}
    return {**{f"p{q:g}": round(percentile(values, q), digits) for q in qs}, "max": round(max(values), digits),
            "n": len(values)}


def steady_rate(stamps_ms: Sequence[int], first_batch_ms: int = 100) -> float | None:
    """Records per second from the Kafka timestamps of a stage's output, start-up excluded.

    The first output batch shares (nearly) one timestamp and carries the work done before it, so
    the rate counts the records after it over the time from it to the last record. None when
    there is no time span to divide by.
    """
    if len(stamps_ms) < 2:
        return None
    ordered = sorted(stamps_ms)
    first = ordered[0]
    after = sum(1 for stamp in ordered if stamp > first + first_batch_ms)
    span = (ordered[-1] - first) / 1000
    if span <= 0 or after == 0:
        return None
    return after / span


def busiest_share(partitions_of_records: Sequence[int]) -> float:
    """The share of the records that the busiest partition holds."""
    if not partitions_of_records:
        raise ValueError("no records")
    counts: dict[int, int] = {}
    for partition in partitions_of_records:
        counts[partition] = counts.get(partition, 0) + 1
    return max(counts.values()) / len(partitions_of_records)


def busiest_share_by_partitions(keys: Sequence[bytes], counts: Iterable[int]) -> dict[str, float]:
    """For each partition count, the busiest partition's share if these keys were spread by Kafka's
    default partitioner (murmur2 of the key, as the producers and the worker use)."""
    from kafka.partitioner.default import murmur2

    hashes = [murmur2(key) & 0x7FFFFFFF for key in keys]
    return {str(n): round(busiest_share([h % n for h in hashes]), 4) for n in counts} if hashes else {}


def span_seconds(stamps_ms: Sequence[int]) -> float:
    return (max(stamps_ms) - min(stamps_ms)) / 1000 if stamps_ms else 0.0


def rate(count: float, seconds: float) -> float | None:
    return count / seconds if seconds > 0 else None


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


# --- the machine ---------------------------------------------------------------------------------


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, object]:
    import torch

    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    cpu_model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": memory,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def code_version() -> dict[str, object]:
    """The commit the benchmark's code came from, and whether the checkout had changes beside it
    (a run started while code was being edited is then visible in its results)."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "changed": None}
    return {"commit": commit.stdout.strip(), "changed": bool(status.stdout.strip())}


def write_result(name: str, data: dict[str, object], results: Path = RESULTS, code: dict[str, object] | None = None) -> Path:
    """Write `data` as bench/results/NAME.json; `code`: the code version at the run's start (default: now)."""
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"{name}.json"
    payload = {"benchmark": name, "measured_at": datetime.now(UTC).isoformat(), "machine": machine(),
               "code": code or code_version(), **data}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def print_table(title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A plain aligned table on stdout (figures are already rounded by the caller)."""
    cells = [[str(h) for h in header], *[["-" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(title)
    for number, row in enumerate(cells):
        print("  " + "  ".join(cell.rjust(width) if number else cell.ljust(width) for cell, width in zip(row, widths, strict=False)))
        if number == 0:
            print("  " + "  ".join("-" * width for width in widths))


# --- namespaces ----------------------------------------------------------------------------------


def new_namespace(kind: str) -> str:
    return f"{OWN_PREFIX}{kind}{uuid.uuid4().hex[:6]}"


def namespace_env(namespace: str, base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment of a process working in `namespace` (topics `ns.`, indices `ns-`)."""
    env = dict(os.environ if base is None else base)
    env["SCHOLARSTREAM_TOPIC_PREFIX"] = f"{namespace}."
    env["SCHOLARSTREAM_INDEX_PREFIX"] = f"{namespace}-"
    env.update(extra)
    return env


def namespace_settings(namespace: str):
    """The settings of a process that reads `namespace` (its topics and indices), whatever this
    process's own environment names."""
    from foundation.settings import Settings

    env = namespace_env(namespace)
    return Settings(SCHOLARSTREAM_TOPIC_PREFIX=env["SCHOLARSTREAM_TOPIC_PREFIX"],
                    SCHOLARSTREAM_INDEX_PREFIX=env["SCHOLARSTREAM_INDEX_PREFIX"])


def alternated_runs(rounds: int, variants: Sequence[str], run_one: Callable[[int, int, str], dict[str, Any]],
                    describe: Callable[[dict[str, Any]], str]) -> dict[str, Any]:
    """Each variant in turn within each round, so a noisy neighbour hits every variant alike:
    `run_one(round from 1, variant number, variant)` measures one, tagged with its round and
    described on stderr. Returns the runs with the load average before and after them."""
    load_before = load_average()
    runs = []
    for round_number in range(1, rounds + 1):
        for number, name in enumerate(variants):
            run = run_one(round_number, number, name)
            run["round"] = round_number
            runs.append(run)
            print(f"round {round_number}: {name}: {describe(run)}", file=sys.stderr)
    return {"load_average_before": load_before, "load_average_after": load_average(), "runs": runs}


def is_own(namespace: str) -> bool:
    """Only namespaces a benchmark created (`bench...`) may be written to or deleted."""
    return namespace.startswith(OWN_PREFIX) and namespace not in PROTECTED_NAMESPACES


def delete_namespace(settings, namespace: str, keep_logs_in: Path | None = None) -> dict[str, int]:
    """Delete a benchmark's topics, consumer groups, indices and faust state; its logs are moved to
    `keep_logs_in` (deleted without it)."""
    from clients import es_io, kafka_io

    if not is_own(namespace):
        raise ValueError(f"refusing to delete {namespace!r}: benchmarks delete only their own '{OWN_PREFIX}*' namespaces")
    admin = kafka_io.admin(settings)
    try:
        topics = [name for name in admin.list_topics() if name.startswith(f"{namespace}.")]
        if topics:
            admin.delete_topics(topics)
        groups = [group for group, _ in admin.list_consumer_groups() if group.startswith(f"{namespace}.")]
        if groups:
            admin.delete_consumer_groups(groups)
    finally:
        admin.close()
    es = es_io.client(settings)
    indices = list(es.indices.get(index=f"{namespace}-*", expand_wildcards="all"))
    for name in indices:
        es.indices.delete(index=name)
    data_dir = Path(settings.data_dir)
    for path in (data_dir / "faust").glob(f"{namespace}.*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in (data_dir / "logs").glob(f"{namespace}.*"):
        if keep_logs_in is not None:
            shutil.move(str(path), str(keep_logs_in / path.name))
        else:
            path.unlink(missing_ok=True)
    return {"topics": len(topics), "groups": len(groups), "indices": len(indices)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The API's protections off: a benchmark measures the pages and searches, from one address.
UNLIMITED_API = {"SCHOLARSTREAM_API_READS_PER_MINUTE": "1000000", "SCHOLARSTREAM_API_MAX_SEARCHES": "1000",
                 "SCHOLARSTREAM_API_MAX_SEMANTIC_SEARCHES": "1000"}


@dataclass
class ApiServer:
    port: int
    process: subprocess.Popen
    log: Path


@contextmanager
def serving(env: Mapping[str, str], prefix: str, startup_timeout: float) -> Iterator[ApiServer]:
    """`scholarstream serve` as its own process on a free loopback port with `env`, healthy, until
    the block ends (then SIGTERM, SIGKILL after 30 s). Its log is in a temporary directory."""
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix=prefix)) / "serve.log"
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "scholarstream", "serve", "--port", str(port)], env=dict(env),
                                   stdout=out, stderr=out, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_healthy(port, process, startup_timeout)
        yield ApiServer(port, process, log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_healthy(port: int, server: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"scholarstream serve exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the API did not answer /healthz within {timeout:.0f}s")


def elasticsearch_cpu_ms(es) -> int:
    """CPU milliseconds every Elasticsearch node's process has used (`_nodes/stats`): its own
    work, where the indexing-time counters are thread wall time and grow when a core is busy."""
    nodes = es.nodes.stats(metric="process")["nodes"]
    return sum(int(node["process"]["cpu"]["total_in_millis"]) for node in nodes.values())
