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
