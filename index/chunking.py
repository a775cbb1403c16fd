"""Documents → sentence-aware chunks with exact character offsets.

Contract: for every chunk `c` of text `t`, `t[c.start:c.end] == c.text`; a chunk is at most
`max_tokens` tiktoken tokens, at most `max_chars` characters, and at most `window` word pieces of
the embedding model (when a `window_counter` is given), so the model never truncates it silently.
The character cap also bounds the work per piece: a word-piece count is no measure of a run of
characters without spaces (a 1 MB "word" is a single [UNK]), and tiktoken's cost grows with the
square of such a run's length, so over-long runs are cut by characters before anything counts them.
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
# Far above what 160 tokens of prose take (about 700 characters), so only runs without spaces,
# long URLs and the like ever meet it.
MAX_CHARS = 2000

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


def _split_long(text: str, span: Span, fits: Callable[[str], bool], max_chars: int) -> list[Span]:
    """Split one over-long sentence at word boundaries into pieces that fit; a single word that
    does not fit alone is cut by characters (see `_split_word`)."""
    words: list[tuple[int, int]] = []
    for m in re.finditer(r"\S+", text[span.start : span.end]):
        words.extend(_split_word(text, span.start + m.start(), span.start + m.end(), fits, max_chars))
    pieces: list[Span] = []
    i = 0
    while i < len(words):
        j = i + 1
        while j < len(words) and fits(text[words[i][0] : words[j][1]]):
            j += 1
        pieces.append(Span(words[i][0], words[j - 1][1]))
        i = j
    return pieces


def _split_word(text: str, start: int, end: int, fits: Callable[[str], bool], max_chars: int) -> list[tuple[int, int]]:
    """`text[start:end]` (no white space) as consecutive pieces that fit: cut into `max_chars`
    pieces first (nothing longer is ever counted), then any piece that still does not fit is
    halved until it does (or is one character)."""
    if end - start <= max_chars and fits(text[start:end]):
        return [(start, end)]
    todo = [(s, min(s + max_chars, end)) for s in range(start, end, max_chars)]
    todo.reverse()
    out: list[tuple[int, int]] = []
    while todo:
        s, e = todo.pop()
        if e - s <= 1 or fits(text[s:e]):
            out.append((s, e))
        else:
            mid = (s + e) // 2
            todo.extend([(mid, e), (s, mid)])
    return out


class Chunker:
    """Packs consecutive sentences into chunks; the last sentence of a chunk is repeated as the
    first of the next (one-sentence overlap) so an answer at a boundary keeps its context."""

    def __init__(
        self,
        max_tokens: int = 160,
        window_counter: Callable[[str], int] | None = None,
        window: int = 256,
        overlap: bool = True,
        max_chars: int = MAX_CHARS,
    ) -> None:
        self.max_tokens = max_tokens
        self.max_chars = max_chars
        self.window_counter = window_counter
        self.window = window
        self.overlap = overlap

    def fits(self, text: str) -> bool:
        return self._within(text)

    def _within(self, text: str, word_pieces: int | None = None) -> bool:
        """At most `max_chars` characters, `max_tokens` tiktoken tokens and, with a window counter,
        at most `window` word pieces (`word_pieces`: the count, when already known)."""
        if len(text) > self.max_chars or count_tokens(text) > self.max_tokens:
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
            if len(sentence) <= self.max_chars:
                n = self._inner_pieces(sentence)
                if self._within(sentence, n + 2):
                    units.append(span)
                    pieces.append(n)
                    continue
            for part in _split_long(text, span, self.fits, self.max_chars):
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
        unless it comes within WINDOW_MARGIN of the window, or two of the units touch (pieces of
        one word cut by characters: their word pieces do not add up)."""
        if units[j].end - units[i].start > self.max_chars:
            return False
        total = sum(pieces[i : j + 1]) + 2
        touching = any(units[k].end == units[k + 1].start for k in range(i, j))
        return self._within(text[units[i].start : units[j].end],
                            total if total <= self.window - WINDOW_MARGIN and not touching else None)
