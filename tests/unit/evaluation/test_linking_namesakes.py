"""Pseudo-namesakes: rare real authors renamed to one common name, the truth kept, the rest as published."""

from datetime import UTC, datetime

import pytest

from evaluation.namesakes import (
    MAX_GROUP,
    METHODS,
    MIN_GROUP,
    RareAuthor,
    TargetName,
    assign_groups,
    build_namesakes,
    common_names,
    draw_group_sizes,
    predictions,
    rare_authors,
    rename_paper,
    score,
    split_of_group,
)
from schemas.papers import Author, RawPaper
from stream_processors.enrich import author_mentions
from stream_processors.linking.linker import mention_key

WEI_WANG = TargetName("Wang", "Wei")


def _paper(arxiv_id, day, authors, categories=("cs.LG",)):
    return RawPaper(
        arxiv_id=arxiv_id, version=2, title=f"Paper {arxiv_id}", abstract="An abstract.",
        authors=tuple(Author(keyname=k, forenames=f, affiliations=tuple(a)) for k, f, *a in authors),
        categories=categories, submitted=datetime(2015, 1, day, tzinfo=UTC), updated=datetime(2015, 6, day, tzinfo=UTC),
        doi=f"10.1/{arxiv_id}", journal_ref="J. Tests 1", comments="5 pages", license="cc0", source="oai",
    )


def _surname(index: int) -> str:
    letters = "".join("bcdfghjklmnprstvz"[int(d)] for d in f"{index:03d}")
    return "Ko" + letters.lower()


def _corpus(people: int, papers_each: int = 3) -> list[RawPaper]:
    """`people` rare authors, each on `papers_each` papers of their own with one fixed coauthor."""
    papers = []
    for person in range(people):
        for n in range(papers_each):
            papers.append(_paper(f"15{person:02d}.{n:05d}", 1 + (person + n) % 28,
                                 [(_surname(person), "Annalena", "Uni A"), (f"Co{_surname(person)}", "Bertram")]))
    return papers


PAPERS = [
    _paper("1501.00001", 1, [("England", "Matthew", "Univ. Bath"), ("Davenport", "James H.")], ("cs.SC", "math.AG")),
    _paper("1501.00002", 2, [("Davenport", "James H."), ("England", "Matthew", "Coventry")]),
    _paper("1501.00003", 3, [("England", "Matthew"), ("Davenport", "James H.")]),
    _paper("1501.00004", 4, [("Lovelace", "Ada"), ("Smith", "John")]),
    _paper("1501.00005", 5, [("Lovelace", "Ada"), ("Smith", "J.")]),
    _paper("1501.00006", 6, [("Lovelace", "Ada"), ("Turing", "Alan"), ("Smith", "John")]),
    _paper("1501.00007", 7, [("Turing", "Alan"), ("Knuth", "D. E.")]),
    _paper("1501.00008", 8, [("Knuth", "D. E.")]),
    _paper("1501.00009", 9, [("Knuth", "D. E."), ("Hopper", "Grace")]),
    _paper("1501.00010", 10, [("Hopper", "Grace"), ("Wang", "Wen")]),  # an author of the target block
    _paper("1501.00011", 11, [("Hopper", "Grace")]),
]


def test_rare_authors_are_full_names_on_three_papers_alone_in_their_block():
    rare = {author.name: author for author in rare_authors(PAPERS)}
    assert set(rare) == {"england|matthew", "lovelace|ada", "davenport|james h", "hopper|grace"}
    # "John Smith" shares smith_j with "J. Smith"; "Alan Turing" has two papers; "D. E. Knuth" is initials only
    assert rare["england|matthew"].lines == (("1501.00001", 0), ("1501.00002", 1), ("1501.00003", 0))
    assert rare["england|matthew"].block == "england_m"
    twice = [*PAPERS, _paper("1501.00012", 12, [("Lovelace", "Ada"), ("Lovelace", "Ada")])]
    assert "lovelace|ada" not in {author.name for author in rare_authors(twice)}, "a name printed twice on one paper"


def test_renaming_changes_the_name_of_one_author_line_and_nothing_else():
    paper = PAPERS[1]
    renamed = rename_paper(paper, 1, WEI_WANG)
    before, after = paper.model_dump(), renamed.model_dump()
    assert after["authors"][1] == {"keyname": "Wang", "forenames": "Wei", "suffix": "", "affiliations": ("Coventry",)}
    after["authors"] = (after["authors"][0], before["authors"][1])
    assert after == before, "every other author, affiliation, category, date and field as published"
    assert paper.authors[1].keyname == "England", "the input is not mutated"


def test_the_truth_of_a_renamed_mention_is_the_original_author():
    namesakes = build_namesakes(PAPERS, [WEI_WANG])
    (group,) = namesakes.groups
    people = {person.name for person in group.people}
    assert "hopper|grace" not in people, "a paper of Grace Hopper already prints a Wang W."
    assert people <= {"england|matthew", "lovelace|ada", "davenport|james h"}
    assert not {"england|matthew", "davenport|james h"} <= people, "two renamed authors never share a paper"
    originals = {paper.arxiv_id: author_mentions(paper) for paper in PAPERS}
    assert set(namesakes.group_of.values()) == {WEI_WANG.key}
    for paper in namesakes.papers:
        renamed = [m for m in paper.mentions if (m.keyname, m.forenames) == ("Wang", "Wei")]
        assert len(renamed) == 1
        key = mention_key(paper.paper_id, renamed[0].position)
        original = originals[paper.paper_id][renamed[0].position]
        assert namesakes.truth[key] == f"{original.keyname.lower()}|{original.forenames.lower()}"
        assert renamed[0].blocking_key == "wang_w" and renamed[0].affiliations == original.affiliations
        others = [(m.position, m.keyname, m.forenames, m.affiliations) for m in paper.mentions if m is not renamed[0]]
        assert others == [(m.position, m.keyname, m.forenames, m.affiliations)
                          for m in originals[paper.paper_id] if m.position != renamed[0].position]
    assert len(namesakes.truth) == sum(len(person.lines) for person in group.people)
    assert [p.submitted for p in namesakes.papers] == sorted(p.submitted for p in namesakes.papers)


def test_group_sizes_are_heavy_tailed_within_two_to_fifty_and_fixed_by_the_seed():
    sizes = draw_group_sizes(2000, seed=7)
    assert min(sizes) >= MIN_GROUP and max(sizes) <= MAX_GROUP
    assert sizes == draw_group_sizes(2000, seed=7)
    assert sizes != draw_group_sizes(2000, seed=8)
    assert sizes.count(2) > sizes.count(10) > sizes.count(50)
    assert any(size >= 16 for size in sizes)


def test_groups_are_dealt_deterministically_and_no_paper_is_dealt_twice():
    authors = rare_authors(_corpus(30))
    targets = [TargetName("Wang", "Wei"), TargetName("Li", "Na"), TargetName("Chen", "Hao")]
    groups = assign_groups(authors, targets, [5, 2, 40], {}, seed=3)
    assert [len(group.people) for group in groups] == [5, 2, 23], "the last name gets what is left"
    assert groups == assign_groups(authors, targets, [5, 2, 40], {}, seed=3)
    assert groups != assign_groups(authors, targets, [5, 2, 40], {}, seed=4)
    papers = [paper for group in groups for person in group.people for paper in person.papers]
    assert len(papers) == len(set(papers))
    crowded = assign_groups([RareAuthor("x|anna", "x_a", (("p1", 0),))], targets[:1], [2], {"wang_w": frozenset({"p1"})})
    assert crowded[0].people == ()


def test_the_split_is_by_name_group_and_no_group_is_on_both_sides():
    targets = [TargetName(surname, given) for surname in ("Wang", "Li", "Chen", "Zhang") for given in ("Wei", "Na", "Hao")]
    namesakes = build_namesakes(_corpus(60), targets, seed=11)
    report = score(namesakes, predictions(namesakes))
    sides = {split: {namesakes.group_of[key] for key in namesakes.truth if split_of_group(namesakes.group_of[key]) == split}
             for split in ("dev", "held_out")}
    assert sides["dev"] and sides["held_out"] and not sides["dev"] & sides["held_out"]
    assert report["dev"]["groups"] + report["held_out"]["groups"] == report["all"]["groups"]
    assert report["dev"]["mentions"] + report["held_out"]["mentions"] == report["all"]["mentions"] == len(namesakes.truth)
    assert split_of_group("wang|wei") == split_of_group("wang|wei")


def test_only_renamed_mentions_are_scored_and_exact_name_joins_every_namesake():
    targets = [TargetName("Wang", "Wei"), TargetName("Liu", "Yang")]
    namesakes = build_namesakes(_corpus(60), targets, seed=11)
    assert [len(group.people) for group in namesakes.groups] == [3, 2]
    predicted = predictions(namesakes)
    assert set(predicted) == set(METHODS)
    assert all(set(clusters) == set(namesakes.truth) for clusters in predicted.values())
    report = score(namesakes, predicted, splits=("all",))["all"]
    exact = report["exact_full_name"]["b_cubed"]
    assert exact["recall"] == 1.0 and exact["precision"] < 0.5
    assert report["linker"]["b_cubed"]["recall"] > 0
    buckets = report["by_group_size"]
    assert sum(bucket["mentions"] for bucket in buckets.values()) == report["mentions"]
    assert sum(bucket["groups"] for bucket in buckets.values()) == report["groups"] == 2


def test_target_names_are_frequent_short_given_names_of_common_surnames():
    lists = [["Wei Wang", "Radu Timofte"], ["Wei Wang", "Radu Timofte", "Na Li"], ["Radu Timofte", "Na Li", "Hao Chen Li"],
             ["Wei Wang", "Wei Wang"], ["Jianxiong Wang"], ["Na Wang"], ["Bo Li"], ["Jun Li"]]
    names = common_names(lists, count=5, min_surname_forms=3)
    assert [name.key for name in names] == ["wang|wei", "li|na", "li|bo", "li|jun", "wang|na"]
    assert common_names(lists, count=1, min_surname_forms=1) == (TargetName("Timofte", "Radu"),)


@pytest.mark.parametrize("size", [1, 51])
def test_a_size_outside_the_buckets_is_an_error(size):
    from evaluation.namesakes import size_bucket

    with pytest.raises(ValueError):
        size_bucket(size)
