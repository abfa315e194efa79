"""Graded name compatibility: the forms that recur in author lists, and the ones that must never meet."""

import pytest

from stream_processors.linking.name_variants import are_variants
from stream_processors.linking.names import (
    EXACT,
    EXACT_INITIAL,
    FULL_MISSING_MIDDLE,
    GRADES,
    INCOMPATIBLE,
    PARTIAL_INITIALS,
    PREFIX,
    SAME_FULL,
    SAME_INITIALS,
    VARIANT,
    compare_names,
    full_name_key,
    parse_name,
    syllables,
)


def grade(a: tuple[str, str], b: tuple[str, str]):
    return compare_names(parse_name(*a), parse_name(*b))


@pytest.mark.parametrize(
    ("a", "b", "label"),
    [
        (("Wang", "Shang-Yung"), ("Wang", "Shang-Yung"), EXACT),
        (("Wang", "Shang-Yung"), ("Wang", "Shangyung"), SAME_FULL),
        (("Tang", "Jian\u2010Xin"), ("Tang", "Jianxin"), SAME_FULL),       # Unicode hyphen
        (("Wang", "Shang-Yung"), ("Wang", "S.-Y."), SAME_INITIALS),
        (("Tang", "Jianxin"), ("Tang", "J.X."), SAME_INITIALS),            # pinyin split: jian + xin
        (("Wang", "Shang-Yung"), ("Wang", "S."), PARTIAL_INITIALS),
        (("Balázs", "Csaba"), ("Balazs", "C."), SAME_INITIALS),            # diacritics folded
        (("Smith", "John"), ("Smith", "John Michael"), FULL_MISSING_MIDDLE),
        (("Smith", "Bill"), ("Smith", "William"), VARIANT),
        (("Ivanov", "Sergei"), ("Ivanov", "Sergey"), VARIANT),
        (("Schmidt", "Jürgen"), ("Schmidt", "Juergen"), VARIANT),
        (("Jones", "Chris"), ("Jones", "Christopher"), VARIANT),
        (("Smith", "Matt"), ("Smith", "Matthew"), VARIANT),
        (("Smith", "Rosa"), ("Smith", "Rosalind"), PREFIX),
    ],
)
def test_compatible_forms(a, b, label):
    assert grade(a, b).label == label
    assert grade(b, a).label == label  # symmetric


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Wang", "Y.X."), ("Wang", "Yang")),         # one-syllable Chinese name cannot be Y.X.
        (("Wang", "Jian"), ("Wang", "Jianxin")),      # Chinese given names are not prefixes of each other
        (("Smith", "John M."), ("Smith", "John K.")),  # middle initials conflict
        (("Wang", "W.F."), ("Wang", "W.G.")),
        (("Smith", "John"), ("Smith", "Peter")),
        (("Smith", "John"), ("Jones", "John")),
    ],
)
def test_incompatible_forms(a, b):
    assert grade(a, b).label == INCOMPATIBLE
    assert grade(a, b).grade == 0.0


def test_grades_are_ordered_exact_over_initials_over_incompatible():
    exact = grade(("Wang", "Shang-Yung"), ("Wang", "Shang-Yung")).grade
    initials = grade(("Wang", "Shang-Yung"), ("Wang", "S.-Y.")).grade
    partial = grade(("Wang", "Shang-Yung"), ("Wang", "S.")).grade
    assert exact > initials > partial > 0.0
    assert GRADES[EXACT] == 1.0


def test_particle_surname_is_compatible_but_weaker():
    result = grade(("van der Waals", "J. D."), ("Waals", "J. D."))
    assert result.compatible
    assert 0 < result.grade < 1.0


def test_pinyin_segmentation():
    assert syllables("jianxin") == ("jian", "xin")
    assert syllables("zhongxiang") == ("zhong", "xiang")
    assert syllables("christopher") is None


def test_full_name_key_is_the_plain_folded_name():
    assert full_name_key("Wang", "Shang-Yung") == full_name_key("Wáng", "Shang Yung") == "wang|shang yung"
    assert full_name_key("Wang", "Shangyung") != full_name_key("Wang", "Shang-Yung")
    assert full_name_key("Wang", "S.") != full_name_key("Wang", "Shang-Yung")


def test_variant_table_is_not_a_free_for_all():
    assert are_variants("alexandr", "aleksandr")
    assert not are_variants("john", "james")
    assert not are_variants("maria", "maria")


def test_one_bare_initial_is_an_exact_match_of_its_own_lower_grade():
    """"J." / "J" is the same spelling but no full name's certainty; two initials stay exact."""
    assert grade(("Wang", "J."), ("Wang", "J")).label == EXACT_INITIAL
    assert GRADES[SAME_INITIALS] < GRADES[EXACT_INITIAL] < GRADES[SAME_FULL]
    assert grade(("Wang", "J.X."), ("Wang", "J. X.")).label == EXACT
    assert grade(("Wang", "Jian"), ("Wang", "Jian")).label == EXACT
