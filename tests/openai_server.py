"""A real local HTTP server speaking the OpenAI chat-completions protocol, with scripted replies.

Usage (importable by any test):

    from tests.openai_server import OpenAIServer, Reply

    with OpenAIServer() as server:             # binds 127.0.0.1 on a free port
        server.script(Reply(text="Hello [1]."), Reply(status=500))
        ... point the client at server.base_url ("http://127.0.0.1:PORT/v1") ...
        server.requests                         # JSON bodies received, in order

Each POST to `/v1/chat/completions` consumes the next scripted `Reply` (or `server.default` when
the script is empty). A reply streams (SSE `data: {...}` chunks, then `data: [DONE]`) when the
request asked for `"stream": true`, unless `Reply.stream` forces otherwise. `GET /v1/models` lists
one model. The server runs in a daemon thread and is always stopped by `stop()` / the `with` block;
sleeping handlers wake up at once when it stops.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def prompt_of(request: dict[str, Any]) -> str:
    """The text of all messages of a chat-completions request body, joined by blank lines."""
    parts: list[str] = []
    for m in request.get("messages", []):
        content = m.get("content", "")
        if isinstance(content, list):  # content parts
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        parts.append(str(content))
    return "\n\n".join(parts)


@dataclass
class Reply:
    """One scripted answer to a chat-completions request.

    * `text`: the assistant message; streamed as `chunks` when given, else word by word.
    * `respond`: when given, computes the text from the request's JSON body instead.
    * `delay`: seconds to wait before sending the status line (to exceed a client timeout).
    * `chunk_delay`: seconds between streamed chunks.
    * `status`: HTTP status; anything but 200 sends an OpenAI-style error body.
    * `body`: raw bytes sent as-is (e.g. malformed JSON), with `content_type`.
    * `stream`: None follows the request's `stream` flag; True/False forces the format.
    """

    text: str = ""
    chunks: list[str] | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    status: int = 200
    body: bytes | None = None
    content_type: str = "application/json"
    stream: bool | None = None
    respond: Callable[[dict[str, Any]], str] | None = None

    def content(self, request: dict[str, Any]) -> str:
        return self.respond(request) if self.respond is not None else self.text

    def pieces(self, request: dict[str, Any]) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        words = self.content(request).split(" ")
        return [w if i == 0 else " " + w for i, w in enumerate(words)]


@dataclass
class _State:
    script: deque[Reply] = field(default_factory=deque)
    default: Reply = field(default_factory=lambda: Reply(text="I don't know."))
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeOpenAI/1.0"
    protocol_version = "HTTP/1.1"

    @property
    def state(self) -> _State:
        return self.server.state  # type: ignore[attr-defined, no-any-return]

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send_json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        try:
            request = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send_json(400, {"error": {"message": "request body is not JSON", "type": "invalid_request"}})
            return
        state = self.state
        with state.lock:
            state.requests.append(request)
            reply = state.script.popleft() if state.script else state.default
        if reply.delay and state.stopping.wait(reply.delay):
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
            self._answer(reply, request)

    def _answer(self, reply: Reply, request: dict[str, Any]) -> None:
        model = str(request.get("model", "fake-model"))
        if reply.body is not None:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        if reply.status != 200:
            self._send_json(reply.status, {"error": {"message": f"scripted HTTP {reply.status}",
                                                     "type": "server_error", "code": reply.status}})
            return
        stream = bool(request.get("stream")) if reply.stream is None else reply.stream
        created = int(time.time())
        if not stream:
            self._send_json(200, {
                "id": "chatcmpl-fake", "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": reply.content(request)}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            })
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

        def event(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created,
                     "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self.wfile.flush()

        event({"role": "assistant", "content": ""})
        for piece in reply.pieces(request):
            if reply.chunk_delay and self.state.stopping.wait(reply.chunk_delay):
                return
            event({"content": piece})
        event({}, "stop")
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


class OpenAIServer:
    """Scripted OpenAI-compatible server on 127.0.0.1 (free port). See the module docstring."""

    def __init__(self, *replies: Reply, default: Reply | None = None) -> None:
        self._state = _State(script=deque(replies))
        if default is not None:
            self._state.default = default
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting ---------------------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        """Queue replies for the next requests, in order."""
        with self._state.lock:
            self._state.script.extend(replies)

    @property
    def default(self) -> Reply:
        return self._state.default

    @default.setter
    def default(self, reply: Reply) -> None:
        self._state.default = reply

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def pending(self) -> int:
        with self._state.lock:
            return len(self._state.script)

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> OpenAIServer:
        if self._httpd is not None:
            return self
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        httpd.state = self._state  # type: ignore[attr-defined]
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"fake-openai-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._state.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
