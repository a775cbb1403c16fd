"""HTTP API against a real uvicorn server on 127.0.0.1 (fast: HashEmbedder + the sample articles;
one integration test with MiniLM + the seeds corpus)."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import uvicorn
from conftest import SAMPLES, build_test_assistant
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from assistant.api import build_api, non_loopback_warning
from assistant.settings import Settings

TOKEN = "s3cret-token-for-tests"
FERRY_Q = "Who mediated the ferry strike?"
KEYSTONE = ("SAMPLE ARTICLE (fictional, written for Newsdesk API tests)\n"
            "The Quillmoor observatory recorded a comet it named Tessaly-9 on Sunday, astronomer Dara Venn said.\n"
            "The comet will be visible from the northern valleys until late April.\n")


class LiveServer:
    """uvicorn in a thread on a free loopback port; `stop()` always joins it."""

    def __init__(self, app: Any) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                self.stop()
                raise RuntimeError("test server did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _settings(**kw: Any) -> Settings:
    return Settings(_env_file=None, api_token=kw.pop("api_token", None), **kw)  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, ) -> Any:
    from index.embeddings import HashEmbedder

    a = build_test_assistant(tmp_path_factory.mktemp("api") / "store", HashEmbedder())
    a.ingestor.ingest_paths([SAMPLES])
    a.retriever.invalidate()
    return a


@pytest.fixture(scope="module")
def open_server(assistant) -> Iterator[LiveServer]:
    srv = LiveServer(build_api(assistant, _settings(max_file_bytes=20_000), max_files=3))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def locked_server(assistant) -> Iterator[LiveServer]:
    srv = LiveServer(build_api(assistant, _settings(api_token=TOKEN)))
    yield srv
    srv.stop()


@pytest.fixture
def http(open_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=open_server.url, timeout=30) as c:
        yield c


def _error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message"}, body
    assert "Traceback" not in r.text
    return str(body["error"]["message"])


# -- health ------------------------------------------------------------------------------------

def test_health_and_readiness(http, assistant, monkeypatch):
    assert http.get("/healthz").json() == {"status": "ok"}
    r = http.get("/readyz")
    assert r.status_code == 200 and r.json()["ready"] is True and r.json()["model"] == assistant.embedder.name
    assistant.retriever.warm()
    assert http.get("/readyz").json()["lexical_index_loaded"] is True
    monkeypatch.setattr(assistant.store, "heartbeat", lambda: False)
    r = http.get("/readyz")
    assert r.status_code == 503
    assert r.json()["error"]["type"] == "unavailable" and r.json()["store"] is False


# -- /api/ask ----------------------------------------------------------------------------------

def test_ask_returns_answer_with_verbatim_citations(http):
    r = http.post("/api/ask", json={"question": FERRY_Q})
    assert r.status_code == 200, r.text
    ans = r.json()
    assert "Lena Okafor" in ans["answer"] and not ans["abstained"]
    assert ans["citations"] and ans["passages"]
    for c in ans["citations"]:
        assert f"[{c['n']}]" in ans["answer"]
        doc = http.get(f"/api/documents/{c['doc_id']}").json()
        assert doc["text"][c["start"]:c["end"]] == c["quote"]


def test_ask_filters_and_history(http):
    r = http.post("/api/ask", json={"question": "What happened?", "filters": {"sources": ["Sample Courier"]},
                                    "top_k": 3})
    assert r.status_code == 200, r.text
    assert r.json()["passages"] and {p["source"] for p in r.json()["passages"]} == {"Sample Courier"}
    r = http.post("/api/ask", json={"question": "Who cut the ribbon?",
                                    "history": ["When did the Port Alder harbour bridge reopen?"]})
    assert r.status_code == 200 and "Varga" in r.json()["answer"]


# -- OpenAI compatibility ------------------------------------------------------------------------

def test_openai_client_plain_completion(open_server, http):
    client = openai.OpenAI(base_url=f"{open_server.url}/v1", api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list()] == ["newsdesk"]
    resp = client.chat.completions.create(model="anything-goes", messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": FERRY_Q},
    ])
    assert resp.object == "chat.completion" and resp.choices[0].finish_reason == "stop"
    content = resp.choices[0].message.content or ""
    direct = http.post("/api/ask", json={"question": FERRY_Q}).json()
    assert content == direct["answer"] and "Lena Okafor" in content
    cites = (resp.model_extra or {})["citations"]
    assert [c["quote"] for c in cites] == [c["quote"] for c in direct["citations"]]


def test_openai_client_streaming_completion(open_server, http):
    client = openai.OpenAI(base_url=f"{open_server.url}/v1", api_key="unused", max_retries=0)
    stream = client.chat.completions.create(model="newsdesk", stream=True,
                                            messages=[{"role": "user", "content": FERRY_Q}])
    text, finish, citations, kinds = "", None, None, set()
    for ch in stream:
        kinds.add(ch.object)
        for choice in ch.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
        extra = ch.model_extra or {}
        if "citations" in extra:
            assert ch.choices == []
            citations = extra["citations"]
    assert kinds == {"chat.completion.chunk"} and finish == "stop"
    direct = http.post("/api/ask", json={"question": FERRY_Q}).json()
    assert text == direct["answer"]
    assert citations is not None and [c["quote"] for c in citations] == [c["quote"] for c in direct["citations"]]


def test_sse_wire_format_ends_with_citations_then_done(http):
    with http.stream("POST", "/v1/chat/completions",
                     json={"messages": [{"role": "user", "content": FERRY_Q}], "stream": True}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = [line[len("data: "):] for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    last = json.loads(events[-2])
    assert last["choices"] == [] and last["citations"]
    assert json.loads(events[-3])["choices"][0]["finish_reason"] == "stop"


def test_chat_history_from_earlier_user_messages(http):
    r = http.post("/v1/chat/completions", json={"messages": [
        {"role": "user", "content": "When did the Port Alder harbour bridge reopen?"},
        {"role": "assistant", "content": "On Monday."},
        {"role": "user", "content": [{"type": "text", "text": "Who cut the ribbon?"}]},
    ]})
    assert r.status_code == 200, r.text
    assert "Varga" in r.json()["choices"][0]["message"]["content"]


def test_chat_errors(http, open_server):
    assert "role 'user'" in _error(http.post("/v1/chat/completions", json={
        "messages": [{"role": "system", "content": "hi"}]}), 400)
    _error(http.post("/v1/chat/completions", json={"messages": []}), 422)
    msg = _error(http.post("/v1/chat/completions", json={
        "stream": True, "messages": [{"role": "user", "content": "x" * 1001}]}), 400)
    assert "1,000" in msg
    client = openai.OpenAI(base_url=f"{open_server.url}/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "   "}])


# -- documents --------------------------------------------------------------------------------

def test_upload_ask_get_delete_roundtrip(http, tmp_path):
    before = http.get("/api/documents").json()["total"]
    files = [("files", ("../../etc/passwd.txt", KEYSTONE.encode())),
             ("files", ("..\\..\\evil.md", b"---\ntitle: Evil\n---\nA short note on Monday about nothing in Vell."))]
    r = http.post("/api/documents", files=files)
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["ok"] and sorted(rep["added"]) == ["evil.md", "passwd.txt"] and len(rep["doc_ids"]) == 2
    assert not (tmp_path / "passwd.txt").exists() and not Path("evil.md").exists()
    doc_id = rep["doc_ids"][0]
    doc = http.get(f"/api/documents/{doc_id}").json()
    assert doc["file_name"] == "passwd.txt" and doc["text"] == KEYSTONE and doc["n_chunks"] >= 1
    assert http.get("/api/documents").json()["total"] == before + 2

    ans = http.post("/api/ask", json={"question": "Which comet did the Quillmoor observatory record?",
                                      "filters": {"doc_ids": [doc_id]}}).json()
    assert "Tessaly-9" in ans["answer"] and {c["doc_id"] for c in ans["citations"]} == {doc_id}

    again = http.post("/api/documents", files=[("files", ("passwd.txt", KEYSTONE.encode()))]).json()
    assert again["unchanged"] == ["passwd.txt"] and again["chunks_written"] == 0

    for d in rep["doc_ids"]:
        assert http.delete(f"/api/documents/{d}").json() == {"deleted": d}
    _error(http.get(f"/api/documents/{doc_id}"), 404)
    _error(http.delete(f"/api/documents/{doc_id}"), 404)
    assert http.get("/api/documents").json()["total"] == before


def test_json_records_and_bad_files_reported(http):
    body = {"records": [{"text": "SAMPLE (fictional). The Brightwater zebra crossing was repainted on Tuesday.",
                         "title": "Zebra crossing", "date": "2026-04-07", "source": "API Test Wire"}]}
    rep = http.post("/api/documents", json=body).json()
    assert rep["ok"] and len(rep["added"]) == 1 and rep["chunks_written"] >= 1
    doc = http.get(f"/api/documents/{rep['doc_ids'][0]}").json()
    assert (doc["title"], doc["date"], doc["source"]) == ("Zebra crossing", "2026-04-07", "API Test Wire")
    assert http.post("/api/documents", json=body).json()["unchanged"]
    http.delete(f"/api/documents/{rep['doc_ids'][0]}")

    bad = http.post("/api/documents", files=[("files", ("notes.pdf", b"%PDF-1.4")),
                                             ("files", ("empty.txt", b""))]).json()
    assert not bad["ok"] and bad["added"] == []
    reasons = {s["file"]: s["reason"] for s in bad["skipped"]}
    assert "unsupported extension" in reasons["notes.pdf"] and "empty" in reasons["empty.txt"]
    assert "text" in _error(http.post("/api/documents", json={"records": [{"title": "no text"}]}), 422)
    _error(http.post("/api/documents", json={"records": []}), 422)
    _error(http.post("/api/documents", content=b"hello", headers={"content-type": "text/plain"}), 415)
    _error(http.post("/api/documents", files={"other": ("a.txt", b"x")}), 422)


def test_document_paging(http):
    full = http.get("/api/documents", params={"limit": 500}).json()
    assert full["total"] == len(full["documents"]) >= 5
    page = http.get("/api/documents", params={"offset": 1, "limit": 2}).json()
    assert page["documents"] == full["documents"][1:3] and page["total"] == full["total"]
    assert all(d["n_chunks"] >= 1 and d["doc_id"] for d in full["documents"])
    _error(http.get("/api/documents", params={"limit": 0}), 422)
    _error(http.get("/api/documents", params={"offset": -1}), 422)
    _error(http.get("/api/documents", params={"limit": "many"}), 422)


# -- limits and errors ------------------------------------------------------------------------

def test_limits(http):
    assert "1,000" in _error(http.post("/api/ask", json={"question": "x" * 1001}), 400)
    assert "question" in _error(http.post("/api/ask", json={"question": "  "}), 400).lower()
    assert "between 1 and 50" in _error(http.post("/api/ask", json={"question": "q", "top_k": 0}), 400)
    assert "between 1 and 50" in _error(http.post("/api/ask", json={"question": "q", "top_k": 51}), 400)
    # 1 MB JSON cap, with Content-Length and with a chunked body of unknown length
    big = json.dumps({"question": "q", "history": ["x" * 1_000_001]}).encode()
    assert "1,000,000 bytes" in _error(http.post("/api/ask", content=big,
                                                 headers={"content-type": "application/json"}), 413)

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * 100_000

    _error(http.post("/api/ask", content=chunks(), headers={"content-type": "application/json"}), 413)
    # uploads: the open server allows 3 files of 20,000 bytes
    # one file over the limit in a batch is skipped with its reason, the others are indexed
    r = http.post("/api/documents", files=[("files", ("../big.txt", b"a. " * 7000)),
                                           ("files", ("small.txt", b"SAMPLE. The Brill fountain was cleaned on Monday."))])
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["added"] == ["small.txt"] and not rep["ok"]
    assert rep["skipped"][0]["file"] == "big.txt" and "20,000" in rep["skipped"][0]["reason"]
    http.delete(f"/api/documents/{rep['doc_ids'][0]}")
    _error(http.post("/api/documents", files=[("files", (f"f{i}.txt", b"Text. " * 3)) for i in range(4)]), 413)
    # validation errors keep the error shape
    assert "question" in _error(http.post("/api/ask", json={}), 422)
    _error(http.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"}), 422)
    _error(http.post("/api/ask", json={"question": "q", "mode": "magic"}), 422)
    _error(http.post("/api/ask", json={"question": "q", "filters": {"date_from": "yesterday-ish"}}), 422)
    _error(http.get("/api/nothing-here"), 404)
    _error(http.get("/v1/engines"), 404)
    r = http.put("/api/ask")
    _error(r, 405)
    assert r.headers["allow"] == "POST"


def test_internal_errors_are_generic(http, assistant, monkeypatch, caplog):
    def boom(*a: Any, **k: Any) -> Any:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(assistant.retriever, "retrieve", boom)
    msg = _error(http.post("/api/ask", json={"question": FERRY_Q}), 500)
    assert "hunter2" not in msg and "server log" in msg
    r = http.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": FERRY_Q}]})
    assert r.status_code == 500 and "hunter2" not in r.text


def test_concurrent_asks(open_server):
    questions = [FERRY_Q, "When did the Port Alder harbour bridge reopen?"] * 8

    def one(q: str) -> tuple[int, str]:
        r = httpx.post(f"{open_server.url}/api/ask", json={"question": q}, timeout=60)
        return r.status_code, r.json().get("answer", "")

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, questions))
    assert [s for s, _ in results] == [200] * 16
    assert len({a for (_, a), q in zip(results, questions, strict=True) if q == FERRY_Q}) == 1


# -- auth ---------------------------------------------------------------------------------------

def test_auth_required_when_token_set(locked_server, assistant):
    url = locked_server.url
    r = httpx.post(f"{url}/api/ask", json={"question": FERRY_Q})
    assert "Bearer" in _error(r, 401) and r.headers["www-authenticate"] == "Bearer"
    _error(httpx.post(f"{url}/api/ask", json={"question": FERRY_Q},
                      headers={"Authorization": "Bearer wrong"}), 401)
    _error(httpx.post(f"{url}/api/ask", json={"question": FERRY_Q},
                      headers={"Authorization": f"Basic {TOKEN}"}), 401)
    n = len(assistant.list_documents())
    _error(httpx.post(f"{url}/api/documents", files=[("files", ("x.txt", b"Sneaky text on Monday."))]), 401)
    _error(httpx.delete(f"{url}/api/documents/{assistant.list_documents()[0].doc_id}"), 401)
    _error(httpx.get(f"{url}/api/documents"), 401)
    _error(httpx.get(f"{url}/v1/models"), 401)
    assert len(assistant.list_documents()) == n
    ok = httpx.post(f"{url}/api/ask", json={"question": FERRY_Q}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.json()["citations"]
    assert httpx.get(f"{url}/healthz").status_code == 200 and httpx.get(f"{url}/readyz").status_code == 200
    _error(httpx.get(f"{url}/openapi.json"), 401)
    spec = httpx.get(f"{url}/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"

    bad = openai.OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="m", messages=[{"role": "user", "content": FERRY_Q}])
    good = openai.OpenAI(base_url=f"{url}/v1", api_key=TOKEN, max_retries=0)
    resp = good.chat.completions.create(model="m", messages=[{"role": "user", "content": FERRY_Q}])
    assert "Lena Okafor" in (resp.choices[0].message.content or "") and (resp.model_extra or {})["citations"]


def test_no_auth_when_token_unset(http):
    assert http.get("/api/documents").status_code == 200
    assert http.get("/v1/models").status_code == 200
    assert "securitySchemes" not in http.get("/openapi.json").json().get("components", {})


def test_token_file_and_loopback_warning(tmp_path, assistant, capsys):
    assert non_loopback_warning(_settings(host="127.0.0.1")) is None
    assert non_loopback_warning(_settings(host="::1")) is None
    assert non_loopback_warning(_settings(host="0.0.0.0", api_token="t")) is None
    build_api(assistant, _settings(host="0.0.0.0"))
    assert "without an API token" in capsys.readouterr().err
    tok = tmp_path / "token"
    tok.write_text("from-file\n")
    srv = LiveServer(build_api(assistant, _settings(host="0.0.0.0", api_token_file=tok)))
    try:
        assert capsys.readouterr().err == ""
        assert httpx.get(f"{srv.url}/v1/models").status_code == 401
        assert httpx.get(f"{srv.url}/v1/models", headers={"Authorization": "Bearer from-file"}).status_code == 200
    finally:
        srv.stop()


def test_api_routes_win_over_a_ui_mounted_at_root(assistant):
    app = build_api(assistant, _settings())
    ui = Starlette(routes=[Route("/{p:path}", lambda req: PlainTextResponse("ui"), methods=["GET", "POST", "PUT"])])
    app.mount("/", ui)
    srv = LiveServer(app)
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            assert c.get("/").text == "ui"
            assert c.get("/healthz").json() == {"status": "ok"}
            assert c.get("/openapi.json").json()["info"]["title"] == "Newsdesk API"
            assert c.get("/docs").status_code == 200 and "swagger" in c.get("/docs").text.lower()
            _error(c.get("/api/nope"), 404)
            _error(c.put("/api/ask"), 405)
            assert c.post("/api/ask", json={"question": FERRY_Q}).status_code == 200
    finally:
        srv.stop()


# -- integration ----------------------------------------------------------------------------------

@pytest.mark.integration
def test_seeds_february_swap(seeds_assistant):
    srv = LiveServer(build_api(seeds_assistant, _settings()))
    try:
        r = httpx.post(f"{srv.url}/api/ask", json={"question": "Who mediated the February swap?"}, timeout=120)
    finally:
        srv.stop()
    assert r.status_code == 200, r.text
    ans = r.json()
    assert not ans["abstained"] and ans["citations"]
    assert ans["answer"] == seeds_assistant.ask("Who mediated the February swap?").answer
    cited = " ".join([ans["answer"], *(c["quote"] for c in ans["citations"])])
    assert re.search(r"\b(United States|U\.S\.|US)\b", cited) and re.search(r"UAE|Emirat|Abu Dhabi", cited)
    for c in ans["citations"]:
        text = seeds_assistant.get_document(c["doc_id"]).text
        assert text[c["start"]:c["end"]] == c["quote"]
