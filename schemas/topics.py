"""The topic registry: every Kafka topic the pipeline uses, who writes it, who reads it, and why.

`docs/architecture.md` is written from this table, and `ensure_topics` creates topics from it,
so the documentation and the cluster cannot drift from the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from schemas.checkpoints import HarvestCheckpoint
from schemas.dead_letters import DeadLetter
from schemas.linking_events import Authorship, MentionEvent, WorkAssignment
from schemas.merge_reviews import MergeReview, ReviewDecision
from schemas.papers import EnrichedPaper, RawPaper
from schemas.pipeline import GenerationRecord
from schemas.profiles import MergeEvent, MergeMove, ProfileWork, ResearcherProfile, ResearcherSignal, TrustChange
from schemas.signal_outcomes import SignalOutcomeEvent
from schemas.signal_voids import SignalVoid

CleanupPolicy = Literal["delete", "compact"]


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    value: object  # a pydantic model, or an annotated union of models (the signals)
    cleanup_policy: CleanupPolicy
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    why: str
    partitions: int | None = None  # None: the configured default (SCHOLARSTREAM_TOPIC_PARTITIONS)
    config: dict[str, str] = field(default_factory=dict)

    def kafka_config(self) -> dict[str, str]:
        return {"cleanup.policy": self.cleanup_policy, **self.config}


_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}

PAPERS_RAW = TopicSpec(
    name="arxiv.papers.raw",
    key="arXiv id without version",
    value=RawPaper,
    cleanup_policy="delete",
    config=_FOREVER,
    producers=("ingest snapshot", "ingest oai", "ingest arxiv"),
    consumers=("worker: enrich",),
    why=(
        "The source of truth every later store is rebuilt from, so nothing is ever deleted: "
        "kept forever rather than compacted, because a late older version must not replace a newer one. "
        "Keyed by id so all versions of a paper share a partition and are seen in order."
    ),
)

PAPERS_DLQ = TopicSpec(
    name="arxiv.papers.dlq",
    key="arXiv id when known, else none",
    value=DeadLetter,
    cleanup_policy="delete",
    config=_FOREVER,
    producers=("ingest *",),
    consumers=("operators (dlq list/retry)",),
    why="Records a producer could not validate, with the reason and the raw payload, so none is silently lost.",
    partitions=1,
)

PAPERS_ENRICHED = TopicSpec(
    name="papers.enriched",
    key="arXiv id without version",
    value=EnrichedPaper,
    cleanup_policy="compact",
    producers=("worker: enrich",),
    consumers=("indexer: papers",),
    why=(
        "Entity state: the latest enrichment of each paper. Compacted by id, so a reindex reads one "
        "record per paper and never has to re-run the encoder."
    ),
)

ENRICH_DLQ = TopicSpec(
    name="papers.enrich.dlq",
    key="arXiv id when known, else none",
    value=DeadLetter,
    cleanup_policy="delete",
    config=_FOREVER,
    producers=("worker: enrich",),
    consumers=("operators (dlq list/retry)",),
    why="Raw records the worker could not decode or enrich; the run continues around them.",
    partitions=1,
)

INDEX_DLQ = TopicSpec(
    name="index.dlq",
    key="document id",
    value=DeadLetter,
    cleanup_policy="delete",
    config=_FOREVER,
    producers=("indexer",),
    consumers=("operators (dlq list/retry)",),
    why="Documents Elasticsearch rejected (mapping errors), with its error; retryable failures are retried instead.",
    partitions=1,
)

INGEST_CHECKPOINTS = TopicSpec(
    name="ingest.checkpoints",
    key="checkpoint id (source, endpoint, set/categories, date window)",
    value=HarvestCheckpoint,
    cleanup_policy="compact",
    producers=("ingest oai", "ingest arxiv"),
    consumers=("ingest oai", "ingest arxiv"),
    why=(
        "Where each paged harvest stopped (resumption token, datestamp, completion), written only after "
        "Kafka acknowledged the page's records; compacted by checkpoint id so the latest state per harvest "
        "survives and any machine can resume it."
    ),
    partitions=1,
)

RESEARCHER_MENTIONS = TopicSpec(
    name="researcher.mentions",
    key="blocking key (folded surname + first initial)",
    value=MentionEvent,
    cleanup_policy="delete",
    producers=("worker: route mentions", "operators (scholarstream relink: a RelinkRequest)"),
    consumers=("worker: link",),
    why=(
        "The repartition for linking: every candidate for a mention shares its blocking key, so keying "
        "by it puts a whole block on one partition, where one table entry holds its researchers. An operator's "
        "relink request travels here too, so the link agent applies it in order with the block's mentions."
    ),
)

RESEARCHER_AUTHORSHIPS = TopicSpec(
    name="researcher.authorships",
    key="arXiv id without version",
    value=Authorship,
    cleanup_policy="delete",
    producers=("worker: link",),
    consumers=("worker: assemble works",),
    why=(
        "Each linked author line with its confidence and evidence, keyed back by paper so that one "
        "partition sees every author of a paper and can hand each researcher its linked coauthors."
    ),
)

RESEARCHER_WORKS = TopicSpec(
    name="researcher.works",
    key="researcher id",
    value=WorkAssignment,
    cleanup_policy="delete",
    producers=("worker: assemble works",),
    consumers=("worker: profiles",),
    why="A paper assigned to one researcher with its linked coauthors; keyed by researcher for the profile table.",
)

RESEARCHER_PROFILES = TopicSpec(
    name="researcher.profiles",
    key="researcher id",
    value=ResearcherProfile,
    cleanup_policy="compact",
    producers=("worker: profiles",),
    consumers=("indexer: researchers (next)",),
    why="Entity state: the latest revision of every profile, with its trust snapshot. Compacted by id.",
)

RESEARCHER_PROFILE_WORKS = TopicSpec(
    name="researcher.profile.works",
    key="researcher id \\x1f arXiv id (partitioned by researcher id)",
    value=ProfileWork,
    cleanup_policy="compact",
    producers=("worker: profiles, signals (disowned works), merge moves (works moved to a survivor)",),
    consumers=("indexer: researcher works",),
    why=(
        "Entity state: every work of every researcher, each its own record, so a researcher's n-th work "
        "costs one record and the profile stays small (profile v3). A work that left the researcher is "
        "a record with `removed` set, which the indexer deletes."
    ),
)

TRUST_CHANGES = TopicSpec(
    name="researcher.trust.changes",
    key="researcher id",
    value=TrustChange,
    cleanup_policy="delete",
    config=_FOREVER,
    producers=("worker: profiles",),
    consumers=("audit",),
    why="Every change of a trust score: old, new, formula version, which component moved and why.",
)

RESEARCHER_SIGNALS = TopicSpec(
    name="researcher.signals",
    key="researcher id",
    value=ResearcherSignal,
    cleanup_policy="delete",
    config=_FOREVER,
    producers=("web app write path (accounts/write_path.py)", "operators (scholarstream signal)",
               "worker: signals (re-keyed to a merge's survivor), profiles (parked signals, once their profile exists)"),
    consumers=("worker: signals",),
    why=(
        "What users do (claim, verify, follow, affiliation, open to collaborate, merge_request, disown_work), "
        "keyed by researcher so a signal meets its profile's table partition. Kept forever: profiles are "
        "rebuilt by replaying it."
    ),
)

RESEARCHER_MERGES = TopicSpec(
    name="researcher.merges",
    key="retired researcher id",
    value=MergeEvent,
    cleanup_policy="delete",
    config=_FOREVER,
    producers=("worker: link (linking merges, a relink's splits)", "worker: signals (merge_request)",
               "worker: merges (re-addressed)"),
    consumers=("worker: merges",),
    why=(
        "Two researcher ids are one person (old id -> surviving id, the survivor being the smaller id). Keyed by "
        "the retired id so the event meets the profile it retires; kept forever as the audit of every merge. "
        "A relink's SplitEvent (one id was two people) is keyed by the id that loses works, for the same reasons."
    ),
)

RESEARCHER_MERGE_MOVES = TopicSpec(
    name="researcher.merge.moves",
    key="surviving researcher id (the retired id when bounced back)",
    value=MergeMove,
    cleanup_policy="delete",
    producers=("worker: merges", "worker: merge moves (passed on, bounced)"),
    consumers=("worker: merge moves",),
    why=(
        "The retired profile's content re-keyed to the survivor, whose partition folds it in with apply_merge; "
        "a survivor that cannot take it sends it back to the retired id, which is restored."
    ),
)

MERGES_DLQ = TopicSpec(
    name="researcher.merges.dlq",
    key="researcher id",
    value=DeadLetter,
    cleanup_policy="delete",
    config=_FOREVER,
    producers=("worker: merges", "worker: merge moves"),
    consumers=("operators (dlq list/retry)",),
    why=(
        "Merges that were refused (linking would retire a claimed profile, a claimant's merge with a profile "
        "claimed by someone else, two ORCID iDs), with the reason and the MergeEvent to retry."
    ),
    partitions=1,
)

MERGE_REVIEWS = TopicSpec(
    name="researcher.merges.review",
    key="review id (the merge request's signal id)",
    value=MergeReview,
    cleanup_policy="compact",
    producers=("worker: merges, merge moves (an account's request naming a profile it did not claim)",),
    consumers=("operators (scholarstream merges review)",),
    why=(
        "The operators' review queue: merge requests a person may not grant themselves. Derived from the "
        "signals, so a rebuild re-derives it; one partition, read whole by the command."
    ),
    partitions=1,
)

MERGE_DECISIONS = TopicSpec(
    name="researcher.merges.decisions",
    key="review id",
    value=ReviewDecision,
    cleanup_policy="compact",
    producers=("operators (scholarstream merges approve / reject)",),
    consumers=("operators (scholarstream merges review: what is still pending)",),
    why=(
        "What the operators decided on each review, kept apart from the derived queue so a rebuild keeps it. "
        "An approval also sends the merge as an operator's merge_request signal."
    ),
    partitions=1,
)

SIGNAL_VOIDS = TopicSpec(
    name="researcher.signals.voids",
    key="void id",
    value=SignalVoid,
    cleanup_policy="delete",
    config=_FOREVER,
    producers=("operators (scholarstream void-signals)",),
    consumers=("worker: signals (read whole at start-up and every `signal_voids_refresh_seconds`)",),
    why=(
        "Operators' rulings that a range of signals (a time window, narrowed by actor, principal or "
        "researcher) must not apply: the signals agent dead-letters what a void covers, so a rebuild "
        "re-derives the profiles without them. One partition: every worker reads all of it."
    ),
    partitions=1,
)

SIGNALS_DLQ = TopicSpec(
    name="researcher.signals.dlq",
    key="researcher id",
    value=DeadLetter,
    cleanup_policy="delete",
    config=_FOREVER,
    producers=("worker: signals",),
    consumers=("operators (dlq list/retry)",),
    why="Signals that could not apply (unknown researcher, a claim by someone else, malformed), with the reason.",
    partitions=1,
)

SIGNAL_OUTCOMES = TopicSpec(
    name="researcher.signals.outcomes",
    key="signal id",
    value=SignalOutcomeEvent,
    cleanup_policy="compact",
    producers=("worker: signals (applied, unchanged; refused with every dead letter of a signed signal)",),
    consumers=("indexer: signal-outcomes (the web app's GET /signals/{id})",),
    why=(
        "What became of each signal, so the person who sent it learns whether it applied and, if refused, why. "
        "Keyed and compacted by signal id: a signal handled again (a replay, a retried dead letter, a signal "
        "re-keyed to a merge's survivor or released from parking) leaves its last outcome. Derived from the "
        "signals, so a rebuild re-derives it."
    ),
)

LINK_DLQ = TopicSpec(
    name="researcher.link.dlq",
    key="the failed record's key",
    value=DeadLetter,
    cleanup_policy="delete",
    config=_FOREVER,
    producers=("worker: route mentions", "worker: link", "worker: assemble works", "worker: profiles"),
    consumers=("operators (dlq list/retry)",),
    why=(
        "Records of papers.enriched, researcher.mentions, researcher.authorships and researcher.works that "
        "could not be processed or whose output Kafka refused, with the reason, the source topic and the "
        "original payload; the rest of the batch goes on, and `dlq retry` sends each back to its source topic."
    ),
    partitions=1,
)

PIPELINE_GENERATIONS = TopicSpec(
    name="pipeline.generations",
    key="'current'",
    value=GenerationRecord,
    cleanup_policy="compact",
    producers=("rebuild",),
    consumers=("worker", "indexer", "run", "status (at start-up)"),
    why=(
        "Which generation of derived topics, groups and indices serves: `rebuild` builds a new one "
        "beside the live pipeline and records it here when it switches readers over."
    ),
    partitions=1,
)

TOPICS: tuple[TopicSpec, ...] = (
    PAPERS_RAW, PAPERS_DLQ, PAPERS_ENRICHED, ENRICH_DLQ, INDEX_DLQ, INGEST_CHECKPOINTS,
    RESEARCHER_MENTIONS, RESEARCHER_AUTHORSHIPS, RESEARCHER_WORKS, RESEARCHER_PROFILES, RESEARCHER_PROFILE_WORKS,
    TRUST_CHANGES,
    RESEARCHER_SIGNALS, SIGNAL_VOIDS, SIGNALS_DLQ, SIGNAL_OUTCOMES, RESEARCHER_MERGES, RESEARCHER_MERGE_MOVES, MERGES_DLQ,
    MERGE_REVIEWS, MERGE_DECISIONS, LINK_DLQ,
    PIPELINE_GENERATIONS,
)


def topic_by_name(name: str) -> TopicSpec:
    for spec in TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown topic {name!r}; known: {', '.join(spec.name for spec in TOPICS)}")
