"""Normalisation shared by every producer: ids, dates, whitespace, TeX, categories, authors.

This is the one place where a source's text becomes the contract's text, so two producers
that read the same paper (snapshot, OAI-PMH, query API) emit the same fields. Everything here
is a pure function over strings; the raw text is kept by the callers where the contract asks.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime

from foundation.errors import InvalidRecord
from schemas.papers import Author

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_AND = re.compile(r",?\s+and\s+|\s*&\s*", re.IGNORECASE)


def clean_text(text: str) -> str:
    """Collapse runs of whitespace (arXiv wraps titles and abstracts at 80 columns) and drop
    control characters, which a dozen real records carry (the contract refuses them).

    `str.split()` rather than a `\\s+` substitution: both use the same Unicode whitespace, and on
    a wrapped abstract, with a match at every line end, split-and-join is about twice as fast.
    This runs about twenty times per harvested record, so it shows in harvest throughput
    (docs/performance.md)."""
    return " ".join(_CONTROL.sub("", text).split())


# Identifiers and dates --------------------------------------------------------------------------

_ID_PREFIX = re.compile(r"^(?:oai:arXiv\.org:|arXiv:|https?://arxiv\.org/abs/)", re.IGNORECASE)
_VERSION_SUFFIX = re.compile(r"v(\d+)$")


def split_arxiv_id(text: str) -> tuple[str, int | None]:
    """'oai:arXiv.org:cs/0112017v3' -> ('cs/0112017', 3); ids without a version give None.

    Old-style ids keep their archive (and subject class, e.g. math.AG/0301001) because that is
    part of the identifier, not a category.
    """
    value = _ID_PREFIX.sub("", text.strip())
    match = _VERSION_SUFFIX.search(value)
    if match and ("/" in value or "." in value[: match.start()]):
        return value[: match.start()], int(match.group(1))
    return value, None


def utc_date(text: str) -> datetime:
    """An OAI/arXiv date 'YYYY-MM-DD' as midnight UTC (dates carry no time of day)."""
    return datetime.combine(date.fromisoformat(text.strip()), datetime.min.time(), tzinfo=UTC)


# Categories -------------------------------------------------------------------------------------


def split_categories(text: str) -> tuple[str, ...]:
    """Space-separated categories, primary first, without duplicates."""
    seen: dict[str, None] = {}
    for category in text.split():
        seen.setdefault(category, None)
    return tuple(seen)


_ARXIV_CATEGORY = re.compile(r"^[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z-]+)?$")


def arxiv_categories(terms: list[str]) -> tuple[str, ...]:
    """arXiv categories from a list that may also hold MSC/ACM classes ('68P30, 94A08', 'F.2.2'):
    the query API lists those as `<category>` too. Order kept (primary first), duplicates dropped."""
    return tuple(dict.fromkeys(term for term in (t.strip() for t in terms) if _ARXIV_CATEGORY.match(term)))


# TeX clean-up -----------------------------------------------------------------------------------

# Math delimiters, tried in this order where an opener stands; the math between them is at least
# one character, and ends at the first closer (what `(\$\$.+?\$\$|\$.+?\$|\\\(.+?\\\)|\\\[.+?\\\])`
# with DOTALL matched, which took quadratic time on unclosed openers: `_split_math`).
_MATH_DELIMITERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
_MATH_OPENERS = ("$", "\\(", "\\[")
# Nested braces are undone one level a pass: deeper nesting than this stays as written (a title
# nests two or three levels; 8,000 levels took seconds per pass count).
_BRACE_PASSES = 8
_COMBINING = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "k": "\u0328", "r": "\u030a",
}
_LETTERS = {
    "o": "ø", "O": "Ø", "ss": "ß", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
    "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ",
}
# \'e  \'{e}  {\'e}  {\'{e}}  \c{c}  \v s: symbol accents take the letter directly, letter accents
# need braces or a space (so `\url` or `\cite` are never read as accents).
_ACC = r"(?:(?P<sym%d>['`^\"~=.])|(?P<word%d>[cvuHkr])(?=[\s{]))\s*"
_BASE = r"(?:\{(?P<a%d>\\?[A-Za-z])\}|(?P<b%d>\\?[A-Za-z]))"
_ACCENT = re.compile(
    r"\{\\" + _ACC % (1, 1) + _BASE % (1, 1) + r"\}" + "|" + r"\\" + _ACC % (2, 2) + _BASE % (2, 2)
)
_LETTER_NAMES = r"ss|aa|AA|ae|AE|oe|OE|o|O|l|L|i|j"
_LETTER = re.compile(rf"\{{\\(?P<n1>{_LETTER_NAMES})\s*\}}|\\(?P<n2>{_LETTER_NAMES})(?![A-Za-z])\s?")
_LETTER_IN_NAME = re.compile(r"\\(?P<name>o|O)(?=[a-z])")  # 'Hj\orungnes' as typed on arXiv
_ESCAPED = re.compile(r"\\([&%_#$])")
_STYLE = re.compile(r"\\(?:emph|textit|textbf|texttt|textsc|textrm|textsf|mbox|text|mathrm)\s*\{([^{}]*)\}")
_BRACED = re.compile(r"(\\[A-Za-z]+\s*)?\{([^{}\\$]*)\}")
_TEX_HINT = re.compile(r"[\\{}$\x7f]|--|``|''")
# In TeX's old OT1 font encoding byte 0x7F is the dieresis accent: 'Wahlstr\x7fom' is Wahlström.
_OT1_DIERESIS = re.compile(r"\x7f([A-Za-z])")
_LINEBREAK = re.compile(r"\\\\|\\newline\b")


def _accent(match: re.Match) -> str:
    found = {name[:-1]: value for name, value in match.groupdict().items() if value is not None}
    mark = _COMBINING[found.get("sym") or found["word"]]
    base = (found.get("a") or found["b"]).lstrip("\\")  # \'{\i} is an accented i
    return unicodedata.normalize("NFC", base + mark)


def _unbrace(match: re.Match) -> str:
    """Drop grouping braces, but leave an unknown command's argument (`\\cite{x}`) alone."""
    return match.group(0) if match.group(1) else match.group(2)


def _clean_prose(text: str, in_name: bool) -> str:
    text = _LINEBREAK.sub(" ", text)
    text = _OT1_DIERESIS.sub(lambda m: unicodedata.normalize("NFC", m.group(1) + "\u0308"), text)
    text = _ACCENT.sub(_accent, text)
    text = _LETTER.sub(lambda m: _LETTERS[m.group("n1") or m.group("n2")], text)
    if in_name:
        text = _LETTER_IN_NAME.sub(lambda m: _LETTERS[m.group("name")], text)
    text = _ESCAPED.sub(r"\1", text)
    previous = None
    for _ in range(_BRACE_PASSES):  # nested \emph{\textbf{x}} and {{B}}
        if previous == text:
            break
        previous = text
        text = _STYLE.sub(r"\1", text)
        text = _BRACED.sub(_unbrace, text)
    text = text.replace("---", "\u2014").replace("--", "\u2013").replace("``", "\u201c").replace("''", "\u201d")
    return text


def clean_tex(text: str, *, in_name: bool = False) -> str:
    """Readable text from arXiv's TeX-flavoured titles, abstracts and names.

    Accents and special letters become Unicode (`Erd\\H{o}s` -> Erdős), escaped symbols lose
    their backslash, style commands and case-protecting braces (`{B}ayesian`) are dropped,
    dashes and quotes become typographic, whitespace is collapsed. Math (`$...$`, `\\(...\\)`)
    is left exactly as written: turning it into Unicode would lose meaning, and the raw text is
    kept anyway. The function is idempotent (for braces nested up to `_BRACE_PASSES` levels), so
    cleaning twice is harmless, and it takes time linear in the text, whatever the text holds
    (it runs before a record's field lengths are checked; `bench/tex_cleanup.py`).
    """
    if not _TEX_HINT.search(text):  # most names and many titles: nothing TeX-like at all
        return clean_text(text)
    parts = _split_math(text)
    cleaned = [part if index % 2 else _clean_prose(part, in_name) for index, part in enumerate(parts)]
    return clean_text(unicodedata.normalize("NFC", "".join(cleaned)))


def _split_math(text: str) -> list[str]:
    """[prose, math, prose, ..., prose]: the text cut around its math, in one pass.

    At each opener (leftmost first), the delimiters are tried in `_MATH_DELIMITERS` order; the
    math ends at the first closer at least one character after the opener. A closer found
    missing from some position on is missing for every later opener, which keeps unclosed
    openers (`\\(` 8,000 times) linear instead of a scan to the end for each."""
    parts: list[str] = []
    prose_start = position = 0
    missing_from: dict[str, int] = {}  # closer -> a position from which it does not occur
    upcoming = {opener: text.find(opener) for opener in _MATH_OPENERS}
    while True:
        for opener, found in upcoming.items():
            if 0 <= found < position:
                upcoming[opener] = text.find(opener, position)
        candidates = [found for found in upcoming.values() if found >= 0]
        if not candidates:
            break
        start = min(candidates)
        end = _math_end(text, start, missing_from)
        if end is None:
            position = start + 1
            continue
        parts += [text[prose_start:start], text[start:end]]
        prose_start = position = end
    parts.append(text[prose_start:])
    return parts


def _math_end(text: str, start: int, missing_from: dict[str, int]) -> int | None:
    for opener, closer in _MATH_DELIMITERS:
        if not text.startswith(opener, start):
            continue
        search_from = start + len(opener) + 1
        if search_from >= missing_from.get(closer, len(text) + 1):
            continue
        found = text.find(closer, search_from)
        if found < 0:
            missing_from[closer] = min(search_from, missing_from.get(closer, search_from))
            continue
        return found + len(closer)
    return None


def bounded_raw(field: str, text: str, limit: int) -> str:
    """`text` as given, unless it is over twice the `limit` its cleaned form may have: then it is
    refused (InvalidRecord, so dead-lettered) before any clean-up runs on it. Clean-up only ever
    shortens a field by the markup it removes, so nothing that long could fit."""
    if len(text) > 2 * limit:
        raise InvalidRecord(f"{field}: {len(text):,} characters, over twice the {limit:,} it may have", field=field)
    return text


def clean_tex_keeping_raw(text: str) -> tuple[str, str | None]:
    """(cleaned, verbatim text when TeX clean-up changed more than whitespace, else None)."""
    plain = clean_text(text)
    if not _TEX_HINT.search(text):  # clean_tex would return `plain` itself: clean it only once
        return plain, None
    cleaned = clean_tex(text)
    return cleaned, (text if cleaned != plain else None)


# Authors ----------------------------------------------------------------------------------------

_COLLECTIVE = re.compile(r"\b(collaboration|consortium|collaborative|team|group|project|network|initiative)s?\b", re.IGNORECASE)
_STRONG_COLLECTIVE = re.compile(r"\b(collaboration|consortium)s?\b", re.IGNORECASE)
_LEADING_FOR_THE = re.compile(r"^(?:for|on behalf of)\s+(?:the\s+)?|^the\s+", re.IGNORECASE)


def is_collaboration(name: str) -> bool:
    """'ATLAS Collaboration', 'The LIGO Scientific Collaboration', 'USQCD Consortium', 'SDSS Team'."""
    return bool(_COLLECTIVE.search(name))


def make_author(keyname: str, forenames: str = "", suffix: str = "", affiliations: tuple[str, ...] = ()) -> Author:
    """One author from its parts, TeX cleaned; a collaboration becomes one keyname with no forenames.

    arXiv sometimes splits a collaboration like a person (keyname 'Collaboration', forenames
    'for the USQCD'); it is rejoined as 'USQCD Collaboration' so linking never takes it for a
    person called Collaboration.
    """
    keyname = clean_tex(keyname, in_name=True).strip(" ,;")  # arXiv has keynames like 'Heath,'
    forenames = clean_tex(forenames, in_name=True).strip(" ,;")
    suffix = clean_tex(suffix, in_name=True).strip(" ,;")
    if forenames and _STRONG_COLLECTIVE.search(f"{forenames} {keyname}") and not suffix:
        keyname, forenames = _LEADING_FOR_THE.sub("", clean_text(f"{forenames} {keyname}")), ""
    seen: dict[str, None] = {}
    for affiliation in affiliations:
        text = clean_tex(affiliation)
        if text:
            seen.setdefault(text, None)
    return Author(keyname=keyname, forenames=forenames, suffix=suffix, affiliations=tuple(seen))


_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "del", "della", "le", "la", "du", "dos", "das", "ten", "ter", "zu"}
_LABEL = re.compile(r"^\s*\d+(?:\s*,\s*\d+)*\s*$")
_BARE_LIST = re.compile(r"\(1\)\s+(?!and\b)(?=[A-Z])")
_LABELLED = re.compile(r"\((\d+)\)\s*(.*?)(?=\(\d+\)|$)", re.DOTALL)


def _top_level_groups(text: str) -> list[tuple[int, int]]:
    """(start, end) of every outermost (...) group, so nested markers stay inside their group."""
    groups, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "(":
            if depth == 0:
                start = index
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                groups.append((start, index + 1))
    return groups


def _split_top_level(text: str) -> list[str]:
    """Split on commas and ' and ' outside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    index = 0
    while index < len(text):
        char = text[index]
        depth += char == "("
        depth -= char == ")" and depth > 0
        if depth == 0 and char == ",":
            parts.append("".join(current))
            current = []
        elif depth == 0 and text[index:index + 5].lower() == " and " :
            parts.append("".join(current))
            current = []
            index += 4
        elif depth == 0 and char == "&":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    names: list[str] = []
    for part in (clean_text(part) for part in parts):
        head, colon, rest = part.partition(":")
        if colon and is_collaboration(head) and rest.strip():
            names.append(clean_text(head))  # 'ArDM Collaboration: C. Amsler, ...'
            part = clean_text(rest)
        if part.lower() in ("et al", "et al.", "others"):
            continue
        if part.lower() in _SUFFIXES and names:
            names[-1] = f"{names[-1]} {part}"  # 'John Smith, Jr.' is one author
        elif part:
            names.append(part)
    return names


def split_person_name(name: str) -> tuple[str, str, str]:
    """'Andrew J. Benson Jr.' -> ('Benson', 'Andrew J.', 'Jr.'); particles join the keyname (van der Berg)."""
    if is_collaboration(name):
        return name, "", ""
    tokens = name.split()
    suffix = ""
    if len(tokens) > 1 and tokens[-1].lower().rstrip(",") in _SUFFIXES:
        suffix = tokens.pop().rstrip(",")
    if not tokens:
        return suffix, "", ""
    cut = len(tokens) - 1
    while cut > 1 and tokens[cut - 1].lower() in _PARTICLES:
        cut -= 1
    return " ".join(tokens[cut:]), " ".join(tokens[:cut]), suffix


def authors_from_string(text: str) -> tuple[Author, ...]:
    """Read the snapshot's raw `authors` string: 'A. Smith (1,2), B. Jones and C. Wu ((1) MIT, (2) CERN)'.

    Numbered markers after a name refer to the trailing, numbered affiliation list; a plain
    parenthesised text after a name (`B. Jones (CERN)`) is that author's own affiliation. Names are
    split surname last, with particles (van, de ...) and suffixes (Jr., III) kept apart; a
    collaboration stays one name.
    """
    text = clean_text(text)
    numbered: dict[str, str] = {}
    groups = _top_level_groups(text)
    if groups and groups[-1][1] == len(text):
        start, end = groups[-1]
        inner = text[start + 1 : end - 1]
        if inner.lstrip().startswith("("):
            numbered = {
                label: clean_text(value).strip(" ,;")
                for label, value in _LABELLED.findall(inner)
            }
            text = text[:start]
    if not numbered:
        bare = _BARE_LIST.search(text)  # '... Mares (2) (1) CTIO (2) Cornell University', no outer ( )
        if bare:
            numbered = {label: clean_text(value).strip(" ,;") for label, value in _LABELLED.findall(text[bare.start():])}
            text = text[: bare.start()]
    authors = []
    for chunk in _split_top_level(text):
        affiliations: list[str] = []
        name = chunk
        for start, end in reversed(_top_level_groups(chunk)):
            inner = chunk[start + 1 : end - 1]
            if _LABEL.match(inner):
                affiliations[:0] = [numbered[label.strip()] for label in inner.split(",") if label.strip() in numbered]
            else:
                affiliations.insert(0, clean_text(inner))
            name = name[:start] + name[end:]
        name = clean_text(name)
        if not name:
            continue
        keyname, forenames, suffix = split_person_name(clean_tex(name, in_name=True))
        authors.append(make_author(keyname, forenames, suffix, tuple(affiliations)))
    return tuple(authors)
