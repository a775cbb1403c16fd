"""Request and response bodies of the HTTP API (`assistant.api`); they define /openapi.json.

The `/v1` models follow OpenAI's chat-completions wire format. Newsdesk adds `citations` (a list of
`Citation`) at the top level of a completion and of its last streamed chunk; OpenAI clients keep
unknown fields, so they reach the caller unchanged.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.types import Citation, Filters

# -- errors ------------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    type: str = Field(description="machine-readable kind, e.g. invalid_request, unauthorized, not_found")
    message: str = Field(description="what went wrong, meant for people")


class ErrorResponse(BaseModel):
    """Every non-2xx response has this shape."""

    error: ErrorBody


# -- /api/ask ----------------------------------------------------------------------------------


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="the question; limited to the server's max_question_chars")
    history: list[str] = Field(default_factory=list, max_length=50,
                               description="earlier questions of the same chat, oldest first")
    filters: Filters | None = None
    top_k: int | None = Field(default=None, description="passages to retrieve (server-side range check)")
    mode: Literal["extractive", "llm"] | None = None


# -- /api/documents ----------------------------------------------------------------------------


class RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="the article text, kept verbatim for citations")
    title: str | None = None
    date: str | None = Field(default=None, description="publication date, ISO 8601 preferred")
    source: str | None = None
    url: str | None = None
    file_name: str | None = Field(default=None, description="display name; never used as a path")


class RecordsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[RecordIn] = Field(min_length=1, max_length=100, description="at most 100 per request")


class SkippedOut(BaseModel):
    file: str
    line: int | None = None
    reason: str


class IngestSummary(BaseModel):
    """`IngestReport.as_dict()` summed over the uploaded files (lists are file names unless noted)."""

    ok: bool = Field(description="true when nothing was skipped")
    added: list[str] = Field(default_factory=list)
    replaced: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    aliased: list[str] = Field(default_factory=list)
    pruned: list[str] = Field(default_factory=list)
    repaired: list[str] = Field(default_factory=list, description="doc ids completed after a crash")
    skipped: list[SkippedOut] = Field(default_factory=list)
    doc_ids: list[str] = Field(default_factory=list)
    chunks_written: int = 0
    seconds: float = 0.0


class DocumentInfo(BaseModel):
    doc_id: str
    file_name: str
    file_names: list[str] = Field(default_factory=list)
    title: str = ""
    date: str = ""
    source: str = ""
    url: str = ""
    n_chunks: int = 0


class DocumentDetail(DocumentInfo):
    text: str


class DocumentPage(BaseModel):
    total: int
    offset: int
    limit: int
    documents: list[DocumentInfo]


class Deleted(BaseModel):
    deleted: str


# -- health ------------------------------------------------------------------------------------


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    ready: bool
    store: bool
    model: str
    lexical_index_loaded: bool = Field(
        default=False, description="the BM25 index is in memory; until then the first question builds or loads it "
        "(loaded in the background at start-up, rebuilt in the background after a write)")


# -- /v1 (OpenAI-compatible) -------------------------------------------------------------------


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        if not self.content:
            return ""
        return "\n".join(p.text for p in self.content if p.type == "text" and p.text)


class ChatCompletionRequest(BaseModel):
    """OpenAI fields not listed here (temperature, max_tokens, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(default="newsdesk", description="accepted and ignored")
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    # Newsdesk extensions (pass with the OpenAI client's `extra_body`).
    filters: Filters | None = None
    top_k: int | None = None
    mode: Literal["extractive", "llm"] | None = None


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage = Field(default_factory=Usage)
    citations: list[Citation] = Field(default_factory=list)
    abstained: bool = False
    notice: str = ""


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "newsdesk"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


def chunk(completion_id: str, created: int, model: str, delta: dict[str, Any] | None,
          finish_reason: str | None = None, **extra: Any) -> dict[str, Any]:
    """One `chat.completion.chunk`; `delta=None` gives a chunk with no choices (used for citations)."""
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
    return {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": choices, **extra}
