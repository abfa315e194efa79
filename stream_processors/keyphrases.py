"""Fine topics: keyphrases of a paper, scored with the same encoder pass that embedded it.

Candidates are runs of one to three content words in the title and abstract. Each candidate's
vector is the mean of the contextual token vectors the encoder already produced for its
occurrences, so scoring costs no extra forward pass; the score is its cosine with the document
vector, and maximal marginal relevance keeps the chosen phrases from repeating each other
("selection bias" and "bias" are not both shown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*")
_BREAK = re.compile(r"[.,;:!?()\[\]{}\"$=<>/\\|]")

STOPWORDS = frozenset(
    """a about above across after again against all almost also although always among an and another any
    are around as at based be been before being below between both but by can cannot could did do does
    done due during each either etc even ever every few for from further given had has have having here
    how however i if in into is it its itself just least less let like made make many may might more most
    much must near neither no nor not now of off often on once one only onto or other others otherwise our
    out over own per perhaps rather same several shall she should show shown shows since so some such than
    that the their them then there therefore these they this those though through thus to too toward
    towards under until up upon us use used uses using very via was we well were what when where whether
    which while who whom whose why will with within without would yet you your
    paper papers propose proposed proposes present presents presented study studies studied approach
    approaches method methods result results new novel work works first second two three obtain obtained
    provide provides provided consider considered considers describe described introduce introduced
    demonstrate demonstrates main problem problems various general different recent recently well-known
    known important particular certain specific respectively able allow allows show showed significant
    significantly effective efficient efficiently finally furthermore moreover also addition additionally
    set sets case cases way ways number numbers term terms order large small high low good better best""".split()
)


@dataclass(frozen=True)
class Keyphrase:
    phrase: str
    score: float


@dataclass(frozen=True)
class _Candidate:
    phrase: str
    spans: tuple[tuple[int, int], ...]


def candidates(text: str, max_words: int = 3, title_end: int = 0) -> list[_Candidate]:
    """Runs of content words (no stopwords, no punctuation inside), as 1..max_words-grams.

    A single word qualifies only if the title has it, it is an acronym or name (LSTM, HERA), or
    the text repeats it: without a part-of-speech tagger this is what keeps verbs and stray
    adjectives ('enough', 'coincides') out.
    """
    runs: list[list[tuple[str, bool, int, int]]] = [[]]  # (surface form, may stand alone, start, end)
    position = 0
    for match in _WORD.finditer(text):
        if _BREAK.search(text, position, match.start()):
            runs.append([])
        position = match.end()
        word = match.group()
        if word.lower() in STOPWORDS or word.isdigit() or len(word) == 1:
            runs.append([])
            continue
        runs[-1].append((_surface(word), _good_single_word(word), match.start(), match.end()))
    found: dict[str, list[tuple[int, int]]] = {}
    for run in runs:
        for size in range(1, max_words + 1):
            for i in range(len(run) - size + 1):
                words = run[i : i + size]
                if size == 1 and not words[0][1]:
                    continue
                phrase = " ".join(w[0] for w in words)
                found.setdefault(phrase, []).append((words[0][2], words[-1][3]))
    return [
        _Candidate(phrase, tuple(spans))
        for phrase, spans in found.items()
        if " " in phrase or len(spans) > 1 or spans[0][0] < title_end or phrase != phrase.lower()
    ]


def _good_single_word(word: str) -> bool:
    return len(word) >= 4 or (word.isupper() and len(word) >= 2)


def _surface(word: str) -> str:
    """Lowercase, except acronyms and mixed-case names (LSTM, GraphSAGE) that lose meaning lowercased."""
    return word if sum(ch.isupper() for ch in word) >= 2 else word.lower()


def extract_keyphrases(
    text: str,
    token_vectors: np.ndarray,
    offsets: list[tuple[int, int]],
    document_vector: np.ndarray,
    k: int = 5,
    diversity: float = 0.35,
    title_end: int = 0,
) -> list[Keyphrase]:
    """Top-k keyphrases of `text`, given the encoder's token vectors and their character offsets.

    `title_end` is where the title stops in `text` (single words from the title qualify).
    """
    vectors, phrases = _candidate_vectors(candidates(text, title_end=title_end), token_vectors, offsets)
    if not phrases:
        return []
    matrix = _unit(vectors)
    relevance = matrix @ _unit(document_vector)
    chosen: list[int] = []
    remaining = list(range(len(phrases)))
    while remaining and len(chosen) < k:
        if chosen:
            redundancy = (matrix[remaining] @ matrix[chosen].T).max(axis=1)
            value = (1 - diversity) * relevance[remaining] - diversity * redundancy
        else:
            value = relevance[remaining]
        best = remaining[int(np.argmax(value))]
        chosen.append(best)
        remaining = [i for i in remaining if i != best and not _overlaps(phrases[i], phrases[best])]
    return [Keyphrase(phrases[i], round(float(relevance[i]), 4)) for i in chosen]


def _candidate_vectors(
    found: list[_Candidate], token_vectors: np.ndarray, offsets: list[tuple[int, int]]
) -> tuple[np.ndarray, list[str]]:
    """Each candidate's vector: the mean of the token vectors lying wholly inside its occurrences.

    Real tokens come in text order, so the tokens inside a character span are one index range,
    found by binary search; a prefix sum of the token vectors gives every range's sum at once.
    Candidates with no token (beyond the encoder's truncation window) are left out.
    """
    spans = np.array(offsets, dtype=np.int64).reshape(-1, 2)
    real = spans[:, 1] > spans[:, 0]  # special tokens have empty spans
    starts, ends = spans[real, 0], spans[real, 1]
    prefix = np.zeros((len(starts) + 1, token_vectors.shape[1]), dtype=np.float32)
    np.cumsum(token_vectors[real], axis=0, out=prefix[1:])
    if not found:
        return prefix[:0], []
    bounds = np.array([span for c in found for span in c.spans], dtype=np.int64)
    first = np.searchsorted(starts, bounds[:, 0], side="left")   # first token starting inside
    stop = np.maximum(np.searchsorted(ends, bounds[:, 1], side="right"), first)  # past the last ending inside
    group = np.cumsum([0] + [len(c.spans) for c in found[:-1]])  # each candidate's first span
    sums = np.add.reduceat(prefix[stop] - prefix[first], group, axis=0)
    counts = np.add.reduceat(stop - first, group)
    kept = np.flatnonzero(counts > 0)
    return sums[kept] / counts[kept, None], [found[i].phrase for i in kept]


def _overlaps(a: str, b: str) -> bool:
    """One phrase inside the other as whole words ('bias' in 'selection bias')."""
    return f" {a} " in f" {b} " or f" {b} " in f" {a} "


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
