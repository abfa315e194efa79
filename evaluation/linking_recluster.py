"""Would re-clustering a block with everything known beat linking it in stream order?

`python -m evaluation.linking_recluster` (needs `../shared/data`; a few minutes with the vectors
cached; writes `evaluation/results/linking_recluster.json`).

The pairwise linker decides each mention once, against the researchers its block holds at that
moment. A block re-clustering step (issue 15, item 4) would look again with the whole block in view.
Before building one, this measures on the pseudo-namesakes what such a step could gain: every pair
of renamed mentions of a block is scored by the shipped model (`pairwise_model.packaged()`; the
mean of both directions, each mention against the other as a one-paper researcher, with the
linker's own `evidence_for`; a pair of lines of one paper is forbidden, as in the linker), and the
block is clustered from those scores:

- **average linkage**: join the two clusters with the highest mean pair log-odds while it is at
  least the threshold;
- **single linkage**: connected components of the pairs at or above the threshold;

each from one cluster per mention ("singletons") and from the stream's own researchers ("stream":
the re-clustering may only join what the stream linked apart). The pair table says how far the
model's scores separate same-person from other-person pairs at all.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from encoders.loading import load_encoder
from evaluation import namesakes
from evaluation.cluster_metrics import b_cubed
from foundation.settings import get_settings
from stream_processors.linking.linker import PaperContext
from stream_processors.linking.merging import MergePolicy
from stream_processors.linking.pairwise_model import packaged
from stream_processors.linking.policy import policy_named
from stream_processors.linking.resplit import FORBIDDEN, Line, average_linkage, pair_scores

RESULTS = Path(__file__).parent / "results" / "linking_recluster.json"
AVERAGE_THRESHOLDS = (-1.0, 0.0, 1.0, 2.0)
SINGLE_THRESHOLDS = (2.0, 3.0, 4.0, 5.0)
PAIR_THRESHOLDS = (-2.0, -1.0, 0.0, 1.0, 2.0, 3.0)


def block_lines(names_set: namesakes.NamesakeSet) -> dict[str, list[Line]]:
    """The renamed mentions of each block, in stream order."""
    blocks: dict[str, list[Line]] = defaultdict(list)
    for paper in names_set.papers:
        context = PaperContext(paper.paper_id, paper.year, paper.categories, paper.author_keys, paper.embedding)
        for mention in paper.mentions:
            line = Line(mention, context)
            if line.key in names_set.truth:
                blocks[mention.blocking_key].append(line)
    return blocks


def _average_linkage(scores: np.ndarray, start: list[int], threshold: float) -> list[int]:
    return average_linkage(scores, threshold, start)[0]


def single_linkage(scores: np.ndarray, start: list[int], threshold: float) -> list[int]:
    """Connected components of the pairs at or above `threshold`, joined with the `start` clusters."""
    parent = list(range(len(start)))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    first: dict[int, int] = {}
    for n, label in enumerate(start):
        parent[root(n)] = root(first.setdefault(label, n))
    for i, j in zip(*np.nonzero(np.triu(scores >= threshold, 1)), strict=True):
        parent[root(int(i))] = root(int(j))
    return [root(n) for n in range(len(start))]


def splits_of(names_set: namesakes.NamesakeSet) -> dict[str, str]:
    """Renamed mention key -> 'dev' or 'held_out', the side of its name group."""
    return {key: namesakes.split_of_group(group) for key, group in names_set.group_of.items()}


def b_cubed_by_split(predicted: dict[str, str], truth: dict[str, str], split_of: dict[str, str]) -> dict[str, dict[str, float]]:
    """B-cubed P/R/F1 of `predicted` against `truth` on each side of the dev/held-out split."""
    report = {}
    for split in ("dev", "held_out"):
        chosen = {k: person for k, person in truth.items() if split_of[k] == split}
        report[split] = b_cubed({k: predicted[k] for k in chosen}, chosen).as_dict()
    return report


def separation(names_set: namesakes.NamesakeSet, matrices: dict[str, tuple[list[Line], np.ndarray]]) -> dict[str, Any]:
    """Share of same-person and other-person pairs at or above each log-odds threshold."""
    same, other = [], []
    for lines, scores in matrices.values():
        people = np.array([names_set.truth[line.key] for line in lines])
        upper = np.triu_indices(len(lines), 1)
        values, together = scores[upper], (people[:, None] == people[None, :])[upper]
        allowed = values > FORBIDDEN
        same.append(values[together & allowed])
        other.append(values[~together & allowed])
    same_all, other_all = np.concatenate(same), np.concatenate(other)
    return {
        "same_person_pairs": int(len(same_all)),
        "other_person_pairs": int(len(other_all)),
        "share_at_or_above": {
            f"{t:+.0f}": {"same": round(float((same_all >= t).mean()), 4), "other": round(float((other_all >= t).mean()), 4)}
            for t in PAIR_THRESHOLDS
        },
    }


def evaluate(names_set: namesakes.NamesakeSet, stream: dict[str, str], policy: MergePolicy) -> dict[str, Any]:
    """Every clustering beside the stream's own, from the pair scores a relink computes
    (`resplit.pair_scores`, here in the model's own log-odds) and the relink's average linkage."""
    model = packaged()
    in_log_odds = replace(policy, weights=model)  # the worker's policy reads it on the weights' scale
    began = time.perf_counter()
    matrices = {block: (lines, pair_scores(lines, in_log_odds)) for block, lines in block_lines(names_set).items()}
    scored_in = time.perf_counter() - began
    split_of = splits_of(names_set)

    def by_split(predicted: dict[str, str]) -> dict[str, dict[str, float]]:
        return b_cubed_by_split(predicted, names_set.truth, split_of)

    methods: dict[str, Any] = {"stream (the linker as the worker runs it)": by_split(stream)}
    clusterings: tuple[tuple[str, Callable[[np.ndarray, list[int], float], list[int]], tuple[float, ...]], ...] = (
        ("average", _average_linkage, AVERAGE_THRESHOLDS), ("single", single_linkage, SINGLE_THRESHOLDS),
    )
    for start_name in ("singletons", "stream"):
        for linkage, cluster, thresholds in clusterings:
            for threshold in thresholds:
                predicted: dict[str, str] = {}
                for block, (lines, scores) in matrices.items():
                    keys = [line.key for line in lines]
                    first = {label: n for n, label in enumerate(dict.fromkeys(stream[k] for k in keys))}
                    start = list(range(len(keys))) if start_name == "singletons" else [first[stream[k]] for k in keys]
                    for key, label in zip(keys, cluster(scores, start, threshold), strict=True):
                        predicted[key] = f"{block}:{label}"
                methods[f"{linkage} linkage from {start_name}, log-odds >= {threshold:+.0f}"] = by_split(predicted)
    for threshold in AVERAGE_THRESHOLDS:  # what a relink does (linking/resplit.py): split each stream researcher
        predicted = {}
        for block, (lines, scores) in matrices.items():
            keys = [line.key for line in lines]
            owner = np.array([stream[k] for k in keys])
            within = np.where(owner[:, None] == owner[None, :], scores, FORBIDDEN)
            for key, label in zip(keys, average_linkage(within, threshold)[0], strict=True):
                predicted[key] = f"{block}:{label}"
        methods[f"average linkage within each stream researcher, log-odds >= {threshold:+.0f}"] = (
            by_split(predicted))
    return {
        "model": model.version,
        "blocks": len(matrices),
        "pairs_scored": int(sum(len(lines) * (len(lines) - 1) for lines, _ in matrices.values())),
        "pair_scoring_seconds": round(scored_in, 1),
        "separation": separation(names_set, matrices),
        "b_cubed": methods,
    }


def main() -> int:
    settings = get_settings()
    raw = namesakes.read_oai_raw()
    names_set = namesakes.the_set(raw)
    names_set = namesakes.with_embeddings(names_set, raw, settings, load_encoder(settings))
    policy = policy_named("pairwise", settings.encoder_model)
    stream = namesakes.predictions(names_set, policy.weights, policy.threshold, policy.popularity)["linker"]
    report = evaluate(names_set, stream, policy)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    width = max(len(name) for name in report["b_cubed"])
    print(f"{'method':<{width}}  dev P / R / F1          held_out P / R / F1")
    for name, row in report["b_cubed"].items():
        cells = ["{precision:.3f} / {recall:.3f} / {f1:.3f}".format(**row[split]) for split in ("dev", "held_out")]
        print(f"{name:<{width}}  {cells[0]}   {cells[1]}")
    print(json.dumps(report["separation"], indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
