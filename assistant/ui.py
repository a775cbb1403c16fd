"""Browser chat (Gradio 6), mounted at "/" on the FastAPI app; the only module that imports gradio.

Contract:
- `mount_ui(app, assistant, settings)` builds the `gr.Blocks` and mounts it at "/"; FastAPI routes
  added earlier (e.g. /api, /v1, /docs) keep precedence.
- `gradio_client.Client(url).predict(question, api_name="/ask")` returns `Answer.model_dump(mode="json")`
  (optional: `history`, `top_k`, `mode`). The UI's own events are private (not in the API page).
- Article text, titles, questions and saved chats are untrusted: all HTML is built by
  `assistant.ui_html`, which escapes them, so markup shows as text.
- The page makes no request to another host: system fonts only, analytics and run history off.
- Saved chats live in the browser's localStorage (one key per chat, plain JSON), or with an API
  token on the server (`ChatStore`: `settings.chats_dir`, default `<store>/chats`), where the page
  sends only chat ids and names and every event passes the token gate. Not `gr.BrowserState`: it
  holds one value read once at page load, so two tabs of one browser overwrite each other's chats,
  and its default per-start secret makes every chat unreadable after a server restart (its secret
  is sent to the page anyway, so the encryption protects nothing).
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr
from fastapi import FastAPI
from pydantic import ValidationError

from assistant.chat import Conversation, QuestionError
from assistant.types import Answer, Filters
from assistant.ui_html import (
    PLACEHOLDER_SOURCES,
    Turn,
    article_html,
    chat_html,
    display_title,
    quote_spans,
    scope_text,
    sources_html,
)

if TYPE_CHECKING:
    from assistant.chat import Assistant
    from assistant.settings import Settings
    from index.store import DocRecord

log = logging.getLogger(__name__)


def failure_reason(e: Exception) -> str:
    """What a person may be told about an unexpected failure: plain words, never exception names,
    hosts or paths (those go to the server log)."""
    from index.store import StoreUnavailableError

    if isinstance(e, StoreUnavailableError):
        return "the article store is not reachable right now, please try again shortly"
    return "an internal error (the details are in the server log)"

UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".json", ".jsonl"]
EXAMPLES = [
    "Who mediated the February swap?",
    "How many prisoners did each side release?",
    "What happened in the most recent exchange?",
]
DOC_HEADERS = ["Title", "Date", "Publisher", "Chunks", "File", "ID"]
# A browser table of tens of thousands of rows is slow to send and useless to scroll: the newest only.
UI_MAX_DOCS = 1000
# Other tabs learn about uploads and deletions by polling the store's version (one small request).
POLL_SECONDS = 10.0
# A saved chat the browser sends back is checked before use: at most this many turns and bytes.
MAX_SAVED_TURNS = 200
MAX_SAVED_BYTES = 4_000_000
# Chats kept on the server (with an API token) and the length of a chat's name.
MAX_SERVER_CHATS = 1000
MAX_CHAT_TITLE = 80
_PLACEHOLDER_SOURCES = PLACEHOLDER_SOURCES

CSS = """
/* chat log: our own scroll box, so the newest answer can be brought into view at its first line */
#nd-chat { padding: 0; }
.nd-log { position: relative; overflow-y: auto; height: min(62vh, 620px); min-height: 240px; padding: 10px;
          display: flex; flex-direction: column; gap: 12px; border: 1px solid var(--border-color-primary);
          border-radius: 10px; background: var(--background-fill-primary); }
.nd-turn { display: flex; flex-direction: column; gap: 6px; }
.nd-msg { border-radius: 10px; padding: 8px 12px; line-height: 1.5; overflow-wrap: anywhere; }
.nd-user { align-self: flex-end; max-width: 85%; background: var(--color-accent-soft);
           white-space: pre-wrap; }
.nd-bot { align-self: stretch; background: var(--background-fill-secondary); border: 1px solid transparent;
          cursor: default; }
.nd-bot.nd-active { border-color: var(--color-accent); }
.nd-text { white-space: pre-wrap; }
.nd-lead { margin: 0 0 4px 0; }
.nd-pending { opacity: 0.7; font-style: italic; }
.nd-failed { color: var(--error-text-color, #b91c1c); }
.nd-refusal { margin: 0; }
.nd-notice { font-size: 0.9em; opacity: 0.85; margin-top: 6px; }
.nd-notice ul { margin: 2px 0 0 18px; }
.nd-mark { display: inline; border: none; background: none; padding: 0 1px; margin: 0; font: inherit;
           font-weight: 700; color: var(--color-accent); cursor: pointer; text-decoration: underline dotted; }
.nd-mark:hover, .nd-mark:focus-visible { background: var(--color-accent-soft); outline: 2px solid var(--color-accent); }
.nd-chips { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
.nd-chip { border: 1px solid var(--border-color-primary); border-radius: 999px; padding: 3px 10px;
           background: var(--background-fill-primary); color: var(--body-text-color); font: inherit;
           font-size: 0.85em; cursor: pointer; text-align: left; max-width: 100%; }
.nd-chip:hover, .nd-chip:focus-visible { border-color: var(--color-accent); outline: 2px solid var(--color-accent); }
.nd-chip-n { font-weight: 700; }
.nd-chip-meta { opacity: 0.7; }
.nd-welcome { margin: auto 0; text-align: center; opacity: 0.9; }
.nd-examples { display: flex; flex-wrap: wrap; justify-content: center; gap: 8px; margin-top: 8px; }
.nd-example { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 6px 10px;
              background: var(--background-fill-secondary); color: var(--body-text-color); font: inherit;
              cursor: pointer; }
.nd-example:hover, .nd-example:focus-visible { border-color: var(--color-accent); }
.nd-narrow { display: none; }
@media (max-width: 768px) { .nd-wide { display: none; } .nd-narrow { display: inline; } }
/* question row */
#nd-new, #nd-ask, #nd-search { white-space: nowrap; }
.nd-under { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 0.85em; opacity: 0.85; padding: 0 4px; }
.nd-count.nd-over { color: var(--error-text-color, #b91c1c); font-weight: 600; opacity: 1; }
.nd-scope-on { font-weight: 600; }
/* sources panel and evidence */
.nd-sources { display: flex; flex-direction: column; gap: 8px; }
.nd-sources h4 { margin: 0 0 4px 0; }
.nd-art { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px;
          background: var(--background-fill-secondary); display: flex; flex-direction: column; gap: 4px; }
.nd-art-head { display: flex; flex-direction: column; }
.nd-src { text-align: left; cursor: pointer; border: 1px solid transparent; border-radius: 6px;
          padding: 4px 6px; background: none; color: var(--body-text-color); font: inherit; width: 100%; }
.nd-passage { border-color: var(--border-color-primary); background: var(--background-fill-secondary); padding: 8px 10px; }
.nd-src:hover, .nd-src:focus-visible { border-color: var(--color-accent); outline: 2px solid var(--color-accent); }
.nd-n { font-weight: 700; margin-right: 4px; }
.nd-title { font-weight: 600; }
.nd-meta { display: block; font-size: 0.85em; opacity: 0.75; }
.nd-quote { display: inline; font-style: italic; }
.nd-passage .nd-quote { display: block; margin-top: 4px; }
.nd-score { float: right; font-size: 0.8em; opacity: 0.8; display: inline-flex; gap: 4px; align-items: center; }
.nd-bar { display: inline-block; width: 48px; height: 6px; border-radius: 3px; background: var(--border-color-primary); }
.nd-bar span { display: block; height: 100%; border-radius: 3px; background: var(--color-accent); }
.nd-evidence summary { cursor: pointer; font-size: 0.9em; margin: 4px 0; }
.nd-note { font-size: 0.9em; opacity: 0.85; }
.nd-empty { opacity: 0.7; font-style: italic; }
/* article view */
.nd-article { white-space: pre-wrap; line-height: 1.5; padding: 0 14px 14px 14px; }
.nd-article mark { background: #fff3b0; color: #111; padding: 0 2px; }
.nd-article mark.nd-current { background: #ffe066; outline: 2px solid #e0a800; }
.nd-article-head { position: sticky; top: 0; background: var(--block-background-fill); padding: 10px 14px 6px 14px;
                   border-bottom: 1px solid var(--border-color-primary); margin-bottom: 6px;
                   box-shadow: 0 -24px 0 var(--block-background-fill); z-index: 1; }
.nd-article-head h3 { margin: 0; }
#nd-close { align-self: flex-end; }
/* saved chats */
.nd-chats h4 { margin: 0 0 6px 0; }
.nd-chatlist { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px;
               max-height: 300px; overflow-y: auto; }
.nd-chatitem { display: flex; gap: 2px; align-items: stretch; border-radius: 6px; }
.nd-chatitem.nd-current { background: var(--color-accent-soft); }
.nd-chatitem button { border: none; background: none; color: var(--body-text-color); font: inherit; cursor: pointer;
                      border-radius: 6px; padding: 4px 6px; }
.nd-chatitem button:hover, .nd-chatitem button:focus-visible { background: var(--background-fill-secondary);
                                                               outline: 2px solid var(--color-accent); }
.nd-chat-open { flex: 1; text-align: left; min-width: 0; }
.nd-chat-name { display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.nd-chat-when { display: block; font-size: 0.8em; opacity: 0.7; }
.nd-chat-input { flex: 1; font: inherit; padding: 4px 6px; }
.nd-chats-empty { font-size: 0.9em; opacity: 0.7; font-style: italic; }
/* documents */
.nd-error { color: var(--error-text-color, #b91c1c); font-weight: 600; }
.nd-ok { color: var(--body-text-color); }
#nd-confirm { border: 2px solid var(--error-border-color, #ef4444); border-radius: 8px; padding: 8px; }
/* phone: the Sources come right under the chat; saved chats and options after them */
@media (max-width: 768px) {
  #nd-main { order: 1; } #nd-right { order: 2; } #nd-side { order: 3; }
  .nd-log { height: 58vh; }
}
"""

# The chat log's behaviour. Clicks: a number, chip or passage opens its quote ("cite"); any other
# click on an answer shows that answer's sources ("pick"); an example is typed and sent. When a turn
# starts or finishes (data-key changes), the newest question and the first line of its answer are
# brought into view, in the log and on the page (phones scroll the page). Escape closes the article.
_CHAT_JS = """
const ask = (q) => {
  const ta = document.querySelector('#nd-question textarea');
  if (!ta) return;
  ta.value = q;
  ta.dispatchEvent(new Event('input', {bubbles: true}));
  setTimeout(() => { const b = document.querySelector('#nd-ask'); if (b) b.click(); }, 60);
};
element.addEventListener('click', (e) => {
  const ex = e.target.closest('.nd-example');
  if (ex && element.contains(ex)) { ask(ex.dataset.q || ''); return; }
  const b = e.target.closest('[data-doc]');
  if (b && element.contains(b)) {
    trigger('cite', {turn: b.dataset.turn, doc: b.dataset.doc, start: b.dataset.start, end: b.dataset.end,
                     n: b.dataset.n});
    return;
  }
  const m = e.target.closest('.nd-bot');
  if (m && element.contains(m) && !e.target.closest('summary') && !String(window.getSelection() || '')) {
    trigger('pick', {turn: m.dataset.turn});
  }
});
let seen = null;
const place = () => {
  const log = element.querySelector('.nd-log');
  if (!log || log.dataset.key === seen) return;
  seen = log.dataset.key;
  const turns = log.querySelectorAll('.nd-turn');
  const last = turns[turns.length - 1];
  if (!last) { log.scrollTop = 0; return; }
  const user = last.querySelector('.nd-user'), bot = last.querySelector('.nd-bot');
  const lead = Math.min(user.offsetHeight + 16, log.clientHeight / 3);
  log.scrollTop = Math.max(0, bot.offsetTop - lead);
  const top = bot.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight - 96) {
    window.scrollBy({top: top - Math.min(lead + 24, window.innerHeight / 3), behavior: 'instant'});
  }
};
watch('value', place);
place();
if (!window.__ndEscape) {
  window.__ndEscape = true;
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.defaultPrevented) return;
    const close = document.querySelector('#nd-close');
    if (close && close.offsetParent !== null) close.click();
  });
}
"""
# Clicks on a source or passage in the Sources panel open it in the article view.
_SOURCES_JS = """
element.addEventListener('click', (e) => {
  const b = e.target.closest('[data-doc]');
  if (!b || !element.contains(b) || b.classList.contains('nd-art')) return;
  trigger('cite', {turn: b.dataset.turn, doc: b.dataset.doc, start: b.dataset.start, end: b.dataset.end,
                   n: b.dataset.n});
});
"""
_ARTICLE_JS = """
const show = () => {
  const m = element.querySelector('mark.nd-current') || element.querySelector('mark');
  if (m) setTimeout(() => m.scrollIntoView({block: 'center', behavior: 'instant'}), 50);
};
watch('value', show);
show();
"""
# The question's length against the server's limit, counted as the server counts (trimmed, code
# points); updated on typing and twice a second (the page also sets the box without an input event).
_UNDER_JS = """
const limit = Number(props.limit) || 0;
const fmt = (n) => n.toLocaleString('en-US');
const count = () => {
  const ta = document.querySelector('#nd-question textarea');
  const el = element.querySelector('.nd-count');
  if (!ta || !el) return;
  const n = [...ta.value.trim()].length;
  const over = limit > 0 && n > limit;
  el.textContent = `${fmt(n)} / ${fmt(limit)} characters` + (over ? ` (${fmt(n - limit)} too many)` : '');
  el.classList.toggle('nd-over', over);
};
document.addEventListener('input', (e) => {
  if (e.target && e.target.closest && e.target.closest('#nd-question')) count();
});
setInterval(count, 500);
watch('value', count);
count();
"""
# Saved chats: one localStorage key per chat (the record) and one for its list entry (title, time),
# so two tabs never overwrite each other's chats; the list follows other tabs through 'storage'
# events. Python sends {current, save} as this component's value after every answer; opening a
# chat sends its record back ("open_chat"); deleting the open chat starts a new one ("deleted_chat").
# When the server keeps the chats (API token set), Python sends {current, chats: [list entries]}
# instead, and opening, renaming and deleting send only the chat's id (and new name) to the server.
# Titles are set with textContent, never as HTML.
_CHATS_JS = """
const CHAT = 'newsdesk.chat.v1.', META = 'newsdesk.chatmeta.v1.';
let current = null, remote = null;  // remote: the server's list, when the server keeps the chats
let editing = false;  // a name is being typed: the list is redrawn when it is done, not under the cursor
const localMeta = (id) => { try { return JSON.parse(localStorage.getItem(META + id) || 'null'); } catch (e) { return null; } };
const readMeta = (id) => remote ? (remote.find((m) => m.id === id) || null) : localMeta(id);
const metas = () => {
  if (remote) return [...remote].sort((a, b) => (b.updated || 0) - (a.updated || 0));
  const out = [];
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k && k.startsWith(META)) { const m = localMeta(k.slice(META.length)); if (m && m.id) out.push(m); }
  }
  return out.sort((a, b) => (b.updated || 0) - (a.updated || 0));
};
const drop = (id) => { localStorage.removeItem(CHAT + id); localStorage.removeItem(META + id); };
const button = (cls, text, label) => {
  const b = document.createElement('button');
  b.type = 'button'; b.className = cls; b.textContent = text;
  if (label) { b.setAttribute('aria-label', label); b.title = label; }
  return b;
};
const render = () => {
  const ul = element.querySelector('.nd-chatlist');
  if (!ul || editing) return;
  const all = metas();
  ul.replaceChildren();
  const empty = element.querySelector('.nd-chats-empty');
  if (empty) empty.hidden = all.length > 0;
  for (const m of all) {
    const li = document.createElement('li');
    li.className = 'nd-chatitem' + (m.id === current ? ' nd-current' : '');
    li.dataset.id = m.id;
    const open = button('nd-chat-open', '', null);
    const name = document.createElement('span'); name.className = 'nd-chat-name'; name.textContent = m.title || 'Untitled chat';
    const when = document.createElement('span'); when.className = 'nd-chat-when';
    const n = m.turns || 0;
    when.textContent = new Date(m.updated || 0).toLocaleString() + ` · ${n} question${n === 1 ? '' : 's'}`;
    open.append(name, when);
    li.append(open, button('nd-chat-rename', '✎', `Rename chat: ${m.title}`),
              button('nd-chat-del', '✕', `Delete chat: ${m.title}`));
    ul.append(li);
  }
};
const save = (raw) => {
  let msg = null;
  try { msg = JSON.parse(raw || 'null'); } catch (e) { return; }
  if (!msg) return;
  current = msg.current || null;
  if (Array.isArray(msg.chats)) remote = msg.chats;
  const rec = msg.save;
  if (rec && rec.id && !remote) {
    const old = readMeta(rec.id);
    const renamed = !!(old && old.renamed);
    const meta = {id: rec.id, title: renamed ? old.title : rec.title, renamed, updated: Date.now(),
                  turns: (rec.turns || []).length};
    const body = JSON.stringify(rec);
    for (let i = 0; i < 100; i++) {  // storage full: drop the oldest other chats until it fits
      try { localStorage.setItem(CHAT + rec.id, body); localStorage.setItem(META + rec.id, JSON.stringify(meta)); break; }
      catch (e) {
        const others = metas().filter((m) => m.id !== rec.id);
        if (!others.length) { console.warn('newsdesk: chat too large to save', e); break; }
        drop(others[others.length - 1].id);
      }
    }
  }
  render();
};
const rename = (li, meta) => {
  const input = document.createElement('input');
  input.className = 'nd-chat-input'; input.value = meta.title || ''; input.maxLength = 80;
  input.setAttribute('aria-label', 'New name of the chat');
  li.replaceChildren(input);
  editing = true;
  input.focus(); input.select();
  let done = false;
  const finish = (keep) => {
    if (done) return;
    done = true;
    editing = false;
    const t = input.value.trim();
    if (keep && t && t !== meta.title) {
      meta.title = t; meta.renamed = true;
      if (remote) trigger('rename_chat', {id: meta.id, title: t});
      else localStorage.setItem(META + meta.id, JSON.stringify(meta));
    }
    render();
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); finish(true); }
    else if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); finish(false); }
  });
  input.addEventListener('blur', () => finish(true));
};
element.addEventListener('click', (e) => {
  const li = e.target.closest('.nd-chatitem');
  if (!li || !element.contains(li) || e.target.closest('input')) return;
  const id = li.dataset.id, meta = readMeta(id);
  if (!meta) { render(); return; }
  if (e.target.closest('.nd-chat-del')) {
    if (!window.confirm(`Delete the saved chat "${meta.title}"?`)) return;
    if (remote) { remote = remote.filter((m) => m.id !== id); trigger('deleted_chat', {id}); }
    else { drop(id); if (id === current) trigger('deleted_chat', {id}); }
    if (id === current) current = null;
    render();
  } else if (e.target.closest('.nd-chat-rename')) {
    rename(li, meta);
  } else if (e.target.closest('.nd-chat-open') && remote) {
    current = id;
    render();
    trigger('open_chat', {id, title: meta.title});
  } else if (e.target.closest('.nd-chat-open')) {
    const record = localStorage.getItem(CHAT + id);
    if (!record) { drop(id); render(); return; }
    current = id;
    render();
    trigger('open_chat', {id, title: meta.title, record});
  }
});
window.addEventListener('storage', (e) => { if (!remote && (!e.key || e.key.startsWith(META))) render(); });
watch('value', () => save(props.value));
save(props.value);
render();
"""
_CHATS_TEMPLATE = ('<div class="nd-chats"><h4>Saved chats</h4>'
                   '<div class="nd-chats-empty">Chats are saved in this browser after each answer.</div>'
                   '<ul class="nd-chatlist" aria-label="Saved chats"></ul></div>')
_SERVER_CHATS_TEMPLATE = ('<div class="nd-chats"><h4>Saved chats</h4>'
                          '<div class="nd-chats-empty">Chats are saved on the server after each answer, for every '
                          'browser that logs in.</div><ul class="nd-chatlist" aria-label="Saved chats"></ul></div>')


# -- small pure helpers ----------------------------------------------------------------------------
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


def make_filters(sources: list[str] | None, date_from: str, date_to: str,
                 doc_ids: list[str] | None = None) -> Filters:
    d_from, d_to = parse_date(date_from, "From date"), parse_date(date_to, "To date")
    if d_from and d_to and d_from > d_to:
        raise QuestionError(f"From date {d_from} is after To date {d_to}.")
    return Filters(sources=list(sources or []), date_from=d_from, date_to=d_to, doc_ids=list(doc_ids or []))


def upload_details(title: str, date_: str, source: str, url: str) -> dict[str, str]:
    """The metadata typed for an upload, checked: {} when nothing was typed. Raises QuestionError
    (a message for the user) for a date that is not YYYY-MM-DD or a URL that is not http(s)."""
    d = parse_date(date_, "Date")
    u = (url or "").strip()
    if u and not u.lower().startswith(("http://", "https://")):
        raise QuestionError(f"URL: {u!r} must start with http:// or https://.")
    details = {"title": " ".join((title or "").split()), "date": d.isoformat() if d else "",
               "source": " ".join((source or "").split()), "url": u}
    return {k: v for k, v in details.items() if v}


def ingest_with_details(assistant: Assistant, name: str, raw: bytes, details: dict[str, str],
                        max_bytes: int) -> Any:
    """Ingest one uploaded file with the typed `details` applied (see `upload_payload`); the size
    limit applies to the file as uploaded. Returns the `IngestReport`."""
    if not details or len(raw) > max_bytes:
        return assistant.ingest_upload(name, raw, max_bytes=max_bytes)
    up_name, data = upload_payload(name, raw, details)
    return assistant.ingest_upload(up_name, data, max_bytes=max(max_bytes, len(data)))


def upload_payload(name: str, raw: bytes, details: dict[str, str]) -> tuple[str, bytes]:
    """(name, bytes) to ingest for one uploaded file with the typed `details` applied: unchanged
    when there are none or the file does not load (its ingest then reports why); else the file's
    documents as JSON Lines records (text kept exactly, the details replacing the file's own
    title/date/publisher/url), the upload format that carries metadata.

    Written here because `Assistant.ingest_upload` takes no metadata (a `meta` argument there,
    passed to `index.loaders.load_bytes`, would make this unnecessary)."""
    from index.loaders import load_bytes

    if not details:
        return name, raw
    loaded = load_bytes(raw, name, f"upload:{name}")
    if not loaded.documents:
        return name, raw
    records = [{"text": d.text, "file_name": d.file_name, "title": d.title, "date": d.date,
                "source": d.source, "url": d.url, **details} for d in loaded.documents]
    lines = "".join(json.dumps({k: v for k, v in r.items() if v}, ensure_ascii=False) + "\n" for r in records)
    return f"{name}.jsonl", lines.encode("utf-8")


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


def restore_conversation(turns: list[Turn],
                         start: Callable[[list[str]], Conversation] | None = None) -> Conversation:
    """The `Conversation` of saved turns as if they had just been asked: `start(questions)` rebuilds
    what the assistant derives from the questions (its topic), then the answers give the history
    for follow-ups and the same citation numbers (renumbering replays them in order)."""
    answered = [t for t in turns if t.kind == "answer" and t.answer is not None]
    conv = start([t.question for t in answered]) if start is not None else Conversation()
    conv.turns = []
    conv.numbers = {}
    for t in answered:
        assert t.answer is not None
        conv.renumber(t.answer)
        conv.turns.append((t.question, t.answer.answer))
    return conv


def chat_title(turns: list[Turn], limit: int = 60) -> str:
    """A saved chat's default name: its first question, cut at a word boundary."""
    q = " ".join(turns[0].question.split()) if turns else ""
    if len(q) <= limit:
        return q or "Untitled chat"
    return q[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def saved_turns(turns: list[Turn]) -> list[dict[str, Any]]:
    """A chat's finished turns as saved (browser or server): JSON-ready, passages cut."""
    return [t.compact().model_dump(mode="json") for t in turns if t.done]


def saved_value(chat_id: str | None, turns: list[Turn] | None = None,
                listing: list[dict[str, Any]] | None = None) -> str:
    """The saved-chats component's value: which chat is open and either, after an answer, its
    record for the browser to store, or (`listing`, chats kept on the server) the list of chats."""
    msg: dict[str, Any] = {"current": chat_id, "at": time.time()}
    if listing is not None:
        msg["chats"] = listing
    else:
        msg["save"] = {"id": chat_id, "title": chat_title(turns), "turns": saved_turns(turns)} \
            if chat_id and turns else None
    raw = json.dumps(msg, ensure_ascii=False)
    # Never markup in a component value, even one that is only read by script (same JSON after parsing).
    return raw.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def parse_saved_chat(raw: str) -> tuple[str, list[Turn]]:
    """(id, turns) of a saved chat the browser sent back; ValueError when it cannot be used.
    Turns that fail validation are left out (the storage is the browser's, so it is not trusted)."""
    if not isinstance(raw, str) or len(raw) > MAX_SAVED_BYTES:
        raise ValueError("the saved chat is missing or too large")
    data = json.loads(raw)
    chat_id = str(data.get("id") or "") if isinstance(data, dict) else ""
    if not chat_id.isalnum() or len(chat_id) > 64:
        raise ValueError("the saved chat has no valid id")
    turns: list[Turn] = []
    for item in (data.get("turns") or [])[:MAX_SAVED_TURNS]:
        try:
            turn = Turn.model_validate(item)
        except ValidationError:
            continue
        turns.append(turn if turn.done else turn.model_copy(update={"failed": True, "done": True,
                                                                    "text": "(not finished)"}))
    return chat_id, turns


class ChatStoreError(ValueError):
    """A saved-chat request the server refuses; the message is meant for the user."""


class ChatStore:
    """The browser chat's saved chats kept on the server (used when an API token is set, so every
    browser that logs in sees the same chats). One JSON file per chat, `<id>.json` in `folder`
    (`{id, title, renamed, updated, turns}`, the record `parse_saved_chat` reads), each written
    atomically. Ids are the server's own `uuid4().hex` (32 lowercase hex digits); any other id
    raises `ChatStoreError`, so a client never names a path. At most `max_chats` chats of at most
    `max_bytes` each. Thread-safe (Gradio runs events in threads).

    Hand-written because it is a few files in a folder: a database would be a new dependency for
    this, and Gradio's `BrowserState` is per browser (see the module docstring)."""

    ID = re.compile(r"[0-9a-f]{32}")

    def __init__(self, folder: Path, max_chats: int = MAX_SERVER_CHATS, max_bytes: int = MAX_SAVED_BYTES) -> None:
        self.folder = Path(folder)
        self.max_chats, self.max_bytes = max_chats, max_bytes
        self._lock = threading.Lock()
        self._metas: dict[str, tuple[int, int, dict[str, Any]]] = {}  # id -> (mtime_ns, size, meta)

    def _path(self, chat_id: str) -> Path:
        if not isinstance(chat_id, str) or not self.ID.fullmatch(chat_id):
            raise ChatStoreError("That is not a saved chat.")
        return self.folder / f"{chat_id}.json"

    def _write(self, path: Path, record: dict[str, Any]) -> None:
        data = json.dumps(record, ensure_ascii=False).encode("utf-8")
        if len(data) > self.max_bytes:
            raise ChatStoreError(f"This chat is too long to save on the server (over {self.max_bytes:,} bytes); "
                                 "start a new chat.")
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)  # atomic: a reader sees the old file or the new one, never half
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            if path.stat().st_size > self.max_bytes:
                return None
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _meta(self, path: Path) -> dict[str, Any] | None:
        """{id, title, renamed, updated (ms), turns (count)} of one chat file, cached by mtime and size."""
        try:
            st = path.stat()
        except OSError:
            return None
        chat_id = path.stem
        cached = self._metas.get(chat_id)
        if cached and cached[:2] == (st.st_mtime_ns, st.st_size):
            return cached[2]
        rec = self._read(path)
        if rec is None:
            return None
        meta = {"id": chat_id, "title": str(rec.get("title") or "Untitled chat")[:MAX_CHAT_TITLE],
                "renamed": bool(rec.get("renamed")), "updated": rec.get("updated") or 0,
                "turns": len(rec.get("turns") or [])}
        self._metas[chat_id] = (st.st_mtime_ns, st.st_size, meta)
        return meta

    def entries(self) -> list[dict[str, Any]]:
        """Every saved chat's list entry, the most recently saved first."""
        with self._lock:
            paths = [p for p in self.folder.glob("*.json") if self.ID.fullmatch(p.stem)] if self.folder.is_dir() else []
            metas = [m for m in (self._meta(p) for p in paths) if m is not None]
        return sorted(metas, key=lambda m: -float(m["updated"] or 0))

    def save(self, chat_id: str, title: str, turns: list[dict[str, Any]]) -> None:
        """Create or replace a chat's turns; a name the user gave it is kept."""
        path = self._path(chat_id)
        with self._lock:
            old = self._meta(path) if path.exists() else None
            if old is None and self.folder.is_dir() and \
                    sum(1 for p in self.folder.glob("*.json") if self.ID.fullmatch(p.stem)) >= self.max_chats:
                raise ChatStoreError(f"The server keeps at most {self.max_chats:,} saved chats; delete some "
                                     "to save new ones.")
            renamed = bool(old and old["renamed"])
            self._write(path, {"id": chat_id, "title": old["title"] if old and renamed else title,
                               "renamed": renamed, "updated": int(time.time() * 1000), "turns": turns})

    def load(self, chat_id: str) -> str | None:
        """The chat's record as JSON text, None when there is no such chat."""
        path = self._path(chat_id)
        try:
            if path.stat().st_size > self.max_bytes:
                return None
            return path.read_text(encoding="utf-8")
        except OSError:
            return None

    def rename(self, chat_id: str, title: str) -> bool:
        """Give a chat a name (whitespace collapsed, at most `MAX_CHAT_TITLE` characters); False when
        there is no such chat."""
        path = self._path(chat_id)
        name = " ".join(str(title or "").split())[:MAX_CHAT_TITLE]
        if not name:
            raise ChatStoreError("A chat's name cannot be empty.")
        with self._lock:
            rec = self._read(path) if path.exists() else None
            if rec is None:
                return False
            self._write(path, {**rec, "id": chat_id, "title": name, "renamed": True})
        return True

    def delete(self, chat_id: str) -> bool:
        """Remove a chat; False when there was none."""
        path = self._path(chat_id)
        with self._lock:
            self._metas.pop(chat_id, None)
            try:
                path.unlink()
            except FileNotFoundError:
                return False
        return True

    def stamp(self) -> int:
        """Changes when a chat is saved, renamed or deleted (the folder's modification time)."""
        try:
            return self.folder.stat().st_mtime_ns
        except OSError:
            return 0


def _int(value: Any, default: int = -1) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _event(evt: gr.EventData) -> dict[str, Any]:
    data = getattr(evt, "_data", None)
    return data if isinstance(data, dict) else {}


def build_blocks(assistant: Assistant, settings: Settings) -> gr.Blocks:
    """The whole page: Chat tab (saved chats and options, the chat, sources and article view) and
    Documents tab (upload with details, table, delete with confirmation)."""

    # Each refresh lists the documents once (a version check when nothing changed).
    def ordered(docs: list[DocRecord]) -> list[DocRecord]:
        # Undated documents first (typically fresh uploads that still need a date), then newest first.
        return ([d for d in docs if not d.date] + [d for d in docs if d.date])[:UI_MAX_DOCS]

    def doc_rows(docs: list[DocRecord]) -> list[list[Any]]:
        return [[d.title, d.date or "no date", d.source, d.n_chunks, d.file_name, d.doc_id] for d in ordered(docs)]

    def doc_label(docs: list[DocRecord]) -> str:
        if len(docs) <= UI_MAX_DOCS:
            return f"Indexed documents ({len(docs):,}), undated first, then newest first"
        return f"Indexed documents: the newest {UI_MAX_DOCS:,} of {len(docs):,} (GET /api/documents pages through all)"

    def short(d: DocRecord) -> str:
        return display_title(d.title, d.file_name, d.source, d.date)

    def doc_choices(docs: list[DocRecord]) -> list[tuple[str, str]]:
        return [(f"{short(d)} ({d.date or 'no date'}, {d.source or d.file_name})", d.doc_id) for d in ordered(docs)]

    def store_version() -> str:
        try:
            return str(assistant.store.version())
        except Exception:  # a store that is briefly unreachable must not break the page
            log.warning("store version unavailable", exc_info=True)
            return ""

    def refreshed(reset_pick: bool = True) -> tuple[Any, Any, Any, Any, str]:
        """(table, delete picker, publisher filter, document filter, store version). The delete
        picker is cleared after this tab's own upload or delete, not when another tab wrote."""
        version = store_version()
        docs = assistant.list_documents()
        choices = doc_choices(docs)
        pick = gr.update(choices=choices, value=None) if reset_pick else gr.update(choices=choices)
        return (gr.update(value=doc_rows(docs), label=doc_label(docs)), pick,
                gr.update(choices=assistant.sources()), gr.update(choices=choices), version)

    def scope_line(sources_: list[str] | None, date_from: str, date_to: str, doc_ids: list[str] | None) -> str:
        """The line under the question box: which articles a question searches (or a filter's error)."""
        n = len(assistant.list_documents())
        try:
            filters = make_filters(sources_, date_from, date_to, doc_ids)
        except QuestionError as e:
            return f'<span class="nd-error">{html.escape(str(e))}</span>'
        scope = scope_text(filters, titles(filters))
        if not scope:
            return f'<span class="nd-scope">Searching all {n:,} articles.</span>'
        return f'<span class="nd-scope nd-scope-on">Searching only {html.escape(scope)} ({n:,} articles in all).</span>'

    def scope_and_label(sources_: list[str] | None, date_from: str, date_to: str, doc_ids: list[str] | None):
        line = scope_line(sources_, date_from, date_to, doc_ids)
        label = "Options · filters on" if "nd-scope-on" in line else "Options"
        return line, gr.update(label=label)

    def titles(filters: Filters) -> dict[str, str]:
        if not filters.doc_ids:
            return {}
        return {d.doc_id: short(d) for d in assistant.list_documents() if d.doc_id in filters.doc_ids}

    # The assistant's own replay of earlier questions (topic for follow-ups), where it has one.
    replay: Callable[[list[str]], Conversation] | None = getattr(assistant, "replay", None)
    keep = gr.update()

    # Saved chats: on the server when an API token is set (every browser that logs in sees them),
    # else in each browser's localStorage.
    chat_store = ChatStore(settings.chats_dir or settings.store / "chats") if settings.resolved_api_token() else None

    def saved(chat_id: str | None, turns: list[Turn] | None = None) -> tuple[str, str]:
        """(the saved-chats component's value, why the chat could not be saved or "")."""
        if chat_store is None:
            return saved_value(chat_id, turns), ""
        problem = ""
        if chat_id and turns:
            try:
                chat_store.save(chat_id, chat_title(turns), saved_turns(turns))
            except ChatStoreError as e:
                problem = f"Not saved: {e}"
            except OSError:
                log.exception("saving a chat failed")
                problem = "Not saved: the chat could not be written on the server (details in the server log)."
        return saved_value(chat_id, listing=chat_store.entries()), problem

    def saved_status(done: str, problem: str) -> str:
        return status_html(f"{done}. {problem}", error=True) if problem else status_html(done)

    closed_article = gr.update(value="", visible=False)
    closed_box = gr.update(visible=False)

    # -- chat ------------------------------------------------------------------------------
    # outputs: chat, question, status, sources, article, article box, turns, conversation, active, chat id, saved
    def respond(question: str, turns: list[Turn], conv: Conversation, active: int | None, chat_id: str | None,
                sources_: list[str], date_from: str, date_to: str, doc_ids: list[str], top_k: float, mode: str):
        turns = list(turns or [])
        try:
            q = assistant.check_question(question)
            filters = make_filters(sources_, date_from, date_to, doc_ids)
            k = assistant.check_top_k(int(top_k)) if top_k else None
        except QuestionError as e:
            yield keep, keep, status_html(str(e), error=True), keep, keep, keep, turns, conv, active, chat_id, keep
            return
        chat_id = chat_id or uuid.uuid4().hex
        turn = Turn(question=q, scope=scope_text(filters, titles(filters)), wanted_llm=mode == "llm")
        turns.append(turn)
        i = len(turns) - 1
        yield (chat_html(turns, i), "", "", '<div class="nd-empty">Looking for the answer…</div>', closed_article,
               closed_box, turns, conv, i, chat_id, keep)
        text = ""
        try:
            for item in assistant.stream(q, filters=filters, top_k=k, mode=mode or None, conversation=conv):
                if isinstance(item, Answer):
                    turns[i] = turn.model_copy(update={"answer": item, "seconds": item.latency_ms / 1000,
                                                       "done": True})
                    done = f"Answer {i + 1} · {item.latency_ms / 1000:.1f} s · {item.mode}"
                    value, problem = saved(chat_id, turns)
                    yield (chat_html(turns, i), "", saved_status(done, problem), sources_html(turns[i], i), keep,
                           keep, turns, conv, i, chat_id, value)
                else:
                    text += item
                    turns[i] = turn.model_copy(update={"text": text})
                    yield chat_html(turns, i), "", "", keep, keep, keep, turns, conv, i, chat_id, keep
        except QuestionError as e:
            turns.pop()
            last = len(turns) - 1 if turns else None
            yield (chat_html(turns, last, EXAMPLES), q, status_html(str(e), error=True),
                   sources_html(turns[last], last) if last is not None else _PLACEHOLDER_SOURCES, keep, keep,
                   turns, conv, last, chat_id, keep)
        except Exception as e:  # keep the page usable; the reason goes to the log
            log.exception("answering failed")
            turns[i] = turn.model_copy(update={"failed": True, "done": True,
                                               "text": f"Sorry, answering failed: {failure_reason(e)}."})
            yield (chat_html(turns, i), "", status_html(f"Answering failed: {failure_reason(e)}.", error=True),
                   _PLACEHOLDER_SOURCES, keep, keep, turns, conv, i, chat_id, saved(chat_id, turns)[0])

    # outputs: chat, question, status, sources, article, article box, turns, active, chat id, saved
    def search(question: str, turns: list[Turn], active: int | None, chat_id: str | None, sources_: list[str],
               date_from: str, date_to: str, doc_ids: list[str], top_k: float):
        turns = list(turns or [])
        try:
            q = assistant.check_question(question)
            filters = make_filters(sources_, date_from, date_to, doc_ids)
            k = assistant.check_top_k(int(top_k) if top_k else None)
        except QuestionError as e:
            yield keep, keep, status_html(str(e), error=True), keep, keep, keep, turns, active, chat_id, keep
            return
        chat_id = chat_id or uuid.uuid4().hex
        turn = Turn(question=q, kind="search", scope=scope_text(filters, titles(filters)))
        turns.append(turn)
        i = len(turns) - 1
        yield chat_html(turns, i), "", "", keep, closed_article, closed_box, turns, i, chat_id, keep
        started = time.perf_counter()
        try:
            passages = assistant.retriever.retrieve(q, filters=filters, k=k)
        except Exception as e:
            log.exception("search failed")
            turns[i] = turn.model_copy(update={"kind": "answer", "failed": True, "done": True,
                                               "text": f"Sorry, the search failed: {failure_reason(e)}."})
            yield (chat_html(turns, i), "", status_html(f"Search failed: {failure_reason(e)}.", error=True),
                   _PLACEHOLDER_SOURCES, keep, keep, turns, i, chat_id, saved(chat_id, turns)[0])
            return
        seconds = time.perf_counter() - started
        turns[i] = turn.model_copy(update={"passages": passages, "seconds": seconds, "done": True})
        done = f"Search {i + 1} · {len(passages)} passages · {seconds:.1f} s"
        value, problem = saved(chat_id, turns)
        yield (chat_html(turns, i), "", saved_status(done, problem), sources_html(turns[i], i), keep, keep, turns, i,
               chat_id, value)

    # outputs: sources, article, article box, chat, active
    def on_cite(turns: list[Turn], evt: gr.EventData):
        data = _event(evt)
        i = _int(data.get("turn"))
        turn = turns[i] if 0 <= i < len(turns or []) else None
        doc_id = str(data.get("doc") or "")
        rec = assistant.get_document(doc_id) if doc_id else None
        if rec is None:
            page = status_html("That article is no longer indexed.", error=True)
        else:
            page = article_html(short(rec), rec.date, rec.source, rec.url, rec.text or "", _int(data.get("start")),
                                _int(data.get("end")), str(data.get("n") or ""), quote_spans(turn, doc_id))
        if turn is None:
            return keep, gr.update(value=page, visible=True), gr.update(visible=True), keep, keep
        return (sources_html(turn, i), gr.update(value=page, visible=True), gr.update(visible=True),
                chat_html(turns, i), i)

    def on_pick(turns: list[Turn], evt: gr.EventData):
        i = _int(_event(evt).get("turn"))
        if not 0 <= i < len(turns or []):
            return keep, keep, keep, keep, keep
        return sources_html(turns[i], i), closed_article, closed_box, chat_html(turns, i), i

    def close_article():
        return closed_article, closed_box

    # outputs: chat, sources, article, article box, status, question, turns, conversation, active, chat id, saved
    def new_chat():
        return (chat_html([], None, EXAMPLES), _PLACEHOLDER_SOURCES, closed_article, closed_box, "", "", [],
                Conversation(), None, None, saved(None)[0])

    def open_chat(chat_id: str | None, evt: gr.EventData):
        data = _event(evt)
        try:
            wanted = str(data.get("id") or "")
            if chat_store is not None:  # the server's copy, by id; never a record or path from the browser
                raw = chat_store.load(wanted)
                if raw is None:
                    raise ChatStoreError("no such saved chat")
            else:
                raw = data.get("record") or ""
            chat_id, turns = parse_saved_chat(raw)
            if chat_store is not None and chat_id != wanted:
                raise ChatStoreError("the saved chat names another id")
        except (ValueError, TypeError) as e:
            log.warning("a saved chat could not be opened: %s", e)
            return (keep, keep, keep, keep,
                    status_html("That saved chat cannot be opened (perhaps it was deleted).", error=True), keep,
                    keep, keep, keep, keep, saved(chat_id)[0])
        last = len(turns) - 1 if turns else None
        title = str(data.get("title") or chat_title(turns))[:80]
        return (chat_html(turns, last, EXAMPLES),
                sources_html(turns[last], last) if last is not None else _PLACEHOLDER_SOURCES,
                closed_article, closed_box, status_html(f"Reopened “{title}”."), "", turns,
                restore_conversation(turns, replay), last, chat_id, saved(chat_id)[0])

    def deleted_chat(chat_id: str | None, evt: gr.EventData):
        """A saved chat was deleted (in the browser; on the server it is deleted here): the open
        chat, if it was that one, starts over."""
        gone = str(_event(evt).get("id") or "")
        message = ""
        if chat_store is not None:
            try:
                if not chat_store.delete(gone):
                    message = "That saved chat was already deleted."
            except ChatStoreError as e:
                message = str(e)
        if chat_id and gone == chat_id:
            fresh = new_chat()
            return (*fresh[:4], status_html(message, error=True), *fresh[5:])
        if chat_store is None:
            return (keep,) * 11
        return (keep, keep, keep, keep, status_html(message, error=True), keep, keep, keep, keep, keep,
                saved(chat_id)[0])

    # outputs: saved chats, status
    def rename_chat(chat_id: str | None, evt: gr.EventData):
        """Rename a chat kept on the server (in the browser, the page renames it itself)."""
        if chat_store is None:
            return keep, keep
        data = _event(evt)
        try:
            ok = chat_store.rename(str(data.get("id") or ""), str(data.get("title") or ""))
            message = "" if ok else "That saved chat no longer exists (perhaps deleted in another browser)."
        except ChatStoreError as e:
            message = str(e)
        except OSError:
            log.exception("renaming a chat failed")
            message = "The chat could not be renamed (details in the server log)."
        return saved(chat_id)[0], status_html(message, error=True)

    def chats_changed(chat_id: str | None, seen: int):
        """Another browser saved, renamed or deleted a chat: send the list again, else change nothing."""
        if chat_store is None or chat_store.stamp() == seen:
            return keep, keep
        return saved(chat_id)[0], chat_store.stamp()

    # -- documents -------------------------------------------------------------------------
    def upload(files: list[str] | None, title: str = "", date_: str = "", source: str = "", url: str = "",
               progress=gr.Progress()):  # noqa: B008 (gradio injects it)
        from gradio.utils import get_upload_folder

        from assistant.auth import uploaded_files
        from index.loaders import safe_file_name

        if not files:
            return (status_html("Choose one or more files first.", error=True), *refreshed(), gr.update())
        try:
            details = upload_details(title, date_, source, url)
        except QuestionError as e:
            return (status_html(str(e), error=True), *refreshed(), gr.update())
        # Only files Gradio received (its upload folder), never another server path; count and size capped.
        paths, refused = uploaded_files([str(f) for f in files], get_upload_folder(), settings.max_upload_files,
                                        settings.max_file_bytes)
        lines: list[tuple[str, bool]] = [(f"{safe_file_name(n)}: {why}", True) for n, why in refused]
        for i, p in enumerate(paths):
            name = safe_file_name(p.name)
            progress((i, len(paths)), desc=f"Indexing {name}", unit="files")
            try:
                report = ingest_with_details(assistant, name, p.read_bytes(), details, settings.max_file_bytes)
                line, bad = upload_line(name, report)
            except Exception:  # a broken file must not break the page; the reason goes to the log only
                log.exception("upload of %s failed", name)
                line, bad = f"{name}: not indexed: an unexpected error (details in the server log)", True
            lines.append((line, bad))
        progress((len(paths), len(paths)), desc="Done", unit="files")
        return (lines_html(lines), *refreshed(), None)

    # outputs: status, confirmation box, confirmation text
    def ask_delete(doc_id: str | None):
        if not doc_id:
            return status_html("Choose a document to delete first.", error=True), gr.update(visible=False), keep
        rec = assistant.get_document(doc_id)
        if rec is None:
            return (status_html("That document is no longer in the index (perhaps deleted in another tab).",
                                error=True), gr.update(visible=False), keep)
        what = f"Delete “{short(rec)}” ({rec.file_name}, {rec.date or 'no date'})? It is removed from the index " \
               "for everyone using this server."
        return "", gr.update(visible=True), status_html(what)

    # outputs: status, table, delete picker, publisher filter, document filter, store version, confirmation box
    def delete(doc_id: str | None):
        rec = assistant.get_document(doc_id) if doc_id else None
        existed = assistant.delete_document(doc_id) if doc_id and rec is not None else False
        if existed and rec is not None:
            msg = f"Deleted “{short(rec)}”."
        else:
            msg = "That document was already removed (perhaps in another tab); nothing deleted."
        return (status_html(msg, error=not existed), *refreshed(), gr.update(visible=False))

    def cancel_delete():
        return status_html("Nothing deleted."), gr.update(visible=False)

    # outputs: table, delete picker, publisher filter, document filter, store version, scope line
    def on_load(sources_: list[str], date_from: str, date_to: str, doc_ids: list[str]):
        return (*refreshed(), scope_line(sources_, date_from, date_to, doc_ids))

    def poll(version: str, sources_: list[str], date_from: str, date_to: str, doc_ids: list[str]):
        """Another tab (or the API) changed the documents: refresh the lists, else change nothing."""
        if store_version() == version:
            return keep, keep, keep, keep, keep, keep
        return (*refreshed(reset_pick=False), scope_line(sources_, date_from, date_to, doc_ids))

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
    quiet: dict[str, Any] = {**private, "show_progress": "hidden", "queue": False}
    docs = assistant.list_documents()
    with gr.Blocks(title="Newsdesk", analytics_enabled=False, fill_width=True) as demo:
        turns = gr.State([])
        conv = gr.State(Conversation())
        active = gr.State(None)
        chat_id = gr.State(None)
        version = gr.State("")
        gr.Markdown("## Newsdesk\nAsk about the indexed news articles. Every answer quotes its sources; "
                    "click a number or a source to read it in the article.")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False, elem_id="nd-chat-row"):
                with gr.Column(scale=2, min_width=240, elem_id="nd-side"):
                    chats = gr.HTML(saved_value(None, listing=[] if chat_store else None),
                                    html_template=_CHATS_TEMPLATE if chat_store is None else _SERVER_CHATS_TEMPLATE,
                                    js_on_load=_CHATS_JS,
                                    elem_id="nd-chats", apply_default_css=False)
                    with gr.Accordion("Options", open=False, elem_id="nd-options") as options:
                        # Custom values allowed: a chosen publisher or article that another tab deletes
                        # stays chosen (and matches nothing) instead of failing every question.
                        src_filter = gr.Dropdown(choices=assistant.sources(), value=[], multiselect=True,
                                                 label="Publishers", info="Only these publishers (empty = all)",
                                                 elem_id="nd-sources-filter", allow_custom_value=True)
                        with gr.Row():
                            date_from = gr.Textbox(label="From date", placeholder="YYYY-MM-DD", elem_id="nd-from",
                                                   min_width=100)
                            date_to = gr.Textbox(label="To date", placeholder="YYYY-MM-DD", elem_id="nd-to",
                                                 min_width=100)
                        doc_filter = gr.Dropdown(choices=doc_choices(docs), value=[], multiselect=True,
                                                 label="Articles", info="Only these articles (type to search; "
                                                 "empty = all)", elem_id="nd-doc-filter", allow_custom_value=True)
                        top_k = gr.Slider(1, max(1, min(assistant.max_top_k, 20)), step=1, value=assistant.top_k,
                                          label="Passages", info="retrieved per question; listed under Sources",
                                          elem_id="nd-topk")
                        mode = gr.Radio(["extractive", "llm"], label=f"Answer mode{llm_note}",
                                        value="llm" if assistant.llm_available and
                                        assistant.default_mode == "llm" else "extractive",
                                        interactive=assistant.llm_available, elem_id="nd-mode")
                        clear_btn = gr.Button("Clear filters", size="sm", elem_id="nd-clear")
                with gr.Column(scale=5, min_width=340, elem_id="nd-main"):
                    chat = gr.HTML(chat_html([], None, EXAMPLES), elem_id="nd-chat", js_on_load=_CHAT_JS,
                                   apply_default_css=False)
                    status = gr.HTML("", elem_id="nd-status")
                    with gr.Row(equal_height=True):
                        question = gr.Textbox(label="Question", show_label=False, container=False,
                                              placeholder="Ask a question (Enter sends)",
                                              elem_id="nd-question", scale=6, min_width=180, lines=1, max_lines=4)
                        ask_btn = gr.Button("Ask", variant="primary", elem_id="nd-ask", scale=0, min_width=64)
                        search_btn = gr.Button("Search", elem_id="nd-search", scale=0, min_width=72)
                        new_btn = gr.Button("New chat", elem_id="nd-new", scale=0, min_width=96)
                    under = gr.HTML("", html_template='<div class="nd-under"><span class="nd-count"></span>${value}</div>',
                                    js_on_load=_UNDER_JS, elem_id="nd-under", apply_default_css=False,
                                    limit=assistant.max_question_chars)
                with gr.Column(scale=4, min_width=300, elem_id="nd-right"):
                    sources = gr.HTML(_PLACEHOLDER_SOURCES, elem_id="nd-sources", js_on_load=_SOURCES_JS,
                                      max_height=460, container=True, padding=True)
                    with gr.Column(visible=False, elem_id="nd-article-box") as article_box:
                        close_btn = gr.Button("Close article (Esc)", size="sm", elem_id="nd-close")
                        article = gr.HTML("", elem_id="nd-article", js_on_load=_ARTICLE_JS, max_height=520,
                                          container=True, padding=False)
            with gr.Tab("Documents", id="docs") as docs_tab:
                files = gr.File(label="Upload articles (txt, md, html, json, jsonl)", file_count="multiple",
                                file_types=UPLOAD_TYPES, elem_id="nd-files", type="filepath", height=160)
                with gr.Accordion("Details for the files of this upload (optional)", open=True,
                                  elem_id="nd-details"):
                    gr.Markdown("Filled-in fields apply to every file of this upload and replace what the files "
                                "say; empty fields keep the files' own.", elem_classes=["nd-note"])
                    with gr.Row():
                        up_title = gr.Textbox(label="Title", elem_id="nd-up-title", scale=3)
                        up_date = gr.Textbox(label="Date", placeholder="YYYY-MM-DD", elem_id="nd-up-date", scale=1)
                        up_source = gr.Textbox(label="Publisher", elem_id="nd-up-source", scale=2)
                        up_url = gr.Textbox(label="URL", placeholder="https://…", elem_id="nd-up-url", scale=2)
                upload_btn = gr.Button("Add to index", variant="primary", elem_id="nd-upload")
                doc_status = gr.HTML("", elem_id="nd-doc-status")
                table = gr.Dataframe(value=doc_rows(docs), headers=DOC_HEADERS, interactive=False, wrap=True,
                                     label=doc_label(docs), elem_id="nd-docs", datatype="str",
                                     column_widths=["38%", "11%", "15%", "8%", "16%", "12%"], max_height=420,
                                     show_search="search")
                with gr.Row():
                    to_delete = gr.Dropdown(choices=doc_choices(docs), label="Document to delete (type to search)",
                                            elem_id="nd-delete-pick", scale=4)
                    delete_btn = gr.Button("Delete…", variant="stop", elem_id="nd-delete", scale=1)
                with gr.Column(visible=False, elem_id="nd-confirm", variant="panel") as confirm_box:
                    confirm_text = gr.HTML("", elem_id="nd-confirm-text", padding=True)
                    with gr.Row():
                        confirm_btn = gr.Button("Delete", variant="stop", elem_id="nd-confirm-delete")
                        cancel_btn = gr.Button("Cancel", elem_id="nd-cancel-delete")
        timer = gr.Timer(POLL_SECONDS)

        filters_in: list[Any] = [src_filter, date_from, date_to, doc_filter]
        chat_in = [question, turns, conv, active, chat_id, *filters_in, top_k, mode]
        chat_out = [chat, question, status, sources, article, article_box, turns, conv, active, chat_id, chats]
        question.submit(respond, chat_in, chat_out, **private)
        ask_btn.click(respond, chat_in, chat_out, **private)
        search_btn.click(search, [question, turns, active, chat_id, *filters_in, top_k],
                         [chat, question, status, sources, article, article_box, turns, active, chat_id, chats],
                         **private)
        reset_out = [chat, sources, article, article_box, status, question, turns, conv, active, chat_id, chats]
        new_btn.click(new_chat, None, reset_out, **private)
        chats.open_chat(open_chat, [chat_id], reset_out, **private)
        chats.deleted_chat(deleted_chat, [chat_id], reset_out, **private)
        if chat_store is not None:  # the list comes from the server: at page load, after changes elsewhere
            chats_stamp = gr.State(-1)
            chats.rename_chat(rename_chat, [chat_id], [chats, status], **private)
            demo.load(chats_changed, [chat_id, chats_stamp], [chats, chats_stamp], **quiet)
            timer.tick(chats_changed, [chat_id, chats_stamp], [chats, chats_stamp], **quiet)
        panel_out = [sources, article, article_box, chat, active]
        chat.cite(on_cite, [turns], panel_out, **private)
        sources.cite(on_cite, [turns], panel_out, **private)
        chat.pick(on_pick, [turns], panel_out, **private)
        close_btn.click(close_article, None, [article, article_box], **private)
        # Dropdowns on change; dates when left or submitted (not at every keystroke of a half-typed date).
        for trigger in (src_filter.change, doc_filter.change, date_from.blur, date_from.submit, date_to.blur,
                        date_to.submit):
            trigger(scope_and_label, filters_in, [under, options], **quiet)
        clear_btn.click(lambda: ([], "", "", []), None, filters_in, **quiet).then(
            scope_and_label, filters_in, [under, options], **quiet)

        lists_out = [table, to_delete, src_filter, doc_filter, version]
        upload_btn.click(upload, [files, up_title, up_date, up_source, up_url], [doc_status, *lists_out, files],
                         concurrency_limit=1, **private).then(scope_line, filters_in, [under], **quiet)
        delete_btn.click(ask_delete, [to_delete], [doc_status, confirm_box, confirm_text], **private)
        confirm_btn.click(delete, [to_delete], [doc_status, *lists_out, confirm_box], concurrency_limit=1,
                          **private).then(scope_line, filters_in, [under], **quiet)
        cancel_btn.click(cancel_delete, None, [doc_status, confirm_box], **private)
        demo.load(on_load, filters_in, [*lists_out, under], **private)
        docs_tab.select(poll, [version, *filters_in], [*lists_out, under], **quiet)
        timer.tick(poll, [version, *filters_in], [*lists_out, under], **quiet)
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
