"""Python's cyclic garbage collector in the worker: what it costs, and when it runs a full pass.

A full collection walks every container object the process holds. The worker's decoded caches
(blocks and profiles, `agents/state.py`) hold a bounded number of them, but as the corpus outgrows
the caches more entries are decoded and dropped, and those survive long enough to count towards
CPython's trigger for a full pass (objects that reached the oldest generation since the last one,
a quarter of its size). On the 2016 harvest a native profile of the worker in the ninth tenth found
21 % of its samples in the collector, and over the 10,001st to 20,000th papers CPython's trigger ran
28 full passes, 2.3 ms a paper (docs/performance.md, 7k).

`SCHOLARSTREAM_WORKER_GC_FULL_SECONDS` > 0 takes the full pass off that trigger: the young
generations are collected as before, and the whole heap once every that many seconds, so its cost
is a share of time, not of papers. The objects the worker made while starting (models,
vocabularies, modules) are frozen first (`gc.freeze`): they live as long as the process, and no
full pass needs to walk them again. 0 leaves CPython's own policy.

What a timed pass leaves alive is frozen too (`FullPasses`): most of it is the caches' decoded
entries, which stay for minutes, and the next pass walks only what came since, not the whole heap
again. A frozen object is still freed by its reference count the moment nothing holds it; only a
cycle among frozen objects that became garbage waits, until every
`SCHOLARSTREAM_WORKER_GC_WHOLE_EVERY`-th pass unfreezes and walks everything (1: every pass
walks everything, as before). On the 2016 harvest the full passes cost the worker 0.11 ms a paper
in the first tenth and 0.41 in the last, as the heap they walked grew (docs/performance.md 7o, 7r).

`CollectorWatch` counts what the collector did, by generation (collections, seconds, objects
found unreachable), for the worker's report (`worker_report.py`).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

OLDEST = 2
NEVER = 2**31 - 1  # a threshold the oldest generation's count never passes


@dataclass(eq=False)  # a callback is itself: two watches with the same counts are not one
class CollectorWatch:
    """Collections, seconds and objects collected per generation, from `gc.callbacks`."""

    clock: Callable[[], float] = time.perf_counter
    collections: list[int] = field(default_factory=lambda: [0, 0, 0])
    seconds: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    collected: list[int] = field(default_factory=lambda: [0, 0, 0])
    frozen: int = 0  # objects frozen at start-up (`time_full_passes`)
    _started: float | None = None

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = self.clock()
            return
        generation = int(info.get("generation", OLDEST))
        if self._started is not None:
            self.seconds[generation] += self.clock() - self._started
            self._started = None
        self.collections[generation] += 1
        self.collected[generation] += int(info.get("collected", 0))

    def install(self) -> CollectorWatch:
        if self not in gc.callbacks:
            gc.callbacks.append(self)
        return self

    def remove(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)

    def snapshot(self) -> dict[str, object]:
        return {
            "collections": list(self.collections),
            "seconds": [round(s, 4) for s in self.seconds],
            "collected": list(self.collected),
            "frozen": self.frozen,
            "timed_full_passes": gc.get_threshold()[OLDEST] == NEVER,
        }


WATCH = CollectorWatch()


def time_full_passes(young_threshold: int = 0) -> None:
    """Freeze what the process holds now and leave the full pass to `full_pass`; the youngest
    generation is collected after `young_threshold` allocations (0: CPython's threshold)."""
    gc.collect()  # what start-up left as garbage goes before the rest is frozen
    gc.freeze()
    WATCH.frozen = gc.get_freeze_count()  # it walks every frozen object: counted once, not per report
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young_threshold or young, middle, NEVER)


@dataclass
class FullPasses:
    """The timed full pass: collect the oldest generation, then freeze what survived, so the next
    pass walks only what came after; every `whole_every`-th pass first unfreezes everything (the
    start-up objects too), so a cycle that died while frozen is freed then."""

    whole_every: int = 10
    passes: int = 0

    def __post_init__(self) -> None:
        if self.whole_every < 1:
            raise ValueError("whole_every is at least 1 (every pass walks everything)")

    def __call__(self) -> None:
        self.passes += 1
        if self.passes % self.whole_every == 0:
            gc.unfreeze()
        gc.collect(OLDEST)
        gc.freeze()
