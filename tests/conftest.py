"""Shared fixtures: real Chroma in tmp dirs; a fast deterministic embedder for unit tests and the real
MiniLM model (loaded once per session) for integration tests."""

from __future__ import annotations

import socket
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.offline import enforce_offline  # noqa: E402

enforce_offline()

SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "corpus" / "seeds"
DEV_QUESTIONS = SHARED / "eval" / "questions.jsonl"
SAMPLES = ROOT / "samples"


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (test servers bind loopback only)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app, port: int, ready_path: str = "config", timeout: float = 60.0) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a thread on 127.0.0.1:`port`; yields its base URL once
    `ready_path` answers 200 (bounded wait), and always stops and joins the server."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with urllib.request.urlopen(url + ready_path, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail(f"the app did not start within {timeout:.0f} s")
            time.sleep(0.1)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="session")
def minilm():
    from index.embeddings import MiniLMEmbedder

    return MiniLMEmbedder()


@pytest.fixture
def hash_embedder():
    from index.embeddings import HashEmbedder

    return HashEmbedder()


def build_test_assistant(store_dir: Path, embedder, **settings_overrides):
    """An Assistant wired like app.build_assistant, but with an injected embedder."""
    from assistant.answer import ExtractiveAnswerer
    from assistant.chat import Assistant
    from assistant.retrieve import Retriever
    from index.chunking import Chunker
    from index.pipeline import Ingestor
    from index.store import ChromaStore, make_client

    store = ChromaStore(make_client(path=store_dir), "newsdesk", embedder.name, embedder.dim)
    chunker = Chunker(window_counter=embedder.count_window_tokens, window=embedder.window)
    ingestor = Ingestor(store, embedder, chunker, progress=False)
    retriever = Retriever(store, embedder, cache_dir=store_dir / "bm25")
    return Assistant(store, embedder, ingestor, retriever, ExtractiveAnswerer(embedder), **settings_overrides)


@pytest.fixture
def sample_assistant(tmp_path, hash_embedder):
    """Fast: the project's own sample articles indexed with the fake embedder."""
    a = build_test_assistant(tmp_path / "store", hash_embedder)
    a.ingestor.ingest_paths([SAMPLES])
    a.retriever.invalidate()
    return a


@pytest.fixture(scope="session")
def seeds_assistant(tmp_path_factory, minilm):
    """The real thing: ../shared/corpus/seeds indexed with MiniLM into a session temp store."""
    if not SEEDS.is_dir():
        pytest.skip("../shared/corpus/seeds is not present")
    a = build_test_assistant(tmp_path_factory.mktemp("seeds") / "store", minilm)
    a.ingestor.ingest_paths([SEEDS])
    a.retriever.invalidate()
    return a
