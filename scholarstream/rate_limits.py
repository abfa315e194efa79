"""In-memory sliding-window rate limits: the web app's sign-in, sign-up and write routes, and the
read API's reads per client address.

Per process: behind several API instances each counts its own, so the effective limit is the
limit times the instances (acceptable for brute-force protection; a shared store is for later).
The clock is passed in (monotonic seconds), so tests move time instead of sleeping.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable

# Keys tracked before expired ones are swept; a flood of distinct keys cannot grow memory past it
# by much (beyond it the oldest key is dropped: its holder gets a fresh window, never a refusal).
MAX_KEYS = 100_000


class SlidingWindow:
    """At most `limit` hits per key within any `window` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count a hit for `key`; None when allowed, else the seconds until one more is allowed (not counted)."""
        now = self._clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= MAX_KEYS:
                    self._sweep(now)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.window - now, 0.0)
            hits.append(now)
            return None

    def _sweep(self, now: float) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]:
            del self._hits[key]
        while len(self._hits) >= MAX_KEYS:
            del self._hits[next(iter(self._hits))]


def retry_after(seconds: float) -> str:
    """The Retry-After header's whole seconds, never 0 (which would invite an immediate retry)."""
    return str(max(1, math.ceil(seconds)))
