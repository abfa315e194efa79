"""The int8 mode as a new user sets it up: quantise the model, build its topic model, run the
pipeline with it, and search by meaning; the vectors in Kafka are the int8 model's own."""

from __future__ import annotations

import json

import numpy as np

from encoders.loading import load_encoder
from encoders.quantized import INT8_DEFAULT_NAME
from foundation.settings import Settings
from schemas.papers import EnrichedPaper
from stream_processors.enrich import embedding_text
from tests.integration.conftest import FIXTURE_SNAPSHOT, cli, read_topic


def test_quantise_build_topics_run_and_search_in_the_int8_mode(settings, monkeypatch):
    built = cli("encoder", "quantize", "--json")
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout)["fused"]["Attention"] == 6

    monkeypatch.setenv("SCHOLARSTREAM_ENCODER_MODEL", INT8_DEFAULT_NAME)
    missing = cli("run", "--until-caught-up", "--timeout", "120", "--json")  # no topic model for it yet
    assert missing.returncode != 0 and "topics build" in missing.stderr + missing.stdout
    topics = cli("topics", "build", "--per-label", "3", "--json")
    assert topics.returncode == 0, topics.stderr
    assert json.loads(topics.stdout)["encoder"] == INT8_DEFAULT_NAME

    assert cli("ingest", "snapshot", str(FIXTURE_SNAPSHOT), "--json").returncode == 0
    run = cli("run", "--until-caught-up", "--timeout", "600", "--json")
    assert run.returncode == 0, run.stderr + run.stdout
    assert json.loads(run.stdout)["indexed_documents"] == 40

    enriched = [EnrichedPaper.model_validate_json(r.value) for r in read_topic(settings, settings.topic("papers.enriched"))]
    assert len({e.arxiv_id for e in enriched}) == 40
    assert {e.embedding.model for e in enriched} == {INT8_DEFAULT_NAME}
    assert all(len(e.topics) == 3 and e.keyphrases for e in enriched)
    encoder = load_encoder(Settings(_env_file=None))
    expected = encoder.encode([embedding_text(e.paper) for e in enriched])
    carried = np.stack([e.embedding.vector() for e in enriched])
    # the same model, up to the int8 step the event carries (half of it for rounding, a little
    # more for another batch padding in the encoder)
    half_steps = np.array([e.embedding.scale for e in enriched])[:, None] / 2
    assert np.all(np.abs(carried - expected) <= half_steps + 1e-4)

    # Semantic search encodes the query with the same int8 model and finds the paper's authors.
    searched = cli("search", "researchers", "photoassociation of cold atom-molecule pairs", "--mode", "semantic", "--json")
    assert searched.returncode == 0, searched.stderr
    top = json.loads(searched.stdout)["hits"][0]
    assert top["display_name"].split()[-1] in {"Lepers", "Dulieu", "Kokoouline"}, top
