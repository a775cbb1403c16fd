"""The command line through app.main: ingest (exit codes, summary) and ask --json."""

from __future__ import annotations

import json
import shutil

import app
from tests.conftest import SAMPLES


def test_ingest_and_ask_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "hash")
    store = tmp_path / "store"
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLES, corpus)
    assert app.main(["ingest", str(corpus), "--store", str(store)]) == 0
    assert "added 5" in capsys.readouterr().out
    # ingest leaves the BM25 index built and saved: `ask` loads it instead of building it
    assert list((store / "bm25").glob("*/table.json"))
    (corpus / "broken.jsonl").write_text('{"text": "A fine sample record."}\n{oops\n', encoding="utf-8")
    assert app.main(["ingest", str(corpus), "--store", str(store)]) == 1  # something was skipped
    out = capsys.readouterr().out
    assert "broken.jsonl:2: malformed JSON" in out and "unchanged 5" in out
    assert app.main(["ask", "How long is the new hiking trail?", "--store", str(store), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert {"answer", "abstained", "citations", "passages", "latency_ms"} <= answer.keys()
    for c in answer["citations"]:
        assert {"n", "doc_id", "file_name", "quote", "start", "end", "title", "date", "source", "url"} <= c.keys()


def test_ask_rejects_empty_question(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "hash")
    assert app.main(["ask", "  ", "--store", str(tmp_path / "s")]) == 2
    assert "Please type a question" in capsys.readouterr().err


def test_model_mismatch_is_a_clear_error(tmp_path, monkeypatch, capsys):
    store = tmp_path / "store"
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "hash")
    assert app.main(["ingest", str(SAMPLES), "--store", str(store)]) == 0
    from index.embeddings import HashEmbedder

    monkeypatch.setattr(HashEmbedder, "name", "some-other-model")
    assert app.main(["ask", "Anything?", "--store", str(store)]) == 2
    assert "Re-index" in capsys.readouterr().err
