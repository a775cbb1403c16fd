"""The browser chat end to end: the real app (API + Gradio UI) over the seeds indexed with MiniLM,
driven by Debian's chromium through Playwright. Screenshots go to test-output/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, SEEDS, build_test_assistant
from playwright.sync_api import expect

from tests.conftest import free_port, serving

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
SHOTS = ROOT / "test-output"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
WAIT_MS = 90_000



@pytest.fixture
def live(tmp_path, minilm) -> Iterator[tuple[str, object]]:
    """(base url, assistant): the seeds in a private store, served by uvicorn on 127.0.0.1."""
    if not SEEDS.is_dir():
        pytest.skip("../shared/corpus/seeds is not present")
    from assistant.api import build_api
    from assistant.settings import Settings
    from assistant.ui import mount_ui

    assistant = build_test_assistant(tmp_path / "store", minilm)
    report = assistant.ingestor.ingest_paths([SEEDS])
    assistant.retriever.invalidate()
    assert report.ok, report.summary()
    port = free_port()
    settings = Settings(store=tmp_path / "store", host="127.0.0.1", port=port)
    app = mount_ui(build_api(assistant, settings), assistant, settings)
    with serving(app, port, timeout=60) as url:
        yield url, assistant


def _bot_messages(page):
    return page.locator('#nd-chat [data-testid="bot"]')


def _wait_answers(page, n: int) -> str:
    """Wait until the n-th answer of the chat is final (the status line names it) and return its text."""
    expect(page.locator("#nd-status")).to_contain_text(f"Answer {n} ·", timeout=WAIT_MS)
    expect(_bot_messages(page)).to_have_count(n)
    return _bot_messages(page).nth(n - 1).inner_text()


def _ask(page, question: str) -> None:
    page.fill("#nd-question textarea", question)
    page.click("#nd-ask")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (make browser)")
def test_browser_chat_sources_documents_and_escaping(live, tmp_path):
    from playwright.sync_api import sync_playwright

    url, assistant = live
    SHOTS.mkdir(exist_ok=True)
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            page.wait_for_selector("#nd-question textarea", timeout=WAIT_MS)

            # -- a question, streamed answer with markers and sources -----------------------
            _ask(page, "Who mediated the February swap?")
            text = _wait_answers(page, 1)
            assert re.search(r"United States|U\.S\.|\bUS\b", text), text
            assert "[1]" in text
            cards = page.locator("#nd-sources .nd-src")
            assert cards.count() >= 1
            first = cards.first
            doc_id = first.get_attribute("data-doc")
            quote = first.locator(".nd-quote").inner_text().strip("“”")
            rec = assistant.get_document(doc_id)
            assert rec is not None and quote and quote in (rec.text or "")
            meta = first.locator(".nd-meta").inner_text()
            assert rec.date in meta
            page.screenshot(path=str(SHOTS / "ui-1-answer.png"), full_page=True)

            # -- the source panel: the article with the quote highlighted and in view -------
            first.click()
            mark = page.locator("#nd-article mark")
            mark.wait_for(timeout=WAIT_MS)
            assert mark.inner_text() == quote
            expect(mark).to_be_in_viewport(timeout=10_000)
            page.screenshot(path=str(SHOTS / "ui-2-source-panel.png"), full_page=True)

            # -- a follow-up uses the chat history; numbers of repeated quotes stay stable ---
            numbers_1 = {c.get_attribute("data-doc") + c.get_attribute("data-start"): c.get_attribute("data-n")
                         for c in cards.all()}
            _ask(page, "How many prisoners did each side release in it?")
            text2 = _wait_answers(page, 2)
            assert "157" in text2, text2
            for c in page.locator("#nd-sources .nd-src").all():
                key = c.get_attribute("data-doc") + c.get_attribute("data-start")
                if key in numbers_1:
                    assert c.get_attribute("data-n") == numbers_1[key]
            page.screenshot(path=str(SHOTS / "ui-3-follow-up.png"), full_page=True)
            # clicking an earlier answer shows its sources again
            _bot_messages(page).first.click()
            expect(page.locator("#nd-sources .nd-quote").first).to_contain_text(quote, timeout=WAIT_MS)

            # -- friendly errors, no traceback -----------------------------------------------
            page.fill("#nd-question textarea", "")
            page.click("#nd-ask")
            expect(page.locator("#nd-status")).to_contain_text("Please type a question", timeout=WAIT_MS)
            page.fill("#nd-question textarea", "why " * 400)
            page.click("#nd-ask")
            expect(page.locator("#nd-status")).to_contain_text("the limit is 1,000", timeout=WAIT_MS)
            assert _bot_messages(page).count() == 2
            assert "Traceback" not in page.content()

            # -- Documents tab: upload (new, unchanged, failed), table, filter choices --------
            article = tmp_path / "quillton.md"
            article.write_text(
                "---\ntitle: Quillton zebra parade " + XSS + "\ndate: 2026-03-01\nsource: Quillton Gazette\n---\n"
                "The Quillton zebra parade drew 12,000 visitors on Sunday, organisers said.\n\n"
                "Organisers printed the banner " + XSS + " on every float of the zebra parade.\n",
                encoding="utf-8")
            empty = tmp_path / "empty.txt"
            empty.write_text("", encoding="utf-8")
            page.get_by_role("tab", name="Documents").click()
            page.set_input_files("#nd-files input[type=file]", [str(article), str(empty)])
            page.wait_for_timeout(500)
            page.click("#nd-upload")
            status = page.locator("#nd-doc-status")
            expect(status).to_contain_text("quillton.md: added", timeout=WAIT_MS)
            expect(status).to_contain_text("empty.txt: not indexed: empty file")
            expect(page.locator("#nd-docs")).to_contain_text("Quillton zebra parade", timeout=WAIT_MS)
            expect(page.locator("#nd-docs")).to_contain_text(XSS)
            page.screenshot(path=str(SHOTS / "ui-4-documents.png"), full_page=True)
            page.set_input_files("#nd-files input[type=file]", [str(article)])
            page.wait_for_timeout(500)
            page.click("#nd-upload")
            expect(status).to_contain_text("quillton.md: unchanged", timeout=WAIT_MS)
            titles = [d.title for d in assistant.list_documents()]
            assert sum("Quillton" in t for t in titles) == 1
            assert "Quillton Gazette" in assistant.sources()

            # -- untrusted text shows as text, never runs ---------------------------------------
            page.get_by_role("tab", name="Chat").click()
            page.click("#nd-new")
            expect(_bot_messages(page)).to_have_count(0, timeout=WAIT_MS)
            # the source filter got the new publisher; restrict the question to it
            page.locator("#nd-options").get_by_text("Options").click()
            page.click("#nd-sources-filter input")
            page.get_by_role("option", name="Quillton Gazette").click()
            page.keyboard.press("Escape")
            _ask(page, "What did organisers print on the floats of the Quillton zebra parade? " + XSS)
            text3 = _wait_answers(page, 1)
            user = page.locator('#nd-chat [data-testid="user"]').first
            expect(user).to_contain_text(XSS)
            src = page.locator("#nd-sources .nd-src", has_text="Quillton").first
            expect(src).to_contain_text(XSS)
            src.click()
            page.locator("#nd-article mark").wait_for(timeout=WAIT_MS)
            expect(page.locator("#nd-article")).to_contain_text(XSS)
            assert XSS in text3 or "banner" in text3, text3
            page.wait_for_timeout(500)
            assert page.evaluate("window.__xss") is None
            assert page.locator("#nd-chat img, #nd-sources img, #nd-article img, #nd-docs img").count() == 0
            for card in page.locator("#nd-sources .nd-src").all():
                assert "Quillton Gazette" in card.locator(".nd-meta").inner_text()
            page.screenshot(path=str(SHOTS / "ui-5-escaping.png"), full_page=True)

            # -- delete a document -----------------------------------------------------------------
            page.get_by_role("tab", name="Documents").click()
            page.click("#nd-delete-pick input")
            page.keyboard.type("Quillton")
            option = page.get_by_role("option").filter(has_text="Quillton zebra parade").first
            expect(option).to_contain_text(XSS)
            assert page.locator('[role="listbox"] img').count() == 0
            option.click()
            page.click("#nd-delete")
            expect(status).to_contain_text("Deleted Quillton zebra parade", timeout=WAIT_MS)
            expect(page.locator("#nd-docs")).not_to_contain_text("Quillton", timeout=WAIT_MS)
            assert not [d for d in assistant.list_documents() if "Quillton" in d.title]
            assert page.evaluate("window.__xss") is None
        finally:
            browser.close()

    hosts = {urlsplit(u).hostname for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")}
    assert hosts == {"127.0.0.1"}, f"requests left the machine: {sorted(h for h in hosts if h)}"
    assert not [u for u in requests if "fonts.googleapis" in u or "cdn" in u]


def test_gradio_client_ask_returns_the_answer_json(live):
    from gradio_client import Client

    url, assistant = live
    client = Client(url, verbose=False)
    result = client.predict("Who mediated the February swap?", api_name="/ask")
    expected = assistant.ask("Who mediated the February swap?").model_dump(mode="json")
    assert isinstance(result, dict)
    assert set(result) == set(expected)
    assert result["answer"] == expected["answer"]
    assert [c["quote"] for c in result["citations"]] == [c["quote"] for c in expected["citations"]]
    api = client.view_api(print_info=False, return_format="dict")
    assert list(api["named_endpoints"]) == ["/ask"]
    with pytest.raises(Exception, match="Please type a question"):
        client.predict("  ", api_name="/ask")
