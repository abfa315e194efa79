"""Search input is checked before Elasticsearch is asked anything."""

from __future__ import annotations

import pytest

from foundation.errors import SearchError
from foundation.settings import Settings
from indexers.search import MAX_QUERY_LENGTH, search_papers


class NeverCalled:
    def search(self, **_kwargs):
        raise AssertionError("Elasticsearch must not be queried for invalid input")


@pytest.mark.parametrize(
    ("query", "limit", "message"),
    [("   ", 10, "empty"), ("x" * (MAX_QUERY_LENGTH + 1), 10, "longer"), ("graphs", 0, "limit"), ("graphs", 101, "limit")],
)
def test_invalid_requests_are_refused(query, limit, message):
    with pytest.raises(SearchError, match=message):
        search_papers(NeverCalled(), Settings(_env_file=None), query, limit)
