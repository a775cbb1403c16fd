"""The document registry with several writers (real Chroma in a temp dir, hash embedder): leases
on `pending`/`deleting` markers, repair of only expired or own markers, delete order, a writer
rewriting what another process removed, sanitised names, bad files in a batch."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from index.embeddings import HashEmbedder
from index.pipeline import Ingestor
from index.store import ChromaStore, make_client

TEXT = "SAMPLE ARTICLE (written for Newsdesk store tests). The Tarnby ferry resumed service on Monday."


def _store(path: Path, lease: float = 900.0) -> ChromaStore:
    e = HashEmbedder()
    return ChromaStore(make_client(path=path), "newsdesk", e.name, e.dim, lease_seconds=lease)


def _ingestor(store: ChromaStore) -> Ingestor:
    return Ingestor(store, HashEmbedder(), progress=False)


def _orphans(store: ChromaStore) -> set[str]:
    docs = set(store.docs.get(include=[])["ids"])
    return {str(m["doc_id"]) for m in store.chunks.get(include=["metadatas"])["metadatas"]} - docs


def _crash_after_chunks(monkeypatch, store: ChromaStore) -> None:
    """The next write stops after its chunks: the document stays `pending`."""
    def crash(recs, state):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(store, "set_states", crash)


def test_another_writers_live_marker_is_left_alone_an_expired_one_is_repaired(tmp_path, monkeypatch):
    writer_a = _store(tmp_path / "s")
    _crash_after_chunks(monkeypatch, writer_a)
    with pytest.raises(KeyboardInterrupt):
        _ingestor(writer_a).ingest_upload("a.txt", TEXT.encode())
    pending = writer_a.docs.get(include=["metadatas"])["metadatas"][0]
    assert pending["state"] == "pending" and pending["owner"] == writer_a.owner
    assert pending["lease_until"] > time.time() + 800 and pending["write_id"]

    writer_b = _store(tmp_path / "s")  # another process: different owner
    assert writer_b.owner != writer_a.owner
    assert writer_b.repair() == []  # A may still be writing: untouched
    assert writer_b.count_chunks() > 0 and writer_b.docs.count() == 1

    doc_id = writer_b.docs.get()["ids"][0]
    monkeypatch.setattr(time, "time", lambda: pending["lease_until"] + 1)  # A's lease ran out
    assert writer_b.repair() == [doc_id]
    assert writer_b.count_chunks() == 0 and writer_b.docs.count() == 0


def test_own_markers_are_repaired_at_once(tmp_path, monkeypatch):
    store = _store(tmp_path / "s")
    ing = _ingestor(store)
    real = store.set_states
    _crash_after_chunks(monkeypatch, store)
    with pytest.raises(KeyboardInterrupt):
        ing.ingest_upload("a.txt", TEXT.encode())
    monkeypatch.setattr(store, "set_states", real)
    report = ing.ingest_upload("a.txt", TEXT.encode())
    assert len(report.repaired) == 1 and report.added == ["a.txt"]
    assert [d.state for d in store.list_documents()] == ["complete"] and not _orphans(store)


def test_a_new_writer_completes_a_document_another_left_pending(tmp_path, monkeypatch):
    """The crashed writer's lease still runs; a second process writes the same text anyway (it is
    not complete) and the result is one complete document with exactly its chunks."""
    a = _store(tmp_path / "s")
    _crash_after_chunks(monkeypatch, a)
    with pytest.raises(KeyboardInterrupt):
        _ingestor(a).ingest_upload("a.txt", TEXT.encode())
    b = _store(tmp_path / "s")
    report = _ingestor(b).ingest_upload("a.txt", TEXT.encode())
    assert report.added == ["a.txt"] and report.repaired == []
    (doc,) = b.list_documents()
    assert doc.n_chunks == b.count_chunks() and not _orphans(b)


def test_repair_spares_a_rewrite_of_the_same_document(tmp_path, monkeypatch):
    """An expired marker whose document another writer is writing again right now: repair
    deletes only the chunks of the stale write (by write id), never the new ones."""
    a = _store(tmp_path / "s")
    _crash_after_chunks(monkeypatch, a)
    with pytest.raises(KeyboardInterrupt):
        _ingestor(a).ingest_upload("a.txt", TEXT.encode())
    stale = a.docs.get(include=["metadatas"])
    doc_id, stale_meta = stale["ids"][0], stale["metadatas"][0]
    # B rewrote the chunks (new write id) but has not re-registered yet: the old marker is still there
    chunks = a.chunks.get(where={"doc_id": doc_id}, include=["metadatas", "documents", "embeddings"])
    a.chunks.upsert(ids=chunks["ids"], embeddings=chunks["embeddings"], documents=chunks["documents"],
                    metadatas=[{**m, "write_id": "b-write"} for m in chunks["metadatas"]])
    monkeypatch.setattr(time, "time", lambda: stale_meta["lease_until"] + 1)
    assert _store(tmp_path / "s").repair() == [doc_id]
    assert len(a.chunks.get(where={"doc_id": doc_id})["ids"]) == len(chunks["ids"])  # B's chunks kept


def test_delete_removes_chunks_before_the_registry_entry(tmp_path, monkeypatch):
    store = _store(tmp_path / "s")
    doc_id = _ingestor(store).ingest_upload("a.txt", TEXT.encode()).doc_ids[0]
    order: list[str] = []
    real_chunks, real_docs = store.chunks.delete, store.docs.delete
    monkeypatch.setattr(store.chunks, "delete", lambda **kw: (order.append("chunks"), real_chunks(**kw))[1])

    def docs_delete(**kw):
        order.append("registry")
        raise KeyboardInterrupt("crash between the two deletes")

    monkeypatch.setattr(store.docs, "delete", docs_delete)
    with pytest.raises(KeyboardInterrupt):
        store.delete_document(doc_id)
    assert order == ["chunks", "registry"]
    assert store.list_documents() == [] and store.count_chunks() == 0  # hidden, no orphan chunks
    monkeypatch.setattr(store.docs, "delete", real_docs)
    assert store.get_document(doc_id).state == "deleting"
    assert store.repair() == [doc_id]  # own marker: the delete is finished
    assert store.docs.count() == 0


def test_writer_rewrites_documents_removed_while_it_wrote(tmp_path, monkeypatch):
    store = _store(tmp_path / "s")
    other = _store(tmp_path / "s")
    real = store.set_states
    calls = []

    def meddle(recs, state):
        if not calls:  # another process's repair strikes between chunks and `complete`, once
            for r in recs:
                other.chunks.delete(where={"doc_id": r.doc_id})
                other.docs.delete(ids=[r.doc_id])
        calls.append(state)
        return real(recs, state)

    monkeypatch.setattr(store, "set_states", meddle)
    report = _ingestor(store).ingest_upload("a.txt", TEXT.encode())
    assert report.added == ["a.txt"] and len(calls) == 2
    (doc,) = store.list_documents()
    assert doc.n_chunks == store.count_chunks() > 0 and report.chunks_written == doc.n_chunks


def test_version_changes_on_every_write(tmp_path):
    store = _store(tmp_path / "s")
    v0 = store.version()
    doc_id = _ingestor(store).ingest_upload("a.txt", TEXT.encode()).doc_ids[0]
    v1 = store.version()
    store.delete_document(doc_id)
    assert len({v0, v1, store.version()}) == 3


def test_newline_in_an_uploaded_name_stays_one_name(tmp_path):
    store = _store(tmp_path / "s")
    ing = _ingestor(store)
    first = ing.ingest_upload("evil\nname.txt", TEXT.encode())
    assert first.added == ["evil name.txt"]
    (doc,) = store.list_documents()
    assert doc.file_names == ("evil name.txt",) and doc.origins == ("upload:evil name.txt",)
    again = ing.ingest_upload("evil\nname.txt", TEXT.encode())
    assert again.unchanged == ["evil name.txt"] and again.chunks_written == 0


def test_aliases_with_odd_path_names_survive_prune(tmp_path):
    """Real file names may hold newlines and '#': identical texts under such names stay separate
    origins, and pruning only drops what is gone."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a\nb.txt").write_text(TEXT, encoding="utf-8")
    (corpus / "c#1.txt").write_text(TEXT, encoding="utf-8")
    store = _store(tmp_path / "s")
    ing = _ingestor(store)
    report = ing.ingest_paths([corpus])
    assert len(report.added) == 1 and len(report.aliased) == 1
    (doc,) = store.list_documents()
    assert set(doc.file_names) == {"a b.txt", "c#1.txt"} and len(doc.origins) == 2
    again = ing.ingest_paths([corpus], prune=True)
    assert len(again.unchanged) == 2 and again.pruned == []
    (corpus / "a\nb.txt").unlink()
    ing.ingest_paths([corpus], prune=True)
    (doc,) = store.list_documents()
    assert doc.origins == (str((corpus / "c#1.txt").resolve()),)


def test_bad_files_in_a_batch_cost_only_themselves(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "deep.json").write_bytes(b"[" * 100_000 + b"]" * 100_000)
    (corpus / "good.txt").write_text(TEXT, encoding="utf-8")
    (corpus / "odd.txt").write_text("SAMPLE. An article the chunker cannot handle.", encoding="utf-8")
    store = _store(tmp_path / "s")
    ing = _ingestor(store)
    real = ing.chunker.chunk

    def chunk(text):
        if "cannot handle" in text:
            raise RecursionError
        return real(text)

    monkeypatch.setattr(ing.chunker, "chunk", chunk)
    report = ing.ingest_paths([corpus])
    assert report.added == ["good.txt"] and not report.ok
    reasons = {Path(s.file).name: s.reason for s in report.skipped}
    assert reasons == {"deep.json": "could not be read: nested too deeply",
                       "odd.txt": "could not be split into passages (nested too deeply)"}
    assert [d.file_name for d in store.list_documents()] == ["good.txt"]
