"""passages → Answer, extractively (no LLM, no network).

Each sentence of the retrieved passages is scored against the question: embedding similarity,
IDF-weighted coverage of the question's words, a cue for the expected answer type (who → names,
how many → numbers, when → dates, where → places) and the passage's rank. The answer is the best
1–3 sentences, quoted verbatim with their offsets, led by a short span (a name, a number, a place)
when one can be picked out. Near-identical sentences from several articles appear once, citing
every article that carries them; differing values for a how-many/when question are reported as a
disagreement with both sides cited. When the evidence is too weak, the answerer abstains.

Hand-written because no library does extractive, citation-exact answering over these features;
the pieces it builds on (sentence splitting, stemming, embeddings) are libraries.
"""

from __future__ import annotations

import calendar
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import pairwise

import numpy as np
from wordfreq import zipf_frequency

from assistant import places
from assistant.dates import DATE_SLACK_DAYS, DateWindow
from assistant.types import Answer, Citation, Passage
from index.chunking import sentence_spans
from index.embeddings import Embedder

ABSTAIN_TEXT = "I could not find the answer to this in the articles. The closest passages are listed below."

# Weights of the sentence score and the abstention thresholds, calibrated on the development set
# (see README "Answer quality"): generic, not tuned per question.
W_DENSE, W_LEX, W_BIGRAM, W_CUE, W_RANK = 0.40, 0.30, 0.10, 0.14, 0.06
# Share of a sentence's lexical score taken from it together with the sentence before it, so
# "He said more than 20 residents…" inherits the subject named one sentence earlier.
NEIGHBOUR_SHARE = 0.3
TYPE_MISMATCH = 0.8
OUT_OF_WINDOW = 0.85
MIN_CONFIDENCE = 0.36
MAX_SCORED = 40
CLAUSE_LEADERS = 8  # sentences whose clauses are embedded too
# Words rarer than this (wordfreq Zipf scale) are specific: absent from every article → abstain.
RARE_ZIPF = 3.0
# Less common words than this count for the missing-word penalty.
COMMON_ZIPF = 5.5
MISSING_WORD_PENALTY = 0.6
SECOND_SENTENCE_RATIO = 0.92
NAME_SECOND_RATIO = 0.85
# Question words weighing at least this share of the heaviest one are "key words".
KEY_WORD_SHARE = 0.8
DUPLICATE_RATIO = 0.85

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    "seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|hundreds|"
    "thousand|thousands|million|millions|dozen|dozens"
)
_NUMBER = re.compile(rf"\b(?:\d[\d,.]*\d|\d|(?:{_NUMBER_WORDS}))\b", re.IGNORECASE)
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:,\s*\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?|{_MONTH}\s+\d{{4}}|"
    r"(?:19|20)\d\d|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|"
    r"(?:last|next|this)\s+(?:week|month|year)|\d+\s+(?:days?|weeks?|months?|years?)\s+ago)\b"
)
# A capitalized run (names, organisations, countries, places), allowing inner "of"/"the"/"and"-less joins.
_NAME = re.compile(r"\b(?:[A-Z][\w'’.-]*[A-Za-z]|U\.S\.|UAE|US)(?:\s+(?:of\s+|the\s+)?(?:[A-Z][\w'’.-]*[A-Za-z]|U\.S\.))*")
_NAME_STOP = {"The", "A", "An", "In", "On", "At", "It", "He", "She", "They", "This", "That", "These", "Those",
              "But", "And", "However", "Despite", "As", "For", "With", "While", "Although", "After", "Before",
              "Meanwhile", "His", "Her", "Their", "Its", "We", "I", "If", "When", "Two", "Three", "Today"}
_TIME_WORDS = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"(?:last|this|past|previous)\s+(?:year|month|week))\b"
)
_MULTI_DOC = re.compile(r"\b(every|all the|articles|compare|differ|different|various)\b", re.IGNORECASE)
_LIST = re.compile(r"\b(which|what)\s+\w+\s+(have|were|are|officials|areas|countries|people)\b|\blist\b", re.IGNORECASE)


def answer_type(question: str) -> str:
    q = question.lower()
    if re.search(r"\bhow (many|much)\b|\bwhat (number|percentage|share)\b|\bhow (long|old|far)\b", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (date|day|year|month|time)\b|\bsince when\b", q):
        return "date"
    # "which city", "which Russian region": one optional adjective may stand between
    if re.search(r"\b(which|what) (\w+ )?(city|cities|town|capital)\b", q):
        return "city"
    if re.search(r"\b(which|what) (\w+ )?(country|countries|nation|nations|state)\b", q):
        return "country"
    if re.search(r"\bwhere\b|\b(which|what) (\w+ )?(region|regions|province|place|places|area|areas|territory)\b", q):
        return "place"
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich (country|countries|organi[sz]ation|official|officials|"
                 r"negotiator|person|people|leader|minister|group|nation)\b", q):
        return "name"
    return "other"


@dataclass
class _Sentence:
    passage: Passage
    rank: int
    start: int  # offsets in the article
    end: int
    text: str
    tokens: set[str] = field(default_factory=set)
    seq: list[str] = field(default_factory=list)
    prev_tokens: set[str] = field(default_factory=set)
    score: float = 0.0
    dense: float = 0.0
    lex: float = 0.0
    bigram: float = 0.0
    cue: float = 0.0
    lead: str = ""


class ExtractiveAnswerer:
    def __init__(self, embedder: Embedder, cache_size: int = 4096) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        # Request threads share the cache: every read and write of it holds this lock (the model
        # runs outside it, so concurrent questions still embed in parallel).
        self._cache_lock = threading.Lock()

    # -- embeddings with a small LRU (sentences recur across questions) -----------------------
    def _embed(self, texts: Sequence[str]) -> np.ndarray:
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

    # -- main --------------------------------------------------------------------------------
    def answer(self, question: str, passages: list[Passage], query: str | None = None,
               idf: Callable[[str], float] | None = None,
               tokens: Callable[[str], list[str]] | None = None,
               in_corpus: Callable[[str], bool] | None = None, window: DateWindow | None = None) -> Answer:
        """Answer `question` from `passages` (ranked). `query` is the condensed retrieval query of a
        follow-up; `idf`/`tokens`/`in_corpus` are the collection's statistics and tokenizer (the
        retriever's); `window` the publication period the question names. Every citation's quote is
        `article[start:end]`; an abstention has no citations."""
        tokenize = tokens or _simple_tokens
        weight = idf or (lambda _t: 1.0)
        sentences = self._sentences(passages, tokenize)
        if not sentences:
            return Answer(question=question, answer=ABSTAIN_TEXT, abstained=True)
        qtype = answer_type(question)
        # Time expressions select articles by date (retrieval); as words they would match unrelated dates.
        topical = _TIME_WORDS.sub(" ", question)
        q_seq = [t for t in tokenize(topical) if t in _content([t])]
        q_tokens = set(q_seq)
        ctx_tokens = _content(tokenize(query or "")) - q_tokens if query and query != question else set()
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
            def cheap(sent: _Sentence) -> float:
                return sum(weight2(t) for t in q_tokens & (sent.tokens | sent.prev_tokens)) + 1.0 / (1 + sent.rank)
            sentences = sorted(sentences, key=cheap, reverse=True)[:MAX_SCORED]
        self._score(topical, query, sentences, q_seq, ctx_tokens, qtype, weight2, tokenize, key_words)
        if window is not None:  # "the August exchange": prefer articles published then
            for sent in sentences:
                if not window.contains(sent.passage.date, DATE_SLACK_DAYS):
                    sent.score *= OUT_OF_WINDOW
        sentences.sort(key=lambda s: -s.score)
        best = sentences[0]
        confidence = best.score
        if in_corpus is not None:
            if self.unknown_terms(topical, in_corpus, tokenize):
                confidence = 0.0
            else:
                confidence *= 1 - MISSING_WORD_PENALTY * _missing_share(topical, in_corpus, tokenize)
        if confidence < MIN_CONFIDENCE:
            return Answer(question=question, answer=ABSTAIN_TEXT, abstained=True)
        chosen = self._choose(sentences, question, qtype)
        return self._compose(question, chosen, sentences, qtype)

    def unknown_terms(self, question: str, in_corpus: Callable[[str], bool],
                      tokenize: Callable[[str], list[str]]) -> list[str]:
        """Specific terms of the question that no article contains: names (capitalized inside the
        question), numbers, and rare words (wordfreq Zipf < RARE_ZIPF). Any such term means the
        articles are about something else."""
        unknown: list[str] = []
        words = re.findall(r"[A-Za-z_][\w'’-]*|\d[\d,.]*", question)
        for i, word in enumerate(words):
            toks = [t for t in tokenize(word) if t not in _GENERIC]
            if not toks or all(in_corpus(t) for t in toks):
                continue
            named = word[0].isupper() and i > 0 and not _demonym_of_known_place(word, in_corpus, tokenize)
            number = word[0].isdigit()
            rare = word[0].isalpha() and zipf_frequency(word.lower(), "en") < RARE_ZIPF
            if named or number or rare:
                unknown.append(word)
        return unknown

    def _sentences(self, passages: list[Passage], tokenize: Callable[[str], list[str]]) -> list[_Sentence]:
        seen: set[tuple[str, int]] = set()
        out: list[_Sentence] = []
        for rank, p in enumerate(passages):
            prev: set[str] = set()
            for span in sentence_spans(p.text):
                start, end = p.start + span.start, p.start + span.end
                text = p.text[span.start : span.end]
                seq = [t for t in tokenize(text) if len(t) > 1]
                toks = _content(seq)
                if (p.doc_id, start) not in seen and len(text) >= 12:
                    seen.add((p.doc_id, start))
                    out.append(_Sentence(p, rank, start, end, text, toks, seq, prev))
                prev = toks
        return out

    def _score(self, question: str, query: str | None, sentences: list[_Sentence], q_seq: list[str],
               ctx_tokens: set[str], qtype: str, weight: Callable[[str], float],
               tokenize: Callable[[str], list[str]], key_words: set[str]) -> None:
        probes = [question] + ([query] if query and query != question else [])
        vecs = self._embed(probes + [s.text for s in sentences])
        qv = vecs[: len(probes)]
        sims = vecs[len(probes) :] @ qv.T
        q_tokens = set(q_seq)
        q_mass = sum(weight(t) for t in q_tokens) or 1.0
        c_mass = sum(weight(t) for t in ctx_tokens) or 1.0
        q_bigrams = set(pairwise(q_seq))
        known_names = _mid_sentence_names(s.text for s in sentences)
        for s, sim in zip(sentences, sims, strict=True):
            own = sum(weight(t) for t in q_tokens & s.tokens) / q_mass
            with_prev = sum(weight(t) for t in q_tokens & (s.tokens | s.prev_tokens)) / q_mass
            lex = (1 - NEIGHBOUR_SHARE) * own + NEIGHBOUR_SHARE * with_prev
            if ctx_tokens:
                lex = 0.8 * lex + 0.2 * sum(weight(t) for t in ctx_tokens & s.tokens) / c_mass
            s.lex = lex
            s.bigram = len(q_bigrams & set(pairwise(s.seq))) / len(q_bigrams) if q_bigrams else 0.0
            s.lead, s.cue = _lead(s.text, question, qtype, known_names, key_words)
            _combine(s, sim)
        # News sentences pack several facts; a clause ("…acted as mediators for the exchange") is
        # compared too, and the sentence keeps its best clause's similarity. Embedding is the cost
        # of a question, so only the leading sentences' clauses are embedded: a clause can lift a
        # sentence by at most W_DENSE × (clause − sentence similarity), which decides between
        # leaders, not from the bottom of the list.
        leaders = sorted(range(len(sentences)), key=lambda i: -sentences[i].score)[:CLAUSE_LEADERS]
        clause_lists = {i: _clauses(sentences[i].text) for i in leaders}
        flat = [c for i in leaders for c in clause_lists[i]]
        if flat:
            csims = self._embed(flat) @ qv.T
            pos = 0
            for i in leaders:
                n = len(clause_lists[i])
                if n:
                    _combine(sentences[i], np.maximum(sims[i], csims[pos : pos + n].max(axis=0)))
                pos += n

    def _choose(self, ranked: list[_Sentence], question: str, qtype: str) -> list[_Sentence]:
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
            if any(_similar(s.text, c.text) for c in chosen):
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
        return chosen

    def _compose(self, question: str, chosen: list[_Sentence], pool: list[_Sentence], qtype: str) -> Answer:
        citations: list[Citation] = []
        parts: list[str] = []
        for s in chosen:
            n = len(citations) + 1
            citations.append(_cite(n, s))
            markers = [n]
            for other in pool:  # syndicated copies in other articles
                if other.passage.doc_id != s.passage.doc_id and other not in chosen and _similar(other.text, s.text) \
                        and all(c.doc_id != other.passage.doc_id for c in citations[n - 1 :]):
                    m = len(citations) + 1
                    citations.append(_cite(m, other, duplicate_of=n))
                    markers.append(m)
            parts.append(f"{s.text} {''.join(f'[{m}]' for m in markers)}")
        leads = list(dict.fromkeys(s.lead for s in chosen if s.lead))
        if _disagree(chosen, qtype) and not _MULTI_DOC.search(question):
            a, b = chosen[0], chosen[1]
            head = (f"The articles disagree: {a.passage.source or a.passage.file_name} gives **{a.lead}** [1], "
                    f"{b.passage.source or b.passage.file_name} gives **{b.lead}** [{_first_marker(b, citations)}].\n\n")
        elif leads:
            head = f"**{leads[0] if len(chosen) == 1 or not _MULTI_DOC.search(question) else '; '.join(leads)}** — "
        else:
            head = ""
        body = "\n\n".join(parts)
        return Answer(question=question, answer=(head + body).strip(), abstained=False, citations=citations,
                      mode="extractive")


def _demonym_of_known_place(word: str, in_corpus: Callable[[str], bool],
                            tokenize: Callable[[str], list[str]]) -> bool:
    """"Italian" when the articles say "Italy", "Russian" for "Russia", "Chinese" for "China"."""
    m = re.fullmatch(r"([A-Z][a-z]+?)(ian|ean|an|ese|ish|i|n)", word)
    if not m:
        return False
    stem = m.group(1)
    return any(all(in_corpus(t) for t in tokenize(stem + end)) and tokenize(stem + end)
               for end in ("", "y", "e", "a", "ia"))


def _missing_share(question: str, in_corpus: Callable[[str], bool], tokenize: Callable[[str], list[str]]) -> float:
    """Share of the question's less common content words ("population", "cost") that no article
    contains; very common words ("take", "next") say nothing about the topic and are not counted."""
    # lower-case words only: names are judged by `unknown_terms`
    words = [w for w in re.findall(r"\b[a-z][a-z'’-]+", question) if zipf_frequency(w, "en") < COMMON_ZIPF]
    content = [w for w in words if [t for t in tokenize(w) if t not in _GENERIC]]
    if not content:
        return 0.0
    missing = [w for w in content if not all(in_corpus(t) for t in tokenize(w) if t not in _GENERIC)]
    return len(missing) / len(content)


def _disagree(chosen: list[_Sentence], qtype: str) -> bool:
    """Two articles give different values for the same thing: both sentences offer a value of the
    asked type, come from different articles and say largely the same (shared words)."""
    if qtype not in ("number", "date") or len(chosen) < 2:
        return False
    a, b = chosen[0], chosen[1]
    if a.passage.doc_id == b.passage.doc_id or a.cue < 0.75 or b.cue < 0.75 or not a.lead or not b.lead:
        return False
    if a.lead.lower() == b.lead.lower():
        return False
    shared = len(a.tokens & b.tokens) / max(1, len(a.tokens | b.tokens))
    return shared >= 0.35


def _first_marker(s: _Sentence, citations: list[Citation]) -> int:
    return next(c.n for c in citations if c.doc_id == s.passage.doc_id and c.start == s.start)


def _cite(n: int, s: _Sentence, duplicate_of: int | None = None) -> Citation:
    p = s.passage
    return Citation(n=n, doc_id=p.doc_id, file_name=p.file_name, title=p.title, date=p.date, source=p.source,
                    url=p.url, quote=s.text, start=s.start, end=s.end, score=round(s.score, 4),
                    duplicate_of=duplicate_of)


def _similar(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 0.3 * max(len(a), len(b)):
        return False
    return SequenceMatcher(None, a.lower(), b.lower(), autojunk=False).ratio() >= DUPLICATE_RATIO


_WORD = re.compile(r"[a-z0-9]+")
_GENERIC = {"who", "what", "which", "when", "where", "why", "how", "mani", "many", "much", "did", "say", "said",
            "articl", "article", "articles", "describ", "describe"}


def _simple_tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _content(tokens: list[str]) -> set[str]:
    return {t for t in tokens if t not in _GENERIC and len(t) > 1}


def _combine(s: _Sentence, sim: np.ndarray) -> None:
    """The sentence's score from its similarity to the probes (question, and the condensed query
    of a follow-up) and its already computed lexical, bigram and answer-type evidence."""
    s.dense = float(sim[0]) if len(sim) == 1 else float(0.7 * sim[0] + 0.3 * sim[1])
    s.score = (W_DENSE * s.dense + W_LEX * s.lex + W_BIGRAM * s.bigram + W_CUE * s.cue
               + W_RANK / (1 + s.rank))
    if s.cue == 0.0:  # offers nothing of the type asked for (no number for "how many")
        s.score *= TYPE_MISMATCH
    elif s.cue < 0.75:  # a value of the type, but not of the thing asked about ("two days")
        s.score *= (1 + TYPE_MISMATCH) / 2


_CLAUSE_SPLIT = re.compile(r",\s+|;\s+|\s+[—–-]\s+|:\s+")


def _clauses(sentence: str, min_words: int = 5, long_sentence: int = 18) -> list[str]:
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


def _mid_sentence_names(texts: Iterable[str]) -> set[str]:
    """Capitalized words seen inside sentences: these are names, not sentence-initial words."""
    names: set[str] = set()
    for text in texts:
        for m in re.finditer(r"(?<=[\w,;:] )([A-Z][\w-]*)", text):
            names.add(m.group(1))
    return names


def _stem_words(text: str) -> set[str]:
    return {w[:5] for w in _WORD.findall(_APOSTROPHE.sub("", text.lower()))}


# Nouns that count people: "how many people" is answered by "390 individuals" or "157 soldiers".
_PEOPLE = {w[:5] for w in ["people", "persons", "individuals", "prisoners", "soldiers", "civilians", "servicemen", "troops", "residents", "citizens", "captives", "detainees", "hostages", "workers", "children", "families", "victims", "refugees", "members", "officials", "personnel", "men", "women", "patients", "students", "voters", "fighters", "ukrainians", "russians"]}
_APOSTROPHE = re.compile(r"['’]s\b")
_NOT_NAMES = (_NAME_STOP | {m for m in calendar.month_name if m} | {m for m in calendar.month_abbr if m}
              | {d for d in calendar.day_name} | {"Sept"})


def _near_key(sentence: str, start: int, end: int, key_words: set[str], span: int = 8) -> bool:
    before = _WORD.findall(sentence[:start].lower())[-span:]
    inside = _WORD.findall(sentence[start:end].lower())
    after = _WORD.findall(sentence[end:].lower())[:span]
    return any(w[:5] in key_words for w in before + inside + after)


def _lead(sentence: str, question: str, qtype: str, known_names: set[str],
          key_words: frozenset[str] | set[str] = frozenset()) -> tuple[str, float]:
    """A short answer span of the expected type that the question does not already contain, and a
    cue in [0, 1] for how well the sentence offers that type (1 for questions of no particular type)."""
    qlow = question.lower()
    if qtype == "number":
        qwords = set(_WORD.findall(qlow)) - {"the", "a", "an", "of", "in", "to", "and", "did", "were", "was"}
        qstems = _stem_words(question)
        best, best_overlap, best_key = "", -1, -1.0
        for m in _NUMBER.finditer(sentence):
            value = m.group(0)
            if value.lower() in qwords or re.fullmatch(r"(19|20)\d\d", value):
                continue
            if re.search(rf"{_MONTH}\s*$", sentence[max(0, m.start() - 12) : m.start()]):
                continue  # the day of a date
            following = sentence[m.end() :].split()
            if value.isalpha() and following[:1] == ["of"]:
                continue  # "one of the…" is not a count
            # The words around a count say what it counts: "157 prisoners from each country".
            unit = " ".join(following[:3])
            ustems = _stem_words(unit)
            direct = len(ustems & qstems)
            overlap = direct + (1 if ustems & _PEOPLE and qstems & _PEOPLE else 0)
            overlap += len(set(_WORD.findall(" ".join(following[3:6]).lower())) & qwords) if overlap else 0
            # the counted noun itself ("120 civilians") beats a related one ("390 individuals")
            key = overlap + 0.5 * direct
            if key > best_key:
                best, best_overlap, best_key = value, overlap, key
        if not best:
            return "", 0.0
        return best, min(1.0, 0.5 + 0.25 * best_overlap)
    if qtype == "date":
        for m in _DATE.finditer(sentence):
            if m.group(0).lower() not in qlow:
                return m.group(0), 1.0
        return "", 0.0
    if qtype in ("name", "place", "city", "country"):
        qstems = _stem_words(question)
        names: list[tuple[int, int, int, str]] = []
        for m in _NAME.finditer(sentence):
            # "US-mediated" → "US": a lower-case part after a hyphen is not part of the name
            raw = re.sub(r"-[a-z][\w-]*$", "", m.group(0).strip(" ."))
            words = [_APOSTROPHE.sub("", w) for w in raw.split()]
            while words and words[0] in _NOT_NAMES:
                words = words[1:]
            while words and words[-1] in _NOT_NAMES:
                words = words[:-1]
            if not words:
                continue
            if len(words) == 1 and m.start() == 0 and words[0] not in known_names:
                continue  # a capitalized first word, not a name
            if all(w.lower()[:5] in qstems for w in words):
                continue
            if qtype == "name" and len(words) == 1 and re.fullmatch(r"[A-Z][a-z]+(?:ian|ean|ese|ish|ic)", words[0]) \
                    and not places.is_country(words[0]):
                continue  # a demonym or adjective ("Ukrainian"), not an actor
            name = " ".join(words)
            if qtype == "city" and not places.is_city(name):
                continue
            if qtype == "country" and not places.is_country(name):
                continue
            if qtype == "place" and not (places.is_place(name) or re.search(
                    rf"\b(in|at|to|from|near|across|with)\s+(the\s+)?{re.escape(words[0])}", sentence)):
                continue
            near = _near_key(sentence, m.start(), m.end(), set(key_words)) \
                if key_words and qtype in ("name", "country") else True
            by_agent = sentence[max(0, m.start() - 8) : m.start()].rstrip().endswith(("by", "by the"))
            names.append((0 if near else 1, 0 if by_agent else 1, len(names), name))
        if not names:
            return "", 0.0
        ordered = list(dict.fromkeys(n for *_, n in sorted(names)))
        cue = 1.0 if min(n[0] for n in names) == 0 or qtype != "name" else 0.6
        return " and ".join(ordered[:2]), cue
    return "", 1.0
