"""Rendering helpers of the browser chat (escaping, highlighting, messages) and the queue's concurrency."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest

from assistant.chat import Conversation, QuestionError
from assistant.types import Answer, Citation, Filters, Passage
from assistant.ui import (
    chat_title,
    make_filters,
    parse_saved_chat,
    restore_conversation,
    saved_value,
    upload_details,
    upload_line,
    upload_payload,
)
from assistant.ui_html import (
    Turn,
    article_html,
    chat_html,
    display_title,
    quote_spans,
    scope_text,
    sources_html,
)
from index.loaders import Skipped, load_bytes
from index.pipeline import IngestReport
from tests.conftest import free_port, serving

XSS = '<img src=x onerror="window.__xss=1"><script>alert(1)</script>'


def _cite(n: int, quote: str = "the quote", **kw) -> Citation:
    base = {"n": n, "doc_id": "d1", "file_name": "a.txt", "title": "Title", "date": "2026-02-05",
            "source": "Paper", "quote": quote, "start": 4, "end": 4 + len(quote), "score": 0.9}
    return Citation(**{**base, **kw})


def _passage(i: int = 0, **kw) -> Passage:
    base = {"chunk_id": f"c{i}", "doc_id": f"d{i}", "file_name": "f.txt", "title": "T", "start": 0, "end": 900,
            "text": "w " * 450, "score": 0.03 - i / 1000}
    return Passage(**{**base, **kw})


def _turn(answer: Answer, **kw) -> Turn:
    return Turn(question=answer.question, answer=answer, done=True, **kw)


def test_chat_html_escapes_everything_and_makes_markers_clickable():
    a = Answer(question=XSS, answer=f"**US** — {XSS} said [1], also [2]. Unknown [9].", abstained=False,
               citations=[_cite(1, title=XSS), _cite(2, duplicate_of=1, start=50, end=59, doc_id='d"2')])
    h = chat_html([_turn(a)], active=0)
    assert "<img" not in h and "<script" not in h
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in h
    assert "<strong>US</strong>" in h
    # [1] and [2] are buttons carrying their quote's article and offsets; [9] has no citation: plain text
    assert h.count('class="nd-mark"') == 2 and "[9]" in h
    assert 'data-doc="d1" data-start="4" data-end="13" data-n="[1]"' in h
    assert 'data-doc="d&quot;2" data-start="50"' in h
    assert "same wording as [1]" in h
    assert 'data-testid="user"' in h and 'data-testid="bot"' in h and "nd-active" in h
    assert 'data-key="1-1"' in h


def test_one_chip_per_article_with_all_its_numbers_and_short_answer_lead():
    a = Answer(question="q", answer="It was X [1] and Y [2] and Z [3].", abstained=False, short_answer="X",
               citations=[_cite(1), _cite(2, start=20, end=29), _cite(3, doc_id="d2", title="Other")])
    h = chat_html([_turn(a)], active=0)
    assert h.count('class="nd-chip"') == 2
    assert '<span class="nd-chip-n">[1] [2]</span>' in h and '<span class="nd-chip-n">[3]</span>' in h
    assert '<p class="nd-lead"><strong>X</strong></p>' in h
    # a lead already in the text in bold is not repeated
    b = a.model_copy(update={"answer": "**X** — it was X [1].", "citations": [_cite(1)]})
    assert "nd-lead" not in chat_html([_turn(b)], active=0)
    # the Sources panel lists the article once, with both quotes, then every passage with its score
    s = sources_html(_turn(a.model_copy(update={"passages": [_passage(0), _passage(1)]})), 0)
    assert s.count('class="nd-art"') == 2 and s.count('class="nd-src"') == 3
    assert "All 2 retrieved passages, with scores" in s and "score 0.0300" in s


def test_titles_fall_back_to_short_clean_names():
    headline = 'Ukraine and Russia carry out first prisoner exchange in months as U.S. touts "tangible results"'
    assert display_title(headline, "x.txt") == headline
    cut = "In a significant development amidst the ongoing conflict, Ukraine and Russia have carried out their…"
    assert display_title(cut, "000_85a628fab00f9ea1.txt", "SBS News", "2026-02-05") == "SBS News article"
    assert display_title(cut, "000_85a628fab00f9ea1.txt", "", "2026-02-05") == "Article of 2026-02-05"
    assert display_title(cut, "harbour-bridge_reopens.txt") == "Harbour bridge reopens"
    assert display_title("Bridge reopens: the city celebrates a long-awaited day with music, fireworks and far "
                         "too many speeches by the mayor.", "") == "Bridge reopens"
    assert display_title("", "") == "Untitled article"


def test_refusal_names_filters_and_where_the_passages_are():
    a = Answer(question="q", answer="I could not find it. The closest passages are listed below.", abstained=True,
               passages=[_passage(i) for i in range(5)])
    f = Filters(sources=["SBS News"], date_from=date(2026, 1, 1), doc_ids=["d0", "d1"])
    scope = scope_text(f, {"d0": "A"})
    assert scope == "publisher SBS News; dated from 2026-01-01; 2 chosen articles"
    h = chat_html([_turn(a, scope=scope)], active=0)
    assert "listed below" not in h  # the answerer's own wording is replaced by one message
    assert "(searched only publisher SBS News; dated from 2026-01-01; 2 chosen articles)" in h
    assert "in the Sources panel" in h and "under Sources, below the chat" in h
    s = sources_html(_turn(a, scope=scope), 0)
    assert "No answer found" in s and s.count("nd-passage") == 3 + 5 and "…" in s
    nothing = chat_html([_turn(a.model_copy(update={"passages": []}), scope=scope)], active=0)
    assert "No article passage matches" in nothing and "Try removing some filters" in nothing
    assert scope_text(Filters(doc_ids=["d0"]), {"d0": "A"}) == "the article “A”"
    assert scope_text(Filters()) == ""


def test_llm_fallback_notice_is_in_plain_words():
    a = Answer(question="q", answer="X [1].", abstained=False, citations=[_cite(1)], mode="extractive",
               notice="The language model could not answer (APIConnectionError: Connection error.); ...")
    h = chat_html([_turn(a, wanted_llm=True)], active=0)
    assert "The language model did not answer, so this answer quotes the articles directly." in h
    assert "<details><summary>Details</summary>" in h  # the technical reason only on request


def test_search_turn_lists_passages_with_scores():
    t = Turn(question="q", kind="search", passages=[_passage(0), _passage(1, title=XSS)], done=True)
    h = chat_html([t], active=0)
    assert "2 passages retrieved" in h and h.count("nd-passage") == 2 and "<img" not in h
    assert 'data-n="#1"' in h and "score 0.0290" in h
    assert "Searching…" in chat_html([t.model_copy(update={"done": False})], active=0)


def test_article_html_highlights_the_quote_and_the_answers_other_quotes():
    text = f"Intro {XSS}. The quote is here. Another one. End."
    s = text.index("The quote")
    o = text.index("Another")
    h = article_html(XSS, "2026-01-01", "Paper", "javascript:alert(1)", text, s, s + 18, "[1]",
                     [(o, o + 12, "[2]"), (s, s + 18, "[1]")])
    assert '<mark class="nd-hl nd-current" title="[1]">The quote is here.</mark>' in h
    assert '<mark class="nd-hl" title="[2]">Another one.</mark>' in h
    assert "<img" not in h and "<script" not in h and "href" not in h
    assert "<mark" not in article_html("t", "", "", "", text, 5, 999)
    assert 'href="https://example.org/a?b=1&amp;c=2"' in article_html(
        "t", "", "", "https://example.org/a?b=1&c=2", text, 0, 1)
    a = Answer(question="q", answer="x", abstained=False, citations=[_cite(1), _cite(2, doc_id="d2")])
    assert quote_spans(_turn(a), "d1") == [(4, 13, "[1]")]


def test_saved_chat_round_trip_keeps_citations_and_numbers():
    a1 = Answer(question="q1", answer="A [1] [2].", abstained=False,
                citations=[_cite(1), _cite(2, start=30, end=39)], passages=[_passage(0, text="p" * 2000)])
    a2 = Answer(question="q2", answer="B [2] [3].", abstained=False,
                citations=[_cite(2, start=30, end=39), _cite(3, doc_id="d2")])
    turns = [_turn(a1), _turn(a2), Turn(question="s", kind="search", passages=[_passage(1)], done=True)]
    value = json.loads(saved_value("ab12", turns))
    assert value["current"] == "ab12" and value["save"]["title"] == "q1"
    chat_id, back = parse_saved_chat(json.dumps(value["save"]))
    assert chat_id == "ab12" and len(back) == 3
    assert back[1].answer == a2 and len(back[0].answer.passages[0].text) == 600
    conv = restore_conversation(back)
    assert conv.turns == [("q1", "A [1] [2]."), ("q2", "B [2] [3].")]
    assert conv.numbers[("d2", 4, 13)] == 3
    # a follow-up quoting the same sentence keeps its number
    again = conv.renumber(Answer(question="q3", answer="C [1].", abstained=False,
                                 citations=[_cite(1, start=30, end=39)]))
    assert again.citations[0].n == 2
    # what the browser sends back is not trusted
    with pytest.raises(ValueError):
        parse_saved_chat(json.dumps({"id": "../x", "turns": []}))
    _, some = parse_saved_chat(json.dumps({"id": "ab", "turns": [{"question": 3}, value["save"]["turns"][0]]}))
    assert len(some) == 1
    assert chat_title([Turn(question="word " * 30)]).endswith("…")
    assert isinstance(Conversation(), Conversation)


def test_filters_and_dates():
    f = make_filters(["Paper"], "2026-01-01", "", ["d1"])
    assert f.sources == ["Paper"] and f.date_from == date(2026, 1, 1) and f.date_to is None and f.doc_ids == ["d1"]
    with pytest.raises(QuestionError, match=r"From date: '1\.2\.26' is not a date; use YYYY-MM-DD"):
        make_filters([], "1.2.26", "")
    with pytest.raises(QuestionError, match="after To date"):
        make_filters([], "2026-02-01", "2026-01-01")


def test_upload_details_are_applied_to_every_document_of_the_upload():
    assert upload_details(" ", "", "", "") == {}
    d = upload_details("  A   title ", "2026-03-01", "Gazette", "https://example.org/a")
    assert d == {"title": "A title", "date": "2026-03-01", "source": "Gazette", "url": "https://example.org/a"}
    with pytest.raises(QuestionError, match="Date"):
        upload_details("", "March", "", "")
    with pytest.raises(QuestionError, match="URL"):
        upload_details("", "", "", "javascript:alert(1)")
    raw = b"Line one of a sample.\r\nLine two.\n"
    assert upload_payload("a.txt", raw, {}) == ("a.txt", raw)
    name, data = upload_payload("a.txt", raw, d)
    loaded = load_bytes(data, name, "upload:" + name)
    plain = load_bytes(raw, "a.txt", "upload:a.txt").documents[0]
    doc = loaded.documents[0]
    assert (doc.text, doc.doc_id, doc.file_name) == (plain.text, plain.doc_id, "a.txt")
    assert (doc.title, doc.date, doc.source, doc.url) == ("A title", "2026-03-01", "Gazette", "https://example.org/a")
    records = b'{"text": "One sample."}\n{"text": "Two sample.", "title": "Own"}\n'
    _, data = upload_payload("r.jsonl", records, {"source": "Gazette"})
    docs = load_bytes(data, "r.jsonl.jsonl", "upload:r").documents
    assert [x.source for x in docs] == ["Gazette", "Gazette"] and docs[1].title == "Own"
    assert upload_payload("empty.txt", b"", d) == ("empty.txt", b"")


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
