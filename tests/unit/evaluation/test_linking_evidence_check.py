"""The evidence check's pieces: the words a paper uses, two-hop coauthors, the shares reported."""

from evaluation.linking_evidence_check import shares, two_hop, words


def test_words_are_folded_long_and_without_fillers():
    used = words("Graphene Nanoribbons", "We propose a new method using M\u00fcller's ALGORITHM on graphene.")
    assert used == {"graphene", "nanoribbons", "muller", "algorithm"}


def test_two_hop_needs_a_shared_coauthor_or_a_path_through_one_neighbour():
    neighbours = {"smith_j": {"doe_a"}, "doe_a": {"smith_j"}}
    assert two_hop({"smith_j"}, {"doe_a"}, neighbours)
    assert two_hop({"lee_k"}, {"lee_k"}, neighbours)
    assert not two_hop({"lee_k"}, {"doe_a"}, neighbours)
    assert not two_hop(set(), {"doe_a"}, neighbours)


def test_shares_count_same_and_other_person_pairs_apart():
    rows = [
        {"same": True, "rare_words": 2, "idf": 25.0, "two_hop": True, "shared_coauthor": False},
        {"same": True, "rare_words": 0, "idf": 0.0, "two_hop": False, "shared_coauthor": False},
        {"same": False, "rare_words": 1, "idf": 12.0, "two_hop": True, "shared_coauthor": True},
        {"same": False, "rare_words": 0, "idf": 0.0, "two_hop": False, "shared_coauthor": False},
    ]
    report = shares(rows)
    assert (report["same_pairs"], report["other_pairs"]) == (2, 2)
    assert report["rare_words>=1"] == {"same": 0.5, "other": 0.5}
    assert report["rare_words>=2"] == {"same": 0.5, "other": 0.0}
    assert report["idf>=20"] == {"same": 0.5, "other": 0.0}
    assert report["two_hop_without_a_shared_coauthor"] == {"same": 0.5, "other": 0.0}
