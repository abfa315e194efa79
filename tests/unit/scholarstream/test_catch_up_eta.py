"""The catch-up ETA counts the work left end to end, not the total lag's net drain (issue 16, item 5)."""

from scholarstream.progress import Backlog, LagMeter, StageLag, WorkMeter

# A synthetic catch-up: 3,000 raw papers; each becomes one enriched paper (read by the worker and
# the indexer), five mentions, and per mention an authorship, a work and a profile. Records each
# stage can read per second: the encoder is slow (20/s), linking (81/s) cannot keep up with the
# 100 mentions/s the routing makes, so its lag grows while the raw lag drains.
FLOW = {  # (role, topic): (capacity per second, {topic fed: records per record read})
    ("worker", "raw"): (20, {"enriched": 1}),
    ("worker", "enriched"): (500, {"mentions": 5}),
    ("indexer", "enriched"): (500, {}),
    ("worker", "mentions"): (81, {"authorships": 1}),
    ("worker", "authorships"): (500, {"works": 1}),
    ("worker", "works"): (500, {"profiles": 1}),
    ("indexer", "profiles"): (500, {}),
}


def _simulate(papers: int, seconds: int) -> tuple[list[Backlog], int]:
    """One reading per second for `seconds`, and the second at which every lag is zero."""
    end = {topic: 0 for _, topic in FLOW} | {"raw": papers}
    committed = dict.fromkeys(FLOW, 0)
    readings, finished, second = [], None, 0
    while finished is None or second <= seconds:
        if second <= seconds:
            readings.append(Backlog(
                StageLag(role, topic, end[topic] - committed[role, topic], end[topic], tuple(FLOW[role, topic][1]))
                for role, topic in FLOW
            ))
        if finished is None and all(end[topic] == committed[role, topic] for role, topic in FLOW):
            finished = second
        for (role, topic), (capacity, feeds) in FLOW.items():
            n = min(capacity, end[topic] - committed[role, topic])
            committed[role, topic] += n
            for fed, ratio in feeds.items():
                end[fed] += n * ratio
        second += 1
    return readings, finished


def test_the_eta_counts_what_the_backlog_still_becomes_downstream():
    """At 60 s into the synthetic catch-up the run has 126 s left (every lag is zero at 186 s).

    The naive ETA (total lag 2,940 over its net drain, `LagMeter`) reads 0:49:00 (2,940 s, 23 times
    too long): the raw lag drops by 20/s but the mentions' lag rises by 19/s, so the total drains by
    1/s. The work left end to end (`WorkMeter`): 45,488 records to read (1,800 raw papers x about 23
    records each, with the measured yield of 4.93 mentions per paper, plus 1,140 mentions x 4) at
    384 records/s, all stages together: 0:01:58 (118 s, 6 % short)."""
    readings, finished = _simulate(3000, 60)
    naive, work = LagMeter(), WorkMeter()
    for second, backlog in enumerate(readings):
        _, naive_eta = naive.observe(float(second), sum(backlog.values()))
        remaining, rate, eta = work.observe(float(second), backlog.stages)
    assert finished == 186
    actual = finished - 60
    assert naive_eta is not None and round(naive_eta) == 2940          # 23 times too long
    assert remaining == 45_488 and round(rate or 0) == 384
    assert eta is not None and round(eta) == 118 and abs(eta - actual) / actual < 0.1


def test_yields_start_from_the_prior_and_follow_the_run():
    """Before anything was read a lagging record counts one record per stage it will go through."""
    meter = WorkMeter(prior_weight=20)
    stages = (StageLag("worker", "raw", 10, 10, ("enriched",)), StageLag("indexer", "enriched", 0, 0))
    assert meter.observe(0.0, stages) == (20, None, None)             # 10 x (1 + 1 x 1)
    # 20 raw read, 60 enriched arrived (a yield of 3): (60 + 20) / (20 + 20) = 2 with the prior's weight
    remaining, rate, eta = meter.observe(10.0, (StageLag("worker", "raw", 10, 30, ("enriched",)), StageLag("indexer", "enriched", 60, 60)))
    assert remaining == 10 * 3 + 60 and rate == 2.0 and eta == 45.0


def test_nothing_left_means_no_wait():
    meter = WorkMeter()
    assert meter.observe(0.0, (StageLag("worker", "raw", 0, 5),)) == (0, None, 0.0)


def test_the_backlog_is_still_the_lag_by_role():
    backlog = Backlog((StageLag("worker", "raw", 5, 9), StageLag("worker", "mentions", 2, 4), StageLag("indexer", "enriched", 1, 9)))
    assert backlog == {"worker": 7, "indexer": 1} and len(backlog.stages) == 3
