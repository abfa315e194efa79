"""One identical name on many people: what the n-th namesake's mention costs the linker, one process.

The name index sets aside people whose given names differ ("Wei Wang" and "Wen Wang"), but not
people who print the same name, and a common name on the whole of arXiv is hundreds of people.
This takes `--people` real 2016 cs papers (title, categories, year, vector and real coauthors
kept), gives each the first author "Wei Wang", and links them in harvest order through the
worker's pure steps (`link_mention`, `apply_decision`, `merge_after_link`) with the configured
linker. Each mention is timed; the table gives the mean per mention in the windows holding the
100th, 1,000th and last one, and how many researchers the block held (target: the last at most
2x the 100th). A digest of the assignments shows whether a change made for speed changed any
decision.

Usage: python -m bench.same_name [--people 2000] [--window 100] [--name same-name]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import time

from bench.common import print_table, write_result
from bench.records import harvest_papers
from encoders.loading import load_encoder
from foundation.settings import Settings
from schemas.names import blocking_key
from stream_processors.enrich import embedding_text
from stream_processors.linking.linker import BlockState, Mention, PaperContext, apply_decision, link_mention
from stream_processors.linking.merging import follow_redirects, merge_after_link
from stream_processors.linking.policy import policy_named

KEYNAME, FORENAMES = "Wang", "Wei"


def contexts(people: int, settings: Settings) -> list[PaperContext]:
    """The papers as the linker sees them, the renamed author first; other "Wang W" lines are dropped."""
    papers = list(itertools.islice(harvest_papers(), people))
    vectors = load_encoder(settings).encode([embedding_text(p) for p in papers])
    own = blocking_key(KEYNAME, FORENAMES)
    made = []
    for paper, vector in zip(papers, vectors, strict=True):
        others = [blocking_key(a.keyname, a.forenames) for a in paper.authors]
        keys = (own, *(key for key in others if key != own))
        made.append(PaperContext(f"same-{paper.arxiv_id}", paper.year, paper.categories, keys,
                                 tuple(float(v) for v in vector)))
    return made


def run(papers: list[PaperContext], settings: Settings) -> tuple[list[float], list[int], dict[str, str]]:
    """Seconds per mention, researchers in the block before it, and the final assignment by paper."""
    policy = policy_named(settings.linker, settings.encoder_model)
    block = BlockState(blocking_key(KEYNAME, FORENAMES))
    mention = Mention(0, KEYNAME, FORENAMES, (), block.key)
    seconds, sizes, assigned, redirects = [], [], {}, {}
    for paper in papers:
        sizes.append(len(block.researchers))
        started = time.perf_counter()
        decision = link_mention(block, mention, paper, policy.threshold, weights=policy.weights, popularity=policy.popularity)
        block = apply_decision(block, decision, mention, paper)
        if not decision.created:
            block, merges = merge_after_link(block, decision.researcher_id, policy)
            redirects.update({m.retired_id: m.surviving_id for m in merges})
        seconds.append(time.perf_counter() - started)
        assigned[paper.paper_id] = decision.researcher_id
    return seconds, sizes, {key: follow_redirects(rid, redirects) for key, rid in assigned.items()}


def mean_ms(seconds: list[float]) -> float:
    return round(1000 * sum(seconds) / len(seconds), 3)


def windows(seconds: list[float], sizes: list[int], window: int) -> list[dict[str, object]]:
    return [{"mentions": f"{start + 1}-{start + len(seconds[start : start + window])}", "researchers_before": sizes[start],
             "ms_per_mention": mean_ms(seconds[start : start + window])} for start in range(0, len(seconds), window)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--name", default="same-name")
    args = parser.parse_args()
    settings = Settings()
    papers = contexts(args.people, settings)
    seconds, sizes, assigned = run(papers, settings)
    rows = windows(seconds, sizes, args.window)
    digest = hashlib.sha256(repr(sorted(assigned.items())).encode()).hexdigest()[:16]
    picked = [rows[0], rows[min(len(rows) - 1, 999 // args.window)], rows[-1]]
    last_start = (len(seconds) - 1) // args.window * args.window
    ratio = round(mean_ms(seconds[last_start:]) / mean_ms(seconds[: args.window]), 2)
    print_table(f"'{FORENAMES} {KEYNAME}' on {args.people} papers ({settings.linker}, {settings.encoder_model})",
                ["mentions", "researchers before", "ms a mention"],
                [(r["mentions"], r["researchers_before"], r["ms_per_mention"]) for r in picked])
    print(f"last / first window: {ratio}x; researchers at the end: {len(set(assigned.values()))}; digest {digest}")
    path = write_result(args.name, {
        "linker": settings.linker, "encoder": settings.encoder_model, "people": args.people,
        "researchers": len(set(assigned.values())), "digest": digest, "last_over_first": ratio, "windows": rows,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
