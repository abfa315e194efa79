"""Regressions found by fault test 4 (hostile records): each made a bad record pass validation
or crash the ingest instead of becoming a dead letter."""

from __future__ import annotations

import json

import pytest

from foundation.errors import InvalidRecord
from producers.snapshot import record_key, snapshot_record_to_paper


def _record(**changes: object) -> str:
    base = {
        "id": "1006.5314", "title": "A title", "abstract": "An abstract.", "authors": "M. Lepers",
        "categories": "quant-ph", "versions": [{"version": "v1", "created": "Mon, 28 Jun 2010 11:03:36 GMT"}],
    }
    return json.dumps({**base, **changes}, ensure_ascii=False)


@pytest.mark.parametrize("arxiv_id", ["١٠٠٦.٥٣١٤", "１００６.５３１４", "cs/０１１２０１７"])
def test_ids_with_non_ascii_digits_are_invalid(arxiv_id: str) -> None:
    """`\\d` matches every script's digits unless the pattern is ASCII-only."""
    with pytest.raises(InvalidRecord, match="arxiv_id"):
        snapshot_record_to_paper(_record(id=arxiv_id))


def test_deeply_nested_json_is_a_dead_letter_not_a_crash() -> None:
    """json's C decoder raised RecursionError, which nothing caught."""
    line = '{"id": ' + "[" * 50_000
    with pytest.raises(InvalidRecord, match="not JSON: nested too deeply"):
        snapshot_record_to_paper(line)
    assert record_key(line) is None
