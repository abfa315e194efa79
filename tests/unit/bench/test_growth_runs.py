"""Several growth runs read together: each run's ratios, and a group's spread."""

import json

import pytest

from bench.growth_runs import group_summary, grouped, main, run_figures


def window(total: float, worker: float, es: float, kafka_bytes: float = 30_000) -> dict:
    return {
        "cpu_ms_per_paper_total": total,
        "cpu_ms_per_paper": {"worker": worker, "indexer": 1.0, "elasticsearch": es, "kafka": 0.5},
        "kafka_bytes_per_paper": kafka_bytes,
    }


def result(totals: list[float], commit: str = "a" * 40, pacing: str | None = "30s") -> dict:
    data = {
        "code": {"commit": commit, "changed": False},
        "scenarios": {"harvest": {"windows": [window(t, t / 2, t / 4, 30_000 + i) for i, t in enumerate(totals)]}},
    }
    if pacing is not None:
        data["indexer_backlog_refresh_interval"] = pacing
    return data


def test_a_runs_ratios_are_its_last_window_over_its_first_and_its_last_three_tenths_over_its_first_two():
    totals = [10.0, 12.0, 13, 13, 13, 13, 13, 14.0, 15.0, 16.0]
    run = run_figures(result(totals), source="r.json")
    assert run["ratio_last_to_first"]["total"] == pytest.approx(1.6)
    assert run["ratio_last_to_first"]["worker"] == pytest.approx(1.6)
    assert run["ratio_last_to_first"]["kafka_bytes"] == pytest.approx(30_009 / 30_000)
    assert run["ratio_tail_to_head"]["total"] == pytest.approx(15.0 / 11.0)
    assert run["mean"]["total"] == pytest.approx(sum(totals) / 10)
    assert run["pacing"] == "30s" and run["commit"] == "a" * 40


def test_a_run_from_before_the_pacing_says_so_and_a_single_window_is_refused():
    assert run_figures(result([10.0, 11.0], pacing=None))["pacing"] == "none (before pacing)"
    with pytest.raises(ValueError, match="a ratio needs two"):
        run_figures(result([10.0]))


def test_a_group_reports_the_spread_of_its_runs_ratios_and_the_ratio_of_their_means():
    runs = [run_figures(result([10.0, 16.0])), run_figures(result([20.0, 22.0])), run_figures(result([10.0, 11.0]))]
    total = group_summary(runs)["ratio_last_to_first"]["total"]
    assert total["min"] == pytest.approx(1.1)
    assert total["max"] == pytest.approx(1.6)
    assert total["median"] == pytest.approx(1.1)
    assert total["mean"] == pytest.approx((1.6 + 1.1 + 1.1) / 3)
    assert total["of_means"] == pytest.approx((16 + 22 + 11) / (10 + 20 + 10))


def test_runs_are_grouped_by_pacing_or_by_commit():
    runs = [run_figures(result([1.0, 2.0], commit="b" * 40, pacing="off")),
            run_figures(result([1.0, 2.0], commit="c" * 40, pacing="30s")),
            run_figures(result([1.0, 2.0], commit="c" * 40, pacing="off"))]
    assert {k: len(v) for k, v in grouped(runs, "pacing").items()} == {"off": 2, "30s": 1}
    assert {k: len(v) for k, v in grouped(runs, "commit").items()} == {"bbbbbbb": 1, "ccccccc": 2}


def test_the_command_writes_its_result_and_prints_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("bench.growth_runs.RESULTS", tmp_path / "out")
    files = []
    for number, totals in enumerate([[10.0, 12.0], [10.0, 14.0]]):
        path = tmp_path / f"run{number}.json"
        path.write_text(json.dumps(result(totals)))
        files.append(str(path))
    assert main([*files, "--name", "runs", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["groups"]["30s"]["ratio_last_to_first"]["total"]["mean"] == pytest.approx(1.3)
    assert json.loads((tmp_path / "out" / "runs.json").read_text())["groups"] == printed["groups"]


def test_the_command_refuses_a_file_without_a_harvest_scenario(tmp_path, monkeypatch):
    monkeypatch.setattr("bench.growth_runs.RESULTS", tmp_path / "out")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"scenarios": {}}))
    with pytest.raises(SystemExit) as exit_info:
        main([str(bad)])
    assert exit_info.value.code == 2
