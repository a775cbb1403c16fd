"""passages → Answer, extractively (no LLM, no network): the read path after retrieval.

    passages ─► candidates ─► select (first stage: embedding + lexical features, top READER_POOL)
             ─► reader (learned: P(sentence answers), short-answer span) × question constraints
             ─► abstain? ─► short answer (typed spans; the reader's span for untyped questions)
             ─► compose (citations)

`ExtractiveAnswerer` wires the steps; each lives in its own module named after its arrow. Without a
reader (unit tests with a fake embedder) the first-stage score decides and the regex cues lead, as
before the reader existed. Near-identical sentences from several articles appear once, citing every
article that carries them; differing values for a how-many/when question are reported as a
disagreement with both sides cited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from assistant import abstain
from assistant.abstain import ABSTAIN_TEXT, FEATURES
from assistant.candidates import Candidate, candidates, simple_tokens
from assistant.combine import Combiner
from assistant.compose import compose
from assistant.constraints import OUTSIDE_PERIOD, Periods, names_month_of
from assistant.cues import answer_type as cue_type
from assistant.dates import DATE_SLACK_DAYS, DateWindow
from assistant.select import OUT_OF_WINDOW, SentenceScorer, choose, multi_doc, topical_words
from assistant.spans import (
    TypedSpan,
    asks_value,
    expected_labels,
    learned_lead,
    offers_value,
    short_answer,
    value_required,
)
from assistant.types import Answer, Passage
from index.embeddings import Embedder

# Sentences the learned reader reads per question (the first stage's best): its cost grows linearly.
READER_POOL = 24
# The leading sentences checked for a value of the asked type ("How many…?" → a count), the factor
# on the score of one that offers none (it echoes the question rather than answering it), and the
# most sentences tagged per question.
VALUE_POOL = 6
NO_VALUE = 0.6
MAX_VALUE_CHECKS = 18


class ReaderLike(Protocol):
    """What the answerer needs of `assistant.reader.Reader`."""

    @property
    def answer_threshold(self) -> float: ...

    @property
    def span_threshold(self) -> float: ...

    def score(self, question: str, items: Sequence[tuple[str, str]]) -> Sequence[Any]: ...


class SpansLike(Protocol):
    """What the answerer needs of `assistant.spans.SpanExtractor`."""

    def spans(self, texts: Sequence[str]) -> list[list[TypedSpan]]: ...


class ExtractiveAnswerer:
    """Answers from retrieved passages; safe to share between request threads."""

    def __init__(self, embedder: Embedder, reader: ReaderLike | None = None, spans: SpansLike | None = None,
                 combiner: Combiner | None = None, answerability: abstain.Answerability | None = None,
                 cache_size: int = 4096, span_reader: ReaderLike | None = None) -> None:
        """`reader` scores the answer sentences (None: the first stage decides); `span_reader` (the
        same model or None, whether or not it scores) proposes the short answer of a question no
        typed span can answer."""
        self.embedder = embedder
        self.answerability = answerability
        self.reader = reader
        self.span_reader = span_reader
        self.spans = spans
        self.combiner = combiner
        self.scorer = SentenceScorer(embedder, cache_size=cache_size)

    def answer(self, question: str, passages: list[Passage], query: str | None = None,
               idf: Callable[[str], float] | None = None,
               tokens: Callable[[str], list[str]] | None = None,
               in_corpus: Callable[[str], bool] | None = None, window: DateWindow | None = None,
               answer_type: str | None = None) -> Answer:
        """Answer `question` from `passages` (ranked). `query` is the condensed retrieval query of a
        follow-up; `idf`/`tokens`/`in_corpus` are the collection's statistics and tokenizer (the
        retriever's); `window` the publication period the question names; `answer_type` the kind
        of value asked for (question analysis; guessed from the wording when None). Every
        citation's quote is `article[start:end]`; an abstention has no citations."""
        qtype = answer_type or cue_type(question)
        ranked = self.rank(question, passages, query, idf, tokens, window, qtype)
        if not ranked or self.abstains(question, ranked, tokens or simple_tokens, in_corpus):
            return _abstention(question)
        chosen = choose(ranked, question)
        self.lead_with_spans(question, chosen, qtype)
        return compose(question, chosen, ranked, cue_type(question), multi=multi_doc(question))

    def rank(self, question: str, passages: list[Passage], query: str | None = None,
             idf: Callable[[str], float] | None = None, tokens: Callable[[str], list[str]] | None = None,
             window: DateWindow | None = None, qtype: str | None = None) -> list[Candidate]:
        """The candidate sentences of `passages`, best first: the first stage, then (when loaded) the
        reader on its best READER_POOL, times the question's constraints (years and months it names,
        the publication window), with the leading sentences that offer no value of the asked type
        demoted. [] when the passages have no sentence."""
        tokenize = tokens or simple_tokens
        sentences = candidates(passages, tokenize)
        if not sentences:
            return []
        ranked = self.scorer.rank(question, query, sentences, idf or (lambda _t: 1.0), tokenize)
        if self.reader is None:
            _constrain(question, ranked)
            _prefer_window(ranked, window)
        else:
            tail = ranked[READER_POOL:]
            for s in tail:  # not read: no probability to compare with the pool's
                s.score = 0.0
            ranked = self.read(question, ranked[:READER_POOL], window) + tail
        self.demand_value(question, qtype or cue_type(question), ranked)
        return ranked

    def abstains(self, question: str, ranked: list[Candidate], tokenize: Callable[[str], list[str]],
                 in_corpus: Callable[[str], bool] | None) -> bool:
        """Whether to abstain rather than answer from `ranked` (best first). With the reader: its
        (combined) probability under the fitted threshold, or a name/number no article contains.
        Without it: the rules of `assistant.abstain.Evidence` (an unknown term, no value of the asked
        type, off topic, off period); else the fitted answerability model when loaded, or the
        hand-set confidence rule (unit tests with a fake embedder)."""
        topical = topical_words(question)
        if self.reader is not None:
            return ranked[0].score < self.threshold or (in_corpus is not None and bool(
                abstain.unknown_terms(topical, in_corpus, tokenize, rare_words=False)))
        e = abstain.evidence(topical, ranked, tokenize, in_corpus, typed=self.spans is not None)
        if e.ruled_out:
            return True
        if self.answerability is not None:
            return not self.answerability.answers(e.features)
        missing = e.features[FEATURES.index("missing_share")]
        return ranked[0].score * (1 - abstain.MISSING_WORD_PENALTY * missing) < abstain.MIN_CONFIDENCE

    def read(self, question: str, pool: list[Candidate], window: DateWindow | None) -> list[Candidate]:
        """Score `pool` with the learned reader (weighed with the first-stage features by the combiner
        when there is one), times the question's constraints (years it names, the publication window
        it names); best first."""
        assert self.reader is not None
        results = self.reader.score(question, [(s.prev_text, s.text) for s in pool])
        for s, r in zip(pool, results, strict=True):
            s.p_answer, s.span, s.span_p, s.first = float(r.p_answer), r.span, float(r.span_p), s.score
        for s in pool:
            s.score = self.combiner.probability(s) if self.combiner is not None else s.p_answer
        _constrain(question, pool)
        _prefer_window(pool, window)
        return pool

    def demand_value(self, question: str, qtype: str, ranked: list[Candidate]) -> None:
        """A question asking for a checkable value (a count, an amount, a share, a date, a weekday:
        `assistant.spans.asks_value`): the leading sentences that offer none score NO_VALUE times less
        (re-sorts `ranked`; `Candidate.offers` False only when the value is required), until the VALUE_POOL
        leaders have all been checked (at most MAX_VALUE_CHECKS sentences are tagged). Without the
        span extractor, nothing changes (the regex cues of the first stage play this part)."""
        if self.spans is None or not ranked or not asks_value(qtype, question):
            return
        required = value_required(qtype, question)
        checked: set[int] = set()
        while len(checked) < MAX_VALUE_CHECKS:
            todo = [s for s in ranked[:VALUE_POOL] if id(s) not in checked][: MAX_VALUE_CHECKS - len(checked)]
            if not todo:
                break
            for s, spans in zip(todo, self.spans.spans([s.text for s in todo]), strict=True):
                checked.add(id(s))
                offered = offers_value(qtype, question, spans, s.text)
                if not offered:
                    s.score *= NO_VALUE
                s.offers = offered or not required
            ranked.sort(key=lambda s: -s.score)

    @property
    def threshold(self) -> float:
        """Abstain when the best sentence's probability is below this (fitted on calibration data)."""
        if self.combiner is not None:
            return self.combiner.threshold
        return self.reader.answer_threshold if self.reader is not None else 0.0

    def lead_with_spans(self, question: str, chosen: list[Candidate], qtype: str) -> None:
        """Replace the regex leads of `chosen` by typed short answers (None → no lead): a missing
        short answer is better than a wrong one. A question that asks for no typed value ("What was
        the engine made of?") leads with the learned reader's span where it is as sure as its
        calibrated span threshold (`spans.learned_lead`)."""
        if self.spans is None:
            return
        tagged = self.spans.spans([s.text for s in chosen])
        for s, spans in zip(chosen, tagged, strict=True):
            best = short_answer(qtype, question, s.text, spans, hint=s.span, article_date=s.passage.date or None)
            s.lead = best.text if best is not None else ""
        if self.span_reader is None or expected_labels(qtype) or asks_value(qtype, question):
            return
        unread = [s for s in chosen if not s.lead and s.span is None]
        for s, r in zip(unread, self.span_reader.score(question, [(s.prev_text, s.text) for s in unread]),
                        strict=True):
            s.span, s.span_p = r.span, float(r.span_p)
        for s in chosen:
            if not s.lead and s.span is not None:
                s.lead = learned_lead(question, s.text, s.span, s.span_p, self.span_reader.span_threshold) or ""


def _constrain(question: str, ranked: list[Candidate]) -> None:
    """Years and months with years that the question names (`assistant.constraints`): a sentence
    about another period scores less or nothing."""
    periods = Periods.of(question)  # parsed once a question; most name none
    if not periods:
        return
    for s in ranked:
        s.period = periods.agreement(s.text, s.passage.date).factor
        s.score *= s.period


def _prefer_window(ranked: list[Candidate], window: DateWindow | None) -> None:
    """"The August exchange": sentences of articles published then first (re-sorts `ranked`). For a
    period the question asks about ("in"), a sentence of an article from another time that does not
    name a month of the period itself is about another period (`Candidate.period`)."""
    if window is not None:
        for sent in ranked:
            if not window.contains(sent.passage.date, DATE_SLACK_DAYS):
                sent.score *= OUT_OF_WINDOW
                if window.relation == "in" and not names_month_of(window.start, window.end, sent.text, sent.passage.date):
                    # about another period: it could not be the answer (`abstain.Evidence.off_period`),
                    # so it must not hide a sentence of the period that is
                    sent.score *= OUTSIDE_PERIOD / max(sent.period, OUTSIDE_PERIOD)
                    sent.period = min(sent.period, OUTSIDE_PERIOD)
    ranked.sort(key=lambda s: -s.score)


def _abstention(question: str) -> Answer:
    return Answer(question=question, answer=ABSTAIN_TEXT, abstained=True)
