"""evaluation.collaborator_bound: the shown close collaborators under a bound against the exact ones."""

from __future__ import annotations

from evaluation.collaborator_bound import Paper, Tally, evaluate, most_prolific, works_of
from schemas.profiles import Collaborator


def paper(number: int, *authors: str) -> Paper:
    return Paper(f"1601.{number:05d}", f"Paper {number}", "cs.DL", tuple(authors))


def test_the_most_prolific_come_first_with_their_papers_in_order():
    papers = [paper(1, "a", "b"), paper(2, "b", "c"), paper(3, "b", "a"), paper(4, "c")]
    chosen = most_prolific(papers, 2)
    assert list(chosen) == ["b", "a"]
    assert [p.arxiv_id for p in chosen["a"]] == ["1601.00001", "1601.00003"]


def test_a_large_collaboration_counts_as_a_work_without_coauthors():
    big = paper(9, "me", *(f"p{n}" for n in range(30)))
    small = paper(8, "me", "x", "x")
    assert works_of("me", [big])[0].coauthors == () and works_of("me", [big])[0].author_count == 31
    assert [c.display_name for c in works_of("me", [small])[0].coauthors] == ["x"]


def test_a_frequent_coauthor_pushed_out_at_a_tight_bound_is_missing_from_then_on():
    # Ids are hashes of the names: "ac" and "ad" sort before "often", which sorts before "aa" and
    # "ab". With a bound of 2, "often" (1 shared work) is pushed out by "ac" and "ad" (1 each, smaller
    # ids), and every time it comes back it counts one again and is pushed out again.
    papers = [paper(1, "me", "often"), paper(2, "me", "aa", "ab"), paper(3, "me", "ac", "ad"),
              paper(4, "me", "often"), paper(5, "me", "often")]
    result = evaluate({"me": papers}, [2, 100])
    tight, loose = result["by_bound"]["2"], result["by_bound"]["100"]
    assert loose["right"] == 1.0 and loose["final_right"] == 1 and loose["missing"] == 0.0
    assert tight["final_right"] == 0 and tight["missing"] == 0.4  # revisions 4 and 5 of 5
    assert result["names"]["me"]["distinct_coauthors"] == 5


def test_a_shown_count_below_the_true_one_is_a_wrong_number_and_a_tie_is_only_a_name():
    def c(rid: str, n: int) -> Collaborator:
        return Collaborator(researcher_id=rid, display_name=rid, shared_works=n)

    tally = Tally()
    tally.add([c("r-a", 1)], [c("r-a", 3)], {"r-a": 3}, last=False)
    tally.add([c("r-b", 2)], [c("r-a", 2)], {"r-a": 2, "r-b": 2}, last=True)
    row = tally.summary(1)
    assert row["wrong_number"] == 0.5 and row["same_counts"] == 0.5 and row["right"] == 0.0 and row["missing"] == 0.0
    assert row["final_same_counts"] == 1 and row["final_right"] == 0
