"""Progress for long commands: rate and ETA, always on stderr so `--json` stdout stays clean."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

err_console = Console(stderr=True)


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f}/s" if speed else "-/s", style="progress.data.speed")


class Advance:
    """`advance(n)` moves a bar on by n; `advance.set_total(n)` fixes its total later."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def __call__(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)

    def set_total(self, n: int) -> None:
        self._progress.update(self._task, total=n)


@contextmanager
def progress_bar(description: str, total: int | None, unit: str = "records") -> Iterator[Advance]:
    """Yield `advance(n)`; shows count, rate, elapsed and (when the total is known) the ETA.

    `advance.set_total(n)` fixes the total later, for sources that learn it on the way (OAI-PMH
    reports `completeListSize` with its first page).
    """
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=err_console, transient=False) as progress:
        yield Advance(progress, progress.add_task(description, total=total))


class LagMeter:
    """How fast a backlog drains: the drop in total consumer lag over the last `window` seconds.

    Lag is what the processes still have to read, summed over roles; upstream stages add to the
    downstream lag as they go, so the rate is net (it can be zero or negative for a while, and then
    there is no ETA). `now` is injected: seconds from any monotonic clock.
    """

    def __init__(self, window: float = 60.0) -> None:
        self.window = window
        self._samples: deque[tuple[float, int]] = deque()

    def observe(self, now: float, lag: int) -> tuple[float | None, float | None]:
        """Record a reading; return (records drained per second, seconds to zero) or Nones."""
        self._samples.append((now, lag))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.window:
            self._samples.popleft()
        start, start_lag = self._samples[0]
        if now <= start or start_lag <= lag:
            return None, None
        rate = (start_lag - lag) / (now - start)
        return rate, lag / rate


def lag_line(description: str, lag: dict[str, int], rate: float | None, eta: float | None, elapsed: float) -> str:
    per_role = ", ".join(f"{role} {n:,}" for role, n in lag.items())
    drain = f"{rate:,.0f} records/s" if rate else "- records/s"
    remaining = _clock(eta) if eta is not None else "-"
    return f"{description}: lag {sum(lag.values()):,} ({per_role}), draining {drain}, elapsed {_clock(elapsed)}, ETA {remaining}"


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


@contextmanager
def lag_progress(
    description: str, every: float = 30.0, clock: Callable[[], float] = time.monotonic
) -> Iterator[Callable[[dict[str, int]], None]]:
    """Yield `on_poll(lag by role)` for a catch-up: one live line (lag, drain rate, ETA) on a terminal,
    else a plain line on stderr every `every` seconds (logs and CI keep a trace)."""
    meter, started, last = LagMeter(), clock(), [float("-inf")]
    live = Live(console=err_console, transient=True) if err_console.is_terminal else None

    def on_poll(lag: dict[str, int]) -> None:
        now = clock()
        rate, eta = meter.observe(now, sum(lag.values()))
        line = lag_line(description, lag, rate, eta, now - started)
        if live is not None:
            live.update(line)
        elif now - last[0] >= every:
            last[0] = now
            err_console.print(line, highlight=False, soft_wrap=True)

    if live is None:
        yield on_poll
        return
    with live:
        yield on_poll
