"""Regression (issue 16, item 5): `scholarstream run --until-caught-up` stopped by SIGTERM printed
"caught up" and exited 0, so a script could not tell an interrupted run from a finished one.

Here a real `run --until-caught-up --json` works on a backlog of 1,006 papers (more than the worker
enriches in a few seconds), is sent SIGTERM once the worker has committed its first raw records, and
must stop its children, say it was interrupted with the lag it had, and exit 143 (128 + SIGTERM).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from clients import kafka_io
from foundation.settings import Settings
from schemas.topics import PAPERS_RAW
from stream_processors.app import WORKER_GROUP
from tests.conftest import REPO
from tests.integration.conftest import cli

SAMPLE = REPO / "samples" / "arxiv-kaggle-1006.jsonl.gz"


def test_sigterm_before_catching_up_exits_143_and_says_so(settings: Settings):
    ingested = cli("ingest", "snapshot", str(SAMPLE), "--json")
    assert ingested.returncode == 0, ingested.stderr
    papers = json.loads(ingested.stdout)["produced"]
    assert papers > 1000

    run = subprocess.Popen(
        [sys.executable, "-m", "scholarstream", "run", "--until-caught-up", "--timeout", "600", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=os.environ.copy(),
    )
    try:
        raw, group = settings.topic(PAPERS_RAW.name), settings.group(WORKER_GROUP)
        deadline = time.monotonic() + 300
        while sum(kafka_io.group_lag(settings, group, raw).values()) >= papers:  # the worker has not read any yet
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline, "the worker committed nothing in 300 s"
            time.sleep(0.5)
        run.send_signal(signal.SIGTERM)
        stdout, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()

    assert run.returncode == 143, stderr
    assert "interrupted by SIGTERM before catching up (lag worker " in stderr
    assert "caught up in" not in stdout + stderr
    result = json.loads(stdout)
    assert result["caught_up"] is False and result["interrupted_by"] == "SIGTERM"
    assert result["lag"]["worker"] > 0 and result["indexed_documents"] is None
    assert set(result["exit_codes"]) == {"worker", "indexer"}            # both children were stopped and waited for
    assert all(code is not None for code in result["exit_codes"].values())
