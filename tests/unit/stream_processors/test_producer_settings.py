"""The worker's producer batches and compresses, and every reader of its topics has the codec."""

from __future__ import annotations

import aiokafka.codec
import faust
import kafka.codec
import pytest

from foundation.settings import Settings
from stream_processors.app import producer_settings


def test_by_default_the_worker_waits_30_ms_for_batches_of_256_kib_compressed_with_zstd():
    options = producer_settings(Settings())
    assert options == {"producer_linger": 0.03, "producer_max_batch_size": 262_144, "producer_compression_type": "zstd"}
    app = faust.App("producer-settings-test", broker="kafka://127.0.0.1:1", store="memory://", **options)
    assert app.conf.producer_linger == 0.03
    assert app.conf.producer_max_batch_size == 262_144
    assert app.conf.producer_compression_type == "zstd"


def test_none_turns_compression_off():
    options = producer_settings(Settings(SCHOLARSTREAM_WORKER_PRODUCER_COMPRESSION="none"))
    assert options["producer_compression_type"] is None


def test_an_unknown_codec_is_refused():
    with pytest.raises(ValueError, match="worker_producer_compression|SCHOLARSTREAM_WORKER_PRODUCER_COMPRESSION"):
        Settings(SCHOLARSTREAM_WORKER_PRODUCER_COMPRESSION="brotli")


@pytest.mark.parametrize("codec", ["zstd", "gzip"])
def test_both_kafka_clients_can_write_and_read_each_codec_the_worker_may_use(codec):
    """aiokafka writes (the worker) and reads (its table recovery); kafka-python reads (the indexer,
    reindex, the tools). A codec missing on either side would fail at the first batch."""
    payload = b'{"researcher_id": "r-1", "display_name": "Ana Souza"}' * 200
    encode = getattr(aiokafka.codec, f"{codec}_encode")
    written = encode(payload)
    assert len(written) < len(payload) / 4
    assert getattr(kafka.codec, f"{codec}_decode")(written) == payload
    assert getattr(aiokafka.codec, f"{codec}_decode")(written) == payload
