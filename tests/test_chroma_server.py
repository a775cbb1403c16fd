"""The assistant against a real Chroma server (`chroma run`), including the server going away and
coming back on the same path and port."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ChromaServer, free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent

ARTICLE = (
    "Harbor pilots end strike in Port Calder\n\n"
    "The harbor pilots of Port Calder ended their nine-day strike on Tuesday after the port authority "
    "agreed to hire twelve more pilots. Ships had queued outside the breakwater for more than a week.\n\n"
    "The union said the deal would cut night shifts by a third."
)


QUESTION = "How many more pilots did the port authority agree to hire?"



@pytest.fixture
def server(chroma_server: ChromaServer) -> ChromaServer:
    return chroma_server


def _assistant(port: int):
    from app import build_assistant
    from assistant.settings import Settings

    return build_assistant(Settings(chroma_host="127.0.0.1", chroma_port=port, embedder="hash"), progress=False)


def test_ingest_ask_delete_outage_and_recovery(server):
    from index.store import StoreUnavailableError

    assistant = _assistant(server.port)
    assert assistant.ready()["ready"] is True

    report = assistant.ingest_upload("pilots.txt", ARTICLE.encode())
    assert report.ok and len(report.added) == 1
    doc_id = report.doc_ids[0]
    assert [d.doc_id for d in assistant.list_documents()] == [doc_id]

    answer = assistant.ask(QUESTION)
    assert not answer.abstained, (answer.answer, answer.notice, [(p.chunk_id, p.score) for p in answer.passages])
    assert answer.citations and answer.citations[0].doc_id == doc_id
    cited = answer.citations[0]
    assert ARTICLE[cited.start:cited.end] == cited.quote
    assert "twelve" in answer.answer

    # a second client (a second app process) sees the same data through the server
    other = _assistant(server.port)
    assert [d.doc_id for d in other.list_documents()] == [doc_id]

    server.stop()
    state = assistant.ready()
    assert state["ready"] is False and state["store"] is False
    with pytest.raises(StoreUnavailableError, match="Chroma store is unreachable"):
        assistant.ask(QUESTION)

    server.start()
    assert assistant.ready()["ready"] is True
    again = assistant.ask(QUESTION)
    assert again.citations and again.citations[0].doc_id == doc_id

    assert assistant.delete_document(doc_id) is True
    assert assistant.list_documents() == []
    assert assistant.get_document(doc_id) is None
    assert assistant.ask(QUESTION).citations == []


def test_building_against_a_stopped_server_is_a_clear_error(tmp_path):
    from index.store import StoreUnavailableError

    port = free_port()
    with pytest.raises(StoreUnavailableError) as err:
        _assistant(port)
    assert f"127.0.0.1:{port}" in str(err.value)


def test_client_token_and_ssl_settings(server):
    from index.store import StoreUnavailableError, make_client

    client = make_client(host="127.0.0.1", port=server.port, token="s3cret")
    assert client.heartbeat() > 0
    headers = client._server.get_request_headers()  # the session every request goes through
    assert headers.get("authorization") == "Bearer s3cret"
    assert "authorization" not in make_client(host="127.0.0.1", port=server.port)._server.get_request_headers()
    # TLS against a plain-HTTP server fails the handshake: a clear error, not a traceback
    with pytest.raises(StoreUnavailableError):
        make_client(host="127.0.0.1", port=server.port, ssl=True)
