"""Regression: one record too big for a Kafka record made its dead letter fail, and with it the
whole ingest (`Publisher.close()` raises when any send was refused). Found by fault test 4."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.dead_letters import MAX_DEAD_LETTER_PAYLOAD, DeadLetter, cap_dead_letter


def test_an_oversized_payload_is_cut_and_the_cut_is_stated_in_the_reason() -> None:
    reason, payload = cap_dead_letter("abstract: String should have at most 20000 characters", "big " * 400_000)
    assert payload == ("big " * 400_000)[:MAX_DEAD_LETTER_PAYLOAD]
    assert reason.startswith("abstract: String should have at most 20000 characters")
    assert "payload truncated from 1,600,000 to 131,072 characters" in reason


def test_the_capped_letter_fits_in_one_kafka_record_even_when_fully_escaped() -> None:
    reason, payload = cap_dead_letter("x" * 20_000, "\x01" * 2_000_000)
    letter = DeadLetter(stage="ingest", reason=reason, payload=payload, failed_at=datetime.now(UTC))
    assert len(letter.model_dump_json().encode()) < 1_000_000
    assert len(reason) <= 10_000 and reason.endswith("characters)")


def test_small_letters_are_left_alone() -> None:
    assert cap_dead_letter("not JSON", '{"id": ') == ("not JSON", '{"id": ')
