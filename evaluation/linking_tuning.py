"""Tune the linker's threshold and a few weights on the dev blocks only.

`python -m evaluation.linking_tuning` tries a small grid and ranks it by the mean B-cubed F1 over
the three gold sets, computed on dev blocks (`evaluation.linking.split_of_block`); `--ambiguity`
and `--exact-initial` are the later, narrower passes, and `--popularity` weighs a full-name match by
how common the name is, scored on the pseudo-namesakes' dev names beside the gold sets (docs/linking.md). The held-out
blocks are never looked at here. The winner is copied by hand into `scorer.DEFAULT_WEIGHTS` /
`DEFAULT_THRESHOLD`, and the ranking is kept in `results/linking_tuning.json` as the record.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from evaluation import namesakes
from evaluation.and_gold import SETS, load
from evaluation.cluster_metrics import b_cubed
from evaluation.linking import link_gold_set, split_of_block
from stream_processors.linking import names
from stream_processors.linking.merging import DEFAULT_POLICY, MergePolicy
from stream_processors.linking.popularity import NamePopularity, packaged
from stream_processors.linking.scorer import DEFAULT_WEIGHTS, Weights

RESULTS = Path(__file__).parent / "results" / "linking_tuning.json"
AMBIGUITY_RESULTS = Path(__file__).parent / "results" / "linking_tuning_ambiguity.json"
EXACT_INITIAL_RESULTS = Path(__file__).parent / "results" / "linking_tuning_exact_initial.json"
POPULARITY_RESULTS = Path(__file__).parent / "results" / "linking_tuning_popularity.json"

# A first, wider pass (threshold 0.6-0.9 x affiliation 0.4/0.8 x mismatch 0/0.2/0.4 x coauthor 0.3/0.6)
# was stopped after its 8 threshold-0.6 settings to save time; among those, affiliation 0.4 and
# coauthor 0.3 did best, so this pass fixes them and refines threshold, mismatch and short names.
GRID = {
    "threshold": (0.6, 0.75, 0.9),
    "short_name": (0.0, 0.2, 0.4),
    "affiliation_mismatch": (0.2, 0.4),
    "affiliation": (0.4,),
    "coauthor": (0.3,),
}

# Third pass (`--ambiguity`): the other weights as chosen above, the penalty for a weaker-than-full
# name match in a block where the name also fits other researchers (`Weights.ambiguity`).
AMBIGUITY_GRID = {"threshold": (0.6,), "ambiguity": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8)}

# Fourth pass (`--exact-initial`), with every weight as above and the merge step on (what the worker
# runs): the grade of an exact match of one bare initial ("J." / "J."), 1.0 before this pass.
EXACT_INITIAL_GRADES = (0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 1.0)


# Fifth pass (`--popularity`), every other weight as chosen, the merge step on, the packaged name
# table (stream_processors/linking/popularity.py): how much a full-name match of a common name loses.
POPULARITY_GRID = {"popularity": (0.0, 0.3, 0.5, 0.7), "popularity_floor": (-3.0, -2.0)}


def dev_f1(gold, weights: Weights, threshold: float, policy: MergePolicy | None = None,
           popularity: NamePopularity | None = None) -> float:
    def keep(block: str) -> bool:
        return split_of_block(gold.name, block) == "dev"

    linked = link_gold_set(gold, weights, threshold, keep, policy, popularity)
    scored = [m for m in gold.scored if keep(m.block)]
    truth = {m.mention_id: str(m.gold_id) for m in scored}
    return b_cubed({i: linked[i] for i in truth}, truth).f1


def tune(grid: dict[str, tuple] = GRID) -> list[dict]:
    sets = [load(name) for name in SETS]
    rows = []
    names = list(grid)
    for values in itertools.product(*(grid[n] for n in names)):
        params = dict(zip(names, values, strict=True))
        threshold = params.pop("threshold")
        weights = replace(DEFAULT_WEIGHTS, **params)
        per_set = {gold.name: round(dev_f1(gold, weights, threshold), 4) for gold in sets}
        rows.append({"threshold": threshold, **params, "dev_b_cubed_f1": per_set,
                     "mean": round(sum(per_set.values()) / len(per_set), 4)})
        print(json.dumps(rows[-1]), file=sys.stderr)
    rows.sort(key=lambda row: -row["mean"])
    return rows


@contextmanager
def name_grade(label: str, grade: float) -> Iterator[None]:
    """Link with another grade for one name label (the comparison cache is emptied around it)."""
    saved = names.GRADES[label]
    names.GRADES[label] = grade
    names.compare_names.cache_clear()
    try:
        yield
    finally:
        names.GRADES[label] = saved
        names.compare_names.cache_clear()


def tune_exact_initial(grades: tuple[float, ...] = EXACT_INITIAL_GRADES) -> list[dict]:
    sets = [load(name) for name in SETS]
    rows: list[dict[str, Any]] = []
    for grade in grades:
        with name_grade(names.EXACT_INITIAL, grade):
            per_set = {gold.name: round(dev_f1(gold, DEFAULT_WEIGHTS, DEFAULT_POLICY.threshold, DEFAULT_POLICY), 4)
                       for gold in sets}
        rows.append({"exact_initial_grade": grade, "dev_b_cubed_f1": per_set,
                     "mean": round(sum(per_set.values()) / len(per_set), 4)})
        print(json.dumps(rows[-1]), file=sys.stderr)
    rows.sort(key=lambda row: -row["mean"])
    return rows


def tune_popularity(grid: dict[str, tuple[float, ...]] = POPULARITY_GRID) -> list[dict]:
    """Each setting on the gold sets' dev blocks and the pseudo-namesakes' dev names, merge step on.

    Ranked by the namesakes' dev F1; `gold_change` is each gold set's dev F1 minus the setting
    without popularity (the target allows at most -0.01).
    """
    table = packaged()
    sets = [load(name) for name in SETS]
    raw = namesakes.read_oai_raw()
    names_set = namesakes.the_set(raw)
    dev_truth = {k: v for k, v in names_set.truth.items() if namesakes.split_of_group(names_set.group_of[k]) == "dev"}
    rows: list[dict[str, Any]] = []
    base: dict[str, float] = {}
    for weight, floor in itertools.product(grid["popularity"], grid["popularity_floor"]):
        if weight == 0.0 and rows:
            continue  # without popularity the floor does nothing
        weights = replace(DEFAULT_WEIGHTS, popularity=weight, popularity_floor=floor, popularity_span=-floor)
        policy = replace(DEFAULT_POLICY, weights=weights, popularity=table)
        per_set = {gold.name: round(dev_f1(gold, weights, policy.threshold, policy, table), 4) for gold in sets}
        linked = namesakes.predictions(names_set, weights, policy.threshold, table)["linker"]
        names_f1 = round(b_cubed({k: linked[k] for k in dev_truth}, dev_truth).f1, 4)
        base = base or per_set
        rows.append({"popularity": weight, "popularity_floor": floor, "popularity_span": -floor,
                     "namesakes_dev_b_cubed_f1": names_f1, "dev_b_cubed_f1": per_set,
                     "gold_change": {name: round(per_set[name] - base[name], 4) for name in per_set}})
        print(json.dumps(rows[-1]), file=sys.stderr)
    rows.sort(key=lambda row: -row["namesakes_dev_b_cubed_f1"])
    return rows


if __name__ == "__main__":
    grid: dict[str, tuple[float, ...]]
    if "--popularity" in sys.argv[1:]:
        grid, target, ranking = POPULARITY_GRID, POPULARITY_RESULTS, tune_popularity()
    elif "--exact-initial" in sys.argv[1:]:
        grid, target, ranking = {"exact_initial_grade": EXACT_INITIAL_GRADES}, EXACT_INITIAL_RESULTS, tune_exact_initial()
    else:
        grid, target = (AMBIGUITY_GRID, AMBIGUITY_RESULTS) if "--ambiguity" in sys.argv[1:] else (GRID, RESULTS)
        ranking = tune(grid)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"objective": "mean dev-block B-cubed F1 over " + ", ".join(SETS),
                                  "fixed": DEFAULT_WEIGHTS.as_dict(), "grid": grid, "ranking": ranking},
                                 indent=2) + "\n", encoding="utf-8")
    print(json.dumps(ranking[:5], indent=2))
