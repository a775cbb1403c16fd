"""The BM25 index saved next to the store: loaded without reading the store, rebuilt when stale."""

from __future__ import annotations

import json

from assistant.retrieve import TABLE_FORMAT, Retriever

QUESTION = "How long is the new hiking trail?"


def _boom(*args, **kwargs):
    raise AssertionError("the saved index should have been used")


def test_saved_index_loads_without_reading_the_store(sample_assistant, monkeypatch):
    first = sample_assistant.retriever
    expected = [p.chunk_id for p in first.retrieve(QUESTION)]
    stats = (first.idf("trail"), first.in_corpus("trail"), first.in_corpus("zeppelin"))
    saved = list(first.cache_dir.glob("*/table.json"))
    assert len(saved) == 1 and json.loads(saved[0].read_text())["format"] == TABLE_FORMAT

    store = sample_assistant.store
    monkeypatch.setattr(store, "iter_chunks", _boom)
    monkeypatch.setattr(store, "list_documents", _boom)
    fresh = Retriever(store, sample_assistant.embedder, cache_dir=first.cache_dir)
    assert [p.chunk_id for p in fresh.retrieve(QUESTION)] == expected
    assert (fresh.idf("trail"), fresh.in_corpus("trail"), fresh.in_corpus("zeppelin")) == stats
    assert stats[1] and not stats[2]


def test_a_table_from_an_older_format_is_rebuilt(sample_assistant):
    first = sample_assistant.retriever
    expected = [p.chunk_id for p in first.retrieve(QUESTION)]
    (table,) = first.cache_dir.glob("*/table.json")
    table.write_text(json.dumps(json.loads(table.read_text())["ids"]))  # the old list-only format
    fresh = Retriever(sample_assistant.store, sample_assistant.embedder, cache_dir=first.cache_dir)
    assert [p.chunk_id for p in fresh.retrieve(QUESTION)] == expected
    assert json.loads(table.read_text())["format"] == TABLE_FORMAT


def test_a_write_makes_a_new_version(sample_assistant):
    a = sample_assistant
    a.retriever.retrieve(QUESTION)
    before = {p.name for p in a.retriever.cache_dir.iterdir()}
    a.ingest_upload("zeppelin.txt", b"SAMPLE ARTICLE. A zeppelin museum opened in the old hangar on Friday.")
    assert a.retriever.in_corpus("zeppelin")
    after = {p.name for p in a.retriever.cache_dir.iterdir()}
    assert after and after != before  # only the current version is kept


ZEPPELIN = b"SAMPLE ARTICLE. A zeppelin museum opened in the old hangar on Friday."


def test_an_upload_rebuilds_the_index_in_the_background(sample_assistant, monkeypatch):
    import time

    a = sample_assistant
    a.retriever.retrieve(QUESTION)
    assert a.retriever.loaded
    a.ingest_upload("zeppelin.txt", ZEPPELIN)
    deadline = time.monotonic() + 20
    while not a.retriever.loaded and time.monotonic() < deadline:
        time.sleep(0.05)
    assert a.retriever.loaded  # rebuilt without a question asking for it
    monkeypatch.setattr(a.store, "iter_chunks", _boom)
    assert a.retriever.in_corpus("zeppelin")


def test_a_write_during_a_build_is_not_lost(sample_assistant):
    a = sample_assistant
    r = a.retriever
    real_build = r._build

    def build_then_someone_writes(version):
        idx = real_build(version)
        r._build = real_build  # once
        a.ingestor.ingest_upload("zeppelin.txt", ZEPPELIN)  # lands while this build finishes
        r.invalidate()
        return idx

    r.invalidate()
    r._build = build_then_someone_writes
    assert not r.in_corpus("zeppelin")  # the build that started before the write
    assert r.in_corpus("zeppelin")  # the next question sees the write at once, not after recheck_seconds
