"""Backfill: N real records produced, enriched, linked, profiled and indexed until searchable,
against the bare encoder ceiling measured in the same run (benchmarks 1 and 2 of docs/performance.md).

1. Ceiling: sentence-transformers `encode` (the pipeline's model, batch size and sequence
   length, from the same settings) on a sample of the same records' title + abstract, before
   and after the pipeline run; the ceiling is their mean, so load drift is shared by both sides.
2. Produce: `bench.produce` (its own process) sends the N records into a fresh namespace.
3. Pipeline: the real `scholarstream run --until-caught-up --json` (worker and indexer as child
   processes, as in production). Meanwhile this process samples the Elasticsearch counts.
4. Per stage, from the Kafka timestamps of its output topic: records, the time of its first and
   last output, and its steady rate (start-up and first batch excluded). Indexing from the
   sampled counts. End to end: from the first enriched record to the moment every paper was
   searchable and every profile revision written, and the ratio of that rate to the ceiling.
5. Peak resident memory and CPU seconds of each process (producer, worker, indexer, runner,
   this process with its encoder), from /proc.

With `--workers N` the run has N worker processes in one group (`scholarstream run --workers N`);
CPU per paper then sums them (`worker`), and each one's share is in `steady_cpu_seconds_by_process`.

Usage: python -m bench.backfill [--papers 2000] [--ceiling-papers 512] [--workers 1] [--keep] [--name backfill]
The encoder comes from SCHOLARSTREAM_ENCODER_MODEL (fast mode: static-minilm-v1).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.common import (
    busiest_share_by_partitions,
    delete_namespace,
    load_average,
    namespace_env,
    new_namespace,
    print_table,
    rate,
    rounded,
    span_seconds,
    steady_rate,
    write_result,
)
from bench.observe import IndexSampler, cpu_between, first_time, role_pids, topic_stamps
from bench.records import harvest_papers
from clients import es_io
from encoders.loading import load_encoder
from foundation.settings import Settings
from indexers.mappings import PAPERS, RESEARCHERS
from scholarstream.proc_usage import own_usage
from stream_processors.enrich import embedding_text

# (stage, output topic) in pipeline order; each stage's input is the previous one's output.
STAGES = (
    ("produce", "arxiv.papers.raw"),
    ("enrich", "papers.enriched"),
    ("route", "researcher.mentions"),
    ("link", "researcher.authorships"),
    ("assemble", "researcher.works"),
    ("profiles", "researcher.profiles"),
)


PARTITION_COUNTS = (4, 8, 16, 32, 64, 128)


def bare_rate(encoder, texts: list[str], batch_size: int) -> tuple[float, float]:
    """(papers/s, CPU seconds per paper) of the bare encoder; CPU counts all of torch's threads."""
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), batch_size):
        encoder.encode(texts[i : i + batch_size])
    return len(texts) / (time.perf_counter() - started), (time.process_time() - cpu) / len(texts)


def evenly(items: list, count: int) -> list:
    """`count` items spread evenly over `items` (all of them when there are fewer)."""
    if count >= len(items):
        return list(items)
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


def start_child(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """A Python module in its own process; stdout (one JSON document) is piped, stderr logged."""
    with open(log, "ab") as err:
        return subprocess.Popen([sys.executable, "-m", *args], env=env, stdout=subprocess.PIPE, stderr=err,
                                stdin=subprocess.DEVNULL)


def child_result(child: subprocess.Popen, args: list[str], log: Path) -> dict:
    stdout, _ = child.communicate()
    if child.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise SystemExit(f"{' '.join(args)} exited with {child.returncode}:\n{tail}")
    return json.loads(stdout)


def run_child(args: list[str], env: dict[str, str], log: Path) -> dict:
    return child_result(start_child(args, env, log), args, log)


def stage_table(stamps: dict[str, list[tuple[int, int, bytes | None]]], papers: int, run_started: float) -> list[dict]:
    rows = []
    previous_last = None
    for stage, topic in STAGES:
        times = [t for t, _, _ in stamps[topic]]
        if not times:
            rows.append({"stage": stage, "topic": topic, "records": 0})
            continue
        first, last = min(times) / 1000, max(times) / 1000
        steady = steady_rate(times)
        per_paper = len(times) / papers if papers else None
        partitions = Counter(p for _, p, _ in stamps[topic])
        rows.append({
            "stage": stage,
            "topic": topic,
            "records": len(times),
            "records_per_paper": rounded(per_paper, 3),
            "first_output_after_run_start_s": round(first - run_started, 2),
            "last_output_after_run_start_s": round(last - run_started, 2),
            "finished_after_previous_stage_s": None if previous_last is None else round(last - previous_last, 2),
            "span_s": round(span_seconds(times), 2),
            "steady_records_per_second": rounded(steady, 1),
            "steady_papers_per_second": rounded(steady / per_paper if steady and per_paper else None, 1),
            "busiest_partition_share": round(max(partitions.values()) / len(times), 3),
            "partitions": len(partitions),
            # The same records' keys spread over more partitions: how far partitioning can scale this stage.
            "busiest_share_if_partitions": busiest_share_by_partitions(
                [key for _, _, key in stamps[topic] if key is not None], PARTITION_COUNTS),
        })
        previous_last = last
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=2000, help="records of the 2016 cs harvest, in harvest order")
    parser.add_argument("--ceiling-papers", type=int, default=512, help="records (evenly sampled from the N) for the bare encoder runs")
    parser.add_argument("--namespace", default=None, help="default: a new bench* namespace")
    parser.add_argument("--keep", action="store_true", help="keep the namespace (topics, indices) for other benchmarks")
    parser.add_argument("--timeout", type=float, default=6 * 3600, help="give the pipeline this long to catch up")
    parser.add_argument("--name", default="backfill", help="results file bench/results/NAME.json")
    parser.add_argument("--workers", type=int, default=1, help="worker processes in the group (scholarstream run --workers)")
    args = parser.parse_args()

    namespace = args.namespace or new_namespace("backfill")
    env = namespace_env(namespace)
    os.environ.update(env)
    settings = Settings()
    if not namespace.startswith("bench"):
        raise SystemExit("the backfill writes into its namespace: give a bench* namespace (or none for a new one)")
    workdir = Path(tempfile.mkdtemp(prefix=f"{namespace}-"))
    load_before = load_average()
    print(f"namespace {namespace}; logs in {workdir}", file=sys.stderr)

    sample = evenly([embedding_text(p) for p in harvest_papers(args.papers)], args.ceiling_papers)
    encoder = load_encoder(settings)
    encoder.encode(sample[: settings.encoder_batch_size])  # warm-up: first-call costs are not throughput
    before, cpu_before = bare_rate(encoder, sample, settings.encoder_batch_size)
    print(f"bare encoder before: {before:.1f} papers/s", file=sys.stderr)

    es = es_io.client(settings)
    papers_alias, researchers_alias = PAPERS.alias(settings), RESEARCHERS.alias(settings)
    try:
        produce_started = time.time()
        produced = run_child(["bench.produce", "--papers", str(args.papers)], env, workdir / "produce.log")
        print(f"produced {produced['produced']} records at {produced['records_per_second']}/s", file=sys.stderr)

        run_args = ["scholarstream", "run", "--until-caught-up", "--json", "--timeout", str(args.timeout),
                    "--workers", str(args.workers)]
        run_started = time.time()
        runner = start_child(run_args, env, workdir / "run.log")
        sampler = IndexSampler(es, [papers_alias, researchers_alias], processes=lambda: role_pids(runner.pid, args.workers))
        sampler.start()
        run = child_result(runner, run_args, workdir / "run.log")
        run_returned = time.time()
        sampler.stop()
        es.indices.refresh(index=f"{papers_alias},{researchers_alias}")
        final = sampler.sample()
        sampler.samples.append(final)

        stamps = {topic: topic_stamps(settings, settings.topic(topic)) for _, topic in STAGES}
        after, cpu_after = bare_rate(encoder, sample, settings.encoder_batch_size)
        print(f"bare encoder after: {after:.1f} papers/s", file=sys.stderr)
    finally:
        if not args.keep:
            delete_namespace(settings, namespace, keep_logs_in=workdir)
    ceiling = (before + after) / 2

    papers = final.searchable[papers_alias]
    stages = stage_table(stamps, papers, run_started)
    enriched_times = sorted(t for t, _, _ in stamps["papers.enriched"])
    first_enriched = enriched_times[0] / 1000 if enriched_times else None
    first_batch = sum(1 for t in enriched_times if t <= enriched_times[0] + 100)
    papers_searchable = first_time(sampler.samples, papers_alias, papers)
    profiles_indexed = first_time(sampler.samples, researchers_alias, final.indexed[researchers_alias], "indexed")
    searchable_at = max(t for t in (papers_searchable, profiles_indexed) if t is not None)
    steady = rate(papers - first_batch, searchable_at - first_enriched) if first_enriched else None
    index_first = next((s.at for s in sampler.samples if s.indexed.get(papers_alias)), None)
    wall = run_returned - run_started
    # Nothing enriched means no steady state to measure (the rate above is None too).
    roles = sorted({role for sample in sampler.samples for role in sample.cpu_seconds})
    by_process = {role: cpu_between(sampler.samples, role, first_enriched, searchable_at) if first_enriched else None
                  for role in roles}
    worker_cpu = [cpu for role, cpu in by_process.items() if role.startswith("worker")]
    measured = [cpu for cpu in worker_cpu if cpu is not None]
    steady_cpu = {"worker": sum(measured) if measured and len(measured) == len(worker_cpu) else None,
                  "indexer": by_process.get("indexer")}
    cpu_per_paper = {role: round(cpu / (papers - first_batch), 4) for role, cpu in steady_cpu.items()
                     if cpu is not None and papers > first_batch}
    workers_cores = {role: round(seconds / wall, 2) for role, seconds in run.get("cpu_seconds", {}).items()}

    result = {
        "namespace": namespace if args.keep else f"{namespace} (deleted)",
        "papers_produced": produced["produced"],
        "papers_searchable": papers,
        "researchers_searchable": final.searchable[researchers_alias],
        "encoder": {
            "model": settings.encoder_model,
            "batch_size": settings.encoder_batch_size,
            "max_seq_length": settings.encoder_max_seq_length,
            "batch_within_seconds": settings.batch_within_seconds,
        },
        "topic_partitions": settings.topic_partitions,
        "linker": settings.linker,
        "workers": args.workers,
        "ceiling_papers_per_second": {"before": round(before, 2), "after": round(after, 2), "mean": round(ceiling, 2),
                                      "sample": len(sample)},
        # CPU cost per paper is less sensitive to a busy machine than wall-clock rates.
        "ceiling_cpu_seconds_per_paper": round((cpu_before + cpu_after) / 2, 4),
        "steady_cpu_seconds_per_paper": cpu_per_paper,
        "steady_cpu_seconds_by_process": {role: rounded(cpu) for role, cpu in by_process.items()},
        "encoder_share_of_worker_cpu": rounded(
            (cpu_before + cpu_after) / 2 / cpu_per_paper["worker"] if cpu_per_paper.get("worker") else None, 3),
        "produce": produced,
        "stages": stages,
        "index": {
            "first_write_after_run_start_s": rounded(index_first - run_started if index_first else None),
            "all_papers_searchable_after_run_start_s": rounded(papers_searchable - run_started if papers_searchable else None),
            "last_profile_indexed_after_run_start_s": rounded(profiles_indexed - run_started if profiles_indexed else None),
            "papers_index_operations": final.indexed[papers_alias],
            "researcher_index_operations": final.indexed[researchers_alias],
            "papers_per_second": rounded(rate(papers, papers_searchable - index_first) if papers_searchable and index_first else None, 1),
            "researcher_operations_per_second": rounded(
                rate(final.indexed[researchers_alias], profiles_indexed - index_first) if profiles_indexed and index_first else None, 1),
            "sample_interval_s": sampler.interval,
        },
        "end_to_end": {
            "steady_papers_per_second": rounded(steady, 2),
            "ratio_to_ceiling": rounded(steady / ceiling if steady else None, 3),
            "enrich_stage_ratio_to_ceiling": rounded(
                stages[1]["steady_records_per_second"] / ceiling if stages[1].get("steady_records_per_second") else None, 3),
            "seconds_run_start_to_first_enriched": rounded(first_enriched - run_started if first_enriched else None),
            "seconds_run_start_to_searchable": round(searchable_at - run_started, 2),
            "papers_per_second_including_startup": rounded(rate(papers, searchable_at - run_started), 2),
            "papers_per_second_including_produce": rounded(rate(papers, searchable_at - produce_started), 2),
            "runner_wall_seconds_including_shutdown": round(wall, 1),
        },
        "peak_rss_mib": {"producer": produced["peak_rss_mib"], **run.get("peak_rss_mib", {}),
                         "bench (encoder ceiling)": own_usage().peak_rss_mib},
        "cpu_seconds": {"producer": produced["cpu_seconds"], **run.get("cpu_seconds", {})},
        "cores_busy_during_run": workers_cores,
        "load_average": {"before": load_before, "after": load_average()},
        "method": (
            "steady end-to-end rate = papers after the first enriched batch / (moment all papers were searchable and the "
            "last profile revision indexed - first enriched record's Kafka timestamp); ceiling = mean of the bare encoder "
            "before and after, same process settings; stage rates from Kafka timestamps of each stage's output topic"
        ),
    }
    path = write_result(args.name, result)
    print_table(f"backfill of {papers} papers ({settings.encoder_model}); load {load_before} -> {result['load_average']['after']}",
                ["stage", "records", "first s", "last s", "records/s", "papers/s", "busiest partition"],
                [(s["stage"], s["records"], s.get("first_output_after_run_start_s"), s.get("last_output_after_run_start_s"),
                  s.get("steady_records_per_second"), s.get("steady_papers_per_second"), s.get("busiest_partition_share"))
                 for s in stages]
                + [("index papers", papers, result["index"]["first_write_after_run_start_s"],
                    result["index"]["all_papers_searchable_after_run_start_s"], None, result["index"]["papers_per_second"], None),
                   ("index profiles", final.indexed[researchers_alias], None,
                    result["index"]["last_profile_indexed_after_run_start_s"],
                    result["index"]["researcher_operations_per_second"], None, None)])
    e2e = result["end_to_end"]
    print(f"ceiling {ceiling:.1f} papers/s (before {before:.1f}, after {after:.1f}); end to end {e2e['steady_papers_per_second']} "
          f"papers/s = {e2e['ratio_to_ceiling']}x the ceiling; with start-up {e2e['papers_per_second_including_startup']}/s")
    print("peak RSS MiB: " + ", ".join(f"{k} {v}" for k, v in result["peak_rss_mib"].items()))
    print(f"written {path}")


if __name__ == "__main__":
    main()
