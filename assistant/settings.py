"""Typed configuration, read once by `app.py` (tests build `Settings(...)` directly).

Environment variables use the `NEWSDESK_` prefix (e.g. `NEWSDESK_STORE`), read also from `.env`.
A few well-known names are accepted without the prefix: `CHROMA_HOST`, `CHROMA_PORT`, `CHROMA_SSL`,
`CHROMA_TOKEN`, `API_TOKEN`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Lists from the environment: comma-separated (`a,b`) or a JSON array.
CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", env_file=".env", extra="ignore", populate_by_name=True)

    # -- store -------------------------------------------------------------------------------
    store: Path = Path("data/store")
    collection: str = "newsdesk"
    chroma_host: str | None = Field(
        default=None, validation_alias=AliasChoices("CHROMA_HOST", "NEWSDESK_CHROMA_HOST")
    )
    chroma_port: int = Field(default=8000, validation_alias=AliasChoices("CHROMA_PORT", "NEWSDESK_CHROMA_PORT"))
    chroma_ssl: bool = Field(default=False, validation_alias=AliasChoices("CHROMA_SSL", "NEWSDESK_CHROMA_SSL"))
    chroma_token: str | None = Field(
        default=None, validation_alias=AliasChoices("CHROMA_TOKEN", "NEWSDESK_CHROMA_TOKEN")
    )

    # -- ingest ------------------------------------------------------------------------------
    embedder: Literal["minilm", "minilm-torch", "hash"] = "minilm"
    model_cache: Path | None = None  # ONNX copies of the model; default <project>/data/models
    max_file_bytes: int = 5_000_000
    max_upload_files: int = 20  # files per upload request (HTTP API and the UI's upload route)
    chunk_tokens: int = 160
    embed_batch_size: int = 64

    # -- answering ---------------------------------------------------------------------------
    # "learned": the trained reader (models/reader, sha256-checked) scores answer sentences and decides
    # abstention, spaCy's NER types the short answers; "features": the hand-set first-stage score only.
    reader: Literal["learned", "features"] = "features"
    reader_model: Path | None = None  # default <project>/models/reader
    # With the reader: weigh its probability with the first-stage features (models/combiner), fitted
    # on calibration data; off = the reader's probability alone decides.
    combiner: bool = True
    # Without the reader: abstain by the fitted answerability model (models/answerability; false:
    # the hand-set confidence rule, which training/answerability/fit.py reports as its baseline).
    answerability: bool = True
    # "typed": short answers are typed spans (spaCy NER + money/percent/count rules, assistant/spans.py);
    # "cues": the regex leads of assistant/cues.py.
    short_answers: Literal["typed", "cues"] = "typed"
    # With typed short answers: a question asking for no typed value ("What was it made of?") leads
    # with the learned reader's span (models/reader) when it clears the span threshold calibrated with
    # it; loads the reader also when it does not score sentences (`reader = "features"`).
    span_reader: bool = True
    top_k: int = 5
    mode: Literal["extractive", "llm"] = "extractive"
    max_question_chars: int = 1000
    llm_provider: Literal["none", "openai", "ollama"] = "none"
    llm_base_url: str = "http://127.0.0.1:8080/v1"
    llm_model: str = "local-model"
    llm_api_key: str = "not-needed"
    llm_timeout: float = 60.0
    llm_context_tokens: int = 3000

    # -- serving -----------------------------------------------------------------------------
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("GRADIO_SERVER_NAME", "NEWSDESK_HOST"))
    port: int = Field(default=7860, validation_alias=AliasChoices("GRADIO_SERVER_PORT", "NEWSDESK_PORT"))
    api_token: str | None = Field(default=None, validation_alias=AliasChoices("API_TOKEN", "NEWSDESK_API_TOKEN"))
    api_token_file: Path | None = None
    # Host headers answered (DNS rebinding); empty: the bind host, localhost, 127.0.0.1 and [::1].
    trusted_hosts: CommaList = Field(default_factory=list)
    # Origins allowed cross-origin requests (CORS); empty: none. Credentials only when also allowed.
    cors_origins: CommaList = Field(default_factory=list)
    cors_allow_credentials: bool = False
    session_hours: float = 12.0  # browser sessions after logging in with the token
    cookie_secure: bool = False  # mark the session cookie Secure (automatic for https requests)
    auth_failures_per_minute: int = 30  # wrong tokens per client address before it waits (429); 0: no limit
    chats_dir: Path | None = None  # the UI's saved chats when an API token is set; default <store>/chats
    samples_dir: Path = Path(__file__).resolve().parent.parent / "samples"

    @field_validator("trusted_hosts", "cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [x.strip() for x in text.split(",") if x.strip()]
        return value

    @property
    def llm_configured(self) -> bool:
        return self.llm_provider != "none"

    def allowed_hosts(self) -> list[str]:
        """Host names accepted in the Host header (without port)."""
        if self.trusted_hosts:
            return list(self.trusted_hosts)
        bind = self.host.strip()
        if ":" in bind and not bind.startswith("["):
            bind = f"[{bind}]"  # IPv6 literals appear bracketed in Host headers
        defaults = ["localhost", "127.0.0.1", "[::1]"]
        return defaults if bind in ("0.0.0.0", "[::]", "") else list(dict.fromkeys([bind, *defaults]))

    def resolved_api_token(self) -> str | None:
        if self.api_token:
            return self.api_token
        if self.api_token_file is not None:
            return self.api_token_file.read_text(encoding="utf-8").strip() or None
        return None
