"""`scholarstream run --workers N`: which processes it starts, under which names and logs (issue 16, item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from foundation.settings import Settings
from scholarstream.pipeline import Child, children_for, role_env


def _settings(tmp_path: Path, stages: str = "enrich,link") -> Settings:
    return Settings(
        _env_file=None, SCHOLARSTREAM_DATA_DIR=str(tmp_path), SCHOLARSTREAM_TOPIC_PREFIX="ns.", SCHOLARSTREAM_WORKER_STAGES=stages
    )


def test_one_worker_keeps_the_names_and_logs_of_before(tmp_path):
    settings = _settings(tmp_path)
    logs = tmp_path / "logs"
    assert children_for(settings) == [
        Child("worker", "worker", logs / f"{settings.group('worker')}.log", role_env(settings)),
        Child("indexer", "indexer", logs / f"{settings.group('indexer')}.log", role_env(settings)),
    ]


def test_several_workers_are_numbered_each_with_a_log_of_its_own_and_the_same_environment(tmp_path):
    settings = _settings(tmp_path, stages="link")
    children = children_for(settings, 3)
    assert [(c.name, c.role) for c in children] == [
        ("worker-1", "worker"), ("worker-2", "worker"), ("worker-3", "worker"), ("indexer", "indexer"),
    ]
    group = settings.group("worker")
    assert [c.log.name for c in children[:3]] == [f"{group}-1.log", f"{group}-2.log", f"{group}-3.log"]
    assert len({c.log for c in children}) == 4
    # The same settings, hence one consumer group: nothing in the environment tells the workers apart.
    assert all(c.env == role_env(settings) for c in children)
    assert children[0].env["SCHOLARSTREAM_WORKER_STAGES"] == "link"


def test_no_workers_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least 1"):
        children_for(_settings(tmp_path), 0)


def test_the_cli_refuses_zero_workers_before_starting_anything():
    from scholarstream.cli import app

    result = CliRunner().invoke(app, ["run", "--workers", "0"])
    assert result.exit_code == 2
    assert "--workers" in result.output
