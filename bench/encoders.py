"""The three encoder modes on the same real abstracts, in one run: MiniLM fp32 (the default), the
int8 mode and fast mode. Papers/s of each (alternating, `--repeats` rounds), each mode's cosine to
fp32 on every abstract, the share of abstracts whose nearest neighbour is the same as with fp32,
and each mode's topic accuracy from its `eval topics` results. fp32 is also timed at a batch of 8,
its fastest on this machine, so the int8 speed-up is not flattered by the default batch of 64.

Usage: python -m bench.encoders [--papers 512] [--repeats 2]
(the int8 mode needs `scholarstream encoder quantize`, fast mode `scholarstream encoder distill`,
and each `topics build` once for its topic accuracy)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from bench.common import print_table, write_result
from bench.enrichment import real_papers
from encoders.loading import load_encoder
from encoders.quantized import INT8_DEFAULT_NAME
from encoders.static import STATIC_DEFAULT_NAME
from foundation.settings import Settings
from stream_processors.enrich import embedding_text

RESULTS = Path(__file__).resolve().parent.parent / "evaluation" / "results"
FP32_BEST_BATCH = 8


def timed(encoder, texts: list[str], batch_size: int) -> tuple[float, np.ndarray]:
    """Papers/s of encoding `texts` in calls of `batch_size`, as the enrich stage calls it, and the vectors."""
    started = time.perf_counter()
    vectors = np.concatenate([encoder.encode(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)])
    return len(texts) / (time.perf_counter() - started), vectors


def topic_quality(path: Path) -> dict[str, dict[str, float]] | None:
    if not path.exists():
        return None
    sets = json.loads(path.read_text())["sets"]
    return {s: {k: v for k, v in m["embedding_centroids"].items() if k in ("top1_accuracy", "top3_recall")} for s, m in sets.items()}


def nearest(vectors: np.ndarray) -> np.ndarray:
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -2.0)
    return similarity.argmax(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    texts = [embedding_text(p) for p in real_papers(args.papers)]
    settings = Settings()
    batch = settings.encoder_batch_size
    fp32 = load_encoder(settings)
    modes = {
        f"{fp32.name} (batch {batch})": (fp32, batch),
        f"{fp32.name} (batch {FP32_BEST_BATCH})": (fp32, FP32_BEST_BATCH),
        INT8_DEFAULT_NAME: (load_encoder(Settings(SCHOLARSTREAM_ENCODER_MODEL=INT8_DEFAULT_NAME)), batch),
        STATIC_DEFAULT_NAME: (load_encoder(Settings(SCHOLARSTREAM_ENCODER_MODEL=STATIC_DEFAULT_NAME)), batch),
    }
    for encoder, size in modes.values():
        encoder.encode(texts[:size])  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in modes}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.repeats):
        for name, (encoder, size) in modes.items():
            rate, vectors[name] = timed(encoder, texts, size)
            rates[name].append(round(rate, 1))
    fp32_default, fp32_best = list(modes)[:2]
    reference = vectors[fp32_default]
    topics_files = {fp32.name: "topics.json", INT8_DEFAULT_NAME: f"topics-{INT8_DEFAULT_NAME}.json",
                    STATIC_DEFAULT_NAME: f"topics-{STATIC_DEFAULT_NAME}.json"}
    report: dict[str, dict] = {}
    for name, (encoder, size) in modes.items():
        cosines = (vectors[name] * reference).sum(axis=1)
        report[name] = {
            "batch": size,
            "papers_per_second": rates[name],
            "speed_up_on_fp32_default": [round(r / f, 2) for r, f in zip(rates[name], rates[fp32_default], strict=True)],
            "speed_up_on_fp32_best_batch": [round(r / f, 2) for r, f in zip(rates[name], rates[fp32_best], strict=True)],
            "mean_cosine_to_fp32": round(float(cosines.mean()), 4),
            "lowest_cosine_to_fp32": round(float(cosines.min()), 4),
            "same_nearest_neighbour": round(float((nearest(vectors[name]) == nearest(reference)).mean()), 3),
            "topic_quality_from_eval_topics": topic_quality(RESULTS / topics_files[encoder.name]),
        }
    print_table(
        f"encoder modes, {len(texts)} abstracts, {args.repeats} alternating rounds",
        ["mode", "batch", "papers/s", "x fp32 (64)", "x fp32 (8)", "mean cos", "lowest", "same NN", "topic top-1 (held-out, drift)"],
        [(name, r["batch"], r["papers_per_second"], r["speed_up_on_fp32_default"], r["speed_up_on_fp32_best_batch"],
          r["mean_cosine_to_fp32"], r["lowest_cosine_to_fp32"], r["same_nearest_neighbour"],
          [m["top1_accuracy"] for m in (r["topic_quality_from_eval_topics"] or {}).values()]) for name, r in report.items()],
    )
    path = write_result("encoders", {"papers": len(texts), "repeats": args.repeats, "modes": report})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
