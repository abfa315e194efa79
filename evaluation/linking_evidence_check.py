"""Is there evidence the linker does not use that would separate the namesakes it cannot?

`python -m evaluation.linking_evidence_check` (needs `../shared/data`; about two minutes with the
MiniLM vectors the linking evaluation caches; writes `evaluation/results/linking_evidence_check.json`).

The pairwise linker's recall on the pseudo-namesakes stays near 0.77 whatever its trees (docs/linking.md):
a person whose papers share neither coauthors nor field is split. Before building new evidence
into the stream, this checks two candidates on every pair of renamed mentions of a block, scored
as `linking_recluster` scores them (the shipped model, each mention against the other as a
one-paper researcher):

- **rare shared words**: words of four letters or more (folded, a short list of filler words left
  out) that both papers' title and abstract use and at most 30 papers of the 2016 harvest use
  ("rare"), and the summed inverse document frequency of the shared words used by at most 500;
- **two-hop coauthors**: a coauthor of one paper has written, anywhere in the harvest as
  published, with a coauthor of the other (coauthors by blocking key, as the stream keys them;
  the renamed people's own blocks and the pair's block are left out of the graph, so the path can
  never run through the person being identified).

For the pairs the model scores below the link threshold (the ones it would not join on their own),
and for all pairs, it reports the share of same-person and other-person pairs that have each
evidence. Then a pair-level check of what the evidence could add: boosted trees learned on the dev
names' pairs from the model's score alone, and from the score with each new evidence, scored by
average precision on the held-out names' pairs. Last, the check in the issue's own measure: each
block is clustered (average linkage from one cluster per mention, as `linking_recluster` does) from
the log-odds those trees give every pair, the threshold chosen on the dev names, and B-cubed is
reported for each split. The trees see the dev pairs they were learned on, so the dev figures are
optimistic and the held-out ones are the honest reading. Nothing here changes the linker.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from encoders.loading import load_encoder
from evaluation import namesakes
from evaluation.linking_recluster import b_cubed_by_split, block_lines, splits_of
from foundation.settings import get_settings
from schemas.names import fold
from schemas.papers import RawPaper
from stream_processors.linking.policy import policy_named
from stream_processors.linking.resplit import FORBIDDEN, average_linkage, pair_scores

RESULTS = Path(__file__).parent / "results" / "linking_evidence_check.json"
RARE_PAPERS = 30  # a word used by at most this many papers of the harvest is rare
IDF_PAPERS = 500  # words used by at most this many papers count in the summed idf
CLUSTER_THRESHOLDS = (-2.0, -1.5, -1.25, -1.0, -0.75, -0.5, 0.0, 1.0, 2.0)  # log-odds at which average linkage stops joining
EVIDENCE = {"score": ["score"], "score + words": ["score", "rare_words", "idf"], "score + two hop": ["score", "two_hop"],
            "score + both": ["score", "rare_words", "idf", "two_hop"]}
FILLER = frozenset("""
this that with from have been were which their there these those into than then they them also such
using used based show shows paper propose proposed present results result method methods approach problem new
problems model models data more most over under between both each other some many well however while
where when what can may our two one three first second given general known study work works framework
""".split())
WORD = re.compile(r"[a-z][a-z0-9\-]{3,}")


def words(title: str, abstract: str) -> frozenset[str]:
    """The words a paper's title and abstract use (folded, four letters or more, fillers left out)."""
    return frozenset(w for w in WORD.findall(fold(f"{title} {abstract}").lower()) if w not in FILLER)


def coauthor_graph(papers: Iterable[RawPaper], left_out: set[str]) -> dict[str, set[str]]:
    """Blocking key -> the blocking keys it shared a paper with, `left_out` not in the graph."""
    neighbours: dict[str, set[str]] = defaultdict(set)
    for paper in papers:
        keys = {m.blocking_key for m in namesakes.silver_paper(paper).mentions} - left_out
        for key in keys:
            neighbours[key] |= keys - {key}
    return neighbours


def two_hop(mine: set[str], theirs: set[str], neighbours: dict[str, set[str]]) -> bool:
    """A coauthor in common, or a coauthor of one who wrote with a coauthor of the other."""
    return bool(mine & theirs) or any(neighbours.get(key, set()) & theirs for key in mine)


def shares(rows: list[dict[str, Any]]) -> dict[str, Any]:
    same = [row for row in rows if row["same"]]
    other = [row for row in rows if not row["same"]]

    def share(group: list[dict[str, Any]], test: Callable[[dict[str, Any]], bool]) -> float:
        return round(sum(1 for row in group if test(row)) / len(group), 4) if group else 0.0

    def at_least(column: str, value: float) -> Callable[[dict[str, Any]], bool]:
        return lambda row: row[column] >= value

    tests: dict[str, Callable[[dict[str, Any]], bool]] = {
        **{f"rare_words>={k}": at_least("rare_words", k) for k in (1, 2, 3)},
        **{f"idf>={k}": at_least("idf", k) for k in (10, 20, 30)},
        "two_hop": lambda row: bool(row["two_hop"]),
        "two_hop_without_a_shared_coauthor": lambda row: bool(row["two_hop"] and not row["shared_coauthor"]),
    }
    return {"same_pairs": len(same), "other_pairs": len(other),
            **{name: {"same": share(same, test), "other": share(other, test)} for name, test in tests.items()}}


def learned_log_odds(rows: list[dict[str, Any]], columns: list[str]) -> np.ndarray:
    """Each pair's log-odds of one person, from trees learned on the dev names' pairs with `columns`."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    dev = np.array([row["split"] == "dev" for row in rows])
    labels = np.array([row["same"] for row in rows])
    features = np.array([[float(row[column]) for column in columns] for row in rows])
    model = HistGradientBoostingClassifier(max_depth=3, max_iter=80, random_state=0).fit(features[dev], labels[dev])
    probability = np.clip(model.predict_proba(features)[:, 1], 1e-9, 1 - 1e-9)
    return np.log(probability / (1 - probability))


def learned_check(rows: list[dict[str, Any]], log_odds: dict[str, np.ndarray]) -> dict[str, float]:
    """Average precision on the held-out names' pairs of each set of evidence's log-odds."""
    from sklearn.metrics import average_precision_score

    held_out = np.array([row["split"] == "held_out" for row in rows])
    labels = np.array([row["same"] for row in rows])
    return {name: round(float(average_precision_score(labels[held_out], values[held_out])), 4) for name, values in log_odds.items()}


def block_matrices(rows: list[dict[str, Any]], log_odds: np.ndarray,
                   keys_by_block: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """Each block's matrix of pair log-odds (FORBIDDEN for a pair with no row)."""
    matrices = {block: np.full((len(keys), len(keys)), FORBIDDEN) for block, keys in keys_by_block.items()}
    for row, value in zip(rows, log_odds, strict=True):
        matrix = matrices[row["block"]]
        matrix[row["i"], row["j"]] = matrix[row["j"], row["i"]] = value
    return matrices


def clustered(matrices: dict[str, np.ndarray], keys_by_block: dict[str, list[str]], threshold: float) -> dict[str, str]:
    """Mention key -> cluster: each block's mentions joined by average linkage over the pairs'
    log-odds while the mean is at least `threshold` (a FORBIDDEN pair is never joined)."""
    predicted: dict[str, str] = {}
    for block, keys in keys_by_block.items():
        for key, label in zip(keys, average_linkage(matrices[block], threshold)[0], strict=True):
            predicted[key] = f"{block}:{label}"
    return predicted


def clustered_check(rows: list[dict[str, Any]], log_odds: dict[str, np.ndarray], keys_by_block: dict[str, list[str]],
                    truth: dict[str, str], split_of: dict[str, str]) -> dict[str, Any]:
    """B-cubed of each set of evidence's clustering, by split, at every threshold and at the one
    with the best dev F1."""
    report: dict[str, Any] = {}
    for name, values in log_odds.items():
        matrices = block_matrices(rows, values, keys_by_block)
        by_threshold = {f"{threshold:+.2f}": b_cubed_by_split(clustered(matrices, keys_by_block, threshold), truth, split_of)
                        for threshold in CLUSTER_THRESHOLDS}
        chosen = max(by_threshold, key=lambda t: by_threshold[t]["dev"]["f1"])
        report[name] = {"threshold_chosen_on_dev": chosen, **by_threshold[chosen], "by_threshold": by_threshold}
    return report


def main() -> int:
    started = time.monotonic()
    settings = get_settings()
    raw = namesakes.read_oai_raw()
    names_set = namesakes.with_embeddings(namesakes.the_set(raw), raw, settings, load_encoder(settings))
    policy = policy_named("pairwise", settings.encoder_model)
    used = {paper.arxiv_id: words(paper.title, paper.abstract) for paper in raw}
    papers_using: Counter[str] = Counter()
    for paper_words in used.values():
        papers_using.update(paper_words)
    renamed_blocks = {person.block for group in names_set.groups for person in group.people}
    neighbours = coauthor_graph(raw, renamed_blocks)
    total = len(raw)
    rows: list[dict[str, Any]] = []
    keys_by_block: dict[str, list[str]] = {}
    for block, lines in block_lines(names_set).items():
        keys_by_block[block] = [line.key for line in lines]
        scores = pair_scores(lines, policy)
        for i, one in enumerate(lines):
            for j in range(i + 1, len(lines)):
                if scores[i, j] == FORBIDDEN:
                    continue
                other = lines[j]
                shared = used[one.paper.paper_id] & used[other.paper.paper_id]
                mine, theirs = set(one.paper.author_keys) - {block}, set(other.paper.author_keys) - {block}
                rows.append({
                    "block": block, "i": i, "j": j,
                    "split": namesakes.split_of_group(names_set.group_of[one.key]),
                    "same": names_set.truth[one.key] == names_set.truth[other.key],
                    "score": float(scores[i, j]),
                    "rare_words": sum(1 for w in shared if papers_using[w] <= RARE_PAPERS),
                    "idf": sum(math.log(total / papers_using[w]) for w in shared if papers_using[w] <= IDF_PAPERS),
                    "two_hop": two_hop(mine, theirs, neighbours),
                    "shared_coauthor": bool(mine & theirs),
                })
    threshold = policy.threshold
    log_odds = {name: learned_log_odds(rows, columns) for name, columns in EVIDENCE.items()}
    clusterings = clustered_check(rows, log_odds, keys_by_block, names_set.truth, splits_of(names_set))
    report: dict[str, Any] = {
        "pairs": len(rows),
        "link_threshold": threshold,
        "by_split": {
            split: {
                "below_threshold": shares([r for r in rows if r["split"] == split and r["score"] < threshold]),
                "all": shares([r for r in rows if r["split"] == split]),
            }
            for split in ("dev", "held_out")
        },
        "held_out_pair_average_precision": learned_check(rows, log_odds),
        "clustered_b_cubed": clusterings,
        "seconds": round(time.monotonic() - started),
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "clustered_b_cubed"}, indent=1))
    print("evidence            threshold  dev P / R / F1         held_out P / R / F1")
    for name, row in clusterings.items():
        cells = ["{precision:.3f} / {recall:.3f} / {f1:.3f}".format(**row[split]) for split in ("dev", "held_out")]
        print(f"{name:<19} {row['threshold_chosen_on_dev']:>9}  {cells[0]}  {cells[1]}")
    print(f"wrote {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
