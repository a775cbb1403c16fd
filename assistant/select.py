"""candidate sentences → scored and chosen sentences.

Each candidate is scored against the question: embedding similarity (of the sentence and, for the
leading ones, of its best clause), IDF-weighted coverage of the question's words (with the sentence
before it), shared bigrams, a cue for the expected answer type and the passage's rank. The best 1–3
sentences are chosen: a second one only when it adds a value of the asked type or the question asks
across articles.

Hand-written because no library scores sentences for extractive, citation-exact answering over these
features; the pieces it builds on (embeddings, stemming) are libraries.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np

from assistant.candidates import Candidate, content
from assistant.compose import similar
from assistant.cues import answer_type, known_names, lead
from index.embeddings import Embedder

# Weights of the sentence score (see README "Answer quality"): generic, not tuned per question.
W_DENSE, W_LEX, W_BIGRAM, W_CUE, W_RANK = 0.40, 0.30, 0.10, 0.14, 0.06
# When no candidate covers at least this (IDF-weighted) share of the question's words, the lexical
# weight moves to the embedding in proportion: none covered → all of it.
LEX_EVIDENCE = 0.3
# Share of a sentence's lexical score taken from it together with the sentence before it, so
# "He said more than 20 residents…" inherits the subject named one sentence earlier.
NEIGHBOUR_SHARE = 0.3
TYPE_MISMATCH = 0.8
OUT_OF_WINDOW = 0.85
MAX_SCORED = 32
CLAUSE_LEADERS = 4  # sentences whose clauses are embedded too
SECOND_SENTENCE_RATIO = 0.92
NAME_SECOND_RATIO = 0.85
# Question words weighing at least this share of the heaviest one are "key words".
KEY_WORD_SHARE = 0.8

_TIME_WORDS = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"(?:Jan|Feb|Apr|Aug|Sept?|Oct|Nov|Dec)\b\.?|(?:19|20)\d\d|"
    r"(?:last|this|past|previous)\s+(?:year|month|week))\b"
)
_MULTI_DOC = re.compile(r"\b(every|all the|articles|compare|differ|different|various)\b", re.IGNORECASE)
_LIST = re.compile(r"\b(which|what)\s+\w+\s+(have|were|are|officials|areas|countries|people)\b|\blist\b", re.IGNORECASE)


class SentenceScorer:
    """Scores candidates for a question; holds the embedding LRU (sentences recur across questions).
    Safe to share between request threads."""

    def __init__(self, embedder: Embedder, cache_size: int = 4096) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        # Request threads share the cache: every read and write of it holds this lock (the model
        # runs outside it, so concurrent questions still embed in parallel).
        self._cache_lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of `texts`, from the LRU where present; safe to call from many threads."""
        with self._cache_lock:
            found = {t: self._cache[t] for t in dict.fromkeys(texts) if t in self._cache}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            vectors = self.embedder.embed(missing, batch_size=16)
            found.update(zip(missing, vectors, strict=True))
        with self._cache_lock:
            for t in found:
                self._cache[t] = found[t]
                self._cache.move_to_end(t)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return np.stack([found[t] for t in texts]) if texts else np.zeros((0, self.embedder.dim))

    def rank(self, question: str, query: str | None, sentences: list[Candidate],
             weight: Callable[[str], float], tokenize: Callable[[str], list[str]]) -> list[Candidate]:
        """Score `sentences` (at most MAX_SCORED of them, chosen by cheap lexical evidence) and return
        them best first. `weight` is the collection's IDF; `query` the condensed query of a follow-up."""
        qtype = answer_type(question)
        # Time expressions select articles by date (retrieval); as words they would match unrelated dates.
        topical = topical_words(question)
        q_seq = [t for t in tokenize(topical) if t in content([t])]
        q_tokens = set(q_seq)
        ctx_tokens = content(tokenize(query or "")) - q_tokens if query and query != question else set()
        # Words common among the candidate sentences (the topic: "swap", "exchange") say less about
        # which sentence answers than rarer ones ("mediated"): weight by the pool's own IDF too.
        pool_df: dict[str, int] = {}
        for sent in sentences:
            for t in sent.tokens:
                pool_df[t] = pool_df.get(t, 0) + 1
        n_pool = len(sentences)

        def weight2(t: str) -> float:
            return weight(t) * float(np.log(1 + n_pool / (1 + pool_df.get(t, 0))))

        # The question's most specific words ("mediated" rather than "swap"): an answer name should
        # stand near one of them.
        weights = {t: weight2(t) for t in q_tokens}
        top = max(weights.values(), default=0.0)
        key_words = {w[:5] for w in _WORD.findall(topical.lower())
                     if any(weights.get(t, 0.0) >= KEY_WORD_SHARE * top > 0 for t in tokenize(w))}
        # Embedding is the cost of a question: only the sentences with the most lexical evidence
        # (with their neighbour) and those of the top passages are embedded and fully scored.
        if len(sentences) > MAX_SCORED:
            def cheap(sent: Candidate) -> float:
                return sum(weight2(t) for t in q_tokens & (sent.tokens | sent.prev_tokens)) + 1.0 / (1 + sent.rank)
            sentences = sorted(sentences, key=cheap, reverse=True)[:MAX_SCORED]
        self._score(topical, query, sentences, q_seq, ctx_tokens, qtype, weight2, key_words)
        return sorted(sentences, key=lambda s: -s.score)

    def _score(self, question: str, query: str | None, sentences: list[Candidate], q_seq: list[str],
               ctx_tokens: set[str], qtype: str, weight: Callable[[str], float], key_words: set[str]) -> None:
        probes = [question] + ([query] if query and query != question else [])
        vecs = self.embed(probes + [s.text for s in sentences])
        qv = vecs[: len(probes)]
        sims = vecs[len(probes) :] @ qv.T
        q_tokens = set(q_seq)
        q_mass = sum(weight(t) for t in q_tokens) or 1.0
        c_mass = sum(weight(t) for t in ctx_tokens) or 1.0
        q_bigrams = set(pairwise(q_seq))
        names = known_names(s.text for s in sentences)
        for s in sentences:
            own = sum(weight(t) for t in q_tokens & s.tokens) / q_mass
            with_prev = sum(weight(t) for t in q_tokens & (s.tokens | s.prev_tokens)) / q_mass
            lex = (1 - NEIGHBOUR_SHARE) * own + NEIGHBOUR_SHARE * with_prev
            if ctx_tokens:
                lex = 0.8 * lex + 0.2 * sum(weight(t) for t in ctx_tokens & s.tokens) / c_mass
            s.lex = lex
            s.bigram = len(q_bigrams & set(pairwise(s.seq))) / len(q_bigrams) if q_bigrams else 0.0
            s.lead, s.cue = lead(s.text, question, qtype, names, key_words)
        # A paraphrased question ("Who helped arrange…" of "…facilitated by…") shares few words with
        # any sentence: word coverage then tells little, and its weight moves to the embedding.
        shift = W_LEX * (1 - min(1.0, max((s.lex for s in sentences), default=0.0) / LEX_EVIDENCE))
        for s, sim in zip(sentences, sims, strict=True):
            _combine(s, sim, shift)
        # News sentences pack several facts; a clause ("…acted as mediators for the exchange") is
        # compared too, and the sentence keeps its best clause's similarity. Embedding is the cost
        # of a question, so only the leading sentences' clauses are embedded: a clause can lift a
        # sentence by at most W_DENSE × (clause − sentence similarity), which decides between
        # leaders, not from the bottom of the list.
        leaders = sorted(range(len(sentences)), key=lambda i: -sentences[i].score)[:CLAUSE_LEADERS]
        clause_lists = {i: clauses(sentences[i].text) for i in leaders}
        flat = [c for i in leaders for c in clause_lists[i]]
        if flat:
            csims = self.embed(flat) @ qv.T
            pos = 0
            for i in leaders:
                n = len(clause_lists[i])
                if n:
                    _combine(sentences[i], np.maximum(sims[i], csims[pos : pos + n].max(axis=0)), shift)
                pos += n


def choose(ranked: list[Candidate], question: str) -> list[Candidate]:
    """The best sentence, plus up to two more that add a value of the asked type (or, for a question
    across articles, one per article). For a descriptive question (no typed value asked) the claim is
    quoted whole: the sentence before a best one that starts with a pronoun ("It also wants…"), and a
    sentence right after it that continues the same subject's claim."""
    qtype = answer_type(question)
    best = ranked[0]
    chosen = [best]
    multi = bool(_MULTI_DOC.search(question))
    listy = bool(_LIST.search(question))
    limit = 3
    # Several actors ("who mediated") are often named in different sentences.
    ratio = 0.6 if multi else NAME_SECOND_RATIO if qtype in ("name", "country") else SECOND_SENTENCE_RATIO
    for s in ranked[1:]:
        if len(chosen) >= limit or s.score < ratio * best.score:
            break
        if any(similar(s.text, c.text) for c in chosen):
            continue
        if multi:
            # one sentence per article, each adding a value of the asked type not yet given
            if s.cue < 0.75 or any(c.passage.doc_id == s.passage.doc_id for c in chosen):
                continue
            if s.lead and any(s.lead == c.lead for c in chosen):
                continue
            chosen.append(s)
        elif listy or (s.lead and s.lead not in {c.lead for c in chosen}):
            chosen.append(s)
            if not multi:
                break
    if qtype == "other":  # a description, not a typed value: quote the claim whole
        before, after = _neighbour(best, ranked, -1), _neighbour(best, ranked, 1)
        if before is not None and _PRONOUN_SUBJECT.match(best.text) and all(before is not c for c in chosen):
            chosen.insert(0, before)  # "It also wants…" needs the sentence naming "it"
        if after is not None and _CONTINUES.match(after.text) and len(chosen) < limit \
                and all(after is not c for c in chosen):
            chosen.append(after)
    return chosen


# A sentence whose subject is a pronoun, and one that goes on with the same subject's claim
# ("It also wants…", "He further said…").
_PRONOUN_SUBJECT = re.compile(r"^(?:It|He|She|They)\b")
_CONTINUES = re.compile(r"^(?:It|He|She|They)\s+(?:also|further|additionally)\b")


def _neighbour(best: Candidate, ranked: list[Candidate], step: int) -> Candidate | None:
    """The candidate right before (`step` −1) or after (+1) `best` in its article, if retrieved."""
    for s in ranked:
        if s.passage.doc_id != best.passage.doc_id:
            continue
        gap = s.start - best.end if step > 0 else best.start - s.end
        if 0 <= gap <= 2:
            return s
    return None


def topical_words(question: str) -> str:
    """The question without its time expressions: months, years, "last week" (they select articles by
    date and are checked against a sentence's own dates by `assistant.constraints`, not matched as
    words: "2026" in "the February 2026 swap" is in no sentence that answers it)."""
    return _TIME_WORDS.sub(" ", question)


def multi_doc(question: str) -> bool:
    """The question asks across articles ("compare", "every", "all the")."""
    return bool(_MULTI_DOC.search(question))


_WORD = re.compile(r"[a-z0-9]+")


def _combine(s: Candidate, sim: np.ndarray, shift: float = 0.0) -> None:
    """The sentence's score from its similarity to the probes (question, and the condensed query
    of a follow-up) and its already computed lexical, bigram and answer-type evidence; `shift` of
    the lexical weight moves to the embedding's (see `LEX_EVIDENCE`)."""
    s.dense = float(sim[0]) if len(sim) == 1 else float(0.7 * sim[0] + 0.3 * sim[1])
    s.score = ((W_DENSE + shift) * s.dense + (W_LEX - shift) * s.lex + W_BIGRAM * s.bigram + W_CUE * s.cue
               + W_RANK / (1 + s.rank))
    if s.cue == 0.0:  # offers nothing of the type asked for (no number for "how many")
        s.score *= TYPE_MISMATCH
    elif s.cue < 0.75:  # a value of the type, but not of the thing asked about ("two days")
        s.score *= (1 + TYPE_MISMATCH) / 2


_CLAUSE_SPLIT = re.compile(r",\s+|;\s+|\s+[—–-]\s+|:\s+")


def clauses(sentence: str, min_words: int = 5, long_sentence: int = 18) -> list[str]:
    """Clauses of a long sentence (split at commas, semicolons, dashes), short pieces merged into
    the next; [] when the sentence is short or has a single clause."""
    if len(sentence.split()) < long_sentence:
        return []
    pieces = [p for p in _CLAUSE_SPLIT.split(sentence) if p.strip()]
    merged: list[str] = []
    buf = ""
    for piece in pieces:
        buf = f"{buf}, {piece}" if buf else piece
        if len(buf.split()) >= min_words:
            merged.append(buf)
            buf = ""
    if buf:
        if merged:
            merged[-1] = f"{merged[-1]}, {buf}"
        else:
            merged.append(buf)
    return merged if len(merged) > 1 else []
