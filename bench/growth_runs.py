"""Several whole-harvest growth runs read together (issue 17's growth target).

One run of `bench.growth --scenarios harvest --windows 10` gives one ratio of its last tenth's CPU a
paper to its first's, and on this machine that ratio moved from 1.07x to 1.61x between runs of
nearly the same code (docs/performance.md, 7s): Elasticsearch's large merges come in lumps, and the
worker's cost moves with what shares its cores. This script measures nothing: it reads the results
of several runs, groups them by a label (by default the refresh pacing they ran with), and reports
each run's ratios beside each group's mean, median and range, and the ratio of the group's mean last
tenth to its mean first tenth.

Usage: python -m bench.growth_runs FILE.json [FILE.json ...] [--label pacing|commit] [--name NAME] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.common import RESULTS, print_table, rounded, write_result

PARTS = ("total", "worker", "indexer", "elasticsearch", "kafka")
DEFAULT_NAME = "growth-runs"


# --- arithmetic (pure; tests/unit/bench/test_growth_runs.py) -------------------------------------


def window_costs(window: Mapping[str, Any]) -> dict[str, float]:
    """CPU ms a paper of one window, by part, and its Kafka bytes a paper."""
    parts = window["cpu_ms_per_paper"]
    costs = {"total": float(window["cpu_ms_per_paper_total"])}
    costs.update({part: float(parts[part]) for part in PARTS[1:] if part in parts})
    costs["kafka_bytes"] = float(window["kafka_bytes_per_paper"])
    return costs


def ratio(after: float, before: float) -> float | None:
    return after / before if before > 0 else None


def run_figures(result: Mapping[str, Any], source: str = "") -> dict[str, Any]:
    """One growth result's ratios, last window over first, and the last three over the first two."""
    harvest = result["scenarios"]["harvest"]
    windows = [window_costs(window) for window in harvest["windows"]]
    if len(windows) < 2:
        raise ValueError(f"{source or 'the result'}: the harvest scenario has {len(windows)} window(s); a ratio needs two")
    first, last = windows[0], windows[-1]
    head, tail = windows[: max(1, len(windows) // 5)], windows[-max(1, (3 * len(windows)) // 10):]
    code = result.get("code")
    return {
        "source": source,
        "commit": (code.get("commit") if isinstance(code, Mapping) else code) or "",
        "pacing": result.get("indexer_backlog_refresh_interval", "none (before pacing)"),
        "windows": len(windows),
        "first": first,
        "last": last,
        "mean": {key: statistics.fmean(window[key] for window in windows) for key in first if all(key in w for w in windows)},
        "ratio_last_to_first": {key: ratio(last[key], first[key]) for key in first if key in last},
        "ratio_tail_to_head": {
            key: ratio(statistics.fmean(w[key] for w in tail), statistics.fmean(w[key] for w in head))
            for key in first if all(key in w for w in head + tail)
        },
    }


def group_summary(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What several runs of one label say together: each ratio's mean, median and range over the runs,
    and the ratio of their mean last window to their mean first window."""
    keys = [key for key in runs[0]["ratio_last_to_first"] if all(run["ratio_last_to_first"].get(key) is not None for run in runs)]
    spread = {}
    for key in keys:
        values = [run["ratio_last_to_first"][key] for run in runs]
        spread[key] = {
            "mean": statistics.fmean(values),
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
            "of_means": ratio(statistics.fmean(run["last"][key] for run in runs), statistics.fmean(run["first"][key] for run in runs)),
        }
    return {
        "runs": len(runs),
        "sources": [run["source"] for run in runs],
        "ratio_last_to_first": spread,
        "mean_cpu_ms_per_paper": {
            key: statistics.fmean(run["mean"][key] for run in runs) for key in PARTS if all(key in run["mean"] for run in runs)
        },
    }


def label_of(run: Mapping[str, Any], label: str) -> str:
    """The run's group under `label`: its short commit, or its refresh pacing."""
    return run["commit"][:7] if label == "commit" else str(run[label])


def grouped(runs: Iterable[Mapping[str, Any]], label: str) -> dict[str, list[Mapping[str, Any]]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for run in runs:
        groups.setdefault(label_of(run, label), []).append(run)
    return groups


# --- the command ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="bench.growth results with a harvest scenario")
    parser.add_argument("--label", choices=("pacing", "commit"), default="pacing",
                        help="what groups the runs (default: the refresh pacing)")
    parser.add_argument("--name", default=DEFAULT_NAME, help=f"write bench/results/NAME.json (default {DEFAULT_NAME})")
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of tables")
    args = parser.parse_args(argv)
    runs = []
    for path in args.files:
        try:
            runs.append(run_figures(json.loads(path.read_text()), source=path.name))
        except (OSError, ValueError, KeyError, TypeError) as error:
            parser.exit(2, f"growth_runs: cannot read {path}: {error!r}\n")
    groups = {label: group_summary(members) for label, members in grouped(runs, args.label).items()}
    result = {"label": args.label, "runs": runs, "groups": groups}
    path = write_result(args.name, result, RESULTS)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return 0
    print_table(
        "Each run: last window over first (CPU a paper by part; Kafka bytes a paper), and the last three tenths over the first two",
        ["run", "commit", args.label, "total", "worker", "ES", "bytes", "tail/head total", "mean total ms"],
        [
            [run["source"], run["commit"][:7], label_of(run, args.label),
             *(rounded(run["ratio_last_to_first"].get(key)) for key in ("total", "worker", "elasticsearch", "kafka_bytes")),
             rounded(run["ratio_tail_to_head"].get("total")), rounded(run["mean"]["total"])]
            for run in runs
        ],
    )
    print()
    print_table(
        "By group: the last-over-first ratio of all processes' CPU a paper",
        ["group", "runs", "mean", "median", "min", "max", "of the means", "worker (mean)", "ES (mean)", "bytes (mean)"],
        [
            [label, summary["runs"],
             *(rounded(summary["ratio_last_to_first"]["total"][k]) for k in ("mean", "median", "min", "max", "of_means")),
             *(rounded(summary["ratio_last_to_first"].get(key, {}).get("mean")) for key in ("worker", "elasticsearch", "kafka_bytes"))]
            for label, summary in groups.items()
        ],
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
