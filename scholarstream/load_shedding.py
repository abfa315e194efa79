"""Shedding searches the server cannot start now, instead of queueing them.

The API's endpoints run in one thread pool. A burst of heavy searches (semantic and hybrid ones
encode the query, then rank a kNN window) used to queue there for tens of seconds, and `/healthz`
queued behind them, so a health checker would have declared a busy server dead. A search now
enters only while fewer than `limit` searches of its kind are running; the others are answered
429 with `Retry-After` at once. The counts live on the event loop (the middleware runs there),
so they need no lock.
"""

from __future__ import annotations

from dataclasses import dataclass

RETRY_AFTER_SECONDS = 1


@dataclass
class InFlight:
    """How many requests of one kind are running, and how many may."""

    limit: int
    running: int = 0
    shed: int = 0

    def try_enter(self) -> bool:
        if self.running >= self.limit:
            self.shed += 1
            return False
        self.running += 1
        return True

    def leave(self) -> None:
        self.running -= 1
