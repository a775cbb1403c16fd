"""Documents → sentence-aware chunks with exact character offsets.

Contract: for every chunk `c` of text `t`, `t[c.start:c.end] == c.text`; a chunk is at most
`max_tokens` tiktoken tokens and at most `window` word pieces of the embedding model (when a
`window_counter` is given), so the model never truncates it silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import tiktoken


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int
    end: int
    text: str


@lru_cache(maxsize=1)
def _punkt():  # type: ignore[no-untyped-def]
    import nltk.data
    from nltk.tokenize.punkt import PunktTokenizer

    from index.offline import nltk_data_dir

    # The punkt tables ship inside llama-index-core; nltk must never try to download them.
    if nltk_data_dir() not in nltk.data.path:
        nltk.data.path.insert(0, nltk_data_dir())
    return PunktTokenizer("english")


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    from index.offline import enforce_offline

    enforce_offline()
    return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


# Below this many word pieces under the window a run of sentences is taken by its summed count.
WINDOW_MARGIN = 8

_LINE = re.compile(r"[^\n]+")


def sentence_spans(text: str, offset: int = 0) -> list[Span]:
    """Sentence spans (stripped of surrounding white space); never crosses a line break."""
    spans: list[Span] = []
    tok = _punkt()
    for line in _LINE.finditer(text):
        base = line.start()
        for s, e in tok.span_tokenize(line.group()):
            seg = line.group()[s:e]
            lead = len(seg) - len(seg.lstrip())
            trail = len(seg) - len(seg.rstrip())
            if e - trail > s + lead:
                spans.append(Span(offset + base + s + lead, offset + base + e - trail))
    return spans


def _split_long(text: str, span: Span, fits: Callable[[str], bool]) -> list[Span]:
    """Split one over-long sentence at word boundaries into pieces that fit."""
    words = [m.span() for m in re.finditer(r"\S+", text[span.start : span.end])]
    pieces: list[Span] = []
    i = 0
    while i < len(words):
        j = i + 1
        while j < len(words) and fits(text[span.start + words[i][0] : span.start + words[j][1]]):
            j += 1
        pieces.append(Span(span.start + words[i][0], span.start + words[j - 1][1]))
        i = j
    return pieces


class Chunker:
    """Packs consecutive sentences into chunks; the last sentence of a chunk is repeated as the
    first of the next (one-sentence overlap) so an answer at a boundary keeps its context."""

    def __init__(
        self,
        max_tokens: int = 160,
        window_counter: Callable[[str], int] | None = None,
        window: int = 256,
        overlap: bool = True,
    ) -> None:
        self.max_tokens = max_tokens
        self.window_counter = window_counter
        self.window = window
        self.overlap = overlap

    def fits(self, text: str) -> bool:
        return self._within(text)

    def _within(self, text: str, word_pieces: int | None = None) -> bool:
        """At most `max_tokens` tiktoken tokens and, with a window counter, at most `window` word
        pieces (`word_pieces`: the count, when already known)."""
        if count_tokens(text) > self.max_tokens:
            return False
        if self.window_counter is None:
            return True
        return (self.window_counter(text) if word_pieces is None else word_pieces) <= self.window

    def _inner_pieces(self, text: str) -> int:
        """Word pieces of `text` without [CLS]/[SEP] (0 without a window counter)."""
        return self.window_counter(text) - 2 if self.window_counter else 0

    def chunk(self, text: str) -> list[Chunk]:
        # Units are sentences, or pieces of one too long for a chunk, each with its word pieces
        # without [CLS]/[SEP]. WordPiece never joins across white space, so a run of units has the
        # sum of theirs (+2): the model's tokenizer, the costly part of chunking, runs once per
        # sentence instead of once per candidate chunk, and exactly only near the window.
        units: list[Span] = []
        pieces: list[int] = []
        for span in sentence_spans(text):
            sentence = text[span.start : span.end]
            n = self._inner_pieces(sentence)
            if self._within(sentence, n + 2):
                units.append(span)
                pieces.append(n)
                continue
            for part in _split_long(text, span, self.fits):
                units.append(part)
                pieces.append(self._inner_pieces(text[part.start : part.end]))
        chunks: list[Chunk] = []
        i = 0
        while i < len(units):
            j = i + 1
            while j < len(units) and self._run_fits(text, units, pieces, i, j):
                j += 1
            start, end = units[i].start, units[j - 1].end
            chunks.append(Chunk(len(chunks), start, end, text[start:end]))
            if j >= len(units):
                break
            # Overlap by one sentence, unless the chunk was a single unit (no progress otherwise).
            i = j - 1 if self.overlap and j - 1 > i else j
        return chunks

    def _run_fits(self, text: str, units: list[Span], pieces: list[int], i: int, j: int) -> bool:
        """Units i..j (inclusive) fit in one chunk; the summed count stands in for the exact one
        unless it comes within WINDOW_MARGIN of the window."""
        total = sum(pieces[i : j + 1]) + 2
        return self._within(text[units[i].start : units[j].end],
                            total if total <= self.window - WINDOW_MARGIN else None)
