"""A producer process for the benchmarks: real harvest records into the namespace's raw topic.

As fast as the producer goes (a backfill), or paced at `--rate` records/s on an absolute
schedule (a live feed: record i is sent at start + i / rate, so a slow send does not shift the
ones after it). It runs as its own process so its memory and CPU are its own; it prints one JSON
document. The Kafka timestamp each record gets is its produce time, which the freshness
benchmark reads back from the topic.

Usage: python -m bench.produce --papers N [--skip S] [--rate R]   (namespace from the environment)
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime

from bench.records import harvest_papers
from clients import kafka_io
from foundation.settings import Settings
from producers.publish import Publisher
from schemas.topics import TOPICS
from scholarstream.proc_usage import own_usage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, required=True)
    parser.add_argument("--skip", type=int, default=0, help="start after this many harvest records")
    parser.add_argument("--rate", type=float, default=None, help="records/s; default: as fast as possible")
    args = parser.parse_args()

    settings = Settings()
    kafka_io.ensure_topics(settings, TOPICS)
    papers = list(harvest_papers(args.papers, skip=args.skip))  # parsed before the clock starts
    publisher = Publisher(settings, lambda: datetime.now(UTC))
    started = time.monotonic()
    late = 0.0
    for number, paper in enumerate(papers):
        if args.rate:
            due = started + number / args.rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            else:
                late = max(late, -wait)
        publisher.publish(paper)
    publisher.close()  # flushes; raises if any record was not acknowledged
    seconds = time.monotonic() - started
    usage = own_usage()
    print(json.dumps({
        "produced": publisher.stats.produced,
        "seconds": round(seconds, 3),
        "records_per_second": round(publisher.stats.produced / seconds, 1) if seconds else None,
        "target_rate": args.rate,
        "max_seconds_behind_schedule": round(late, 3),
        "peak_rss_mib": usage.peak_rss_mib,
        "cpu_seconds": usage.cpu_seconds,
        "first_id": papers[0].arxiv_id if papers else None,
    }))


if __name__ == "__main__":
    main()
