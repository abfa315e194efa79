"""bench.table_store: the measurement runs end to end on a small table and checks its own count."""

from __future__ import annotations

from bench.table_store import key_of, measure


def test_keys_are_distinct_and_shaped_like_researcher_ids():
    keys = [key_of(n) for n in range(10_000)]
    assert len(set(keys)) == len(keys) and all(k.startswith(b"r:") and len(k) == 18 for k in keys)


def test_a_small_run_measures_every_figure_at_every_size(tmp_path):
    rows = measure([300, 900], 40, tmp_path, progress=lambda _line: None)
    assert [row["keys"] for row in rows] == [300, 900]
    assert [row["keys_after_inserts"] for row in rows] == [340, 940]
    for row in rows:
        for figure in ("lookup_us", "update_us_counted", "update_us_plain", "insert_us_counted", "insert_us_plain",
                       "len_ms", "count_star_ms"):
            assert row[figure] >= 0
