"""Name keys: how researcher names are stored for search, and what a typed query may mean.

Elasticsearch here has only its core analysis (no asciifolding, no edge n-grams), so names are
folded in Python (`schemas.names.fold`: diacritics, case, punctuation) into keyword *keys*. A key
names one way a person can be asked for, with its surname folded without spaces so particles and
hyphens cannot split it ('de Bruyn Kops' -> 'debruynkops'):

    x:csaba balazs     the whole name, either order     ("Csaba Balazs", "Balazs Csaba"); only for
                       names with a written-out given name: 'C. Balazs' is no more exact
                       for 'C. Balazs' than for 'Csaba Balazs', so the a: key decides
    g:balazs csaba     surname + every given name       ("Balazs, Csaba")
    f:balazs csaba     surname + first given name       ("Csaba X. Balazs" asked as "Csaba Balazs")
    a:balazs c         surname + all initials           ("C. Balazs", "Balazs, C")
    i:balazs c         surname + first initial          ("C. M. Balazs" asked as "C. Balazs")
    s:balazs           a surname alone                  ("Balazs", and 'kops' for 'de Bruyn Kops')

A query without a comma does not say which words are the surname, so `query_keys` tries every
split in both orders; a wrong split yields keys no researcher has. Weights make the more specific
key count for more, so the exact person ranks above namesakes that share only an initial.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schemas.names import fold

# Words that end collaboration names: never a surname of their own ('ATLAS Collaboration').
_GROUP_WORDS = frozenset({"collaboration", "consortium", "team", "group", "collab", "project", "network"})
# Surname particles: never a surname key of their own ('van der Waals' is not found as 'van').
_PARTICLES = frozenset({
    "al", "bin", "da", "das", "de", "del", "della", "den", "der", "di", "do", "dos", "du", "el", "ibn", "la", "le",
    "st", "te", "ten", "ter", "van", "von", "zu",
})
MAX_QUERY_NAME_WORDS = 6
# Without a comma, a reading with more given names than this is not a name ("Su computer vision
# and pattern recognition" is not Su with five given names).
MAX_GIVEN_NAMES = 3
# In longer queries ("surname + topic words") every word may still be a surname.
MAX_FREE_TEXT_SURNAMES = 12

# Points per key kind: a person typing a full name outranks namesakes sharing an initial, and
# any name match outranks a word that merely occurs in someone's topics or titles.
WEIGHTS = {"x": 30.0, "g": 24.0, "f": 20.0, "a": 16.0, "i": 12.0, "s": 8.0}


@dataclass(frozen=True)
class NameForm:
    """A name split into folded surname words and folded given-name words."""

    surname: tuple[str, ...]
    given: tuple[str, ...] = ()


def name_form(printed: str, surname: str = "") -> NameForm:
    """Split a printed name ('S. M. de Bruyn Kops') with its known surname ('de Bruyn Kops').

    Without a known surname (older events) the last word is taken as the surname, which is how
    arXiv prints names (forenames first).
    """
    words = tuple(fold(printed).split())
    if not words:
        return NameForm(())
    known = tuple(fold(surname).split())
    if known:
        for start in range(len(words) - len(known), -1, -1):  # the last occurrence: suffixes follow it
            if words[start:start + len(known)] == known:
                return NameForm(known, words[:start])
        return NameForm(known, tuple(w for w in words if w not in known))
    return NameForm(words[-1:], words[:-1])


def index_keys(forms: Iterable[NameForm]) -> list[str]:
    """Every key a researcher with these name forms can be found by, sorted and unique."""
    keys: set[str] = set()
    for form in forms:
        if not form.surname:
            continue
        surnames = _surname_keys(form.surname)
        if _written_out(form.given):
            keys.add(f"x:{' '.join((*form.given, *form.surname))}")
            if form.given:
                keys.add(f"x:{' '.join((*form.surname, *form.given))}")
        for surname in surnames:
            keys.add(f"s:{surname}")
            keys.update(_given_keys(surname, form.given))
    return sorted(keys)


def query_keys(text: str) -> dict[str, float]:
    """The keys a typed query may mean, each with its weight (the highest when several forms agree)."""
    keys: dict[str, float] = {}

    def add(key: str, weight: float | None = None) -> None:
        keys[key] = max(keys.get(key, 0.0), WEIGHTS[key[0]] if weight is None else weight)

    for form in query_forms(text):
        joined = "".join(form.surname)
        add(f"s:{joined}")
        typed_initials = all(len(word) == 1 for word in form.given)
        for key in _given_keys(joined, form.given):
            # Initials the user typed ("C. Balazs") are strong; initials this code cut from written-
            # out words ("Balazs Csaba", or "Su Computer Vision") are weak: the words may not be names.
            add(key, None if typed_initials or key[0] not in "ai" else WEIGHTS[key[0]] / 2)
        if _written_out(form.given):
            add(f"x:{' '.join((*form.given, *form.surname))}")
    for word in fold(text).split()[:MAX_FREE_TEXT_SURNAMES]:  # "Zirintsis distributed computing"
        if len(word) > 1:
            add(f"s:{word}")
    folded = fold(text)
    if folded and (not query_forms(text) or any(_written_out(form.given) for form in query_forms(text))):
        add(f"x:{folded}")
    return keys


def query_forms(text: str) -> list[NameForm]:
    """Every plausible (surname, given names) reading of a query.

    'Balazs, C' has one reading; 'Csaba Balazs' has two (given-first and surname-first); a word
    of one letter is an initial, never a surname.
    """
    if "," in text:
        left, _, right = text.partition(",")
        surname = tuple(fold(left).split())
        given = tuple(fold(right).split())
        if surname and len(surname) <= MAX_QUERY_NAME_WORDS and _can_be_surname(surname):
            return [NameForm(surname, given[:MAX_QUERY_NAME_WORDS])]
        return []
    words = tuple(fold(text).split())
    if not words or len(words) > MAX_QUERY_NAME_WORDS:
        return []
    forms = [NameForm(words)] if _can_be_surname(words) else []
    for cut in range(1, len(words)):
        for surname, given in ((words[cut:], words[:cut]), (words[:cut], words[cut:])):
            if _can_be_surname(surname) and len(given) <= MAX_GIVEN_NAMES:
                forms.append(NameForm(surname, given))
    return list(dict.fromkeys(forms))


def _written_out(given: tuple[str, ...]) -> bool:
    """No given names (a collaboration, a mononym) or at least one that is more than an initial."""
    return not given or any(len(word) > 1 for word in given)


def _can_be_surname(words: tuple[str, ...]) -> bool:
    return all(len(word) > 1 for word in words)


def _surname_keys(words: tuple[str, ...]) -> list[str]:
    """'de bruyn kops' -> debruynkops, bruynkops, kops; 'miro roig' -> miroroig, roig, miro."""
    found = ["".join(words)]
    for start in range(1, len(words)):
        tail = words[start:]
        if tail[0] not in _PARTICLES and not (len(tail) == 1 and tail[0] in _GROUP_WORDS):
            found.append("".join(tail))
    if len(words) > 1 and words[0] not in _PARTICLES and words[0] not in _GROUP_WORDS:
        found.append(words[0])  # the first half of a double-barrelled surname, never a particle
    return list(dict.fromkeys(found))


def _given_keys(surname: str, given: tuple[str, ...]) -> list[str]:
    if not given:
        return []
    initials = "".join(word[0] for word in given)
    keys = [f"a:{surname} {initials}", f"i:{surname} {given[0][0]}"]
    full = [word for word in given if len(word) > 1]
    if len(given[0]) > 1:
        keys.append(f"f:{surname} {given[0]}")
    if full and len(full) == len(given):
        keys.append(f"g:{surname} {' '.join(given)}")
        if len(given) > 1:
            keys.append(f"g:{surname} {''.join(given)}")  # 'Shang-Yung' printed as 'Shangyung'
    return keys
