"""The optional LLM answerer: a generated answer whose `[n]` citations are checked against the passages.

Contract of `LLMAnswerer` (the protocol of `assistant.chat`):

* `condense(question, history)` returns a standalone question (prompt `prompts/condense.txt`).
* `stream(question, passages)` yields the model's text deltas as they arrive, then exactly one final
  `Answer` (mode "llm"). The final answer text is the *checked* text and replaces the deltas:
  markers that point at no passage are removed; every kept `[n]` has exactly one `Citation` whose
  quote is the passage sentence that best supports the answer sentence, with offsets in the
  article (`article[c.start:c.end] == c.quote`); numbers run 1..m in order of first appearance.
  Sentences that no cited passage supports are listed in `Answer.unsupported` (their markers are
  dropped). An answer without any citation is `abstained`.
* Any transport or protocol failure (unreachable server, timeout, HTTP error, malformed or empty
  reply) raises out of `stream`/`condense`; `Assistant` then falls back to the extractive answer.
* An unreachable server is found fast and remembered (`ServerGate`): before each call the server's
  TCP port must accept a connection within `CONNECT_TIMEOUT` seconds; after a failed connection
  every call raises `LLMConnectionError` at once for `REMEMBER_FAILURE` seconds, then tries again.

Prompts are text files with named placeholders, loaded and validated when the answerer is built.
The language model is passed explicitly; llama-index's global `Settings` are never used.
"""

from __future__ import annotations

import itertools
import re
import socket
import string
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from assistant.retrieve import english_stemmer
from assistant.settings import Settings
from assistant.types import Answer, Citation, Passage
from index.chunking import count_tokens, sentence_spans
from index.embeddings import Embedder

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
ANSWER_PROMPT = "answer.txt"
CONDENSE_PROMPT = "condense.txt"
MAX_ANSWER_TOKENS = 512
SUPPORT_THRESHOLD = 0.35
# Seconds to wait for the server to accept a connection, and to remember that it did not.
CONNECT_TIMEOUT = 2.0
REMEMBER_FAILURE = 60.0


class PromptError(ValueError):
    """A prompt file is missing or its placeholders are wrong; the message names the file."""


class LLMReplyError(RuntimeError):
    """The model's reply cannot be used (empty, or not text)."""


class LLMConnectionError(ConnectionError):
    """The language model server cannot be reached; the message says where, in plain words."""


# -- reachability ----------------------------------------------------------------------------

class ServerGate:
    """Whether the LLM server at `host:port` can be reached, checked with a short TCP connect and
    remembered for `remember` seconds after a failure (thread-safe).

    Written here because the clients take one timeout for connecting and for the whole reply
    (60 s by default: a model may be slow), and neither remembers that a server is down; this makes
    an unreachable server cost at most `connect_timeout` once a minute instead of every question."""

    def __init__(self, host: str, port: int, connect_timeout: float = CONNECT_TIMEOUT,
                 remember: float = REMEMBER_FAILURE, clock: Callable[[], float] = time.monotonic) -> None:
        self.host, self.port = host, port
        self.connect_timeout = connect_timeout
        self.remember = remember
        self.clock = clock
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._reason = ""

    @classmethod
    def for_url(cls, url: str, **kwargs: Any) -> ServerGate:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.hostname or "127.0.0.1", port, **kwargs)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def check(self) -> None:
        """Return when the server accepts a connection; else raise `LLMConnectionError`."""
        with self._lock:
            left = self._down_until - self.clock()
            if left > 0:
                raise LLMConnectionError(f"the language model server at {self.where} could not be reached "
                                          f"{self._reason}(next try in {left:.0f} s)")
        try:
            socket.create_connection((self.host, self.port), timeout=self.connect_timeout).close()
        except OSError as e:
            self.failed(e)
            raise LLMConnectionError(f"the language model server at {self.where} cannot be reached "
                                      f"({_os_reason(e)})") from e

    def failed(self, error: BaseException) -> None:
        """Remember a failed connection (other errors, e.g. a slow or bad reply, are not remembered)."""
        if not _is_connection_error(error):
            return
        with self._lock:
            self._down_until = self.clock() + self.remember
            self._reason = f"({_os_reason(error)}) " if isinstance(error, OSError) else ""


def _os_reason(e: BaseException) -> str:
    if isinstance(e, TimeoutError | socket.timeout):
        return "no answer within the connect timeout"
    if isinstance(e, ConnectionRefusedError):
        return "connection refused"
    if isinstance(e, socket.gaierror):
        return "unknown host"
    return type(e).__name__


def _is_connection_error(e: BaseException) -> bool:
    """A failure to connect: OS errors, and the clients' connection errors (by name, so neither
    client library is imported here: openai's APIConnectionError, httpx's ConnectError/ConnectTimeout)."""
    names = {c.__name__ for c in type(e).__mro__}
    return isinstance(e, OSError) or bool(names & {"APIConnectionError", "ConnectError", "ConnectTimeout"})


# -- prompts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PromptTemplate:
    """A prompt file with `{name}` placeholders (`{{`/`}}` for literal braces)."""

    path: Path
    text: str
    fields: frozenset[str]

    def format(self, **values: object) -> str:
        return self.text.format(**{k: values.get(k, "") for k in self.fields})


def _line_of(text: str, needle: str) -> int:
    pos = text.find(needle)
    return text.count("\n", 0, pos) + 1 if pos >= 0 else 1


def load_prompt(path: Path, required: Iterable[str], optional: Iterable[str] = ()) -> PromptTemplate:
    """Read and validate a prompt: every `required` placeholder present, none outside
    `required | optional`, no positional `{}` and no format specs. Raises `PromptError`."""
    required = set(required)
    allowed = required | set(optional)
    names = ", ".join("{" + n + "}" for n in sorted(allowed))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise PromptError(f"prompt file {path} not found (expected placeholders {names})") from e
    except (OSError, UnicodeDecodeError) as e:
        raise PromptError(f"prompt file {path} cannot be read: {e}") from e
    fields: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as e:
        raise PromptError(f"{path}: {e} (write {{{{ and }}}} for literal braces)") from e
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        line = _line_of(text, "{" + field)
        if not field or not field.isidentifier():
            raise PromptError(f"{path}, line {line}: placeholder {{{field}}} is not a name; "
                              f"allowed placeholders: {names}")
        if spec or conversion:
            raise PromptError(f"{path}, line {line}: placeholder {{{field}}} must not carry a format "
                              "spec or conversion")
        if field not in allowed:
            raise PromptError(f"{path}, line {line}: unknown placeholder {{{field}}}; "
                              f"allowed placeholders: {names}")
        fields.add(field)
    missing = sorted(required - fields)
    if missing:
        raise PromptError(f"{path}: missing placeholder(s) " + ", ".join("{" + m + "}" for m in missing)
                          + "; required: " + ", ".join("{" + n + "}" for n in sorted(required)))
    return PromptTemplate(path, text, frozenset(fields))


def load_prompts(prompts_dir: Path = PROMPTS_DIR) -> tuple[PromptTemplate, PromptTemplate]:
    """(answer prompt, condense prompt), validated."""
    answer = load_prompt(prompts_dir / ANSWER_PROMPT, {"context", "question"}, {"count"})
    condense = load_prompt(prompts_dir / CONDENSE_PROMPT, {"history", "question"})
    return answer, condense


# -- support checking ------------------------------------------------------------------------

_MARKER = re.compile(r"\[(\d+)\]")
_MARKER_GROUP = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)+)\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+\])+")
_WORD = re.compile(r"\w+")
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.S)
_ABSTAIN = re.compile(
    r"\b(i don'?t know|i do not know|(?:do|does|did) not (?:say|mention|contain|state|specify|include|provide)"
    r"|no information|not (?:mentioned|stated|specified|reported|provided)|cannot (?:be )?(?:answer|determine)"
    r"|can'?t (?:answer|determine|tell)|unable to)\b",
    re.I,
)


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | {"also", "said", "says", "would", "could", "according"}


def content_terms(text: str) -> set[str]:
    """Stemmed lower-case content words (stop words removed; numbers kept)."""
    words = [w.lower() for w in _WORD.findall(text)]
    words = [w for w in words if w not in _stopwords() and (len(w) > 1 or w.isdigit())]
    return set(english_stemmer().stemWords(words)) if words else set()


def key_terms(text: str) -> set[str]:
    """Numbers and capitalized words not at the start of the sentence, lower-cased."""
    out: set[str] = set()
    for i, m in enumerate(_WORD.finditer(text)):
        w = m.group()
        if any(c.isdigit() for c in w) or (i > 0 and w[0].isupper()):
            out.add(w.lower())
    return out - _stopwords()


def strip_markers(text: str) -> str:
    out = _MARKER.sub("", text)
    out = re.sub(r"\s+([.,;:!?])", r"\1", out)
    return re.sub(r"[ \t]{2,}", " ", out).strip()


@dataclass(frozen=True)
class Support:
    score: float
    start: int  # offsets within the passage text
    end: int


class SupportChecker:
    """Scores how well a passage supports a claim: lexical overlap of content words with the best
    passage sentence (or pair of adjacent sentences), averaged with the embedding cosine when an
    embedder is given, and reduced when the claim's numbers / names are absent from the passage."""

    def __init__(self, embedder: Embedder | None = None, lexical_weight: float = 0.5) -> None:
        self.embedder = embedder
        self.lexical_weight = lexical_weight if embedder is not None else 1.0

    def best(self, claim: str, passage: Passage) -> Support | None:
        spans = sentence_spans(passage.text)
        if not spans:
            return None
        cands = [(s.start, s.end, 1.0) for s in spans]
        cands += [(a.start, b.end, 0.95) for a, b in itertools.pairwise(spans)]
        texts = [passage.text[s:e] for s, e, _ in cands]
        terms = content_terms(claim)
        lex = np.array([len(terms & content_terms(t)) / len(terms) if terms else 0.0 for t in texts])
        score = self.lexical_weight * lex
        if self.embedder is not None and self.lexical_weight < 1.0:
            vecs = self.embedder.embed([claim, *texts])
            cos = np.clip(vecs[1:] @ vecs[0], 0.0, 1.0)
            score = score + (1.0 - self.lexical_weight) * cos
        score = score * np.array([w for _, _, w in cands])
        keys = key_terms(claim)
        if keys:
            present = {w.lower() for w in _WORD.findall(passage.text)}
            missing = len(keys - present) / len(keys)
            score = score * (1.0 - 0.5 * missing)
        i = int(np.argmax(score))
        return Support(float(score[i]), cands[i][0], cands[i][1])


@dataclass
class _Sentence:
    gap: str  # text between the previous sentence and this one
    raw: str  # the sentence as written, markers included
    moved: list[int]  # markers written at the start of the next sentence ("... June. [1] Next ...")

    @property
    def text(self) -> str:
        return strip_markers(self.raw)

    @property
    def markers(self) -> list[int]:
        return [int(n) for n in _MARKER.findall(self.raw)] + self.moved


def _split_answer(text: str) -> tuple[list[_Sentence], str]:
    """Answer sentences (markers that open a sentence belong to the previous one) and the tail."""
    out: list[_Sentence] = []
    pos = 0
    for span in sentence_spans(text):
        seg = text[span.start:span.end]
        gap = text[pos:span.start]
        lead = _LEADING_MARKERS.match(seg)
        if lead and out:
            out[-1].moved += [int(n) for n in _MARKER.findall(lead.group())]
            seg = seg[lead.end():].lstrip()
            pos = span.end
            if not seg:
                continue
            gap = gap or " "
        out.append(_Sentence(gap, seg, []))
        pos = span.end
    return out, text[pos:]


def _render(s: _Sentence, mapping: dict[int, int]) -> str:
    """The sentence with each marker replaced by its new number, or removed when unmapped."""
    out = _MARKER.sub(lambda m: f"[{mapping[int(m.group(1))]}]" if int(m.group(1)) in mapping else "", s.raw)
    out = re.sub(r"(\[\d+\])(?:\s*\1)+", r"\1", out)
    out = re.sub(r"\s+([.,;:!?])", r"\1", out)
    out = re.sub(r"[ \t]{2,}", " ", out).strip()
    present = {int(n) for n in _MARKER.findall(out)}
    extra = [mapping[n] for n in dict.fromkeys(s.moved) if n in mapping and mapping[n] not in present]
    return _with_markers(out, list(dict.fromkeys(extra)))


def _with_markers(sentence: str, numbers: list[int]) -> str:
    if not numbers:
        return sentence
    marks = "".join(f"[{n}]" for n in numbers)
    m = re.search(r"[.!?]+[\"'”’)]*$", sentence)
    if m and m.start() > 0:
        return f"{sentence[:m.start()]} {marks}{sentence[m.start():]}"
    return f"{sentence} {marks}"


def check_answer(question: str, raw: str, passages: list[Passage], checker: SupportChecker,
                 threshold: float = SUPPORT_THRESHOLD) -> Answer:
    """Turn the model's raw text about `passages` (numbered from 1) into a checked `Answer`."""
    text = _THINK.sub("", raw).strip()
    text = _MARKER_GROUP.sub(lambda m: "".join(f"[{n}]" for n in re.split(r"\s*[,;]\s*", m.group(1))), text)
    sentences, tail = _split_answer(text)
    numbers: dict[tuple[int, int, int], int] = {}
    citations: list[Citation] = []
    unsupported: list[str] = []
    parts: list[str] = []
    for s in sentences:
        mapping: dict[int, int] = {}
        valid = [n for n in dict.fromkeys(s.markers) if 1 <= n <= len(passages)]
        for n in valid:
            p = passages[n - 1]
            sup = checker.best(s.text, p)
            if sup is None or sup.score < threshold:
                continue
            key = (n, sup.start, sup.end)
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                citations.append(Citation(
                    n=numbers[key], doc_id=p.doc_id, file_name=p.file_name, title=p.title, date=p.date,
                    source=p.source, url=p.url, quote=p.text[sup.start:sup.end],
                    start=p.start + sup.start, end=p.start + sup.end, score=round(sup.score, 4)))
            mapping[n] = numbers[key]
        if not mapping and s.text and (s.markers or not _ABSTAIN.search(s.text)) and content_terms(s.text):
            unsupported.append(s.text)
        parts.append(s.gap + _render(s, mapping))
    answer = ("".join(parts) + strip_markers(tail)).strip()
    abstained = not citations
    if not answer:
        answer = "I don't know: the articles do not say."
    return Answer(question=question, answer=answer, abstained=abstained, citations=citations,
                  passages=passages, mode="llm", unsupported=unsupported)


# -- the answerer ----------------------------------------------------------------------------

def format_passage(n: int, p: Passage) -> str:
    meta = ", ".join(x for x in (p.title, p.source, p.date) if x)
    head = f"[{n}] {meta} ({p.file_name})" if meta else f"[{n}] ({p.file_name})"
    return f"{head}\n{p.text}"


def _think_filter(deltas: Iterable[str]) -> Iterator[str]:
    """Pass deltas through, hiding a leading `<think>...</think>` block of reasoning models."""
    buf = ""
    passing = False
    for d in deltas:
        if passing:
            yield d
            continue
        buf += d
        head = buf.lstrip()
        if head.startswith("<think>"):
            if "</think>" in head:
                passing = True
                rest = head.split("</think>", 1)[1].lstrip()
                if rest:
                    yield rest
        elif not "<think>".startswith(head):
            passing = True
            yield buf
    if not passing and buf.strip() and not buf.lstrip().startswith("<think>"):
        yield buf


class LLMAnswerer:
    """See the module docstring. `llm` is a llama-index LLM (`chat`, `stream_chat`)."""

    def __init__(self, llm: Any, embedder: Embedder | None, answer_prompt: PromptTemplate,
                 condense_prompt: PromptTemplate, context_tokens: int = 3000,
                 threshold: float = SUPPORT_THRESHOLD, max_history_turns: int = 6,
                 token_counter: Callable[[str], int] = count_tokens, gate: ServerGate | None = None) -> None:
        self.llm = llm
        self.gate = gate
        self.answer_prompt = answer_prompt
        self.condense_prompt = condense_prompt
        self.context_tokens = context_tokens
        self.threshold = threshold
        self.max_history_turns = max_history_turns
        self.count_tokens = token_counter
        self.checker = SupportChecker(embedder)
        overhead = self.count_tokens(answer_prompt.format(context="", question="", count=0))
        if context_tokens < overhead + 200:
            raise ValueError(
                f"llm_context_tokens={context_tokens} is too small: the prompt {answer_prompt.path} alone "
                f"takes {overhead} tokens; allow at least {overhead + 200} (NEWSDESK_LLM_CONTEXT_TOKENS)."
            )

    # -- prompt building -------------------------------------------------------------------
    def select(self, question: str, passages: list[Passage]) -> list[Passage]:
        """Passages in rank order while the whole prompt stays within `context_tokens`."""
        used = self.count_tokens(self.answer_prompt.format(context="", question=question, count=len(passages)))
        chosen: list[Passage] = []
        for p in passages:
            cost = self.count_tokens(format_passage(len(chosen) + 1, p) + "\n\n")
            if used + cost > self.context_tokens:
                break
            chosen.append(p)
            used += cost
        return chosen

    def build_prompt(self, question: str, passages: list[Passage]) -> str:
        context = "\n\n".join(format_passage(i, p) for i, p in enumerate(passages, 1))
        return self.answer_prompt.format(context=context, question=question, count=len(passages))

    @staticmethod
    def _messages(prompt: str) -> list[Any]:
        from llama_index.core.llms import ChatMessage, MessageRole

        return [ChatMessage(role=MessageRole.USER, content=prompt)]

    # -- protocol --------------------------------------------------------------------------
    def condense(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        lines: list[str] = []
        for q, a in list(history)[-self.max_history_turns:]:
            lines.append(f"User: {q.strip()}")
            if a.strip():
                short = strip_markers(a)
                lines.append(f"Assistant: {short[:400]}{'…' if len(short) > 400 else ''}")
        prompt = self.condense_prompt.format(history="\n".join(lines), question=question)
        reply = self._call(self.llm.chat, self._messages(prompt))
        text = _THINK.sub("", _content(reply.message)).strip()
        line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        line = re.sub(r"^(standalone question|question)\s*:\s*", "", line, flags=re.I).strip().strip("\"'“”")
        if not line:
            raise LLMReplyError("the model returned an empty standalone question")
        return line[: max(1000, 4 * len(question))]

    def stream(self, question: str, passages: list[Passage]) -> Iterator[str | Answer]:
        chosen = self.select(question, passages)
        if not chosen:
            yield Answer(question=question, answer="I don't know: no article passage matches the question.",
                         abstained=True, passages=passages, mode="llm")
            return
        replies = self._call(self.llm.stream_chat, self._messages(self.build_prompt(question, chosen)))
        raw: list[str] = []

        def deltas() -> Iterator[str]:
            for r in self._guarded(replies):
                d = r.delta if r.delta is not None else ""
                if not isinstance(d, str):
                    raise LLMReplyError(f"the model sent a non-text delta ({type(d).__name__})")
                if d:
                    raw.append(d)
                    yield d

        yield from _think_filter(deltas())
        text = "".join(raw)
        if not _THINK.sub("", text).strip():
            raise LLMReplyError("the model returned an empty answer")
        answer = check_answer(question, text, chosen, self.checker, self.threshold)
        yield answer.model_copy(update={"passages": passages})


    def _call(self, method: Callable[..., Any], *args: Any) -> Any:
        """`method(*args)` after the reachability check; a connection failure is remembered."""
        if self.gate is not None:
            self.gate.check()
        try:
            return method(*args)
        except Exception as e:
            if self.gate is not None:
                self.gate.failed(e)
            raise

    def _guarded(self, items: Iterable[Any]) -> Iterator[Any]:
        """A streamed reply (connecting may happen on the first item); failures are remembered."""
        try:
            yield from items
        except Exception as e:
            if self.gate is not None:
                self.gate.failed(e)
            raise


def _content(message: Any) -> str:
    content = getattr(message, "content", None)
    if not isinstance(content, str):
        raise LLMReplyError("the model reply has no text content")
    return content


# -- construction ----------------------------------------------------------------------------

OLLAMA_DEFAULT_URL = "http://127.0.0.1:11434"


def make_llm(settings: Settings) -> Any:
    """The llama-index LLM for `settings.llm_provider` ("openai": any OpenAI-compatible server;
    "ollama": Ollama's native API). No retries, so an unreachable server fails fast."""
    url = settings.llm_base_url.strip()
    if settings.llm_provider == "ollama":
        if "llm_base_url" not in settings.model_fields_set:
            url = OLLAMA_DEFAULT_URL
        url = re.sub(r"/v1/?$", "", url.rstrip("/"))
    if not re.match(r"^https?://[^/\s]+", url):
        raise ValueError(f"NEWSDESK_LLM_BASE_URL must be an http(s) URL, got {settings.llm_base_url!r}")
    if settings.llm_timeout <= 0:
        raise ValueError(f"NEWSDESK_LLM_TIMEOUT must be positive, got {settings.llm_timeout}")
    window = settings.llm_context_tokens + MAX_ANSWER_TOKENS
    if settings.llm_provider == "openai":
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(model=settings.llm_model, api_base=url, api_key=settings.llm_api_key or "not-needed",
                          is_chat_model=True, is_function_calling_model=False, context_window=window,
                          max_tokens=MAX_ANSWER_TOKENS, temperature=0.0, timeout=settings.llm_timeout,
                          max_retries=0, reuse_client=True)
    if settings.llm_provider == "ollama":
        from llama_index.llms.ollama import Ollama

        return Ollama(model=settings.llm_model, base_url=url, request_timeout=settings.llm_timeout,
                      temperature=0.0, context_window=window)
    raise ValueError(f"unknown NEWSDESK_LLM_PROVIDER {settings.llm_provider!r}: use none, openai or ollama")


def build_llm_answerer(settings: Settings, embedder: Embedder, prompts_dir: Path = PROMPTS_DIR) -> LLMAnswerer:
    """Validate the prompts and settings, then build the answerer (no network call here)."""
    answer_prompt, condense_prompt = load_prompts(prompts_dir)
    llm = make_llm(settings)
    url = getattr(llm, "api_base", None) or getattr(llm, "base_url", None) or settings.llm_base_url
    return LLMAnswerer(llm, embedder, answer_prompt, condense_prompt, context_tokens=settings.llm_context_tokens,
                       gate=ServerGate.for_url(str(url)))
