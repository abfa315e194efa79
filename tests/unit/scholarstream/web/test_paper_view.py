"""The paper page's authors are linked to the paper's researchers by name, then by a surname only
one of them has; researchers no printed name matched are still shown."""

from __future__ import annotations

from scholarstream.web.paper_view import paper_view

PAPER = {
    "arxiv_id": "1006.5314", "version": 2, "title": "Photoassociation", "abstract": "An abstract.",
    "authors": ["M. Lepers", "O. Dulieu", "V. Kokoouline", "A. Nobody"], "categories": ["quant-ph"],
    "submitted": "2010-06-28T11:03:36+00:00", "topics": [{"code": "quant-ph", "name": "Quantum Physics", "score": 1.0},
                                                        {"code": "q2", "name": "Quantum Physics", "score": 0.5}],
    "keyphrases": ["cold atoms"],
}


def test_authors_link_by_name_then_by_unique_surname_and_the_rest_are_listed() -> None:
    view = paper_view(PAPER, [
        {"researcher_id": "r-1", "display_name": "M. Lepers"},
        {"researcher_id": "r-2", "display_name": "Olivier Dulieu"},
        {"researcher_id": "r-3", "display_name": "Someone Else"},
    ])
    assert [(a.label, a.href) for a in view.authors] == [
        ("M. Lepers", "/researchers/r-1"), ("O. Dulieu", "/researchers/r-2"), ("V. Kokoouline", ""), ("A. Nobody", ""),
    ]
    assert [r.href for r in view.other_researchers] == ["/researchers/r-3"]
    assert view.topics == ["Quantum Physics"] and view.keyphrases == ["cold atoms"]
    assert view.facts[:2] == ["Version v2", "submitted 2010-06-28"] and view.href == "https://arxiv.org/abs/1006.5314"
