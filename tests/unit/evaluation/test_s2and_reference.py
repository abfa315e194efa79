"""S2AND's inputs from the pseudo-namesakes: exactly what the arXiv record gives, renamed mentions only."""

from datetime import UTC, datetime

import pytest

from evaluation import s2and_reference
from evaluation.namesakes import Group, NamesakeSet, RareAuthor, TargetName, rename_paper, silver_paper
from evaluation.s2and_reference import s2and_inputs
from foundation.errors import ScholarStreamError
from schemas.papers import Author, RawPaper

WEI_WANG = TargetName("Wang", "Wei")


def _paper(arxiv_id: str, day: int, authors: list[tuple[str, str, tuple[str, ...]]], journal_ref: str | None = None) -> RawPaper:
    return RawPaper(
        arxiv_id=arxiv_id, version=1, title=f"Paper {arxiv_id}", abstract=f"The abstract of {arxiv_id}.",
        authors=tuple(Author(keyname=k, forenames=f, affiliations=a) for k, f, a in authors),
        categories=("cs.LG",), submitted=datetime(2015, 3, day, tzinfo=UTC), journal_ref=journal_ref,
        doi="10.1/x", comments="9 pages", license="cc0", source="oai",
    )


RAW = [
    _paper("1503.00002", 2, [("Okafor", "Chidi", ()), ("Lindqvist", "Astrid Maria", ("KTH", "SciLifeLab"))],
           journal_ref="J. Tests 4 (2015) 1-9"),
    _paper("1503.00001", 1, [("Lindqvist", "Astrid Maria", ("KTH",)), ("Okafor", "Chidi", ("Lagos",)), ("Berg", "Ola", ())]),
    _paper("1503.00003", 3, [("Nakamura", "Haruto", ()), ("Okafor", "Chidi", ())]),
    _paper("1503.00009", 9, [("Unrelated", "Paper", ())]),
]
# Astrid Maria Lindqvist (two papers) and Haruto Nakamura (one) are both renamed to Wei Wang.
RENAMES = {"1503.00001": 0, "1503.00002": 1, "1503.00003": 0}
PERSON = {"1503.00001": "lindqvist|astrid maria", "1503.00002": "lindqvist|astrid maria", "1503.00003": "nakamura|haruto"}


def _names_set() -> NamesakeSet:
    by_id = {paper.arxiv_id: paper for paper in RAW}
    people = (RareAuthor("lindqvist|astrid maria", "lindqvist_a", (("1503.00001", 0), ("1503.00002", 1))),
              RareAuthor("nakamura|haruto", "nakamura_h", (("1503.00003", 0),)))
    papers = tuple(silver_paper(rename_paper(by_id[pid], position, WEI_WANG)) for pid, position in sorted(RENAMES.items()))
    return NamesakeSet(
        groups=(Group(WEI_WANG, 2, people),),
        papers=papers,
        truth={f"{pid}#{position}": PERSON[pid] for pid, position in RENAMES.items()},
        group_of={f"{pid}#{position}": WEI_WANG.key for pid, position in RENAMES.items()},
    )


@pytest.fixture(scope="module")
def inputs() -> dict:
    return s2and_inputs(_names_set(), RAW)


def test_only_renamed_mentions_become_signatures(inputs):
    """Coauthors are context for S2AND as for the linker: no signature of their own."""
    assert set(inputs["signatures"]) == {"1503.00001#0", "1503.00002#1", "1503.00003#0"}


def test_only_affected_papers_numbered_in_stream_order(inputs):
    """S2AND wants integer paper ids: 1, 2, ... in the set's stream order (submission date)."""
    assert sorted(inputs["papers"]) == ["1", "2", "3"]
    assert [inputs["signatures"][key]["paper_id"] for key in ("1503.00001#0", "1503.00002#1", "1503.00003#0")] == [1, 2, 3]
    assert all(int(number) == paper["paper_id"] for number, paper in inputs["papers"].items())


def test_signature_carries_the_renamed_name_position_block_and_affiliations(inputs):
    """The printed name is the target's, the affiliations the original author's, the block our blocking key."""
    info = inputs["signatures"]["1503.00002#1"]["author_info"]
    assert info == {"position": 1, "block": "wang_w", "first": "Wei", "middle": None, "last": "Wang",
                    "suffix": None, "email": None, "affiliations": ["KTH", "SciLifeLab"]}


def test_paper_author_list_in_order_with_the_renamed_line(inputs):
    """Coauthors come from the author list, so it must be the renamed one, in arXiv's order."""
    assert inputs["papers"]["1"]["authors"] == [
        {"position": 0, "author_name": "Wei Wang"},
        {"position": 1, "author_name": "Chidi Okafor"},
        {"position": 2, "author_name": "Ola Berg"},
    ]
    assert inputs["papers"]["2"]["authors"][1] == {"position": 1, "author_name": "Wei Wang"}
    assert "Lindqvist" not in str(inputs["papers"]) and "Nakamura" not in str(inputs["papers"])


def test_paper_fields_are_those_arxiv_gives(inputs):
    """Title, abstract, year and journal-ref as journal name; arXiv has no venue, references or emails."""
    paper = inputs["papers"]["2"]
    assert paper["title"] == "Paper 1503.00002"
    assert paper["abstract"] == "The abstract of 1503.00002."
    assert paper["year"] == 2015
    assert paper["journal_name"] == "J. Tests 4 (2015) 1-9"
    assert paper["venue"] is None and paper["references"] is None
    assert inputs["papers"]["1"]["journal_name"] is None


def test_forenames_split_into_first_and_middle():
    assert s2and_reference._split_forenames("John A.") == ("John", "A.")
    assert s2and_reference._split_forenames("Jean-Pierre") == ("Jean-Pierre", None)
    assert s2and_reference._split_forenames("") == (None, None)


def test_inputs_do_not_carry_the_truth(inputs):
    """S2AND must not see who is who: no original names, no person keys."""
    text = str(inputs)
    assert "lindqvist|" not in text and "nakamura|" not in text


def test_missing_venv_is_a_scholarstream_error(tmp_path):
    with pytest.raises(ScholarStreamError, match="no S2AND virtualenv"):
        s2and_reference.run_s2and({"papers": {}, "signatures": {}}, tmp_path / "absent")


def test_complete_venv_is_not_reinstalled(tmp_path):
    """The marker is written last; when it is there, nothing runs (no network, no subprocess)."""
    (tmp_path / s2and_reference.COMPLETE).write_text("s2and\n")
    assert s2and_reference.ensure_venv(tmp_path) == tmp_path


def test_name_parts_counted_per_author_line_over_harvest_and_daily_lists():
    """One count per author line, first given name and surname as the signatures carry them; the
    daily strings split into first word and last (a suffix dropped); a one-word name has no first."""
    papers = [
        _paper("1503.00001", 1, [("Wang", "Wei", ()), ("Lindqvist", "Astrid Maria", ())]),
        _paper("1503.00002", 2, [("Wang", "Wei A.", ()), ("Wang", "Jun", ())]),
    ]
    daily = [["Wei Wang", "Astrid Lindqvist"], ["Ana M. Silva Jr.", "Plato", "  "]]
    assert s2and_reference.count_name_parts(papers, daily) == {
        ("Wei", "Wang"): 3,
        ("Astrid", "Lindqvist"): 2,
        ("Jun", "Wang"): 1,
        ("Ana", "Silva"): 1,
        ("", "Plato"): 1,
    }


def test_arxiv_name_counts_rows_most_frequent_first_and_what_they_came_from():
    papers = [_paper("1503.00001", 1, [("Wang", "Wei", ()), ("Okafor", "Chidi", ())])]
    counts = s2and_reference.arxiv_name_counts(papers, [["Wei Wang"]])
    assert counts["rows"] == [["Wei", "Wang", 2], ["Chidi", "Okafor", 1]]
    assert {key: counts["built_from"][key] for key in ("oai_papers", "daily_papers", "author_lines")} == {
        "oai_papers": 1, "daily_papers": 1, "author_lines": 3}


def test_runner_builds_s2ands_four_tables_without_the_ones():
    """The runner's conversion (S2AND's key normalisation swapped for lower case, so it runs here):
    first, last, "first last", "last f"; entries of 1 left out, as in S2AND's name_counts.pickle."""
    from evaluation.s2and_runner import name_count_tables

    rows = [["Wei", "Wang", 3], ["Wen", "Wang", 1], ["Jun", "Wang", 1], ["Wei", "Zhang", 1], ["", "Plato", 2]]
    tables = name_count_tables(rows, key=lambda first, last: (first.lower(), last.lower()))
    assert tables == {
        "first_dict": {"wei": 4, "": 2},
        "last_dict": {"wang": 5, "plato": 2},
        "first_last_dict": {"wei wang": 3, "plato": 2},
        "last_first_initial_dict": {"wang w": 4, "plato": 2},
    }
