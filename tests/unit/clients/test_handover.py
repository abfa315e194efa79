"""Which older groups a new generation's enrich stage may take its position over from."""

from clients.handover import predecessors
from foundation.settings import Settings


def settings(enrich: int, link: int) -> Settings:
    return Settings(_env_file=None, topic_prefix="t.", enrich_generation=enrich, link_generation=link)


def test_same_enrich_generation_lower_link_numbers_newest_first():
    assert predecessors(settings(0, 2), "scholarstream-worker") == [
        "t.scholarstream-worker.g0-1", "t.scholarstream-worker",
    ]
    assert predecessors(settings(1, 3), "scholarstream-indexer") == [
        "t.scholarstream-indexer.g1-2", "t.scholarstream-indexer.g1-1", "t.scholarstream-indexer.g1-0",
    ]


def test_a_pipeline_never_rebuilt_has_nothing_to_take_over():
    assert predecessors(settings(0, 0), "scholarstream-worker") == []
