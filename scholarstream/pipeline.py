"""Running the worker and the indexer together, and knowing when they have caught up.

`scholarstream run` starts both as child processes (as production runs them, separately), the
worker as `--workers N` processes of one consumer group, and watches consumer-group lag. "Caught
up" means every group has committed up to the log end of its input twice in a row, and the papers
index has been refreshed so everything is searchable.
A run stopped by SIGINT or SIGTERM before that says so (`RunResult.interrupted_by`, `verdict`).
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
from typing import Any

from kafka.errors import KafkaError
from kafka.structs import TopicPartition

from clients import es_io, kafka_io
from clients.handover import take_over
from foundation.errors import ScholarStreamError
from foundation.settings import Settings
from indexers.indexer import INDEXER_GROUP, routes_for
from indexers.mappings import PAPERS, RESEARCHERS
from schemas.topics import (
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
    TOPICS,
    TopicSpec,
)
from scholarstream.proc_usage import own_usage, usage_of
from scholarstream.progress import Backlog, StageLag
from stream_processors.app import WORKER_GROUP, worker_inputs

ROLES = ("worker", "indexer")
log = logging.getLogger(__name__)


# What the worker writes for the records it reads, per input topic (stream_processors/app.py and
# agents/): only the catch-up ETA uses it, to count the records still to come downstream. Topics
# nobody in the run reads (dead letters, trust changes) are left out, and so are the rare records
# an agent sends back to its own input (re-addressed merges, bounced moves, moved signals), which
# keeps the flow acyclic.
WORKER_WRITES: dict[str, tuple[TopicSpec, ...]] = {
    PAPERS_RAW.name: (PAPERS_ENRICHED,),
    PAPERS_ENRICHED.name: (RESEARCHER_MENTIONS,),
    RESEARCHER_MENTIONS.name: (RESEARCHER_AUTHORSHIPS, RESEARCHER_MERGES),
    RESEARCHER_AUTHORSHIPS.name: (RESEARCHER_WORKS,),
    RESEARCHER_WORKS.name: (RESEARCHER_PROFILES, RESEARCHER_PROFILE_WORKS),
    RESEARCHER_SIGNALS.name: (RESEARCHER_WORKS, RESEARCHER_MERGES, RESEARCHER_PROFILES, RESEARCHER_PROFILE_WORKS, SIGNAL_OUTCOMES),
    RESEARCHER_MERGES.name: (RESEARCHER_MERGE_MOVES, RESEARCHER_PROFILES),
    RESEARCHER_MERGE_MOVES.name: (RESEARCHER_WORKS, RESEARCHER_PROFILES, RESEARCHER_PROFILE_WORKS),
}


@dataclass(frozen=True)
class Stage:
    """One consumer group and the topic it reads: the unit whose lag decides 'caught up'.

    `feeds`: the topics its consumer writes (for the ETA; the indexer writes none that the run reads)."""

    role: str
    group: str
    topic: str
    feeds: tuple[str, ...] = ()


def stages(settings: Settings) -> list[Stage]:
    """Every (group, topic) pair of the pipeline: the worker's one group reads several topics."""
    worker = settings.group(WORKER_GROUP)
    return [
        *(
            Stage("worker", worker, settings.topic(spec.name), tuple(settings.topic(w.name) for w in WORKER_WRITES.get(spec.name, ())))
            for spec in worker_inputs(settings)
        ),
        *(Stage("indexer", settings.group(INDEXER_GROUP), settings.topic(r.topic.name)) for r in routes_for(settings)),
    ]


def total_lag(
    settings: Settings, reader: kafka_io.LagReader | None = None, roles: tuple[str, ...] = ROLES
) -> dict[str, int]:
    """Stage role -> records not yet committed by its group, over all the topics it reads (of the
    `roles` asked for; the others are not read).

    A caller that polls passes its own `reader` to keep the clients open between readings."""
    if reader is None:
        with kafka_io.LagReader(settings) as own:
            return total_lag(settings, own, roles)
    lag: dict[str, int] = {}
    for stage in stages(settings):
        if stage.role in roles:
            lag[stage.role] = lag.get(stage.role, 0) + sum(reader.group_lag(stage.group, stage.topic).values())
    return lag


def worker_backlog(settings: Settings, reader: kafka_io.LagReader) -> int:
    """Records the worker group has not committed yet, over all its inputs: the backlog that paces
    the indexer's refresh interval (indexers/refresh_pacing.py)."""
    return total_lag(settings, reader, roles=("worker",)).get("worker", 0)


class LogEnds:
    """The log end offset of each topic (summed over partitions) over one client kept open, for the
    catch-up ETA, which needs what arrived in a topic besides what is left of it (the lag)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._probe: Any = None

    def close(self) -> None:
        if self._probe is not None:
            self._probe.close()
            self._probe = None

    def read(self, topics: list[str]) -> dict[str, int]:
        try:
            if self._probe is None:
                self._probe = kafka_io.consumer(self.settings)
            tps = [TopicPartition(topic, p) for topic in topics for p in sorted(self._probe.partitions_for_topic(topic) or ())]
            ends: dict[str, int] = dict.fromkeys(topics, 0)
            for tp, offset in (self._probe.end_offsets(tps) if tps else {}).items():
                ends[tp.topic] += offset
            return ends
        except KafkaError as error:
            self.close()
            raise kafka_io.unavailable(self.settings) from error


def read_backlog(settings: Settings, reader: kafka_io.LagReader, ends: LogEnds) -> Backlog:
    """The lag by role (as `total_lag`), with each stage's lag, its topic's log end and what it feeds."""
    pipeline = stages(settings)
    lags = [sum(reader.group_lag(stage.group, stage.topic).values()) for stage in pipeline]
    end = ends.read(sorted({stage.topic for stage in pipeline}))
    return Backlog(
        StageLag(stage.role, stage.topic, lag, end[stage.topic], stage.feeds) for stage, lag in zip(pipeline, lags, strict=True)
    )


@dataclass
class RunResult:
    caught_up: bool
    elapsed_seconds: float
    lag: dict[str, int]
    logs: dict[str, str]
    exit_codes: dict[str, int | None] = field(default_factory=dict)
    # "SIGTERM" or "SIGINT" when a signal stopped the run (before it caught up, if it was waiting for that).
    interrupted_by: str | None = None
    indexed_documents: int | None = None
    indexed_researchers: int | None = None
    # Per child (as `logs`: "worker" or "worker-1".."worker-N", "indexer") and "runner", this process:
    # peak resident memory and CPU time, read from /proc just before the children are stopped; a
    # child that had already exited is missing.
    peak_rss_mib: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    workers: int = 1


@dataclass(frozen=True)
class Verdict:
    """How `scholarstream run` ends: its exit code, and the line it owes the caller on stderr (or None)."""

    exit_code: int
    message: str | None


def verdict(until_caught_up: bool, caught_up: bool, interrupted_by: str | None, lag: dict[str, int]) -> Verdict:
    """Exit 0 when the run did what was asked; 128 + the signal's number (the shell's convention: 143
    for SIGTERM, 130 for SIGINT) when a signal stopped a run that was waiting to catch up, so a script
    can tell an interrupted catch-up from a finished one. Without --until-caught-up a signal is the
    normal way to stop. (A timeout never gets here: `run_pipeline` raises, and the CLI exits 1.)"""
    if caught_up or interrupted_by is None:
        return Verdict(0, None)
    backlog = ", ".join(f"{role} {n:,}" for role, n in lag.items()) or "not read yet"
    if not until_caught_up:
        return Verdict(0, f"stopped by {interrupted_by} (lag {backlog})")
    return Verdict(128 + signal.Signals[interrupted_by].value, f"interrupted by {interrupted_by} before catching up (lag {backlog})")


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


@dataclass(frozen=True)
class Child:
    """One process of a run: `scholarstream <role>` under `name`, which keys its log, exit code and usage."""

    name: str
    role: str
    log: Path
    env: dict[str, str]


def children_for(settings: Settings, workers: int = 1) -> list[Child]:
    """The processes `run_pipeline` starts: `workers` workers, then the indexer.

    The workers share every setting, hence the consumer group (the app id) and the table changelogs:
    Kafka splits the partitions among them, and each holds the `trust-scores` GlobalTable whole.
    One worker is named "worker", as before; several are "worker-1".."worker-N", each with a log
    of its own. They share the faust data directory (`stream_processors/app.py`), which is safe
    because each process keeps its tables in a scratch file of its own, named by its pid, or in
    memory (`stream_processors/table_store.py`), and faust's web server, which would need a port
    each, is disabled."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    log_dir = Path(settings.data_dir) / "logs"
    env = role_env(settings)
    group = settings.group("worker")
    names = ["worker"] if workers == 1 else [f"worker-{i}" for i in range(1, workers + 1)]
    return [
        *(Child(name, "worker", log_dir / f"{group}{name.removeprefix('worker')}.log", env) for name in names),
        Child("indexer", "indexer", log_dir / f"{settings.group('indexer')}.log", env),
    ]


def _take_over_before_several_workers(settings: Settings) -> None:
    """Each worker takes over the enrich stage of a replaced generation at start-up if its group has
    no commit yet (clients/handover.py); several starting at once would all copy the changelog and
    commit, the later ones into a group the earlier ones already joined. So the runner does it once
    first, and the workers find the group's commits and leave it."""
    if "enrich" in settings.stages:
        kafka_io.ensure_topics(settings, TOPICS)
        take_over(settings, WORKER_GROUP, PAPERS_RAW.name, changelogs=("-enriched-versions-changelog",))


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
    workers: int = 1,
) -> RunResult:
    """Run `workers` workers and the indexer until caught up (or forever, or until SIGINT/SIGTERM),
    all on the generation and stages of `settings`."""
    plan = children_for(settings, workers)
    if workers > 1:
        _take_over_before_several_workers(settings)
        if workers > settings.topic_partitions:
            log.warning("%d workers for %d partitions: %d will idle", workers, settings.topic_partitions,
                        workers - settings.topic_partitions)
    logs = {child.name: str(child.log) for child in plan}
    children = {child.name: start_role(child.role, child.log, child.env) for child in plan}
    stopping: dict[str, str | None] = {"signal": None}

    def _stop(signum, frame):  # noqa: ARG001 - signature
        stopping["signal"] = signal.Signals(signum).name

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    lag: dict[str, int] = {}
    zero_streak = 0
    caught_up = False
    reader, ends = kafka_io.LagReader(settings), LogEnds(settings)
    try:
        while stopping["signal"] is None:
            for name, child in children.items():
                if child.poll() is not None:
                    raise ScholarStreamError(
                        f"the {name} exited with code {child.returncode}; see {logs[name]}:\n{_tail(logs[name])}"
                    )
            if timeout is not None and time.monotonic() - started > timeout:
                raise ScholarStreamError(f"not caught up after {timeout:.0f}s (lag {lag}); logs: {logs}")
            try:
                lag = read_backlog(settings, reader, ends)
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
        ends.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        usage = {name: usage_of(child.pid) for name, child in children.items() if child.poll() is None}
        usage["runner"] = own_usage()
        exit_codes = stop_roles(children)
    interrupted_by = None if caught_up else stopping["signal"]
    result = RunResult(caught_up, time.monotonic() - started, dict(lag), logs, exit_codes, interrupted_by, workers=workers)
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
