"""Shared state on the request path under concurrency: 32 simultaneous `/api/ask` requests after the
answerer's embedding cache is full, while an upload (and the background BM25 rebuild it starts)
runs, against a real uvicorn server: every request answers 200 with an intact answer (every
citation quotes its article exactly), and once the upload is done the same questions asked alone
get the answers the concurrent requests got after it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import SAMPLES, build_test_assistant, free_port, serving

CACHE = 16  # far fewer than the sentences the questions embed: requests keep evicting each other
QUESTIONS = [
    "Who cut the ribbon at the harbour bridge?",
    "When did the Port Alder harbour bridge reopen?",
    "Who mediated the ferry strike?",
    "How long is the new hiking trail?",
    "What does the library robot do?",
    "Which cooperative did the orchard growers form?",
    "What happened to the ferry timetable?",
    "Who leads the orchard cooperative?",
]


def _article(i: int) -> bytes:
    return (f"SAMPLE ARTICLE (generated for Newsdesk concurrency tests), number {i}.\n"
            f"The Lindqvist bakery in Port Alder opened branch {i} on Tuesday, owner Mara Lind said. "
            f"It will sell {i + 3} kinds of rye bread. The branch employs {i + 2} bakers.\n").encode()


@pytest.mark.parametrize("embedder", ["hash", pytest.param("minilm", marks=pytest.mark.integration)])
def test_32_concurrent_questions_during_an_upload(tmp_path, embedder, request):
    from assistant.answer import ExtractiveAnswerer
    from assistant.api import build_api
    from assistant.settings import Settings
    from index.embeddings import HashEmbedder

    emb = HashEmbedder() if embedder == "hash" else request.getfixturevalue("minilm")
    assistant = build_test_assistant(tmp_path / "store", emb)
    assistant.extractive = ExtractiveAnswerer(emb, cache_size=CACHE)
    assistant.ingestor.ingest_paths([SAMPLES])
    assistant.retriever.invalidate()
    for q in QUESTIONS:  # fills the cache
        assistant.ask(q)
    assert len(assistant.extractive.scorer._cache) == CACHE, "the embedding cache should be full"

    port = free_port()
    settings = Settings(_env_file=None, store=tmp_path / "store", port=port)  # type: ignore[call-arg]
    with serving(build_api(assistant, settings), port, ready_path="healthz") as url:
        go = threading.Event()
        upload_status: list[int] = []

        def upload() -> None:
            go.wait(10)
            files = [("files", (f"bakery-{i}.txt", _article(i))) for i in range(12)]
            upload_status.append(httpx.post(f"{url}api/documents", files=files, timeout=300).status_code)

        def ask(q: str) -> tuple[str, int, dict]:
            go.wait(10)
            r = httpx.post(f"{url}api/ask", json={"question": q}, timeout=300)
            return q, r.status_code, r.json() if r.status_code == 200 else {"error": r.text}

        for _round in range(2 if embedder == "hash" else 1):
            with ThreadPoolExecutor(33) as pool:
                up = pool.submit(upload)
                asks = [pool.submit(ask, QUESTIONS[i % len(QUESTIONS)]) for i in range(32)]
                go.set()
                results = [f.result(timeout=600) for f in asks]
                up.result(timeout=600)
            go.clear()
            errors = [(q, s, body) for q, s, body in results if s != 200]
            assert not errors, errors
            assert upload_status[-1] == 200
            for q, _, body in results:
                assert body["question"] == q and body["answer"]
                for c in body["citations"]:
                    doc = assistant.get_document(c["doc_id"])
                    assert doc is not None and doc.text[c["start"]:c["end"]] == c["quote"], (q, c)
            # after the upload, concurrent and lone answers agree
            with ThreadPoolExecutor(32) as pool:
                again = list(pool.map(lambda q: httpx.post(f"{url}api/ask", json={"question": q}, timeout=300),
                                      QUESTIONS * 4))
            assert [r.status_code for r in again] == [200] * len(again)
            alone = {q: assistant.ask(q).answer for q in QUESTIONS}
            assert [r.json()["answer"] for r in again] == [alone[q] for q in QUESTIONS * 4]
