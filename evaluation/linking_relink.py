"""What a relink of every researcher does on the pseudo-namesakes (issue 15, item 4).

`python -m evaluation.linking_relink` (needs `../shared/data`; a few minutes with the vectors
cached; writes `evaluation/results/linking_relink.json`).

The blocks of the pseudo-namesakes are linked in stream order as the worker links them (the
pairwise policy, the merge step after each link), keeping each block's state. Then every researcher
of two or more mentions is relinked once, in block order, as `scholarstream relink --block` would
have the worker do it (`resplit.relink_block`: re-cluster, split, the split-off parts' merges), and
the renamed mentions are scored again: B-cubed on the dev and held-out groups, before and after.

`--groups` also lists the groups that, linked alone (only their own papers, as an integration
test's fixture holds them), fold two or more people into one researcher that a relink then splits.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from encoders.loading import load_encoder
from evaluation import namesakes
from evaluation.cluster_metrics import b_cubed
from foundation.settings import get_settings
from stream_processors.linking.linker import BlockState, PaperContext, apply_decision, link_mention, mention_key
from stream_processors.linking.merging import MergePolicy, merge_after_link
from stream_processors.linking.policy import policy_named
from stream_processors.linking.resplit import Line, relink_block

RESULTS = Path(__file__).parent / "results" / "linking_relink.json"


def link_in_order(papers, blocks: frozenset[str], policy: MergePolicy):
    """Block states and every mention's line, linked in stream order as the link agent does."""
    states: dict[str, BlockState] = {}
    lines: dict[str, Line] = {}
    for paper in papers:
        context = PaperContext(paper.paper_id, paper.year, paper.categories, paper.author_keys, paper.embedding)
        for mention in paper.mentions:
            if mention.blocking_key not in blocks:
                continue
            lines[mention_key(paper.paper_id, mention.position)] = Line(mention, context)
            state = states.get(mention.blocking_key) or BlockState(mention.blocking_key)
            decision = link_mention(state, mention, context, policy.threshold, weights=policy.weights, popularity=policy.popularity)
            state = apply_decision(state, decision, mention, context)
            if not decision.created and not decision.replay:
                state, _ = merge_after_link(state, decision.researcher_id, policy)
            states[mention.blocking_key] = state
    return states, lines


def relink_all(states: dict[str, BlockState], lines: dict[str, Line], policy: MergePolicy) -> tuple[dict[str, BlockState], int]:
    """Every researcher of two or more mentions relinked once, in block order; and how many split."""
    after, splits = {}, 0
    for key, state in states.items():
        for rid in list(state.researchers):
            researcher = state.researchers.get(rid)
            if researcher is None or len(researcher.mention_keys) < 2:
                continue  # merged away by an earlier relink's split-off part, or nothing to split
            done = relink_block(state, rid, [lines[k] for k in researcher.mention_keys], policy)
            splits += done.outcome.split
            state = done.block
        after[key] = state
    return after, splits


def assignments(states: dict[str, BlockState]) -> dict[str, str]:
    return {k: rid for state in states.values() for rid, r in state.researchers.items() for k in r.mention_keys}


def scored(names_set: namesakes.NamesakeSet, assigned: dict[str, str]) -> dict[str, Any]:
    report = {}
    for split in ("dev", "held_out"):
        truth = {k: p for k, p in names_set.truth.items() if namesakes.split_of_group(names_set.group_of[k]) == split}
        report[split] = b_cubed({k: assigned[k] for k in truth}, truth).as_dict()
    return report


def fixture_groups(names_set: namesakes.NamesakeSet, policy: MergePolicy, max_papers: int = 30) -> list[dict[str, Any]]:
    """Groups that, linked alone, fold people together, with what a relink makes of them."""
    papers_of: dict[str, list] = defaultdict(list)
    for paper in names_set.papers:
        groups = {names_set.group_of[mention_key(paper.paper_id, m.position)] for m in paper.mentions
                  if mention_key(paper.paper_id, m.position) in names_set.truth}
        for group in groups:
            papers_of[group].append(paper)
    found = []
    for group, papers in papers_of.items():
        if len(papers) > max_papers:
            continue
        states, lines = link_in_order(papers, frozenset(m.blocking_key for p in papers for m in p.mentions), policy)
        renamed = {k for k in lines if names_set.group_of.get(k) == group}
        before = _people(assignments(states), renamed, names_set.truth)
        if all(len(people) == 1 for people in before.values()):
            continue
        after_states, splits = relink_all(states, lines, policy)
        after = _people(assignments(after_states), renamed, names_set.truth)
        found.append({"group": group, "split": namesakes.split_of_group(group), "papers": len(papers),
                      "people": len(set(names_set.truth[k] for k in renamed)), "splits": splits,
                      "mixed_before": sum(len(p) > 1 for p in before.values()), "mixed_after": sum(len(p) > 1 for p in after.values()),
                      "researchers_before": len(before), "researchers_after": len(after)})
    return sorted(found, key=lambda row: (row["mixed_after"] - row["mixed_before"], row["papers"]))


def _people(assigned: dict[str, str], keys: set[str], truth: dict[str, str]) -> dict[str, set[str]]:
    people: dict[str, set[str]] = defaultdict(set)
    for key in keys:
        people[assigned[key]].add(truth[key])
    return people


def main(argv: list[str]) -> int:
    settings = get_settings()
    raw = namesakes.read_oai_raw()
    names_set = namesakes.with_embeddings(namesakes.the_set(raw), raw, settings, load_encoder(settings))
    policy = policy_named("pairwise", settings.encoder_model)
    if "--groups" in argv:
        print(json.dumps(fixture_groups(names_set, policy)[:15], indent=1))
        return 0
    began = time.perf_counter()
    states, lines = link_in_order(names_set.papers, names_set.blocks, policy)
    linked_in = time.perf_counter() - began
    began = time.perf_counter()
    after, splits = relink_all(states, lines, policy)
    relinked_in = time.perf_counter() - began
    before, relinked = scored(names_set, assignments(states)), scored(names_set, assignments(after))
    report: dict[str, Any] = {
        "encoder": settings.encoder_model, "split_margin": policy.split_margin,
        "researchers_before": sum(len(s.researchers) for s in states.values()),
        "researchers_after": sum(len(s.researchers) for s in after.values()),
        "researchers_split": splits, "mentions": len(lines),
        "link_seconds": round(linked_in, 1), "relink_seconds": round(relinked_in, 1),
        "b_cubed": {"stream": before, "stream, then every researcher relinked": relinked},
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for name, row in report["b_cubed"].items():
        cells = ["{precision:.3f} / {recall:.3f} / {f1:.3f}".format(**row[split]) for split in ("dev", "held_out")]
        print(f"{name:<40} dev {cells[0]}   held-out {cells[1]}")
    print({k: v for k, v in report.items() if k != "b_cubed"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
