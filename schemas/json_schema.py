"""Export the event models as JSON Schema files, so non-Python consumers share the contract."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.checkpoints import HarvestCheckpoint
from schemas.dead_letters import DeadLetter
from schemas.linking_events import Authorship, MentionEvent, RelinkRequest, WorkAssignment
from schemas.merge_reviews import MergeReview, ReviewDecision
from schemas.papers import EnrichedPaper, RawPaper
from schemas.profiles import SIGNAL_MODELS, MergeEvent, MergeMove, ResearcherProfile, SplitEvent, TrustChange
from schemas.signal_outcomes import SignalOutcomeEvent
from schemas.signal_voids import SignalVoid

EXPORTED = {
    "raw_paper": RawPaper,
    "enriched_paper": EnrichedPaper,
    "dead_letter": DeadLetter,
    "harvest_checkpoint": HarvestCheckpoint,
    "researcher_profile": ResearcherProfile,
    "merge_event": MergeEvent,
    "split_event": SplitEvent,
    "relink_request": RelinkRequest,
    "merge_move": MergeMove,
    "trust_change": TrustChange,
    "mention_event": MentionEvent,
    "authorship": Authorship,
    "work_assignment": WorkAssignment,
    "signal_void": SignalVoid,
    "merge_review": MergeReview,
    "review_decision": ReviewDecision,
    "signal_outcome": SignalOutcomeEvent,
    # `researcher.signals` carries one of these, told apart by `kind`: one file per kind.
    **{f"researcher_signal_{model.model_fields['kind'].default}": model for model in SIGNAL_MODELS},
}
SCHEMA_DIR = Path(__file__).resolve().parent / "json"


def render() -> dict[str, str]:
    """File name -> JSON Schema text, deterministic so a test can compare it with the committed files."""
    return {
        f"{name}.v{model.model_fields['schema_version'].default}.json": json.dumps(
            model.model_json_schema(), indent=2, sort_keys=True
        )
        + "\n"
        for name, model in EXPORTED.items()
    }


def export(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render().items():
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written
