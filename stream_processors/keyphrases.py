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
_SEGMENT = re.compile(r"[^.,;:!?()\[\]{}\"$=<>/\\|]+")  # text between punctuation breaks
# Lowercase a word unless it is an acronym or a mixed-case name (LSTM, GraphSAGE): two capitals.
_TWO_CAPITALS = re.compile(r"[A-Z].*[A-Z]")

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
    found: dict[str, list[tuple[int, int]]] = {}
    for segment in _SEGMENT.finditer(text):  # words never span a break, so runs stop at one
        run: list[tuple[str, bool, int, int]] = []  # (surface form, may stand alone, start, end)
        for match in _WORD.finditer(text, segment.start(), segment.end()):
            word = match.group()
            lower = word.lower()
            if lower in STOPWORDS or len(word) == 1 or word.isdigit():
                _add_ngrams(run, max_words, found)
                run = []
                continue
            surface = word if _TWO_CAPITALS.search(word) else lower
            run.append((surface, len(word) >= 4 or (len(word) >= 2 and word.isupper()), match.start(), match.end()))
        _add_ngrams(run, max_words, found)
    return [
        _Candidate(phrase, tuple(spans))
        for phrase, spans in found.items()
        if " " in phrase or len(spans) > 1 or spans[0][0] < title_end or phrase != phrase.lower()
    ]


def _add_ngrams(run: list[tuple[str, bool, int, int]], max_words: int, found: dict[str, list[tuple[int, int]]]) -> None:
    """Every 1..max_words-gram of one run of content words, with its character span."""
    for surface, alone, start, end in run:
        if alone:
            found.setdefault(surface, []).append((start, end))
    for size in range(2, min(max_words, len(run)) + 1):
        for i in range(len(run) - size + 1):
            words = run[i : i + size]
            found.setdefault(" ".join(w[0] for w in words), []).append((words[0][2], words[-1][3]))


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
    open_ = np.ones(len(phrases), dtype=bool)  # neither chosen nor overlapping a chosen phrase
    redundancy = np.full(len(phrases), -np.inf, dtype=np.float32)  # highest similarity to a chosen phrase
    while open_.any() and len(chosen) < k:
        value = relevance if not chosen else (1 - diversity) * relevance - diversity * redundancy
        # rounded, so that phrases of the same tokens ("Quasi-Static fading", "quasi-static fading")
        # tie exactly whatever order the sums ran in, and the one met first in the text wins
        best = int(np.argmax(np.where(open_, np.round(value, 6), -np.inf)))
        chosen.append(best)
        open_[best] = False
        for i in np.flatnonzero(open_):
            if _overlaps(phrases[i], phrases[best]):
                open_[i] = False
        np.maximum(redundancy, matrix @ matrix[best], out=redundancy)
    return [Keyphrase(phrases[i], round(float(relevance[i]), 4)) for i in chosen]


def _candidate_vectors(
    found: list[_Candidate], token_vectors: np.ndarray, offsets: list[tuple[int, int]]
) -> tuple[np.ndarray, list[str]]:
    """Each candidate's vector: the mean of the token vectors lying wholly inside its occurrences.

    Real tokens come in text order, so the tokens inside a character span are one index range,
    found by binary search. A (candidates x tokens) matrix counts how often each token falls in a
    candidate's occurrences, and one matrix product sums them all (a running sum over the token
    vectors costs several times more: numpy accumulates down the rows slowly). Candidates with no
    token (beyond the encoder's truncation window) are left out.
    """
    spans = np.array(offsets, dtype=np.int64).reshape(-1, 2)
    real = spans[:, 1] > spans[:, 0]  # special tokens have empty spans
    starts, ends = spans[real, 0], spans[real, 1]
    if not found or not len(starts):
        return np.zeros((0, token_vectors.shape[1]), dtype=np.float32), []
    per_candidate = [len(c.spans) for c in found]
    bounds = np.array([span for c in found for span in c.spans], dtype=np.int64)
    first = np.searchsorted(starts, bounds[:, 0], side="left")  # first token starting inside
    stop = np.maximum(np.searchsorted(ends, bounds[:, 1], side="right"), first)  # past the last ending inside
    lengths = stop - first
    owner = np.repeat(np.arange(len(found)), per_candidate)
    # each covered token as (candidate, token index): a span's tokens are first, first + 1, ...
    rows = np.repeat(owner, lengths)
    columns = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths - first, lengths)
    counts = np.bincount(owner, weights=lengths, minlength=len(found))
    kept = np.flatnonzero(counts > 0)
    weights = np.bincount(rows * len(starts) + columns, minlength=len(found) * len(starts))
    weights = weights.reshape(len(found), len(starts))[kept].astype(np.float32)
    sums = weights @ token_vectors[real]
    return sums / counts[kept, None].astype(np.float32), [found[i].phrase for i in kept]


def _overlaps(a: str, b: str) -> bool:
    """One phrase inside the other as whole words ('bias' in 'selection bias')."""
    return f" {a} " in f" {b} " or f" {b} " in f" {a} "


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
