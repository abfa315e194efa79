"""An on-disk cache of text embeddings for model building and evaluation runs.

Encoding thousands of abstracts is the slow part of `topics build` and `eval topics`; the cache
makes a second run (another baseline, another metric) cost seconds. Keyed by encoder name,
sequence length and the text itself, so a different encoder can never be served stale vectors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from encoders.base import Encoder
from foundation.settings import Settings


def cache_file_for(settings: Settings) -> Path:
    """Where the evaluations keep their vectors: under the data directory, one file for all."""
    return Path(settings.data_dir) / "cache" / "embeddings.npz"


def _key(encoder_name: str, max_seq_length: int, text: str) -> str:
    return hashlib.sha1(f"{encoder_name}\x00{max_seq_length}\x00{text}".encode()).hexdigest()


def encode_cached(
    encoder: Encoder,
    texts: list[str],
    cache_file: Path,
    max_seq_length: int,
    batch_size: int = 64,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    stored: dict[str, np.ndarray] = {}
    if cache_file.exists():
        with np.load(cache_file) as data:
            stored = {key: data[key] for key in data.files}
    keys = [_key(encoder.name, max_seq_length, text) for text in texts]
    missing = [i for i, key in enumerate(keys) if key not in stored]
    if progress is not None and len(texts) > len(missing):
        progress(len(texts) - len(missing))
    for number, start in enumerate(range(0, len(missing), batch_size), start=1):
        chunk = missing[start : start + batch_size]
        vectors = encoder.encode([texts[i] for i in chunk])
        for i, vector in zip(chunk, vectors, strict=True):
            stored[keys[i]] = vector
        if progress is not None:
            progress(len(chunk))
        if number % 20 == 0:  # an interrupted run keeps most of its work
            _save(stored, cache_file)
    if missing:
        _save(stored, cache_file)
    return np.stack([stored[key] for key in keys]) if keys else np.zeros((0, encoder.dim), dtype=np.float32)


def _save(stored: dict[str, np.ndarray], cache_file: Path) -> None:
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_name(cache_file.stem + ".tmp.npz")
    arrays: dict[str, Any] = stored  # numpy's stub types **kwds as if a key could be `allow_pickle`
    np.savez(tmp, **arrays)
    tmp.replace(cache_file)
