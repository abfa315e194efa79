"""The int8 mode: MiniLM run by ONNX Runtime with its weights in int8, between MiniLM fp32 and fast mode.

`scholarstream encoder quantize` builds it locally from the packaged MiniLM, in three steps:
the transformer is exported to an ONNX graph, ONNX Runtime's BERT optimiser fuses its operators
(attention, GELU with its bias, layer normalisation with the residual), and every matrix product
with a constant weight is quantised to int8, one scale per output channel, with the activations
quantised at run time. Per-channel scales matter: one scale per tensor moved the vectors to a
mean cosine of 0.94 with fp32, per channel keeps 0.995 (docs/performance.md, 7c).

Pooling is the source model's: the mean of the token vectors, then L2. Each text is its own run.
The activations' int8 scale is measured over a whole run, so a text batched with others would get
a vector that depends on its neighbours, and a replay, batching differently, could link it
differently. One text a run costs about 3 % against runs of up to 1,024 tokens, and nothing pads.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from encoders.base import TokenVectors
from foundation.errors import ConfigError

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

INT8_DEFAULT_NAME = "minilm-int8-v1"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "encoder.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


@dataclass
class QuantizedEncoder:
    name: str
    dim: int
    session: onnxruntime.InferenceSession
    tokenizer: Tokenizer  # truncates to the model's token limit itself

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([item.vector for item in self.encode_tokens(texts)])

    def encode_tokens(self, texts: list[str]) -> list[TokenVectors]:
        """One run per text: no padding, and a text's vector never depends on what it is batched with."""
        encoded = []
        for item in self.tokenizer.encode_batch(texts):
            feed = {"input_ids": np.array([item.ids], np.int64), "attention_mask": np.ones((1, len(item.ids)), np.int64),
                    "token_type_ids": np.array([item.type_ids], np.int64)}
            tokens = self.session.run(None, feed)[0][0]
            vector = tokens.mean(axis=0)
            vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
            encoded.append(TokenVectors(vector.astype(np.float32), tokens, [(start, end) for start, end in item.offsets]))
        return encoded


def quantize(model_dir: Path, output: Path) -> dict[str, Any]:
    """Build the int8 model directory from a sentence-transformers model directory (mean pooling, BERT)."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModel

    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    if not pooling.get("pooling_mode_mean_tokens"):
        raise ConfigError(f"{model_dir} does not pool by the mean of its tokens; the int8 mode only does mean pooling")
    started = time.monotonic()
    # Eager attention exports as plain operators, which the optimiser recognises and fuses.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    config = model.config
    output.mkdir(parents=True, exist_ok=True)
    work = output / "build"
    work.mkdir(exist_ok=True)
    exported, fused = work / "exported.onnx", work / "fused.onnx"
    # A padded sample, so the traced graph is the one that masks padding; both axes stay dynamic.
    mask = torch.tensor([[1] * 8, [1] * 5 + [0] * 3])
    sample = (torch.full((2, 8), 1000) * mask, mask, torch.zeros((2, 8), dtype=torch.int64))
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    with warnings.catch_warnings(), _quiet_root_logger():  # the tracer's and the quantiser's advice, not faults
        warnings.simplefilter("ignore")
        torch.onnx.export(_hidden_states(model), sample, str(exported), input_names=list(INPUTS),
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)
        exported_at = time.monotonic()
        optimised = optimize_model(str(exported), model_type="bert", num_heads=config.num_attention_heads,
                                   hidden_size=config.hidden_size)
        fusions = {op: count for op, count in optimised.get_fused_operator_statistics().items() if count}
        optimised.save_model_to_file(str(fused))
        quantize_dynamic(str(fused), str(output / MODEL_FILE), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})  # fused operators carry no inferred type
    shutil.copyfile(model_dir / TOKENIZER_FILE, output / TOKENIZER_FILE)
    shutil.rmtree(work)
    meta = {"source": model_dir.name, "dim": config.hidden_size, "pooling": "mean", "weights": "int8 per channel",
            "fused": fusions}
    (output / META_FILE).write_text(json.dumps(meta, indent=1))
    return {**meta, "export_seconds": round(exported_at - started, 1),
            "seconds": round(time.monotonic() - started, 1), "bytes": (output / MODEL_FILE).stat().st_size}


@contextmanager
def _quiet_root_logger():
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _hidden_states(model: Any) -> Any:
    """The transformer as a module of three positional inputs returning its last hidden states."""
    import torch

    class HiddenStates(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    return HiddenStates()


def load_quantized(path: Path, name: str, max_tokens: int, threads: int | None = None) -> QuantizedEncoder:
    import onnxruntime
    from tokenizers import Tokenizer

    if not (path / MODEL_FILE).exists() or not (path / TOKENIZER_FILE).exists():
        raise ConfigError(f"no int8 model at {path}; build it with `scholarstream encoder quantize`")
    meta = json.loads((path / META_FILE).read_text())
    tokenizer = Tokenizer.from_file(str(path / TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_tokens)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or len(os.sched_getaffinity(0))
    options.inter_op_num_threads = 1
    # Idle pool threads sleep instead of spinning: in the worker they share the cores with the
    # other stages, which a spinning thread starves (end to end 41.8/43.8 papers/s against
    # 34.1/33.9 spinning; the encoder alone loses 15 %: docs/performance.md 7c).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(str(path / MODEL_FILE), options, providers=["CPUExecutionProvider"])
    return QuantizedEncoder(name=name, dim=int(meta["dim"]), session=session, tokenizer=tokenizer)
