"""The pure arithmetic of the benchmarks: percentiles, rates from timestamps, the projection, /proc parsing."""

import numpy as np
import pytest

from bench.common import busiest_share, busiest_share_by_partitions, is_own, percentile, percentiles, steady_rate
from bench.projection import hours_for, partition_speedup, partitions_for, sustained_rate
from scholarstream.proc_usage import cpu_seconds, vm_hwm_kib


@pytest.mark.parametrize("q", [0, 1, 50, 95, 99, 100])
def test_percentile_matches_linear_interpolation(q):
    values = [0.31, 5.0, 0.02, 1.7, 1.7, 12.5, 0.9, 3.3, 0.4, 2.2, 8.1]
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentiles_of_nothing_are_none_not_zero():
    assert percentiles([]) == {"p50": None, "p95": None, "p99": None, "max": None, "n": 0}


def test_percentile_rejects_a_quantile_out_of_range():
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_steady_rate_leaves_out_the_first_batch_and_start_up():
    first_batch = [10_000] * 64  # 64 records written at once after a slow start
    later = [10_000 + 500 * i for i in range(1, 11)]  # 10 more over 5 s
    assert steady_rate(first_batch + later) == pytest.approx(10 / 5.0)


def test_steady_rate_without_a_span_is_unknown():
    assert steady_rate([5, 5, 5]) is None
    assert steady_rate([7]) is None


def test_partition_speedup_is_capped_by_the_busiest_partition():
    assert partition_speedup(2, 0.25) == 2
    assert partition_speedup(8, 0.25) == 4  # four balanced partitions: no gain beyond four workers
    assert partition_speedup(8, 0.4) == pytest.approx(2.5)  # a hot partition holds 40%


def test_sustained_rate_is_the_tightest_bound_and_says_which():
    assert sustained_rate(per_worker=10, workers=4, busiest_share=0.25, cpu_bound=25, index_bound=None) == (25, "CPU")
    assert sustained_rate(per_worker=10, workers=1, busiest_share=0.25, cpu_bound=25, index_bound=100) == (
        10, "workers x partitions")
    assert sustained_rate(per_worker=10, workers=4, busiest_share=0.25, cpu_bound=None, index_bound=12)[1] == (
        "Elasticsearch (one node)")


def test_hours_for_the_whole_arxiv():
    assert hours_for(2_700_000, 100) == pytest.approx(7.5)
    with pytest.raises(ValueError):
        hours_for(1, 0)


def test_a_hot_key_does_not_spread_over_more_partitions():
    keys = [b"wang y"] * 50 + [f"name {i}".encode() for i in range(50)]
    shares = busiest_share_by_partitions(keys, [4, 64])
    assert shares["64"] >= 0.5  # the hot block stays on one partition
    assert busiest_share([0, 0, 1, 2]) == 0.5


def test_the_projection_takes_the_smallest_partition_count_that_gives_every_worker_one():
    inputs = {"partitions": 4, "busiest_partition_share": 0.3, "busiest_share_if_partitions": {"4": 0.3, "8": 0.2, "16": 0.15}}
    assert partitions_for(2, inputs) == (4, 0.3)
    assert partitions_for(6, inputs) == (8, 0.2)
    assert partitions_for(40, inputs) == (16, 0.15)  # beyond what was computed: the largest


def test_vm_hwm_is_read_from_proc_status():
    status = "Name:\tpython\nVmPeak:\t 4000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t 1000 kB\n"
    assert vm_hwm_kib(status) == 123456
    assert vm_hwm_kib("Name:\tkthreadd\n") is None


def test_cpu_seconds_survive_a_command_name_with_spaces_and_parentheses():
    fields = ["S"] + ["0"] * 10 + ["250", "50"] + ["0"] * 30  # fields 3..; utime=250, stime=50 ticks
    stat = "4242 (a (weird) name) " + " ".join(fields)
    assert cpu_seconds(stat, 100) == pytest.approx(3.0)


def test_only_bench_namespaces_are_ours_to_write_or_delete():
    assert is_own("benchbackfill1a2b3c")
    assert not is_own("demo1")
    assert not is_own("full")
    assert not is_own("t1234")


def test_the_ceiling_sample_is_spread_over_the_whole_backfill():
    from bench.backfill import evenly

    assert evenly(list(range(10)), 5) == [0, 2, 4, 6, 8]
    assert evenly([1, 2], 5) == [1, 2]
