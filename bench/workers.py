"""One worker against two: the end-to-end backfill with each, in one run (issue 16's benchmark).

Runs `bench.backfill --workers W` for each W of `--workers` (default 1 and 2), one after the other,
on the same records and the same stack, each in a fresh namespace, then writes
`bench/results/workers.json`: per run the steady end-to-end rate, the rate with start-up, CPU
seconds per paper (all workers plus the indexer) and the bare encoder ceiling measured beside it;
and each run's rate as a multiple of the first one's. On a machine with fewer cores than workers,
more workers cannot be faster; the figures show what a second worker costs and gives here, and
`bench.projection` reads the per-worker rate and CPU per paper from this file.

Usage: python -m bench.workers [--papers 1000] [--workers 1,2] [--ceiling-papers 256]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from bench.common import RESULTS, machine, print_table, rounded, write_result


def summary(result: dict) -> dict:
    """What one backfill result says about its worker count."""
    e2e = result["end_to_end"]
    cpu = result.get("steady_cpu_seconds_per_paper") or {}
    return {
        "workers": result.get("workers", 1),
        "papers": result["papers_searchable"],
        "steady_papers_per_second": e2e["steady_papers_per_second"],
        "papers_per_second_including_startup": e2e["papers_per_second_including_startup"],
        "cpu_seconds_per_paper": rounded(sum(cpu.get(role, 0.0) for role in ("worker", "indexer")), 4) if cpu else None,
        "cpu_seconds_per_paper_by_role": cpu,
        "steady_cpu_seconds_by_process": result.get("steady_cpu_seconds_by_process"),
        "ceiling_papers_per_second": result["ceiling_papers_per_second"]["mean"],
        "peak_rss_mib": result.get("peak_rss_mib"),
        "load_average": result.get("load_average"),
    }


def relative(runs: list[dict]) -> list[dict]:
    """Each run's rates as multiples of the first run's (None where a rate is missing)."""
    base = runs[0]
    out = []
    for run in runs:
        row = dict(run)
        for key in ("steady_papers_per_second", "papers_per_second_including_startup"):
            row[f"{key}_vs_first"] = rounded(run[key] / base[key], 3) if run[key] and base[key] else None
        out.append(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts, run in this order")
    parser.add_argument("--ceiling-papers", type=int, default=256)
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    runs = []
    for index, workers in enumerate(counts, 1):
        name = f"workers-{workers}"
        print(f"[{index}/{len(counts)}] backfill of {args.papers} papers with {workers} worker(s)", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "bench.backfill", "--papers", str(args.papers), "--ceiling-papers", str(args.ceiling_papers),
             "--workers", str(workers), "--name", name],
            check=True,
        )
        runs.append(summary(json.loads((RESULTS / f"{name}.json").read_text())))
    rows = relative(runs)
    result = {
        "papers": args.papers,
        "machine_cores": machine()["cpus"],
        "runs": rows,
        "method": "bench.backfill once per worker count, in the order given, same records, fresh namespaces; steady rate "
                  "from the first enriched record to the moment every paper was searchable and every profile indexed",
    }
    path = write_result("workers", result)
    print_table(f"end-to-end backfill of {args.papers} papers by worker count ({result['machine_cores']} cores)",
                ["workers", "papers/s steady", "vs first", "papers/s with start-up", "CPU s/paper", "ceiling papers/s"],
                [(r["workers"], r["steady_papers_per_second"], r["steady_papers_per_second_vs_first"],
                  r["papers_per_second_including_startup"], r["cpu_seconds_per_paper"], r["ceiling_papers_per_second"])
                 for r in rows])
    print(f"written {path}")


if __name__ == "__main__":
    main()
