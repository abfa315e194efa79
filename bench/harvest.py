"""OAI-PMH harvest throughput and the producers' acceptance (issue 4), on arXiv's real pages.

The fake arXiv (tests/fake_arxiv) serves the real `ListRecords` pages of
../shared/data/arxiv-oai-cs-2016 with no delay, and the real CLI, `scholarstream ingest oai
--endpoint URL --set cs`, runs as a child process into a fresh namespace on the real Kafka:

1. full: one uninterrupted harvest. Records/s, and the keys of `arxiv.papers.raw` read back by a
   consumer and compared with the ids the pages serve.
2. killed: the same harvest in a new namespace, its process group SIGKILLed once about half the
   records are in Kafka, then the same command again, which resumes from `ingest.checkpoints`.
   Distinct keys again, and how many records the resume sent a second time.
3. profile: a shorter harvest under py-spy (every thread) or else cProfile (the main thread).
4. with `--compare REF`: the shorter harvest alternately from REF's code (exported with `git
   archive`) and from this tree, `--repeats` times each, so both see the same machine load.

Usage: .venv/bin/python -m bench.harvest [--pages 103] [--json] [--compare REF] [--repeats 3]
(needs Kafka; `scholarstream stack up`). Writes bench/results/harvest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kafka import TopicPartition
from kafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from bench.common import write_result
from bench.harvest_profile import cprofile_command, pyspy, pyspy_command, summarise_cprofile, summarise_pyspy
from clients import kafka_io
from foundation.settings import Settings
from producers.checkpoints import CheckpointStore
from producers.oai_pmh import HarvestRequest
from producers.oai_records import page_files, page_records
from schemas.topics import PAPERS_RAW
from scholarstream.progress import err_console, progress_bar
from tests.fake_arxiv import FakeArxivServer

REPO = Path(__file__).resolve().parent.parent
PAGES = REPO.parent / "shared" / "data" / "arxiv-oai-cs-2016"


def served_pages(count: int) -> list[Path]:
    """The first `count` pages; a shorter chain keeps the last page, whose empty token ends it."""
    pages = page_files(PAGES)
    return pages if count >= len(pages) else [*pages[: count - 1], pages[-1]]


def served_keys(pages: list[Path]) -> tuple[int, set[str]]:
    """(live records served, their distinct arXiv ids; a record without a readable id has none)."""
    records = 0
    keys: set[str] = set()
    for record in page_records(pages):
        if not record.deleted:
            records += 1
            if record.key is not None:
                keys.add(record.key)
    return records, keys


@contextmanager
def namespace() -> Iterator[Settings]:
    """A fresh topic prefix, deleted afterwards with everything the harvest created in it."""
    name = f"hv{uuid.uuid4().hex[:10]}"
    settings = Settings(SCHOLARSTREAM_TOPIC_PREFIX=f"{name}.", SCHOLARSTREAM_INDEX_PREFIX=f"{name}-")
    try:
        yield settings
    finally:
        admin = kafka_io.admin(settings)
        try:
            doomed = [topic for topic in admin.list_topics() if topic.startswith(f"{name}.")]
            if doomed:
                admin.delete_topics(doomed)
        finally:
            admin.close()


class RawTopicWatch:
    """Records in `arxiv.papers.raw` so far (the sum of its end offsets), for progress and the kill."""

    def __init__(self, settings: Settings) -> None:
        self._topic = settings.topic(PAPERS_RAW.name)
        self._probe = kafka_io.consumer(settings)
        self._tps: list[TopicPartition] = []
        self._last = 0

    def records(self) -> int:
        """Never names the topic before it exists: the broker would auto-create it with one partition."""
        try:
            if not self._tps:
                partitions = self._probe.partitions_for_topic(self._topic)  # all-topics metadata: creates nothing
                self._tps = [TopicPartition(self._topic, p) for p in sorted(partitions)]
            if self._tps:
                self._last = sum(self._probe.end_offsets(self._tps).values())
        except KafkaError:
            pass  # a new topic's leaders are still being elected: ask again at the next tick
        return self._last

    def close(self) -> None:
        self._probe.close()


def harvest(
    settings: Settings,
    endpoint: str,
    *,
    total: int,
    label: str,
    cwd: Path = REPO,
    wrap: Callable[[list[str]], list[str]] = lambda command: command,
    kill_at: int | None = None,
) -> dict[str, Any]:
    """Run `scholarstream ingest oai` in its own process group; SIGKILL it once `kill_at` records are in Kafka."""
    command = wrap([sys.executable, "-m", "scholarstream", "ingest", "oai", "--endpoint", endpoint, "--set", "cs", "--json"])
    env = {**os.environ, "SCHOLARSTREAM_TOPIC_PREFIX": settings.topic_prefix, "SCHOLARSTREAM_INDEX_PREFIX": settings.index_prefix}
    watch = RawTopicWatch(settings)
    cpu_before = _children_cpu()
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, progress_bar(label, total) as advance:
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err, start_new_session=True)
        killed = 0
        seen = already = watch.records()  # a resumed harvest's topic holds the first run's records
        try:
            while child.poll() is None:
                time.sleep(0.2)
                now = watch.records()
                advance(now - seen)
                seen = now
                if kill_at is not None and now >= kill_at and not killed:
                    os.killpg(child.pid, signal.SIGKILL)
                    killed = now
            child.wait()
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        wall = time.monotonic() - started
        time.sleep(0.5)  # a produce request already sent when the kill landed is appended now or never
        in_kafka = watch.records()
        advance(in_kafka - seen)
        watch.close()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    result: dict[str, Any] = {
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(_children_cpu() - cpu_before, 2),
        "records_in_kafka": in_kafka,
        "records_in_kafka_before": already,
    }
    if killed:
        if child.returncode != -signal.SIGKILL:
            raise SystemExit(f"{label}: the harvest ended with {child.returncode} before the kill landed")
        return {**result, "killed_at_records_in_kafka": killed}
    if child.returncode != 0:
        raise SystemExit(f"{label}: `{' '.join(command)}` failed ({child.returncode}):\n{stderr[-3000:]}")
    return {**result, "summary": _summary(stdout)}


def _summary(stdout: str) -> dict[str, Any]:
    """The CLI's `--json` document; a profiler may have printed its own lines around it."""
    start = 0 if stdout.startswith("{") else stdout.find("\n{") + 1
    return json.JSONDecoder().raw_decode(stdout[start:])[0]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def count_keys(settings: Settings) -> tuple[int, set[str]]:
    """(records, distinct keys) of `arxiv.papers.raw`, read by a consumer from the start to the end offsets."""
    records, keys = 0, set()
    topic = settings.topic(PAPERS_RAW.name)
    for record in kafka_io.read_to_end(settings, topic, max_partition_fetch_bytes=8 * 1024 * 1024, fetch_max_bytes=32 * 1024 * 1024):
        records += 1
        keys.add(record.key.decode())
    return records, keys


def _keys_report(settings: Settings, expected: set[str]) -> dict[str, Any]:
    records, keys = count_keys(settings)
    return {
        "records_in_topic": records,
        "distinct_keys": len(keys),
        "missing_keys": sorted(expected - keys)[:20],
        "unexpected_keys": sorted(keys - expected)[:20],
    }


def _rates(summary: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    read = summary["read"]
    return {
        "records_read": read,
        "produced": summary["produced"],
        "rejected": summary["rejected"],
        "pages": summary["pages"],
        "elapsed_seconds": round(summary["elapsed_seconds"], 2),
        "records_per_second": summary["records_per_second"],
        "wall_seconds": run["wall_seconds"],
        "wall_records_per_second": round(read / run["wall_seconds"], 1),
        "cpu_seconds": run["cpu_seconds"],
        "cpu_ms_per_record": round(1000 * run["cpu_seconds"] / read, 3) if read else None,
    }


def full_harvest(endpoint: str, records: int, expected: set[str]) -> dict[str, Any]:
    with namespace() as settings:
        run = harvest(settings, endpoint, total=records, label="full harvest")
        return {**_rates(run["summary"], run), **_keys_report(settings, expected)}


def killed_harvest(endpoint: str, records: int, expected: set[str]) -> dict[str, Any]:
    """Killed once half the records are in Kafka, then the same command again."""
    with namespace() as settings:
        first = harvest(settings, endpoint, total=records, label="harvest, killed half-way", kill_at=records // 2)
        store = CheckpointStore(settings)
        try:
            checkpoint = store.load(HarvestRequest(endpoint=endpoint, set="cs").checkpoint_id)
        finally:
            store.close()
        if checkpoint is None or checkpoint.completed:
            raise SystemExit(f"the kill did not land mid-harvest (checkpoint: {checkpoint})")
        again = harvest(settings, endpoint, total=records - checkpoint.cursor, label="same command again (resumes)")
        summary = again["summary"]
        keys = _keys_report(settings, expected)
        return {
            "killed_at_records_in_kafka": first["killed_at_records_in_kafka"],
            "records_in_kafka_after_kill": first["records_in_kafka"],
            "checkpoint_at_kill": {"cursor": checkpoint.cursor, "pages": checkpoint.pages},
            "first_run_wall_seconds": first["wall_seconds"],
            "resume": {"resumed_from_cursor": summary["resumed_from_cursor"], "completed": summary["completed"], **_rates(summary, again)},
            **keys,
            "duplicates_resent": keys["records_in_topic"] - keys["distinct_keys"],
        }


def profile(endpoint: str, records: int) -> dict[str, Any]:
    with namespace() as settings, tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "profile"
        spy = pyspy()
        wrap = (lambda c: pyspy_command(spy, path, c)) if spy else (lambda c: cprofile_command(path, c))
        run = harvest(settings, endpoint, total=records, label="profiled harvest", wrap=wrap)
        found = summarise_pyspy(path) if spy else summarise_cprofile(path)
        return {"records": run["summary"]["read"], "records_per_second_while_profiled": run["summary"]["records_per_second"], **found}


def compare(endpoint: str, records: int, ref: str, repeats: int) -> dict[str, Any]:
    """The shorter harvest from REF's code and from this tree, alternating (ABBA...) in one run."""
    revision = subprocess.run(["git", "rev-parse", "--short", ref], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    runs: dict[str, list[dict[str, Any]]] = {revision: [], "this tree": []}
    with tempfile.TemporaryDirectory() as tree:
        archive = subprocess.run(["git", "archive", ref], cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        probe = [sys.executable, "-c", "import producers.normalise as m; print(m.__file__)"]
        loaded = subprocess.run(probe, cwd=tree, capture_output=True, text=True, check=True).stdout
        if not loaded.startswith(tree):
            raise SystemExit(f"the baseline tree would not be imported from {tree}: {loaded}")
        for index in range(2 * repeats):
            side = revision if index % 4 in (0, 3) else "this tree"
            with namespace() as settings:
                label = f"{side} ({index // 2 + 1}/{repeats})"
                run = harvest(settings, endpoint, total=records, label=label, cwd=Path(tree) if side == revision else REPO)
            runs[side].append(_rates(run["summary"], run))
    medians = {
        side: {key: statistics.median(r[key] for r in rs) for key in ("records_per_second", "wall_records_per_second", "cpu_ms_per_record")}
        for side, rs in runs.items()
    }
    return {
        "baseline": revision,
        "records": records,
        "medians": medians,
        "speed_up_records_per_second": round(medians["this tree"]["records_per_second"] / medians[revision]["records_per_second"], 3),
        "cpu_per_record_ratio": round(medians["this tree"]["cpu_ms_per_record"] / medians[revision]["cpu_ms_per_record"], 3),
        "runs": runs,
    }


def print_table(result: dict[str, Any]) -> None:
    table = Table(title=f"OAI-PMH harvest of {result['pages']} real pages (fake arXiv, no delay)")
    for column in ("run", "records read", "distinct keys", "in topic", "loop s", "records/s", "wall rec/s", "CPU ms/rec"):
        table.add_column(column, justify="left" if column == "run" else "right")
    rows = [("full", result["full"], result["full"])]
    killed = result["killed_and_resumed"]
    rows.append((f"killed at {killed['killed_at_records_in_kafka']:,}; resume", killed["resume"], killed))
    comparison = result.get("comparison") or {}
    for side, medians in comparison.get("medians", {}).items():
        rows.append((f"{side} (median of {comparison['repeats']})", {"records_read": comparison["records"], **medians}, {}))
    for label, rates, keys in rows:
        table.add_row(
            label,
            f"{rates['records_read']:,}",
            f"{keys['distinct_keys']:,}" if keys else "",
            f"{keys['records_in_topic']:,}" if keys else "",
            f"{rates['elapsed_seconds']:.1f}" if "elapsed_seconds" in rates else "",
            f"{rates['records_per_second']:,.0f}",
            f"{rates['wall_records_per_second']:,.0f}",
            f"{rates['cpu_ms_per_record']:.2f}",
        )
    wide = Console(stderr=True, width=max(err_console.width, 120))
    wide.print(table)
    wide.print(
        f"expected distinct keys {result['expected_distinct_keys']:,}; "
        f"re-sent after the resume {killed['duplicates_resent']:,} (checkpoint at the kill: {killed['checkpoint_at_kill']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=103, help="pages served (the last one always ends the chain)")
    parser.add_argument("--short-pages", type=int, default=20, help="pages for the profiled and compared harvests")
    parser.add_argument("--compare", metavar="REF", help="git revision whose harvester to measure against this tree")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    args = parser.parse_args()

    pages, short = served_pages(args.pages), served_pages(min(args.short_pages, args.pages))
    records, expected = served_keys(pages)
    short_records, _ = served_keys(short)
    result: dict[str, Any] = {
        "pages": len(pages), "records_served": records, "expected_distinct_keys": len(expected), "fake_server_delay_s": 0.0,
    }
    for name, chain, work in (
        ("full", pages, lambda url: full_harvest(url, records, expected)),
        ("killed_and_resumed", pages, lambda url: killed_harvest(url, records, expected)),
        ("profile", short, lambda url: profile(url, short_records)),
        ("comparison", short,
         (lambda url: {**compare(url, short_records, args.compare, args.repeats), "repeats": args.repeats}) if args.compare else None),
    ):
        if work is None:
            continue
        load_before = os.getloadavg()[0]
        with FakeArxivServer(pages=chain, delay_s=0.0) as server:  # a fresh server: request numbers start at 1
            result[name] = work(server.url)
        # The machine is shared: the load around each phase says how much of it the harvest had.
        result[name]["load_average_1m"] = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    path = write_result("harvest", result)
    print_table(result)
    err_console.print(f"wrote {path}")
    if args.json:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
