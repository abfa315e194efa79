"""Scale projection from measured figures (benchmark 6 of docs/performance.md).

Reads `bench/results/backfill*.json` and `workers-*.json` (the backfills `bench.workers` ran with 1
and with 2 workers; `reindex.json` when present) and projects what N workers
and K machines would sustain, and how long the whole arXiv would take. Nothing is measured here;
every input is named in the output with the file it came from. The model and its assumptions are
`ASSUMPTIONS` below (written into the result too).

Usage: python -m bench.projection [--total 2700000] [--machines 1,2,4,8] [--workers-per-machine N]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.common import RESULTS, print_table, write_result

ARXIV_TOTAL = 2_700_000
ASSUMPTIONS = (
    "One worker process (with its indexer) sustains r1 papers/s end to end: the backfill's steady rate on the measured "
    "machine divided by the workers it ran (from workers-2.json: the rate each of two workers sharing this machine's "
    "cores reached, measured, not assumed).",
    "CPU bound: a machine sustains at most cores / cpu_per_paper papers/s, cpu_per_paper being the worker's plus the "
    "indexer's steady CPU seconds per paper. Kafka's and Elasticsearch's CPU is not in it (r1 already pays for them, "
    "running on the same machine; the CPU bound does not), so it is an upper bound.",
    "Workers per machine: one per core (each with one torch thread), unless --workers-per-machine says otherwise.",
    "Partitions: a group uses at most one consumer per partition, and the worker holding the busiest partition of a "
    "stage finishes last, so N workers speed a stage up by at most min(N, 1 / busiest partition share), the shares as "
    "computed from the backfill's own record keys spread by Kafka's partitioner over the partition count used (the "
    "smallest measured count >= workers; keyed by paper for enrich, by blocking key for linking, by researcher for "
    "profiles): hot blocking keys do not spread, however many partitions there are.",
    "Elasticsearch stays one node: it absorbs at most the reindex's measured documents/s (one bulk writer), each paper "
    "costing 1 paper document plus its profile revisions per paper. The ES-scaled columns drop this bound.",
    "Machines are like the measured one, the load is spread evenly, and the corpus is like the 2016 cs harvest "
    "(authors and profile revisions per paper); a per-researcher profile grows with its works, which a longer "
    "backfill than the measured one may make slower.",
)


# --- arithmetic (pure; tests/unit/test_bench_stats.py) -------------------------------------------


def partition_speedup(workers: int, busiest_share: float) -> float:
    """How much faster N workers finish a stage whose busiest partition holds `busiest_share` of it."""
    if workers < 1 or not 0 < busiest_share <= 1:
        raise ValueError("need workers >= 1 and 0 < busiest_share <= 1")
    return min(float(workers), 1.0 / busiest_share)


def sustained_rate(
    *,
    per_worker: float,
    workers: int,
    busiest_share: float,
    cpu_bound: float | None,
    index_bound: float | None,
) -> tuple[float, str]:
    """(papers/s, what bounds it): the smallest of the worker, CPU and index bounds."""
    bounds = {"workers x partitions": per_worker * partition_speedup(workers, busiest_share)}
    if cpu_bound is not None:
        bounds["CPU"] = cpu_bound
    if index_bound is not None:
        bounds["Elasticsearch (one node)"] = index_bound
    name = min(bounds, key=lambda k: bounds[k])
    return bounds[name], name


def hours_for(total: int, papers_per_second: float) -> float:
    if papers_per_second <= 0:
        raise ValueError("the rate must be positive")
    return total / papers_per_second / 3600


# --- reading the measurements --------------------------------------------------------------------


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def inputs_from(backfill: dict, reindex: dict | None) -> dict:
    """The measured inputs of one backfill result (plus the reindex rate), named."""
    e2e = backfill["end_to_end"]
    workers = backfill.get("workers", 1)
    per_worker = round(e2e["steady_papers_per_second"] / workers, 2) if e2e["steady_papers_per_second"] else None
    cpu = backfill.get("steady_cpu_seconds_per_paper") or {}
    cpu_per_paper = round(sum(cpu.get(role, 0.0) for role in ("worker", "indexer")), 4) or None
    shares = {s["stage"]: s["busiest_partition_share"] for s in backfill["stages"] if s.get("busiest_partition_share")}
    shares.pop("produce", None)
    busiest_stage = max(shares, key=lambda k: shares[k]) if shares else None
    by_partitions: dict[str, float] = {}
    for stage in backfill["stages"]:
        if stage["stage"] == "produce":
            continue
        for count, share in (stage.get("busiest_share_if_partitions") or {}).items():
            by_partitions[count] = max(by_partitions.get(count, 0.0), share)
    profiles: dict[str, Any] = next((s for s in backfill["stages"] if s["stage"] == "profiles"), {})
    revisions_per_paper = profiles.get("records_per_paper") or 0.0
    reindex_rate = None
    if reindex and reindex.get("runs"):
        reindex_rate = min(run["documents_per_second"] for run in reindex["runs"])
    return {
        "encoder": backfill["encoder"]["model"],
        "papers": backfill["papers_searchable"],
        "measured_with_workers": workers,
        "per_worker_papers_per_second": per_worker,
        "cpu_seconds_per_paper": cpu_per_paper,
        "cores_per_worker": round(cpu_per_paper * per_worker, 2) if cpu_per_paper and per_worker else None,
        "busiest_partition_share": shares.get(busiest_stage) if busiest_stage else 1.0,
        "busiest_stage": busiest_stage,
        "busiest_share_if_partitions": by_partitions,
        "partitions": backfill["topic_partitions"],
        "machine_cores": backfill["machine"]["cpus"],
        "load_average_during_backfill": backfill.get("load_average"),
        "profile_revisions_per_paper": revisions_per_paper,
        "reindex_documents_per_second": reindex_rate,
        "index_bound_papers_per_second": round(reindex_rate / (1 + revisions_per_paper), 1) if reindex_rate else None,
    }


def partitions_for(workers: int, inputs: dict) -> tuple[int, float]:
    """(partition count, busiest share): the smallest computed count that gives every worker a partition."""
    computed = sorted((int(n), share) for n, share in inputs["busiest_share_if_partitions"].items())
    for count, share in computed:
        if count >= max(workers, inputs["partitions"]):
            return count, share
    if computed:
        return computed[-1]
    return inputs["partitions"], inputs["busiest_partition_share"]


def project(inputs: dict, machines: list[int], total: int, workers_override: int | None) -> list[dict]:
    cores = inputs["machine_cores"]
    per_worker = inputs["per_worker_papers_per_second"]
    per_machine = workers_override or cores
    cpu_per_paper = inputs["cpu_seconds_per_paper"]
    rows = []
    for k in machines:
        workers = k * per_machine
        cpu_bound = k * cores / cpu_per_paper if cpu_per_paper else None
        partitions, share = partitions_for(workers, inputs)
        rate, bound = sustained_rate(per_worker=per_worker, workers=workers, busiest_share=share,
                                     cpu_bound=cpu_bound, index_bound=inputs["index_bound_papers_per_second"])
        unbounded_es, es_free_bound = sustained_rate(per_worker=per_worker, workers=workers, busiest_share=share,
                                                     cpu_bound=cpu_bound, index_bound=None)
        rows.append({
            "machines": k,
            "workers": workers,
            "papers_per_second": round(rate, 1),
            "bounded_by": bound,
            "hours_for_total": round(hours_for(total, rate), 1),
            "papers_per_second_if_elasticsearch_scales": round(unbounded_es, 1),
            "hours_if_elasticsearch_scales": round(hours_for(total, unbounded_es), 1),
            "bounded_by_if_elasticsearch_scales": es_free_bound,
            "partitions": partitions,
            "busiest_partition_share": share,
        })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--total", type=int, default=ARXIV_TOTAL, help="papers to project for (whole arXiv: about 2.7 million)")
    parser.add_argument("--machines", default="1,2,4,8")
    parser.add_argument("--workers-per-machine", type=int, default=None, help="default: as many as the measured CPU use fits")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--name", default="projection")
    args = parser.parse_args()
    machines = [int(k) for k in args.machines.split(",")]
    backfills = sorted([*args.results.glob("backfill*.json"), *args.results.glob("workers-*.json")])
    if not backfills:
        raise SystemExit(f"no backfill*.json in {args.results}: run `python -m bench.backfill` first")
    reindex_path = args.results / "reindex.json"
    reindex = _load(reindex_path) if reindex_path.exists() else None
    projections = []
    for path in backfills:
        backfill = _load(path)
        inputs = inputs_from(backfill, reindex)
        if not inputs["per_worker_papers_per_second"]:
            continue
        rows = project(inputs, machines, args.total, args.workers_per_machine)
        projections.append({"from": path.name, "reindex_from": reindex_path.name if reindex else None,
                            "inputs": inputs, "rows": rows})
        print_table(f"{path.name}: {inputs['encoder']}, {inputs['per_worker_papers_per_second']} papers/s per worker, "
                    f"{inputs['cpu_seconds_per_paper']} CPU s/paper, busiest partition {inputs['busiest_partition_share']} "
                    f"({inputs['busiest_stage']}), {args.total:,} papers",
                    ["machines", "workers", "partitions", "busiest share", "papers/s", "bounded by", "hours",
                     "papers/s (ES scaled)", "hours (ES scaled)"],
                    [(r["machines"], r["workers"], r["partitions"], r["busiest_partition_share"], r["papers_per_second"],
                      r["bounded_by"], r["hours_for_total"],
                      r["papers_per_second_if_elasticsearch_scales"], r["hours_if_elasticsearch_scales"]) for r in rows])
    result = {
        "total_papers": args.total,
        "assumptions": list(ASSUMPTIONS),
        "projections": projections,
    }
    path = write_result(args.name, result, args.results)
    print(f"written {path}")


if __name__ == "__main__":
    main()
