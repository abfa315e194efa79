"""Learn the linker's pairwise decision from labelled data, dev halves only.

`python -m evaluation.linking_model` (needs `../shared/data`; about ten minutes):

1. **Pairs.** Each labelled set's dev half is replayed in stream order with the true people as the
   block's researchers: every mention is compared, with the linker's own `evidence_for`, against
   every person of its block seen so far, and the pair is labelled "same" when that person is the
   mention's. Pairs a hard rule forbids (incompatible names, two lines of one paper) are left out,
   as the linker never weighs them.
2. **The gate.** The model decides only where the paper carries categories or a vector, as every
   arXiv paper does (`pairwise_model.GatedModel`); elsewhere the weights decide as before. Of the
   sets, only the pseudo-namesakes' papers carry both (their vectors come from the configured
   encoder, cached); the gold sets' records carry neither, so they train nothing and test the
   fallback. Each pair with a vector is also learned once without it, for papers the linker gets
   without one.
3. **Trees.** scikit-learn's `HistGradientBoostingClassifier` with a monotone constraint on every
   feature whose direction is known (`pairwise_model.FEATURES`); missing evidence stays missing.
   The trees are exported to the versioned artefact and checked against scikit-learn's own output.
4. **Threshold.** Each candidate threshold links every set's dev half as the worker does (link,
   then the merge step, both gated); the best mean of the namesakes' dev B-cubed F1 and the arXiv
   silver pairs' dev F1 is kept, and the gold sets' dev figures are recorded beside it.

The held-out halves are never looked at here; `scholarstream eval linking` reports them.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from encoders.loading import load_encoder
from evaluation import arxiv_silver, namesakes
from evaluation.and_gold import SETS, GoldSet, load
from evaluation.arxiv_silver import link_blocks
from evaluation.cluster_metrics import b_cubed
from evaluation.linking import link_gold_set, split_of_block
from foundation.settings import Settings
from stream_processors.linking.linker import (
    BlockState,
    Mention,
    PaperContext,
    ResearcherSummary,
    absorb,
    candidate_evidence,
    mention_key,
)
from stream_processors.linking.merging import DEFAULT_POLICY
from stream_processors.linking.pairwise_model import (
    FEATURE_NAMES,
    FEATURES,
    PACKAGED,
    GatedModel,
    PairwiseModel,
    Tree,
    feature_vector,
)
from stream_processors.linking.popularity import NamePopularity, packaged
from stream_processors.linking.scorer import DEFAULT_THRESHOLD, DEFAULT_WEIGHTS

RESULTS = Path(__file__).parent / "results" / "linking_model.json"
VERSION = "pairwise-v1"
SEED = 20261203
HYPERPARAMETERS = {"max_iter": 80, "learning_rate": 0.15, "max_depth": 3, "min_samples_leaf": 40,
                   "l2_regularization": 1.0}
THRESHOLDS = (-1.0, 0.0, 1.0)  # log-odds of the model


@dataclass(frozen=True)
class Line:
    """One mention to link, in stream order, with its true person (None: context, not scored)."""

    block: str
    mention: Mention
    paper: PaperContext
    person: str | None


def gold_lines(gold: GoldSet, split: str) -> Iterator[Line]:
    for gm in gold.mentions:
        if split_of_block(gold.name, gm.block) != split:
            continue
        mention = Mention(gm.position, gm.keyname, gm.forenames, gm.affiliations, gm.block)
        paper = PaperContext(gm.paper_id, gm.year, (), gold.author_keys.get(gm.paper_id, ()))
        yield Line(gm.block, mention, paper, gm.gold_id)


def namesake_lines(names_set: namesakes.NamesakeSet, split: str) -> Iterator[Line]:
    for paper in names_set.papers:
        context = PaperContext(paper.paper_id, paper.year, paper.categories, paper.author_keys, paper.embedding)
        for mention in paper.mentions:
            key = mention_key(paper.paper_id, mention.position)
            if key in names_set.truth and namesakes.split_of_group(names_set.group_of[key]) == split:
                yield Line(mention.blocking_key, mention, context, names_set.truth[key])


def oracle_pairs(lines: Iterable[Line], popularity: NamePopularity) -> tuple[list[tuple[float, ...]], list[int]]:
    """Feature rows and labels: each mention against each true person of its block so far, with
    the evidence the linker itself would weigh (`linker.candidate_evidence`)."""
    blocks: dict[str, BlockState] = {}
    rows: list[tuple[float, ...]] = []
    labels: list[int] = []
    for line in lines:
        block = blocks.get(line.block) or BlockState(line.block)
        if line.person is not None:
            for evidence, summary in candidate_evidence(block, line.mention, line.paper, popularity=popularity):
                rows.append(feature_vector(evidence))
                labels.append(int(summary.researcher_id == line.person))
        person = line.person or "context:" + mention_key(line.paper.paper_id, line.mention.position)
        people = dict(block.researchers)
        new = person not in people
        people[person] = absorb(people.get(person) or ResearcherSummary(person, {}), line.mention, line.paper)
        # The block's name index carries over, as in `linker.apply_decision` (rebuilt, it costs O(block) a line).
        blocks[line.block] = BlockState(line.block, people, block.names.add(person, people[person].names, new=new))
    return rows, labels


def _mean_values(nodes: Any) -> list[float]:
    """Each node's mean output over the training rows below it (leaves: their own value)."""
    values = [0.0] * len(nodes)

    def visit(index: int) -> tuple[float, int]:
        node = nodes[index]
        if node["is_leaf"]:
            values[index] = float(node["value"])
            return values[index] * int(node["count"]), int(node["count"])
        left_sum, left_count = visit(int(node["left"]))
        right_sum, right_count = visit(int(node["right"]))
        values[index] = (left_sum + right_sum) / max(1, left_count + right_count)
        return left_sum + right_sum, left_count + right_count

    visit(0)
    return values


def export(classifier: Any, threshold: float, trained_on: dict[str, object]) -> PairwiseModel:
    trees = []
    for (predictor,) in classifier._predictors:  # one predictor per iteration for a binary classifier
        nodes = predictor.nodes
        trees.append(Tree(
            feature=tuple(int(n["feature_idx"]) for n in nodes),
            threshold=tuple(float(n["num_threshold"]) for n in nodes),
            missing_left=tuple(bool(n["missing_go_to_left"]) for n in nodes),
            left=tuple(int(n["left"]) for n in nodes),
            right=tuple(int(n["right"]) for n in nodes),
            value=tuple(_mean_values(nodes)),
            leaf=tuple(bool(n["is_leaf"]) for n in nodes),
        ))
    bias = float(classifier._baseline_prediction.ravel()[0])
    return PairwiseModel(VERSION, tuple(name for name, _ in FEATURES), bias, tuple(trees), threshold, trained_on)


def _check_export(model: PairwiseModel, classifier: Any, rows: list[tuple[float, ...]]) -> float:
    """Largest difference between the exported trees and scikit-learn on the training rows."""
    import numpy as np

    sample = rows[:: max(1, len(rows) // 5000)]
    expected = classifier.decision_function(np.array(sample, dtype=float))
    worst = 0.0
    for row, reference in zip(sample, expected, strict=True):
        total = model.bias + sum(tree.value[tree.path(row)[0]] for tree in model.trees)
        worst = max(worst, abs(total - float(reference)))
    return worst


def train(sources: dict[str, tuple[list[tuple[float, ...]], list[int]]]) -> Any:
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    rows = [row for rows, _ in sources.values() for row in rows]
    labels = [label for _, labels in sources.values() for label in labels]
    weights = [len(rows) / (len(sources) * len(source_rows)) for source_rows, _ in sources.values() for _ in source_rows]
    classifier = HistGradientBoostingClassifier(
        **HYPERPARAMETERS, monotonic_cst=[direction for _, direction in FEATURES], early_stopping=False, random_state=SEED,
    )
    classifier.fit(np.array(rows, dtype=float), np.array(labels), sample_weight=np.array(weights))
    return classifier


def _without_embedding(row: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(math.nan if name == "embedding_cosine" else value for name, value in zip(FEATURE_NAMES, row, strict=True))


def gated_pairs(rows: list[tuple[float, ...]], labels: list[int]) -> tuple[list[tuple[float, ...]], list[int]]:
    """The pairs the model decides (the paper has categories or a vector), each with a vector also
    once without it: a paper whose vector the linker does not have is decided on the rest."""
    topic, vector = FEATURE_NAMES.index("topic_overlap"), FEATURE_NAMES.index("embedding_cosine")
    kept_rows: list[tuple[float, ...]] = []
    kept_labels: list[int] = []
    for row, label in zip(rows, labels, strict=True):
        if math.isnan(row[topic]) and math.isnan(row[vector]):
            continue
        kept_rows.append(row)
        kept_labels.append(label)
        if not math.isnan(row[vector]):
            kept_rows.append(_without_embedding(row))
            kept_labels.append(label)
    return kept_rows, kept_labels


def dev_scores(gated: GatedModel, golds: list[GoldSet], names_set: namesakes.NamesakeSet,
               silver: arxiv_silver.SilverSet, popularity: NamePopularity, split: str = "dev") -> dict[str, float]:
    """B-cubed F1 of each set's `split` (pooled pair F1 for the silver pairs), linked as the worker links."""
    threshold = gated.threshold
    policy = replace(DEFAULT_POLICY, weights=gated, threshold=threshold, popularity=popularity)
    scores: dict[str, float] = {}
    for gold in golds:
        def keep(block: str, name: str = gold.name) -> bool:
            return split_of_block(name, block) == split

        linked = link_gold_set(gold, gated, threshold, keep, policy, popularity)
        truth = {m.mention_id: str(m.gold_id) for m in gold.scored if keep(m.block)}
        scores[gold.name] = round(b_cubed({i: linked[i] for i in truth}, truth).f1, 4)
    linked = link_blocks(names_set.papers, names_set.blocks, gated, threshold, policy=policy, popularity=popularity)
    truth = {k: v for k, v in names_set.truth.items() if namesakes.split_of_group(names_set.group_of[k]) == split}
    scores[namesakes.SET_NAME] = round(b_cubed({k: linked[k] for k in truth}, truth).f1, 4)
    blocks = frozenset(b for b in silver.blocks if split_of_block(arxiv_silver.SET_NAME, b) == split)
    linked = link_blocks(silver.papers, blocks, gated, threshold, policy=policy, popularity=popularity)
    pairs = [pair for pair in silver.pairs if pair.block in blocks]
    report = arxiv_silver.pair_scores(pairs, lambda pair: linked[pair.a] == linked[pair.b])
    scores[arxiv_silver.SET_NAME] = round(float(report["f1"]), 4)  # type: ignore[arg-type]
    return scores


def main() -> int:
    started = time.monotonic()
    popularity = packaged()
    golds = [load(name) for name in SETS]
    raw = namesakes.read_oai_raw()
    names_set = namesakes.the_set(raw)
    settings = Settings()
    names_set = namesakes.with_embeddings(names_set, raw, settings, load_encoder(settings))
    silver = arxiv_silver.build_silver(namesakes.silver_paper(paper) for paper in raw)
    every = {gold.name: oracle_pairs(gold_lines(gold, "dev"), popularity) for gold in golds}
    every[namesakes.SET_NAME] = oracle_pairs(namesake_lines(names_set, "dev"), popularity)
    sources = {name: gated_pairs(*pairs) for name, pairs in every.items()}
    sources = {name: pairs for name, pairs in sources.items() if pairs[0]}
    counts = {name: {"pairs": len(every[name][1]), "model_pairs": len(sources.get(name, ((), []))[1]),
                     "same": sum(sources.get(name, ((), []))[1])} for name in every}
    print(json.dumps({"pairs": counts, "seconds": round(time.monotonic() - started, 1)}), file=sys.stderr)
    classifier = train(sources)
    trained_on = {"sets": counts, "split": "dev", "hyperparameters": HYPERPARAMETERS, "seed": SEED,
                  "popularity": popularity.version, "gate": "topic_overlap or embedding_cosine present",
                  "encoder": settings.encoder_model}
    model = export(classifier, 0.0, trained_on)
    drift = _check_export(model, classifier, [row for rows, _ in sources.values() for row in rows])
    if drift > 1e-6:
        raise SystemExit(f"the exported trees differ from scikit-learn's by {drift}")
    sweep: list[dict[str, Any]] = []
    for threshold in THRESHOLDS:
        candidate = replace(model, threshold=threshold)
        scores = dev_scores(GatedModel(candidate, DEFAULT_WEIGHTS, DEFAULT_THRESHOLD), golds, names_set, silver, popularity)
        sweep.append({"threshold": threshold, "dev_f1": scores,
                      "objective": round((scores[namesakes.SET_NAME] + scores[arxiv_silver.SET_NAME]) / 2, 4)})
        print(json.dumps(sweep[-1]), file=sys.stderr)
    best = max(sweep, key=lambda row: row["objective"])
    model = replace(model, threshold=float(best["threshold"]))
    model.save(PACKAGED)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"model": VERSION, "trained_on": trained_on, "export_max_difference": drift,
                                   "objective": "mean of the namesakes' dev B-cubed F1 and the silver pairs' dev F1",
                                   "threshold_sweep": sweep, "chosen": best,
                                   "seconds": round(time.monotonic() - started, 1)}, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(best, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
