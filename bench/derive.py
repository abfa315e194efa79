"""What the enrich stage spends on a paper besides the forward pass, step by step (issue 17, item 3).

Encodes N harvest papers once with the configured encoder, then times, in rounds, the steps the
enrich agent runs on every paper after the forward pass: keyphrase candidates, keyphrase vectors
and selection (the whole of `extract_keyphrases`), the field topics of the batch, and building and
serialising the `EnrichedPaper` events. CPU time of this process (`time.process_time`), with one BLAS thread as
the worker sets it (`stream_processors/worker.py`), divided by the papers; the median of the rounds.
Run it on two commits to compare them: nothing here depends on Kafka or Elasticsearch.

Then the thread question (7q): `derive_events` on a thread of its own, its own CPU time
(`time.thread_time`) alone, beside a thread that runs Python without pause (a busy event loop),
and beside one that runs Python in short bursts between sleeps (an idle one). Two threads of one
process take turns at the interpreter lock, and a thread that waits for it may pay for the wait.

Usage: python -m bench.derive [--papers 2000] [--rounds 5] [--name derive]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from threadpoolctl import threadpool_limits

from bench.common import print_table, write_result
from bench.records import harvest_papers
from encoders.loading import load_encoder
from foundation.settings import Settings
from stream_processors.enrich import TOP_KEYPHRASES, derive_events, embedding_text, encode_papers
from stream_processors.keyphrases import candidates, extract_keyphrases
from stream_processors.topic_model.fields import load_field_model, model_path_for


def cpu_ms_per_paper(step: Callable[[], object], papers: int) -> float:
    began = time.process_time()
    step()
    return (time.process_time() - began) * 1000 / papers


COMPANIONS = ("alone", "beside a busy Python thread", "beside a bursty Python thread")


def _companion(kind: str, stop: threading.Event) -> None:
    """Python work beside the measured thread: without pause, or 50 dict writes between 0.2 ms sleeps."""
    scratch: dict[int, str] = {}
    while not stop.is_set():
        for n in range(200 if kind == COMPANIONS[1] else 50):
            scratch[n] = str(n)
        if kind == COMPANIONS[2]:
            time.sleep(0.0002)


def thread_cpu_ms_per_paper(step: Callable[[], object], papers: int, companion: str) -> float:
    """CPU of the thread that runs `step`, with `companion` running on another thread."""
    stop = threading.Event()
    other = threading.Thread(target=_companion, args=(companion, stop)) if companion != COMPANIONS[0] else None
    measured: list[float] = []

    def run() -> None:
        began = time.thread_time()
        step()
        measured.append((time.thread_time() - began) * 1000 / papers)

    if other is not None:
        other.start()
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    stop.set()
    if other is not None:
        other.join()
    return measured[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--name", default="derive")
    args = parser.parse_args()
    threadpool_limits(1, user_api="blas")
    settings = Settings()
    encoder = load_encoder(settings)
    field_model = load_field_model(model_path_for(encoder.name, settings.data_dir), encoder=encoder.name)
    papers = list(harvest_papers(args.papers))
    texts = [embedding_text(paper) for paper in papers]
    stamps = [datetime.now(UTC)] * len(papers)
    encoded = encode_papers(papers, encoder)  # what the steps below read; the first pass also warms up
    events = derive_events(papers, encoded, stamps, encoder.name, field_model)
    steps: dict[str, Callable[[], object]] = {
        "forward pass (encode_papers)": lambda: encode_papers(papers, encoder),
        "keyphrase candidates": lambda: [candidates(t, title_end=len(p.title)) for p, t in zip(papers, texts, strict=True)],
        "keyphrases (all of extract_keyphrases)": lambda: [
            extract_keyphrases(t, e.token_vectors, e.offsets, e.vector, k=TOP_KEYPHRASES, title_end=len(p.title))
            for p, t, e in zip(papers, texts, encoded, strict=True)
        ],
        "derive_events (topics, keyphrases, events)": lambda: derive_events(papers, encoded, stamps, encoder.name, field_model),
        "serialising the events (wire)": lambda: [event.wire() for event in events],
    }
    rounds: dict[str, list[float]] = {name: [] for name in steps}
    for number in range(args.rounds):
        for name, step in steps.items():
            rounds[name].append(cpu_ms_per_paper(step, len(papers)))
        print(f"round {number + 1}/{args.rounds}: " + ", ".join(f"{v[-1]:.3f}" for v in rounds.values()))
    median = {name: round(statistics.median(values), 4) for name, values in rounds.items()}
    derive = steps["derive_events (topics, keyphrases, events)"]
    beside: dict[str, list[float]] = {kind: [] for kind in COMPANIONS}
    for number in range(args.rounds):
        for kind in COMPANIONS:
            beside[kind].append(thread_cpu_ms_per_paper(derive, len(papers), kind))
        print(f"derive_events on a thread, round {number + 1}/{args.rounds}: " + ", ".join(f"{v[-1]:.3f}" for v in beside.values()))
    beside_median = {kind: round(statistics.median(values), 4) for kind, values in beside.items()}
    print_table(f"CPU ms a paper, median of {args.rounds} rounds over {len(papers)} harvest papers ({encoder.name})",
                ["step", "ms a paper"], [[name, f"{value:.3f}"] for name, value in median.items()])
    print_table("derive_events on a thread of its own: that thread's CPU ms a paper (median)",
                ["beside it", "ms a paper"], [[kind, f"{value:.3f}"] for kind, value in beside_median.items()])
    path = write_result(args.name, {
        "papers": len(papers), "rounds": args.rounds, "encoder": encoder.name, "blas_threads": 1,
        "cpu_ms_per_paper": median, "cpu_ms_per_paper_by_round": {k: [round(v, 4) for v in vs] for k, vs in rounds.items()},
        "derive_thread_cpu_ms_per_paper": beside_median,
        "derive_thread_cpu_ms_per_paper_by_round": {k: [round(v, 4) for v in vs] for k, vs in beside.items()},
        "method": "process CPU time of each step over all papers, divided by the papers; median of the rounds; "
                  "derive_thread_*: the deriving thread's own CPU time (time.thread_time) beside each companion thread",
    })
    print(f"written {path}")


if __name__ == "__main__":
    main()
