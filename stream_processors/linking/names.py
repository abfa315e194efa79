"""Graded name compatibility: could two printed name forms belong to one person, and how surely?

A bool is not enough: "Wang, Shang-Yung" twice is strong evidence, "S.-Y. Wang" against
"Shang-Yung Wang" is weaker, "S. Wang" weaker still, and "Y.X. Wang" against "Yang Wang" is a
contradiction (a two-syllable Chinese given name cannot be the one-syllable "Yang"). The scorer
weighs the grade together with coauthors and affiliations; `INCOMPATIBLE` is a hard rule.

Folding goes through `schemas.names.fold`, so diacritics fold exactly as in blocking keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from schemas.names import fold
from stream_processors.linking.name_variants import are_variants

# Grades, best first. The labels travel with the evidence so a link can be explained.
EXACT = "exact"                        # same given names, same spelling
EXACT_INITIAL = "exact-initial"        # both sides one bare initial, the same ("J." / "J.")
SAME_FULL = "same-full"                # same full given names written differently (hyphen, spacing)
FULL_MISSING_MIDDLE = "full-missing-middle"  # same first name; one form lacks a middle name/initial
VARIANT = "variant"                    # known nickname or transliteration variant
SAME_INITIALS = "same-initials"        # equal initials, at least one side initialled
PREFIX = "prefix"                      # first name is a prefix of the other ("Dan" / "Daniel")
PARTIAL_INITIALS = "partial-initials"  # one side has fewer initials ("S." / "Shang-Yung")
SURNAME_ONLY = "surname-only"          # one side has no given names at all
INCOMPATIBLE = "incompatible"

GRADES: dict[str, float] = {
    EXACT: 1.0,
    SAME_FULL: 0.95,
    EXACT_INITIAL: 0.8,
    FULL_MISSING_MIDDLE: 0.8,
    VARIANT: 0.75,
    SAME_INITIALS: 0.6,
    PREFIX: 0.5,
    PARTIAL_INITIALS: 0.4,
    SURNAME_ONLY: 0.3,
    INCOMPATIBLE: 0.0,
}

_ONE_INITIAL = frozenset(((letter,),) for letter in "abcdefghijklmnopqrstuvwxyz")
_DASHES = re.compile(r"[\-\u2010\u2011\u2012\u2013\u2014\u2212]")
_DOT_BEFORE_LETTER = re.compile(r"\.(?=\w)")
_PARTICLES = frozenset({
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "dos", "das", "ter", "ten", "zu", "y", "e",
    "el", "al", "bin", "ben",
})


@dataclass(frozen=True)
class PersonName:
    """A name form split the way compatibility needs it.

    `given` holds one tuple per space-separated given name, split into hyphenated syllables:
    "Shang-Yung" -> (("shang", "yung"),), "W.F." -> (("w",), ("f",)), "J.-X." -> (("j", "x"),).
    """

    surname: str                       # folded, no spaces: "debruynkops"
    surname_words: tuple[str, ...]     # folded words: ("de", "bruyn", "kops")
    given: tuple[tuple[str, ...], ...]

    @property
    def is_initialled(self) -> bool:
        return all(len(syllable) == 1 for name in self.given for syllable in name)

    @property
    def display(self) -> str:
        return " ".join("-".join(name) for name in self.given) + " " + self.surname


@lru_cache(maxsize=65536)
def parse_name(keyname: str, forenames: str) -> PersonName:
    words = tuple(fold(_DASHES.sub(" ", keyname)).split())
    spaced = _DOT_BEFORE_LETTER.sub(". ", _DASHES.sub("-", forenames))
    given: list[tuple[str, ...]] = []
    for token in spaced.split():
        syllables = tuple(s for s in (fold(piece).replace(" ", "") for piece in token.split("-")) if s)
        if syllables:
            given.append(syllables)
    return PersonName(surname="".join(words), surname_words=words, given=tuple(given))


def full_name_key(keyname: str, forenames: str) -> str:
    """The folded full name ('wang|shang yung'): what the exact-name baseline groups by."""
    return fold(keyname) + "|" + fold(forenames)


# --- Chinese given names: syllable segmentation -------------------------------------------------
# Pinyin (plus the few Wade-Giles syllables common in physics author lists). A given name that
# splits into whole syllables has a known number of initials: "Yuxin" -> "Y.X.", never "Y.".
_PINYIN_INITIALS = ("b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x",
                    "zh", "ch", "sh", "r", "z", "c", "s", "y", "w", "")
_PINYIN_FINALS = ("a", "o", "e", "ai", "ei", "ao", "ou", "an", "en", "ang", "eng", "ong", "i", "ia",
                  "ie", "iao", "iu", "ian", "in", "iang", "ing", "iong", "u", "ua", "uo", "uai", "ui",
                  "uan", "un", "uang", "ueng", "ue", "er")
_WADE_GILES = ("hsien", "hsin", "hsiao", "hsu", "hsiang", "hsing", "chih", "tsung", "tzu", "kuo",
               "chung", "shih", "jen", "yung", "hung", "tung", "sung", "lung", "kung", "tsai", "tse",
               "tsao", "chien", "chieh", "chia", "chiu", "chin", "ching", "yao", "wei", "kai", "tak",
               "wai", "kwok", "kwan", "hoi", "yiu", "chun", "cheuk", "siu", "yee", "yeung", "man")
_SYLLABLES = frozenset(i + f for i in _PINYIN_INITIALS for f in _PINYIN_FINALS) | frozenset(_WADE_GILES)
_MAX_SYLLABLE = max(len(s) for s in _SYLLABLES)


@lru_cache(maxsize=65536)
def syllables(word: str) -> tuple[str, ...] | None:
    """Split a folded word into the fewest pinyin syllables (longest first on ties), or None."""
    best: list[tuple[str, ...] | None] = [None] * (len(word) + 1)
    best[0] = ()
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - _MAX_SYLLABLE), end):
            head = best[start]
            piece = word[start:end]
            if head is not None and piece in _SYLLABLES:
                candidate = head + (piece,)
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[len(word)]


def _is_chinese_surname(name: PersonName) -> bool:
    return len(name.surname_words) == 1 and syllables(name.surname) is not None and len(syllables(name.surname) or ()) == 1


def _initials(name: PersonName) -> tuple[str, tuple[bool, ...]]:
    """All initials in order, and per given name whether its syllable count is certain.

    Hyphenated names and names that split into 2-3 pinyin syllables (for a Chinese surname)
    give one initial per syllable, with a known count; any other full name gives its first letter.
    """
    chinese = _is_chinese_surname(name)
    letters: list[str] = []
    certain: list[bool] = []
    for part in name.given:
        if len(part) > 1:
            letters.extend(s[0] for s in part)
            certain.append(all(len(s) > 1 for s in part))
        elif len(part[0]) > 1 and chinese:
            split = syllables(part[0])
            if split is not None and 2 <= len(split) <= 3:
                letters.extend(s[0] for s in split)
                certain.append(True)
            else:
                letters.append(part[0][0])
                certain.append(split is not None and len(split) == 1)
        else:
            letters.append(part[0][0])
            certain.append(len(part[0]) > 1 and chinese)
    return "".join(letters), tuple(certain)


@dataclass(frozen=True)
class NameCompatibility:
    label: str
    grade: float

    @property
    def compatible(self) -> bool:
        return self.label != INCOMPATIBLE


def _result(label: str, factor: float = 1.0) -> NameCompatibility:
    return NameCompatibility(label, round(GRADES[label] * factor, 4))


def surname_compatibility(a: PersonName, b: PersonName) -> float:
    """1 for the same folded surname, 0.8 when one drops a particle or a hyphenated half, else 0."""
    if a.surname == b.surname:
        return 1.0
    core_a = [w for w in a.surname_words if w not in _PARTICLES]
    core_b = [w for w in b.surname_words if w not in _PARTICLES]
    if core_a and core_a == core_b:
        return 0.8
    shorter, longer = sorted((core_a, core_b), key=len)
    if shorter and len(shorter) < len(longer) and all(w in longer for w in shorter):
        return 0.8
    if are_variants(a.surname, b.surname):
        return 0.8
    return 0.0


@lru_cache(maxsize=262144)
def compare_names(a: PersonName, b: PersonName) -> NameCompatibility:
    """Graded compatibility of two name forms (symmetric)."""
    surname = surname_compatibility(a, b)
    if surname == 0.0:
        return _result(INCOMPATIBLE)
    given = _compare_given(a, b)
    if given.label == INCOMPATIBLE or surname == 1.0:
        return given
    return NameCompatibility(given.label, round(given.grade * surname, 4))


def _compare_given(a: PersonName, b: PersonName) -> NameCompatibility:
    if not a.given or not b.given:
        return _result(SURNAME_ONLY)
    if a.given == b.given:
        # One bare initial ("J. Wang") is shared by more people than any full name: the same
        # spelling says less, so a contradicting affiliation is enough to keep two apart.
        return _result(EXACT_INITIAL if a.given in _ONE_INITIAL else EXACT)
    letters_a, certain_a = _initials(a)
    letters_b, certain_b = _initials(b)
    a_full, b_full = not a.is_initialled, not b.is_initialled
    if a_full and b_full:
        return _compare_full(a, b, letters_a, letters_b)
    if letters_a == letters_b:
        return _result(SAME_INITIALS)
    if not (letters_a.startswith(letters_b) or letters_b.startswith(letters_a)):
        return _result(INCOMPATIBLE)
    # One side has more initials. A full Chinese name with a certain syllable count cannot
    # stand for more initials than it has syllables: "Y.X." is not "Yang".
    shorter_name, shorter_certain = (b, certain_b) if len(letters_a) > len(letters_b) else (a, certain_a)
    if not shorter_name.is_initialled and all(shorter_certain):
        return _result(INCOMPATIBLE)
    return _result(PARTIAL_INITIALS)


def _first_full(name: PersonName) -> str | None:
    first = name.given[0]
    return "".join(first) if any(len(s) > 1 for s in first) else None


def _rest_initials(name: PersonName) -> str:
    return "".join(part[0][0] for part in name.given[1:])


def _compare_full(a: PersonName, b: PersonName, letters_a: str, letters_b: str) -> NameCompatibility:
    joined_a = "".join("".join(p) for p in a.given)
    joined_b = "".join("".join(p) for p in b.given)
    if joined_a == joined_b:
        return _result(SAME_FULL)
    first_a, first_b = _first_full(a), _first_full(b)
    if first_a is None or first_b is None:
        # "J. Michael" against "John M.": compare by initials only.
        if letters_a == letters_b:
            return _result(SAME_INITIALS)
        if letters_a.startswith(letters_b) or letters_b.startswith(letters_a):
            return _result(PARTIAL_INITIALS)
        return _result(INCOMPATIBLE)
    rest_a, rest_b = _rest_initials(a), _rest_initials(b)
    middles_agree = rest_a.startswith(rest_b) or rest_b.startswith(rest_a)
    if not middles_agree:
        return _result(INCOMPATIBLE)
    if first_a == first_b:
        if rest_a == rest_b:
            # Same first name, middles with the same initials but spelled differently ("John M." / "John Michael").
            return _result(SAME_FULL) if _middles_agree_fully(a, b) else _result(INCOMPATIBLE)
        return _result(FULL_MISSING_MIDDLE)
    chinese = _is_chinese_surname(a) or _is_chinese_surname(b)
    if not chinese and are_variants(first_a, first_b):
        return _result(VARIANT)
    shorter, longer = sorted((first_a, first_b), key=len)
    if not chinese and len(shorter) >= 3 and longer.startswith(shorter):
        return _result(PREFIX)
    return _result(INCOMPATIBLE)


def _middles_agree_fully(a: PersonName, b: PersonName) -> bool:
    for part_a, part_b in zip(a.given[1:], b.given[1:], strict=False):
        full_a, full_b = "".join(part_a), "".join(part_b)
        if len(full_a) > 1 and len(full_b) > 1 and full_a != full_b and not are_variants(full_a, full_b):
            return False
    return True
