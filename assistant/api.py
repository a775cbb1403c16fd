"""HTTP API for internal tools: `build_api(assistant, settings) -> FastAPI`.

Routes: `/api/ask`, `/api/documents[/{doc_id}]`, OpenAI-compatible `/v1/chat/completions` and
`/v1/models`, `/healthz`, `/readyz`, plus `/docs` and `/openapi.json`.

Contracts:
* When `settings.resolved_api_token()` is set, every request but `/healthz` and `/readyz` needs
  `Authorization: Bearer <token>` (or a browser session, see `assistant.auth`); otherwise 401. This
  covers the UI mounted later at "/" too: `assistant.auth.secure_app` wraps the whole app, with
  the Host allow-list and the CORS policy.
* Every error is JSON `{"error": {"type", "message"}}` with a 4xx/5xx status; unexpected exceptions
  give a generic 500 and are logged server-side, never sent to the client, and so are store
  outages (503 without the store's address). Invalid Unicode (a lone surrogate) in a request is a 400.
* Limits: JSON bodies `max_json_bytes` (413, also for the UI's `/gradio_api/*` and `/login`),
  multipart bodies at most `max_files` parts (413, also Gradio's own upload route) and
  `max_files × settings.max_file_bytes` bytes in all; a file over `settings.max_file_bytes` in a
  batch is skipped with its reason (like the CLI and the UI) and the others are indexed; question
  length and `top_k` range (400, from `Assistant`). Uploaded file names are only display names,
  never paths.
* Routes are registered here, before any UI is mounted at "/", so they take precedence; unknown
  paths under `/api` and `/v1` get a JSON 404 (or 405 when only the method is wrong).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.api_models import (
    AskRequest,
    AssistantMessage,
    ChatCompletion,
    ChatCompletionRequest,
    Choice,
    Deleted,
    DocumentDetail,
    DocumentInfo,
    DocumentPage,
    ErrorResponse,
    Health,
    IngestSummary,
    ModelCard,
    ModelList,
    Readiness,
    RecordsIn,
    Usage,
    chunk,
)
from assistant.auth import authenticated, secure_app
from assistant.chat import Assistant, QuestionError
from assistant.settings import Settings
from assistant.types import Answer
from index.loaders import Skipped, safe_file_name
from index.pipeline import IngestReport
from index.store import DocRecord, StoreUnavailableError

log = logging.getLogger("newsdesk.api")

MODEL_ID = "newsdesk"
PROTECTED_PREFIXES = ("/api/", "/v1/")
# Request bodies capped by BodyLimit: the API, the UI's Gradio routes (its own upload route too)
# and the login form.
LIMITED_PREFIXES = ("/api/", "/v1/", "/gradio_api/", "/login")
_STARTED = int(time.time())

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class APIError(Exception):
    """An error with a status, a type and a user-facing message; rendered as ErrorResponse."""

    def __init__(self, status: int, type_: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.headers = headers


def error_response(status: int, type_: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"type": type_, "message": message}}, status_code=status, headers=headers)


_STATUS_TYPES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
                 422: "invalid_request", 429: "rate_limited", 503: "unavailable"}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: {"model": ErrorResponse} for c in codes}


def non_loopback_warning(settings: Settings) -> str | None:
    """The warning to show when the server listens beyond this machine with no API token, else None."""
    if settings.resolved_api_token():
        return None
    host = settings.host.strip("[]")
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (f"WARNING: listening on {settings.host} without an API token: anyone who can reach this "
            "machine can ask questions and change documents. Set API_TOKEN (or NEWSDESK_API_TOKEN_FILE) "
            "or bind to 127.0.0.1.")


# -- body size limit -------------------------------------------------------------------------


class BodyLimit:
    """ASGI middleware: caps request bodies under `prefixes` (by Content-Length and while streaming).

    Multipart bodies get `multipart_bytes` and at most `max_parts` parts (counted by their boundary
    while the body streams, so Gradio's upload route, which takes up to 1,000 files, is held to the
    API's count too); all others get `json_bytes`. An oversized body is answered with 413 before the
    route sees it, or the request fails with 413 as soon as the limit is crossed.
    """

    def __init__(self, app: ASGIApp, json_bytes: int, multipart_bytes: int,
                 prefixes: tuple[str, ...] = LIMITED_PREFIXES, max_parts: int | None = None) -> None:
        self.app = app
        self.json_bytes = json_bytes
        self.multipart_bytes = multipart_bytes
        self.prefixes = prefixes
        self.max_parts = max_parts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        multipart = headers.get("content-type", "").lower().startswith("multipart/")
        limit = self.multipart_bytes if multipart else self.json_bytes
        what = "upload" if multipart else "request body"
        message = f"The {what} is larger than the limit of {limit:,} bytes."
        length = headers.get("content-length")
        if length is not None and length.strip().isdigit() and int(length) > limit:
            await error_response(413, "too_large", message)(scope, receive, send)
            return
        seen = 0
        parts = _PartCounter(headers.get("content-type", "")) if multipart and self.max_parts else None
        too_many = f"At most {self.max_parts} files per upload."

        async def limited_receive() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                body = msg.get("body", b"")
                seen += len(body)
                if seen > limit:
                    raise StarletteHTTPException(413, message)
                if parts is not None and self.max_parts and parts.feed(body) > self.max_parts:
                    raise StarletteHTTPException(413, too_many)
            return msg

        await self.app(scope, limited_receive, send)


class _PartCounter:
    """Counts the parts of a streamed multipart body by its boundary delimiters. A Content-Type
    naming several boundaries is counted by each (the largest count wins), so no parser's choice
    of boundary can hide parts from the count."""

    def __init__(self, content_type: str) -> None:
        self.delimiters: list[bytes] = []
        for param in content_type.split(";")[1:]:
            key, _, value = param.strip().partition("=")
            value = value.strip().strip('"')
            if key.strip().lower() == "boundary" and value:
                self.delimiters.append(b"--" + value.encode("latin-1", "replace"))
        self.keep = max((len(d) for d in self.delimiters), default=1) - 1
        self.tail = b""
        self.seen = [0] * len(self.delimiters)

    def feed(self, chunk: bytes) -> int:
        """Add `chunk`; returns the parts seen so far (delimiters - 1: the closing one ends the last part)."""
        if not self.delimiters:
            return 0
        data = self.tail + chunk
        for i, d in enumerate(self.delimiters):
            # Count only delimiters that end in the new bytes: the tail's were counted before.
            self.seen[i] += data.count(d) - self.tail.count(d)
        # Keep what could be the start of a delimiter split across chunks.
        self.tail = data[-self.keep:] if self.keep else b""
        return max(0, max(self.seen) - 1)


class CatchAll:
    """ASGI middleware: an unexpected exception becomes a generic JSON 500 (traceback logged here only).

    Unlike an `Exception` handler, this does not re-raise, so the server keeps the connection healthy.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await error_response(500, "server_error", _GENERIC_500)(scope, receive, send)


_bearer = HTTPBearer(auto_error=False, description="the server's API token")


class TokenCheck:
    """FastAPI dependency: the request must carry `Authorization: Bearer <token>` (constant-time
    compare), or have been let in by `assistant.auth.AuthGate` (a browser session, e.g. /docs).
    A second lock behind the gate, and what puts the Bearer scheme into the OpenAPI schema."""

    def __init__(self, token: str) -> None:
        self.token = token.encode("utf-8")

    def __call__(self, request: Request,
                 creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        if authenticated(request.scope):
            return
        given = creds.credentials if creds is not None and creds.scheme.lower() == "bearer" else ""
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.token):
            raise APIError(401, "unauthorized",
                           "Missing or wrong API token: send 'Authorization: Bearer <token>'.",
                           headers={"WWW-Authenticate": "Bearer"})


# OpenAPI 3.1: for text/event-stream, `schema` describes one event.
_SSE_EVENT = {
    "type": "object",
    "description": "one server-sent event: `data` is a JSON chat.completion.chunk; the last chunk before "
                   "`[DONE]` has no choices and carries `citations`; the stream ends with `data: [DONE]`",
    "properties": {"data": {"type": "string"}, "event": {"type": "string"}},
    "required": ["data"],
}

_GENERIC_500 = "Internal server error; the details are in the server log."


# -- the app ---------------------------------------------------------------------------------


def build_api(assistant: Assistant, settings: Settings, *, max_json_bytes: int = 1_000_000,
              max_files: int | None = None) -> FastAPI:
    """The FastAPI app with every API route, secured by `assistant.auth.secure_app`; mount the UI
    on it afterwards (the same middlewares then guard it).

    `max_json_bytes` caps non-multipart bodies; uploads are capped at `max_files` files (default
    `settings.max_upload_files`) of `settings.max_file_bytes` each. Prints a warning when
    `settings.host` is not a loopback address and no API token is configured.
    """
    max_files = settings.max_upload_files if max_files is None else max_files
    token = settings.resolved_api_token()
    warning = non_loopback_warning(settings)
    if warning:
        print(warning, file=sys.stderr)
        log.warning(warning)
    max_file_bytes = settings.max_file_bytes

    app = FastAPI(
        title="Newsdesk API",
        version="1.0",
        description=("Cited answers over news articles. Every error is `{\"error\": {\"type\", \"message\"}}`."
                     + (" Send `Authorization: Bearer <token>` on /api and /v1." if token else "")),
    )
    _install_error_handlers(app)
    multipart_cap = max_files * max_file_bytes + 64 * 1024 * max_files
    app.add_middleware(BodyLimit, json_bytes=max_json_bytes, multipart_bytes=multipart_cap, max_parts=max_files)
    app.add_middleware(CatchAll)
    secure_app(app, settings)  # outermost: host allow-list, CORS, and with a token the gate

    guarded: list[Any] = [Depends(TokenCheck(token))] if token else []
    auth_errors = (401,) if token else ()

    # -- health --------------------------------------------------------------------------
    @app.get("/healthz", response_model=Health, tags=["health"], summary="the process is alive")
    def healthz() -> Health:
        return Health()

    @app.get("/readyz", response_model=Readiness, tags=["health"], responses=_errors(503),
             summary="the store is reachable")
    def readyz() -> Any:
        state = assistant.ready()
        if not state.get("ready"):
            return JSONResponse({"error": {"type": "unavailable", "message": "The document store is unreachable."},
                                 **Readiness.model_validate(state).model_dump()}, status_code=503)
        return Readiness.model_validate(state)

    # -- asking --------------------------------------------------------------------------
    @app.post("/api/ask", response_model=Answer, tags=["ask"], dependencies=guarded,
              responses=_errors(400, 413, 422, *auth_errors), summary="answer one question with citations")
    def ask(body: AskRequest) -> Answer:
        _check_unicode(body)
        return _ask(assistant, body.question, body.history, body)

    # -- documents -----------------------------------------------------------------------
    upload_schema = {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": {
                    "type": "object",
                    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"},
                                             "maxItems": max_files}},
                    "required": ["files"],
                }},
                "application/json": {"schema": {"$ref": "#/components/schemas/RecordsIn"}},
            },
        }
    }

    @app.post("/api/documents", response_model=IngestSummary, tags=["documents"], dependencies=guarded,
              openapi_extra=upload_schema, responses=_errors(400, 413, 415, 422, *auth_errors),
              summary="add documents: multipart files or JSON records")
    async def add_documents(request: Request) -> IngestSummary:
        ctype = request.headers.get("content-type", "").lower()
        uploads: list[tuple[str, bytes, IngestReport | None]]
        if ctype.startswith("multipart/form-data"):
            uploads = await _read_files(request, max_files, max_file_bytes)
        elif ctype.startswith("application/json") or not ctype:
            uploads = [(*await _records_upload(request), None)]
        else:
            raise APIError(415, "unsupported_media_type",
                           "Send multipart/form-data with one or more 'files', or application/json "
                           "with {\"records\": [...]}.")
        reports = []
        for name, raw, too_big in uploads:
            if too_big is not None:
                reports.append(too_big)
                continue
            reports.append(await run_in_threadpool(assistant.ingest_upload, name, raw, max_file_bytes))
        return _summary(reports)

    @app.get("/api/documents", response_model=DocumentPage, tags=["documents"], dependencies=guarded,
             responses=_errors(422, *auth_errors), summary="list documents, newest first")
    def list_documents(offset: int = Query(0, ge=0, le=10_000_000),
                       limit: int = Query(50, ge=1, le=500)) -> DocumentPage:
        docs = assistant.list_documents()
        return DocumentPage(total=len(docs), offset=offset, limit=limit,
                            documents=[_info(d) for d in docs[offset:offset + limit]])

    @app.get("/api/documents/{doc_id}", response_model=DocumentDetail, tags=["documents"],
             dependencies=guarded, responses=_errors(404, *auth_errors), summary="metadata and full text")
    def get_document(doc_id: str) -> DocumentDetail:
        rec = assistant.get_document(doc_id)
        if rec is None:
            raise APIError(404, "not_found", f"No document with id {doc_id!r}.")
        return DocumentDetail(**_info(rec).model_dump(), text=rec.text or "")

    @app.delete("/api/documents/{doc_id}", response_model=Deleted, tags=["documents"],
                dependencies=guarded, responses=_errors(404, *auth_errors), summary="remove a document")
    def delete_document(doc_id: str) -> Deleted:
        if assistant.get_document(doc_id) is None or not assistant.delete_document(doc_id):
            raise APIError(404, "not_found", f"No document with id {doc_id!r}.")
        return Deleted(deleted=doc_id)

    # -- OpenAI-compatible -----------------------------------------------------------------
    @app.get("/v1/models", response_model=ModelList, tags=["openai"], dependencies=guarded,
             responses=_errors(*auth_errors))
    def models() -> ModelList:
        return ModelList(data=[ModelCard(id=MODEL_ID, created=_STARTED)])

    @app.post("/v1/chat/completions", response_model=ChatCompletion, tags=["openai"], dependencies=guarded,
              responses={**_errors(400, 413, 422, *auth_errors),
                         200: {"content": {"text/event-stream": {"schema": _SSE_EVENT}},
                               "description": "a chat.completion, or SSE chunks when stream=true"}},
              summary="OpenAI-compatible chat completion with citations")
    async def chat_completions(body: ChatCompletionRequest) -> Any:
        _check_unicode(body)
        user = [m.text() for m in body.messages if m.role == "user"]
        if not user:
            raise APIError(400, "invalid_request", "messages must contain at least one message with role 'user'.")
        question, history = user[-1], user[:-1]
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        model = body.model or MODEL_ID
        if not body.stream:
            answer = await run_in_threadpool(_ask, assistant, question, history, body)
            return _completion(answer, completion_id, created, model)
        gen = assistant.stream(question, history, body.filters, body.top_k, body.mode)
        first = await run_in_threadpool(_first, gen)  # raises QuestionError before any byte is sent
        return StreamingResponse(_sse(first, gen, completion_id, created, model), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    # -- unknown paths under the API prefixes ------------------------------------------------
    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
                   include_in_schema=False)
    @app.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
                   include_in_schema=False)
    def unknown(request: Request, rest: str) -> JSONResponse:
        allowed = sorted({m for r in app.router.routes
                          if isinstance(r, APIRoute) and r.include_in_schema and r.path_regex.match(request.url.path)
                          for m in (r.methods or ())})
        if allowed:
            return error_response(405, "method_not_allowed",
                                  f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}.",
                                  headers={"Allow": ", ".join(allowed)})
        return error_response(404, "not_found", f"No API endpoint {request.url.path}.")

    _add_schema_components(app, RecordsIn)
    return app


def _add_schema_components(app: FastAPI, *models: type[RecordsIn]) -> None:
    """Register models referenced only from `openapi_extra` under components/schemas."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = original()
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                js = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(js.pop("$defs", {}))
                schemas[model.__name__] = js
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# -- helpers -----------------------------------------------------------------------------------


def _ask(assistant: Assistant, question: str, history: list[str], body: AskRequest | ChatCompletionRequest) -> Answer:
    return assistant.ask(question, history=history, filters=body.filters, top_k=body.top_k, mode=body.mode)


_END = object()


def _first(gen: Iterator[str | Answer]) -> object:
    return next(gen, _END)


def _sse(first: object, gen: Iterator[str | Answer], completion_id: str, created: int,
         model: str) -> Iterator[str]:
    def event(data: dict[str, Any]) -> str:
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield event(chunk(completion_id, created, model, {"role": "assistant", "content": ""}))
    answer: Answer | None = None
    item = first
    try:
        while item is not _END:
            if isinstance(item, Answer):
                answer = item
            elif isinstance(item, str) and item:
                yield event(chunk(completion_id, created, model, {"content": item}))
            item = next(gen, _END)
    except Exception:
        log.exception("streaming completion %s failed", completion_id)
        yield event({"error": {"type": "server_error", "message": "The answer could not be completed."}})
        return
    yield event(chunk(completion_id, created, model, {}, finish_reason="stop"))
    cites = [c.model_dump(mode="json") for c in answer.citations] if answer else []
    extra: dict[str, Any] = {"abstained": answer.abstained, "notice": answer.notice} if answer else {}
    yield event(chunk(completion_id, created, model, None, citations=cites, **extra))
    yield "data: [DONE]\n\n"


def _completion(answer: Answer, completion_id: str, created: int, model: str) -> ChatCompletion:
    prompt = len(answer.question.split())
    out = len(answer.answer.split())
    return ChatCompletion(
        id=completion_id, created=created, model=model,
        choices=[Choice(message=AssistantMessage(content=answer.answer))],
        usage=Usage(prompt_tokens=prompt, completion_tokens=out, total_tokens=prompt + out),
        citations=list(answer.citations), abstained=answer.abstained, notice=answer.notice,
    )


def _info(rec: DocRecord) -> DocumentInfo:
    return DocumentInfo(doc_id=rec.doc_id, file_name=rec.file_name, file_names=list(rec.file_names or (rec.file_name,)),
                        title=rec.title, date=rec.date, source=rec.source, url=rec.url, n_chunks=rec.n_chunks)


def _summary(reports: list[IngestReport]) -> IngestSummary:
    merged: dict[str, Any] = {}
    for r in reports:
        for key, value in r.as_dict().items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            elif isinstance(value, int | float):
                merged[key] = merged.get(key, 0) + value
    merged["seconds"] = round(float(merged.get("seconds", 0.0)), 3)
    merged["ok"] = not merged.get("skipped")
    return IngestSummary.model_validate(merged)


async def _read_files(request: Request, max_files: int, max_file_bytes: int
                      ) -> list[tuple[str, bytes, IngestReport | None]]:
    """(display name, bytes, None) per uploaded file; a file over `max_file_bytes` comes as
    (name, b"", a report skipping it with its reason) and is never read past the limit."""
    try:
        form = await request.form(max_files=max_files, max_fields=max_files + 10,
                                  max_part_size=1024 * 1024)
    except Exception as e:  # malformed multipart, too many parts, body over the cap
        if isinstance(e, StarletteHTTPException) and e.status_code != 400:
            raise
        text = str(getattr(e, "detail", "") or e) or "malformed multipart body"
        status = 413 if "too many" in text.lower() or "exceeded" in text.lower() else 400
        raise APIError(status, "too_large" if status == 413 else "invalid_request",
                       f"Could not read the upload: {text} (at most {max_files} files per request).") from e
    try:
        files = [v for k, v in form.multi_items() if isinstance(v, UploadFile) and k in ("files", "file")]
        if not files:
            raise APIError(422, "invalid_request", "No files in the upload: send them as form field 'files'.")
        if len(files) > max_files:
            raise APIError(413, "too_large", f"{len(files)} files sent; the limit is {max_files} per request.")
        out: list[tuple[str, bytes, IngestReport | None]] = []
        for f in files:
            name = safe_file_name(f.filename or "upload")
            size = f.size if f.size is not None else len(await f.read(max_file_bytes + 1))
            if size > max_file_bytes:
                reason = f"file is {size:,} bytes, over the limit of {max_file_bytes:,} (NEWSDESK_MAX_FILE_BYTES)"
                out.append((name, b"", IngestReport(skipped=[Skipped(name, reason)])))
                continue
            await f.seek(0)
            out.append((name, await f.read(max_file_bytes + 1), None))
        return out
    finally:
        await form.close()


async def _records_upload(request: Request) -> tuple[str, bytes]:
    from pydantic import ValidationError

    raw = await request.body()
    try:  # Python's parser first: it keeps lone surrogates, so they get their own 400 below
        parsed: Any = json.loads(raw or b"null")
    except (ValueError, RecursionError):
        parsed = None
    try:
        if parsed is None:
            body = RecordsIn.model_validate_json(raw or b"null")  # the parse error, worded by pydantic
        else:
            _check_unicode(parsed)
            body = RecordsIn.model_validate(parsed)
    except ValidationError as e:
        raise RequestValidationError(e.errors(include_url=False, include_context=False)) from e
    lines = [json.dumps({k: v for k, v in r.model_dump().items() if v is not None}, ensure_ascii=False)
             for r in body.records]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    # A name unique to the content: re-posting the same records is a no-op, other records never replace them.
    return f"records-{hashlib.sha256(data).hexdigest()[:12]}.jsonl", data


def _check_unicode(body: Any) -> None:
    """400 when any string of the request holds a lone surrogate (JSON allows `"\\ud800"`, but it
    is no text: encoding it to UTF-8 fails deep inside the pipeline)."""
    where = _bad_unicode(body.model_dump() if hasattr(body, "model_dump") else body, "")
    if where is not None:
        raise APIError(400, "invalid_request",
                       f"{where or 'The request'} contains invalid Unicode (an unpaired surrogate such as \\ud800); "
                       "send valid UTF-8 text.")


def _bad_unicode(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _bad_unicode(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def api_error(request: Request, exc: APIError) -> JSONResponse:
        return error_response(exc.status, exc.type, exc.message, exc.headers)

    @app.exception_handler(QuestionError)
    async def question_error(request: Request, exc: QuestionError) -> JSONResponse:
        return error_response(400, "invalid_question", str(exc))

    @app.exception_handler(StoreUnavailableError)
    async def store_unavailable(request: Request, exc: StoreUnavailableError) -> JSONResponse:
        log.error("store unavailable on %s %s: %s", request.method, request.url.path, exc)
        return error_response(503, "store_unavailable",
                              "The document store is unreachable; try again later (details in the server log).")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors()[:10]:
            loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            problems.append(f"{loc}: {err.get('msg', 'invalid')}")
        return error_response(422, "invalid_request", "Invalid request: " + "; ".join(problems))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        return error_response(exc.status_code, _STATUS_TYPES.get(exc.status_code, "error"), detail,
                              dict(exc.headers) if exc.headers else None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "server_error", _GENERIC_500)
