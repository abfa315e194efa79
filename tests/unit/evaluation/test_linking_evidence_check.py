"""The evidence check's pieces: the words a paper uses, two-hop coauthors, the shares reported,
the blocks clustered from pair log-odds."""

import numpy as np

from evaluation.linking_evidence_check import block_matrices, clustered, clustered_check, shares, two_hop, words


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


def _pairs(block: str, values: dict[tuple[int, int], float], split: str = "dev") -> list[dict]:
    return [{"block": block, "i": i, "j": j, "split": split} for i, j in values]


def test_clustered_joins_by_average_log_odds_and_never_across_a_pair_without_a_row():
    values = {(0, 1): 4.0, (0, 2): -3.0, (1, 2): -1.0}
    rows = _pairs("wang_w", values) + _pairs("li_j", {(0, 1): 2.0})
    log_odds = np.array([*values.values(), 2.0])
    keys = {"wang_w": ["a", "b", "c"], "li_j": ["d", "e", "f"]}
    matrices = block_matrices(rows, log_odds, keys)
    predicted = clustered(matrices, keys, threshold=0.0)
    assert predicted["a"] == predicted["b"] != predicted["c"]
    assert predicted["d"] == predicted["e"] != predicted["f"]  # f has no row with anyone: forbidden
    together = clustered(matrices, keys, threshold=-2.0)
    assert together["a"] == together["b"] == together["c"]  # mean of -3 and -1 is -2
    assert together["f"] != together["d"]
    assert len({predicted["a"], predicted["d"]}) == 2  # blocks never share a cluster


def test_clustered_check_reports_the_threshold_with_the_best_dev_f1():
    rows = _pairs("wang_w", {(0, 1): 0, (0, 2): 0, (1, 2): 0})
    log_odds = {"score": np.array([2.5, -0.5, -0.5])}
    keys = {"wang_w": ["a", "b", "c"]}
    truth = {"a": "p1", "b": "p1", "c": "p2"}
    split_of = {"a": "dev", "b": "dev", "c": "dev"}
    report = clustered_check(rows, log_odds, keys, truth, split_of)["score"]
    assert report["threshold_chosen_on_dev"] in {"+0.00", "+1.00", "+2.00"}  # a and b joined, c apart: F1 1
    assert report["dev"]["f1"] == 1.0
    assert report["by_threshold"]["-2.00"]["dev"]["f1"] < 1.0  # all three joined
