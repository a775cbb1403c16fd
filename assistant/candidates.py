"""passages → candidate sentences: each sentence of the retrieved passages with its exact offsets in
its article, its rank, the sentence before it and its content tokens.

Contract: for the article text `t` of `c.passage.doc_id`, `t[c.start:c.end] == c.text`. A sentence that
two overlapping passages share appears once (first, best-ranked passage wins).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.types import Passage
from index.chunking import sentence_spans

_WORD = re.compile(r"[a-z0-9]+")
# Question words and reporting verbs say nothing about which sentence answers.
GENERIC = {"who", "what", "which", "when", "where", "why", "how", "mani", "many", "much", "did", "say", "said",
           "articl", "article", "articles", "describ", "describe"}


def simple_tokens(text: str) -> list[str]:
    """Lower-case alphanumeric runs: the tokenizer used when no collection tokenizer is given."""
    return _WORD.findall(text.lower())


def content(tokens: list[str]) -> set[str]:
    return {t for t in tokens if t not in GENERIC and len(t) > 1}


@dataclass
class Candidate:
    """One sentence of a retrieved passage. The score fields are filled by `assistant.select`."""

    passage: Passage
    rank: int
    start: int  # offsets in the article
    end: int
    text: str
    tokens: set[str] = field(default_factory=set)
    seq: list[str] = field(default_factory=list)
    prev_tokens: set[str] = field(default_factory=set)
    prev_text: str = ""
    score: float = 0.0
    dense: float = 0.0
    lex: float = 0.0
    bigram: float = 0.0
    cue: float = 0.0
    lead: str = ""
    # Filled by the learned reader: P(the sentence contains the answer) and its predicted short-answer
    # span (character offsets inside `text`).
    p_answer: float = 0.0
    span: tuple[int, int] | None = None
    span_p: float = 0.0  # the span's probability (`assistant.reader.ReaderScore.span_p`)
    first: float = 0.0  # the first-stage score, kept when the reader's probability replaces `score`
    # Whether the sentence offers a value of the type the question asks for (`assistant.spans`);
    # True when no typed value is asked or nothing checked it.
    offers: bool = True
    # How well the sentence agrees with the periods the question names (`assistant.constraints`):
    # 1.0 agrees or cannot tell, less when it is about another period.
    period: float = 1.0


# Page furniture that scraped news text keeps: links to other stories, not sentences of this one.
_FURNITURE = re.compile(r"^\W*(?:also read|read more|read also|related|recommended|watch|see also|click here)\b\s*:?",
                        re.IGNORECASE)


def heading(text: str) -> bool:
    """A title line ("Disputes Over Civilians", "A Fragile Step in a Wider War"): at most
    HEADING_WORDS words, no closing punctuation, every word of four letters or more capitalised. It
    names a section; it states nothing a question could be answered with."""
    words = text.split()
    return (0 < len(words) <= HEADING_WORDS and text.rstrip()[-1] not in ".!?:;,”\"’')…"
            and all(w[0].isupper() or w[0].isdigit() for w in words if len(w) >= 4))


HEADING_WORDS = 12


def candidates(passages: list[Passage], tokenize: Callable[[str], list[str]]) -> list[Candidate]:
    """Every sentence (≥ 12 characters) of `passages`, in passage rank order, each once; page
    furniture ("ALSO READ: …", "Read more: …") and headings are not candidates (a heading is still
    the sentence before the next one)."""
    seen: set[tuple[str, int]] = set()
    out: list[Candidate] = []
    for rank, p in enumerate(passages):
        prev: set[str] = set()
        prev_text = ""
        for span in sentence_spans(p.text):
            start, end = p.start + span.start, p.start + span.end
            text = p.text[span.start : span.end]
            seq = [t for t in tokenize(text) if len(t) > 1]
            toks = content(seq)
            if (p.doc_id, start) not in seen and len(text) >= 12 and not _FURNITURE.match(text) \
                    and not heading(text):
                seen.add((p.doc_id, start))
                out.append(Candidate(p, rank, start, end, text, toks, seq, prev, prev_text))
            prev, prev_text = toks, text
    return out
