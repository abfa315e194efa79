"""The int8 mode, built from the packaged MiniLM as `encoder quantize` builds it, against MiniLM fp32."""

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from encoders.loading import load_encoder
from encoders.quantized import INT8_DEFAULT_NAME, load_quantized, quantize
from encoders.transformer import packaged_model_path
from foundation.errors import ConfigError
from foundation.settings import Settings

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "arxiv-kaggle-1006.jsonl.gz"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / INT8_DEFAULT_NAME
    info = quantize(packaged_model_path(), path)
    return path, info


@pytest.fixture(scope="module")
def texts():
    with gzip.open(SAMPLE, "rt") as lines:
        records = [json.loads(line) for _, line in zip(range(40), lines, strict=False)]
    return [f"{r['title']}. {r['abstract']}" for r in records] + ["", "Graphs."]


@pytest.fixture(scope="module")
def fp32():
    return load_encoder(Settings(_env_file=None))


def test_the_build_fuses_every_layer_and_quantises_the_weights(built):
    path, info = built
    assert info["fused"]["Attention"] == 6 and info["fused"]["SkipLayerNormalization"] == 12
    assert info["dim"] == 384 and info["bytes"] < 30e6  # fp32 weights alone are 90 MB
    assert not (path / "build").exists()


def test_vectors_stay_close_to_fp32(built, texts, fp32):
    encoder = load_quantized(built[0], INT8_DEFAULT_NAME, max_tokens=256, threads=1)
    vectors, reference = encoder.encode(texts), fp32.encode(texts)
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.mean() >= 0.99 and cosines.min() >= 0.97, cosines
    # Each text keeps its own nearest neighbour among the others.
    def nearest(v):
        return (v @ v.T - 2 * np.eye(len(v))).argmax(axis=1)

    assert (nearest(vectors) == nearest(reference)).mean() >= 0.9


def test_a_text_gets_the_same_vector_whatever_it_is_batched_with(built, texts):
    """A replay re-encodes a paper in another batch: its vector, and so its links, must not move."""
    encoder = load_quantized(built[0], INT8_DEFAULT_NAME, max_tokens=256, threads=1)
    together = encoder.encode(texts)
    alone = np.stack([encoder.encode([text])[0] for text in reversed(texts)])[::-1]
    assert np.array_equal(together, alone)


def test_token_vectors_line_up_with_the_tokenizer_and_truncate(built, texts, fp32):
    encoder = load_quantized(built[0], INT8_DEFAULT_NAME, max_tokens=64, threads=1)
    short, long = "Quantum graphs.", texts[0]
    items, reference = encoder.encode_tokens([long, short]), fp32.encode_tokens([short])
    assert [len(item.offsets) for item in items] == [64, len(reference[0].offsets)]
    assert items[1].offsets == reference[0].offsets
    assert items[1].token_vectors.shape == reference[0].token_vectors.shape
    assert np.allclose(items[0].vector, encoder.encode([long])[0])


def test_the_configured_name_loads_the_built_model_or_says_how_to_build_it(tmp_path, built):
    settings = Settings(_env_file=None, SCHOLARSTREAM_ENCODER_MODEL=INT8_DEFAULT_NAME, SCHOLARSTREAM_DATA_DIR=str(tmp_path))
    with pytest.raises(ConfigError, match="encoder quantize"):
        load_encoder(settings)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / INT8_DEFAULT_NAME).symlink_to(built[0])
    assert load_encoder(settings).name == INT8_DEFAULT_NAME
