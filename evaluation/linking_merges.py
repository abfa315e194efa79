"""Merges in linking, measured: does folding researchers after each link help on the gold sets?

`python -m evaluation.linking_merges [--json]` links every gold set in order with the production
linker, and after each link runs the streaming stage's merge step (`linking.merging`) under a few
policies. A mention's final researcher follows the merge redirects, as the profiles do. The
policy is chosen by the mean B-cubed F1 over the three sets on **dev** blocks only; held-out
figures are reported beside it, and the no-merge linker is the reference in the same run.
Results go to `evaluation/results/linking_merges.json`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from evaluation.and_gold import SETS, load
from evaluation.cluster_metrics import b_cubed
from evaluation.linking import SPLITS, link_and_count_merges, split_of_block
from stream_processors.linking.merging import MergePolicy

RESULTS = Path(__file__).parent / "results" / "linking_merges.json"

POLICIES: dict[str, MergePolicy | None] = {
    "no_merges": None,
    "merge_candidates_only": MergePolicy(context_penalties=False),
    "with_context_penalties": MergePolicy(context_penalties=True),
    "with_context_penalties_and_a_shared_coauthor": MergePolicy(context_penalties=True, min_shared_coauthors=1),
}


def evaluate(sets=SETS, policies=POLICIES) -> dict:
    report: dict[str, Any] = {
        "protocol": (
            "Each set linked in its fixed order with the production linker; after every link to an existing "
            "researcher the merge step runs under the policy. B-cubed on the scored mentions, redirects followed. "
            "Policy chosen by mean dev B-cubed F1 over the sets; held_out blocks not used for the choice."
        ),
        "policies": {name: (vars(p) | {"weights": p.weights.as_dict()}) if p else None for name, p in policies.items()},
        "sets": {},
    }
    for name in sets:
        gold = load(name)
        scored = gold.scored
        per_policy = {}
        for policy_name, policy in policies.items():
            started = time.perf_counter()
            linked, merges = link_and_count_merges(gold, policy=policy)
            seconds = round(time.perf_counter() - started, 2)
            row: dict[str, Any] = {"merges": merges, "seconds": seconds,
                                      "researchers_predicted": len({linked[m.mention_id] for m in scored})}
            for split in SPLITS:
                chosen = [m for m in scored if split == "all" or split_of_block(gold.name, m.block) == split]
                truth = {m.mention_id: str(m.gold_id) for m in chosen}
                row[split] = b_cubed({i: linked[i] for i in truth}, truth).as_dict()
            per_policy[policy_name] = row
            print(f"{name} {policy_name}: merges {merges}, dev F1 {row['dev']['f1']:.4f}, "
                  f"held_out F1 {row['held_out']['f1']:.4f} ({seconds}s)", file=sys.stderr)
        report["sets"][name] = per_policy
    means = {
        policy_name: round(sum(report["sets"][s][policy_name]["dev"]["f1"] for s in sets) / len(sets), 4)
        for policy_name in policies
    }
    report["mean_dev_b_cubed_f1"] = means
    report["chosen_on_dev"] = max(means, key=lambda name: (means[name], name == "no_merges"))
    return report


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    report = evaluate()
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if "--json" in args:
        print(json.dumps(report, indent=2))
    else:
        for name, per_policy in report["sets"].items():
            for policy_name, row in per_policy.items():
                print(f"{name:13} {policy_name:46} merges {row['merges']:5}  " + "  ".join(
                    f"{split} {row[split]['f1']:.4f}" for split in SPLITS))
        print("mean dev B3 F1:", report["mean_dev_b_cubed_f1"], "chosen:", report["chosen_on_dev"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
