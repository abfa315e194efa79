"""`stack.stop_service` stops one service of the stack and leaves the other one running.

The services here are stand-in processes whose command lines name the stack directory, which is
all that `stop_service` uses to recognise them as the stack's own (no Java is started).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import stack
from foundation.errors import StackError
from foundation.settings import Settings
from stack.layout import StackPaths
from stack.processes import is_alive, write_pid
from tests.unit.stack.stand_ins import stand_in


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Settings, StackPaths, dict[str, subprocess.Popen]]]:
    settings = Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=tmp_path / "stack")
    paths = StackPaths.of(settings.stack_dir)
    paths.root.mkdir(parents=True)
    marker = f"{paths.root}/"
    children = {"kafka": stand_in(marker), "elasticsearch": stand_in(marker)}
    write_pid(paths.kafka_pid, children["kafka"].pid)
    write_pid(paths.es_pid, children["elasticsearch"].pid)
    yield settings, paths, children
    for child in children.values():
        if child.poll() is None:
            child.kill()
        child.wait()


def test_stop_service_stops_only_the_named_service(running) -> None:
    settings, paths, children = running
    stopped = stack.stop_service(settings, "elasticsearch", grace_seconds=5)
    assert stopped is not None
    assert (stopped.name, stopped.pid, stopped.forced) == ("elasticsearch", children["elasticsearch"].pid, False)
    deadline = time.monotonic() + 5
    while children["elasticsearch"].poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert children["elasticsearch"].poll() is not None
    assert not paths.es_pid.exists()
    assert is_alive(children["kafka"].pid)
    assert paths.kafka_pid.exists()


def test_stop_service_on_a_stopped_service_is_a_no_op(running) -> None:
    settings, paths, children = running
    assert stack.stop_service(settings, "kafka", grace_seconds=5) is not None
    assert stack.stop_service(settings, "kafka", grace_seconds=5) is None
    assert is_alive(children["elasticsearch"].pid)


def test_stop_service_never_stops_a_process_that_is_not_the_stacks(running) -> None:
    settings, paths, _ = running
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    try:
        write_pid(paths.es_pid, stranger.pid)  # a reused pid: its command line does not name the stack
        assert stack.stop_service(settings, "elasticsearch", grace_seconds=5) is None
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def test_stop_service_rejects_unknown_names(running) -> None:
    settings, _, _ = running
    with pytest.raises(StackError, match="unknown stack service 'zookeeper'"):
        stack.stop_service(settings, "zookeeper")
