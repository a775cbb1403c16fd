"""Browser chat (Gradio 6), mounted at "/" on the FastAPI app; the only module that imports gradio.

Contract:
- `mount_ui(app, assistant, settings)` builds the `gr.Blocks` and mounts it at "/"; FastAPI routes
  added earlier (e.g. /api, /v1, /docs) keep precedence.
- `gradio_client.Client(url).predict(question, api_name="/ask")` returns `Answer.model_dump(mode="json")`
  (optional: `history`, `top_k`, `mode`). The UI's own events are private (not in the API page).
- Article text, titles and questions are untrusted: every piece of HTML built here escapes them with
  `html.escape`, and chat messages escape them for Markdown too, so markup shows as text.
- The page makes no request to another host: system fonts only, analytics and run history off.
"""

from __future__ import annotations

import html
import logging
import os
import re
from datetime import date
from typing import TYPE_CHECKING, Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr
from fastapi import FastAPI

from assistant.chat import Conversation, QuestionError
from assistant.types import Answer, Filters

if TYPE_CHECKING:
    from assistant.chat import Assistant
    from assistant.settings import Settings
    from index.store import DocRecord

log = logging.getLogger(__name__)

UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".json", ".jsonl"]
EXAMPLES = [
    "Who mediated the February swap?",
    "How many prisoners did each side release?",
    "What happened in the most recent exchange?",
]
DOC_HEADERS = ["Title", "Date", "Source", "Chunks", "File", "ID"]
# A browser table of tens of thousands of rows is slow to send and useless to scroll: the newest only.
UI_MAX_DOCS = 1000
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~$])")
_MARKER_MD = re.compile(r"\\\[(\d+)\\\]")
_BOLD_MD = re.compile(r"\\\*\\\*(.+?)\\\*\\\*")  # the answerer's own **bold** stays bold
_PLACEHOLDER_SOURCES = '<div class="nd-empty">Sources of the answer appear here.</div>'

CSS = """
.nd-sources { display: flex; flex-direction: column; gap: 8px; }
.nd-sources h4 { margin: 0 0 4px 0; }
.nd-src { text-align: left; cursor: pointer; border: 1px solid var(--border-color-primary); border-radius: 8px;
          padding: 8px 10px; background: var(--background-fill-secondary); color: var(--body-text-color);
          font: inherit; width: 100%; }
.nd-src:hover, .nd-src:focus { border-color: var(--color-accent); outline: none; }
.nd-n { font-weight: 700; margin-right: 4px; }
.nd-title { font-weight: 600; }
.nd-meta { display: block; font-size: 0.85em; opacity: 0.75; }
.nd-quote { display: block; margin-top: 4px; font-style: italic; }
.nd-note { font-size: 0.9em; opacity: 0.85; }
.nd-empty { opacity: 0.7; font-style: italic; }
.nd-article { white-space: pre-wrap; line-height: 1.5; padding: 0 14px 14px 14px; }
.nd-article mark { background: #ffe066; color: #111; padding: 0 2px; }
.nd-article-head { position: sticky; top: 0; background: var(--block-background-fill); padding: 10px 14px 6px 14px;
                   border-bottom: 1px solid var(--border-color-primary); margin-bottom: 6px;
                   box-shadow: 0 -24px 0 var(--block-background-fill); z-index: 1; }
.nd-article-head h3 { margin: 0; }
.nd-error { color: var(--error-text-color, #b91c1c); font-weight: 600; }
.nd-ok { color: var(--body-text-color); }
"""

# Clicks on a source card send its article/offsets to Python (`gr.HTML.click` with event data).
_SOURCES_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('[data-doc]');
  if (!b || !element.contains(b)) return;
  trigger('click', {doc: b.dataset.doc, start: b.dataset.start, end: b.dataset.end, n: b.dataset.n});
});
"""
_ARTICLE_JS = """
const show = () => {
  const m = element.querySelector('mark');
  if (m) setTimeout(() => m.scrollIntoView({block: 'center', behavior: 'instant'}), 50);
};
watch('value', show);
show();
"""


# -- rendering helpers (pure) --------------------------------------------------------------------
def md_text(text: str) -> str:
    """Escape untrusted text for a Markdown+HTML chat message: shows literally, renders no markup."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _meta(title: str, date_: str, source: str) -> list[str]:
    return [x for x in (title, date_, source) if x]


def answer_markdown(answer: Answer) -> str:
    """The chat message for a final answer: text with bold [n] markers, notices, then its sources."""
    body = _BOLD_MD.sub(r"**\1**", _MARKER_MD.sub(r"**\\[\1\\]**", md_text(answer.answer)))
    parts = [body]
    if answer.notice:
        parts.append(f"*{md_text(answer.notice)}*")
    if answer.unsupported:
        parts.append("*Not supported by the cited passages:* " + " · ".join(md_text(s) for s in answer.unsupported))
    if answer.citations:
        lines = ["**Sources**"]
        for c in answer.citations:
            meta = " · ".join(md_text(x) for x in _meta(c.title or c.file_name, c.date, c.source))
            extra = f" (same wording as \\[{c.duplicate_of}\\])" if c.duplicate_of is not None else ""
            lines.append(f"- **\\[{c.n}\\]** {meta}{extra}")
        parts.append("\n".join(lines))
    elif answer.abstained and answer.passages:
        parts.append("*The closest passages are shown under Sources.*")
    return "\n\n".join(parts)


def _card(n: str, doc_id: str, start: int, end: int, title: str, date_: str, source: str, quote: str,
          note: str = "") -> str:
    e = html.escape
    meta = " · ".join(e(x) for x in (date_, source) if x)
    return (
        f'<button type="button" class="nd-src" data-doc="{e(doc_id)}" data-start="{start}" data-end="{end}"'
        f' data-n="{e(n)}">'
        f'<span class="nd-n">{e(n)}</span><span class="nd-title">{e(title)}</span>'
        f'<span class="nd-meta">{meta}{e(note)}</span>'
        f'<span class="nd-quote">“{e(quote)}”</span></button>'
    )


def sources_html(answer: Answer | None, max_passages: int = 3, passage_chars: int = 320) -> str:
    """Clickable source cards of one answer; for an abstention, the closest passages instead."""
    if answer is None:
        return _PLACEHOLDER_SOURCES
    cards: list[str] = []
    if answer.citations:
        head = "<h4>Sources</h4>"
        for c in answer.citations:
            note = f" · same wording as [{c.duplicate_of}]" if c.duplicate_of is not None else ""
            cards.append(_card(f"[{c.n}]", c.doc_id, c.start, c.end, c.title or c.file_name, c.date, c.source,
                               c.quote, note))
    elif answer.passages:
        head = ('<h4>No answer found</h4><div class="nd-note">The articles do not answer this question. '
                "Closest passages:</div>")
        for i, p in enumerate(answer.passages[:max_passages], 1):
            text = p.text if len(p.text) <= passage_chars else p.text[:passage_chars].rstrip() + "…"
            cards.append(_card(f"#{i}", p.doc_id, p.start, p.end, p.title or p.file_name, p.date, p.source, text))
    else:
        return '<div class="nd-sources"><h4>No sources</h4><div class="nd-note">Nothing was retrieved.</div></div>'
    return '<div class="nd-sources">' + head + "".join(cards) + "</div>"


def article_html(title: str, date_: str, source: str, url: str, text: str, start: int, end: int,
                 label: str = "") -> str:
    """The article with `text[start:end]` in <mark>; everything escaped. Bad offsets: no highlight."""
    e = html.escape
    meta = " · ".join(e(x) for x in (date_, source) if x)
    link = ""
    if url.startswith(("http://", "https://")):
        link = f' · <a href="{e(url)}" target="_blank" rel="noopener noreferrer nofollow">original</a>'
    head = (f'<div class="nd-article-head"><h3>{e(label + " " if label else "")}{e(title)}</h3>'
            f'<div class="nd-meta">{meta}{link}</div></div>')
    if 0 <= start < end <= len(text):
        body = e(text[:start]) + '<mark class="nd-hl">' + e(text[start:end]) + "</mark>" + e(text[end:])
    else:
        body = e(text)
    return head + '<div class="nd-article">' + body + "</div>"


def status_html(message: str, error: bool = False) -> str:
    if not message:
        return ""
    cls = "nd-error" if error else "nd-ok"
    return f'<div class="{cls}">' + html.escape(message).replace("\n", "<br>") + "</div>"


def lines_html(lines: list[tuple[str, bool]]) -> str:
    """One status line per (message, is_error), each escaped."""
    return "".join(f'<div class="{"nd-error" if bad else "nd-ok"}">{html.escape(text)}</div>' for text, bad in lines)


def parse_date(value: str, label: str) -> date | None:
    """'' -> None; YYYY-MM-DD -> date; anything else raises QuestionError naming the field."""
    v = (value or "").strip()
    if not v:
        return None
    try:
        return date.fromisoformat(v)
    except ValueError:
        raise QuestionError(f"{label}: {v!r} is not a date; use YYYY-MM-DD.") from None


def make_filters(sources: list[str] | None, date_from: str, date_to: str) -> Filters:
    d_from, d_to = parse_date(date_from, "From date"), parse_date(date_to, "To date")
    if d_from and d_to and d_from > d_to:
        raise QuestionError(f"From date {d_from} is after To date {d_to}.")
    return Filters(sources=list(sources or []), date_from=d_from, date_to=d_to)


def upload_line(name: str, report: Any) -> tuple[str, bool]:
    """One human line per uploaded file from its `IngestReport`; (text, is_error)."""
    if report.skipped:
        return f"{name}: not indexed: " + "; ".join(s.reason if s.file == name else str(s)
                                                     for s in report.skipped), True
    parts = []
    for key, word in (("added", "added"), ("replaced", "updated"), ("unchanged", "unchanged"),
                      ("aliased", "unchanged (same text already indexed)")):
        n = len(getattr(report, key))
        if n:
            parts.append(f"{n} {word}" if n > 1 else word)
    return f"{name}: " + (", ".join(parts) or "nothing to index"), False


# -- the app -------------------------------------------------------------------------------------
def _theme() -> gr.themes.Base:
    return gr.themes.Default(
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    )


def build_blocks(assistant: Assistant, settings: Settings) -> gr.Blocks:
    """The whole page: Chat tab (chat, sources, article panel, controls) and Documents tab."""

    # Each refresh lists the documents once (a version check when nothing changed).
    def doc_rows(docs: list[DocRecord]) -> list[list[Any]]:
        return [[d.title, d.date, d.source, d.n_chunks, d.file_name, d.doc_id] for d in docs[:UI_MAX_DOCS]]

    def doc_label(docs: list[DocRecord]) -> str:
        if len(docs) <= UI_MAX_DOCS:
            return f"Indexed documents ({len(docs):,})"
        return f"Indexed documents: the newest {UI_MAX_DOCS:,} of {len(docs):,} (GET /api/documents pages through all)"

    def doc_choices(docs: list[DocRecord]) -> list[tuple[str, str]]:
        return [(f"{d.title or d.file_name} ({d.date or 'no date'}, {d.file_name})", d.doc_id)
                for d in docs[:UI_MAX_DOCS]]

    def refreshed() -> tuple[Any, Any, Any]:
        docs = assistant.list_documents()
        return (gr.update(value=doc_rows(docs), label=doc_label(docs)),
                gr.update(choices=doc_choices(docs), value=None), gr.update(choices=assistant.sources()))

    # -- chat ------------------------------------------------------------------------------
    def respond(question: str, history: list[dict[str, Any]], conv: Conversation, answers: list[Any],
                sources: list[str], date_from: str, date_to: str, top_k: float, mode: str):
        history = list(history or [])
        answers = list(answers or [])
        try:
            q = assistant.check_question(question)
            filters = make_filters(sources, date_from, date_to)
            k = assistant.check_top_k(int(top_k)) if top_k else None
        except QuestionError as e:
            yield history, gr.update(), status_html(str(e), error=True), gr.update(), conv, answers
            return
        history += [{"role": "user", "content": md_text(q)}, {"role": "assistant", "content": "…"}]
        yield history, "", "", gr.update(), conv, answers
        text = ""
        try:
            for item in assistant.stream(q, filters=filters, top_k=k, mode=mode or None, conversation=conv):
                if isinstance(item, Answer):
                    answers.append(item)
                    history[-1] = {"role": "assistant", "content": answer_markdown(item)}
                    done = f"Answer {len(answers)} · {item.latency_ms / 1000:.1f} s · {item.mode}"
                    yield history, "", status_html(done), sources_html(item), conv, answers
                else:
                    text += item
                    history[-1] = {"role": "assistant", "content": md_text(text)}
                    yield history, "", "", gr.update(), conv, answers
        except QuestionError as e:
            history = history[:-2]
            yield history, q, status_html(str(e), error=True), gr.update(), conv, answers
        except Exception as e:  # keep the page usable; the reason goes to the log
            log.exception("answering failed")
            answers.append(None)
            history[-1] = {"role": "assistant", "content": md_text(f"Sorry, answering failed ({type(e).__name__}).")}
            yield history, "", status_html(f"Answering failed: {type(e).__name__}: {e}", error=True), \
                gr.update(), conv, answers

    def new_chat():
        return [], Conversation(), [], _PLACEHOLDER_SOURCES, gr.update(value="", visible=False), \
            gr.update(visible=False), "", ""

    def select_message(answers: list[Any], evt: gr.SelectData):
        idx = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        if not isinstance(idx, int):
            return gr.update()
        # Assistant messages are every second message; answers[i] belongs to the i-th of them.
        i = idx // 2
        if idx % 2 == 1 and 0 <= i < len(answers or []) and answers[i] is not None:
            return sources_html(answers[i])
        return gr.update()

    def open_source(evt: gr.EventData):
        data = evt._data if isinstance(evt._data, dict) else {}
        doc_id = str(data.get("doc") or "")
        try:
            start, end = int(data.get("start", -1)), int(data.get("end", -1))
        except (TypeError, ValueError):
            start, end = -1, -1
        rec = assistant.get_document(doc_id) if doc_id else None
        if rec is None:
            return gr.update(value=status_html("That article is no longer indexed.", error=True), visible=True), \
                gr.update(visible=True)
        page = article_html(rec.title or rec.file_name, rec.date, rec.source, rec.url, rec.text or "",
                            start, end, str(data.get("n") or ""))
        return gr.update(value=page, visible=True), gr.update(visible=True)

    def close_article():
        return gr.update(value="", visible=False), gr.update(visible=False)

    # -- documents -------------------------------------------------------------------------
    def upload(files: list[str] | None, progress=gr.Progress()):  # noqa: B008 (gradio injects it)
        from gradio.utils import get_upload_folder

        from assistant.auth import uploaded_files
        from index.loaders import safe_file_name

        if not files:
            return (status_html("Choose one or more files first.", error=True), *refreshed(), gr.update())
        # Only files Gradio received (its upload folder), never another server path; count and size capped.
        paths, refused = uploaded_files([str(f) for f in files], get_upload_folder(), settings.max_upload_files,
                                        settings.max_file_bytes)
        lines: list[tuple[str, bool]] = [(f"{safe_file_name(n)}: {why}", True) for n, why in refused]
        for i, p in enumerate(paths):
            name = safe_file_name(p.name)
            progress((i, len(paths)), desc=f"Indexing {name}", unit="files")
            try:
                report = assistant.ingest_upload(name, p.read_bytes(), max_bytes=settings.max_file_bytes)
                line, bad = upload_line(name, report)
            except Exception:  # a broken file must not break the page; the reason goes to the log only
                log.exception("upload of %s failed", name)
                line, bad = f"{name}: not indexed: an unexpected error (details in the server log)", True
            lines.append((line, bad))
        progress((len(paths), len(paths)), desc="Done", unit="files")
        return (lines_html(lines), *refreshed(), None)

    def delete(doc_id: str | None):
        if not doc_id:
            return (status_html("Choose a document to delete.", error=True), *refreshed())
        rec = assistant.get_document(doc_id)
        name = (rec.title or rec.file_name) if rec else doc_id
        existed = assistant.delete_document(doc_id)
        msg = f"Deleted {name}." if existed else f"{name} was not indexed."
        return (status_html(msg, error=not existed), *refreshed())

    def on_load():
        return refreshed()

    # -- programmatic ----------------------------------------------------------------------
    def ask(question: str, history: list[str] | None = None, top_k: int | None = None,
            mode: str | None = None) -> dict[str, Any]:
        """Answer one question; returns the answer object (same as `app.py ask --json`)."""
        try:
            answer = assistant.ask(question, history=history or [], top_k=top_k, mode=mode or None)
        except QuestionError as e:
            raise gr.Error(str(e)) from None
        return answer.model_dump(mode="json")

    llm_note = "" if assistant.llm_available else " (LLM: not configured)"
    private: dict[str, Any] = {"api_visibility": "private"}
    with gr.Blocks(title="Newsdesk", analytics_enabled=False, fill_width=True) as demo:
        conv = gr.State(Conversation())
        answers = gr.State([])
        gr.Markdown("## Newsdesk\nAsk about the indexed news articles. Every answer quotes its sources; "
                    "click a source to read it in the article.")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=5, min_width=360):
                    chatbot = gr.Chatbot(
                        label="Chat", elem_id="nd-chat", height=460, sanitize_html=True,
                        render_markdown=True, latex_delimiters=[], allow_tags=False,
                        feedback_options=None, buttons=["copy"], autoscroll=True,
                        placeholder="Ask a question about the articles, e.g. *Who mediated the February swap?*",
                    )
                    status = gr.HTML("", elem_id="nd-status")
                    with gr.Row():
                        question = gr.Textbox(label="Question", placeholder="Type a question and press Enter",
                                              elem_id="nd-question", scale=6, lines=1, max_lines=4,
                                              max_length=max(assistant.max_question_chars * 4, 4000))
                        ask_btn = gr.Button("Ask", variant="primary", elem_id="nd-ask", scale=1, min_width=80)
                        new_btn = gr.Button("New chat", elem_id="nd-new", scale=1, min_width=80)
                    gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[question], label="Examples")
                    with gr.Accordion("Options", open=False, elem_id="nd-options"):
                        with gr.Row():
                            src_filter = gr.Dropdown(choices=assistant.sources(), value=[], multiselect=True,
                                                     label="Sources", info="Only these publishers (empty = all)",
                                                     elem_id="nd-sources-filter")
                            date_from = gr.Textbox(label="From date", placeholder="YYYY-MM-DD", elem_id="nd-from")
                            date_to = gr.Textbox(label="To date", placeholder="YYYY-MM-DD", elem_id="nd-to")
                        with gr.Row():
                            top_k = gr.Slider(1, max(1, min(assistant.max_top_k, 20)), step=1,
                                              value=assistant.top_k, label="Passages to retrieve",
                                              elem_id="nd-topk")
                            mode = gr.Radio(["extractive", "llm"], label=f"Answer mode{llm_note}",
                                            value="llm" if assistant.llm_available and
                                            assistant.default_mode == "llm" else "extractive",
                                            interactive=assistant.llm_available, elem_id="nd-mode")
                with gr.Column(scale=4, min_width=320):
                    sources = gr.HTML(_PLACEHOLDER_SOURCES, elem_id="nd-sources", js_on_load=_SOURCES_JS,
                                      max_height=420, container=True, padding=True)
                    with gr.Group(visible=False) as article_box:
                        close_btn = gr.Button("Close article", size="sm", elem_id="nd-close")
                        article = gr.HTML("", elem_id="nd-article", js_on_load=_ARTICLE_JS, max_height=520,
                                          container=True, padding=False)
            with gr.Tab("Documents", id="docs"):
                files = gr.File(label="Upload articles (txt, md, html, json, jsonl)", file_count="multiple",
                                file_types=UPLOAD_TYPES, elem_id="nd-files", type="filepath")
                upload_btn = gr.Button("Add to index", variant="primary", elem_id="nd-upload")
                doc_status = gr.HTML("", elem_id="nd-doc-status")
                docs = assistant.list_documents()
                table = gr.Dataframe(value=doc_rows(docs), headers=DOC_HEADERS, interactive=False, wrap=True,
                                     label=doc_label(docs), elem_id="nd-docs", datatype="str",
                                     column_widths=["38%", "11%", "15%", "8%", "16%", "12%"], max_height=420,
                                     show_search="search")
                with gr.Row():
                    to_delete = gr.Dropdown(choices=doc_choices(docs), label="Document", elem_id="nd-delete-pick",
                                            scale=4)
                    delete_btn = gr.Button("Delete document", variant="stop", elem_id="nd-delete", scale=1)

        chat_in = [question, chatbot, conv, answers, src_filter, date_from, date_to, top_k, mode]
        chat_out = [chatbot, question, status, sources, conv, answers]
        question.submit(respond, chat_in, chat_out, **private)
        ask_btn.click(respond, chat_in, chat_out, **private)
        new_btn.click(new_chat, None, [chatbot, conv, answers, sources, article, article_box, status, question],
                      **private)
        chatbot.clear(new_chat, None, [chatbot, conv, answers, sources, article, article_box, status, question],
                      **private)
        chatbot.select(select_message, [answers], [sources], **private)
        sources.click(open_source, None, [article, article_box], **private)
        close_btn.click(close_article, None, [article, article_box], **private)
        upload_btn.click(upload, [files], [doc_status, table, to_delete, src_filter, files],
                         concurrency_limit=1, **private)
        delete_btn.click(delete, [to_delete], [doc_status, table, to_delete, src_filter],
                         concurrency_limit=1, **private)
        demo.load(on_load, None, [table, to_delete, src_filter], **private)
        gr.api(ask, api_name="ask")
    demo.queue(default_concurrency_limit=4, max_size=256)
    return demo


def mount_ui(app: FastAPI, assistant: Assistant, settings: Settings) -> FastAPI:
    """Mount the browser chat at "/" of `app` and return `app`.

    Access control comes from `app` (`assistant.auth.secure_app`, installed by `build_api`): with
    an API token every Gradio route needs it. Here: uploads are limited to
    `settings.max_file_bytes` per file (and by `build_api` to `settings.max_upload_files` files a
    request), the server's own files (store, token file, project) are blocked, and event payloads
    may only name files in Gradio's upload folder."""
    from assistant.auth import blocked_paths, gradio_user

    demo = build_blocks(assistant, settings)
    mounted = gr.mount_gradio_app(
        app, demo, path="/", server_name=settings.host, server_port=settings.port,
        footer_links=["api", "settings"], run_history=False, ssr_mode=False, mcp_server=False, pwa=False,
        theme=_theme(), css=CSS, show_error=False,
        max_file_size=settings.max_file_bytes, allowed_paths=[], blocked_paths=blocked_paths(settings),
        auth_dependency=gradio_user if settings.resolved_api_token() else None,
    )
    # Gradio checks that a FileData path in an event payload is a file it received (its upload
    # folder) only for apps it launched itself (`processing_utils._check_allowed` returns early
    # otherwise), so a mounted app accepted any server path. Declare this one launched.
    demo.has_launched = True
    return mounted
