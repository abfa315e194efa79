"""A model that cannot be loaded stops start-up with a clear error naming the setting."""

import os

import pytest

from encoders.loading import load_encoder
from foundation.errors import ConfigError
from foundation.settings import Settings


def test_a_missing_model_directory_is_a_clear_start_up_error(tmp_path, monkeypatch):
    """Checked by the mechanism, not by a stopwatch (which a loaded machine makes flaky): a local
    path switches the hub client offline before loading, so it is never asked."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    settings = Settings(_env_file=None, SCHOLARSTREAM_ENCODER_MODEL=str(tmp_path / "no-such-model"))
    with pytest.raises(ConfigError, match="SCHOLARSTREAM_ENCODER_MODEL"):
        load_encoder(settings)
    assert os.environ.get("HF_HUB_OFFLINE") == "1" and os.environ.get("TRANSFORMERS_OFFLINE") == "1"


def test_a_missing_static_model_says_how_to_build_it(tmp_path):
    settings = Settings(_env_file=None, SCHOLARSTREAM_ENCODER_MODEL="static-minilm-v1", SCHOLARSTREAM_DATA_DIR=str(tmp_path))
    with pytest.raises(ConfigError, match="encoder distill"):
        load_encoder(settings)
