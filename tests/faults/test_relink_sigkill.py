"""Fault: the worker is SIGKILLed just as it applied a relink, and restarted.

Injected: the relink fixture (two real people, tests/integration/test_relink_pipeline.py) goes
through the pipeline on two partitions linked with the hand-set weights, which fold them into one
researcher in any order; `scholarstream relink` with the model sends its request; a
`scholarstream worker` is started and killed with SIGKILL (its process group, no shutdown, no final
commit) the moment the first split event is in `researcher.merges`, with offset commits every 60 s
so that the kill lands before the request's offset is committed; then `scholarstream run
--until-caught-up`, which reads the request again.

Checked: the same split as an uninterrupted run (each researcher printing the name holds one
person's works, every renamed line in exactly one live profile); the request read again after the
kill was recognised as applied or applied the same way, so nothing was refused (no dead letter),
every split event names the one relink, and each split-off part always the same works; the kept
profile lists the split-off works once each.
"""

from __future__ import annotations

import json

from schemas.profiles import SplitEvent, is_split
from stream_processors.app import WORKER_GROUP
from tests.children import wait_for
from tests.faults.conftest import Role, committed, total_end
from tests.integration.conftest import cli, read_topic
from tests.integration.test_profiles_pipeline import latest_profiles
from tests.integration.test_relink_pipeline import FIXTURE, NAME, TRUTH, people_by_researcher, placed


def run_until_caught_up() -> None:
    run = cli("run", "--until-caught-up", "--timeout", "540", "--json")
    assert run.returncode == 0, run.stderr + run.stdout
    assert json.loads(run.stdout)["caught_up"] is True


def test_a_worker_killed_as_it_applies_a_relink_leaves_the_split_an_uninterrupted_run_makes(namespace, monkeypatch,
                                                                                          record_property):
    settings = namespace("relink")
    assert settings.topic_partitions == 2
    monkeypatch.setenv("SCHOLARSTREAM_LINKER", "weights")  # folds both people, whatever order the block sees
    assert cli("ingest", "snapshot", str(FIXTURE)).returncode == 0
    run_until_caught_up()
    assert list(people_by_researcher(settings).values()) == [set(TRUTH.values())], "the weights folded them"
    monkeypatch.setenv("SCHOLARSTREAM_LINKER", "pairwise")

    sent = cli("relink", "--name", NAME, "--json")
    assert sent.returncode == 0, sent.stderr
    (relink_id,) = json.loads(sent.stdout)["requests_sent"]
    merges_before = total_end(settings, "researcher.merges")
    # This worker commits every 60 s: the kill below lands after the split was sent and before the
    # request's offset was committed, so the restarted worker reads the request again.
    monkeypatch.setenv("SCHOLARSTREAM_WORKER_COMMIT_INTERVAL", "60")
    worker = Role("worker", settings)
    try:
        wait_for(lambda: total_end(settings, "researcher.merges") > merges_before or not worker.alive(), 300,
                 "the worker to send the split")
        assert worker.alive(), worker.log_text()[-3000:]
    finally:
        worker.kill()
    mentions_end = total_end(settings, "researcher.mentions")
    committed_at_kill = sum(committed(settings, WORKER_GROUP, "researcher.mentions").values())
    assert committed_at_kill < mentions_end, "the kill landed before the request's offset was committed"
    monkeypatch.setenv("SCHOLARSTREAM_WORKER_COMMIT_INTERVAL", "1")
    run_until_caught_up()

    after = people_by_researcher(settings)
    assert all(len(people) == 1 for people in after.values()), f"still mixed after the relink: {after}"
    assert set().union(*after.values()) == set(TRUTH.values())
    assert placed(settings) == sorted(TRUTH), "every renamed line is a work of exactly one live profile"
    splits = [SplitEvent.model_validate_json(r.value) for r in read_topic(settings, settings.topic("researcher.merges"))
              if is_split(r.value)]
    assert {(s.relink_id, s.researcher_id) for s in splits} == {(relink_id, splits[0].researcher_id)}
    parts = {(s.split_to, s.arxiv_ids) for s in splits}
    assert len(parts) == len({split_to for split_to, _ in parts}), "a re-read request makes the same split, never another"
    letters = read_topic(settings, settings.topic("researcher.link.dlq"))
    assert letters == [], [json.loads(r.value)["reason"] for r in letters]
    kept = latest_profiles(settings)[splits[0].researcher_id]
    assert sorted(d.arxiv_id for d in kept.disowned_works) == sorted(a for _, ids in parts for a in ids)

    figures = {"split_events": len(splits), "parts": len(parts) + 1, "mentions_end": mentions_end, "committed_at_kill": committed_at_kill}
    record_property("figures", figures)
    print("relink kill figures:", json.dumps(figures))
