"""The field-topic model: one centroid per arXiv category, scores calibrated by temperature.

A paper's embedding is compared with every category centroid (cosine); the similarities, divided
by a temperature and shifted by a weighted log prior, go through a softmax. Temperature and
prior weight are fitted on held-out calibration papers, so a score of 0.7 means the top category
is right about 70% of the time. The artefact is a small versioned `.npz`: centroids, labels,
the prior, the two fitted numbers, and which encoder it belongs to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from foundation.errors import ConfigError
from stream_processors.topic_model.taxonomy import archive_of, category_name

MODEL_DIR = Path(__file__).resolve().parent / "artefacts"
DEFAULT_MODEL = MODEL_DIR / "arxiv-fields-v1.npz"
MODEL_VERSION = "arxiv-fields-v1"


def model_path_for(encoder: str, data_dir: Path) -> Path:
    """The packaged encoder's model ships with the code; other encoders' models are built locally."""
    from foundation.settings import PACKAGED_ENCODER

    if encoder == PACKAGED_ENCODER:
        return DEFAULT_MODEL
    slug = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in encoder)
    return Path(data_dir) / "models" / f"{MODEL_VERSION}--{slug}.npz"


@dataclass(frozen=True)
class TopicScore:
    code: str
    name: str
    score: float


@dataclass(frozen=True)
class FieldTopicModel:
    version: str
    encoder: str
    labels: tuple[str, ...]
    centroids: np.ndarray  # (labels, dim), unit length
    log_prior: np.ndarray  # (labels,)
    temperature: float
    prior_weight: float

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = (_unit(vectors) @ self.centroids.T) / self.temperature + self.prior_weight * self.log_prior
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        return weights / weights.sum(axis=1, keepdims=True)

    def top(self, vectors: np.ndarray, k: int = 3) -> list[list[TopicScore]]:
        probabilities = self.probabilities(np.atleast_2d(vectors))
        order = np.argsort(-probabilities, axis=1)[:, :k]
        return [
            [TopicScore(self.labels[j], category_name(self.labels[j]), round(float(row[j]), 4)) for j in best]
            for row, best in zip(probabilities, order, strict=True)
        ]

    def top_archives(self, vectors: np.ndarray, k: int = 3) -> list[list[str]]:
        """Archives (cs, math, ...) ranked by the summed probability of their categories."""
        probabilities = self.probabilities(np.atleast_2d(vectors))
        archives = sorted({archive_of(label) for label in self.labels})
        membership = np.array([[archive_of(label) == a for a in archives] for label in self.labels], dtype=np.float32)
        mass = probabilities @ membership
        return [[archives[j] for j in row] for row in np.argsort(-mass, axis=1)[:, :k]]

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "version": self.version,
            "encoder": self.encoder,
            "labels": list(self.labels),
            "temperature": self.temperature,
            "prior_weight": self.prior_weight,
        }
        with open(path, "wb") as handle:
            np.savez_compressed(
                handle,
                centroids=self.centroids.astype(np.float32),
                log_prior=self.log_prior.astype(np.float32),
                meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            )
        return path


def load_field_model(path: Path = DEFAULT_MODEL, encoder: str | None = None) -> FieldTopicModel:
    """Load an artefact; refuse one built for another encoder (its centroids would be meaningless)."""
    if not path.exists():
        raise ConfigError(f"no field-topic model at {path}; build one with `scholarstream topics build`")
    with np.load(path) as data:
        meta = json.loads(bytes(data["meta"]).decode())
        model = FieldTopicModel(
            version=meta["version"],
            encoder=meta["encoder"],
            labels=tuple(meta["labels"]),
            centroids=data["centroids"],
            log_prior=data["log_prior"],
            temperature=float(meta["temperature"]),
            prior_weight=float(meta["prior_weight"]),
        )
    if encoder is not None and model.encoder != encoder:
        raise ConfigError(
            f"the field-topic model {path.name} was built for encoder {model.encoder!r}, not {encoder!r}; "
            "rebuild it with `scholarstream topics build`"
        )
    return model


def fit_field_model(
    *,
    version: str,
    encoder: str,
    train_vectors: np.ndarray,
    train_labels: list[str],
    label_counts: dict[str, int],
    calibration_vectors: np.ndarray,
    calibration_labels: list[str],
) -> FieldTopicModel:
    """Centroids from the training papers; temperature and prior weight minimise the
    calibration papers' negative log-likelihood (a grid search: two numbers, no optimiser needed)."""
    labels = tuple(sorted(set(train_labels)))
    index = {label: i for i, label in enumerate(labels)}
    vectors = _unit(train_vectors)
    centroids = np.zeros((len(labels), vectors.shape[1]), dtype=np.float32)
    for vector, label in zip(vectors, train_labels, strict=True):
        centroids[index[label]] += vector
    centroids = _unit(centroids)
    counts = np.array([label_counts.get(label, 0) + 1.0 for label in labels])
    log_prior = np.log(counts / counts.sum()).astype(np.float32)

    known = [i for i, label in enumerate(calibration_labels) if label in index]
    targets = np.array([index[calibration_labels[i]] for i in known])
    similarities = _unit(calibration_vectors[known]) @ centroids.T
    best = (np.inf, 1.0, 0.0)
    for temperature in np.geomspace(0.0005, 0.5, 61):
        for weight in np.linspace(0.0, 2.0, 21):
            logits = similarities / temperature + weight * log_prior
            logits -= logits.max(axis=1, keepdims=True)
            log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
            nll = -float(log_probs[np.arange(len(targets)), targets].mean())
            if nll < best[0]:
                best = (nll, float(temperature), float(weight))
    return FieldTopicModel(version, encoder, labels, centroids, log_prior, best[1], best[2])


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
