"""How much a query word in a researcher's top topic should add: the known-item evaluation
(`evaluation/search.py`, text mode) at several values of `MAIN_TOPIC_BOOST`, on the tuning sample
(seed "") and on the held-out one (seed "heldout"). The value is chosen on the tuning sample.

`python -m evaluation.search_main_topic [--boost 0,0.5,1,2,3,4,8] [--seed ,heldout]` against the
researchers index of the namespace in the environment; writes
`evaluation/results/search-main-topic-tuning.json`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import indexers.researcher_search as researcher_search
from clients import es_io
from evaluation.search import evaluate_search
from foundation.settings import get_settings
from indexers.mappings import RESEARCHERS

RESULTS = Path(__file__).parent / "results" / "search-main-topic-tuning.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boost", default="0,0.5,1,2,3,4,8", help="comma-separated values to try")
    parser.add_argument("--seed", default=",heldout", help="comma-separated sample seeds ('' is the tuning sample)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    settings = get_settings()
    es = es_io.client(settings)
    shipped = researcher_search.MAIN_TOPIC_BOOST
    runs: dict[str, dict[str, object]] = {}
    try:
        for boost in (float(value) for value in args.boost.split(",")):
            researcher_search.MAIN_TOPIC_BOOST = boost
            for seed in args.seed.split(","):
                text = evaluate_search(es, settings, seed=seed)["methods"]["text"]
                row = {"success_at_1": text["all"]["success_at_1"], "success_at_10": text["all"]["success_at_10"],
                       "mrr": text["all"]["mrr"], "queries": text["all"]["queries"],
                       "success_at_1_by_kind": {kind: v["success_at_1"] for kind, v in text["by_kind"].items()}}
                runs[f"{boost:g} / {seed or 'tuning'}"] = row
                print(f"boost {boost:g}, sample {seed or 'tuning'}: S@1 {row['success_at_1']}, "
                      f"surname + topic {row['success_at_1_by_kind'].get('surname_topic')}", flush=True)
    finally:
        researcher_search.MAIN_TOPIC_BOOST = shipped
    args.output.write_text(json.dumps({"index": RESEARCHERS.alias(settings), "shipped": shipped, "runs": runs}, indent=1) + "\n")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
