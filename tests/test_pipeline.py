"""Ingest into real Chroma (tmp dirs): idempotency, replacement, aliases, prune, all-or-nothing,
batching, and refusal to mix embedding models."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.embeddings import HashEmbedder
from index.pipeline import Ingestor
from index.store import ChromaStore, StoreMismatchError, make_client
from tests.conftest import SAMPLES


def _setup(tmp_path: Path, embedder=None):
    embedder = embedder or HashEmbedder()
    store = ChromaStore(make_client(path=tmp_path / "store"), "newsdesk", embedder.name, embedder.dim)
    return store, Ingestor(store, embedder, progress=False)


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLES, folder)
    return folder


def test_ingest_then_reingest_is_idempotent(tmp_path):
    store, ing = _setup(tmp_path)
    corpus = _corpus(tmp_path)
    first = ing.ingest_paths([corpus])
    assert first.ok and len(first.added) == 5 and first.chunks_written > 0
    n_chunks = store.count_chunks()
    second = ing.ingest_paths([corpus])
    assert second.added == [] and len(second.unchanged) == 5 and second.chunks_written == 0
    assert store.count_chunks() == n_chunks
    for doc in store.list_documents():
        chunks = store.chunks.get(where={"doc_id": doc.doc_id}, include=["documents", "metadatas"])
        full = store.get_document(doc.doc_id).text
        assert len(chunks["ids"]) == doc.n_chunks
        for text, meta in zip(chunks["documents"], chunks["metadatas"], strict=True):
            assert full[meta["start"] : meta["end"]] == text


def test_changed_file_replaces_all_old_chunks(tmp_path):
    store, ing = _setup(tmp_path)
    corpus = _corpus(tmp_path)
    ing.ingest_paths([corpus])
    f = corpus / "harbour-bridge-reopens.txt"
    old_ids = {d.doc_id for d in store.list_documents() if d.file_name == f.name}
    f.write_text(f.read_text(encoding="utf-8") + "An added sentence about the new toll.\n", encoding="utf-8")
    report = ing.ingest_paths([corpus])
    assert report.replaced == [f.name] and len(report.unchanged) == 4
    docs = [d for d in store.list_documents() if d.file_name == f.name]
    assert len(docs) == 1 and docs[0].doc_id not in old_ids
    for old in old_ids:
        assert store.chunks.get(where={"doc_id": old})["ids"] == []


def test_identical_content_under_two_names_is_stored_once(tmp_path):
    store, ing = _setup(tmp_path)
    corpus = _corpus(tmp_path)
    shutil.copy(corpus / "harbour-bridge-reopens.txt", corpus / "copy-of-bridge.txt")
    report = ing.ingest_paths([corpus])
    assert report.aliased == ["harbour-bridge-reopens.txt"] or report.aliased == ["copy-of-bridge.txt"]
    docs = [d for d in store.list_documents() if "copy-of-bridge.txt" in d.file_names]
    assert len(docs) == 1 and set(docs[0].file_names) == {"copy-of-bridge.txt", "harbour-bridge-reopens.txt"}


def test_prune_removes_documents_whose_files_are_gone(tmp_path):
    store, ing = _setup(tmp_path)
    corpus = _corpus(tmp_path)
    ing.ingest_paths([corpus])
    (corpus / "orchard-cooperative.md").unlink()
    kept = ing.ingest_paths([corpus])
    assert kept.pruned == [] and any(d.file_name == "orchard-cooperative.md" for d in store.list_documents())
    pruned = ing.ingest_paths([corpus], prune=True)
    assert pruned.pruned == ["orchard-cooperative.md"]
    assert all(d.file_name != "orchard-cooperative.md" for d in store.list_documents())


class _Boom(RuntimeError):
    pass


def test_crash_mid_document_leaves_nothing_visible_and_next_run_completes(tmp_path, monkeypatch):
    store, ing = _setup(tmp_path)
    corpus = _corpus(tmp_path)
    real = store.upsert_chunks

    def crash_after_write(batch, vectors):
        real(batch, vectors)  # chunks are in Chroma, but the documents are still `pending`
        raise _Boom("power cut")

    monkeypatch.setattr(store, "upsert_chunks", crash_after_write)
    with pytest.raises(_Boom):
        ing.ingest_paths([corpus])
    assert store.list_documents() == []  # readers see no half-written document
    assert store.count_chunks() > 0
    monkeypatch.setattr(store, "upsert_chunks", real)
    report = ing.ingest_paths([corpus])
    assert len(report.repaired) == 5 and len(report.added) == 5
    assert store.count_chunks() == sum(d.n_chunks for d in store.list_documents())


def test_writes_respect_the_max_batch_size(tmp_path):
    store, ing = _setup(tmp_path)
    store._max_batch = 3
    calls = []
    real = store.chunks.upsert

    def spy(**kw):
        calls.append(len(kw["ids"]))
        return real(**kw)

    store.chunks.upsert = spy  # type: ignore[method-assign]
    ing.ingest_paths([_corpus(tmp_path)])
    assert calls and max(calls) <= 3
    # reads page too: a page size that does not divide the counts still lists everything once
    n_docs, n_chunks = len(store.list_documents()), store.count_chunks()
    store._read_page = 2
    assert len(store.list_documents()) == n_docs > 2
    ids = [h.chunk_id for h in store.iter_chunks()]
    assert len(ids) == len(set(ids)) == n_chunks > 2


def test_refuses_to_mix_embedding_models(tmp_path):
    _setup(tmp_path)
    other = HashEmbedder()
    other.name = "another-model"
    with pytest.raises(StoreMismatchError, match=r"[Rr]e-index"):
        ChromaStore(make_client(path=tmp_path / "store"), "newsdesk", other.name, other.dim)


def test_upload_names_are_never_paths(tmp_path):
    store, ing = _setup(tmp_path)
    report = ing.ingest_upload("../../etc/evil.txt", b"A sample uploaded article about ferries.")
    assert report.ok
    doc = store.list_documents()[0]
    assert doc.file_name == "evil.txt" and doc.origins == ("upload:evil.txt",)
    assert not (tmp_path.parent / "etc").exists()


def test_missing_path_is_reported(tmp_path):
    _, ing = _setup(tmp_path)
    report = ing.ingest_paths([tmp_path / "nope"])
    assert not report.ok and "no such file" in report.skipped[0].reason
