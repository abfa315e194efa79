"""Regression (the worker-SIGKILL fault drill's "stall"): a restarted worker handed source records to
its agents before it had sought to its committed offsets, and then skipped some of them.

faust 0.15.3 starts the fetcher to read the table changelogs, resumes the source partitions when
the tables are recovered, and only then awaits the seek to the committed offsets. Records fetched
in that window were processed; the seek then reset the read offsets below them, the records still
queued were cleared when the flow resumed, and the distance to the next record of the batch being
drained was taken for a gap that may be committed unprocessed. Those records were committed over
(missing papers at zero lag) or, at a partition's tail, never committed (an idle worker with lag).
The window only exists when there is state to recover, i.e. on a restart, and was hit whenever the
seek's round trip outlasted the fetcher's next poll: the fault drill failed now and then.

Here a real `scholarstream worker` enriches part of a backlog and is stopped, so the tables have
changelogs and the group has committed offsets; then the real app (agents, tables, recovery) runs
again in a child process with an observer agent on the raw topic, against the real Kafka, and its
seek is made to answer after 3 s, longer than a fetcher poll (1 s), as a slow group coordinator
would. Every raw record must reach the agents after recovery completed (faust marks it right after
the seek), and each record after the committed offsets exactly once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

from clients import kafka_io
from encoders.loading import load_encoder
from foundation.settings import Settings
from producers.snapshot import read_snapshot, snapshot_record_to_paper
from schemas.topics import TOPICS
from stream_processors.app import WORKER_GROUP, create_app
from stream_processors.topic_model.fields import load_field_model, model_path_for
from tests.conftest import REPO
from tests.integration.conftest import cli, read_topic

SAMPLE = REPO / "samples" / "arxiv-kaggle-1006.jsonl.gz"
PAPERS = 48
FIRST_RUN = 8  # papers the first worker enriches before it is stopped
SEEK_DELAY = 3.0
MERGE_FIXTURE = REPO / "tests" / "fixtures" / "snapshot-merge.jsonl"


async def _observe_restart(topic: str, wanted: int, timeout: float, seek_delay: float) -> None:
    settings = Settings(_env_file=None)
    encoder = load_encoder(settings)
    field_model = load_field_model(model_path_for(encoder.name, settings.data_dir), encoder=encoder.name)
    app = create_app(settings, encoder, field_model)  # inside the running loop, as faust requires
    received: list[tuple[int, int, bool]] = []

    @app.agent(app.topic(settings.topic(topic), key_type=bytes, value_type=bytes), name="observer")
    async def observe(stream):
        async for event in stream.events():
            received.append((event.message.partition, event.message.offset, app.tables.recovery.completed.is_set()))

    consumer = app.consumer
    real_seek = consumer.perform_seek

    async def slow_seek() -> None:  # the real seek, answered late
        await asyncio.sleep(seek_delay)
        await real_seek()

    consumer.perform_seek = slow_seek  # type: ignore[method-assign]  # monkeypatch
    await app.start()
    deadline = time.monotonic() + timeout
    while len(received) < wanted and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    # (partition, offset, sought yet) per record; then leave at once: only the order of arrival
    # matters here, and a graceful faust shutdown would wait for the encoder.
    recovered = app.tables.recovery.completed.is_set()  # type: ignore[attr-defined]  # concrete
    sys.stdout.write(json.dumps({"recovered": recovered, "received": received}) + "\n")
    sys.stdout.flush()
    os._exit(0)


def probe() -> None:
    """Child process: run the app with an observer on topic argv[1] until it received argv[2] records."""
    asyncio.run(_observe_restart(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])))


def run_probe(topic: str, wanted: int, seek_delay: float = SEEK_DELAY) -> dict:
    child = subprocess.run(
        [sys.executable, "-c", f"from {__name__} import probe; probe()", topic, str(wanted), "120", str(seek_delay)],
        cwd=REPO, env=os.environ.copy(), capture_output=True, text=True, timeout=300,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    return json.loads(child.stdout.strip().splitlines()[-1])


def first_run_then_stop(settings) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-m", "scholarstream", "worker"], cwd=REPO, env=os.environ.copy(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while sum(kafka_io.end_offsets(settings, settings.topic("papers.enriched")).values()) < FIRST_RUN:
            assert worker.poll() is None and time.monotonic() < deadline, "the first worker enriched nothing"
            time.sleep(0.3)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)  # a graceful stop: the group is free at once
        try:
            worker.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def produce_backlog_and_stop_a_first_worker(settings) -> None:
    kafka_io.ensure_topics(settings, TOPICS)
    raw = settings.topic("arxiv.papers.raw")
    producer = kafka_io.producer(settings)
    for line, _ in zip(read_snapshot(SAMPLE), range(PAPERS), strict=False):
        paper = snapshot_record_to_paper(line)
        producer.send(raw, key=paper.arxiv_id.encode(), value=paper.model_dump_json().encode())
    producer.flush()
    producer.close()
    first_run_then_stop(settings)


def test_a_restarted_worker_hands_no_record_to_its_agents_before_seeking_to_its_committed_offsets(settings, monkeypatch):
    monkeypatch.setenv("SCHOLARSTREAM_ENCODER_BATCH_SIZE", "8")
    monkeypatch.setenv("SCHOLARSTREAM_ENRICH_TAKE_MAX", "8")
    produce_backlog_and_stop_a_first_worker(settings)
    raw = settings.topic("arxiv.papers.raw")
    ends = kafka_io.end_offsets(settings, raw)
    lag = kafka_io.group_lag(settings, settings.group(WORKER_GROUP), raw)
    committed = {p: ends[p] - lag[p] for p in ends}
    backlog = sum(lag.values())
    assert sum(committed.values()) > 0 and backlog > 16, f"the restart must find commits and a backlog: {committed}, {ends}"
    changelog = settings.topic_prefix + "scholarstream-worker-enriched-versions-changelog"
    assert read_topic(settings, changelog), "the restart must have table state to recover"

    report = run_probe("arxiv.papers.raw", backlog)
    received = [tuple(item) for item in report["received"]]

    early = [(p, o) for p, o, sought in received if not sought]
    assert early == [], f"{len(early)} of {len(received)} records reached the agents before the seek: {early[:10]}"
    assert sorted((p, o) for p, o, _ in received) == sorted(
        (p, o) for p, end in ends.items() for o in range(committed[p], end)
    ), "each record after the committed offsets, once"


def test_records_on_a_partition_the_group_never_committed_reach_the_agents_after_a_slow_restart(settings, tmp_path):
    """The restart stall of the merges and profiles tests: the worker went idle with lag.

    researcher.signals was empty while the first worker ran, so the group has no committed offset
    there. Signals sent meanwhile are fetched as soon as recovery resumes the source partitions;
    a fetch that returns while the flow is stopped is discarded and "sought back to the committed
    offsets", which aiokafka skips for a partition without one: the records were never fetched
    again. The worker now seeks such a partition to its start (auto_offset_reset="earliest").
    """
    snapshot = tmp_path / "first.jsonl"
    snapshot.write_text("".join(MERGE_FIXTURE.read_text().splitlines(keepends=True)[:2]))
    assert cli("ingest", "snapshot", str(snapshot)).returncode == 0
    assert cli("run", "--until-caught-up", "--timeout", "600").returncode == 0  # links: the tables have state
    signals = settings.topic("researcher.signals")
    assert sum(kafka_io.end_offsets(settings, signals).values()) == 0
    for n in range(6):
        sent = cli("signal", "follow", f"r-nobody{n:012d}", "--actor", f"user:u{n}", "--principal", "account")
        assert sent.returncode == 0, sent.stderr
    ends = kafka_io.end_offsets(settings, signals)
    assert sum(ends.values()) == 6

    report = run_probe("researcher.signals", 6, seek_delay=0.5)
    assert report["recovered"], "recovery never completed"
    assert sorted((p, o) for p, o, _ in report["received"]) == sorted(
        (p, o) for p, end in ends.items() for o in range(end)
    ), "every signal sent while no worker ran, once"
