"""Rendering helpers of the browser chat (escaping, highlighting, messages) and the queue's concurrency."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest

from assistant.chat import QuestionError
from assistant.types import Answer, Citation, Passage
from assistant.ui import (
    answer_markdown,
    article_html,
    make_filters,
    md_text,
    sources_html,
    upload_line,
)
from index.loaders import Skipped
from index.pipeline import IngestReport
from tests.conftest import free_port, serving

XSS = '<img src=x onerror="window.__xss=1"><script>alert(1)</script>'


def _cite(n: int, quote: str = "the quote", **kw) -> Citation:
    base = {"n": n, "doc_id": "d1", "file_name": "a.txt", "title": "Title", "date": "2026-02-05",
            "source": "Paper", "quote": quote, "start": 4, "end": 4 + len(quote), "score": 0.9}
    return Citation(**{**base, **kw})


def test_md_text_neutralises_html_and_markdown():
    out = md_text(XSS + " *bold* [link](javascript:x) $$x$$")
    assert "<" not in out and ">" not in out
    assert "&lt;img" in out and "&lt;script&gt;" in out
    assert "\\*bold\\*" in out and "\\[link\\]\\(javascript:x\\)" in out and "\\$\\$" in out


def test_answer_markdown_markers_sources_and_escaped_quotes():
    a = Answer(question="q", answer=f"**US** — {XSS} said [1], also [2].", abstained=False,
               citations=[_cite(1, title=XSS), _cite(2, duplicate_of=1, start=50, end=59)],
               notice="LLM <b>down</b>")
    md = answer_markdown(a)
    assert md.startswith("**US**")
    assert "**\\[1\\]**" in md and "**\\[2\\]**" in md
    assert "<img" not in md and "<script" not in md and "<b>" not in md
    assert "**Sources**" in md and "same wording as \\[1\\]" in md
    assert "2026-02-05" in md and "Paper" in md


def test_sources_html_escapes_everything_and_carries_offsets():
    a = Answer(question="q", answer="x [3]", abstained=False,
               citations=[_cite(3, quote=XSS, title=XSS, source='"><svg onload=1>', doc_id='d"1')])
    h = sources_html(a)
    assert "<img" not in h and "<script" not in h and "<svg" not in h
    assert 'data-doc="d&quot;1"' in h and 'data-start="4"' in h and 'data-n="[3]"' in h
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in h


def test_sources_html_for_an_abstention_lists_closest_passages():
    p = Passage(chunk_id="c", doc_id="d", file_name="f.txt", title="T", start=0, end=900, text="w " * 450,
                score=0.1)
    h = sources_html(Answer(question="q", answer="I could not find it.", abstained=True, passages=[p] * 5))
    assert "No answer found" in h and h.count('class="nd-src"') == 3 and "…" in h
    assert "closest passages" in answer_markdown(
        Answer(question="q", answer="No.", abstained=True, passages=[p]))


def test_article_html_highlights_exact_span_and_rejects_bad_offsets():
    text = f"Intro {XSS}. The quote is here. End."
    s = text.index("The quote")
    h = article_html(XSS, "2026-01-01", "Paper", "javascript:alert(1)", text, s, s + 18, "[1]")
    assert '<mark class="nd-hl">The quote is here.</mark>' in h
    assert "<img" not in h and "<script" not in h and "href" not in h
    assert "<mark" not in article_html("t", "", "", "", text, 5, 999)
    assert 'href="https://example.org/a?b=1&amp;c=2"' in article_html(
        "t", "", "", "https://example.org/a?b=1&c=2", text, 0, 1)


def test_filters_and_dates():
    f = make_filters(["Paper"], "2026-01-01", "")
    assert f.sources == ["Paper"] and f.date_from == date(2026, 1, 1) and f.date_to is None
    with pytest.raises(QuestionError, match=r"From date: '1\.2\.26' is not a date; use YYYY-MM-DD"):
        make_filters([], "1.2.26", "")
    with pytest.raises(QuestionError, match="after To date"):
        make_filters([], "2026-02-01", "2026-01-01")


def test_upload_line_reports_outcome():
    r = IngestReport(unchanged=["d1"])
    assert upload_line("a.txt", r) == ("a.txt: unchanged", False)
    r = IngestReport(skipped=[Skipped("b.json", "invalid JSON", line=3)])
    assert upload_line("b.json", r) == ("b.json: not indexed: invalid JSON", True)
    assert upload_line("c.txt", IngestReport(added=["x", "y"])) == ("c.txt: 2 added", False)


# -- the queue: a slow question does not block another one -------------------------------------

@pytest.fixture
def served(sample_assistant, tmp_path) -> Iterator[tuple[str, object]]:
    from fastapi import FastAPI

    from assistant.settings import Settings
    from assistant.ui import mount_ui

    port = free_port()
    app = mount_ui(FastAPI(), sample_assistant, Settings(store=tmp_path / "store", port=port))
    with serving(app, port, timeout=30) as url:
        yield url, sample_assistant


def test_slow_question_does_not_block_another(served, monkeypatch):
    from gradio_client import Client

    url, assistant = served
    release = threading.Event()
    real_stream = assistant.stream

    def stream(question, *args, **kwargs):
        if question.startswith("slow"):
            release.wait(30)
        yield from real_stream(question, *args, **kwargs)

    monkeypatch.setattr(assistant, "stream", stream)
    client = Client(url, verbose=False)
    try:
        slow = client.submit("slow: when did the bridge reopen?", api_name="/ask")
        time.sleep(0.5)
        started = time.monotonic()
        fast = client.predict("When did the harbour bridge reopen?", api_name="/ask")
        assert time.monotonic() - started < 20
        assert not slow.done()
        assert fast["question"] == "When did the harbour bridge reopen?"
    finally:
        release.set()
    assert slow.result(timeout=30)["question"] == "slow: when did the bridge reopen?"
