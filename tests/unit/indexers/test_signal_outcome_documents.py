"""Signal outcome documents: one per signal id, the mapping's fields exactly, and the record's
offset as the version, so the last outcome of a signal is the one that stands."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from foundation.errors import InvalidRecord
from indexers.indexer import signal_outcome_action, version_of
from indexers.mappings import SIGNAL_OUTCOMES
from schemas.signal_outcomes import SignalOutcomeEvent

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def test_the_document_is_the_outcome_keyed_by_signal_id_and_fits_the_strict_mapping():
    told = SignalOutcomeEvent(signal_id="web-1", researcher_id="r-ada", kind="claim", actor="acct-ada", outcome="refused",
                              reason="profile r-ada is already claimed by another account", at=NOW)
    doc_id, version, document = signal_outcome_action(told.model_dump_json().encode())
    assert (doc_id, version) == ("web-1", None)
    assert set(document) == set(SIGNAL_OUTCOMES.mappings["properties"])
    assert document["reason"] == told.reason and document["revision"] is None and document["at"] == "2026-02-01T12:00:00Z"


def test_a_malformed_outcome_is_an_invalid_record_for_the_dead_letters():
    with pytest.raises(InvalidRecord):
        signal_outcome_action(b'{"signal_id": "web-1"}')


def test_a_record_without_a_version_of_its_own_is_versioned_by_its_offset():
    assert version_of(None, 0) == 1 and version_of(None, 41) == 42
    assert version_of(7, 41) == 7, "a profile's revision, a paper's version stay theirs"
