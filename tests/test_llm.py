"""The LLM answerer against a real local OpenAI-compatible HTTP server (tests/openai_server.py)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, build_test_assistant, free_port
from tests.openai_server import OpenAIServer, Reply, prompt_of

# Our own text (not from ../shared): one article, two passages cut at sentence boundaries.
ARTICLE = (
    "Lakeside ferry service resumes\n"
    "The Lakeside ferry resumed service on Tuesday after a three-week strike by deck crews. "
    "The operator agreed to raise wages by 6 percent over two years. "
    "Union leader Marta Okafor said the deal was approved by 212 votes to 40.\n"
    "The first boat left the north pier at 7 a.m. with about 90 passengers. "
    "Ticket prices will stay the same until March, the operator said."
)


def _passages():
    from assistant.types import Passage

    cut = ARTICLE.index("The first boat")
    first_start = ARTICLE.index("The Lakeside ferry resumed")
    spans = [(first_start, cut - 1), (cut, len(ARTICLE))]
    return [
        Passage(chunk_id=f"ferry:{i}", doc_id="ferry", file_name="ferry.txt", title="Lakeside ferry service resumes",
                date="2026-02-03", source="Test Post", start=s, end=e, text=ARTICLE[s:e], score=1.0 - i / 10)
        for i, (s, e) in enumerate(spans)
    ]


@pytest.fixture
def server():
    with OpenAIServer() as srv:
        yield srv


def _answerer(base_url: str, timeout: float = 5.0, **overrides):
    from assistant.llm import build_llm_answerer
    from assistant.settings import Settings
    from index.embeddings import HashEmbedder

    settings = Settings(llm_provider="openai", llm_base_url=base_url, llm_model="fake-model",
                        llm_timeout=timeout, **overrides)
    return build_llm_answerer(settings, HashEmbedder())



def _run(answerer, question, passages):
    from assistant.types import Answer

    items = list(answerer.stream(question, passages))
    assert isinstance(items[-1], Answer)
    assert all(isinstance(x, str) for x in items[:-1])
    return items[:-1], items[-1]


def _assert_contract(answer, article: str = ARTICLE) -> None:
    numbers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
    by_n = {c.n: c for c in answer.citations}
    assert len(by_n) == len(answer.citations)
    assert set(numbers) == set(by_n)
    assert list(dict.fromkeys(numbers)) == sorted(by_n), "numbered in order of first appearance"
    for c in answer.citations:
        assert article[c.start:c.end] == c.quote


# -- prompts ---------------------------------------------------------------------------------

def test_shipped_prompts_validate_and_state_the_citation_rules():
    from assistant.llm import load_prompts

    answer, condense = load_prompts()
    assert {"context", "question"} <= answer.fields
    assert condense.fields == {"history", "question"}
    text = answer.text.lower()
    assert "[1]" in text and "every sentence" in text and "don't know" in text


@pytest.mark.parametrize(("content", "needle"), [
    ("Passages: {context}\nQuestion: {question}\nLanguage: {language}", "unknown placeholder {language}"),
    ("Passages: {context}\n", "missing placeholder(s) {question}"),
    ("Passages: {context} {question} and a stray { brace", "literal braces"),
    ("{context} {question} {}", "is not a name"),
    ("{context} {question!r}", "format spec"),
])
def test_bad_answer_prompt_is_rejected_at_build_time_naming_the_file(tmp_path, content, needle):
    from assistant.llm import PromptError, build_llm_answerer
    from assistant.settings import Settings
    from index.embeddings import HashEmbedder

    (tmp_path / "answer.txt").write_text(content, encoding="utf-8")
    (tmp_path / "condense.txt").write_text("{history}\n{question}", encoding="utf-8")
    settings = Settings(llm_provider="openai", llm_base_url="http://127.0.0.1:9/v1")
    with pytest.raises(PromptError) as err:
        build_llm_answerer(settings, HashEmbedder(), prompts_dir=tmp_path)
    assert str(tmp_path / "answer.txt") in str(err.value)
    assert needle in str(err.value)


def test_unknown_placeholder_error_gives_the_line(tmp_path):
    from assistant.llm import PromptError, load_prompt

    path = tmp_path / "condense.txt"
    path.write_text("Conversation:\n{history}\nLast: {question}\nTone: {tone}\n", encoding="utf-8")
    with pytest.raises(PromptError, match=r"condense\.txt, line 4: unknown placeholder \{tone\}"):
        load_prompt(path, {"history", "question"})
    with pytest.raises(PromptError, match=r"missing\.txt not found"):
        load_prompt(tmp_path / "missing.txt", {"history"})


def test_context_budget_too_small_is_a_clear_error():
    with pytest.raises(ValueError, match="llm_context_tokens=50 is too small"):
        _answerer("http://127.0.0.1:9/v1", llm_context_tokens=50)


def test_passages_fill_the_token_budget_in_rank_order(server):
    from assistant.types import Passage
    from index.chunking import count_tokens

    body = " ".join(f"Sentence number {i} about the harbour." for i in range(20))
    passages = [Passage(chunk_id=f"c{i}", doc_id=f"d{i}", file_name=f"f{i}.txt", start=0, end=len(body),
                        text=body, score=1.0) for i in range(10)]
    answerer = _answerer(server.base_url, llm_context_tokens=1000)
    chosen = answerer.select("What about the harbour?", passages)
    assert [p.chunk_id for p in chosen] == [f"c{i}" for i in range(len(chosen))]
    assert 2 <= len(chosen) < 10
    prompt = answerer.build_prompt("What about the harbour?", chosen)
    assert count_tokens(prompt) <= 1000
    more = answerer.build_prompt("What about the harbour?", passages[: len(chosen) + 1])
    assert count_tokens(more) > 1000

    server.script(Reply(text="I don't know: the articles do not say."))
    _run(answerer, "What about the harbour?", passages)
    sent = prompt_of(server.requests[-1])
    assert f"[{len(chosen)}] (f{len(chosen) - 1}.txt)" in sent
    assert f"[{len(chosen) + 1}]" not in sent


# -- answers ---------------------------------------------------------------------------------

def test_streamed_answer_is_checked_bogus_marker_removed_unsupported_flagged(server):
    passages = _passages()
    reply = ("The Lakeside ferry resumed service on Tuesday after a strike by deck crews [1]. "
             "The first boat carried about 90 passengers [2]. "
             "The ferry will be painted green next year [2]. "
             "The strike cost the operator 5 million crowns [9]. "
             "Wages rise by 6 percent over two years [1].")
    server.script(Reply(text=reply, chunk_delay=0.01))
    answerer = _answerer(server.base_url)
    deltas, answer = _run(answerer, "When did the ferry resume and how many passengers rode?", passages)

    request = server.requests[-1]
    assert request["stream"] is True and request["model"] == "fake-model"
    sent = prompt_of(request)
    assert "[1] Lakeside ferry service resumes, Test Post, 2026-02-03 (ferry.txt)" in sent
    assert passages[1].text in sent and "When did the ferry resume" in sent

    assert len(deltas) > 5 and "".join(deltas) == reply  # the raw text streamed in pieces
    assert answer.mode == "llm" and not answer.abstained
    assert "[9]" not in answer.answer
    assert answer.unsupported == ["The ferry will be painted green next year.",
                                  "The strike cost the operator 5 million crowns."]
    assert answer.answer == ("The Lakeside ferry resumed service on Tuesday after a strike by deck crews [1]. "
                             "The first boat carried about 90 passengers [2]. "
                             "The ferry will be painted green next year. "
                             "The strike cost the operator 5 million crowns. "
                             "Wages rise by 6 percent over two years [3].")
    quotes = [c.quote for c in answer.citations]
    assert quotes == [
        "The Lakeside ferry resumed service on Tuesday after a three-week strike by deck crews.",
        "The first boat left the north pier at 7 a.m. with about 90 passengers.",
        "The operator agreed to raise wages by 6 percent over two years.",
    ]
    assert [c.file_name for c in answer.citations] == ["ferry.txt"] * 3
    assert answer.citations[0].title == "Lakeside ferry service resumes"
    _assert_contract(answer)


def test_deltas_arrive_before_the_reply_is_complete(server):
    server.script(Reply(chunks=["The ferry ", "resumed on Tuesday ", "[1]."], chunk_delay=0.4))
    answerer = _answerer(server.base_url)
    started = time.perf_counter()
    arrivals = []
    for item in answerer.stream("When did the ferry resume?", _passages()):
        arrivals.append((item, time.perf_counter() - started))
    first_delta, final = arrivals[0], arrivals[-1]
    assert first_delta[0] == "The ferry "
    assert final[1] - first_delta[1] > 0.6  # the first piece was shown while the model still wrote
    assert final[0].answer == "The ferry resumed on Tuesday [1]."


def test_markers_after_the_period_and_grouped_markers(server):
    server.script(Reply(text="The deal passed by 212 votes to 40.[1] Fares stay the same until March and "
                             "the first boat left at 7 a.m. [1, 2]"))
    _, answer = _run(_answerer(server.base_url), "What about the vote and fares?", _passages())
    assert answer.answer == ("The deal passed by 212 votes to 40 [1]. Fares stay the same until March and "
                             "the first boat left at 7 a.m. [2]")
    assert answer.citations[0].quote.startswith("Union leader Marta Okafor said")
    assert answer.citations[1].quote.startswith("The first boat left")
    assert answer.unsupported == []
    _assert_contract(answer)


def test_same_quote_keeps_one_number(server):
    server.script(Reply(text="The ferry resumed on Tuesday [1]. It resumed after a strike by deck crews [1]."))
    _, answer = _run(_answerer(server.base_url), "When?", _passages())
    assert answer.answer == "The ferry resumed on Tuesday [1]. It resumed after a strike by deck crews [1]."
    assert len(answer.citations) == 1
    _assert_contract(answer)


def test_i_dont_know_reply_abstains(server):
    server.script(Reply(text="I don't know: the articles do not say."))
    _, answer = _run(_answerer(server.base_url), "Who owns the ferry company?", _passages())
    assert answer.abstained and answer.citations == [] and answer.unsupported == []
    assert answer.answer == "I don't know: the articles do not say."


def test_reply_without_markers_abstains_and_flags_its_claims(server):
    server.script(Reply(text="The ferry company is owned by the city of Lakeside."))
    _, answer = _run(_answerer(server.base_url), "Who owns the ferry company?", _passages())
    assert answer.abstained and answer.citations == []
    assert answer.unsupported == ["The ferry company is owned by the city of Lakeside."]


def test_reasoning_block_is_hidden(server):
    server.script(Reply(chunks=["<think>", "the vote was 212", "</think>", "\n\nThe vote was ", "212 to 40 [1]."]))
    deltas, answer = _run(_answerer(server.base_url), "What was the vote?", _passages())
    assert "think" not in "".join(deltas) and "".join(deltas).strip().startswith("The vote")
    assert answer.answer == "The vote was 212 to 40 [1]." and len(answer.citations) == 1


def test_no_passages_abstains_without_calling_the_model(server):
    _, answer = _run(_answerer(server.base_url), "Anything?", [])
    assert answer.abstained and server.requests == []


def test_condense_uses_plain_reply_and_the_history(server):
    server.script(Reply(text="Standalone question: How many passengers rode the first Lakeside ferry?\n"))
    answerer = _answerer(server.base_url)
    out = answerer.condense("How many rode the first one?",
                            [("When did the Lakeside ferry resume?", "It resumed on Tuesday [1].")])
    assert out == "How many passengers rode the first Lakeside ferry?"
    request = server.requests[-1]
    assert not request.get("stream")
    sent = prompt_of(request)
    assert "User: When did the Lakeside ferry resume?" in sent
    assert "Assistant: It resumed on Tuesday." in sent
    assert "Last question: How many rode the first one?" in sent


# -- failures --------------------------------------------------------------------------------

@pytest.mark.parametrize(("reply", "error"), [
    (Reply(status=500), "InternalServerError"),
    (Reply(body=b'data: {"choices": [{"delta": {"content": "Hi"\n\n', content_type="text/event-stream"),
     "JSONDecodeError"),
    (Reply(body=b"{this is not json", content_type="application/json"), "LLMReplyError"),
    (Reply(text="", chunks=[]), "LLMReplyError"),
])
def test_http_errors_and_malformed_replies_raise(server, reply, error):
    server.script(reply)
    with pytest.raises(Exception) as err:
        _run(_answerer(server.base_url), "When did the ferry resume?", _passages())
    assert type(err.value).__name__ == error


def test_malformed_plain_reply_raises_from_condense(server):
    server.script(Reply(body=b"{broken", content_type="application/json"))
    with pytest.raises(Exception):  # noqa: B017 - any error is fine, it must not pass silently
        _answerer(server.base_url).condense("and then?", [("When did the ferry resume?", "")])


def test_slow_reply_times_out_fast_without_retries(server):
    server.script(Reply(text="too late [1].", delay=10))
    answerer = _answerer(server.base_url, timeout=1.0)
    started = time.perf_counter()
    with pytest.raises(Exception) as err:
        _run(answerer, "When did the ferry resume?", _passages())
    assert "Timeout" in type(err.value).__name__
    assert time.perf_counter() - started < 4
    assert len(server.requests) == 1  # no retry


def test_unreachable_server_fails_fast():
    answerer = _answerer(f"http://127.0.0.1:{free_port()}/v1", timeout=5.0)
    started = time.perf_counter()
    with pytest.raises(Exception) as err:
        _run(answerer, "When did the ferry resume?", _passages())
    assert "Connection" in type(err.value).__name__
    assert time.perf_counter() - started < 3


def test_settings_are_validated():
    with pytest.raises(ValueError, match="must be an http"):
        _answerer("localhost:8080")
    with pytest.raises(ValueError, match="TIMEOUT must be positive"):
        _answerer("http://127.0.0.1:9/v1", timeout=0)


def test_ollama_provider_builds_without_network():
    from assistant.llm import build_llm_answerer
    from assistant.settings import Settings
    from index.embeddings import HashEmbedder

    answerer = build_llm_answerer(Settings(llm_provider="ollama", llm_model="llama3.2"), HashEmbedder())
    assert type(answerer.llm).__name__ == "Ollama"
    assert answerer.llm.base_url == "http://127.0.0.1:11434"
    custom = build_llm_answerer(Settings(llm_provider="ollama", llm_base_url="http://10.0.0.5:11434/v1/",
                                         llm_timeout=3), HashEmbedder())
    assert custom.llm.base_url == "http://10.0.0.5:11434" and custom.llm.request_timeout == 3


# -- through Assistant -----------------------------------------------------------------------

def _first_sentence_of_passage_1(request) -> str:
    m = re.search(r"^\[1\] [^\n]*\n([^\n]+)", prompt_of(request), re.M)
    assert m, "the prompt numbers its passages"
    from index.chunking import sentence_spans

    text = m.group(1)
    span = sentence_spans(text)[0]
    return text[span.start:span.end].rstrip(".") + " [1]."


@pytest.fixture
def llm_assistant(tmp_path, hash_embedder, server):
    answerer = _answerer(server.base_url, timeout=1.0)
    a = build_test_assistant(tmp_path / "store", hash_embedder, llm=answerer)
    a.ingestor.ingest_paths([SAMPLES])
    a.retriever.invalidate()
    return a


def test_assistant_streams_a_checked_llm_answer(llm_assistant, server):
    from assistant.types import Answer

    server.script(Reply(respond=_first_sentence_of_passage_1))
    items = list(llm_assistant.stream("When did the Port Alder harbour bridge reopen?", mode="llm"))
    final = items[-1]
    assert isinstance(final, Answer) and sum(isinstance(x, Answer) for x in items) == 1
    assert len(items) > 2 and all(isinstance(x, str) for x in items[:-1])
    assert final.mode == "llm" and not final.abstained and final.notice == ""
    assert final.unsupported == [] and len(final.citations) == 1
    c = final.citations[0]
    doc = llm_assistant.get_document(c.doc_id)
    assert doc is not None and doc.text[c.start:c.end] == c.quote
    assert c.quote in final.passages[0].text
    assert final.answer.endswith("[1].")


@pytest.mark.parametrize(("reply", "kind"), [
    (Reply(status=500), "an error (HTTP 500)"),
    (Reply(text="late", delay=10), "did not reply in time"),
    (Reply(body=b'data: {"nope\n\n', content_type="text/event-stream"), "reply could not be used"),
])
def test_assistant_falls_back_to_extractive_with_a_notice(llm_assistant, server, reply, kind):
    server.script(reply)
    answer = llm_assistant.ask("When did the Port Alder harbour bridge reopen?", mode="llm")
    assert answer.mode == "extractive"
    assert "could not answer" in answer.notice and kind in answer.notice
    assert "extractive answer instead" in answer.notice
    assert answer.answer and answer.passages
    for c in answer.citations:
        doc = llm_assistant.get_document(c.doc_id)
        assert doc is not None and doc.text[c.start:c.end] == c.quote


def test_assistant_falls_back_when_the_server_is_down(tmp_path, hash_embedder):
    answerer = _answerer(f"http://127.0.0.1:{free_port()}/v1", timeout=2.0)
    a = build_test_assistant(tmp_path / "store", hash_embedder, llm=answerer, default_mode="llm")
    a.ingestor.ingest_paths([SAMPLES])
    a.retriever.invalidate()
    started = time.perf_counter()
    answer = a.ask("When did the Port Alder harbour bridge reopen?")
    assert time.perf_counter() - started < 5
    assert answer.mode == "extractive" and "could not be reached" in answer.notice
    assert "127.0.0.1" not in answer.notice and "Error" not in answer.notice


def test_build_assistant_wires_the_llm_from_settings(tmp_path: Path, server):
    from app import build_assistant
    from assistant.settings import Settings

    settings = Settings(store=tmp_path / "store", embedder="hash", llm_provider="openai",
                        llm_base_url=server.base_url, llm_timeout=2)
    assistant = build_assistant(settings, progress=False)
    assert assistant.llm_available
    assistant.ingest_upload("ferry.txt", ARTICLE.encode())
    server.script(Reply(text="The ferry resumed service on Tuesday [1]."))
    answer = assistant.ask("When did the Lakeside ferry resume?", mode="llm")
    assert answer.mode == "llm" and answer.citations
    doc = assistant.get_document(answer.citations[0].doc_id)
    assert doc.text[answer.citations[0].start:answer.citations[0].end] == answer.citations[0].quote


def test_unreachable_server_is_found_fast_and_remembered():
    from assistant.llm import LLMConnectionError, ServerGate

    now = [1000.0]
    answerer = _answerer(f"http://127.0.0.1:{free_port()}/v1", timeout=30.0)
    answerer.gate = ServerGate(answerer.gate.host, answerer.gate.port, clock=lambda: now[0])
    started = time.perf_counter()
    with pytest.raises(LLMConnectionError, match=r"cannot be reached \(connection refused\)"):
        _run(answerer, "When did the ferry resume?", _passages())
    assert time.perf_counter() - started < 3
    # remembered: the next calls fail at once, without connecting, and say when it tries again
    started = time.perf_counter()
    with pytest.raises(LLMConnectionError, match=r"next try in 60 s"):
        answerer.condense("And then?", [("When did the ferry resume?", "On Tuesday [1].")])
    assert time.perf_counter() - started < 0.1
    now[0] += 61
    with pytest.raises(LLMConnectionError, match="cannot be reached"):
        _run(answerer, "When did the ferry resume?", _passages())


def test_gate_lets_a_reachable_server_through_and_forgets_nothing_else(server):
    server.script(Reply(text="The ferry resumed service on Tuesday [1]."))
    answerer = _answerer(server.base_url)
    assert answerer.gate is not None and answerer.gate.where == f"127.0.0.1:{server.port}"
    assert _run(answerer, "When did the ferry resume?", _passages())[1].citations
    # a bad reply is not a connection failure: the next question still asks the server
    server.script(Reply(status=500), Reply(text="On Tuesday [1]."))
    with pytest.raises(Exception):  # noqa: B017 (the client's own error type)
        _run(answerer, "When did the ferry resume?", _passages())
    assert _run(answerer, "When did the ferry resume?", _passages())[1].citations
