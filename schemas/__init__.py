"""The event contract shared by producers, stream processors and indexers."""

from schemas.checkpoints import HarvestCheckpoint
from schemas.dead_letters import DeadLetter
from schemas.papers import Author, Embedding, EnrichedPaper, RawPaper, parse_enriched_paper, parse_raw_paper
from schemas.topics import TOPICS, TopicSpec, topic_by_name

__all__ = [
    "Author",
    "DeadLetter",
    "Embedding",
    "HarvestCheckpoint",
    "EnrichedPaper",
    "RawPaper",
    "TOPICS",
    "TopicSpec",
    "parse_enriched_paper",
    "parse_raw_paper",
    "topic_by_name",
]
