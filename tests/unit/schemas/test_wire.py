"""`Frozen.wire`: records as the pipeline writes them, without the fields at their defaults, but
always with what a reader needs first (the version, the tags of unions), at every depth."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np

from schemas.linking_events import RELINK_PREFIX, Authorship, MentionEvent, RelinkRequest, is_relink
from schemas.papers import Author, EnrichedPaper, RawPaper
from schemas.profiles import (
    SPLIT_PREFIX,
    NameVariant,
    OrcidEvidence,
    ResearcherProfile,
    SplitEvent,
    Verification,
    VerificationLevel,
    is_split,
)
from stream_processors.linking_stage import link, route
from tests.factories import enriched_paper

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def paper() -> EnrichedPaper:
    raw = RawPaper(arxiv_id="1501.00001", version=1, title="Graph decompositions", abstract="We decompose graphs.",
                   categories=("cs.DS",), source="snapshot", submitted=datetime(2015, 1, 1, tzinfo=UTC),
                   authors=(Author(keyname="Theran", forenames="Louis"), Author(keyname="Lee", forenames="Audrey")))
    return enriched_paper(raw, np.linspace(-1, 1, 8, dtype=np.float32))


def profile(**fields) -> ResearcherProfile:
    base = dict(researcher_id="r-0123456789abcdef", display_name="Louis Theran",
                name_variants=(NameVariant(name="Louis Theran", works=1),))
    return ResearcherProfile(**{**base, **fields})


def test_records_read_back_equal_and_leave_out_fields_at_their_defaults():
    item = paper()
    mention = route(item)[0]
    _, authorship = link(None, mention)
    for record, model in ((item, EnrichedPaper), (mention, MentionEvent), (authorship, Authorship), (profile(), ResearcherProfile)):
        written = record.wire()
        assert model.model_validate_json(written) == record
        assert len(written) < len(record.model_dump_json())
    fields = json.loads(profile().wire())
    assert "followers" not in fields and "claimed" not in fields and "merged_into" not in fields


def test_the_version_is_written_at_its_default_in_the_record_and_in_the_records_it_holds():
    fields = json.loads(paper().wire())
    assert fields["schema_version"] == 4 and fields["paper"]["schema_version"] == 1
    assert list(fields)[0] == "schema_version"
    older = profile(schema_version=3)
    written = older.wire()
    assert written.count(b'"schema_version"') == 1 and json.loads(written)["schema_version"] == 3


def test_tags_are_written_first_so_a_record_is_told_apart_before_it_is_parsed():
    mention = route(paper())[0]
    request = RelinkRequest(relink_id="x-1", blocking_key=mention.mention.blocking_key, researcher_id="r-0123456789abcdef",
                            requested_by="ops", mentions=(mention,), at=NOW)
    written = request.wire()
    assert written.startswith(RELINK_PREFIX) and is_relink(written)
    assert json.loads(written)["mentions"][0]["schema_version"] == 4
    assert RelinkRequest.model_validate_json(written) == request
    split = SplitEvent(researcher_id="r-0123456789abcdef", split_to="r-fedcba9876543210", arxiv_ids=("1501.00001",),
                       relink_id="x-1", requested_by="ops", at=NOW)
    assert split.wire().startswith(SPLIT_PREFIX) and is_split(split.wire())
    assert SplitEvent.model_validate_json(split.wire()) == split


def test_a_tag_deep_inside_a_record_is_kept():
    """A verification's evidence is a union told apart by `method`, two records down in a profile."""
    granted = Verification(level=VerificationLevel.L3, evidence=OrcidEvidence(orcid="0000-0002-1825-0097"),
                           actor="user:louis", at=NOW, signal_id="v-1")
    verified = profile(verifications=(granted,), verification_level=VerificationLevel.L3)
    fields = json.loads(verified.wire())
    assert fields["verifications"][0]["evidence"]["method"] == "orcid"
    assert ResearcherProfile.model_validate_json(verified.wire()) == verified
