"""Name keys: every way a person may type a name meets the keys the index stores for it."""

from __future__ import annotations

import pytest

from indexers.name_keys import WEIGHTS, index_keys, name_form, query_forms, query_keys


def best_match(query: str, printed: str, surname: str) -> float:
    """The weight of the most specific key the query shares with the researcher (0 if none)."""
    stored = set(index_keys([name_form(printed, surname)]))
    return max((weight for key, weight in query_keys(query).items() if key in stored), default=0.0)


@pytest.mark.parametrize(
    "query",
    ["Csaba Balázs", "Csaba Balazs", "csaba balazs", "Balazs Csaba", "Balázs, Csaba", "BALAZS, CSABA"],
)
def test_the_full_name_in_any_order_or_accent_is_an_exact_match(query):
    assert best_match(query, "Csaba Balázs", "Balázs") == WEIGHTS["x"]


@pytest.mark.parametrize("query", ["C. Balazs", "Balazs, C", "Balázs, C.", "C Balazs", "Balazs C"])
def test_initials_find_the_full_name_by_initial_keys(query):
    assert best_match(query, "Csaba Balázs", "Balázs") == WEIGHTS["a"]


def test_a_conflicting_first_name_shares_only_the_surname():
    assert best_match("Peter Balazs", "Csaba Balázs", "Balázs") == WEIGHTS["s"]


def test_multi_part_surname_with_initials_in_comma_form():
    """arXiv's own search returns nothing for this form; here it matches every initial."""
    assert best_match("de Bruyn Kops, S M", "S. M. de Bruyn Kops", "de Bruyn Kops") == WEIGHTS["a"]
    assert best_match("de Bruyn Kops, Steve", "Steve M. de Bruyn Kops", "de Bruyn Kops") == WEIGHTS["f"]
    assert best_match("de Bruyn Kops, S", "S. M. de Bruyn Kops", "de Bruyn Kops") == WEIGHTS["i"]
    assert best_match("Bruyn Kops", "S. M. de Bruyn Kops", "de Bruyn Kops") == WEIGHTS["s"]
    assert best_match("S. de Bruyn Kops", "Steve M. de Bruyn Kops", "de Bruyn Kops") == WEIGHTS["i"]


def test_particles_are_folded_into_the_surname_and_never_a_surname_alone():
    keys = index_keys([name_form("J. D. van der Waals", "van der Waals")])
    assert "s:vanderwaals" in keys and "s:waals" in keys
    assert "s:van" not in keys and "s:der" not in keys
    assert best_match("van der Waals, J", "J. D. van der Waals", "van der Waals") == WEIGHTS["i"]


def test_hyphenated_surnames_are_found_whole_and_by_either_half():
    assert best_match("Miró-Roig", "Ana M. Miró-Roig", "Miró-Roig") == WEIGHTS["s"]
    assert best_match("Roig", "Ana M. Miró-Roig", "Miró-Roig") == WEIGHTS["s"]
    assert best_match("Miro", "Ana M. Miró-Roig", "Miró-Roig") == WEIGHTS["s"]
    assert best_match("Ana Miro-Roig", "Ana M. Miró-Roig", "Miró-Roig") == WEIGHTS["f"]


def test_hyphenated_given_names_match_joined_spaced_and_initialled():
    assert best_match("Shangyung Wang", "Shang-Yung Wang", "Wang") == WEIGHTS["g"]
    assert best_match("S.-Y. Wang", "Shang-Yung Wang", "Wang") == WEIGHTS["a"]
    assert best_match("Shang Yung Wang", "Shang-Yung Wang", "Wang") == WEIGHTS["x"]


def test_collaborations_are_found_by_their_name_and_not_by_the_word_collaboration():
    keys = index_keys([name_form("ATLAS Collaboration", "ATLAS Collaboration")])
    assert "s:collaboration" not in keys
    assert best_match("ATLAS Collaboration", "ATLAS Collaboration", "ATLAS Collaboration") == WEIGHTS["x"]
    assert best_match("atlas", "ATLAS Collaboration", "ATLAS Collaboration") == WEIGHTS["s"]


def test_without_a_known_surname_the_last_word_is_the_surname():
    assert name_form("Louis Theran").surname == ("theran",)
    assert name_form("S. M. de Bruyn Kops", "de Bruyn Kops").given == ("s", "m")


def test_an_initialled_name_is_not_more_exact_for_its_own_printed_form():
    """'C. Balazs' may be Csaba or anyone else: the same key for both, so the prior decides."""
    assert best_match("C. Balazs", "C. Balazs", "Balazs") == best_match("C. Balazs", "Csaba Balazs", "Balazs")
    assert not any(key.startswith("x:") for key in index_keys([name_form("C. Balazs", "Balazs")]))


def test_a_single_letter_is_never_read_as_a_surname():
    assert all(len(word) > 1 for form in query_forms("C M Balazs") for word in form.surname)
    assert query_forms("A, B") == []


def test_queries_that_are_not_names_produce_bounded_keys():
    long_query = "graph decomposition algorithms for sparse matrices and more words"
    assert query_forms(long_query) == []
    words = long_query.split()
    assert set(query_keys(long_query)) == {f"x:{long_query}"} | {f"s:{w}" for w in words[:12] if len(w) > 1}


def test_a_surname_followed_by_topic_words_is_still_a_surname():
    assert best_match("Zirintsis Distributed, Parallel, and Cluster Computing", "Evangelos Zirintsis", "Zirintsis") == WEIGHTS["s"]
