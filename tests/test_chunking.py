"""Chunk offsets are exact and no chunk exceeds the model window."""

from __future__ import annotations

import pytest

from index.chunking import Chunker, count_tokens, sentence_spans
from tests.conftest import SAMPLES, SEEDS


def _texts():
    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt"))]
    if SEEDS.is_dir():
        texts += [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    return texts


def test_offsets_index_the_text_exactly():
    chunker = Chunker(max_tokens=60)
    for text in _texts():
        chunks = chunker.chunk(text)
        assert chunks, "every article yields chunks"
        for c in chunks:
            assert text[c.start : c.end] == c.text
            assert count_tokens(c.text) <= 60


def test_sentence_spans_do_not_cross_lines():
    text = "Headline without stop\nFirst sentence here. Second one, Dr. Smith said.\n\nLast."
    spans = [text[s.start : s.end] for s in sentence_spans(text)]
    assert spans == ["Headline without stop", "First sentence here.", "Second one, Dr. Smith said.", "Last."]


def test_overlong_sentence_is_split_at_words():
    text = " ".join(f"word{i}" for i in range(400)) + "."
    chunks = Chunker(max_tokens=50).chunk(text)
    assert len(chunks) > 1
    for c in chunks:
        assert text[c.start : c.end] == c.text and count_tokens(c.text) <= 50


@pytest.mark.integration
def test_no_chunk_exceeds_the_embedding_window(minilm):
    """MiniLM silently truncates past 256 word pieces: show that truncation is real, then that
    the chunker never produces such input even when tiktoken's budget would allow it."""
    long_text = "Zelenskyy's aides' counter-intuitive re-evaluations " * 80
    assert minilm.count_window_tokens(long_text) > minilm.window
    truncated = minilm.embed([long_text])[0]
    tail_changed = minilm.embed([long_text + " completely different ending about apples"])[0]
    assert float(truncated @ tail_changed) > 0.9999  # words past the window are ignored
    chunker = Chunker(max_tokens=10_000, window_counter=minilm.count_window_tokens, window=minilm.window)
    for text in [long_text, *_texts()]:
        for c in chunker.chunk(text):
            assert minilm.count_window_tokens(c.text) <= minilm.window
            assert text[c.start : c.end] == c.text


def test_chunks_are_capped_by_characters_even_without_spaces():
    """A 1 MB line without spaces: no million-character chunk (its word-piece count would be tiny:
    one [UNK]), every chunk within the caps, offsets exact, in bounded time."""
    import time

    from index.embeddings import HashEmbedder

    e = HashEmbedder()
    chunker = Chunker(window_counter=e.count_window_tokens, window=e.window)
    text = "A normal first sentence.\n" + "x" * 1_000_000 + "\nA normal last sentence."
    started = time.perf_counter()
    chunks = chunker.chunk(text)
    assert time.perf_counter() - started < 30
    assert _covered(chunks) >= set(range(text.index("x"), text.rindex("x") + 1))
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert len(c.text) <= chunker.max_chars and count_tokens(c.text) <= chunker.max_tokens
    assert chunks[0].text.startswith("A normal first sentence.") and chunks[-1].text.endswith("A normal last sentence.")


def test_dense_runs_are_halved_until_they_fit():
    text = "Start. " + "ab1" * 3000 + " tail words here."
    chunker = Chunker(max_tokens=40, max_chars=500)
    chunks = chunker.chunk(text)
    for c in chunks:
        assert text[c.start : c.end] == c.text and count_tokens(c.text) <= 40 and len(c.text) <= 500
    assert _covered(chunks) >= set(range(text.index("ab1"), text.rindex("ab1") + 3))


def _covered(chunks) -> set[int]:
    return {i for c in chunks for i in range(c.start, c.end)}
