"""Normalisation shared by every producer, on strings taken from real arXiv records."""

from __future__ import annotations

import random
import re
import sys
from datetime import UTC, datetime

import pytest

from producers.normalise import (
    _split_math,
    clean_tex,
    clean_tex_keeping_raw,
    clean_text,
    is_collaboration,
    make_author,
    split_arxiv_id,
    utc_date,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("oai:arXiv.org:cs/0112017", ("cs/0112017", None)),
        ("cs/0112017v3", ("cs/0112017", 3)),
        ("math.AG/0301001", ("math.AG/0301001", None)),
        ("arXiv:1501.00001v12", ("1501.00001", 12)),
        ("0704.0002", ("0704.0002", None)),
    ],
)
def test_split_arxiv_id(text, expected):
    """Old- and new-style ids lose prefixes and version, keep the archive."""
    assert split_arxiv_id(text) == expected


def test_utc_date_is_midnight_utc():
    assert utc_date("2007-03-30") == datetime(2007, 3, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Robertson-Sp\\\"arck\n  Jones", "Robertson-Spärck Jones"),
        ("d\\'ecisionnel \\`a entrep\\^ots", "décisionnel à entrepôts"),
        ("Erd\\H{o}s and \\c{C}etin and {\\'e}t\\'e", "Erdős and Çetin and été"),
        ("Ka{\u00e2}niche", "Kaâniche"),
        ("{B}ayesian \\emph{networks}", "Bayesian networks"),
        ("the $(k,\\ell)$-pebble game", "the $(k,\\ell)$-pebble game"),
        ("Control -- Making the Case", "Control – Making the Case"),
        ("50\\% of R\\&D", "50% of R&D"),
        ("see \\cite{x}", "see \\cite{x}"),
    ],
)
def test_clean_tex(raw, clean):
    """Accents to Unicode, braces and style commands dropped, math and unknown commands kept."""
    assert clean_tex(raw) == clean
    assert clean_tex(clean) == clean  # idempotent


def test_clean_tex_special_letters_in_names():
    """'Hj\\orungnes' as typed on arXiv is Hjørungnes; {\\o} and \\L work anywhere."""
    assert clean_tex("Hj\\orungnes", in_name=True) == "Hjørungnes"
    assert clean_tex("{\\o}ystein \\L ukasz") == "øystein Łukasz"


def test_raw_kept_only_when_tex_changed_it():
    assert clean_tex_keeping_raw("plain\n  title")[1] is None
    assert clean_tex_keeping_raw("Kekul\\'e Cells")[1] == "Kekul\\'e Cells"


def test_clean_tex_keeping_raw_on_plain_and_tex_text():
    """Plain text is only whitespace-cleaned and keeps no raw copy; TeX keeps its verbatim text."""
    assert clean_tex_keeping_raw("Graph\n   decomposition ") == ("Graph decomposition", None)
    assert clean_tex_keeping_raw("{B}ayesian\n nets") == ("Bayesian nets", "{B}ayesian\n nets")
    assert clean_tex_keeping_raw("$O(n)$ time") == ("$O(n)$ time", None)  # math is kept as written


def test_clean_text_collapses_every_unicode_whitespace():
    """Every character Python counts as whitespace (no-break space, thin space, ideographic space,
    NEL, line separator ...) separates words, as arXiv's wrapped and pasted text needs; control
    characters that are also whitespace (vertical tab, form feed, \\x1c-\\x1f) are dropped like
    every other control character, not read as spaces."""
    controls = "\x0b\x0c\x1c\x1d\x1e\x1f"
    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace() and chr(c) not in controls)
    assert len(spaces) == 23  # tab, newline, carriage return, space, NEL, no-break space ... ideographic space
    assert clean_text(f"{spaces}Graph{spaces}decomposition\n\t {spaces}") == "Graph decomposition"
    for space in spaces:
        assert clean_text(f"a{space}b") == "a b", hex(ord(space))
    assert clean_text("a\x0bb\x0cc\x1cd\x1fe\x00f\x7fg") == "abcdefg"
    assert clean_text(" \r\n ") == ""


def test_collaborations_kept_as_such():
    """A collaboration is one keyname, never split into a person's parts."""
    assert make_author("ATLAS Collaboration") .keyname == "ATLAS Collaboration"
    rejoined = make_author("Collaboration", "for the USQCD")
    assert (rejoined.keyname, rejoined.forenames) == ("USQCD Collaboration", "")
    assert is_collaboration("The LIGO Scientific Collaboration")


def test_person_named_like_a_word_stays_a_person():
    assert (make_author("Team", "Ilya").keyname, make_author("Team", "Ilya").forenames) == ("Team", "Ilya")


def test_affiliations_cleaned_and_deduplicated():
    author = make_author("Alata", "Eric", affiliations=(" LAAS ", "LAAS", "", "Universit\\'e de Toulouse"))
    assert author.affiliations == ("LAAS", "Université de Toulouse")


def test_regression_control_characters_from_real_records_are_dropped():
    """Pins the 12 of 102,538 cs records dead-lettered by the first full harvest: arXiv text such as
    1007.4011 carries byte 0x7F (TeX OT1's dieresis accent) and the contract refuses control characters."""
    assert clean_tex("Kratsch and Wahlstr\x7fom answered") == "Kratsch and Wahlström answered"
    assert clean_tex('Nonlinear Schr\x7f\\"odinger Equation') == "Nonlinear Schrödinger Equation"
    assert clean_tex("a\x08b\x1bc") == "abc"


# The math split as one regex, as it was: the reference `_split_math` must agree with, on any text.
REFERENCE_MATH = re.compile(r"(\$\$.+?\$\$|\$.+?\$|\\\(.+?\\\)|\\\[.+?\\\])", re.DOTALL)


def test_the_math_split_cuts_every_text_where_the_regex_did():
    rng = random.Random(17)
    pieces = ["$", "$$", "\\(", "\\)", "\\[", "\\]", "a", "b c", "\\", "(", ")", "[", "]", "\n", "{", "}"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 16))) for _ in range(20_000)]
    texts += ["$x$ and $$y$$ then \\(z\\) and \\[w\\]", "$$a$", "$$$", "\\(\\)", "$ $", "no math at all"]
    for text in texts:
        assert _split_math(text) == REFERENCE_MATH.split(text), text


def test_hostile_tex_is_cleaned_in_one_pass_and_deep_nesting_stays_as_written():
    assert clean_tex("\\(" * 50_000).startswith("\\(\\(")  # was a scan to the end for each opener
    assert clean_tex("{" * 3 + "B" + "}" * 3 + "ayes") == "Bayes"
    deep = "{" * 40 + "x" + "}" * 40
    assert clean_tex(deep) == "{" * 32 + "x" + "}" * 32, "eight levels a call; deeper nesting is not a title"
