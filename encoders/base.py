"""What the pipeline needs of an encoder, apart from any implementation: the transforms and the
search layer depend on this, never on a model library."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


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
