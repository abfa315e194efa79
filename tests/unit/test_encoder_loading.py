"""A model that cannot be loaded stops start-up with a clear error naming the setting."""

import time

import pytest

from scholarstream.errors import ConfigError
from scholarstream.settings import Settings
from stream_processors.encoder import load_encoder


def test_a_missing_model_directory_is_a_clear_start_up_error(tmp_path):
    settings = Settings(_env_file=None, SCHOLARSTREAM_ENCODER_MODEL=str(tmp_path / "no-such-model"))
    started = time.monotonic()
    with pytest.raises(ConfigError, match="SCHOLARSTREAM_ENCODER_MODEL"):
        load_encoder(settings)
    assert time.monotonic() - started < 30, "a local path must not wait on a model hub"


def test_a_missing_static_model_says_how_to_build_it(tmp_path):
    settings = Settings(_env_file=None, SCHOLARSTREAM_ENCODER_MODEL="static-minilm-v1", SCHOLARSTREAM_DATA_DIR=str(tmp_path))
    with pytest.raises(ConfigError, match="encoder distill"):
        load_encoder(settings)
