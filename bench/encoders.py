"""Default encoder vs fast mode: papers/s of each on the same real abstracts, in one run.

Usage: python -m bench.encoders [--papers 256]   (fast mode needs `scholarstream encoder distill`)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.common import write_result
from bench.enrichment import real_papers
from encoders.loading import load_encoder
from encoders.static import STATIC_DEFAULT_NAME
from foundation.settings import Settings
from stream_processors.enrich import embedding_text

RESULTS = Path(__file__).resolve().parent.parent / "evaluation" / "results"


def rate(encoder, texts: list[str], batch_size: int, repeats: int = 1) -> float:
    encoder.encode(texts[:batch_size])  # warm-up
    started = time.perf_counter()
    for _ in range(repeats):
        for i in range(0, len(texts), batch_size):
            encoder.encode(texts[i : i + batch_size])
    return repeats * len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=256)
    args = parser.parse_args()
    texts = [embedding_text(p) for p in real_papers(args.papers)]
    default_settings = Settings()
    fast_settings = Settings(SCHOLARSTREAM_ENCODER_MODEL=STATIC_DEFAULT_NAME)
    default = load_encoder(default_settings)
    fast = load_encoder(fast_settings)
    default_rate = rate(default, texts, default_settings.encoder_batch_size)
    fast_rate = rate(fast, texts, default_settings.encoder_batch_size, repeats=20)
    quality = {}
    for name, file in ((default.name, "topics.json"), (fast.name, f"topics-{STATIC_DEFAULT_NAME}.json")):
        path = RESULTS / file
        if path.exists():
            sets = json.loads(path.read_text())["sets"]
            quality[name] = {
                s: {k: v for k, v in m["embedding_centroids"].items() if k in ("top1_accuracy", "top3_recall")}
                for s, m in sets.items()
            }
    result = {
        "papers": len(texts),
        "papers_per_second": {default.name: round(default_rate, 1), fast.name: round(fast_rate, 1)},
        "speed_up": round(fast_rate / default_rate, 1),
        "topic_quality_from_eval_topics": quality,
    }
    path = write_result("encoders", result)
    print(f"{default.name}: {default_rate:.1f}/s, {fast.name}: {fast_rate:.1f}/s ({fast_rate / default_rate:.0f}x); {path}")


if __name__ == "__main__":
    main()
