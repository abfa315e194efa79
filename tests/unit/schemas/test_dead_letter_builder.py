from __future__ import annotations

from datetime import UTC, datetime

from schemas.dead_letters import MAX_DEAD_LETTER_PAYLOAD, dead_letter

NOW = datetime(2026, 1, 2, tzinfo=UTC)


def test_bytes_become_text_with_undecodable_bytes_replaced() -> None:
    letter = dead_letter(stage="link", reason="bad", source="t", key=b"k\xff", payload=b"{\xfe}", failed_at=NOW)
    assert letter.key == "k\ufffd" and letter.payload == "{\ufffd}"


def test_a_missing_key_stays_missing_and_an_object_payload_is_its_repr() -> None:
    letter = dead_letter(stage="profile", reason="bad", source=None, key=None, payload={"a": 1}, failed_at=NOW)
    assert letter.key is None and letter.payload == "{'a': 1}"


def test_an_oversized_payload_is_cut_and_the_cut_is_said_in_the_reason() -> None:
    letter = dead_letter(stage="enrich", reason="too big", source="t", key="k", payload="x" * (MAX_DEAD_LETTER_PAYLOAD + 5),
                         failed_at=NOW, field="abstract")
    assert len(letter.payload) == MAX_DEAD_LETTER_PAYLOAD and "truncated" in letter.reason and letter.field == "abstract"
