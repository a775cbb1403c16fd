"""Assistant.ask()/stream(): the single seam used by the UI, the HTTP API, the CLI and evaluation.

A `Conversation` carries one chat's turns, so follow-ups are resolved with the history and
citation numbers stay stable across the turns (the same quote keeps its number).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.answer import ExtractiveAnswerer
from assistant.condense import condense_extractive
from assistant.retrieve import Retriever
from assistant.types import Answer, Citation, Filters, Passage
from index.embeddings import Embedder
from index.pipeline import Ingestor, IngestReport
from index.store import ChromaStore, DocRecord

_MARKER = re.compile(r"\[(\d+)\]")


class QuestionError(ValueError):
    """The question cannot be asked (empty, too long); the message is meant for the user."""


class LLMAnswerer(Protocol):
    """What an LLM-backed answerer offers (implemented in `assistant.llm`)."""

    def condense(self, question: str, history: Sequence[tuple[str, str]]) -> str: ...

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str | Answer]: ...


@dataclass
class Conversation:
    """One chat. `turns` holds (question, answer text) pairs; `numbers` keeps citation numbers stable."""

    turns: list[tuple[str, str]] = field(default_factory=list)
    numbers: dict[tuple[str, int, int], int] = field(default_factory=dict)

    def renumber(self, answer: Answer) -> Answer:
        """Give each quote the number it had earlier in this chat, or the next free one."""
        mapping: dict[int, int] = {}
        cites: list[Citation] = []
        for c in answer.citations:
            key = (c.doc_id, c.start, c.end)
            if key not in self.numbers:
                self.numbers[key] = len(self.numbers) + 1
            mapping[c.n] = self.numbers[key]
        for c in answer.citations:
            dup = mapping.get(c.duplicate_of) if c.duplicate_of is not None else None
            cites.append(c.model_copy(update={"n": mapping[c.n], "duplicate_of": dup}))
        text = _MARKER.sub(lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", answer.answer)
        return answer.model_copy(update={"answer": text, "citations": cites})


class Assistant:
    def __init__(self, store: ChromaStore, embedder: Embedder, ingestor: Ingestor, retriever: Retriever,
                 extractive: ExtractiveAnswerer, llm: LLMAnswerer | None = None, top_k: int = 5,
                 default_mode: str = "extractive", max_question_chars: int = 1000,
                 max_top_k: int = 50, answer_pool: int = 8) -> None:
        self.store = store
        self.embedder = embedder
        self.ingestor = ingestor
        self.retriever = retriever
        self.extractive = extractive
        self.llm = llm
        self.top_k = top_k
        self.default_mode = default_mode
        self.max_question_chars = max_question_chars
        self.max_top_k = max_top_k
        self.answer_pool = answer_pool
        self._write_lock = threading.Lock()
        self._docs_lock = threading.Lock()
        self._docs: tuple[str, list[DocRecord]] | None = None  # (store version, newest first)

    @property
    def llm_available(self) -> bool:
        return self.llm is not None

    # -- asking ------------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[str] | None = None, filters: Filters | None = None,
            top_k: int | None = None, mode: str | None = None,
            conversation: Conversation | None = None) -> Answer:
        final: Answer | None = None
        for item in self.stream(question, history, filters, top_k, mode, conversation):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def stream(self, question: str, history: Sequence[str] | None = None, filters: Filters | None = None,
               top_k: int | None = None, mode: str | None = None,
               conversation: Conversation | None = None) -> Iterator[str | Answer]:
        """Yields text deltas, then the final `Answer` (always last, always exactly once).

        `history` (earlier questions of the chat, oldest first) is used when no `conversation` is
        given; with a conversation, its turns are the history and this turn is appended to it.
        """
        started = time.perf_counter()
        question = self.check_question(question)
        k = self.check_top_k(top_k)
        mode = mode or self.default_mode
        if mode not in ("extractive", "llm"):
            raise QuestionError(f"unknown mode {mode!r}: use 'extractive' or 'llm'")
        turns: list[tuple[str, str]] = list(conversation.turns) if conversation else [(q, "") for q in history or []]
        notice = ""
        if mode == "llm" and self.llm is None:
            notice = "No LLM is configured; showing the extractive answer."
            mode = "extractive"
        query = condense_extractive(question, turns) if turns else question
        if mode == "llm" and turns and self.llm is not None:
            with contextlib.suppress(Exception):  # the extractive condensation above stays
                query = self.llm.condense(question, turns)
        # The answerer reads a few more passages than are shown, so a supporting sentence just below
        # the cut still counts; `Answer.passages` holds the top k.
        pool = self.retriever.retrieve(query, filters=filters, k=max(k, self.answer_pool))
        passages = pool[:k]
        answer: Answer | None = None
        if mode == "llm" and self.llm is not None:
            try:
                for item in self.llm.stream(question, passages):
                    if isinstance(item, Answer):
                        answer = item
                    else:
                        yield item
            except Exception as e:  # unreachable server, timeout, malformed reply
                notice = f"The language model could not answer ({type(e).__name__}: {_short(e)}); showing the extractive answer instead."
                answer = None
        if answer is None:
            answer = self.extractive.answer(
                question, pool, query=query, idf=self.retriever.idf,
                tokens=self.retriever.lexicon.tokens, in_corpus=self.retriever.in_corpus,
                window=self.retriever.window(query),
            )
            if mode == "llm":
                answer = answer.model_copy(update={"mode": "extractive"})
        answer = answer.model_copy(update={
            "question": question,
            "passages": passages,
            "retrieval_query": query,
            "notice": " ".join(x for x in (notice, answer.notice) if x),
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        })
        if conversation is not None:
            answer = conversation.renumber(answer)
            conversation.turns.append((question, answer.answer))
        if mode == "extractive" or answer.mode == "extractive":
            yield answer.answer
        yield answer

    def check_question(self, question: str) -> str:
        q = (question or "").strip()
        if not q:
            raise QuestionError("Please type a question.")
        if len(q) > self.max_question_chars:
            raise QuestionError(
                f"The question is {len(q):,} characters long; the limit is {self.max_question_chars:,}."
            )
        return q

    def check_top_k(self, top_k: int | None) -> int:
        k = self.top_k if top_k is None else int(top_k)
        if not 1 <= k <= self.max_top_k:
            raise QuestionError(f"top_k must be between 1 and {self.max_top_k}, got {k}.")
        return k

    # -- documents ---------------------------------------------------------------------------
    def ingest_upload(self, name: str, raw: bytes, max_bytes: int = 5_000_000) -> IngestReport:
        with self._write_lock:
            report = self.ingestor.ingest_upload(name, raw, max_bytes=max_bytes)
            self.retriever.refresh_in_background()
        return report

    def delete_document(self, doc_id: str) -> bool:
        with self._write_lock:
            existed = self.store.delete_document(doc_id)
            self.retriever.refresh_in_background()
        return existed

    def list_documents(self) -> list[DocRecord]:
        """Complete documents, newest first. Remembered until the store's version changes: listing
        the registry takes seconds at 100k chunks (27k documents), checking the version ~10 ms."""
        version = self.store.version()
        with self._docs_lock:
            if self._docs is None or self._docs[0] != version:
                docs = sorted(self.store.list_documents(), key=lambda d: (d.date, d.title), reverse=True)
                self._docs = (version, docs)
            return list(self._docs[1])

    def get_document(self, doc_id: str) -> DocRecord | None:
        rec = self.store.get_document(doc_id)
        return rec if rec is not None and rec.state == "complete" else None

    def sources(self) -> list[str]:
        return sorted({d.source for d in self.list_documents() if d.source})

    def ready(self) -> dict[str, Any]:
        store_ok = self.store.heartbeat()
        return {"ready": store_ok, "store": store_ok, "model": self.embedder.name,
                "lexical_index_loaded": self.retriever.loaded}


def _short(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return text[:200]
