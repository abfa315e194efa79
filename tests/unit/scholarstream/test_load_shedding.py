"""The in-flight counter behind the API's load shedding."""

from __future__ import annotations

import pytest

from foundation.errors import SearchError
from indexers.researcher_search import MAX_SEMANTIC_WINDOW, ResearcherQuery
from scholarstream.load_shedding import InFlight


def test_past_the_limit_a_request_is_shed_until_one_leaves():
    gate = InFlight(2)
    assert gate.try_enter() and gate.try_enter()
    assert not gate.try_enter() and gate.shed == 1
    gate.leave()
    assert gate.try_enter() and gate.running == 2


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_semantic_and_hybrid_windows_are_capped(mode):
    deep = ResearcherQuery("graph varieties", page=MAX_SEMANTIC_WINDOW // 50 + 1, size=50, mode=mode)
    with pytest.raises(SearchError, match=f"serves the first {MAX_SEMANTIC_WINDOW}"):
        deep.validated()
    assert ResearcherQuery("graph varieties", page=MAX_SEMANTIC_WINDOW // 50 + 1, size=50).validated()
