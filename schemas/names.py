"""Name folding and blocking keys: part of the contract, because every stage must agree on them.

The linking stage repartitions author mentions by blocking key, and the indexers fold names the
same way for search, so "Balázs, C." and "C. Balazs" meet on one partition and in one field.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode decomposition does not reduce to ASCII.
_SPECIAL = str.maketrans({
    "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l",
    "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ı": "i", "ħ": "h", "Ħ": "h",
})
_NOT_LETTER = re.compile(r"[^a-z]+")
_COLLABORATION = re.compile(r"\b(collaboration|consortium|team|group|collab\.?)\b", re.IGNORECASE)


def fold(text: str) -> str:
    """Lowercase ASCII letters and single spaces: 'Miró-Roig' -> 'miro roig', 'Łukasz' -> 'lukasz'.

    Text that is ASCII already skips the decomposition, which leaves it as it is (most names: the
    character-by-character pass was a fifth of building a researcher's search document)."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_LETTER.sub(" ", text.lower()).split())


def is_collaboration(keyname: str, forenames: str = "") -> bool:
    return not forenames and bool(_COLLABORATION.search(keyname))


def blocking_key(keyname: str, forenames: str) -> str:
    """Folded surname without spaces, '_', and the first initial: ('Balázs', 'Csaba') -> 'balazs_c'.

    Particles and hyphens are folded away ('de Bruyn Kops' -> 'debruynkops'), so spelling
    variants of one surname share a block. A collaboration is its own block, without an initial.
    """
    surname = fold(keyname).replace(" ", "")
    if is_collaboration(keyname, forenames):
        return f"{surname}_"
    initials = fold(forenames)
    return f"{surname}_{initials[:1]}"
