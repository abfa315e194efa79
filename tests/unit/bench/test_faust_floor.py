"""The floor benchmark's arithmetic: the cost of a send and a table write, and a paper's floor."""


from bench.faust_floor import costs, floor_per_paper


def run(variant: str, us: float) -> dict:
    return {"variant": variant, "cpu_us_per_record": us}


def test_a_send_and_a_table_write_are_differences_of_medians():
    runs = [run("consume", 70), run("consume", 80), run("relay", 100), run("relay", 110),
            run("relay-and-table", 150), run("relay-and-table", 170)]
    assert costs(runs) == {"consume_us": 75.0, "send_us": 30.0, "table_write_us": 55.0, "consume_send_and_table_write_us": 160.0}


def test_a_papers_floor_counts_inputs_consumed_outputs_sent_and_changelogs_as_table_writes():
    summary = {"consume_us": 100.0, "send_us": 20.0, "table_write_us": 40.0}
    records = {
        "arxiv.papers.raw": 1.0,  # consumed, not written by the worker
        "papers.enriched": 1.0,  # sent and consumed
        "researcher.mentions": 2.5,  # sent and consumed
        "researcher.profiles": 2.0,  # sent, read by nobody in the worker
        "scholarstream-worker-block-state-changelog": 4.0,  # table writes
        "scholarstream-worker-trust-scores-changelog": 1.5,  # a table write, and read by the worker (a global table)
    }
    floor = floor_per_paper(summary, records)
    assert floor["consumed_records"] == 6.0
    assert floor["sent_records"] == 5.5
    assert floor["table_writes"] == 5.5
    assert floor["ms_per_paper"] == 0.93  # (6.0 x 100 + 5.5 x 20 + 5.5 x 40) us
