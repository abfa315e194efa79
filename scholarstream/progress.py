"""Progress for long commands: rate and ETA, always on stderr so `--json` stdout stays clean."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

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
    there is no ETA). The fallback when only the lag by role is known; `WorkMeter` is the better
    clock for a pipeline. `now` is injected: seconds from any monotonic clock.
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


@dataclass(frozen=True)
class StageLag:
    """One consumer group on one topic at one reading: what it still has to read (`lag`), the topic's
    log end offset summed over partitions (`end`), and the topics its consumer writes (`feeds`)."""

    role: str
    topic: str
    lag: int
    end: int
    feeds: tuple[str, ...] = ()


class Backlog(dict[str, int]):
    """Lag by role, what `on_poll` callers have always been given, with the stage readings behind it
    (`stages`), from which `WorkMeter` estimates the work left end to end."""

    def __init__(self, stages: Iterable[StageLag] = ()) -> None:
        self.stages = tuple(stages)
        super().__init__()
        for stage in self.stages:
            self[stage.role] = self.get(stage.role, 0) + stage.lag


class WorkMeter:
    """The ETA of a catch-up from the work left end to end, not from the total lag.

    The total lag is a poor clock: while the worker drains raw papers, each one becomes an enriched
    paper (read by the worker and the indexer), author mentions, authorships, works and profiles, so
    the later stages' lag grows as the first one drains and the net drain rate understates progress
    (the ETA reads hours, or nothing, when minutes are left). Instead:

    - each stage's records still produce records downstream. For each topic, its *yield* is the
      records that arrived in it during this run per record its feeding stages read (arrival: the
      rise of the log end; read: the rise of the committed offset, log end minus lag), smoothed
      towards a prior of one record out per record in, worth `prior_weight` records read, so the
      first readings neither divide by zero nor swing;
    - the *weight* of one lagging record of a stage is the records still to be read for it, itself
      included: 1 + sum over the topics it feeds of (yield x the weights of the stages reading that
      topic), recursively (the flow is acyclic);
    - the work left is the sum over stages of lag x weight: what remains to be read, end to end;
    - every record read removes one unit of that work (it takes itself off and puts its yield on), so
      the work drains at the pipeline's read rate, all stages together, measured over the last
      `window` seconds, and the ETA is the work left over that rate.

    The estimate assumes the read rate holds; when the expensive first stage (the encoder) ends, the
    later ones speed up (and the ETA shortens as they do). `now` is injected: seconds from any
    monotonic clock.
    """

    def __init__(self, window: float = 60.0, prior_weight: float = 20.0) -> None:
        self.window = window
        self.prior_weight = prior_weight
        self._base: dict[tuple[str, str], StageLag] = {}
        self._samples: deque[tuple[float, int]] = deque()

    def observe(self, now: float, stages: Iterable[StageLag]) -> tuple[int, float | None, float | None]:
        """Record a reading; return (records left to read end to end, records read per second, seconds
        to zero); the rate and the ETA are None until the pipeline has read something in the window."""
        stages = tuple(stages)
        for stage in stages:
            self._base.setdefault((stage.role, stage.topic), stage)
        read = {(s.role, s.topic): max(0, (s.end - s.lag) - (self._base[s.role, s.topic].end - self._base[s.role, s.topic].lag))
                for s in stages}
        arrived = {s.topic: max(0, s.end - self._base[s.role, s.topic].end) for s in stages}
        fed: dict[str, int] = {}
        for s in stages:
            for topic in s.feeds:
                fed[topic] = fed.get(topic, 0) + read[s.role, s.topic]
        yields = {topic: (arrived.get(topic, 0) + self.prior_weight) / (n + self.prior_weight) for topic, n in fed.items()}
        readers: dict[str, list[StageLag]] = {}
        for s in stages:
            readers.setdefault(s.topic, []).append(s)
        weights: dict[tuple[str, str], float] = {}

        def weight(stage: StageLag, seen: frozenset[str]) -> float:
            key = (stage.role, stage.topic)
            if key not in weights:
                weights[key] = 1.0 + sum(
                    yields[topic] * weight(reader, seen | {topic})
                    for topic in stage.feeds if topic not in seen for reader in readers.get(topic, ())
                )
            return weights[key]

        remaining = round(sum(s.lag * weight(s, frozenset({s.topic})) for s in stages))
        rate = self._rate(now, sum(read.values()))
        if remaining == 0:
            return 0, rate, 0.0
        return remaining, rate, (remaining / rate if rate else None)

    def _rate(self, now: float, total_read: int) -> float | None:
        self._samples.append((now, total_read))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.window:
            self._samples.popleft()
        start, start_read = self._samples[0]
        if now <= start or total_read <= start_read:
            return None
        return (total_read - start_read) / (now - start)


def lag_line(
    description: str, lag: dict[str, int], rate: float | None, eta: float | None, elapsed: float, remaining: int | None = None
) -> str:
    """The progress line. With `remaining` (from `WorkMeter`) the rate is the pipeline's read rate and
    the ETA is for the work left end to end; without it, the total lag's net drain (`LagMeter`)."""
    per_role = ", ".join(f"{role} {n:,}" for role, n in lag.items())
    clock = _clock(eta) if eta is not None else "-"
    speed = f"{rate:,.0f} records/s" if rate else "- records/s"
    head = f"{description}: lag {sum(lag.values()):,} ({per_role})"
    if remaining is None:
        return f"{head}, draining {speed}, elapsed {_clock(elapsed)}, ETA {clock}"
    return f"{head}, {remaining:,} records left to read end to end at {speed}, elapsed {_clock(elapsed)}, ETA {clock}"


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


@contextmanager
def lag_progress(
    description: str, every: float = 30.0, clock: Callable[[], float] = time.monotonic
) -> Iterator[Callable[[dict[str, int]], None]]:
    """Yield `on_poll(lag by role)` for a catch-up: one live line (lag, rate, ETA) on a terminal, else a
    plain line on stderr every `every` seconds (logs and CI keep a trace). Given a `Backlog` (what
    `run_pipeline` polls), the ETA is `WorkMeter`'s, for the work left end to end."""
    meter, work, started, last = LagMeter(), WorkMeter(), clock(), [float("-inf")]
    live = Live(console=err_console, transient=True) if err_console.is_terminal else None

    def on_poll(lag: dict[str, int]) -> None:
        now = clock()
        if isinstance(lag, Backlog) and lag.stages:
            remaining, rate, eta = work.observe(now, lag.stages)
            line = lag_line(description, lag, rate, eta, now - started, remaining)
        else:  # lag by role only: the total lag's net drain is all there is to go by
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
