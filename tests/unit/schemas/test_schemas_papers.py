"""The raw-paper contract: what it accepts, what it refuses, and how it says why."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from pydantic import ValidationError

from foundation.errors import InvalidRecord
from schemas.papers import Author, Embedding, RawPaper, parse_raw_paper


def paper(**overrides) -> RawPaper:
    fields = dict(
        arxiv_id="1006.5314",
        version=2,
        title="Photoassociation of a cold atom-molecule pair",
        abstract="The general formalism ...",
        authors=(Author(keyname="Lepers", forenames="M."),),
        categories=("quant-ph", "physics.atom-ph"),
        source="snapshot",
    )
    fields.update(overrides)
    return RawPaper(**fields)


@pytest.mark.parametrize("arxiv_id", ["1006.5314", "1501.00001", "cs/0112017", "math.AG/0301001", "hep-th/9901001"])
def test_accepts_new_and_old_style_ids(arxiv_id):
    assert paper(arxiv_id=arxiv_id).arxiv_id == arxiv_id


@pytest.mark.parametrize("arxiv_id", ["1006.5314v2", "cs/0112017v1", "", "abc", "1006.53", "CS/0112017"])
def test_refuses_versioned_or_malformed_ids(arxiv_id):
    with pytest.raises(ValueError, match="arxiv_id"):
        paper(arxiv_id=arxiv_id)


def test_timestamps_are_converted_to_utc():
    cest = timezone(timedelta(hours=2))
    value = paper(submitted=datetime(2010, 6, 28, 13, 3, tzinfo=cest))
    assert value.submitted == datetime(2010, 6, 28, 11, 3, tzinfo=UTC)
    assert value.year == 2010


def test_naive_timestamps_are_refused():
    with pytest.raises(ValueError, match="timezone"):
        paper(submitted=datetime(2010, 6, 28))


def test_primary_category_is_the_first():
    assert paper().primary_category == "quant-ph"


def test_control_characters_are_refused():
    with pytest.raises(ValueError, match="control characters"):
        paper(title="bad\x00title")


def test_a_paper_needs_an_author():
    with pytest.raises(ValueError, match="authors"):
        paper(authors=())


def test_parse_names_the_failing_field():
    payload = paper().model_dump_json().replace('"Lepers"', '""')
    with pytest.raises(InvalidRecord) as caught:
        parse_raw_paper(payload)
    assert caught.value.field == "authors.0.keyname"
    assert "authors.0.keyname" in caught.value.reason


def test_parse_round_trips():
    original = paper()
    assert parse_raw_paper(original.model_dump_json()) == original


def test_unknown_fields_are_refused():
    payload = paper().model_dump_json()[:-1] + ', "surprise": 1}'
    with pytest.raises(InvalidRecord, match="surprise"):
        parse_raw_paper(payload)


def test_embedding_round_trips_float32_exactly():
    vector = np.array([0.25, -1.5, 3.0e-7], dtype=np.float32)
    embedding = Embedding.from_vector("m", vector)
    assert embedding.dim == 3
    assert np.array_equal(embedding.vector(), vector)


def test_embedding_size_must_match_dim():
    good = Embedding.from_vector("m", np.ones(4, dtype=np.float32))
    with pytest.raises(ValueError, match="float32"):
        Embedding(model="m", dim=5, b64=good.b64)


def test_an_int8_embedding_is_a_quarter_of_the_bytes_and_keeps_the_direction():
    rng = np.random.default_rng(5)
    vectors = rng.standard_normal((200, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    full = Embedding.from_vector("m", vectors[0])
    small = Embedding.from_vector("m", vectors[0], "i1")
    assert small.dtype == "i1" and small.scale is not None and len(small.b64) * 4 == len(full.b64)
    assert json.loads(small.model_dump_json()).keys() == {"model", "dim", "b64", "dtype", "scale"}
    assert Embedding.model_validate_json(small.model_dump_json()) == small
    assert small.compact() is small, "the linking events carry an int8 vector as it came"
    assert small.as_dtype("f2").dtype == "f2" and small.full().dtype == "f4"
    step = small.scale
    assert np.abs(small.vector() - vectors[0]).max() <= step / 2 + 1e-7, "each value within half a step"
    assert int(np.abs(np.frombuffer(base64.b64decode(small.b64), dtype=np.int8)).max()) == 127
    carried = np.stack([Embedding.from_vector("m", v, "i1").vector() for v in vectors])
    cosines = (carried * vectors).sum(axis=1) / np.linalg.norm(carried, axis=1)
    assert cosines.min() > 0.9998


def test_an_int8_embedding_needs_its_scale_and_only_it_has_one():
    small = Embedding.from_vector("m", np.ones(8, dtype=np.float32), "i1")
    with pytest.raises(ValidationError, match="needs its scale"):
        Embedding(model="m", dim=8, b64=small.b64, dtype="i1")
    with pytest.raises(ValidationError, match="needs its scale"):
        Embedding(model="m", dim=2, b64=small.b64, dtype="f4", scale=0.5)
    with pytest.raises(ValidationError, match="greater than 0"):
        Embedding(model="m", dim=8, b64=small.b64, dtype="i1", scale=0.0)
    with pytest.raises(ValidationError, match="does not hold 9 int8 values"):
        Embedding(model="m", dim=9, b64=small.b64, dtype="i1", scale=1.0)
    zero = Embedding.from_vector("m", np.zeros(8, dtype=np.float32), "i1")
    assert zero.scale == 1.0 and not zero.vector().any()


def test_a_float16_embedding_is_half_the_bytes_and_float32_ones_read_and_write_as_before():
    vector = np.random.default_rng(3).standard_normal(384).astype(np.float32)
    full = Embedding.from_vector("m", vector)
    assert json.loads(full.model_dump_json()).keys() == {"model", "dim", "b64"}, "no dtype key on float32"
    compact = full.compact()
    assert compact.dtype == "f2" and len(compact.b64) * 2 == len(full.b64)
    assert Embedding.model_validate_json(compact.model_dump_json()) == compact
    assert np.abs(compact.vector() - vector).max() < 2e-3 and compact.vector().dtype == np.float32
    assert compact.full().dtype == "f4" and np.array_equal(compact.full().vector(), compact.vector())
    with pytest.raises(ValidationError, match="does not hold 384 float16 values"):
        Embedding(model="m", dim=384, b64=full.b64, dtype="f2")
