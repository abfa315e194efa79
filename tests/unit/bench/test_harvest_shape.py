"""bench.harvest_shape: returning author lines and what they bring, window by window."""

from __future__ import annotations

from datetime import UTC, datetime

from bench.harvest_shape import printed_name, window_shapes
from schemas.papers import Author, RawPaper


def paper(number: int, *names: tuple[str, str]) -> RawPaper:
    return RawPaper(arxiv_id=f"1601.{number:05d}", version=1, title=f"Paper {number}", abstract="", categories=("cs.DL",),
                    source="snapshot", submitted=datetime(2016, 1, 1, tzinfo=UTC),
                    authors=tuple(Author(keyname=k, forenames=f) for k, f in names))


def test_a_name_printed_with_accents_or_case_is_the_same_name():
    assert printed_name(" Müller", "JÖRG ") == printed_name("Muller", "jorg") == ("muller", "jorg")


def test_each_window_counts_the_lines_whose_name_came_before_and_how_often():
    papers = [
        paper(1, ("Wang", "Wei"), ("Smith", "Ann")),
        paper(2, ("Wang", "Wei")),             # returning: 1 earlier paper
        paper(3, ("Wang", "Wei"), ("Doe", "J")),  # returning (2 earlier), new
        paper(4, ("Smith", "Ann")),            # returning (1 earlier)
    ]
    first, second = window_shapes(papers, [2, 2])
    assert first == {"window": 1, "records": "1-2", "author_lines_per_paper": 1.5, "returning_share": round(1 / 3, 3),
                     "earlier_papers_of_the_name": round(1 / 3, 2)}
    assert second["records"] == "3-4" and second["author_lines_per_paper"] == 1.5
    assert second["returning_share"] == round(2 / 3, 3) and second["earlier_papers_of_the_name"] == 1.0
