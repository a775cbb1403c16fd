"""Assistant.ask()/stream(): the single seam used by the UI, the HTTP API, the CLI and evaluation.

Each question is analysed first (`assistant.question`: kind, answer type, entity, periods), then
planned within its chat (`assistant.conversation`: a question that stands on its own is asked on its
own; one that needs the conversation inherits the topic of the last answered turn), retrieved and
answered. A `Conversation` carries one chat's topic and turns and keeps citation numbers stable
across the turns (the same quote keeps its number); callers that only have the earlier questions
(`history`) get a conversation rebuilt from them (`Conversation.replay`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from assistant import abstain
from assistant.answer import ExtractiveAnswerer
from assistant.conversation import Conversation, TurnPlan, known_to_corpus
from assistant.dates import DATE_SLACK_DAYS, DateWindow, resolve_windows
from assistant.retrieve import Retriever
from assistant.spelling import correct, expand_acronyms
from assistant.strategies import Tools, answer_for, passages_for
from assistant.types import Answer, Filters, Passage
from index.embeddings import Embedder
from index.pipeline import Ingestor, IngestReport
from index.store import ChromaStore, DocRecord

LIST_POOL_FACTOR = 2

__all__ = ["Assistant", "Conversation", "LLMAnswerer", "QuestionError"]


class QuestionError(ValueError):
    """The question cannot be asked (empty, too long); the message is meant for the user."""


class LLMAnswerer(Protocol):
    """What an LLM-backed answerer offers (implemented in `assistant.llm`)."""

    def condense(self, question: str, history: Sequence[tuple[str, str]]) -> str: ...

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str | Answer]: ...


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
        given (replayed into a throw-away conversation, see `Conversation.replay`); with a
        conversation, its topic and turns are the context and this turn is recorded in it.
        """
        started = time.perf_counter()
        question = self.check_question(question)
        k = self.check_top_k(top_k)
        mode = mode or self.default_mode
        if mode not in ("extractive", "llm"):
            raise QuestionError(f"unknown mode {mode!r}: use 'extractive' or 'llm'")
        conv = conversation if conversation is not None else self.replay(history or [])
        turns = list(conv.turns)
        notice = ""
        if mode == "llm" and self.llm is None:
            notice = "No LLM is configured; showing the extractive answer."
            mode = "extractive"
        plan = conv.plan(self.spelled(question), self.windows)
        query = plan.query
        if mode == "llm" and plan.dependent and turns and self.llm is not None:
            with contextlib.suppress(Exception):  # the planned query above stays
                query = self.llm.condense(question, turns)
        # The answerer reads a few more passages than are shown, so a supporting sentence just below
        # the cut still counts; `Answer.passages` holds the top k.
        pool = self.retriever.retrieve(query, filters=filters, k=self._pool_size(plan, k))
        expanded = expand_acronyms(plan.question, [p.text for p in pool], self.retriever.lexicon.tokens,
                                   self.in_corpus())
        if expanded != plan.question:  # "POWs" → "prisoners of war", as the passages spell it
            plan = conv.plan(expanded, self.windows)
            query = plan.query
            pool = self.retriever.retrieve(query, filters=filters, k=self._pool_size(plan, k))
        passages = pool[:k]
        answer: Answer | None = None
        if mode == "llm" and self.llm is not None:
            try:
                # the same analysis shapes what the model reads: both sides of a comparison, the
                # period's passages first
                llm_passages = passages_for(plan.analysis, _in_topic_window(plan, pool),
                                            self._tools(filters, k))[: max(k, 3 * len(plan.analysis.sides))]
                for item in self.llm.stream(plan.question, llm_passages):
                    if isinstance(item, Answer):
                        answer = item
                    else:
                        yield item
            except Exception as e:  # unreachable server, timeout, malformed reply
                notice = _llm_failure_notice(e)
                answer = None
        if answer is None:
            answer = self._extractive(plan, pool, query, filters, k)
            alone = plan.alone
            if answer.abstained and alone is not None:
                # The topic did not help a question that stands on its own: ask it on its own.
                alone_pool = self.retriever.retrieve(alone.query, filters=filters, k=self._pool_size(alone, k))
                second = self._extractive(alone, alone_pool, alone.query, filters, k)
                if not second.abstained:
                    plan, query, pool, passages, answer = alone, alone.query, alone_pool, alone_pool[:k], second
            if mode == "llm":
                answer = answer.model_copy(update={"mode": "extractive"})
        answer = answer.model_copy(update={
            "question": question,
            "passages": passages,
            "retrieval_query": query,
            "notice": " ".join(x for x in (notice, answer.notice) if x),
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        })
        conv.record(plan, answer, answered=not answer.abstained)
        if conversation is not None:
            answer = conversation.renumber(answer)
            conversation.turns.append((question, answer.answer))
        if mode == "extractive" or answer.mode == "extractive":
            yield answer.answer
        yield answer

    def _extractive(self, plan: TurnPlan, pool: list[Passage], query: str, filters: Filters | None,
                    k: int) -> Answer:
        """The strategy of the question's kind (`assistant.strategies`), or the extractive
        answerer for factoids (and when a strategy has nothing to add)."""
        analysis = plan.analysis
        pool = _in_topic_window(plan, pool)
        if abstain.missing_titles(plan.question, [p.text for p in pool]):  # "Who wrote War and Peace?"
            return Answer(question=plan.question, answer=abstain.ABSTAIN_TEXT, abstained=True)
        answer = answer_for(analysis, plan.question, pool, self._tools(filters, k))
        if answer is not None:
            return answer
        question = plan.question
        window = analysis.window or self.retriever.window(query)
        if window is not None and window.relation != "in":
            # "the last exchange before February 2026": the open period ranks articles; as words
            # (a year) it would rule out the sentence that answers ("Oct. 2, 2025")
            question = " ".join(question.replace(window.phrase, " ").replace(" before ", " ").split())
        return self.extractive.answer(
            question, pool, query=query, idf=self.retriever.idf,
            tokens=self.retriever.lexicon.tokens, in_corpus=self.in_corpus(),
            window=window, answer_type=analysis.answer_type,
        )

    def _tools(self, filters: Filters | None, k: int) -> Tools:
        return Tools(
            answerer=self.extractive,
            retrieve=lambda text: self.retriever.retrieve(text, filters=filters, k=max(k, self.answer_pool)),
            document=self._whole_article, idf=self.retriever.idf, tokens=self.retriever.lexicon.tokens,
            in_corpus=self.in_corpus(),
        )

    def spelled(self, question: str) -> str:
        """The question with misspelt words replaced by the collection's (`assistant.spelling`)."""
        return correct(question, self.retriever.lexicon.tokens, self.in_corpus(), self.retriever.nearest_token)

    def in_corpus(self) -> Callable[[str], bool]:
        """Whether a token is known to the collection: a word of its text, or the publication year
        of one of its articles ("the February 2026 exchange" when no article spells out 2026)."""
        years = {d[:4] for d in self.retriever.article_dates()}
        return lambda t: t in years or self.retriever.in_corpus(t)

    def _whole_article(self, doc_id: str) -> Passage | None:
        """The complete text of an article as one passage (offsets 0..len), for summaries."""
        rec = self.get_document(doc_id)
        if rec is None or not rec.text:
            return None
        return Passage(chunk_id=f"{doc_id}:all", doc_id=doc_id, file_name=rec.file_name, title=rec.title,
                       date=rec.date, source=rec.source, url=rec.url, start=0, end=len(rec.text), text=rec.text,
                       score=0.0)

    def windows(self, text: str) -> list[DateWindow]:
        """The publication windows a text names, resolved against the collection's dates."""
        return resolve_windows(text, self.retriever.article_dates())

    def replay(self, history: Sequence[str]) -> Conversation:
        """A conversation rebuilt from earlier questions only: a question counts as answered when
        the articles know its names, numbers and most of its words (see `assistant.conversation`)."""
        if not history:
            return Conversation()
        known = self.in_corpus()
        return Conversation.replay(
            [self.spelled(q) for q in history], self.windows,
            lambda a: known_to_corpus(a, known, self.retriever.lexicon.tokens),
        )

    def check_question(self, question: str) -> str:
        q = (question or "").strip()
        if not q:
            raise QuestionError("Please type a question.")
        try:
            q.encode("utf-8")
        except UnicodeEncodeError as e:  # a lone surrogate (e.g. "\ud800") from a broken client
            raise QuestionError(f"The question contains invalid text at character {e.start + 1}; "
                                "please retype it.") from e
        if len(q) > self.max_question_chars:
            raise QuestionError(
                f"The question is {len(q):,} characters long; the limit is {self.max_question_chars:,}."
            )
        return q

    def _pool_size(self, plan: TurnPlan, k: int) -> int:
        """Passages the answerer reads: a few more than the k shown; for a list, LIST_POOL_FACTOR
        times as many (a list gathers every passage that says the relation, not the few most like
        the question)."""
        return max(k, self.answer_pool) * (LIST_POOL_FACTOR if plan.analysis.kind == "list" else 1)

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


def _in_topic_window(plan: TurnPlan, pool: list[Passage]) -> list[Passage]:
    """For a question that inherited the conversation's period ("How many prisoners were exchanged?"
    after "Summarize the August exchange") or a follow-up that swaps it ("And in August?"), only the
    passages published then, when there are any: the answer stays in the period the chat is about."""
    window = plan.analysis.window
    if not (plan.inherited_window or plan.dependent) or window is None or window.relation != "in":
        return pool
    inside = [p for p in pool if window.contains(p.date, DATE_SLACK_DAYS)]
    return inside or pool


def _llm_failure_notice(e: Exception) -> str:
    """The user's notice for a failed LLM answer: what kind of failure, never exception names,
    hosts or paths (those go to the server log)."""
    import logging

    logging.getLogger(__name__).warning("LLM answer failed, falling back to extractive: %r", e)
    kind = type(e).__name__.lower()
    status = getattr(e, "status_code", None)
    if "timeout" in kind or isinstance(e, TimeoutError):
        why = "it did not reply in time"
    elif "connect" in kind or isinstance(e, ConnectionError):
        why = "it could not be reached"
    elif isinstance(status, int):
        why = f"it answered with an error (HTTP {status})"
    else:
        why = "its reply could not be used"
    return f"The language model could not answer ({why}); showing the extractive answer instead."
