"""Folding py-spy's raw stacks into the worker profile's tables."""

from __future__ import annotations

from bench.worker_profile import OTHER, by_agent, by_function, by_part, parse_raw, part_of

RAW = [
    "<module> (faust/worker.py:1);_step (stream_processors/agents/link.py:31);link_mention (stream_processors/linking/linker.py:210) 30",
    "<module> (faust/worker.py:1);_step (stream_processors/agents/link.py:31);model_dump_json (pydantic/main.py:400) 50",
    "<module> (faust/worker.py:1);send (aiokafka/producer/producer.py:494) 15",
    "<module> (something.py:1) 5",
    "",
    "not a line",
]


def test_raw_lines_are_counted_per_stack():
    stacks = parse_raw(RAW)
    assert sum(stacks.values()) == 100 and len(stacks) == 4


def test_a_sample_goes_to_the_innermost_part_it_passes_through():
    stacks = parse_raw(RAW)
    assert by_part(stacks) == {
        "JSON and pydantic (validation, encoding, decoding)": 50.0,
        "linking (names, evidence, scores, merges)": 30.0,
        "Kafka clients (aiokafka, kafka-python)": 15.0,
        OTHER: 5.0,
    }
    assert part_of("a (faust/streams.py:1)") == "faust and mode (streams, tables, changelogs)"


def test_numpy_frames_go_to_their_caller():
    stack = "a (faust/worker.py:1);extract_keyphrases (stream_processors/keyphrases.py:117);_wrapfunc (numpy/_core/fromnumeric.py:54)"
    assert part_of(stack) == "topic model and keyphrases"


def test_functions_are_ranked_by_their_own_samples():
    top = by_function(parse_raw(RAW), top=2)
    assert [f["function"] for f in top] == [
        "model_dump_json (pydantic/main.py:400)", "link_mention (stream_processors/linking/linker.py:210)",
    ]
    assert top[0]["share_percent"] == 50.0


def test_samples_are_charged_to_the_agent_they_ran_under():
    assert by_agent(parse_raw(RAW)) == {"link": 80.0, "outside the agents (faust, aiokafka, the event loop)": 20.0}


def test_the_enrich_batches_of_the_executor_thread_are_the_enrich_agents():
    stack = "_worker (concurrent/futures/thread.py:83);derive_events (stream_processors/enrich.py:81);encode (encoders/static.py:50)"
    assert by_agent(parse_raw([stack + " 3"])) == {"enrich": 100.0}
