"""`scholarstream eval linking`: the linker against the gold sets, beside two baselines.

The same `stream_processors.linking` code that the worker runs links every mention of each set,
block by block, in a fixed order (publication, then position), and after each link to an existing
researcher runs the worker's merge step (`linking.merging`, default policy); a mention's researcher
follows the merge redirects, as its profile does. That is the `linker` row; `linker_without_merges`
is the link step alone. Baselines are computed in the
same run on the same mentions: exact folded full name, and surname + first initial (the blocking
key, which is roughly what arXiv's author search does).

Blocks are split in two by a hash of the block key: `dev` blocks were used to tune the weights
and threshold (`evaluation/linking_tuning.py`), `held_out` blocks were not. Figures are given
for both halves and for all blocks, with the linker's margin over each baseline and a 95 %
interval from resampling blocks (`evaluation/margins.py`).

Beside the gold sets, a silver standard from real arXiv metadata (`evaluation/arxiv_silver.py`)
measures the coauthor, category and year evidence that the gold sets cannot: pairs of mentions
known to be one person or two, scored as recall, negatives kept apart and pooled precision.
The pseudo-namesakes (`evaluation/namesakes.py`) measure what neither can: real arXiv authors with
unambiguous names renamed, several to one common full name, to be told apart again; scored like
the gold sets, split by name group, with figures per group size.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from evaluation import arxiv_silver, namesakes
from evaluation.and_gold import SETS, GoldMention, GoldSet, load
from evaluation.cluster_metrics import b_cubed, pairwise
from evaluation.margins import margin_interval
from schemas.papers import RawPaper
from stream_processors.linking.linker import (
    BlockState,
    Mention,
    PaperContext,
    apply_decision,
    link_mention,
)
from stream_processors.linking.merging import DEFAULT_POLICY, MergePolicy, follow_redirects, merge_after_link
from stream_processors.linking.names import full_name_key
from stream_processors.linking.policy import LinkerName, policy_named
from stream_processors.linking.popularity import NamePopularity
from stream_processors.linking.scorer import DEFAULT_THRESHOLD, DEFAULT_WEIGHTS, Weigher

RESULTS = Path(__file__).parent / "results" / "linking.json"
SPLITS = ("dev", "held_out", "all")
BASELINES = ("exact_full_name", "surname_first_initial")


def split_of_block(set_name: str, block: str) -> str:
    """'dev' or 'held_out', fixed by the block key: about half of each set's blocks each."""
    digest = hashlib.sha1(f"{set_name}:{block}".encode()).hexdigest()
    return "dev" if int(digest, 16) % 2 == 0 else "held_out"


def link_gold_set(
    gold: GoldSet,
    weights: Weigher = DEFAULT_WEIGHTS,
    threshold: float = DEFAULT_THRESHOLD,
    keep_block: Callable[[str], bool] = lambda _block: True,
    policy: MergePolicy | None = None,
    popularity: NamePopularity | None = None,
) -> dict[str, str]:
    """Mention id -> researcher id, linking the set's mentions in order with the production linker;
    with a merge `policy`, the merge step runs after each link, as in the worker, and a mention's
    researcher follows the merge redirects, as its profile does."""
    return link_and_count_merges(gold, weights, threshold, keep_block, policy, popularity)[0]


def link_and_count_merges(
    gold: GoldSet,
    weights: Weigher = DEFAULT_WEIGHTS,
    threshold: float = DEFAULT_THRESHOLD,
    keep_block: Callable[[str], bool] = lambda _block: True,
    policy: MergePolicy | None = None,
    popularity: NamePopularity | None = None,
) -> tuple[dict[str, str], int]:
    blocks: dict[str, BlockState] = {}
    assigned: dict[str, str] = {}
    redirect: dict[str, str] = {}
    for gm in gold.mentions:
        block_key = gm.block
        if not keep_block(block_key):
            continue
        mention = Mention(gm.position, gm.keyname, gm.forenames, gm.affiliations, block_key)
        paper = PaperContext(gm.paper_id, gm.year, (), gold.author_keys.get(gm.paper_id, ()))
        state = blocks.get(block_key) or BlockState(block_key)
        decision = link_mention(state, mention, paper, threshold, weights=weights, popularity=popularity)
        state = apply_decision(state, decision, mention, paper)
        if policy is not None and not decision.created and not decision.replay:
            state, merges = merge_after_link(state, decision.researcher_id, policy)
            redirect.update({m.retired_id: m.surviving_id for m in merges})
        blocks[block_key] = state
        assigned[gm.mention_id] = decision.researcher_id

    return {mid: follow_redirects(rid, redirect) for mid, rid in assigned.items()}, len(redirect)


def baseline_exact_name(mention: GoldMention) -> str:
    return full_name_key(mention.keyname, mention.forenames)


def baseline_surname_initial(mention: GoldMention) -> str:
    return mention.block


def _scores(predicted: dict[str, str], truth: dict[str, str]) -> dict[str, dict[str, float]]:
    return {"b_cubed": b_cubed(predicted, truth).as_dict(), "pairwise": pairwise(predicted, truth).as_dict()}


def evaluate_set(
    gold: GoldSet, weights: Weigher = DEFAULT_WEIGHTS, threshold: float = DEFAULT_THRESHOLD,
    splits: Iterable[str] = SPLITS, popularity: NamePopularity | None = None,
) -> dict[str, Any]:
    started = time.perf_counter()
    policy = replace(DEFAULT_POLICY, weights=weights, threshold=threshold, popularity=popularity)
    linked, merges = link_and_count_merges(gold, weights, threshold, policy=policy, popularity=popularity)
    seconds = time.perf_counter() - started
    unmerged = link_gold_set(gold, weights, threshold, popularity=popularity)
    scored = gold.scored
    methods = {
        "linker": {m.mention_id: linked[m.mention_id] for m in scored},
        "linker_without_merges": {m.mention_id: unmerged[m.mention_id] for m in scored},
        "exact_full_name": {m.mention_id: baseline_exact_name(m) for m in scored},
        "surname_first_initial": {m.mention_id: baseline_surname_initial(m) for m in scored},
    }
    report: dict[str, Any] = {
        "mentions_linked": len(gold.mentions),
        "mentions_scored": len(scored),
        "true_people": len({m.gold_id for m in scored}),
        "researchers_predicted": len(set(methods["linker"].values())),
        "merges": merges,
        "link_seconds": round(seconds, 2),
    }
    for split in splits:
        chosen = [m for m in scored if split == "all" or split_of_block(gold.name, m.block) == split]
        truth = {m.mention_id: str(m.gold_id) for m in chosen}
        blocks = {m.mention_id: m.block for m in chosen}
        linker = {i: methods["linker"][i] for i in truth}
        report[split] = {
            "mentions": len(chosen),
            **{name: _scores({i: pred[i] for i in truth}, truth) for name, pred in methods.items()},
            "linker_margin_b_cubed_f1": {
                baseline: margin_interval(linker, {i: methods[baseline][i] for i in truth}, truth, blocks)
                for baseline in BASELINES
            },
        }
    return report


def evaluate_arxiv_silver(
    weights: Weigher = DEFAULT_WEIGHTS, threshold: float = DEFAULT_THRESHOLD, raw: Sequence[RawPaper] | None = None,
    popularity: NamePopularity | None = None,
) -> dict[str, Any]:
    """The silver pairs from the 2016 OAI harvest (or its already read `raw` papers), split by block like the gold sets."""
    papers = arxiv_silver.read_oai_papers() if raw is None else (namesakes.silver_paper(paper) for paper in raw)
    silver = arxiv_silver.build_silver(papers)
    name = arxiv_silver.SET_NAME
    return arxiv_silver.evaluate_silver(
        silver, weights, threshold, split_of=lambda block: split_of_block(name, block), splits=SPLITS, popularity=popularity
    )


def evaluate_linking(
    sets: Iterable[str] = SETS, linker: LinkerName = "weights", write: Path | None = None, silver: bool = True,
    pseudo_namesakes: bool = True, vectors: Callable[[namesakes.NamesakeSet, Sequence[RawPaper]], namesakes.NamesakeSet] | None = None,
    encoder: str | None = None,
) -> dict:
    """Evaluate every gold set (and the arXiv silver set and pseudo-namesakes, which share one read of
    the 2016 harvest) with the linker the worker runs under `SCHOLARSTREAM_LINKER=<linker>`; the dict
    is what `--json` prints and what `results/linking.json` (`linking_pairwise.json`) holds.
    `vectors` gives the namesakes' papers their vectors (the evaluation's encoder, named `encoder`),
    else they have none."""
    policy = policy_named(linker, encoder)
    weights, threshold, popularity = policy.weights, policy.threshold, policy.popularity
    write = write or (RESULTS if linker == "weights" else RESULTS.with_name(f"linking_{linker}.json"))
    results: dict[str, Any] = {
        "protocol": (
            "Blocks (surname + first initial) split by hash into dev and held_out halves; weights and threshold "
            "were tuned on dev blocks only (evaluation/linking_tuning.py). Baselines computed in the same run. "
            "silver: pairs from real arXiv metadata (evaluation/arxiv_silver.py), not used for tuning. "
            "namesakes: real arXiv authors renamed to common names (evaluation/namesakes.py), split by name group, "
            "renamed mentions scored, not used for tuning."
        ),
        "linker": linker,
        "threshold": threshold,
        "weights": weights.as_dict(),  # type: ignore[attr-defined]
        "name_popularity": popularity.version if popularity else None,
        "namesakes_vectors": vectors is not None,
        "encoder": encoder,
        "sets": {},
    }
    for name in sets:
        results["sets"][name] = evaluate_set(load(name), weights, threshold, popularity=popularity)
    results["beats_both_baselines_on_b_cubed_f1"] = {
        name: {
            split: all(
                report[split]["linker"]["b_cubed"]["f1"] > report[split][baseline]["b_cubed"]["f1"]
                for baseline in BASELINES
            )
            for split in SPLITS
        }
        for name, report in results["sets"].items()
    }
    raw = namesakes.read_oai_raw() if silver or pseudo_namesakes else None
    if silver:
        results["silver"] = {arxiv_silver.SET_NAME: evaluate_arxiv_silver(weights, threshold, raw, popularity)}
    if pseudo_namesakes:
        started = time.perf_counter()
        report = namesakes.evaluate_namesakes(weights, threshold, papers=raw, splits=SPLITS, popularity=popularity,
                                              vectors=vectors)
        results["namesakes"] = {namesakes.SET_NAME: {**report, "seconds": round(time.perf_counter() - started, 2)}}
    if write is not None:
        write.parent.mkdir(parents=True, exist_ok=True)
        write.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


def print_table(results: dict) -> None:
    """One row per set, split and method: B-cubed and pairwise P/R/F1."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Author linking (threshold {results['threshold']})")
    for column in ("set", "split", "method", "B3 P", "B3 R", "B3 F1", "pair P", "pair R", "pair F1"):
        table.add_column(column, justify="left" if column in ("set", "split", "method") else "right")
    for name, report in results["sets"].items():
        for split in ("held_out", "dev", "all"):
            for method in ("linker", "linker_without_merges", "exact_full_name", "surname_first_initial"):
                b3, pw = report[split][method]["b_cubed"], report[split][method]["pairwise"]
                table.add_row(
                    name, f"{split} ({report[split]['mentions']})", method,
                    *(f"{b3[k]:.3f}" for k in ("precision", "recall", "f1")),
                    *(f"{pw[k]:.3f}" for k in ("precision", "recall", "f1")),
                )
        table.add_section()
    console = Console()
    console.print(table)
    console.print(margin_table(results))
    if results.get("silver"):
        console.print(silver_table(results["silver"]))
    if results.get("namesakes"):
        console.print(namesakes_table(results["namesakes"]))
        console.print(namesakes_size_table(results["namesakes"]))


def margin_table(results: dict):
    """The linker's B-cubed F1 margin over each baseline, with its 95 % block-bootstrap interval."""
    from rich.table import Table

    table = Table(title="Linker minus baseline, B-cubed F1 (95 % interval: blocks resampled, evaluation/margins.py)")
    for column in ("set", "split", "blocks", *(f"vs {b}" for b in BASELINES)):
        table.add_column(column, justify="left" if column in ("set", "split") else "right")
    for name, report in results["sets"].items():
        for split in ("held_out", "dev", "all"):
            margins = report[split]["linker_margin_b_cubed_f1"]
            cells = [f"{m['margin']:+.4f} [{m['ci95'][0]:+.4f}, {m['ci95'][1]:+.4f}]"
                     for m in (margins[b] for b in BASELINES)]
            table.add_row(name, split, str(margins[BASELINES[0]]["units"]), *cells)
    return table


SILVER_METHODS = ("linker", "linker_without_merges", "linker_without_coauthors", "exact_full_name", "surname_first_initial")


def silver_table(silver: dict):
    """One row per silver set, split and method: recall on same-person pairs, other-person pairs
    kept apart, pooled precision/F1, and the full-full sanity pairs kept apart."""
    from rich.table import Table

    table = Table(title="Author linking on arXiv silver pairs (docs/linking.md: how they are built, their bias)")
    for column in ("set / split", "method", "same", "other", "R", "strict R", "apart", "pool P", "F1", "ff apart"):
        table.add_column(column, justify="left" if column in ("set / split", "method") else "right")
    for name, report in silver.items():
        for split in ("held_out", "dev", "all"):
            for method in SILVER_METHODS:
                row = report[split][method]
                sanity = row.get("full-full")
                table.add_row(
                    f"{name} {split}", method, str(row["positives"]), str(row["negatives"]),
                    *(f"{row[k]:.3f}" if k in row else "-" for k in ("recall", "recall_strict", "negatives_apart", "precision", "f1")),
                    f"{1 - sanity['linked']:.3f}" if sanity else "-",
                )
            table.add_section()
    return table


def namesakes_table(sets: dict):
    """One row per pseudo-namesakes set, split and method, as for the gold sets, with the linker's
    margin over each baseline (blocks resampled)."""
    from rich.table import Table

    table = Table(title="Author linking on pseudo-namesakes (renamed mentions scored; docs/linking.md: how they are built)")
    for column in ("set", "split", "method", "B3 P", "B3 R", "B3 F1", "pair P", "pair R", "pair F1", "linker minus this, B3 F1 [95 %]"):
        table.add_column(column, justify="left" if column in ("set", "split", "method") else "right")
    for name, report in sets.items():
        for split in ("held_out", "dev", "all"):
            row = report[split]
            for method in namesakes.METHODS:
                b3, pw = row[method]["b_cubed"], row[method]["pairwise"]
                margin = row["linker_margin_b_cubed_f1"].get(method)
                table.add_row(
                    name, f"{split} ({row['groups']} names, {row['people']} people, {row['mentions']})", method,
                    *(f"{b3[k]:.3f}" for k in ("precision", "recall", "f1")),
                    *(f"{pw[k]:.3f}" for k in ("precision", "recall", "f1")),
                    f"{margin['margin']:+.3f} [{margin['ci95'][0]:+.3f}, {margin['ci95'][1]:+.3f}]" if margin else "",
                )
            table.add_section()
    return table


def namesakes_size_table(sets: dict, split: str = "all"):
    """B-cubed P / R / F1 per group-size bucket (people sharing one name), all name groups."""
    from rich.table import Table

    table = Table(title=f"Pseudo-namesakes by people per name ({split}): B-cubed P / R / F1")
    for column in ("set", "people per name", "names", "people", "mentions", *namesakes.METHODS):
        table.add_column(column, justify="left" if column in ("set", "people per name") else "right")
    for name, report in sets.items():
        for bucket, row in report[split]["by_group_size"].items():
            cells = [
                " / ".join(f"{row[m]['b_cubed'][k]:.3f}" for k in ("precision", "recall", "f1")) if m in row else "-"
                for m in namesakes.METHODS
            ]
            table.add_row(name, bucket, str(row["groups"]), str(row["people"]), str(row["mentions"]), *cells)
    return table


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    results = evaluate_linking(linker="pairwise" if "--pairwise" in args else "weights")
    if "--json" in args:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
