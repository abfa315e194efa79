"""The arXiv silver pairs: which mention pairs are known to be one person, which two, and how they score."""

import re

import pytest

from evaluation.arxiv_silver import (
    SilverPair,
    SilverPaper,
    build_silver,
    evaluate_silver,
    pair_scores,
    read_oai_papers,
    shared_coauthors_by_name,
    stream_order,
)
from foundation.errors import ScholarStreamError
from schemas.names import blocking_key
from stream_processors.linking.linker import Mention


def _paper(paper_id, submitted, authors, categories=("cs.SC",)):
    mentions = tuple(
        Mention(position, keyname, forenames, (), blocking_key(keyname, forenames))
        for position, (keyname, forenames) in enumerate(authors)
    )
    return SilverPaper(paper_id, submitted, int(submitted[:4]), categories, mentions)


PAPERS = [
    _paper("p1", "2013-01-01", [("England", "Matthew"), ("Davenport", "James H."), ("Bradford", "Russell")]),
    _paper("p2", "2014-01-01", [("England", "M."), ("Davenport", "J. H."), ("Bradford", "R."), ("Wilson", "D.")]),
    _paper("p3", "2014-06-01", [("England", "Mark"), ("Smith", "Adam")]),
    _paper("p4", "2015-01-01", [("England", "M."), ("Smith", "A."), ("Jones", "B.")]),
    _paper("p5", "2015-02-01", [("England", "M."), ("Davenport", "J."), ("Brown", "C.")]),  # one shared coauthor only
]


def _pairs(papers=PAPERS):
    return {(p.a, p.b): p for p in build_silver(papers).pairs}


def test_coauthors_are_shared_by_compatible_names_and_counted_once():
    mine = (Mention(0, "Davenport", "J. H."), Mention(1, "Bradford", "R."), Mention(2, "Bradford", "R."))
    theirs = (Mention(0, "Davenport", "James H."), Mention(1, "Bradford", "Russell"), Mention(2, "Wilson", "D."))
    assert shared_coauthors_by_name(mine, theirs) == (2, 0)
    assert shared_coauthors_by_name(theirs[:2], theirs[:2]) == (2, 2)
    assert shared_coauthors_by_name((Mention(0, "Davenport", "Jane"),), theirs) == (0, 0)


def test_initials_next_to_the_same_two_coauthors_are_the_full_name():
    pairs = _pairs()
    positive = pairs[("p2#0", "p1#0")]
    assert positive.same and positive.kind == "initialled-full" and positive.block == "england_m"
    assert not positive.strict  # the coauthors match by compatible names, not identical ones
    assert ("p5#0", "p1#0") not in pairs, "one shared coauthor is not enough"
    assert ("p4#0", "p1#0") not in pairs  # no shared coauthors with Matthew


def test_an_incompatible_full_name_is_a_negative_for_the_tied_initials():
    pairs = _pairs()
    negative = pairs[("p2#0", "p3#0")]  # "M. England" is Matthew; "Mark England" is someone else
    assert not negative.same and negative.kind == "initialled-other"
    assert pairs[("p1#0", "p3#0")].kind == "full-full"
    again = _pairs(PAPERS + [_paper("p7", "2016-01-01", [("England", "Mark"), ("Doe", "Jane")])])
    assert [key for key, pair in again.items() if pair.kind == "full-full"] == [("p1#0", "p3#0")], \
        "one mention per name form"
    assert ("p4#0", "p3#0") not in pairs, "an initialled line with no ties has no known identity"


def test_initials_tied_to_two_incompatible_names_are_dropped():
    papers = PAPERS + [_paper("p6", "2015-03-01", [("England", "Mark"), ("Davenport", "J. H."), ("Bradford", "R.")])]
    pairs = _pairs(papers)
    assert not any("p2#0" in (pair.a, pair.b) for pair in pairs.values())


def test_pair_scores_count_recall_negatives_apart_and_pooled_precision():
    pairs = [SilverPair("a", "b", True, "initialled-full", "x_a", strict=True),
             SilverPair("a", "c", True, "initialled-full", "x_a"),
             SilverPair("a", "d", False, "initialled-other", "x_a"),
             SilverPair("b", "d", False, "full-full", "x_a")]
    clusters = {"a": 1, "b": 1, "c": 2, "d": 1}
    report = pair_scores(pairs, lambda pair: clusters[pair.a] == clusters[pair.b])
    assert (report["positives"], report["negatives"]) == (2, 1), "full-full pairs are not pooled"
    assert report["recall"] == 0.5 and report["recall_strict"] == 1.0
    assert report["negatives_apart"] == 0.0
    assert report["precision"] == 0.5
    assert report["initialled-other"] == {"pairs": 1, "linked": 1.0}
    assert report["full-full"] == {"pairs": 1, "linked": 1.0}


def test_the_linker_uses_coauthors_to_join_initials_and_keeps_others_apart():
    report = evaluate_silver(build_silver(PAPERS))
    linker, exact, block = (report["all"][m] for m in ("linker", "exact_full_name", "surname_first_initial"))
    assert linker["recall"] == 1.0 and linker["negatives_apart"] == 1.0
    assert exact["recall"] == 0.0 and block["negatives_apart"] == 0.0
    assert report["all"]["linker_without_coauthors"]["positives"] == linker["positives"]


def test_real_oai_pages_become_papers_in_stream_order_with_the_pipelines_blocking_keys(fixtures):
    papers = stream_order(read_oai_papers(fixtures / "oai"))
    assert len(papers) > 1000
    assert [(p.submitted, p.paper_id) for p in papers] == sorted((p.submitted, p.paper_id) for p in papers)
    mentions = [m for p in papers for m in p.mentions]
    assert all(m.blocking_key == blocking_key(m.keyname, m.forenames) for m in mentions if m.forenames)
    assert all([m.position for m in p.mentions] == list(range(len(p.mentions))) for p in papers)
    silver = build_silver(papers)
    assert {pair.kind for pair in silver.pairs} == {"initialled-full", "initialled-initialled", "initialled-other", "full-full"}
    keys = {f"{p.paper_id}#{m.position}": m.blocking_key for p in papers for m in p.mentions}
    assert all(keys[pair.a] == keys[pair.b] == pair.block for pair in silver.pairs)
    report = evaluate_silver(silver)["all"]
    assert report["exact_full_name"]["initialled-full"]["linked"] == 0.0, "an initialled and a full form never match exactly"
    assert report["linker"]["recall"] > report["linker_without_coauthors"]["recall"]


def test_an_empty_data_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ScholarStreamError, match="no OAI pages"):
        list(read_oai_papers(tmp_path))


def test_the_silver_table_shows_every_method_of_every_split():
    from rich.console import Console

    from evaluation.linking import SILVER_METHODS, silver_table

    report = evaluate_silver(build_silver(PAPERS), split_of=lambda _block: "dev", splits=("held_out", "dev", "all"))
    console = Console(record=True, width=200)
    console.print(silver_table({"tiny": report}))
    text = console.export_text()
    for method in SILVER_METHODS:
        assert len(re.findall(rf"│ {method} +│", text)) == 3, method
    assert f"{report['dev']['linker']['recall']:.3f}" in text
