"""`scholarstream topics build` and `scholarstream eval topics`.

Build: centroids from a stratified sample of the train split of the 2016 cs harvest, calibrated
on its calibration split. Evaluate: held-out papers of the same harvest (test split, never seen
in building) and, as a test of drift over nine years, new 2025-2026 announcements. Baselines are
computed in the same run on the same training papers: the majority class, and TF-IDF nearest
centroid.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from encoders.base import Encoder
from evaluation.embedding_cache import cache_file_for, encode_cached
from evaluation.labelled_papers import (
    LabelledPaper,
    daily_2025_2026,
    oai_cs_2016,
    random_sample,
    split_of,
    stratified_sample,
)
from foundation.settings import Settings
from stream_processors.topic_model.fields import DEFAULT_MODEL, FieldTopicModel, fit_field_model
from stream_processors.topic_model.taxonomy import archive_of

PER_LABEL = 30
MIN_TRAIN_PER_LABEL = 3
CALIBRATION_SIZE = 600
TEST_SIZE = 1000
SEED = 20261125

Progress = Callable[[str, int | None], Callable[[int], None]]


@dataclass
class Corpus:
    train: list[LabelledPaper]
    train_label_counts: dict[str, int]
    calibration: list[LabelledPaper]
    test: list[LabelledPaper]


def load_corpus(per_label: int = PER_LABEL, test_size: int = TEST_SIZE) -> Corpus:
    splits: dict[str, list[LabelledPaper]] = {"train": [], "calibration": [], "test": []}
    for paper in oai_cs_2016():
        splits[split_of(paper.arxiv_id)].append(paper)
    counts = Counter(paper.primary for paper in splits["train"])
    trainable = [p for p in splits["train"] if counts[p.primary] >= MIN_TRAIN_PER_LABEL]
    return Corpus(
        train=stratified_sample(trainable, per_label, SEED),
        train_label_counts=dict(counts),
        calibration=random_sample(splits["calibration"], CALIBRATION_SIZE, SEED),
        test=random_sample(splits["test"], test_size, SEED),
    )


def _encode(settings: Settings, encoder: Encoder, papers: list[LabelledPaper], what: str, progress: Progress) -> np.ndarray:
    cache = cache_file_for(settings)
    advance = progress(f"encode {what}", len(papers))
    return encode_cached(
        encoder, [p.text for p in papers], cache, settings.encoder_max_seq_length, settings.encoder_batch_size, advance
    )


def build_topic_model(
    settings: Settings, encoder: Encoder, progress: Progress, corpus: Corpus | None = None,
    output: Path = DEFAULT_MODEL, version: str = "arxiv-fields-v1",
) -> tuple[FieldTopicModel, dict[str, Any]]:
    corpus = corpus or load_corpus()
    train_vectors = _encode(settings, encoder, corpus.train, "training papers", progress)
    calibration_vectors = _encode(settings, encoder, corpus.calibration, "calibration papers", progress)
    model = fit_field_model(
        version=version,
        encoder=encoder.name,
        train_vectors=train_vectors,
        train_labels=[p.primary for p in corpus.train],
        label_counts=corpus.train_label_counts,
        calibration_vectors=calibration_vectors,
        calibration_labels=[p.primary for p in corpus.calibration],
    )
    model.save(output)
    info = {
        "artefact": str(output),
        "version": version,
        "encoder": encoder.name,
        "categories": len(model.labels),
        "training_papers": len(corpus.train),
        "calibration_papers": len(corpus.calibration),
        "temperature": round(model.temperature, 5),
        "prior_weight": model.prior_weight,
    }
    return model, info


# Evaluation --------------------------------------------------------------------------------------


def _scores(
    predictions: list[list[str]], papers: list[LabelledPaper], archives: list[list[str]] | None = None
) -> dict[str, float]:
    """Category top-1/top-3, and archive top-1/top-3: from the model's own archive ranking when it
    has one, else from the archives of its top categories."""
    n = len(papers)
    archives = archives or [list(dict.fromkeys(archive_of(c) for c in pred)) for pred in predictions]
    top1 = sum(pred[0] == p.primary for pred, p in zip(predictions, papers, strict=True))
    top3 = sum(p.primary in pred[:3] for pred, p in zip(predictions, papers, strict=True))
    arch1 = sum(ranked[0] == archive_of(p.primary) for ranked, p in zip(archives, papers, strict=True))
    arch3 = sum(archive_of(p.primary) in ranked[:3] for ranked, p in zip(archives, papers, strict=True))
    return {
        "top1_accuracy": round(top1 / n, 4),
        "top3_recall": round(top3 / n, 4),
        "archive_top1_accuracy": round(arch1 / n, 4),
        "archive_top3_recall": round(arch3 / n, 4),
    }


def _calibration_error(model: FieldTopicModel, vectors: np.ndarray, papers: list[LabelledPaper], bins: int = 10) -> float:
    """Expected calibration error of the top score: how far 'score' is from 'chance it is right'."""
    probabilities = model.probabilities(vectors)
    confidence = probabilities.max(axis=1)
    correct = np.array([model.labels[i] == p.primary for i, p in zip(probabilities.argmax(axis=1), papers, strict=True)])
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return round(float(error), 4)


class _TfidfCentroids:
    def __init__(self, papers: list[LabelledPaper]) -> None:
        self.vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2, max_features=50_000)
        matrix = normalize(self.vectorizer.fit_transform([p.text for p in papers]))
        self.labels = sorted({p.primary for p in papers})
        index = {label: i for i, label in enumerate(self.labels)}
        rows = np.array([index[p.primary] for p in papers])
        centroids = np.vstack([np.asarray(matrix[rows == i].mean(axis=0)) for i in range(len(self.labels))])
        self.centroids = normalize(centroids)

    def predict(self, papers: list[LabelledPaper], k: int = 3) -> list[list[str]]:
        similarities = normalize(self.vectorizer.transform([p.text for p in papers])) @ self.centroids.T
        order = np.argsort(-np.asarray(similarities), axis=1)[:, :k]
        return [[self.labels[j] for j in row] for row in order]


def evaluate_topics(
    settings: Settings, encoder: Encoder, model: FieldTopicModel, progress: Progress,
    corpus: Corpus | None = None, test_size: int = TEST_SIZE,
) -> dict[str, Any]:
    corpus = corpus or load_corpus(test_size=test_size)
    drift = random_sample(list(daily_2025_2026()), test_size, SEED)
    majority = [label for label, _ in Counter(corpus.train_label_counts).most_common(3)]
    tfidf = _TfidfCentroids(corpus.train)
    results: dict[str, Any] = {
        "model": {"version": model.version, "encoder": model.encoder, "categories": len(model.labels)},
        "training_papers": len(corpus.train),
        "sets": {},
    }
    for name, papers in (("oai-cs-2016 held-out", corpus.test), ("daily 2025-2026 (drift)", drift)):
        vectors = _encode(settings, encoder, papers, name, progress)
        embedding_predictions = [[t.code for t in row] for row in model.top(vectors, k=3)]
        results["sets"][name] = {
            "papers": len(papers),
            "embedding_centroids": {
                **_scores(embedding_predictions, papers, model.top_archives(vectors)),
                "calibration_error": _calibration_error(model, vectors, papers),
            },
            "tfidf_centroids": _scores(tfidf.predict(papers), papers),
            "majority_class": _scores([majority] * len(papers), papers),
        }
    return results
