"""The ONNX copy of the embedding model: same vectors as torch, produced offline, checked, repaired."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from index import onnx_model
from index.embeddings import MINILM_NAME, MiniLMEmbedder, default_model_cache, make_embedder, sha256_of

pytestmark = pytest.mark.integration

TEXTS = [
    "Who mediated the February swap?",
    "The council approved 4.2 million euros for repairs; critics called it too little, too late.",
    "Rain.",
    " ".join(["A long sentence about ports, prices and protests in several cities."] * 12),  # > 256 pieces
]


@pytest.fixture(scope="module")
def torch_minilm():
    return MiniLMEmbedder(backend="torch")


def test_onnx_vectors_equal_the_torch_reference(minilm, torch_minilm):
    assert minilm.backend == "onnx" and minilm.name == MINILM_NAME == torch_minilm.name
    got, ref = minilm.embed(TEXTS), torch_minilm.embed(TEXTS)
    assert got.shape == ref.shape == (len(TEXTS), 384)
    assert np.min(np.sum(got * ref, axis=1)) > 0.99999
    # batching and ordering do not change a text's vector
    np.testing.assert_allclose(minilm.embed(TEXTS[::-1], batch_size=1)[::-1], got, atol=1e-5)
    assert minilm.count_window_tokens(TEXTS[0]) == torch_minilm.count_window_tokens(TEXTS[0])


def test_int8_copy_is_a_different_model_for_the_store(tmp_path, minilm):
    cache = tmp_path / "models"
    shutil.copytree(default_model_cache(), cache)  # reuse the fp32 copy the `minilm` fixture made
    int8 = MiniLMEmbedder(backend="onnx-int8", cache_dir=cache)
    assert int8.name != MINILM_NAME  # a store built with fp32 vectors refuses it
    cos = np.sum(int8.embed(TEXTS) * minilm.embed(TEXTS), axis=1)
    assert 0.97 < float(cos.min()) < 0.99999


def test_a_damaged_copy_is_produced_again(tmp_path, minilm):
    cache = tmp_path / "models"
    cache.mkdir()
    src = default_model_cache()  # the `minilm` fixture made the fp32 copy there
    for f in src.glob("*-fp32.*"):
        shutil.copy(f, cache / f.name)
    model = next(cache.glob("*-fp32.onnx"))
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    emb = MiniLMEmbedder(cache_dir=cache)
    record = json.loads(model.with_suffix(".json").read_text())
    assert record["onnx_sha256"] == sha256_of(model) and record["probe_cosine_min"] > 0.99999
    np.testing.assert_allclose(emb.embed(TEXTS), minilm.embed(TEXTS), atol=1e-5)


def test_a_copy_that_disagrees_with_the_original_is_refused(tmp_path, monkeypatch, minilm):
    src = default_model_cache()  # the `minilm` fixture made the fp32 copy there
    MiniLMEmbedder(backend="onnx-int8")  # make sure the int8 file exists
    int8 = next(src.glob("*-int8.onnx"))
    monkeypatch.setattr(onnx_model, "_export", lambda model_dir, out, tok: shutil.copy(int8, out))
    with pytest.raises(onnx_model.OnnxModelError, match="disagrees with the original"):
        MiniLMEmbedder(cache_dir=tmp_path / "models")
    assert not list((tmp_path / "models").glob("*.onnx"))  # nothing half-made is left to be trusted


def test_unknown_embedder_names_the_choices():
    with pytest.raises(ValueError, match="minilm, minilm-torch, hash"):
        make_embedder("bert")


def test_a_failed_export_says_what_to_do(tmp_path, monkeypatch, minilm):
    def broken(model_dir, out, tok):
        raise ModuleNotFoundError("No module named 'onnx'")

    monkeypatch.setattr(onnx_model, "_export", broken)
    with pytest.raises(onnx_model.OnnxModelError, match=r"make setup.*minilm-torch"):
        MiniLMEmbedder(cache_dir=tmp_path / "models")


def test_counting_is_never_truncated_by_a_concurrent_embedding(minilm):
    """Counting and embedding share no tokenizer state (a count once came back capped at 256 while
    another thread embedded: an over-long chunk would then have been accepted)."""
    import threading

    long_text = "word " * 300
    counts: list[int] = []

    def embed() -> None:
        for _ in range(150):
            minilm.embed([TEXTS[1]] * 8, batch_size=4)

    def count() -> None:
        for _ in range(3000):
            counts.append(minilm.count_window_tokens(long_text))

    threads = [threading.Thread(target=f) for f in (embed, embed, count, count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(counts) == 6000 and set(counts) == {302}
