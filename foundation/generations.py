"""Pipeline generations: how `rebuild` re-derives everything after the raw topic beside the live pipeline.

A generation is a pair of numbers, one per deriving stage: `enrich` (embeddings, topics) and
`link` (linking, profiles, trust). The topics a stage writes carry its number from generation 1
on (`papers.enriched.e1`, `researcher.profiles.l2`); generation 0 uses the plain names, so a
pipeline that was never rebuilt looks as it always did. Source topics (the raw papers, product
signals, their voids and the operators' merge decisions, harvest checkpoints, the producers' and
the indexer's dead letters, this registry) never change name: every generation is derived from
them. Consumer groups, and with them faust's table changelogs, carry the pair, so a new
generation starts with empty state and reads from the start.

Each generation's indexer writes through a write alias of its own (`researchers-l2`); readers
use the plain alias (`researchers`), which `rebuild` moves once the new generation caught up.
The serving generation is the latest record of the compacted topic `pipeline.generations`;
`worker`, `indexer`, `run` and `status` read it at start-up unless the environment names one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Stage = Literal["source", "enrich", "link"]

SOURCE_TOPICS = frozenset({
    "arxiv.papers.raw", "arxiv.papers.dlq", "ingest.checkpoints", "researcher.signals", "researcher.signals.voids",
    "researcher.merges.decisions", "index.dlq",
    "pipeline.generations",
})
ENRICH_TOPICS = frozenset({"papers.enriched", "papers.enrich.dlq"})
WORKER_STAGES = ("enrich", "link")


def stage_of(topic: str) -> Stage:
    """Which stage's generation names a topic: sources never change, researcher topics are link's."""
    if topic in SOURCE_TOPICS:
        return "source"
    if topic in ENRICH_TOPICS:
        return "enrich"
    return "link"


@dataclass(frozen=True, order=True)
class Generation:
    enrich: int = 0
    link: int = 0

    def of(self, stage: Stage) -> int:
        return {"source": 0, "enrich": self.enrich, "link": self.link}[stage]

    def next(self, from_stage: Literal["enrich", "link"]) -> Generation:
        """The generation a rebuild from `from_stage` creates: that stage and every later one move on."""
        if from_stage == "enrich":
            return Generation(self.enrich + 1, self.link + 1)
        return Generation(self.enrich, self.link + 1)

    def suffix(self, stage: Stage) -> str:
        number = self.of(stage)
        return f".{stage[0]}{number}" if number else ""

    def group_tag(self) -> str:
        return f".g{self.enrich}-{self.link}" if (self.enrich or self.link) else ""

    def env(self) -> dict[str, str]:
        """The environment that makes a child process run this generation."""
        return {"SCHOLARSTREAM_ENRICH_GENERATION": str(self.enrich), "SCHOLARSTREAM_LINK_GENERATION": str(self.link)}
