"""The browser chat end to end: the real app (API + Gradio UI) over the seeds indexed with MiniLM,
driven by Debian's chromium through Playwright. One server and one browser for the module; every
test opens its own browser context (its own localStorage). Screenshots go to test-output/.

The answerer's wording is not asserted beyond the seeds' facts; the tests check what the page does
with answers: where they appear, what a click opens, what is saved, what the messages name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, SEEDS, build_test_assistant
from playwright.sync_api import expect

from tests.conftest import free_port, serving

pytestmark = [pytest.mark.browser, pytest.mark.integration,
              pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                                 reason="Debian chromium is not installed (make browser)")]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
SHOTS = ROOT / "test-output"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
WAIT_MS = 90_000
DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def live(tmp_path_factory, minilm) -> Iterator[tuple[str, object]]:
    """(base url, assistant): the seeds in a private store, served by uvicorn on 127.0.0.1."""
    if not SEEDS.is_dir():
        pytest.skip("../shared/corpus/seeds is not present")
    from assistant.api import build_api
    from assistant.settings import Settings
    from assistant.ui import mount_ui

    store = tmp_path_factory.mktemp("ui") / "store"
    assistant = build_test_assistant(store, minilm)
    report = assistant.ingestor.ingest_paths([SEEDS])
    assistant.retriever.invalidate()
    assert report.ok, report.summary()
    port = free_port()
    settings = Settings(store=store, host="127.0.0.1", port=port)
    app = mount_ui(build_api(assistant, settings), assistant, settings)
    with serving(app, port, timeout=60) as url:
        yield url, assistant


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def open_page(live, browser):
    """open_page(viewport) -> a page at the app in a fresh context; every request is recorded and
    checked to stay on 127.0.0.1 when the test ends."""
    url, _ = live
    contexts, requests = [], []

    def opener(viewport=DESKTOP, context=None):
        if context is None:
            context = browser.new_context(viewport=viewport)
            contexts.append(context)
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url)
        page.wait_for_selector("#nd-question textarea", timeout=WAIT_MS)
        return page

    yield opener
    for c in contexts:
        c.close()
    hosts = {urlsplit(u).hostname for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")}
    assert hosts <= {"127.0.0.1"}, f"requests left the machine: {sorted(h for h in hosts if h)}"
    assert not [u for u in requests if "fonts.googleapis" in u]  # and no CDN: every host is 127.0.0.1


def _bot_messages(page):
    return page.locator('#nd-chat [data-testid="bot"]')


def _wait_answers(page, n: int, word: str = "Answer") -> str:
    """Wait until the n-th turn of the chat is final (the status line names it) and return its text."""
    expect(page.locator("#nd-status")).to_contain_text(f"{word} {n} ·", timeout=WAIT_MS)
    expect(_bot_messages(page)).to_have_count(n)
    return _bot_messages(page).nth(n - 1).inner_text()


def _ask(page, question: str, button: str = "#nd-ask") -> None:
    page.fill("#nd-question textarea", question)
    page.click(button)


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"ui-{name}.png"), full_page=False)


def _newest_answer_box(page) -> dict[str, float]:
    return page.evaluate("""() => {
        const log = document.querySelector('#nd-chat .nd-log');
        const bots = log.querySelectorAll('.nd-bot');
        const b = bots[bots.length - 1].getBoundingClientRect(), l = log.getBoundingClientRect();
        return {top: b.top, logTop: l.top, logBottom: l.bottom, height: window.innerHeight,
                scrolled: log.scrollTop, scrollable: log.scrollHeight - log.clientHeight};
    }""")


def _pick(page, dropdown: str, option: str) -> None:
    page.click(f"{dropdown} input")
    page.get_by_role("option", name=option).first.click()
    page.keyboard.press("Escape")


# -- the chat ----------------------------------------------------------------------------------------

def test_chat_answers_sources_markers_and_errors(live, open_page):
    _, assistant = live
    page = open_page()
    _shot(page, "01-empty")

    # an example is sent on click; the streamed answer has clickable markers and source chips
    page.locator(".nd-example", has_text="Who mediated the February swap?").click()
    text = _wait_answers(page, 1)
    assert re.search(r"United States|U\.S\.|\bUS\b", text), text
    assert "[1]" in text
    chips = page.locator("#nd-chat .nd-chip")
    assert chips.count() >= 1
    docs_in_chips = [c.get_attribute("data-doc") for c in chips.all()]
    assert len(docs_in_chips) == len(set(docs_in_chips)), "an article is listed once per answer"
    for chip in chips.all():
        title = chip.locator(".nd-chip-title").inner_text()
        assert not title.endswith("…") and len(title) <= 160
    cards = page.locator("#nd-sources .nd-art .nd-src")
    first = cards.first
    doc_id = first.get_attribute("data-doc")
    quote = first.locator(".nd-quote").inner_text().strip("“”")
    rec = assistant.get_document(doc_id)
    assert rec is not None and quote and quote in (rec.text or "")
    assert rec.date in page.locator("#nd-sources .nd-art").first.locator(".nd-meta").inner_text()
    _shot(page, "02-answer")

    # an inline [n] marker opens its article with that quote highlighted and in view
    marker = page.locator("#nd-chat .nd-mark").first
    n = marker.inner_text()
    marker.click()
    current = page.locator("#nd-article mark.nd-current")
    current.wait_for(timeout=WAIT_MS)
    cited = assistant.get_document(marker.get_attribute("data-doc"))
    assert cited is not None
    start, end = int(marker.get_attribute("data-start")), int(marker.get_attribute("data-end"))
    assert current.inner_text() == (cited.text or "")[start:end]
    expect(current).to_be_in_viewport(timeout=10_000)
    expect(page.locator("#nd-article h3")).to_contain_text(n)
    _shot(page, "03-marker-opens-article")
    # Escape closes the article view
    page.keyboard.press("Escape")
    expect(page.locator("#nd-article-box")).to_be_hidden(timeout=WAIT_MS)

    # a source card in the panel opens it too, by keyboard (Enter)
    first.focus()
    page.keyboard.press("Enter")
    mark = page.locator("#nd-article mark.nd-current")
    mark.wait_for(timeout=WAIT_MS)
    assert mark.inner_text() == quote
    _shot(page, "04-source-panel")

    # a follow-up uses the chat history; numbers of repeated quotes stay stable
    numbers_1 = {c.get_attribute("data-doc") + c.get_attribute("data-start"): c.get_attribute("data-n")
                 for c in cards.all()}
    _ask(page, "How many prisoners did each side release in it?")
    text2 = _wait_answers(page, 2)
    assert "157" in text2, text2
    expect(page.locator("#nd-article-box")).to_be_hidden()  # the old article belongs to the old answer
    for c in page.locator("#nd-sources .nd-art .nd-src").all():
        key = c.get_attribute("data-doc") + c.get_attribute("data-start")
        if key in numbers_1:
            assert c.get_attribute("data-n") == numbers_1[key]
    # clicking an earlier answer shows its sources again and closes an open article
    page.locator("#nd-chat .nd-chip").last.click()
    expect(page.locator("#nd-article-box")).to_be_visible(timeout=WAIT_MS)
    _bot_messages(page).first.locator(".nd-text").first.click()
    expect(page.locator("#nd-sources h4")).to_contain_text("answer 1", timeout=WAIT_MS)
    expect(page.locator("#nd-sources .nd-quote").first).to_contain_text(quote, timeout=WAIT_MS)
    expect(page.locator("#nd-article-box")).to_be_hidden(timeout=WAIT_MS)
    expect(_bot_messages(page).first).to_have_class(re.compile("nd-active"))
    _shot(page, "05-follow-up")

    # the question box states its limit; friendly errors, no traceback
    limit = assistant.max_question_chars
    page.fill("#nd-question textarea", "why " * 400)
    expect(page.locator(".nd-count")).to_contain_text(f"1,599 / {limit:,} characters (599 too many)")
    expect(page.locator(".nd-count")).to_have_class(re.compile("nd-over"))
    page.click("#nd-ask")
    expect(page.locator("#nd-status")).to_contain_text(f"the limit is {limit:,}", timeout=WAIT_MS)
    assert page.locator("#nd-question textarea").input_value().strip() == ("why " * 400).strip()
    page.fill("#nd-question textarea", "")
    page.click("#nd-ask")
    expect(page.locator("#nd-status")).to_contain_text("Please type a question", timeout=WAIT_MS)
    assert _bot_messages(page).count() == 2
    assert "Traceback" not in page.content()
    # "New chat" stays on one line
    box = page.locator("#nd-new").bounding_box()
    assert box is not None and box["height"] < 60


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_newest_answer_comes_into_view_at_its_first_line(open_page, viewport):
    page = open_page(viewport)
    questions = ["Who mediated the February swap?", "How many prisoners did each side release in it?",
                 "Which country facilitated the exchange of 146 prisoners of war?",
                 "How many people were exchanged in May 2025?"]
    for i, q in enumerate(questions[:3], 1):
        _ask(page, q)
        _wait_answers(page, i)
    # the reader scrolls the chat back up, then asks again
    page.locator("#nd-chat .nd-log").evaluate("e => e.scrollTop = 0")
    assert _newest_answer_box(page)["scrollable"] > 0, "the chat should be longer than its box"
    _ask(page, questions[3])
    _wait_answers(page, 4)
    page.wait_for_timeout(400)
    box = _newest_answer_box(page)
    assert box["logTop"] - 1 <= box["top"] <= box["logBottom"] - 40, box
    assert 0 <= box["top"] <= box["height"] - 40, box
    expect(_bot_messages(page).nth(3)).to_be_in_viewport()
    name = "desktop" if viewport is DESKTOP else "phone"
    _shot(page, f"06-newest-answer-{name}")
    if viewport is PHONE:
        # on a phone, the Sources come right under the chat (before saved chats and options)
        chat = page.locator("#nd-main").bounding_box()
        right = page.locator("#nd-right").bounding_box()
        side = page.locator("#nd-side").bounding_box()
        assert chat and right and side
        assert chat["y"] < right["y"] < side["y"], (chat, right, side)
        page.locator("#nd-chat .nd-mark").last.click()
        current = page.locator("#nd-article mark.nd-current")
        current.wait_for(timeout=WAIT_MS)
        expect(current).to_be_in_viewport(timeout=10_000)
        _shot(page, "07-phone-article")


def test_refusal_names_the_active_filter_and_search_lists_passages(open_page):
    page = open_page()
    page.locator("#nd-options").get_by_text("Options").click()
    _pick(page, "#nd-sources-filter", "SBS News")
    expect(page.locator("#nd-under")).to_contain_text("Searching only publisher SBS News", timeout=WAIT_MS)
    page.fill("#nd-from textarea", "2026-01-01")
    page.keyboard.press("Enter")
    expect(page.locator("#nd-under")).to_contain_text("publisher SBS News; dated from 2026-01-01",
                                                      timeout=WAIT_MS)
    expect(page.locator("#nd-options")).to_contain_text("filters on")
    _ask(page, "Who won the football match in Madrid?")
    text = _wait_answers(page, 1)
    assert "searched only publisher SBS News; dated from 2026-01-01" in text, text
    assert "closest passages are listed in the Sources panel" in text, text
    expect(page.locator("#nd-sources")).to_contain_text("No answer found")
    _shot(page, "08-refusal-with-filter")
    # search only: the retrieved passages with scores, no answer, all from the chosen publisher
    _ask(page, "prisoner exchange", button="#nd-search")
    _wait_answers(page, 2, word="Search")
    passages = _bot_messages(page).nth(1).locator(".nd-passage")
    assert passages.count() >= 1
    for p in passages.all():
        assert re.search(r"score \d\.\d{4}", p.inner_text())
        assert "SBS News" in p.inner_text()  # in the title or the meta line
    _shot(page, "09-search-only")
    page.click("#nd-clear")
    expect(page.locator("#nd-under")).to_contain_text("Searching all", timeout=WAIT_MS)
    expect(page.locator("#nd-options")).not_to_contain_text("filters on")


def test_saved_chats_survive_a_reload_and_reopen_with_citations(open_page):
    page = open_page()
    _ask(page, "Who mediated the February swap?")
    _wait_answers(page, 1)
    item = page.locator("#nd-chats .nd-chatitem")
    expect(item).to_have_count(1, timeout=WAIT_MS)
    expect(item.first).to_contain_text("Who mediated the February swap?")
    # rename
    item.first.locator(".nd-chat-rename").click()
    name = 'February swap <img src=x onerror="window.__xss=1">'  # the name field takes 80 characters
    page.locator("#nd-chats .nd-chat-input").fill(name)
    page.keyboard.press("Enter")
    expect(item.first.locator(".nd-chat-name")).to_have_text(name)
    # a second chat
    page.click("#nd-new")
    expect(_bot_messages(page)).to_have_count(0, timeout=WAIT_MS)
    _ask(page, "Which country facilitated the exchange of 146 prisoners of war?")
    _wait_answers(page, 1)
    expect(item).to_have_count(2, timeout=WAIT_MS)

    page.reload()
    page.wait_for_selector("#nd-question textarea", timeout=WAIT_MS)
    expect(item).to_have_count(2, timeout=WAIT_MS)
    expect(_bot_messages(page)).to_have_count(0)
    _shot(page, "10-saved-chats-after-reload")
    page.locator("#nd-chats .nd-chat-open", has_text="February swap").click()
    expect(page.locator("#nd-status")).to_contain_text("Reopened", timeout=WAIT_MS)
    expect(_bot_messages(page)).to_have_count(1)
    assert page.evaluate("window.__xss") is None
    marker = page.locator("#nd-chat .nd-mark").first
    marker.click()
    page.locator("#nd-article mark.nd-current").wait_for(timeout=WAIT_MS)
    _shot(page, "11-reopened-chat")
    # a follow-up in the reopened chat keeps the numbering of its quotes
    before = {c.get_attribute("data-doc") + c.get_attribute("data-start"): c.get_attribute("data-n")
              for c in page.locator("#nd-chat .nd-mark").all()}
    _ask(page, "How many prisoners did each side release in it?")
    _wait_answers(page, 2)
    for c in _bot_messages(page).nth(1).locator(".nd-mark").all():
        key = c.get_attribute("data-doc") + c.get_attribute("data-start")
        if key in before:
            assert c.get_attribute("data-n") == before[key]
    expect(item.filter(has_text="February swap").locator(".nd-chat-when")).to_contain_text("2 questions")
    # delete asks first; dismissing keeps it
    page.once("dialog", lambda d: d.dismiss())
    item.filter(has_text="Which country").locator(".nd-chat-del").click()
    expect(item).to_have_count(2)
    page.once("dialog", lambda d: d.accept())
    item.filter(has_text="Which country").locator(".nd-chat-del").click()
    expect(item).to_have_count(1)
    page.reload()
    page.wait_for_selector("#nd-question textarea", timeout=WAIT_MS)
    expect(item).to_have_count(1, timeout=WAIT_MS)


# -- documents -------------------------------------------------------------------------------------

def test_documents_upload_with_details_confirmed_delete_and_escaping(live, open_page, tmp_path):
    _, assistant = live
    page = open_page()
    other = open_page(context=page.context)  # a second tab of the same browser

    article = tmp_path / "quillton.md"
    article.write_text(
        "---\ntitle: Quillton zebra parade " + XSS + "\ndate: 2026-03-01\nsource: Quillton Gazette\n---\n"
        "SAMPLE ARTICLE written for this test.\n\n"
        "The Quillton zebra parade drew 12,000 visitors on Sunday, organisers said.\n\n"
        "Organisers printed the banner " + XSS + " on every float of the zebra parade.\n",
        encoding="utf-8")
    notes = tmp_path / "0f3c9a7be21d44aa.txt"
    notes.write_text("SAMPLE ARTICLE written for this test.\nThe Brindlewick ferry carried 418 passengers "
                     "across the lake on its first night crossing, the harbour master said.\n", encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")

    page.get_by_role("tab", name="Documents").click()
    status = page.locator("#nd-doc-status")
    # an upload with details: they apply to the files of that upload
    page.set_input_files("#nd-files input[type=file]", [str(notes), str(empty)])
    page.wait_for_timeout(500)
    page.fill("#nd-up-title textarea", "Brindlewick ferry night crossing")
    page.fill("#nd-up-date textarea", "2026-04-02")
    page.fill("#nd-up-source textarea", "Lakeside Courier")
    page.fill("#nd-up-url textarea", "https://example.org/ferry")
    page.click("#nd-upload")
    expect(status).to_contain_text(f"{notes.name}: added", timeout=WAIT_MS)
    expect(status).to_contain_text("empty.txt: not indexed: empty file")
    table = page.locator("#nd-docs")
    row = table.get_by_role("row").filter(has_text="Brindlewick ferry night crossing")
    expect(row).to_contain_text("2026-04-02", timeout=WAIT_MS)
    expect(row).to_contain_text("Lakeside Courier")
    _shot(page, "12-documents-upload-details")
    # the other tab learns about the new publisher without a reload
    other.get_by_role("tab", name="Documents").click()
    expect(other.locator("#nd-docs")).to_contain_text("Brindlewick ferry night crossing", timeout=WAIT_MS)
    other.get_by_role("tab", name="Chat").click()
    n_docs = len(assistant.list_documents())
    expect(other.locator("#nd-under")).to_contain_text(f"Searching all {n_docs} articles", timeout=WAIT_MS)

    # the uploaded details show in the citations and the article view
    page.get_by_role("tab", name="Chat").click()
    _ask(page, "How many passengers did the Brindlewick ferry carry?")
    text = _wait_answers(page, 1)
    assert "418" in text, text
    chip = page.locator("#nd-chat .nd-chip", has_text="Brindlewick ferry night crossing")
    expect(chip).to_contain_text("2026-04-02")
    expect(chip).to_contain_text("Lakeside Courier")
    chip.click()
    expect(page.locator("#nd-article .nd-article-head")).to_contain_text("Brindlewick ferry night crossing",
                                                                         timeout=WAIT_MS)
    expect(page.locator("#nd-article a")).to_have_attribute("href", "https://example.org/ferry")
    _shot(page, "13-uploaded-details-in-citations")

    # plain upload, unchanged re-upload; untrusted text shows as text, never runs
    page.get_by_role("tab", name="Documents").click()
    for f in ("#nd-up-title", "#nd-up-date", "#nd-up-source", "#nd-up-url"):
        page.fill(f"{f} textarea", "")
    page.set_input_files("#nd-files input[type=file]", [str(article)])
    page.wait_for_timeout(500)
    page.click("#nd-upload")
    expect(status).to_contain_text("quillton.md: added", timeout=WAIT_MS)
    expect(table).to_contain_text(XSS, timeout=WAIT_MS)
    page.set_input_files("#nd-files input[type=file]", [str(article)])
    page.wait_for_timeout(500)
    page.click("#nd-upload")
    expect(status).to_contain_text("quillton.md: unchanged", timeout=WAIT_MS)
    assert sum("Quillton" in d.title for d in assistant.list_documents()) == 1

    page.get_by_role("tab", name="Chat").click()
    page.click("#nd-new")
    page.locator("#nd-options").get_by_text("Options").click()
    _pick(page, "#nd-sources-filter", "Quillton Gazette")
    _ask(page, "What did organisers print on the floats of the Quillton zebra parade? " + XSS)
    text3 = _wait_answers(page, 1)
    expect(page.locator('#nd-chat [data-testid="user"]').first).to_contain_text(XSS)
    src = page.locator("#nd-sources .nd-art", has_text="Quillton").first
    expect(src).to_contain_text(XSS)
    expect(src.locator(".nd-meta")).to_contain_text("Quillton Gazette")
    src.locator(".nd-src").first.click()
    page.locator("#nd-article mark").first.wait_for(timeout=WAIT_MS)
    expect(page.locator("#nd-article")).to_contain_text(XSS)
    assert XSS in text3 or "banner" in text3, text3
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss") is None
    assert page.locator("#nd-chat img, #nd-sources img, #nd-article img, #nd-docs img, #nd-chats img").count() == 0
    _shot(page, "14-escaping")

    # delete asks for confirmation; cancel keeps the document; a second delete is explained
    page.get_by_role("tab", name="Documents").click()
    page.click("#nd-delete-pick input")
    page.keyboard.type("Quillton")
    option = page.get_by_role("option").filter(has_text="Quillton zebra parade").first
    expect(option).to_contain_text(XSS)
    assert page.locator('[role="listbox"] img').count() == 0
    option.click()
    page.click("#nd-delete")
    confirm = page.locator("#nd-confirm")
    expect(confirm).to_be_visible(timeout=WAIT_MS)
    expect(confirm).to_contain_text("Delete “Quillton zebra parade")
    _shot(page, "15-delete-confirmation")
    page.click("#nd-cancel-delete")
    expect(status).to_contain_text("Nothing deleted", timeout=WAIT_MS)
    assert [d for d in assistant.list_documents() if "Quillton" in d.title]
    page.click("#nd-delete")
    page.click("#nd-confirm-delete")
    expect(status).to_contain_text("Deleted “Quillton zebra parade", timeout=WAIT_MS)
    expect(table).not_to_contain_text("Quillton", timeout=WAIT_MS)
    assert not [d for d in assistant.list_documents() if "Quillton" in d.title]
    # the other tab still offers it: deleting it there is explained without raw ids
    other.get_by_role("tab", name="Documents").click()
    other.click("#nd-delete-pick input")
    other.keyboard.type("Brindlewick")
    other.get_by_role("option").filter(has_text="Brindlewick").first.click()
    doc = next(d for d in assistant.list_documents() if "Brindlewick" in d.title)
    assert assistant.delete_document(doc.doc_id)
    other.click("#nd-delete")
    expect(other.locator("#nd-doc-status")).to_contain_text("no longer in the index", timeout=WAIT_MS)
    assert doc.doc_id not in other.locator("#nd-doc-status").inner_text()
    assert page.evaluate("window.__xss") is None


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
