"""The decoded-profile cache: its budget comes from the setting, and it holds what the budget allows."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from foundation.settings import Settings
from stream_processors.agents.state import PROFILE_DECODED_PER_BYTE, profile_cache
from stream_processors.profiles import new_profile


def test_the_cache_decodes_a_stored_profile_once_and_keeps_only_what_its_budget_allows():
    stored = {f"r-{n}".encode(): new_profile(f"r-{n}", f"Person {n}").wire() for n in range(10)}
    one = PROFILE_DECODED_PER_BYTE * max(len(data) for data in stored.values())
    cache = profile_cache(3 * one)
    first = cache.get(b"r-0", stored[b"r-0"])
    assert first is not None and first.researcher_id == "r-0"
    assert cache.get(b"r-0", bytes(stored[b"r-0"])) is first, "equal bytes are the same revision: not decoded again"
    for key, data in stored.items():
        cache.get(key, data)
    assert len(cache) == 3 and cache.weight <= 3 * one
    assert cache.get(b"r-0", stored[b"r-0"]) is not first, "the oldest left the cache and is decoded again"


def test_the_budget_is_a_setting_in_mib(monkeypatch):
    assert Settings().profile_cache_mib == 96
    monkeypatch.setenv("SCHOLARSTREAM_PROFILE_CACHE_MIB", "192")
    assert Settings().profile_cache_mib == 192
    monkeypatch.setenv("SCHOLARSTREAM_PROFILE_CACHE_MIB", "0")
    with pytest.raises(ValidationError):
        Settings()
