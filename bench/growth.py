"""Growth: does a paper cost more when the pipeline already holds more? (issue 17, benchmark 1)

Each scenario runs in a namespace of its own with the real worker and indexer (`scholarstream run`,
kept running) and is fed in windows. After each window the pipeline is waited on until every group
has read its topics to the end, and the window's cost is read:

- CPU seconds per paper of the worker, the indexer, Elasticsearch and Kafka (deltas from /proc;
  Elasticsearch and Kafka are the local stack's nodes, shared with nothing else while this runs);
- bytes written to Kafka per paper: keys and values of every record the window added to the
  namespace's topics, changelogs included, by topic;
- the worker's and the indexer's peak resident memory so far (target: flat across the windows).

Scenarios:

1. `harvest`: the 2016 cs harvest in harvest order, `--papers` records in `--windows` windows.
   Target: the last window costs at most 1.2x the first, in CPU and in bytes per paper.
2. `prolific`: one researcher receiving `--works` works. Real titles, abstracts, categories and
   dates of the harvest, each paper with the single author "Quentin Zyxwright" (synthetic ids
   2612.NNNNN, so nothing else links to them), in windows of `--window` papers. Linked with the
   weights linker (`SCENARIO_SETTINGS`): the pairwise linker splits works that share nothing.
3. `block`: `--people` distinct people of one surname and initial ("Q. Zyxwright": Qabac, Qabad,
   ...), one paper each, in windows of `--window` papers: every mention lands in one block.

For 2 and 3 the table gives the cost per added work or mention in the windows holding the 100th,
1,000th and last one (target: the last at most 2x the 100th). A window the pipeline does not
finish within `--window-timeout` seconds ends its scenario, with the lag and the logs' tails in the
results: that is a finding, not an error of the benchmark.

Each window is also divided by its author lines (`cpu_ms_per_author_line`, ...): the harvest's
later papers have more authors, and most of the worker's records are one per author line, so the
per-line figures tell a cost that grows with the pipeline's state from one that grows with the
papers. `--annotate RESULTS` adds them to a harvest results file written before they were counted.

Before the scenarios, `--warm-up` papers (2,000) run through a throwaway namespace: the stack's
JVMs are then warm, so the first window does not pay for their compilation.

`--skip N` feeds the harvest from its record N+1 on an empty pipeline: the last tenth run alone
costs what its papers cost, without the state the nine tenths before it leave (the content
control of docs/performance.md, 7u).

Usage: python -m bench.growth [--scenarios harvest,prolific,block] [--papers 20000] [--windows 10] [--skip 0]
                              [--works 5000] [--people 2000] [--window 100] [--warm-up 2000]
                              [--profile-windows 1,10 --py-spy PATH] [--name growth]
       python -m bench.growth --annotate bench/results/NAME.json
Fast mode is what the targets are stated for: SCHOLARSTREAM_ENCODER_MODEL=static-minilm-v1.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kafka import TopicPartition

from bench import worker_profile
from bench.common import (
    code_version,
    delete_namespace,
    load_average,
    namespace_env,
    new_namespace,
    print_table,
    write_result,
)
from bench.observe import role_pids
from bench.records import harvest_papers
from clients import es_io, kafka_io
from foundation.settings import Settings
from producers.publish import Publisher
from schemas.papers import Author, RawPaper
from schemas.topics import TOPICS
from scholarstream.pipeline import total_lag
from scholarstream.proc_usage import usage_of
from stack import manager
from stream_processors.worker_report import REPORT_EVERY_SECONDS, read_reports

SURNAME = "Zyxwright"
PROLIFIC_FORENAMES = "Quentin"
CHECKPOINTS = (100, 1_000)
_VOWELS = "aeiou"
_CONSONANTS = "bcdfghjklmnprstvwxz"


# --- synthetic records (pure) --------------------------------------------------------------------


def synthetic_id(prefix: str, number: int) -> str:
    """`prefix.NNNNN`: a valid new-style arXiv id that no real 2016 record carries."""
    if not 0 <= number < 100_000:
        raise ValueError(f"{number} does not fit an arXiv id's five digits")
    return f"{prefix}.{number:05d}"


def distinct_given_names(count: int) -> list[str]:
    """`count` distinct given names of five letters starting with Q ("Qabab", "Qabac", ...): no
    one is another's prefix or initial, so the linker can never call two of them one person."""
    names = ("Q" + v1 + c1 + v2 + c2 for v1, c1, v2, c2 in itertools.product(_VOWELS, _CONSONANTS, _VOWELS, _CONSONANTS))
    chosen = list(itertools.islice(names, count))
    if len(chosen) < count:
        raise ValueError(f"at most {len(chosen)} distinct names")
    return chosen


def with_single_author(paper: RawPaper, arxiv_id: str, author: Author) -> RawPaper:
    """The paper's text, categories and dates under a new id, with `author` as its only author."""
    return paper.model_copy(update={"arxiv_id": arxiv_id, "version": 1, "authors": (author,), "doi": None,
                                    "journal_ref": None, "title_raw": None, "abstract_raw": None})


def prolific_papers(sources: Iterable[RawPaper], works: int) -> Iterator[RawPaper]:
    author = Author(keyname=SURNAME, forenames=PROLIFIC_FORENAMES)
    for number, paper in enumerate(itertools.islice(sources, works)):
        yield with_single_author(paper, synthetic_id("2612", number), author)


def block_papers(sources: Iterable[RawPaper], people: int) -> Iterator[RawPaper]:
    for number, (paper, given) in enumerate(zip(sources, distinct_given_names(people), strict=False)):
        yield with_single_author(paper, synthetic_id("2611", number), Author(keyname=SURNAME, forenames=given))


# --- windows and summaries (pure) ----------------------------------------------------------------


@dataclass
class Window:
    """One fed window: how many records, how many came before, and what it cost."""

    number: int
    papers: int
    before: int
    seconds: float = 0.0
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    bytes_by_topic: dict[str, int] = field(default_factory=dict)
    records_by_topic: dict[str, int] = field(default_factory=dict)
    stored_by_topic: dict[str, int] = field(default_factory=dict)  # growth of the broker's log files
    peak_rss_mib: dict[str, float] = field(default_factory=dict)  # each pipeline process's high-water mark so far
    author_lines: int = 0  # the author lines of the window's papers (0: not counted)
    collector_seconds: list[float] | None = None  # the worker's garbage collection, by generation (its report)
    collector_collections: list[int] | None = None
    profile: dict[str, Any] | None = None  # the worker's sampled profile of this window (`--profile-windows`)
    es_thread_ms: dict[str, dict[str, float]] = field(default_factory=dict)  # index -> activity -> ms (`es_threads`)
    offset: int = 0  # harvest records skipped before the scenario's first (`--skip`): labels only

    @property
    def last(self) -> int:
        """The ordinal of the window's last record (1-based)."""
        return self.before + self.papers

    def per_paper(self) -> dict[str, Any]:
        cpu = {role: round(seconds / self.papers * 1000, 2) for role, seconds in self.cpu_seconds.items()}
        return {
            "window": self.number,
            "records": f"{self.offset + self.before + 1}-{self.offset + self.last}",
            "seconds": round(self.seconds, 1),
            "cpu_ms_per_paper": cpu,
            "cpu_ms_per_paper_total": round(sum(cpu.values()), 2),
            "kafka_bytes_per_paper": round(sum(self.bytes_by_topic.values()) / self.papers),
            "kafka_bytes_per_paper_by_topic": {topic: round(n / self.papers) for topic, n in sorted(self.bytes_by_topic.items())},
            "kafka_records_per_paper": round(sum(self.records_by_topic.values()) / self.papers, 2),
            "kafka_records_per_paper_by_topic": {topic: round(n / self.papers, 3) for topic, n in sorted(self.records_by_topic.items())},
            "kafka_stored_bytes_per_paper": round(sum(self.stored_by_topic.values()) / self.papers),
            "kafka_stored_bytes_per_paper_by_topic": {topic: round(n / self.papers) for topic, n in sorted(self.stored_by_topic.items())},
            "peak_rss_mib": self.peak_rss_mib,
            **self.per_author_line(),
            **self.collector(),
            **({"worker_profile": self.profile} if self.profile is not None else {}),
            **self.elasticsearch_threads(),
        }

    def elasticsearch_threads(self) -> dict[str, Any]:
        """Elasticsearch's thread time on the namespace's indices in the window, ms a paper: by
        activity (indexing, merging, refreshing) and by index. Thread time, not CPU: it grows when a
        thread waits for a core, so it tells where Elasticsearch's time went, not how much CPU it used."""
        if not self.es_thread_ms:
            return {}
        activities = sorted({activity for times in self.es_thread_ms.values() for activity in times})
        return {
            "elasticsearch_thread_ms_per_paper": {
                activity: round(sum(t.get(activity, 0.0) for t in self.es_thread_ms.values()) / self.papers, 3)
                for activity in activities},
            "elasticsearch_thread_ms_per_paper_by_index": {
                index: {activity: round(ms / self.papers, 3) for activity, ms in sorted(times.items())}
                for index, times in sorted(self.es_thread_ms.items())},
        }

    def collector(self) -> dict[str, Any]:
        """The worker's garbage collection in the window, from its report (`stream_processors/collector.py`)."""
        if self.collector_seconds is None:
            return {}
        return {"gc_ms_per_paper_by_generation": [round(s / self.papers * 1000, 3) for s in self.collector_seconds],
                "gc_collections_by_generation": self.collector_collections}

    def per_author_line(self) -> dict[str, Any]:
        """The same costs per author line. Papers late in the harvest have more authors than early
        ones, and most of the worker's records are per author line: this tells a cost that grows
        with the state from one that grows with the papers."""
        if not self.author_lines:
            return {}
        cpu = sum(self.cpu_seconds.values())
        return {
            "author_lines_per_paper": round(self.author_lines / self.papers, 3),
            "cpu_ms_per_author_line": {role: round(seconds / self.author_lines * 1000, 3) for role, seconds in self.cpu_seconds.items()},
            "cpu_ms_per_author_line_total": round(cpu / self.author_lines * 1000, 3),
            "kafka_bytes_per_author_line": round(sum(self.bytes_by_topic.values()) / self.author_lines),
        }


def record_range(row: Mapping[str, Any]) -> tuple[int, int]:
    """The first and last ordinals (1-based) of a window's row, from its "first-last" records."""
    first, last = (int(n) for n in row["records"].split("-"))
    return first, last


def window_holding(rows: Sequence[dict[str, Any]], ordinal: int) -> dict[str, Any] | None:
    """The per-paper row of the window whose records include the `ordinal`-th (1-based)."""
    for row in rows:
        first, last = record_range(row)
        if first <= ordinal <= last:
            return row
    return None


def growth_summary(rows: Sequence[dict[str, Any]], checkpoints: Sequence[int]) -> dict[str, Any]:
    """CPU and bytes per paper at each checkpoint's window, and the last window's ratio to the first
    checkpoint's (the ratios the targets are stated in)."""
    if not rows:
        return {"checkpoints": {}, "ratio_last_to_first": None}
    marks = {}
    for ordinal in checkpoints:
        row = window_holding(rows, ordinal)
        if row is not None:
            marks[str(ordinal)] = {"cpu_ms_per_paper": row["cpu_ms_per_paper_total"], "kafka_bytes_per_paper": row["kafka_bytes_per_paper"]}
    first = window_holding(rows, checkpoints[0]) if checkpoints else rows[0]
    first = first or rows[0]
    last = rows[-1]
    marks[f"last ({last['records']})"] = {"cpu_ms_per_paper": last["cpu_ms_per_paper_total"],
                                          "kafka_bytes_per_paper": last["kafka_bytes_per_paper"]}

    def ratio(key: str) -> float | None:
        return round(last[key] / first[key], 2) if first.get(key) and key in last else None

    ratios = {"cpu": ratio("cpu_ms_per_paper_total"), "kafka_bytes": ratio("kafka_bytes_per_paper"),
              "first": first["records"], "last": last["records"]}
    if "cpu_ms_per_author_line_total" in first and "cpu_ms_per_author_line_total" in last:
        ratios.update(cpu_per_author_line=ratio("cpu_ms_per_author_line_total"),
                      kafka_bytes_per_author_line=ratio("kafka_bytes_per_author_line"),
                      author_lines_per_paper=ratio("author_lines_per_paper"))
    return {"checkpoints": marks, "ratio_last_to_first": ratios}


def with_author_lines(row: dict[str, Any], author_lines: int) -> dict[str, Any]:
    """A window's row measured before author lines were counted, with its per-author-line figures
    (from its per-paper ones: the same measurement, divided otherwise)."""
    first, last = record_range(row)
    papers = last - first + 1
    window = Window(row["window"], papers, first - 1, row["seconds"], author_lines=author_lines,
                    cpu_seconds={role: ms * papers / 1000 for role, ms in row["cpu_ms_per_paper"].items()},
                    bytes_by_topic={"all": row["kafka_bytes_per_paper"] * papers})
    return {**row, **window.per_author_line()}


def annotate(path: Path) -> dict[str, Any]:
    """Add per-author-line figures to a harvest run's results file written before they were
    measured: the harvest's records are the same in the same order, so each window's author lines
    are counted again from them."""
    results = json.loads(path.read_text())
    harvest = results["scenarios"]["harvest"]
    last = max(record_range(row)[1] for row in harvest["windows"])
    lines = [len(paper.authors) for paper in harvest_papers(last)]
    rows = []
    for row in harvest["windows"]:
        first, end = record_range(row)
        rows.append(with_author_lines(row, sum(lines[first - 1:end])))
    harvest["windows"] = rows
    harvest["summary"] = growth_summary(rows, (1,))
    harvest["author_lines_counted_afterwards"] = True
    path.write_text(json.dumps(results, indent=2) + "\n")
    return harvest["summary"]


def split_evenly(total: int, windows: int) -> list[int]:
    """`windows` window sizes adding up to `total`, the larger ones first."""
    if windows < 1 or total < windows:
        raise ValueError(f"cannot split {total} records into {windows} windows")
    base, extra = divmod(total, windows)
    return [base + (1 if n < extra else 0) for n in range(windows)]


# --- watching the services -----------------------------------------------------------------------


def collector_now(settings: Settings, pid: int | None) -> dict[str, Any] | None:
    """The worker's garbage-collection counters as its last report gives them (every 5 s), if any."""
    if pid is None:
        return None
    for report in read_reports(Path(settings.data_dir)):
        if report.get("pid") == pid and report.get("collector"):
            return report["collector"]
    return None


def collector_between(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> tuple[list[float], list[int]] | None:
    """(seconds, collections) by generation from one report's counters to a later one's."""
    if not before or not after:
        return None
    seconds = [round(b - a, 4) for a, b in zip(before["seconds"], after["seconds"], strict=True)]
    collections = [b - a for a, b in zip(before["collections"], after["collections"], strict=True)]
    return seconds, collections


def stack_pids(settings: Settings) -> dict[str, int]:
    """The local stack's Kafka and Elasticsearch processes by node name."""
    report = manager.status(settings)
    pids = {}
    nodes = report.get("nodes", [])
    for node in nodes if isinstance(nodes, list) else []:
        if node.get("pid"):
            pids[str(node["name"])] = int(node["pid"])
    return pids


def stored_bytes(settings: Settings, namespace: str) -> dict[str, int]:
    """Bytes of the namespace's topics in the local broker's log files (segments of every partition):
    what Kafka stores, after the producers' compression and batching, before compaction reclaims any.
    Empty when the stack's data directory is not on this machine."""
    found: dict[str, int] = defaultdict(int)
    nodes = manager.status(settings).get("nodes", [])
    for node in nodes if isinstance(nodes, list) else []:
        data = Path(str(node.get("data_dir") or ""))
        if node.get("service") != "kafka" or not data.is_dir():
            continue
        for partition in data.glob(f"{namespace}.*-*"):
            topic = partition.name.rsplit("-", 1)[0].removeprefix(f"{namespace}.")
            found[topic] += sum(f.stat().st_size for f in partition.glob("*.log"))
    return dict(found)


def descendants(pid: int, proc: Path = Path("/proc")) -> list[int]:
    """`pid` and every process below it (Elasticsearch's server JVM is a child of its launcher's)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in (proc / str(current) / "task").glob("*/children"):
            try:
                queue.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found


def cpu_now(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each role's process tree."""
    readings = {}
    for role, pid in pids.items():
        usages = [usage for usage in map(usage_of, descendants(pid)) if usage is not None]
        if usages:
            readings[role] = sum(usage.cpu_seconds for usage in usages)
    return readings


def peak_rss(pids: dict[str, int]) -> dict[str, float]:
    """The resident-memory high-water mark so far of each process in `pids` (not its children)."""
    return {role: usage.peak_rss_mib for role, usage in ((role, usage_of(pid)) for role, pid in pids.items()) if usage is not None}


def namespace_topics(settings: Settings, namespace: str) -> list[str]:
    admin = kafka_io.admin(settings)
    try:
        return sorted(name for name in admin.list_topics() if name.startswith(f"{namespace}."))
    finally:
        admin.close()


def log_ends(settings: Settings, topics: Sequence[str]) -> dict[TopicPartition, int]:
    probe = kafka_io.consumer(settings)
    try:
        tps = [TopicPartition(topic, p) for topic in topics for p in sorted(probe.partitions_for_topic(topic) or ())]
        return dict(probe.end_offsets(tps)) if tps else {}
    finally:
        probe.close()


def bytes_between(
    settings: Settings, start: dict[TopicPartition, int], end: dict[TopicPartition, int],
) -> tuple[dict[str, int], dict[str, int]]:
    """(bytes, records) by topic of the records from `start` up to `end` (keys plus values)."""
    wanted = {tp: (start.get(tp, 0), stop) for tp, stop in end.items() if stop > start.get(tp, 0)}
    sizes: dict[str, int] = {}
    counts: dict[str, int] = {}
    if not wanted:
        return sizes, counts
    consumer = kafka_io.consumer(settings, max_poll_records=5_000, fetch_max_bytes=64 * 1024 * 1024)
    try:
        consumer.assign(list(wanted))
        for tp, (first, _) in wanted.items():
            consumer.seek(tp, first)
        remaining = set(wanted)
        deadline = time.monotonic() + 600
        while remaining and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=1000).items():
                stop = wanted[tp][1]
                for record in records:
                    if record.offset < stop:
                        sizes[tp.topic] = sizes.get(tp.topic, 0) + len(record.key or b"") + len(record.value or b"")
                        counts[tp.topic] = counts.get(tp.topic, 0) + 1
            remaining = {tp for tp in remaining if consumer.position(tp) < wanted[tp][1]}
    finally:
        consumer.close()
    return sizes, counts


class Stalled(Exception):
    """The pipeline did not finish a window in time (or a process of it exited)."""


def wait_caught_up(settings: Settings, runner: subprocess.Popen, timeout: float) -> None:
    """Until every group has read its topics to the end twice in a row, 1 s apart."""
    deadline, zero = time.monotonic() + timeout, 0
    with kafka_io.LagReader(settings) as reader:
        while zero < 2:
            if runner.poll() is not None:
                raise Stalled(f"`scholarstream run` exited with {runner.returncode}")
            if time.monotonic() > deadline:
                raise Stalled(f"not caught up after {timeout:.0f} s: lag {total_lag(settings, reader)}")
            zero = zero + 1 if not any(total_lag(settings, reader).values()) else 0
            time.sleep(1)


# --- a scenario ------------------------------------------------------------------------------------


class WindowProfiler:
    """py-spy sampling the worker through one window (`--nonblocking`: the worker is never paused).

    A profile shares out the window's CPU: each part's share of the samples times the worker's CPU
    a paper is what that part cost a paper, so the first and last windows show what grew."""

    def __init__(self, py_spy: str, pid: int, raw: Path, rate: int = 100) -> None:
        self.raw = raw
        self.process = subprocess.Popen(worker_profile.py_spy_record(py_spy, pid, rate, raw), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)

    def finish(self, worker_ms_per_paper: float | None) -> dict[str, Any]:
        self.process.send_signal(signal.SIGINT)  # py-spy writes what it sampled and exits
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        stacks = worker_profile.parse_raw(self.raw.read_text(errors="replace").splitlines()) if self.raw.exists() else {}
        return window_profile(stacks, worker_ms_per_paper)

    def abandon(self) -> None:
        """A window that stalled: stop sampling, keep nothing."""
        self.process.kill()


def window_profile(stacks: Mapping[str, int], worker_ms_per_paper: float | None) -> dict[str, Any]:
    """A window's samples as shares of it and, given the worker's CPU a paper, as ms a paper."""
    counted = Counter(stacks)
    parts = worker_profile.by_part(counted)
    agents = worker_profile.by_agent(counted)

    def ms(percent: Mapping[str, float]) -> dict[str, float]:
        if worker_ms_per_paper is None:
            return {}
        return {name: round(share / 100 * worker_ms_per_paper, 3) for name, share in percent.items()}

    return {"samples": sum(counted.values()), "by_part_percent": parts, "by_part_ms_per_paper": ms(parts),
            "by_agent_percent": agents, "by_agent_ms_per_paper": ms(agents),
            "by_function": worker_profile.by_function(counted, top=30)}


ES_ACTIVITIES = {"indexing": ("indexing", "index_time_in_millis"), "merging": ("merges", "total_time_in_millis"),
                 "refreshing": ("refresh", "total_time_in_millis")}


def es_threads(settings: Settings) -> dict[str, dict[str, int]]:
    """Each of the namespace's indices (by its name without the prefix) -> its primaries' thread ms by activity."""
    es = es_io.client(settings)
    try:
        indices = es.indices.stats(index=f"{settings.index_prefix}*", metric="indexing,merge,refresh")["indices"]
    finally:
        es.close()
    return {name.removeprefix(settings.index_prefix): {activity: stats["primaries"][group][counter]
                                                       for activity, (group, counter) in ES_ACTIVITIES.items()}
            for name, stats in indices.items()}


def es_threads_between(before: Mapping[str, Mapping[str, int]], after: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, float]]:
    """The thread ms each index spent between two `es_threads` readings (an index made in between starts at 0)."""
    return {index: {activity: float(ms - before.get(index, {}).get(activity, 0)) for activity, ms in times.items()}
            for index, times in after.items()}


def run_scenario(name: str, papers: Sequence[RawPaper], sizes: Sequence[int], window_timeout: float,
                 progress: Callable[[str], None],
                 on_window: Callable[[list[dict[str, Any]]], None] | None = None,
                 extra_env: Mapping[str, str] | None = None,
                 profile_windows: frozenset[int] = frozenset(), py_spy: str = "py-spy",
                 record_offset: int = 0) -> dict[str, Any]:
    """Feed `papers` in windows of `sizes` to a fresh namespace's pipeline and measure each window;
    `on_window` gets the rows so far after each one (a long run keeps what it measured);
    `extra_env`: settings of this scenario's pipeline (`SCENARIO_SETTINGS`); the windows numbered in
    `profile_windows` also sample the worker with `py_spy`; `record_offset`: the harvest records
    before `papers[0]`, so the windows' record ranges name the harvest's own."""
    namespace = new_namespace(f"growth{name}")
    env = {**namespace_env(namespace), **(extra_env or {})}
    saved = dict(os.environ)
    os.environ.update(env)
    settings = Settings()
    workdir = Path(tempfile.mkdtemp(prefix=f"{namespace}-"))
    kafka_io.ensure_topics(settings, TOPICS)
    log = open(workdir / "run.log", "ab")
    runner = subprocess.Popen([sys.executable, "-m", "scholarstream", "run"], env=env, stdout=log, stderr=log,
                              stdin=subprocess.DEVNULL, start_new_session=True)
    rows: list[dict[str, Any]] = []
    stalled: str | None = None
    began = time.monotonic()
    try:
        publisher = Publisher(settings, lambda: datetime.now(UTC))
        time.sleep(5)
        pipeline = role_pids(runner.pid)
        pids = {**pipeline, **stack_pids(settings)}
        wait_caught_up(settings, runner, window_timeout)  # the worker is up and has nothing to do
        time.sleep(REPORT_EVERY_SECONDS + 1)  # and has written its first report (the collector's counters)
        before = 0
        for number, size in enumerate(sizes, 1):
            window = Window(number, size, before, offset=record_offset,
                            author_lines=sum(len(p.authors) for p in papers[before:before + size]))
            topics = namespace_topics(settings, namespace)
            ends_before = log_ends(settings, topics)
            stored_before = stored_bytes(settings, namespace)
            cpu_before = cpu_now(pids)
            es_before = es_threads(settings)
            collector_before = collector_now(settings, pipeline.get("worker"))
            profiler = (WindowProfiler(py_spy, pipeline["worker"], workdir / f"worker-window-{number}.raw")
                        if number in profile_windows and "worker" in pipeline else None)
            started = time.monotonic()
            for paper in papers[before:before + size]:
                publisher.publish(paper)
            publisher.flush()
            try:
                wait_caught_up(settings, runner, window_timeout)
            except Stalled as error:
                if profiler is not None:
                    profiler.abandon()
                stalled = f"window {number} (records {record_offset + before + 1}-{record_offset + before + size}): {error}"
                break
            window.seconds = time.monotonic() - started
            cpu_after = cpu_now(pids)
            window.es_thread_ms = es_threads_between(es_before, es_threads(settings))
            window.cpu_seconds = {role: cpu_after[role] - cpu_before[role] for role in cpu_after if role in cpu_before}
            window.peak_rss_mib = peak_rss(pipeline)
            if profiler is not None:
                worker_cpu = window.cpu_seconds.get("worker")
                window.profile = profiler.finish(worker_cpu / size * 1000 if worker_cpu is not None else None)
            time.sleep(REPORT_EVERY_SECONDS + 1)  # the worker's report has caught up with the window
            collected = collector_between(collector_before, collector_now(settings, pipeline.get("worker")))
            if collected is not None:
                window.collector_seconds, window.collector_collections = collected
            topics = namespace_topics(settings, namespace)
            window.bytes_by_topic, window.records_by_topic = bytes_between(
                settings, ends_before, log_ends(settings, topics))
            window.bytes_by_topic = {topic.removeprefix(f"{namespace}."): n for topic, n in window.bytes_by_topic.items()}
            window.records_by_topic = {topic.removeprefix(f"{namespace}."): n for topic, n in window.records_by_topic.items()}
            stored_after = stored_bytes(settings, namespace)
            window.stored_by_topic = {topic: n - stored_before.get(topic, 0) for topic, n in stored_after.items()}
            rows.append(window.per_paper())
            before += size
            elapsed = time.monotonic() - began
            eta = elapsed / before * (sum(sizes) - before)
            progress(f"{name}: window {number}/{len(sizes)} ({before} records, {before / elapsed:.1f}/s, ETA {eta:.0f} s): "
                     f"{rows[-1]['cpu_ms_per_paper_total']} ms CPU and {rows[-1]['kafka_bytes_per_paper']} Kafka bytes a paper")
            if on_window is not None:
                on_window(rows)
        publisher.close()
    finally:
        runner.terminate()
        try:
            runner.wait(60)
        except subprocess.TimeoutExpired:
            runner.kill()
        log.close()
        tails = _log_tails(settings) if stalled else {}
        delete_namespace(settings, namespace, keep_logs_in=workdir)
        os.environ.clear()
        os.environ.update(saved)
    return {"namespace": f"{namespace} (deleted)", "logs": str(workdir), "windows": rows, "stalled": stalled,
            "log_tails": tails, "seconds": round(time.monotonic() - began, 1)}


def _log_tails(settings: Settings, lines: int = 15) -> dict[str, str]:
    tails = {}
    for path in sorted((Path(settings.data_dir) / "logs").glob(f"{settings.group('')}*.log")):
        tails[path.name] = "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return tails


# The prolific researcher's works share nothing but the name: no coauthors, titles and categories
# from every field. The pairwise linker rightly makes most of them researchers of their own
# (2,245 for 2,305 works on 2026-12-05), which turns the scenario into a block of namesakes of one
# identical name. The scenario measures a researcher's n-th work, so it links with the weights
# linker, which joins an identical full name, as it did before pairwise was the default.
SCENARIO_SETTINGS: dict[str, dict[str, str]] = {"prolific": {"SCHOLARSTREAM_LINKER": "weights"}}


def warm_up(papers: int, window_timeout: float, progress: Callable[[str], None]) -> dict[str, Any]:
    """Run `papers` harvest records through a pipeline of a throwaway namespace and measure nothing.

    Kafka's and Elasticsearch's JVMs compile their hot paths in their first minutes: on a stack
    started just before, the first window paid for that (Elasticsearch 8.6 against 3.0 ms a
    paper on a warm stack), which makes a later window look cheaper beside it than it is. The
    scenarios' own namespaces still start empty; only the stack's processes are warm."""
    report = run_scenario("warmup", list(harvest_papers(papers)), [papers], window_timeout, progress)
    return {"papers": papers, "seconds": report["seconds"], "stalled": report["stalled"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", default="harvest,prolific,block")
    parser.add_argument("--papers", type=int, default=20_000, help="harvest records (102,538 is the whole 2016 harvest)")
    parser.add_argument("--windows", type=int, default=10, help="windows of the harvest run")
    parser.add_argument("--skip", type=int, default=0, metavar="RECORDS",
                        help="harvest records left out before the first one fed: a later slice of the harvest on an "
                             "empty pipeline, to tell what its papers cost from what the pipeline's state adds")
    parser.add_argument("--works", type=int, default=5_000, help="works of the prolific researcher")
    parser.add_argument("--people", type=int, default=2_000, help="people of the large block")
    parser.add_argument("--window", type=int, default=100, help="papers per window of the prolific and block runs")
    parser.add_argument("--window-timeout", type=float, default=900.0)
    parser.add_argument("--name", default="growth", help="results file bench/results/NAME.json")
    parser.add_argument("--warm-up", type=int, default=2_000, metavar="PAPERS",
                        help="papers run first through a throwaway namespace, so the first window does not pay for "
                             "a freshly started stack's JIT compilation (0: none)")
    parser.add_argument("--profile-windows", default="", metavar="N,M",
                        help="harvest windows whose worker py-spy samples (e.g. 1,10): what grew, by part, in ms a paper")
    parser.add_argument("--py-spy", default="py-spy", help="path of the py-spy executable (`--profile-windows`)")
    parser.add_argument("--annotate", type=Path, metavar="RESULTS",
                        help="no run: add per-author-line figures to a harvest results file written before they were counted")
    args = parser.parse_args()
    if args.annotate:
        print(json.dumps(annotate(args.annotate)))
        return
    chosen = [s for s in args.scenarios.split(",") if s]
    unknown = set(chosen) - {"harvest", "prolific", "block"}
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    # The pipeline runs in a session of its own: a SIGTERM must still stop it and delete the
    # namespace (the `finally` of `run_scenario`), not leave a worker and an indexer behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    settings = Settings()
    load_before = load_average()
    code = code_version()  # the worker runs the code of the checkout as it is now
    results: dict[str, Any] = {"encoder": settings.encoder_model, "linker": settings.linker,
                               "table_store": settings.table_store, "profile_cache_mib": settings.profile_cache_mib,
                               "topic_partitions": settings.topic_partitions,
                               "producer_linger_ms": settings.worker_producer_linger_ms,
                               "producer_batch_bytes": settings.worker_producer_batch_bytes,
                               "producer_compression": settings.worker_producer_compression,
                               "indexer_backlog_refresh_interval": settings.indexer_backlog_refresh_interval,
                               "indexer_backlog_records": settings.indexer_backlog_records,
                               "harvest_skip": args.skip, "scenarios": {}}
    if args.warm_up:
        results["warm_up"] = warm_up(args.warm_up, args.window_timeout, progress)
    for scenario in chosen:
        if scenario == "harvest":
            papers = list(harvest_papers(args.papers, skip=args.skip))
            sizes = split_evenly(len(papers), args.windows)
            checkpoints: tuple[int, ...] = (1,)
        else:
            count = args.works if scenario == "prolific" else args.people
            make = prolific_papers if scenario == "prolific" else block_papers
            papers = list(make(harvest_papers(count), count))
            sizes = split_evenly(len(papers), max(1, len(papers) // args.window))
            checkpoints = CHECKPOINTS

        def keep(rows: list[dict[str, Any]], scenario: str = scenario, checkpoints: tuple[int, ...] = checkpoints) -> None:
            results["scenarios"][scenario] = {"partial": True, "windows": rows, "summary": growth_summary(rows, checkpoints)}
            write_result(args.name, {**results, "load_average": {"before": load_before, "after": load_average()}}, code=code)

        profiled = frozenset(int(n) for n in args.profile_windows.split(",") if n) if scenario == "harvest" else frozenset()
        spy = worker_profile.find_py_spy(args.py_spy) if profiled else args.py_spy
        report = run_scenario(scenario, papers, sizes, args.window_timeout, progress, keep,
                              SCENARIO_SETTINGS.get(scenario), profiled, spy,
                              record_offset=args.skip if scenario == "harvest" else 0)
        report["settings"] = SCENARIO_SETTINGS.get(scenario, {})
        report["summary"] = growth_summary(report["windows"], checkpoints)
        results["scenarios"][scenario] = report
        path = write_result(args.name, {**results, "load_average": {"before": load_before, "after": load_average()}},
                            code=code)
        rows = [(r["records"], r["cpu_ms_per_paper_total"], *(r["cpu_ms_per_paper"].get(k) for k in ("worker", "indexer")),
                 r["kafka_bytes_per_paper"], r.get("kafka_stored_bytes_per_paper"), r["seconds"]) for r in report["windows"]]
        print_table(f"{scenario}: per paper in each window" + (f" (stalled: {report['stalled']})" if report["stalled"] else ""),
                    ["records", "CPU ms", "worker ms", "indexer ms", "Kafka bytes", "stored bytes", "window s"], rows)
        print(json.dumps(report["summary"]))
        print(f"written {path}")


if __name__ == "__main__":
    main()
