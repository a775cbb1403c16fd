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
