"""Several writers on one real Chroma server (`chroma run`) never destroy each other's documents.

Two (and four) concurrent `app.py ingest` processes plus uploads through the HTTP API of a third
process, all against one server: afterwards every document of every writer is complete, nothing is
left `pending`, every complete document has exactly its chunks, and no chunk belongs to no document.
The articles are generated here (short, clearly marked samples) with the hash embedder: the model is
not the point, the interleaving of writes is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from index.loaders import make_doc_id
from tests.conftest import ROOT, ChromaServer, free_port, serving

pytestmark = pytest.mark.integration

DOCS_PER_WRITER = 120
UPLOADS = 12
TOWNS = ["Arden", "Belcove", "Corrin", "Dunmere", "Elsfield", "Farrow", "Glenhithe", "Harwick"]


def _article(writer: int, i: int) -> str:
    town = TOWNS[(writer + i) % len(TOWNS)]
    return (
        f"SAMPLE ARTICLE (generated for Newsdesk tests), writer {writer}, number {i}.\n"
        f"The {town} council approved plan {writer}-{i} for the river path on Monday. "
        f"Councillor number {i * 7 + writer} said the work would take {i % 9 + 2} weeks.\n"
        f"Residents of {town} asked for {i % 5 + 1} more benches along the water. "
        f"The budget for plan {writer}-{i} is {1000 + 37 * i + writer} crowns."
    )


def _corpus(root: Path, writer: int) -> dict[str, str]:
    folder = root / f"writer{writer}"
    folder.mkdir(parents=True)
    ids = {}
    for i in range(DOCS_PER_WRITER):
        text = _article(writer, i)
        (folder / f"w{writer}-{i:03d}.txt").write_text(text, encoding="utf-8")
        ids[make_doc_id(text)] = f"w{writer}-{i:03d}.txt"
    return ids


def _env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDESK_", "CHROMA_"))}
    env.update(CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(port), NEWSDESK_EMBEDDER="hash",
               GRADIO_ANALYTICS_ENABLED="False", ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1")
    return env


@pytest.fixture
def chroma(chroma_server: ChromaServer) -> ChromaServer:
    return chroma_server


@pytest.mark.parametrize("writers", [2, 4])
def test_concurrent_ingests_and_uploads_lose_nothing(tmp_path, chroma, writers):
    from app import build_assistant
    from assistant.api import build_api
    from assistant.settings import Settings

    expected: dict[str, str] = {}
    for w in range(writers):
        expected.update(_corpus(tmp_path / "corpus", w))
    settings = Settings(_env_file=None, chroma_host="127.0.0.1", chroma_port=chroma.port,  # type: ignore[call-arg]
                        embedder="hash", store=tmp_path / "unused")
    server_side = build_assistant(settings, progress=False)
    port = free_port()
    with serving(build_api(server_side, settings), port, ready_path="healthz") as url:
        procs = [
            subprocess.Popen([sys.executable, str(ROOT / "app.py"), "ingest", str(tmp_path / "corpus" / f"writer{w}")],
                             cwd=tmp_path, env=_env(chroma.port), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
            for w in range(writers)
        ]
        uploaded: dict[str, str] = {}
        deadline = time.monotonic() + 240
        try:
            with httpx.Client(base_url=url, timeout=120) as http:
                # Upload while the ingests run: every upload's write path meets theirs.
                for i in range(UPLOADS):
                    text = _article(100, i)
                    r = http.post("/api/documents", files=[("files", (f"upload-{i}.txt", text.encode()))])
                    assert r.status_code == 200, r.text
                    assert r.json()["added"] == [f"upload-{i}.txt"], r.json()
                    uploaded[make_doc_id(text)] = f"upload-{i}.txt"
                    if all(p.poll() is not None for p in procs):
                        break
                    time.sleep(0.2)
            outputs = []
            for p in procs:
                out, err = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
                outputs.append((p.returncode, out, err))
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
    for code, out, err in outputs:
        assert code == 0, (out, err[-2000:])
        assert f"added {DOCS_PER_WRITER}," in out, out

    expected.update(uploaded)
    store = build_assistant(settings, progress=False).store
    registry = store.docs.get(include=["metadatas"])
    states = {i: m.get("state") for i, m in zip(registry["ids"], registry["metadatas"], strict=True)}
    missing = sorted(expected[d] for d in expected if states.get(d) != "complete")
    assert not missing, f"{len(missing)} of {len(expected)} documents lost, e.g. {missing[:5]}"
    assert set(states) == set(expected) and set(states.values()) == {"complete"}
    chunk_meta = store.chunks.get(include=["metadatas"])["metadatas"]
    per_doc = Counter(str(m["doc_id"]) for m in chunk_meta)
    assert set(per_doc) == set(expected), "orphan chunks" if set(per_doc) - set(expected) else "documents without chunks"
    n_chunks = {i: int(m["n_chunks"]) for i, m in zip(registry["ids"], registry["metadatas"], strict=True)}
    assert per_doc == Counter(n_chunks)
