"""Catch-up progress: drain rate and ETA from consumer lag, plain lines when stderr is not a terminal."""

import io

from rich.console import Console

from scholarstream import progress
from scholarstream.progress import LagMeter, lag_line, lag_progress


def test_rate_and_eta_from_the_drop_in_lag():
    meter = LagMeter(window=60)
    assert meter.observe(0.0, 1000) == (None, None)           # one reading: no rate yet
    rate, eta = meter.observe(10.0, 800)
    assert rate == 20.0 and eta == 40.0


def test_a_growing_or_flat_backlog_has_no_eta():
    meter = LagMeter(window=60)
    meter.observe(0.0, 100)
    assert meter.observe(5.0, 150) == (None, None)
    assert meter.observe(10.0, 150) == (None, None)


def test_the_rate_forgets_readings_older_than_the_window():
    meter = LagMeter(window=10)
    meter.observe(0.0, 10_000)       # a fast start...
    meter.observe(5.0, 5_000)
    meter.observe(20.0, 4_900)       # ...then a slow stretch
    rate, _ = meter.observe(30.0, 4_800)
    assert rate == 10.0              # (4,900 - 4,800) / 10 s, not the start's pace


def test_line_names_each_role_and_formats_the_eta():
    line = lag_line("rebuild", {"worker": 1200, "indexer": 34}, 12.5, 3725.0, 61.0)
    assert "lag 1,234 (worker 1,200, indexer 34)" in line
    assert "draining 12 records/s" in line and "elapsed 0:01:01" in line and "ETA 1:02:05" in line
    assert lag_line("rebuild", {"worker": 5}, None, None, 0).endswith("ETA -")


def test_without_a_terminal_a_line_every_interval(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.setattr(progress, "err_console", Console(file=buffer, force_terminal=False, width=200))
    now = [0.0]
    with lag_progress("catching up", every=30, clock=lambda: now[0]) as on_poll:
        for second, lag in ((0, 900), (10, 800), (31, 500), (40, 400), (62, 100)):
            now[0] = float(second)
            on_poll({"worker": lag})
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 3                                    # at 0, 31 and 62 s
    assert lines[0].startswith("catching up: lag 900") and lines[0].endswith("ETA -")
    assert "lag 100" in lines[2] and "draining 13 records/s" in lines[2]
