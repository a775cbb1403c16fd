"""Frozen results shared by every surface (CLI, UI, HTTP API, evaluation).

Contract: a `Citation` quotes the article verbatim, so for the article text `t` of `doc_id`,
`t[citation.start:citation.end] == citation.quote`. Every `[n]` marker in `Answer.answer`
has exactly one citation with that `n`.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Filters(_Frozen):
    """Metadata filters applied at retrieval. Empty lists / None mean "no constraint"."""

    sources: list[str] = Field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    doc_ids: list[str] = Field(default_factory=list)


class ArticleRef(_Frozen):
    """Which article something comes from, with the metadata shown beside it."""

    doc_id: str
    file_name: str
    title: str = ""
    date: str = ""
    source: str = ""
    url: str = ""


class Passage(ArticleRef):
    """A retrieved chunk, in rank order. `start`/`end` are the chunk's offsets in its article."""

    chunk_id: str
    start: int
    end: int
    text: str
    score: float


class Citation(ArticleRef):
    n: int
    quote: str
    start: int
    end: int
    score: float
    # Other articles carrying near-identical wording (syndication) get citations of their own;
    # this flag marks a citation that was added for that reason.
    duplicate_of: int | None = None


class Answer(_Frozen):
    question: str
    answer: str
    abstained: bool
    # The short answer span (a name, a number with its unit, a date, a place) that leads the answer
    # in bold; None when none could be picked out with confidence.
    short_answer: str | None = None
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    latency_ms: float = 0.0
    mode: str = "extractive"
    # Sentences of an LLM answer whose cited passage does not support them.
    unsupported: list[str] = Field(default_factory=list)
    notice: str = ""
    # The query actually sent to retrieval (after condensing a follow-up).
    retrieval_query: str = ""
