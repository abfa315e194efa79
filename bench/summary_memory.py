"""Memory of the linker's decoded researcher summaries (issue 17: worker memory).

A block's summaries are decoded from the `block-state` table and kept in the link agent's cache
(`agents/block_store.py`, up to 20,000 blocks). This links one real-shaped mention with a
384-dimension embedding, encodes its summary once, decodes it `--copies` times under tracemalloc,
and reports the bytes a decoded summary holds, beside its encoded size. Run it before and after a
change of the summary's representation (`git stash` the change) to compare.

Usage: python -m bench.summary_memory [--copies 5000] [--name summary-memory]
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc
from datetime import UTC, datetime

import numpy as np

from bench.common import print_table, write_result
from schemas.papers import Author, EnrichedPaper, RawPaper
from stream_processors.linking.state_codec import dumps_summary, loads_summary
from stream_processors.linking_stage import link, route

DIMENSIONS = 384


def one_summary_encoded(dimensions: int = DIMENSIONS) -> bytes:
    """The encoded summary of a researcher created by one mention of a two-author paper."""
    from tests.factories import enriched_paper  # the same builder the unit tests use

    paper = RawPaper(
        arxiv_id="1501.00001", version=1, title="Selection bias in streaming author linking", abstract="",
        categories=("cs.DL",), source="snapshot", submitted=datetime(2015, 1, 1, tzinfo=UTC),
        authors=(Author(keyname="Wang", forenames="Zheng", affiliations=("Tsinghua University",)),
                 Author(keyname="Smith", forenames="Adam")),
    )
    item: EnrichedPaper = enriched_paper(paper, np.random.default_rng(7).standard_normal(dimensions).astype(np.float32))
    state, _ = link(None, route(item)[0])
    return dumps_summary(next(iter(state.researchers.values())))


def decoded_bytes(data: bytes, copies: int) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        kept = [loads_summary(data) for _ in range(copies)]
        size, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return size / len(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=5_000)
    parser.add_argument("--name", default="summary-memory")
    args = parser.parse_args()
    data = one_summary_encoded()
    each = decoded_bytes(data, args.copies)
    print_table("decoded researcher summaries", ["dimensions", "encoded bytes", "decoded bytes each"],
                [[DIMENSIONS, len(data), round(each)]])
    path = write_result(args.name, {"dimensions": DIMENSIONS, "copies": args.copies, "encoded_bytes": len(data),
                                    "decoded_bytes_each": round(each)})
    print(f"written {path}")


if __name__ == "__main__":
    main()
