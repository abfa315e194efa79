"""While the pipeline has a backlog, the indices it writes refresh less often.

Each refresh turns what was indexed since the last one into a new Lucene segment, and Elasticsearch
spends its time merging those segments back together. At the mapping's 1 s, a harvest or a replay
writes a small segment a second into every index, and the merging grew to be most of
Elasticsearch's cost per paper over the 2016 harvest (docs/performance.md 7r), mostly on the
researchers index, whose documents are rewritten with every revision.

Refreshing less often costs readers nothing they could see while there is a backlog: a paper
waiting behind thousands of others on the worker's inputs is not searchable for longer than the
slow refresh anyway. So the signal is the backlog of the worker group (records on all its inputs
not yet committed, read by the caller), not the indexer's own lag, which stays small because the
indexer keeps pace with the worker.

`RefreshPacer.tick()` runs after every poll of the indexer. Every `check_seconds` it takes the
backlog (from a `BackgroundReading`, so a slow or unreachable Kafka never holds the indexer's
loop): at or above `enter_backlog` every index gets the slow interval; once the backlog falls
below `leave_backlog` (lower, so the setting does not flap around one figure) each index gets its
own interval back from its mapping, and they are refreshed at once, so what was indexed under
the slow interval is searchable without waiting for the next tick. The first reading decides with
no memory of a previous process, so an indexer killed while the slow interval was set restores the
mapping's when it next starts; `restore()`, called when the indexer stops, does the same at once.
Several indexers of one group each set the same values: the setting is idempotent, and the worst a
stopping indexer does to a busy one is the fast interval until the busy one's next reading and
check (up to about ten seconds).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from elasticsearch import Elasticsearch
from elasticsearch import exceptions as es_exceptions

from foundation.errors import ScholarStreamError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshPolicy:
    """When the backlog counts as one (records), and what the indices then refresh at."""

    slow_interval: str = "30s"
    enter_backlog: int = 10_000
    leave_backlog: int = 2_000
    check_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not 0 <= self.leave_backlog <= self.enter_backlog:
            raise ValueError("leave_backlog must be between 0 and enter_backlog")


def is_slow(was_slow: bool | None, backlog: int, policy: RefreshPolicy) -> bool:
    """Whether the indices should refresh at the slow interval, given the last decision (None: no
    decision yet, as at start-up) and the backlog just read."""
    if was_slow:
        return backlog >= policy.leave_backlog
    return backlog >= policy.enter_backlog


class RefreshPacer:
    """Sets the refresh interval of `indices` (index or write alias -> its mapping's interval) from
    the `backlog` callable's readings (None: nothing read yet). Failures to read or to set are
    logged and retried at the next check: pacing is an optimisation, and must never stop the indexer."""

    def __init__(
        self,
        es: Elasticsearch,
        indices: Mapping[str, str],
        backlog: Callable[[], int | None],
        policy: RefreshPolicy,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._es = es
        self._indices = dict(indices)
        self._backlog = backlog
        self.policy = policy
        self._clock = clock
        self._next_check: float | None = None
        self.slow: bool | None = None  # what the indices were last set to; None before the first setting
        self.changes = 0

    def tick(self) -> None:
        now = self._clock()
        if self._next_check is not None and now < self._next_check:
            return
        self._next_check = now + self.policy.check_seconds
        try:
            backlog = self._backlog()
        except ScholarStreamError as error:
            log.warning("cannot read the worker's backlog, refresh interval left as it is: %s", error)
            return
        if backlog is None:
            return  # no reading yet
        slow = is_slow(self.slow, backlog, self.policy)
        if slow != self.slow:
            self._set(slow, f"worker backlog {backlog:,} records")

    def restore(self) -> None:
        """Give every index its mapping's interval back (the indexer is stopping)."""
        if self.slow is not False:
            self._set(False, "indexer stopping")

    def _set(self, slow: bool, why: str) -> None:
        try:
            for index, normal in self._indices.items():
                interval = self.policy.slow_interval if slow else normal
                self._es.indices.put_settings(index=index, settings={"index": {"refresh_interval": interval}})
            if not slow and self.slow is not False:
                # what was indexed under the slow interval is searchable now, not at the next tick
                self._es.indices.refresh(index=",".join(self._indices))
        except (es_exceptions.ApiError, es_exceptions.TransportError) as error:
            log.warning("cannot set the refresh interval (%s), retried at the next check: %s", why, error)
            self.slow = None  # unknown now: the next check sets it again whatever it decides
            return
        self.slow = slow
        self.changes += 1
        log.info("%s: indices refresh %s", why, f"every {self.policy.slow_interval}" if slow else "at their own intervals")


class BackgroundReading:
    """A reading taken every `every` seconds on a daemon thread of its own; `latest()` returns the
    last one at once (None before the first), or raises what the last attempt raised."""

    def __init__(self, read: Callable[[], int], every: float, name: str = "backlog-reading") -> None:
        self._read = read
        self._every = every
        self._value: int | None = None
        self._error: ScholarStreamError | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> BackgroundReading:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self._every + 1)

    def latest(self) -> int | None:
        if self._error is not None:
            raise self._error
        return self._value

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._value, self._error = self._read(), None
            except ScholarStreamError as error:
                self._error = error
            except Exception as error:  # noqa: BLE001 - a reading that fails unexpectedly must not end the thread
                self._error = ScholarStreamError(f"{type(error).__name__}: {error}")
            self._stop.wait(self._every)
