"""Linking throughput on the pseudo-namesakes: mentions a second through link and merge, one process.

The pseudo-namesakes (`evaluation/namesakes.py`: 1,018 real 2016 cs authors renamed to 100 common
names) are the blocks where linking costs most: with a linker that keeps namesakes apart, a
block holds hundreds of researchers of one name, and every mention and every merge test is
compared with each of them. This links them in stream order exactly as the evaluation does
(`arxiv_silver.link_blocks`, the merge step after each link) with each linker, `--runs` times,
and reports mentions/s, the researchers made and a digest of the assignments (equal digests:
equal decisions, so a change made for speed can show it changed nothing else).

The papers' vectors come from the configured encoder, cached on disk by the evaluation
(`SCHOLARSTREAM_ENCODER_MODEL`); the pairwise model reads them only if it was trained with that
encoder (`stream_processors/linking/policy.py`).

Usage: python -m bench.linking [--runs 2] [--name linking]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time

from bench.common import print_table, write_result
from encoders.loading import load_encoder
from evaluation import namesakes
from evaluation.arxiv_silver import link_blocks
from foundation.settings import Settings
from stream_processors.linking.policy import LINKERS, policy_named


def linked_set(settings: Settings) -> namesakes.NamesakeSet:
    raw = namesakes.read_oai_raw()
    built = namesakes.the_set(raw)
    return namesakes.with_embeddings(built, raw, settings, load_encoder(settings))


def time_linker(names: namesakes.NamesakeSet, linker: str, encoder: str) -> dict[str, object]:
    policy = policy_named(linker, encoder)  # type: ignore[arg-type]
    mentions = sum(1 for paper in names.papers for m in paper.mentions if m.blocking_key in names.blocks)
    started, cpu = time.perf_counter(), time.process_time()
    linked = link_blocks(names.papers, names.blocks, policy.weights, policy.threshold, policy=policy,
                         popularity=policy.popularity)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    return {
        "linker": linker, "mentions": mentions, "seconds": round(seconds, 2),
        "mentions_per_second": round(mentions / seconds, 1), "cpu_ms_per_mention": round(1000 * cpu_seconds / mentions, 3),
        "researchers": len(set(linked.values())),
        "assignments_digest": hashlib.sha1(json.dumps(sorted(linked.items())).encode()).hexdigest()[:16],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="runs of each linker, alternating")
    parser.add_argument("--name", default="linking", help="results file bench/results/NAME.json")
    args = parser.parse_args(argv)
    settings = Settings()
    names = linked_set(settings)
    runs = [time_linker(names, linker, settings.encoder_model) for _ in range(args.runs) for linker in LINKERS]
    print_table("linking the pseudo-namesakes (link + merge, one process)",
                ("linker", "mentions", "mentions/s", "CPU ms a mention", "researchers", "digest"),
                [(r["linker"], r["mentions"], r["mentions_per_second"], r["cpu_ms_per_mention"], r["researchers"],
                  r["assignments_digest"]) for r in runs])
    path = write_result(args.name, {"benchmark": "linking", "encoder": settings.encoder_model, "runs": runs})
    print(f"written to {path}")


if __name__ == "__main__":
    main()
