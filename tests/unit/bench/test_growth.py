"""The growth benchmark's pure parts: synthetic records, windows and the summary it reports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench.growth import (
    Window,
    block_papers,
    distinct_given_names,
    es_threads_between,
    growth_summary,
    prolific_papers,
    record_range,
    split_evenly,
    synthetic_id,
    window_holding,
    window_profile,
    with_author_lines,
)
from schemas.papers import Author, RawPaper
from stream_processors.linking.evidence import INCOMPATIBLE
from stream_processors.linking.names import compare_names, parse_name


def _paper(number: int) -> RawPaper:
    return RawPaper(arxiv_id=f"1601.{number:05d}", version=2, title=f"Title {number}", abstract=f"Abstract {number}",
                    authors=(Author(keyname="Smith", forenames="Ann"), Author(keyname="Jones", forenames="Bo")),
                    categories=("cs.LG",), submitted=datetime(2016, 1, 1, tzinfo=UTC), doi="10.1/x", source="oai")


def test_prolific_papers_keep_the_text_and_carry_one_author():
    made = list(prolific_papers((_paper(n) for n in range(5)), 3))
    assert [p.arxiv_id for p in made] == ["2612.00000", "2612.00001", "2612.00002"]
    assert {(p.authors[0].keyname, p.authors[0].forenames) for p in made} == {("Zyxwright", "Quentin")}
    assert all(len(p.authors) == 1 and p.version == 1 and p.doi is None for p in made)
    assert [p.title for p in made] == ["Title 0", "Title 1", "Title 2"]


def test_block_papers_are_distinct_people_of_one_block():
    made = list(block_papers((_paper(n) for n in range(50)), 40))
    names = [parse_name(p.authors[0].keyname, p.authors[0].forenames) for p in made]
    assert len({p.authors[0].forenames for p in made}) == 40
    assert {p.authors[0].forenames[0] for p in made} == {"Q"}
    # no two of them could be one person by name
    assert all(compare_names(a, b).label == INCOMPATIBLE for i, a in enumerate(names) for b in names[i + 1:])


def test_distinct_given_names_refuses_more_than_it_can_make():
    assert len(set(distinct_given_names(2000))) == 2000
    with pytest.raises(ValueError):
        distinct_given_names(10**6)


def test_synthetic_ids_fit_five_digits():
    assert synthetic_id("2611", 42) == "2611.00042"
    with pytest.raises(ValueError):
        synthetic_id("2611", 100_000)


def test_split_evenly():
    assert split_evenly(10, 3) == [4, 3, 3]
    assert sum(split_evenly(102_538, 10)) == 102_538
    with pytest.raises(ValueError):
        split_evenly(2, 3)


def _row(before: int, papers: int, cpu: float, kafka_bytes: int) -> dict:
    window = Window(1, papers, before, 1.0, {"worker": cpu * papers / 1000}, {"t": kafka_bytes * papers}, {"t": papers})
    return window.per_paper()


def test_the_summary_compares_the_last_window_with_the_first_checkpoint():
    rows = [_row(0, 100, 10.0, 1000), _row(100, 100, 12.0, 1500), _row(200, 100, 30.0, 4000)]
    assert window_holding(rows, 150)["records"] == "101-200"
    assert window_holding(rows, 301) is None
    summary = growth_summary(rows, (100, 1_000))
    assert summary["ratio_last_to_first"]["cpu"] == 3.0
    assert summary["ratio_last_to_first"]["kafka_bytes"] == 4.0
    assert set(summary["checkpoints"]) == {"100", "last (201-300)"}


def test_a_window_is_also_divided_by_its_author_lines():
    window = Window(1, 100, 0, 1.0, {"worker": 1.5, "indexer": 0.5}, {"t": 300_000}, {"t": 100}, author_lines=400)
    row = window.per_paper()
    assert row["cpu_ms_per_paper_total"] == 20.0
    assert row["author_lines_per_paper"] == 4.0
    assert row["cpu_ms_per_author_line_total"] == 5.0
    assert row["cpu_ms_per_author_line"] == {"worker": 3.75, "indexer": 1.25}
    assert row["kafka_bytes_per_author_line"] == 750
    assert "author_lines_per_paper" not in Window(1, 100, 0, 1.0, {"worker": 1.0}, {"t": 1}, {"t": 1}).per_paper()


def test_more_authors_a_paper_shows_apart_from_a_growing_cost_per_line():
    first = Window(1, 100, 0, 1.0, {"worker": 1.0}, {"t": 100_000}, {"t": 1}, author_lines=250).per_paper()
    last = Window(2, 100, 100, 1.0, {"worker": 1.5}, {"t": 150_000}, {"t": 1}, author_lines=375).per_paper()
    ratios = growth_summary([first, last], (1,))["ratio_last_to_first"]
    assert ratios["cpu"] == 1.5 and ratios["kafka_bytes"] == 1.5
    assert ratios["author_lines_per_paper"] == 1.5
    assert ratios["cpu_per_author_line"] == 1.0 and ratios["kafka_bytes_per_author_line"] == 1.0


def test_a_row_measured_before_lines_were_counted_gets_the_same_figures():
    measured = Window(3, 100, 200, 2.0, {"worker": 1.5, "indexer": 0.5}, {"t": 300_000}, {"t": 100}, author_lines=400)
    counted_later = with_author_lines(measured.per_paper() | {"author_lines_per_paper": None}, 400)
    for key in ("author_lines_per_paper", "cpu_ms_per_author_line", "cpu_ms_per_author_line_total", "kafka_bytes_per_author_line"):
        assert counted_later[key] == measured.per_paper()[key]


def test_a_window_profile_shares_the_workers_cpu_out_by_part():
    stacks = {
        "run (faust/streams/stream.py:1);loads (orjson:0)": 30,  # JSON, though under faust
        "run (faust/streams/stream.py:1);take (faust/streams/stream.py:9)": 50,
        "main (stream_processors/agents/link.py:3);score (stream_processors/linking/scorer.py:7)": 20,
    }
    profile = window_profile(stacks, worker_ms_per_paper=10.0)
    assert profile["samples"] == 100
    assert profile["by_part_percent"]["faust and mode (streams, tables, changelogs)"] == 50.0
    assert profile["by_part_ms_per_paper"]["JSON and pydantic (validation, encoding, decoding)"] == 3.0
    assert profile["by_part_ms_per_paper"]["linking (names, evidence, scores, merges)"] == 2.0
    assert profile["by_agent_ms_per_paper"]["link"] == 2.0
    assert profile["by_function"][0] == {"function": "take (faust/streams/stream.py:9)", "share_percent": 50.0}


def test_a_window_profile_without_the_workers_cpu_keeps_the_shares_only():
    profile = window_profile({"f (faust/x.py:1)": 4}, worker_ms_per_paper=None)
    assert profile["by_part_percent"] == {"faust and mode (streams, tables, changelogs)": 100.0}
    assert profile["by_part_ms_per_paper"] == {}


def test_elasticsearch_thread_time_is_shared_out_by_activity_and_index():
    before = {"papers-v1": {"indexing": 100, "merging": 50, "refreshing": 10}}
    after = {"papers-v1": {"indexing": 300, "merging": 450, "refreshing": 30},
             "works-v1": {"indexing": 40, "merging": 0, "refreshing": 20}}  # made during the window
    window = Window(1, 10, 0, es_thread_ms=es_threads_between(before, after))
    row = window.per_paper()
    assert row["elasticsearch_thread_ms_per_paper"] == {"indexing": 24.0, "merging": 40.0, "refreshing": 4.0}
    assert row["elasticsearch_thread_ms_per_paper_by_index"]["works-v1"] == {"indexing": 4.0, "merging": 0.0, "refreshing": 2.0}


def test_a_window_without_elasticsearch_readings_reports_none():
    assert "elasticsearch_thread_ms_per_paper" not in Window(1, 10, 0).per_paper()


def test_a_window_of_a_later_slice_names_the_harvest_records_it_holds():
    row = Window(2, 100, 100, 1.0, {"worker": 1.0}, {"t": 1}, {"t": 1}, offset=92_285).per_paper()
    assert row["records"] == "92386-92485"
    assert record_range(row) == (92_386, 92_485)
