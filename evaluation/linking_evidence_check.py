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
average precision on the held-out names' pairs. Nothing here changes the linker.
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
from evaluation.linking_recluster import block_lines
from foundation.settings import get_settings
from schemas.names import fold
from schemas.papers import RawPaper
from stream_processors.linking.policy import policy_named
from stream_processors.linking.resplit import FORBIDDEN, pair_scores

RESULTS = Path(__file__).parent / "results" / "linking_evidence_check.json"
RARE_PAPERS = 30  # a word used by at most this many papers of the harvest is rare
IDF_PAPERS = 500  # words used by at most this many papers count in the summed idf
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


def learned_check(rows: list[dict[str, Any]]) -> dict[str, float]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import average_precision_score

    columns = {"score": ["score"], "score + words": ["score", "rare_words", "idf"], "score + two hop": ["score", "two_hop"],
               "score + both": ["score", "rare_words", "idf", "two_hop"]}
    dev = np.array([row["split"] == "dev" for row in rows])
    labels = np.array([row["same"] for row in rows])
    report = {}
    for name, names in columns.items():
        features = np.array([[float(row[column]) for column in names] for row in rows])
        model = HistGradientBoostingClassifier(max_depth=3, max_iter=80, random_state=0).fit(features[dev], labels[dev])
        report[name] = round(float(average_precision_score(labels[~dev], model.predict_proba(features[~dev])[:, 1])), 4)
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
    for block, lines in block_lines(names_set).items():
        scores = pair_scores(lines, policy)
        for i, one in enumerate(lines):
            for j in range(i + 1, len(lines)):
                if scores[i, j] == FORBIDDEN:
                    continue
                other = lines[j]
                shared = used[one.paper.paper_id] & used[other.paper.paper_id]
                mine, theirs = set(one.paper.author_keys) - {block}, set(other.paper.author_keys) - {block}
                rows.append({
                    "split": namesakes.split_of_group(names_set.group_of[one.key]),
                    "same": names_set.truth[one.key] == names_set.truth[other.key],
                    "score": float(scores[i, j]),
                    "rare_words": sum(1 for w in shared if papers_using[w] <= RARE_PAPERS),
                    "idf": sum(math.log(total / papers_using[w]) for w in shared if papers_using[w] <= IDF_PAPERS),
                    "two_hop": two_hop(mine, theirs, neighbours),
                    "shared_coauthor": bool(mine & theirs),
                })
    threshold = policy.threshold
    report = {
        "pairs": len(rows),
        "link_threshold": threshold,
        "by_split": {
            split: {
                "below_threshold": shares([r for r in rows if r["split"] == split and r["score"] < threshold]),
                "all": shares([r for r in rows if r["split"] == split]),
            }
            for split in ("dev", "held_out")
        },
        "held_out_pair_average_precision": learned_check(rows),
        "seconds": round(time.monotonic() - started),
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=1))
    print(f"wrote {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
