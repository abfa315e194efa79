"""A link-only worker (no encoder) for the linking regression tests, and waiting on its topics."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

from schemas.dead_letters import DeadLetter
from tests.conftest import REPO
from tests.integration.conftest import read_topic
from tests.integration.test_profiles_pipeline import latest_profiles, latest_works


def start_link_worker(log_path) -> subprocess.Popen:
    env = {**os.environ, "SCHOLARSTREAM_WORKER_STAGES": "link"}
    with open(log_path, "wb") as log:
        return subprocess.Popen([sys.executable, "-m", "scholarstream", "worker"], cwd=REPO, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, 15)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, 9)
            worker.wait()


def wait_for(check: Callable[[], bool], worker: subprocess.Popen, log_path, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        assert worker.poll() is None, f"the worker stopped ({worker.returncode}) waiting for {what}:\n{log_path.read_text()[-3000:]}"
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}:\n{log_path.read_text()[-3000:]}")


def letters(settings) -> list[DeadLetter]:
    return [DeadLetter.model_validate_json(r.value) for r in read_topic(settings, settings.topic("researcher.link.dlq"))]


def placed(settings) -> set[tuple[str, str]]:
    """(arXiv id, printed name) of every work in a live profile."""
    works = latest_works(settings)
    profiles = latest_profiles(settings)  # read after the works: a work's profile revision is sent with it
    return {(w.arxiv_id, v.name) for rid, held in works.items() if rid in profiles and profiles[rid].merged_into is None
            for w in held for v in profiles[rid].name_variants[:1]}
