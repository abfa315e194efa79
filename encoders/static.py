"""Fast mode: a static embedding model distilled locally from the packaged MiniLM.

Distillation runs the transformer once over every token of its vocabulary, alone between [CLS]
and [SEP], and keeps the mean-pooled output as that token's fixed vector. Encoding a text is then
a weighted mean of its tokens' vectors: no attention, no context, orders of magnitude faster on
a CPU, at some cost in quality (measured by `eval topics` and `bench/encoders.py`). Token weights
down-weight frequent tokens (smooth inverse frequency over a sample of real abstracts), so
"the" and "of" do not dominate the mean.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from encoders.base import TokenVectors
from foundation.errors import ConfigError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

STATIC_PREFIX = "static:"
STATIC_DEFAULT_NAME = "static-minilm-v1"


@dataclass
class StaticEncoder:
    name: str
    dim: int
    tokenizer: Tokenizer
    vectors: np.ndarray  # (vocab, dim) unit rows, scaled by token weight
    max_tokens: int

    def _token_ids(self, texts: list[str]):
        return self.tokenizer.encode_batch(texts)

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([item.vector for item in self.encode_tokens(texts)]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_tokens(self, texts: list[str]) -> list[TokenVectors]:
        encoded = []
        for item in self._token_ids(texts):
            ids = np.array(item.ids[: self.max_tokens], dtype=np.int64)
            offsets = [tuple(span) for span in item.offsets[: self.max_tokens]]
            tokens = self.vectors[ids] if len(ids) else np.zeros((1, self.dim), np.float32)
            vector = tokens.sum(axis=0)
            vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
            encoded.append(TokenVectors(vector.astype(np.float32), tokens, offsets))
        return encoded


def distill(model_dir: Path, output: Path, sample_texts: Iterable[str], batch_size: int = 512) -> Path:
    """Build the static model from a sentence-transformers model directory (runs on the CPU)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    model = SentenceTransformer(str(model_dir), device="cpu")
    transformer: Any = model[0].auto_model  # a transformers model (torch's Module.__getattr__ says Tensor | Module)
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    vocab_size = tokenizer.get_vocab_size()
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    assert cls_id is not None and sep_id is not None, "a BERT vocabulary has [CLS] and [SEP]"
    vectors = np.zeros((vocab_size, transformer.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, vocab_size, batch_size):
            ids = torch.arange(start, min(start + batch_size, vocab_size))
            batch = torch.stack([torch.full_like(ids, cls_id), ids, torch.full_like(ids, sep_id)], dim=1)
            hidden = transformer(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
            vectors[start : start + len(ids)] = hidden.mean(dim=1).numpy()
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    counts: Counter[int] = Counter()
    total = 0
    for item in tokenizer.encode_batch(list(sample_texts)):
        counts.update(item.ids)
        total += len(item.ids)
    frequency = np.zeros(vocab_size, dtype=np.float64)
    for token, count in counts.items():
        frequency[token] = count / max(total, 1)
    weights = 1e-3 / (1e-3 + frequency)  # smooth inverse frequency
    for special in (cls_id, sep_id, tokenizer.token_to_id("[PAD]")):
        weights[special] = 0.0
    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "wb") as handle:
        np.savez_compressed(handle, vectors=(vectors * weights[:, None]).astype(np.float32))
    tokenizer_copy = output.with_suffix(".tokenizer.json")
    tokenizer_copy.write_text((model_dir / "tokenizer.json").read_text())
    return output


def load_static(path: Path, name: str, max_tokens: int) -> StaticEncoder:
    from tokenizers import Tokenizer

    tokenizer_path = path.with_suffix(".tokenizer.json")
    if not path.exists() or not tokenizer_path.exists():
        raise ConfigError(f"no static model at {path}; build it with `scholarstream encoder distill`")
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    with np.load(path) as data:
        vectors = data["vectors"]
    return StaticEncoder(name=name, dim=int(vectors.shape[1]), tokenizer=tokenizer, vectors=vectors, max_tokens=max_tokens)
