"""The encoder of search queries: the pipeline's own model, tuned for one short text at a time."""

from __future__ import annotations

import sys
from collections.abc import Callable

from encoders.loading import load_encoder
from foundation.settings import Settings


def query_encoder(settings: Settings) -> Callable[[str], list[float]]:
    """text -> vector with the pipeline's own encoder, for semantic search (loaded once per process)."""
    encoder = load_encoder(settings, threads=1)
    torch = sys.modules.get("torch")  # loaded by sentence-transformers; the static encoder needs none
    if torch is not None:
        # One query is a tiny forward pass: intra-op threads only add synchronisation, and on a busy
        # machine two of them made a query 20-40x slower (docs/performance.md, search latency).
        # Concurrent requests still use every core, one query each.
        torch.set_num_threads(1)  # (the int8 model is loaded with one thread above, for the same reason)
    return lambda text: encoder.encode([text])[0].tolist()
