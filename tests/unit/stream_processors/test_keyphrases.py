"""Keyphrase candidates and selection."""

import numpy as np

from stream_processors.keyphrases import candidates, extract_keyphrases


def phrases(text, **kw):
    return {c.phrase for c in candidates(text, **kw)}


def test_candidates_break_at_stopwords_and_punctuation():
    found = phrases("Selection bias in background music recommendation. We propose a new method.", title_end=0)
    assert "background music recommendation" in found
    assert "selection bias" in found
    assert not any("propose" in p or "method" in p for p in found)
    assert "recommendation we" not in found


def test_single_words_need_title_repetition_or_capitals():
    text = "Sparse graphs. We count sparse graphs quickly using LSTM models, enough said."
    found = phrases(text, title_end=len("Sparse graphs"))
    assert {"sparse", "graphs", "LSTM"} <= found
    assert "enough" not in found and "quickly" not in found


def test_selection_prefers_relevant_and_avoids_nested_repeats():
    text = "selection bias. selection bias and background music"
    spans = [(0, 9), (10, 14), (16, 25), (26, 30), (35, 45), (46, 51)]
    tokens = np.array([[1, 0], [1, 0.1], [1, 0], [1, 0.1], [0, 1], [0.1, 1]], dtype=np.float32)
    chosen = extract_keyphrases(text, tokens, spans, np.array([1, 0.05], dtype=np.float32), k=2, title_end=14)
    assert chosen[0].phrase == "selection bias"
    assert all(k.phrase not in ("selection", "bias") for k in chosen)


def test_phrases_beyond_the_truncation_window_are_ignored():
    text = "alpha beta. gamma delta"
    chosen = extract_keyphrases(text, np.ones((2, 2), dtype=np.float32), [(0, 5), (6, 10)], np.ones(2), k=5, title_end=10)
    assert {k.phrase for k in chosen} <= {"alpha beta", "alpha", "beta"}


def test_candidate_vectors_are_the_mean_of_the_tokens_inside_every_occurrence():
    from stream_processors.keyphrases import _candidate_vectors

    text = "graph neural networks. deep graph neural networks for graph data"
    found = candidates(text, title_end=len("graph neural networks"))
    words = [(m.start(), m.end()) for m in __import__("re").finditer(r"\S+?(?=[ .]|$)", text)]
    offsets = [(0, 0), *words, (0, 0)]  # special tokens (empty spans) at both ends
    rng = np.random.default_rng(7)
    tokens = rng.normal(size=(len(offsets), 4)).astype(np.float32)
    vectors, names = _candidate_vectors(found, tokens, offsets)
    assert names and len(vectors) == len(names)
    for phrase, vector in zip(names, vectors, strict=True):
        spans = next(c.spans for c in found if c.phrase == phrase)
        inside = [t for t, (s, e) in enumerate(offsets) if e > s and any(a <= s and e <= b for a, b in spans)]
        np.testing.assert_allclose(vector, tokens[inside].mean(axis=0), rtol=1e-5, atol=1e-6)


def test_phrases_of_the_same_tokens_tie_and_the_first_in_the_text_wins():
    text = "Quasi-Static fading. the quasi-static fading channel"
    spans = [(0, 12), (13, 19), (25, 37), (38, 44), (45, 52)]
    base = {"quasi-static": [1, 0.3, 0], "fading": [0.2, 0.1, 1], "channel": [0, 0, 0.2]}
    tokens = np.array([base[text[s:e].lower()] for s, e in spans], dtype=np.float32)
    pair = (tokens[0] + tokens[1]) / 2  # both forms of "quasi-static fading" have exactly this vector
    for tilt in (0.0, 0.01, -0.01):
        document = pair + np.array([tilt, -tilt, 0], dtype=np.float32)
        chosen = extract_keyphrases(text, tokens, spans, document, k=1, title_end=19)
        assert chosen[0].phrase == "Quasi-Static fading"  # the title's form, met first; never its lowercase twin
