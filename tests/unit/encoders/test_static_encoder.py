"""The fast-mode static encoder, with a tiny in-memory tokenizer and hand-made token vectors."""

import numpy as np
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace

from encoders.static import StaticEncoder

VOCAB = {"[UNK]": 0, "graph": 1, "quantum": 2, "states": 3}


def encoder(max_tokens=512):
    tokenizer = Tokenizer(WordLevel(VOCAB, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    vectors = np.array([[0, 0], [1, 0], [0, 1], [0, 2]], dtype=np.float32)
    return StaticEncoder("static-test", 2, tokenizer, vectors, max_tokens)


def test_a_text_is_the_normalised_sum_of_its_token_vectors():
    vectors = encoder().encode(["graph", "quantum states", "graph quantum"])
    assert np.allclose(vectors, [[1, 0], [0, 1], [2**-0.5, 2**-0.5]])


def test_token_vectors_and_offsets_line_up_with_the_text():
    (item,) = encoder().encode_tokens(["graph quantum"])
    assert item.offsets == [(0, 5), (6, 13)]
    assert np.array_equal(item.token_vectors, [[1, 0], [0, 1]])


def test_truncation_and_unknown_words():
    assert np.allclose(encoder(max_tokens=1).encode(["graph quantum"]), [[1, 0]])
    assert np.allclose(encoder().encode(["zzz"]), [[0, 0]])
