"""A middle encoder mode tried without new packages: MiniLM with torch's dynamic int8 Linear layers.

ONNX Runtime through sentence-transformers' `backend="onnx"` needs optimum-onnx, which does not
support the transformers this project runs (docs/performance.md 7c). torch itself can quantise
the model's Linear layers to int8 at load time (`torch.ao.quantization.quantize_dynamic`). This
measures that mode against MiniLM fp32 on the same held-out abstracts, alternating, in one
process: texts/s of each and the cosine of each int8 vector to its fp32 vector (the issue's bar:
at least 2x fp32 with mean cosine >= 0.99).

Usage: python -m bench.encoder_int8 [--papers 768] [--repeats 2] [--name encoder-int8]
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import torch

from bench.common import print_table, write_result
from bench.enrichment import real_papers
from encoders.loading import load_encoder
from foundation.settings import Settings
from stream_processors.enrich import embedding_text


def rate(model, texts: list[str], batch_size: int) -> tuple[float, np.ndarray]:
    model.encode(texts[:batch_size], batch_size=batch_size)  # warm-up
    started = time.perf_counter()
    vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True)
    return len(texts) / (time.perf_counter() - started), vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=768)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--name", default="encoder-int8")
    args = parser.parse_args()
    settings = Settings()
    texts = [embedding_text(p) for p in real_papers(args.papers)]
    fp32 = load_encoder(settings).model  # type: ignore[attr-defined]
    int8 = copy.deepcopy(fp32)
    torch.ao.quantization.quantize_dynamic(int8[0].model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    runs = []
    for _ in range(args.repeats):
        fp32_rate, fp32_vectors = rate(fp32, texts, settings.encoder_batch_size)
        int8_rate, int8_vectors = rate(int8, texts, settings.encoder_batch_size)
        cosines = (fp32_vectors * int8_vectors).sum(axis=1)
        runs.append({"fp32_texts_per_s": round(fp32_rate, 1), "int8_texts_per_s": round(int8_rate, 1),
                     "speedup": round(int8_rate / fp32_rate, 2), "mean_cosine": round(float(cosines.mean()), 4),
                     "lowest_cosine": round(float(cosines.min()), 4)})
    print_table(f"MiniLM fp32 vs torch dynamic int8, {len(texts)} abstracts, threads {torch.get_num_threads()}",
                ["fp32 texts/s", "int8 texts/s", "speed-up", "mean cosine", "lowest"],
                [tuple(run.values()) for run in runs])
    path = write_result(args.name, {"encoder": settings.encoder_model, "texts": len(texts),
                                    "max_seq_length": settings.encoder_max_seq_length, "runs": runs})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
