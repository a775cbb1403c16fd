"""passages → Answer, extractively (no LLM, no network): the read path after retrieval.

    passages ─► candidates (sentences with offsets) ─► select (score, choose) ─► abstain? ─► compose

`ExtractiveAnswerer` wires the steps; each lives in its own module named after its arrow. Near-identical
sentences from several articles appear once, citing every article that carries them; differing
values for a how-many/when question are reported as a disagreement with both sides cited. When the
evidence is too weak, the answerer abstains.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant import abstain
from assistant.abstain import ABSTAIN_TEXT
from assistant.candidates import candidates, simple_tokens
from assistant.compose import compose
from assistant.cues import answer_type
from assistant.dates import DATE_SLACK_DAYS, DateWindow
from assistant.select import OUT_OF_WINDOW, SentenceScorer, choose, multi_doc, topical_words
from assistant.types import Answer, Passage
from index.embeddings import Embedder


class ExtractiveAnswerer:
    """Answers from retrieved passages; safe to share between request threads."""

    def __init__(self, embedder: Embedder, cache_size: int = 4096) -> None:
        self.embedder = embedder
        self.scorer = SentenceScorer(embedder, cache_size=cache_size)

    def answer(self, question: str, passages: list[Passage], query: str | None = None,
               idf: Callable[[str], float] | None = None,
               tokens: Callable[[str], list[str]] | None = None,
               in_corpus: Callable[[str], bool] | None = None, window: DateWindow | None = None) -> Answer:
        """Answer `question` from `passages` (ranked). `query` is the condensed retrieval query of a
        follow-up; `idf`/`tokens`/`in_corpus` are the collection's statistics and tokenizer (the
        retriever's); `window` the publication period the question names. Every citation's quote is
        `article[start:end]`; an abstention has no citations."""
        tokenize = tokens or simple_tokens
        sentences = candidates(passages, tokenize)
        if not sentences:
            return Answer(question=question, answer=ABSTAIN_TEXT, abstained=True)
        ranked = self.scorer.rank(question, query, sentences, idf or (lambda _t: 1.0), tokenize)
        if window is not None:  # "the August exchange": prefer articles published then
            for sent in ranked:
                if not window.contains(sent.passage.date, DATE_SLACK_DAYS):
                    sent.score *= OUT_OF_WINDOW
            ranked.sort(key=lambda s: -s.score)
        confidence = ranked[0].score
        if in_corpus is not None:
            topical = topical_words(question)
            if abstain.unknown_terms(topical, in_corpus, tokenize):
                confidence = 0.0
            else:
                confidence *= 1 - abstain.MISSING_WORD_PENALTY * abstain.missing_share(topical, in_corpus, tokenize)
        if confidence < abstain.MIN_CONFIDENCE:
            return Answer(question=question, answer=ABSTAIN_TEXT, abstained=True)
        chosen = choose(ranked, question)
        return compose(question, chosen, ranked, answer_type(question), multi=multi_doc(question))
