"""Attacks on a real `python app.py serve` with an API token (127.0.0.1, free port, temporary store,
hash embedder), each asserted refused and the store unchanged: every Gradio and API route without
the token, gradio_client and the OpenAI client with and without it, the path-injection upload
(server files named in a FileData payload, the token file among them), the queue-join delete, a
foreign Host header, credentialed cross-origin requests, the browser login, Gradio's own upload
limits; then one bad-file batch through all three doors (CLI, API, UI). The token is read from
`NEWSDESK_API_TOKEN_FILE`, so reading that file back would be the worst outcome.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, free_port, serve_env, start_serve, stop_process

TOKEN = "tok-" + uuid.uuid4().hex  # fresh per run: finding it anywhere means it leaked
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_FILE_BYTES = 60_000
GOOD = ("SAMPLE ARTICLE (written for Newsdesk security tests). The Varrow lighthouse reopened on Friday "
        "after repairs, keeper Ana Roe said. Boats may moor at the north pier again.\n")


@dataclass
class Server:
    url: str
    port: int
    proc: subprocess.Popen[bytes]
    home: Path
    token_file: Path
    log: Path

    def client(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kw)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("security")
    token_file = home / "api-token.txt"
    token_file.write_text(TOKEN + "\n", encoding="utf-8")
    (home / "secret-notes.md").write_text("# Private\nThe vault code is 4711. A sample secret.\n", encoding="utf-8")
    port = free_port()
    env = serve_env(home, NEWSDESK_API_TOKEN_FILE=str(token_file), NEWSDESK_EMBEDDER="hash",
                    NEWSDESK_MAX_FILE_BYTES=str(MAX_FILE_BYTES),
                    NEWSDESK_AUTH_FAILURES_PER_MINUTE="0")  # these tests send hundreds of wrong tokens on purpose
    log = home / "server.log"
    proc = start_serve(home, port, env, log)
    srv = Server(f"http://127.0.0.1:{port}", port, proc, home, token_file, log)
    try:
        yield srv
    finally:
        stop_process(proc)
    assert TOKEN not in log.read_text(errors="replace"), "the token was written to the server log"


def _store(srv: Server) -> list[tuple[str, int, str]]:
    """(doc_id, chunks, file name) of every document, read with the token."""
    docs = httpx.get(f"{srv.url}/api/documents", params={"limit": 500}, headers=AUTH, timeout=30).json()
    return sorted((d["doc_id"], d["n_chunks"], d["file_name"]) for d in docs["documents"])


def _config(srv: Server) -> dict[str, Any]:
    return httpx.get(f"{srv.url}/config", headers=AUTH, timeout=30).json()


def _dependency(cfg: dict[str, Any], name: str) -> dict[str, Any]:
    """The UI event whose function is `name` (its api_name, private events included)."""
    for d in cfg["dependencies"]:
        if d.get("api_name") == name:
            return d
    raise AssertionError(f"no UI event {name!r}: {[d.get('api_name') for d in cfg['dependencies']]}")


def _refused(r: httpx.Response, *codes: int) -> None:
    assert r.status_code in codes, (r.request.method, r.request.url.path, r.status_code, r.text[:300])
    assert TOKEN not in r.text


def _run_event(http: httpx.Client, dep: dict[str, Any], data: list[Any], timeout: float = 60,
               event_data: Any = None) -> dict[str, Any]:
    """Join the queue with a UI event and read its stream to the end; the last message."""
    session = uuid.uuid4().hex[:12]
    trigger = dep["targets"][0][0] if dep.get("targets") else None
    r = http.post("/gradio_api/queue/join", json={"data": data, "fn_index": dep["id"], "session_hash": session,
                                                  "trigger_id": trigger, "event_data": event_data})
    assert r.status_code == 200, r.text
    last: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    with http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}, timeout=timeout) as s:
        for line in s.iter_lines():
            if line.startswith("data:"):
                last = json.loads(line[5:])
                if last.get("msg") == "process_completed" or time.monotonic() > deadline:
                    break
    return last


# -- one lock for every door ----------------------------------------------------------------------

ROUTES = [
    ("GET", "/"), ("GET", "/?view=api"), ("GET", "/config"), ("GET", "/gradio_api/info"),
    ("GET", "/gradio_api/openapi.json"), ("POST", "/gradio_api/call/ask"), ("POST", "/gradio_api/run/ask"),
    ("POST", "/gradio_api/queue/join"), ("GET", "/gradio_api/queue/data?session_hash=abc"),
    ("POST", "/gradio_api/upload"), ("GET", "/gradio_api/upload_progress?upload_id=x"),
    ("GET", "/gradio_api/file=/etc/hostname"), ("POST", "/gradio_api/cancel"), ("POST", "/gradio_api/reset"),
    ("GET", "/gradio_api/heartbeat/abc"), ("GET", "/gradio_api/startup-events"), ("GET", "/theme.css"),
    ("GET", "/manifest.json"), ("GET", "/favicon.ico"), ("GET", "/assets/index.js"), ("GET", "/static/x"),
    ("GET", "/docs"), ("GET", "/redoc"), ("GET", "/openapi.json"), ("GET", "/api/documents"),
    ("POST", "/api/ask"), ("POST", "/api/documents"), ("DELETE", "/api/documents/x"), ("GET", "/v1/models"),
    ("POST", "/v1/chat/completions"), ("GET", "/healthz/../config"), ("GET", "//config"), ("GET", "/login_check"),
]


def test_every_route_but_health_needs_the_token(server):
    before = _store(server)
    titles = [name for _, _, name in before]
    with server.client() as http:
        for method, path in ROUTES:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                            {"Authorization": f"Basic {TOKEN}"}, {"Cookie": f"newsdesk_session={TOKEN}"}):
                r = http.request(method, path, headers=headers, json={"data": ["x"], "question": "q"})
                _refused(r, 401)
                assert r.headers.get("www-authenticate") == "Bearer"
                assert not any(t in r.text for t in titles), (path, "a document name leaked")
        assert http.get("/healthz").status_code == 200 and http.get("/readyz").status_code == 200
        # with the token the same routes answer (not 401)
        for method, path in [("GET", "/"), ("GET", "/config"), ("GET", "/docs"), ("GET", "/openapi.json"),
                             ("GET", "/gradio_api/info"), ("GET", "/v1/models")]:
            assert http.request(method, path, headers=AUTH).status_code == 200, path
        # Gradio's file route serves no server file even with the token
        for target in ("/etc/hostname", str(server.token_file), str(ROOT / "README.md")):
            _refused(http.get(f"/gradio_api/file={target}", headers=AUTH), 403, 404)
    assert _store(server) == before


def test_gradio_client_and_openai_client(server):
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError

    for headers in (None, {"Authorization": "Bearer wrong"}):
        with pytest.raises(AuthenticationError):
            Client(server.url + "/", headers=headers, verbose=False)
    client = Client(server.url + "/", headers=AUTH, verbose=False)
    answer = client.predict("Who cut the ribbon at the harbour bridge?", api_name="/ask")
    assert answer["question"] == "Who cut the ribbon at the harbour bridge?" and answer["answer"] and answer["passages"]

    import openai

    bad = openai.OpenAI(base_url=f"{server.url}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    good = openai.OpenAI(base_url=f"{server.url}/v1", api_key=TOKEN, max_retries=0)
    reply = good.chat.completions.create(model="x", messages=[{"role": "user", "content": "Who cut the ribbon?"}])
    assert reply.choices[0].message.content and "citations" in (reply.model_extra or {})


def test_queue_join_delete_without_the_token_changes_nothing(server):
    before = _store(server)
    cfg = _config(server)  # the attacker is assumed to know the event numbers
    delete, load = _dependency(cfg, "delete"), _dependency(cfg, "on_load")
    session = uuid.uuid4().hex[:12]
    with server.client() as http:
        for dep, data in ((load, [None] * len(load["inputs"])), (delete, [before[0][0]])):
            _refused(http.post("/gradio_api/queue/join", json={"data": data, "fn_index": dep["id"],
                                                               "session_hash": session}), 401)
        _refused(http.get("/gradio_api/queue/data", params={"session_hash": session}), 401)
        _refused(http.post(f"/gradio_api/call/{delete['api_name']}", json={"data": [before[0][0]]}), 401)
    assert _store(server) == before
    assert httpx.get(f"{server.url}/api/documents/{before[0][0]}", headers=AUTH).status_code == 200


def test_upload_event_reads_no_server_file(server):
    """The path-injection upload: FileData naming server files (the token file, the project README,
    a file in the server's working folder) is refused, with the token too; nothing is indexed."""
    before = _store(server)
    cfg = _config(server)
    upload = _dependency(cfg, "upload")
    rest = [""] * (len(upload["inputs"]) - 1)
    targets = [server.token_file, ROOT / "README.md", server.home / "secret-notes.md",
               Path("/tmp/../") / server.token_file.relative_to("/"), server.home / "store" / "chroma.sqlite3"]
    with server.client(headers=AUTH) as http:
        for target in targets:
            fd = {"path": str(target), "orig_name": "notes.txt", "meta": {"_type": "gradio.FileData"}}
            last = _run_event(http, upload, [[fd], *rest])
            assert last.get("msg") == "process_completed"
            assert TOKEN not in json.dumps(last) and "vault code" not in json.dumps(last)
        # the real flow (Gradio's upload route, then the event) still works
        r = http.post("/gradio_api/upload", files=[("files", ("lighthouse.txt", GOOD.encode()))])
        assert r.status_code == 200, r.text
        fd = {"path": r.json()[0], "orig_name": "lighthouse.txt", "meta": {"_type": "gradio.FileData"}}
        done = _run_event(http, upload, [[fd], *rest])
        assert "lighthouse.txt: added" in json.dumps(done)
        after = _store(server)
        assert [x for x in after if x not in before] == [next(x for x in after if x[2] == "lighthouse.txt")]
        added = next(x for x in after if x[2] == "lighthouse.txt")
        assert http.delete(f"/api/documents/{added[0]}").status_code == 200
        # nothing in the store holds the token or the secret
        for doc_id, _, _ in _store(server):
            text = http.get(f"/api/documents/{doc_id}").json()["text"]
            assert TOKEN not in text and "vault code" not in text
    assert _store(server) == before


def test_gradio_upload_route_is_limited(server):
    with server.client() as http:
        _refused(http.post("/gradio_api/upload", files=[("files", ("a.txt", b"x"))]), 401)
    with server.client(headers=AUTH) as http:
        many = [("files", (f"f{i}.txt", b"Sample text.")) for i in range(21)]
        _refused(http.post("/gradio_api/upload", files=many), 413)
        _refused(http.post("/gradio_api/upload", files=[("files", ("big.txt", b"x" * (MAX_FILE_BYTES + 1)))]), 413)
        assert http.post("/gradio_api/upload", files=[("files", ("ok.txt", b"x" * MAX_FILE_BYTES))]).status_code == 200


# -- host, origin, browser session -----------------------------------------------------------------

def test_foreign_host_header_is_refused(server):
    with server.client() as http:
        for host in ("evil.example", "evil.example:80", f"attacker.test:{server.port}", "127.0.0.1.nip.io"):
            for path in ("/", "/healthz", "/config", "/api/documents"):
                r = http.get(path, headers={"Host": host, **AUTH})
                _refused(r, 400)
        for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}"):
            assert http.get("/config", headers={"Host": host, **AUTH}).status_code == 200


def _login(http: httpx.Client) -> str:
    r = http.post("/login", data={"token": TOKEN, "next": "/"})
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    session = re.match(r"newsdesk_session=([^;]+)", cookie)
    assert session and TOKEN not in cookie
    return session.group(1)


def test_browser_login_sets_a_session_cookie(server):
    with server.client() as http:
        page = http.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 401 and 'name="token"' in page.text and 'action="/login"' in page.text
        assert "gradio" not in page.text.lower() and page.headers["x-frame-options"] == "DENY"
        bad = http.post("/login", data={"token": "wrong", "next": "/"})
        assert bad.status_code == 401 and "Wrong token" in bad.text and "set-cookie" not in bad.headers
        assert http.post("/login", data={"token": TOKEN, "next": "https://evil.example/"}).headers["location"] == "/"
        assert http.post("/login", data={"token": TOKEN, "next": "//evil.example"}).headers["location"] == "/"
        session = _login(http)
        jar = {"Cookie": f"newsdesk_session={session}"}
        assert http.get("/", headers=jar).status_code == 200
        assert http.get("/config", headers=jar).status_code == 200
        ask = http.post("/api/ask", json={"question": "Who cut the ribbon?"},
                        headers={**jar, "Origin": server.url, "Sec-Fetch-Site": "same-origin"})
        assert ask.status_code == 200 and ask.json()["answer"] and ask.json()["passages"]
        r = http.get("/logout", headers=jar)
        assert r.status_code == 303
        _refused(http.get("/config", headers=jar), 401)


def test_cross_origin_requests_get_no_credentials(server):
    before = _store(server)
    with server.client() as http:
        session = _login(http)
        jar = {"Cookie": f"newsdesk_session={session}"}
        for origin in ("http://localhost:9999", "http://127.0.0.1:1", "null", "https://evil.example"):
            pre = http.options("/gradio_api/queue/join", headers={
                "Origin": origin, "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type"})
            assert "access-control-allow-origin" not in pre.headers
            assert "access-control-allow-credentials" not in pre.headers
            simple = http.get("/config", headers={**jar, "Origin": origin})
            assert "access-control-allow-origin" not in simple.headers
            # a page on another site (or another localhost port) posting with the session cookie
            for extra in ({"Origin": origin}, {"Origin": origin, "Sec-Fetch-Site": "cross-site"},
                          {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors"}):
                r = http.post("/api/documents", headers={**jar, **extra},
                              files=[("files", ("x.txt", GOOD.encode()))])
                _refused(r, 403)
                _refused(http.delete(f"/api/documents/{before[0][0]}", headers={**jar, **extra}), 403)
            _refused(http.post("/login", data={"token": TOKEN}, headers={"Origin": origin}), 403)
        # a top-level navigation from another site still shows the page
        nav = http.get("/", headers={**jar, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"})
        assert nav.status_code == 200
    assert _store(server) == before


def test_errors_carry_no_internals(server):
    with server.client(headers=AUTH) as http:
        r = http.post("/api/ask", content=b'{"question": "Who cut \\ud800 the ribbon?"}',
                      headers={"content-type": "application/json"})
        assert r.status_code == 400 and "question" in r.json()["error"]["message"]
        assert "Unicode" in r.json()["error"]["message"]
        r = http.post("/v1/chat/completions", content=b'{"messages": [{"role": "user", "content": "\\udfff"}]}',
                      headers={"content-type": "application/json"})
        assert r.status_code == 400
        r = http.post("/api/documents", content=b'{"records": [{"text": "bad \\ud800 text"}]}',
                      headers={"content-type": "application/json"})
        assert r.status_code == 400 and "records.0.text contains invalid Unicode" in r.json()["error"]["message"]
        for r in (http.get("/api/documents/%ED%A0%80"), http.get("/api/documents/" + "x" * 5000)):
            assert r.status_code in (400, 404) and "Traceback" not in r.text


# -- one bad file never costs another: the three doors ---------------------------------------------

def _bad_batch(folder: Path) -> dict[str, bytes]:
    files = {
        "a-deep.json": b"[" * 20_000 + b"]" * 20_000,
        "b-good.txt": GOOD.encode(),
        "c-too-big.txt": b"Big sample. " * (MAX_FILE_BYTES // 12 + 10),
        "d-binary.txt": b"\x00\x01\x02 not text",
        "e-mixed.jsonl": b"\n".join([json.dumps({"text": "SAMPLE record: the Orlin mill reopened on Tuesday.",
                                                 "file_name": "mill\nnews.txt"}).encode(),
                                     b'{"text": ' + b"[" * 20_000 + b"}",
                                     json.dumps({"text": "SAMPLE record: the Orlin bakery closed on Monday."}).encode()]),
        "f-long-line.txt": b"SAMPLE. " + b"z" * 50_000 + b"\nThe Orlin ferry ran late on Sunday.\n",
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in files.items():
        (folder / name).write_bytes(raw)
    return files


EXPECTED_REASONS = {"a-deep.json": "nested too deeply", "c-too-big.txt": "over the limit",
                    "d-binary.txt": "binary"}


def _check_report(rep: dict[str, Any]) -> None:
    reasons = {(Path(s["file"]).name, s.get("line")): s["reason"] for s in rep["skipped"]}
    for name, why in EXPECTED_REASONS.items():
        assert any(n == name and why in r for (n, _), r in reasons.items()), (name, reasons)
    assert any(n == "e-mixed.jsonl" and line == 2 and "nested too deeply" in r for (n, line), r in reasons.items())
    assert {"b-good.txt", "mill news.txt", "e-mixed.jsonl#3", "f-long-line.txt"} <= set(rep["added"]) | set(
        rep["unchanged"]), rep


def test_bad_file_batch_through_the_cli(tmp_path, monkeypatch, capsys):
    import app

    monkeypatch.setenv("NEWSDESK_EMBEDDER", "hash")
    monkeypatch.setenv("NEWSDESK_MAX_FILE_BYTES", str(MAX_FILE_BYTES))
    _bad_batch(tmp_path / "batch")
    assert app.main(["ingest", str(tmp_path / "batch"), "--store", str(tmp_path / "store"), "--json"]) == 1
    _check_report(json.loads(capsys.readouterr().out))


def test_bad_file_batch_through_the_api(server, tmp_path):
    files = _bad_batch(tmp_path / "batch")
    with server.client(headers=AUTH) as http:
        r = http.post("/api/documents", files=[("files", (n, raw)) for n, raw in files.items()])
        assert r.status_code == 200, r.text
        rep = r.json()
        _check_report(rep)
        for doc_id in rep["doc_ids"]:
            http.delete(f"/api/documents/{doc_id}")


def test_bad_file_batch_through_the_ui(server, tmp_path):
    files = _bad_batch(tmp_path / "batch")
    upload = _dependency(_config(server), "upload")
    with server.client(headers=AUTH) as http:
        before = {x[2] for x in _store(server)}
        paths = []
        for name, raw in files.items():
            if len(raw) > MAX_FILE_BYTES:  # Gradio's upload route refuses it outright (413)
                assert http.post("/gradio_api/upload", files=[("files", (name, raw))]).status_code == 413
                continue
            r = http.post("/gradio_api/upload", files=[("files", (name, raw))])
            assert r.status_code == 200, r.text
            paths.append({"path": r.json()[0], "orig_name": name, "meta": {"_type": "gradio.FileData"}})
        done = json.dumps(_run_event(http, upload, [paths, *[""] * (len(upload["inputs"]) - 1)]))
        assert "a-deep.json: not indexed" in done and "nested too deeply" in done
        assert "d-binary.txt: not indexed" in done and "b-good.txt: added" in done
        assert "Error" not in done and "Traceback" not in done
        added = {x for x in _store(server) if x[2] not in before}
        assert {"b-good.txt", "mill news.txt", "e-mixed.jsonl#3", "f-long-line.txt"} <= {x[2] for x in added}
        for doc_id, _, _ in added:
            http.delete(f"/api/documents/{doc_id}")


# -- the gate's parts, in process -------------------------------------------------------------------

def _gated_app(**kw: Any) -> Any:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route, WebSocketRoute

    from assistant.auth import AuthGate

    async def echo_ws(ws: Any) -> None:
        await ws.accept()
        await ws.send_text("hello")
        await ws.close()

    app = Starlette(routes=[Route("/{p:path}", lambda r: PlainTextResponse("inside"), methods=["GET", "POST"]),
                            WebSocketRoute("/ws", echo_ws)])
    return AuthGate(app, token=TOKEN, **kw)


def test_wrong_tokens_are_throttled_per_address():
    from starlette.testclient import TestClient

    from assistant.auth import Throttle

    client = TestClient(_gated_app(throttle=Throttle(limit=3, window=60)))
    for _ in range(3):
        assert client.get("/x", headers={"Authorization": "Bearer nope"}).status_code == 401
    r = client.get("/x", headers=AUTH)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert client.post("/login", data={"token": TOKEN}).status_code == 429
    assert client.get("/healthz").status_code == 200  # health stays public


def test_websockets_need_the_token_too():
    from starlette.testclient import TestClient
    from starlette.websockets import WebSocketDisconnect

    client = TestClient(_gated_app())
    with pytest.raises(WebSocketDisconnect) as err, client.websocket_connect("/ws"):
        pass
    assert err.value.code == 1008
    with client.websocket_connect("/ws", headers=AUTH) as ws:
        assert ws.receive_text() == "hello"
    login = client.post("/login", data={"token": TOKEN}, follow_redirects=False)
    session = login.cookies.get("newsdesk_session")
    assert session
    with pytest.raises(WebSocketDisconnect), client.websocket_connect(
            "/ws", headers={"Cookie": f"newsdesk_session={session}", "Origin": "http://evil.example"}):
        pass


def test_https_sessions_use_a_secure_host_cookie_and_expire():
    from starlette.testclient import TestClient

    client = TestClient(_gated_app(session_seconds=0.5), base_url="https://testserver")
    r = client.post("/login", data={"token": TOKEN, "next": "/x?y=1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/x?y=1"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-newsdesk_session=") and "; Secure" in cookie and "HttpOnly" in cookie
    session = cookie.split(";")[0].split("=", 1)[1]
    assert client.get("/x", headers={"Cookie": f"__Host-newsdesk_session={session}"}).text == "inside"
    time.sleep(0.6)
    assert client.get("/x", headers={"Cookie": f"__Host-newsdesk_session={session}"}).status_code == 401


@pytest.mark.parametrize(("value", "safe"), [
    ("/", "/"), ("/docs", "/docs"), ("/?view=api", "/?view=api"), ("//evil.example", "/"),
    ("/\\evil.example", "/"), ("https://evil.example/", "/"), ("javascript:alert(1)", "/"),
    ("/login", "/"), ("/x\r\nSet-Cookie: a=b", "/"), ("", "/"),
])
def test_login_returns_only_to_local_paths(value, safe):
    from assistant.auth import _safe_next

    assert _safe_next(value) == safe


def test_allowed_hosts_default_to_the_bind_host_and_loopback():
    from assistant.settings import Settings

    def hosts(**kw: Any) -> list[str]:
        return Settings(_env_file=None, **kw).allowed_hosts()  # type: ignore[call-arg]

    assert hosts() == ["127.0.0.1", "localhost", "[::1]"]
    assert hosts(host="0.0.0.0") == ["localhost", "127.0.0.1", "[::1]"]
    assert hosts(host="newsdesk.internal") == ["newsdesk.internal", "localhost", "127.0.0.1", "[::1]"]
    assert hosts(host="0.0.0.0", trusted_hosts=["news.example.org"]) == ["news.example.org"]


def test_ui_upload_accepts_only_files_in_the_upload_folder(tmp_path):
    from assistant.auth import uploaded_files

    up = tmp_path / "uploads"
    (up / "abc").mkdir(parents=True)
    good = up / "abc" / "a.txt"
    good.write_text("x")
    big = up / "abc" / "big.txt"
    big.write_text("x" * 101)
    secret = tmp_path / "secret.txt"
    secret.write_text("s")
    link = up / "abc" / "link.txt"
    link.symlink_to(secret)
    paths = [str(good), str(secret), str(up / "abc" / ".." / ".." / "secret.txt"), str(link), str(big),
             str(up / "abc"), "/etc/hostname", str(good)]
    ok, refused = uploaded_files(paths, up, max_files=7, max_bytes=100)
    assert ok == [good.resolve()]
    reasons = [why for _, why in refused]
    assert sum("not a file uploaded with this request" in r for r in reasons) == 5
    assert any("over the limit of 100" in r for r in reasons) and any("at most 7 files" in r for r in reasons)


# -- the real browser ---------------------------------------------------------------------------------

@pytest.mark.browser
def test_browser_logs_in_asks_and_uploads(server, tmp_path):
    """Chromium: the login page, then the chat and an upload through the UI, with no request refused."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.is_file():
        pytest.skip("Debian's chromium is not installed (make browser)")
    from playwright.sync_api import expect, sync_playwright

    article = tmp_path / "beacon.txt"
    article.write_text("SAMPLE ARTICLE (written for Newsdesk security tests). The Ostry beacon was relit on "
                       "Thursday by keeper Jon Hale.\n", encoding="utf-8")
    refused: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium),
                                    args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_context().new_page()
            page.on("response", lambda r: refused.append(f"{r.status} {r.url}") if r.status in (401, 403) else None)
            page.goto(server.url + "/")
            page.fill("#nd-token", "wrong")
            page.click("#nd-login-submit")
            expect(page.locator(".error")).to_contain_text("Wrong token")
            page.fill("#nd-token", TOKEN)
            page.click("#nd-login-submit")
            page.wait_for_selector("#nd-question textarea", timeout=90_000)
            refused.clear()  # the two refusals above were the point
            page.fill("#nd-question textarea", "Who cut the ribbon at the harbour bridge?")
            page.click("#nd-ask")
            expect(page.locator("#nd-status")).to_contain_text("Answer 1", timeout=90_000)
            page.get_by_role("tab", name="Documents").click()
            page.set_input_files("#nd-files input[type=file]", str(article))
            page.click("#nd-upload")
            expect(page.locator("#nd-doc-status")).to_contain_text("beacon.txt: added", timeout=90_000)
            cookies = page.context.cookies()
            assert all(TOKEN not in c["value"] for c in cookies)
            assert any(c["name"] == "newsdesk_session" and c["httpOnly"] and c["sameSite"] == "Strict"
                       for c in cookies)
        finally:
            browser.close()
    assert not refused, refused
    added = [x for x in _store(server) if x[2] == "beacon.txt"]
    assert len(added) == 1
    httpx.delete(f"{server.url}/api/documents/{added[0][0]}", headers=AUTH)


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=xyz", 'multipart/form-data; boundary="xyz"',
                                          "multipart/form-data; boundary=xyz; boundary=abc",
                                          "multipart/form-data; boundary=abc; BOUNDARY=xyz"])
def test_multipart_parts_are_counted_however_the_body_is_split(content_type):
    from assistant.api import _PartCounter

    body = b"".join(b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="f%d.txt"\r\n\r\nx\r\n' % i
                    for i in range(30)) + b"--xyz--\r\n"
    for step in (1, 2, 5, 64, len(body)):
        counter = _PartCounter(content_type)
        seen = [counter.feed(body[i:i + step]) for i in range(0, len(body), step)]
        assert seen[-1] == 30


def test_without_a_token_the_upload_event_still_reads_no_server_file(tmp_path, sample_assistant):
    """No token (local use): the UI still refuses FileData paths outside its upload folder."""
    from assistant.api import build_api
    from assistant.settings import Settings
    from assistant.ui import mount_ui
    from tests.conftest import serving

    secret = tmp_path / "secret-notes.md"
    secret.write_text("# Private\nThe vault code is 4711. A sample secret.\n", encoding="utf-8")
    port = free_port()
    settings = Settings(_env_file=None, store=tmp_path / "store", port=port)  # type: ignore[call-arg]
    before = sorted(d.doc_id for d in sample_assistant.list_documents())
    with serving(mount_ui(build_api(sample_assistant, settings), sample_assistant, settings), port) as url, \
            httpx.Client(base_url=url, timeout=60) as http:
        upload = _dependency(http.get("/config").json(), "upload")
        for target in (secret, ROOT / "README.md"):
            fd = {"path": str(target), "orig_name": "notes.md", "meta": {"_type": "gradio.FileData"}}
            last = _run_event(http, upload, [[fd], *[""] * (len(upload["inputs"]) - 1)])
            assert last.get("msg") == "process_completed" and "vault code" not in json.dumps(last)
    assert sorted(d.doc_id for d in sample_assistant.list_documents()) == before


# -- saved chats on the server (a token is set) -------------------------------------------------------

def test_chat_store_refuses_paths_and_states_its_limits(tmp_path):
    from assistant.ui import ChatStore, ChatStoreError

    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"id": "outside", "title": "vault 4711", "turns": []}), encoding="utf-8")
    store = ChatStore(tmp_path / "chats", max_chats=2, max_bytes=2_000)
    for bad in ("../outside", "..", "/etc/passwd", "a/b", "", "A" * 32, "0" * 31 + "/", "0" * 33, "0" * 31 + "\\"):
        calls: list[tuple[Any, tuple[Any, ...]]] = [(store.load, ()), (store.delete, ()), (store.rename, ("x",)),
                                                    (store.save, ("x", []))]
        for call, args in calls:
            with pytest.raises(ChatStoreError, match="not a saved chat"):
                call(bad, *args)
    assert outside.is_file() and not (tmp_path / "chats").exists()
    a, b, c = (uuid.uuid4().hex for _ in range(3))
    store.save(a, "first", [{"question": "q1"}])
    store.save(b, "second", [])
    with pytest.raises(ChatStoreError, match="at most 2 saved chats"):
        store.save(c, "third", [])
    store.save(a, "first again", [{"question": "q1"}, {"question": "q2"}])  # replacing is not a new chat
    with pytest.raises(ChatStoreError, match="too long to save"):
        store.save(a, "first", [{"question": "x" * 3_000}])
    assert store.rename(a, "  My\n  chat  ")
    with pytest.raises(ChatStoreError, match="cannot be empty"):
        store.rename(a, "   ")
    store.save(a, "auto title", [{"question": "q1"}])  # a name the user gave is kept
    entries = {m["id"]: m for m in store.entries()}
    assert entries[a]["title"] == "My chat" and entries[a]["turns"] == 1 and set(entries) == {a, b}
    assert json.loads(store.load(a) or "")["id"] == a and store.load(c) is None
    assert store.delete(b) and not store.delete(b)
    assert sorted(p.name for p in (tmp_path / "chats").iterdir()) == [f"{a}.json"]  # no temporary files left


ChatId = re.compile(r"[0-9a-f]{32}")


def _chat_event(http: httpx.Client, name: str, event_data: dict[str, Any]) -> str:
    dep = _dependency(_config_of(http), name)
    last = _run_event(http, dep, [None] * len(dep["inputs"]), event_data=event_data)
    assert last.get("msg") == "process_completed", last
    return json.dumps(last)


def _config_of(http: httpx.Client) -> dict[str, Any]:
    return http.get("/config").json()


def test_saved_chat_ids_with_path_characters_are_refused(server):
    chats = server.home / "store" / "chats"
    planted = server.home / "store" / "planted.json"
    planted.write_text(json.dumps({"id": "planted", "title": "vault 4711", "turns": []}), encoding="utf-8")
    try:
        with server.client(headers=AUTH) as http:
            for bad in ("../planted", "../../secret-notes.md", "/etc/passwd", "..", "0" * 31 + "/"):
                out = _chat_event(http, "open_chat", {"id": bad})
                assert "cannot be opened" in out and "vault 4711" not in out
                out = _chat_event(http, "rename_chat", {"id": bad, "title": "renamed"})
                assert "not a saved chat" in out
                out = _chat_event(http, "deleted_chat", {"id": bad})
                assert "not a saved chat" in out
        assert planted.is_file() and "vault 4711" in planted.read_text(encoding="utf-8")
        assert (server.home / "secret-notes.md").is_file()
        assert not chats.exists() or all(ChatId.fullmatch(p.stem) for p in chats.iterdir())
    finally:
        planted.unlink()


@pytest.mark.browser
def test_saved_chats_follow_the_login_to_a_new_browser(server):
    """With a token, chats are kept on the server: saved in one browser context, listed, reopened with
    their citations, renamed and deleted in another one after logging in again; none in localStorage."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.is_file():
        pytest.skip("Debian's chromium is not installed (make browser)")
    from playwright.sync_api import expect, sync_playwright

    question = "Who cut the ribbon at the harbour bridge?"
    folder = server.home / "store" / "chats"
    before = set(folder.glob("*.json")) if folder.is_dir() else set()
    name = "Bridge chat <img src=x onerror=\"window.__xss=1\">"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium),
                                    args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])

        def logged_in():
            page = browser.new_context().new_page()
            page.goto(server.url + "/")
            page.fill("#nd-token", TOKEN)
            page.click("#nd-login-submit")
            page.wait_for_selector("#nd-question textarea", timeout=90_000)
            return page

        try:
            first = logged_in()
            first.fill("#nd-question textarea", question)
            first.click("#nd-ask")
            expect(first.locator("#nd-status")).to_contain_text("Answer 1", timeout=90_000)
            expect(first.locator("#nd-chat .nd-mark").first).to_be_visible()  # an answer with citations
            saved = [p for p in folder.glob("*.json") if ChatId.fullmatch(p.stem) and p not in before]
            assert len(saved) == 1 and question in saved[0].read_text(encoding="utf-8")
            item = first.locator(f"#nd-chats .nd-chatitem[data-id='{saved[0].stem}']")
            expect(item).to_contain_text(question, timeout=30_000)
            item.locator(".nd-chat-rename").click()
            first.locator("#nd-chats .nd-chat-input").fill(name)
            first.keyboard.press("Enter")
            assert first.evaluate("Object.keys(localStorage).filter(k => k.startsWith('newsdesk.'))") == []
            deadline = time.monotonic() + 30
            while json.loads(saved[0].read_text(encoding="utf-8"))["title"] != name:
                assert time.monotonic() < deadline, "the new name did not reach the server"
                time.sleep(0.2)

            second = logged_in()  # a new browser context: no cookies, no localStorage
            item2 = second.locator(f"#nd-chats .nd-chatitem[data-id='{saved[0].stem}']")
            expect(item2.locator(".nd-chat-name")).to_have_text(name, timeout=30_000)
            expect(item2.locator(".nd-chat-when")).to_contain_text("1 question")
            item2.locator(".nd-chat-open").click()
            expect(second.locator("#nd-status")).to_contain_text("Reopened", timeout=30_000)
            expect(second.locator('#nd-chat [data-testid="user"]')).to_have_text([question])
            marker = second.locator("#nd-chat .nd-mark").first
            expect(marker).to_be_visible()
            marker.click()
            current = second.locator("#nd-article mark.nd-current")
            current.wait_for(timeout=30_000)
            doc = httpx.get(f"{server.url}/api/documents/{marker.get_attribute('data-doc')}", headers=AUTH,
                            timeout=30).json()
            start, end = int(marker.get_attribute("data-start") or -1), int(marker.get_attribute("data-end") or -1)
            assert current.inner_text() == doc["text"][start:end]
            assert second.evaluate("window.__xss") is None
            (ROOT / "test-output").mkdir(exist_ok=True)
            second.screenshot(path=str(ROOT / "test-output" / "ui-16-server-chat-reopened.png"), full_page=True)

            expect(item.locator(".nd-chat-name")).to_have_text(name)
            second.once("dialog", lambda d: d.accept())
            item2.locator(".nd-chat-del").click()
            expect(item2).to_have_count(0, timeout=30_000)
            expect(second.locator('#nd-chat [data-testid="bot"]')).to_have_count(0, timeout=30_000)  # it was open
            assert not saved[0].exists()
            expect(item).to_have_count(0, timeout=30_000)  # the first browser's list follows (it polls)
        finally:
            browser.close()
