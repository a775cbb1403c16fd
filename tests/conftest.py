"""Shared fixtures: real Chroma in tmp dirs; a fast deterministic embedder for unit tests and the real
MiniLM model (loaded once per session) for integration tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.offline import enforce_offline  # noqa: E402

enforce_offline()

SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "corpus" / "seeds"
DEV_QUESTIONS = SHARED / "eval" / "questions.jsonl"
SAMPLES = ROOT / "samples"
CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (test servers bind loopback only)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_env(home: Path, **settings: str) -> dict[str, str]:
    """Environment for an `app.py serve` subprocess: the caller's, without any project setting that
    could leak in (NEWSDESK_*, CHROMA_*, API_TOKEN), offline, store under `home`, plus `settings`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NEWSDESK_", "CHROMA_", "GRADIO_TEMP_DIR")) and k != "API_TOKEN"}
    env.update(NEWSDESK_STORE=str(home / "store"), GRADIO_ANALYTICS_ENABLED="False", ANONYMIZED_TELEMETRY="False",
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.update(settings)
    return env


def start_serve(home: Path, port: int, env: dict[str, str], log: Path,
                timeout: float = 120.0) -> subprocess.Popen[bytes]:
    """Start `app.py serve` on 127.0.0.1:`port` (cwd `home`, output to `log`) and wait, bounded, until
    /readyz answers 200; a server that exits or never gets ready fails the test with its log's tail."""
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "serve", "--host", "127.0.0.1",
                                 "--port", str(port)], cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_process(proc)
            pytest.fail("serve did not start:\n" + log.read_text(errors="replace")[-3000:])
        time.sleep(0.3)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Terminate `proc`, killing it if it has not exited within `timeout` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class ChromaServer:
    """A real `chroma run` server on 127.0.0.1 (the CLI ships with chromadb)."""

    def __init__(self, path: Path, port: int) -> None:
        self.path, self.port = path, port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        self.proc = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/api/v2/heartbeat"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"chroma did not answer its heartbeat within {timeout:.0f}s")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout=15)
        self.proc = None


@pytest.fixture
def chroma_server(tmp_path) -> Iterator[ChromaServer]:
    """A fresh `chroma run` server for one test, stopped afterwards."""
    if not CHROMA.is_file():
        pytest.skip("the chroma CLI is not installed in the virtualenv")
    srv = ChromaServer(tmp_path / "chroma", free_port())
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


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
def seeds_product(tmp_path_factory, minilm):
    """../shared/corpus/seeds behind the production wiring (`app.build_assistant` with default
    settings: typed spans, the answerability model, spelling correction) and the real MiniLM."""
    if not SEEDS.is_dir():
        pytest.skip("../shared/corpus/seeds is not present")
    from app import build_assistant
    from assistant.settings import Settings

    a = build_assistant(Settings(store=tmp_path_factory.mktemp("seeds-product") / "store"), progress=False,
                        embedder=minilm)
    a.ingestor.ingest_paths([SEEDS])
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
