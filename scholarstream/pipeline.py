"""Running the worker and the indexer together, and knowing when they have caught up.

`scholarstream run` starts both as child processes (as production runs them, separately) and
watches consumer-group lag. "Caught up" means every group has committed up to the log end of its
input twice in a row, and the papers index has been refreshed so everything is searchable.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clients import es_io, kafka_io
from foundation.errors import ScholarStreamError
from foundation.settings import Settings
from indexers.indexer import INDEXER_GROUP, routes_for
from indexers.mappings import PAPERS, RESEARCHERS
from scholarstream.proc_usage import own_usage, usage_of
from stream_processors.app import WORKER_GROUP, worker_inputs

ROLES = ("worker", "indexer")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stage:
    """One consumer group and the topic it reads: the unit whose lag decides 'caught up'."""

    role: str
    group: str
    topic: str


def stages(settings: Settings) -> list[Stage]:
    """Every (group, topic) pair of the pipeline: the worker's one group reads several topics."""
    worker = settings.group(WORKER_GROUP)
    return [
        *(Stage("worker", worker, settings.topic(spec.name)) for spec in worker_inputs(settings)),
        *(Stage("indexer", settings.group(INDEXER_GROUP), settings.topic(r.topic.name)) for r in routes_for(settings)),
    ]


def total_lag(settings: Settings, reader: kafka_io.LagReader | None = None) -> dict[str, int]:
    """Stage role -> records not yet committed by its group, over all the topics it reads.

    A caller that polls passes its own `reader` to keep the clients open between readings."""
    if reader is None:
        with kafka_io.LagReader(settings) as own:
            return total_lag(settings, own)
    lag: dict[str, int] = {}
    for stage in stages(settings):
        lag[stage.role] = lag.get(stage.role, 0) + sum(reader.group_lag(stage.group, stage.topic).values())
    return lag


@dataclass
class RunResult:
    caught_up: bool
    elapsed_seconds: float
    lag: dict[str, int]
    logs: dict[str, str]
    exit_codes: dict[str, int | None] = field(default_factory=dict)
    indexed_documents: int | None = None
    indexed_researchers: int | None = None
    # Per role (and "runner", this process): peak resident memory and CPU time, read from /proc
    # just before the children are stopped; a role that had already exited is missing.
    peak_rss_mib: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)


def start_role(role: str, log_path: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`scholarstream <role>` as a child in its own session; `env` is added to this process's."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(log_path, "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "scholarstream", role],
        stdout=handle,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )


def role_env(settings: Settings) -> dict[str, str]:
    """What a child needs to run the same generation and stages as `settings`."""
    return {**settings.generation.env(), "SCHOLARSTREAM_WORKER_STAGES": settings.worker_stages}


def stop_roles(children: dict[str, subprocess.Popen], timeout: float = 30.0) -> dict[str, int | None]:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in children.values():
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return {role: child.returncode for role, child in children.items()}


def run_pipeline(
    settings: Settings,
    *,
    until_caught_up: bool,
    timeout: float | None = None,
    on_poll: Callable[[dict[str, int]], None] | None = None,
    poll_interval: float = 1.0,
) -> RunResult:
    """Run worker and indexer until caught up (or forever, or until SIGINT/SIGTERM), both on the
    generation and stages of `settings`."""
    log_dir = Path(settings.data_dir) / "logs"
    logs = {role: str(log_dir / f"{settings.group(role)}.log") for role in ROLES}
    children = {role: start_role(role, Path(logs[role]), role_env(settings)) for role in ROLES}
    stopping = {"signal": False}

    def _stop(signum, frame):  # noqa: ARG001 - signature
        stopping["signal"] = True

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    lag: dict[str, int] = {}
    zero_streak = 0
    caught_up = False
    reader = kafka_io.LagReader(settings)
    try:
        while not stopping["signal"]:
            for role, child in children.items():
                if child.poll() is not None:
                    raise ScholarStreamError(
                        f"the {role} exited with code {child.returncode}; see {logs[role]}:\n{_tail(logs[role])}"
                    )
            if timeout is not None and time.monotonic() - started > timeout:
                raise ScholarStreamError(f"not caught up after {timeout:.0f}s (lag {lag}); logs: {logs}")
            try:
                lag = total_lag(settings, reader)
            except ScholarStreamError as error:  # a transient broker hiccup is not a verdict
                log.warning("could not read consumer lag, will retry: %s", error)
                zero_streak = 0
                time.sleep(poll_interval)
                continue
            if on_poll is not None:
                on_poll(lag)
            zero_streak = zero_streak + 1 if not any(lag.values()) else 0
            if until_caught_up and zero_streak >= 2:
                caught_up = True
                break
            time.sleep(poll_interval)
    finally:
        reader.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        usage = {role: usage_of(child.pid) for role, child in children.items() if child.poll() is None}
        usage["runner"] = own_usage()
        exit_codes = stop_roles(children)
    result = RunResult(caught_up, time.monotonic() - started, lag, logs, exit_codes)
    result.peak_rss_mib = {role: u.peak_rss_mib for role, u in usage.items() if u is not None}
    result.cpu_seconds = {role: u.cpu_seconds for role, u in usage.items() if u is not None}
    if caught_up:
        es = es_io.client(settings)
        # This generation's write aliases: the read aliases while it serves, its own before a rebuild switches.
        papers, researchers = PAPERS.write_alias(settings), RESEARCHERS.write_alias(settings)
        es.options(ignore_status=404).indices.refresh(index=f"{papers},{researchers}")
        result.indexed_documents = int(es.count(index=papers)["count"])
        result.indexed_researchers = int(
            es.count(index=researchers, query={"bool": {"must_not": {"exists": {"field": "merged_into"}}}})["count"]
        )
    return result


def _tail(path: str, lines: int = 30) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
