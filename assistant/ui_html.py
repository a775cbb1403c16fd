"""Chat turns, answers, sources and articles → escaped HTML for the browser chat (pure, no gradio).

Contract:
- Every piece of text that comes from an article, an upload, a question or the browser's storage
  is escaped with `html.escape`; the only markup is built here. Attribute values are quoted and
  escaped too, so a title like `"><img onerror=…>` stays text.
- Clickable elements carry `data-doc`, `data-start`, `data-end` (article offsets) and `data-n` (the
  label shown beside the article), plus `data-turn` (which turn of the chat they belong to); the
  JavaScript of `assistant.ui` turns a click (mouse, Enter or Space: they are `<button>`s) into an
  event with those values. Offsets are never trusted: the article view checks them.
- A `Turn` is the unit the chat shows and the browser stores (saved chats), so it is a frozen
  pydantic model that round-trips through JSON with its citations intact.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.types import Answer, Citation, Filters, Passage

# A title cut from the article's first sentence is replaced when longer than this; a headline is
# kept up to `LONG_TITLE_CHARS`.
SHORT_TITLE_CHARS = 80
LONG_TITLE_CHARS = 160
# Passages kept per turn in a saved chat are cut to this many characters: the browser's storage
# is small (about 5 MB per site) and the full text is one click away (the article view).
SAVED_PASSAGE_CHARS = 600

_MARKER = re.compile(r"\[(\d+)\]")
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_HEX_NAME = re.compile(r"^[\W\d_]*(?:[0-9a-f]{8,}[\W_]*)+$", re.I)
_CLAUSE_BREAK = re.compile(r"\s[—–-]\s|:\s|;\s|\?\s|!\s|\|")


class Turn(BaseModel):
    """One question of a chat and what the assistant made of it.

    `kind` "answer": `answer` is the final Answer (None while streaming or after a failure, then
    `text` holds the streamed text so far or the failure message). `kind` "search": `passages` are
    the retrieved passages, listed with their scores instead of an answer. `done` once finished
    (answered, searched or failed). `scope` names the filters that were active ("" = all
    articles); `wanted_llm` says the LLM mode was asked for.
    """

    model_config = ConfigDict(frozen=True)

    question: str
    kind: Literal["answer", "search"] = "answer"
    answer: Answer | None = None
    passages: list[Passage] = Field(default_factory=list)
    text: str = ""
    failed: bool = False
    scope: str = ""
    wanted_llm: bool = False
    seconds: float = 0.0
    done: bool = False

    def compact(self) -> Turn:
        """This turn as saved in the browser: passages cut to `SAVED_PASSAGE_CHARS`."""

        def cut(ps: Sequence[Passage]) -> list[Passage]:
            return [p if len(p.text) <= SAVED_PASSAGE_CHARS else
                    p.model_copy(update={"text": p.text[:SAVED_PASSAGE_CHARS]}) for p in ps]

        update: dict[str, object] = {"passages": cut(self.passages)}
        if self.answer is not None:
            update["answer"] = self.answer.model_copy(update={"passages": cut(self.answer.passages)})
        return self.model_copy(update=update)


# -- titles and filters ----------------------------------------------------------------------------
def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _is_sentence_title(title: str) -> bool:
    """A title the loader cut from the article's first sentence: ends in "…" or reads like prose."""
    t = title.strip()
    return t.endswith(("…", "...")) or (len(t) > SHORT_TITLE_CHARS and t.endswith("."))


def display_title(title: str, file_name: str = "", source: str = "", date_: str = "") -> str:
    """A short, clean title: the article's own when it is a headline of reasonable length; else its
    first clause when that reads like one; else a name made of the file name (when it has words) or
    of the publisher. Never an ellipsis-cut sentence."""
    t = " ".join((title or "").split())
    if t and not _is_sentence_title(t) and len(t) <= LONG_TITLE_CHARS:
        return t
    if t:
        m = _CLAUSE_BREAK.search(t, 8)
        if m and m.start() <= SHORT_TITLE_CHARS and not _is_sentence_title(t[:m.start()]):
            return t[:m.start()].rstrip(" ,;:")
    stem = PurePosixPath(file_name or "").stem
    if stem and not _HEX_NAME.match(stem):
        words = " ".join(re.sub(r"[_\-.]+", " ", stem).split())
        if any(c.isalpha() for c in words):
            return words[:1].upper() + words[1:]
    # The date and publisher are shown beside every title: the publisher names the article if it can.
    if source:
        return f"{source} article"
    return f"Article of {date_}" if date_ else "Untitled article"


def scope_text(filters: Filters, doc_titles: dict[str, str] | None = None) -> str:
    """The active filters in words ("" when none): publisher, dates, chosen articles."""
    parts: list[str] = []
    if filters.sources:
        label = "publisher" if len(filters.sources) == 1 else "publishers"
        parts.append(f"{label} {', '.join(filters.sources)}")
    if filters.date_from and filters.date_to:
        parts.append(f"dated {filters.date_from.isoformat()} to {filters.date_to.isoformat()}")
    elif filters.date_from:
        parts.append(f"dated from {filters.date_from.isoformat()}")
    elif filters.date_to:
        parts.append(f"dated until {filters.date_to.isoformat()}")
    if filters.doc_ids:
        titles = doc_titles or {}
        if len(filters.doc_ids) == 1 and filters.doc_ids[0] in titles:
            parts.append(f"the article “{titles[filters.doc_ids[0]]}”")
        else:
            parts.append(f"{len(filters.doc_ids)} chosen articles")
    return "; ".join(parts)


# -- pieces of a chat message ----------------------------------------------------------------------
def _data(turn: int, doc_id: str, start: int, end: int, n: str) -> str:
    return (f'data-turn="{turn}" data-doc="{_esc(doc_id)}" data-start="{int(start)}" data-end="{int(end)}"'
            f' data-n="{_esc(n)}"')


def _by_article(citations: Iterable[Citation]) -> list[list[Citation]]:
    """Citations grouped by article, articles in order of their first citation number."""
    groups: dict[str, list[Citation]] = {}
    for c in sorted(citations, key=lambda c: c.n):
        groups.setdefault(c.doc_id, []).append(c)
    return list(groups.values())


def _meta(date_: str, source: str, extra: str = "", title: str = "") -> str:
    """Date · publisher · extra, escaped; a part the (fallback) title already names is left out."""
    return " · ".join(_esc(x) for x in (date_, source, extra) if x and x not in title)


def answer_text_html(answer: Answer, turn: int) -> str:
    """The answer's text, escaped; `**span**` bold; each `[n]` a button opening its quote."""
    by_n = {c.n: c for c in answer.citations}
    text = _esc(answer.answer)

    def marker(m: re.Match[str]) -> str:
        c = by_n.get(int(m.group(1)))
        if c is None:
            return m.group(0)
        title = display_title(c.title, c.file_name, c.source, c.date)
        return (f'<button type="button" class="nd-mark" {_data(turn, c.doc_id, c.start, c.end, f"[{c.n}]")}'
                f' title="{_esc(title)}" aria-label="Source {c.n}: {_esc(title)}">[{c.n}]</button>')

    body = _BOLD.sub(r"<strong>\1</strong>", _MARKER.sub(marker, text))
    lead = ""
    short = (answer.short_answer or "").strip()
    if short and f"**{short}**" not in answer.answer:
        lead = f'<p class="nd-lead"><strong>{_esc(short)}</strong></p>'
    return f'{lead}<div class="nd-text">{body}</div>'


def chips_html(answer: Answer, turn: int) -> str:
    """One chip per cited article under the answer: its numbers, short title, date and publisher."""
    chips = []
    for group in _by_article(answer.citations):
        c = group[0]
        numbers = " ".join(f"[{x.n}]" for x in group)
        dup = next((x.duplicate_of for x in group if x.duplicate_of is not None), None)
        extra = f"same wording as [{dup}]" if dup is not None else ""
        title = display_title(c.title, c.file_name, c.source, c.date)
        chips.append(
            f'<button type="button" class="nd-chip" {_data(turn, c.doc_id, c.start, c.end, numbers)}'
            f' title="{_esc(c.title or title)}">'
            f'<span class="nd-chip-n">{_esc(numbers)}</span> <span class="nd-chip-title">{_esc(title)}</span>'
            f' <span class="nd-chip-meta">{_meta(c.date, c.source, extra, title)}</span></button>')
    return f'<div class="nd-chips" aria-label="Sources">{"".join(chips)}</div>' if chips else ""


def _where_passages() -> str:
    return ('<span class="nd-wide">in the Sources panel</span>'
            '<span class="nd-narrow">under Sources, below the chat</span>')


def refusal_html(turn: Turn, n_passages: int) -> str:
    """The single refusal message: no answer, the active filters, and where the closest passages are."""
    scope = f" (searched only {_esc(turn.scope)})" if turn.scope else ""
    if n_passages:
        return (f'<p class="nd-refusal">I could not find the answer in the articles{scope}. '
                f"The closest passages are listed {_where_passages()}.</p>")
    hint = " Try removing some filters." if turn.scope else ""
    return f'<p class="nd-refusal">No article passage matches this question{scope}.{hint}</p>'


def _notice_html(turn: Turn, answer: Answer) -> str:
    parts: list[str] = []
    if turn.wanted_llm and answer.mode != "llm":
        detail = f"<details><summary>Details</summary>{_esc(answer.notice)}</details>" if answer.notice else ""
        parts.append('<div class="nd-notice">The language model did not answer, so this answer quotes the '
                     f"articles directly.{detail}</div>")
    elif answer.notice:
        parts.append(f'<div class="nd-notice">{_esc(answer.notice)}</div>')
    if answer.unsupported:
        items = "".join(f"<li>{_esc(s)}</li>" for s in answer.unsupported)
        parts.append(f'<div class="nd-notice">Not supported by the cited passages:<ul>{items}</ul></div>')
    return "".join(parts)


def _passage_button(p: Passage, rank: int, turn: int, best: float, chars: int = 320) -> str:
    title = display_title(p.title, p.file_name, p.source, p.date)
    text = p.text if len(p.text) <= chars else p.text[:chars].rstrip() + "…"
    share = max(0.0, min(1.0, p.score / best)) if best > 0 else 0.0
    return (f'<button type="button" class="nd-src nd-passage" {_data(turn, p.doc_id, p.start, p.end, f"#{rank}")}>'
            f'<span class="nd-n">#{rank}</span><span class="nd-title">{_esc(title)}</span>'
            f'<span class="nd-score" title="relevance score (fused rank of meaning and word match)">'
            f'score {p.score:.4f}<span class="nd-bar"><span style="width:{share * 100:.0f}%"></span></span></span>'
            f'<span class="nd-meta">{_meta(p.date, p.source, "", title)}</span>'
            f'<span class="nd-quote">{_esc(text)}</span></button>')


def passages_html(passages: Sequence[Passage], turn: int) -> str:
    best = max((p.score for p in passages), default=0.0)
    return "".join(_passage_button(p, i, turn, best) for i, p in enumerate(passages, 1))


def bot_html(turn: Turn, i: int) -> str:
    """The inside of the assistant's message for turn `i`."""
    if turn.kind == "search":
        if not turn.done:
            return '<div class="nd-text nd-pending">Searching…</div>'
        n = len(turn.passages)
        head = (f'<p class="nd-text">{n} passage{"s" if n != 1 else ""} retrieved'
                f'{" from " + _esc(turn.scope) if turn.scope else ""}, best first (no answer composed):</p>')
        if not n:
            head = (f'<p class="nd-text">No passage matches{" (searched only " + _esc(turn.scope) + ")" if turn.scope else ""}.'
                    "</p>")
        return head + f'<div class="nd-sources nd-inline">{passages_html(turn.passages, i)}</div>'
    a = turn.answer
    if a is None:
        cls = "nd-text nd-failed" if turn.failed else "nd-text nd-pending"
        return f'<div class="{cls}">{_esc(turn.text or "…")}</div>'
    if a.abstained and not a.citations:
        return refusal_html(turn, len(a.passages)) + _notice_html(turn, a)
    return answer_text_html(a, i) + _notice_html(turn, a) + chips_html(a, i)


def chat_html(turns: Sequence[Turn], active: int | None, examples: Sequence[str] = ()) -> str:
    """The whole chat log. `data-key` changes when a turn starts or finishes (the page then brings
    the newest turn's first line into view); `active` marks the answer the Sources panel shows."""
    if not turns:
        buttons = "".join(f'<button type="button" class="nd-example" data-q="{_esc(q)}">{_esc(q)}</button>'
                          for q in examples)
        return ('<div class="nd-log nd-empty-log" role="log" aria-label="Chat" data-key="0">'
                '<div class="nd-welcome"><p>Ask a question about the indexed articles. Every answer quotes '
                "its sources; click a number or a source to read it in the article.</p>"
                f'<div class="nd-examples" aria-label="Examples">{buttons}</div></div></div>')
    items = []
    for i, t in enumerate(turns):
        act = " nd-active" if i == active else ""
        items.append(
            f'<div class="nd-turn" data-turn="{i}">'
            f'<div class="nd-msg nd-user" data-testid="user">{_esc(t.question)}</div>'
            f'<div class="nd-msg nd-bot{act}" data-testid="bot" data-turn="{i}">{bot_html(t, i)}</div></div>')
    key = f"{len(turns)}-{int(turns[-1].done)}"
    return f'<div class="nd-log" role="log" aria-label="Chat" data-key="{key}">{"".join(items)}</div>'


# -- the Sources panel -----------------------------------------------------------------------------
PLACEHOLDER_SOURCES = '<div class="nd-empty">Sources of the answer appear here.</div>'


def _evidence(passages: Sequence[Passage], turn: int) -> str:
    if not passages:
        return ""
    return (f'<details class="nd-evidence"><summary>All {len(passages)} retrieved passages, with scores</summary>'
            f'<div class="nd-sources">{passages_html(passages, turn)}</div></details>')


def sources_html(turn: Turn | None, i: int = 0, max_passages: int = 3) -> str:
    """The Sources panel for turn `i`: its cited articles (each once, with all its quotes), or for
    a refusal the closest passages; every retrieved passage with its score below."""
    if turn is None:
        return PLACEHOLDER_SOURCES
    label = f"answer {i + 1}"
    if turn.kind == "search":
        n = len(turn.passages)
        return (f'<div class="nd-sources"><h4>Search {i + 1}</h4><div class="nd-note">{n} passage'
                f'{"s are" if n != 1 else " is"} listed in the chat, with scores; click one to read it in its '
                "article.</div></div>")
    a = turn.answer
    if a is None:
        return PLACEHOLDER_SOURCES
    if a.citations:
        groups = []
        for group in _by_article(a.citations):
            c = group[0]
            dup = next((x.duplicate_of for x in group if x.duplicate_of is not None), None)
            extra = f"same wording as [{dup}]" if dup is not None else ""
            title = display_title(c.title, c.file_name, c.source, c.date)
            quotes = "".join(
                f'<button type="button" class="nd-src" {_data(i, x.doc_id, x.start, x.end, f"[{x.n}]")}>'
                f'<span class="nd-n">[{x.n}]</span><span class="nd-quote">“{_esc(x.quote)}”</span></button>'
                for x in group)
            groups.append(f'<div class="nd-art" data-doc="{_esc(c.doc_id)}"><div class="nd-art-head">'
                          f'<span class="nd-title" title="{_esc(c.title or title)}">{_esc(title)}</span>'
                          f'<span class="nd-meta">{_meta(c.date, c.source, extra, title)}</span></div>{quotes}</div>')
        return (f'<div class="nd-sources"><h4>Sources of {label}</h4>{"".join(groups)}'
                f"{_evidence(a.passages, i)}</div>")
    if a.passages:
        scope = f" (searched only {_esc(turn.scope)})" if turn.scope else ""
        shown = a.passages[:max_passages]
        return (f'<div class="nd-sources"><h4>No answer found for {label}</h4>'
                f'<div class="nd-note">The articles do not answer this question{scope}. Closest passages:</div>'
                f"{passages_html(shown, i)}{_evidence(a.passages, i)}</div>")
    return (f'<div class="nd-sources"><h4>No sources for {label}</h4>'
            '<div class="nd-note">Nothing was retrieved.</div></div>')


def quote_spans(turn: Turn | None, doc_id: str) -> list[tuple[int, int, str]]:
    """(start, end, label) of every quote of `turn` in article `doc_id` (for highlighting)."""
    if turn is None or turn.answer is None:
        return []
    return [(c.start, c.end, f"[{c.n}]") for c in turn.answer.citations if c.doc_id == doc_id]


# -- the article view ------------------------------------------------------------------------------
def article_html(title: str, date_: str, source: str, url: str, text: str, start: int, end: int,
                 label: str = "", others: Sequence[tuple[int, int, str]] = ()) -> str:
    """The article (`title` as shown: see `display_title`) with `text[start:end]` in `<mark class="nd-hl nd-current">` (scrolled to) and the
    answer's other quotes of this article in `<mark class="nd-hl">`; everything escaped. Spans with
    bad offsets, or overlapping an earlier one, are not highlighted."""
    e = html.escape
    meta = " · ".join(e(x) for x in (date_, source) if x)
    link = ""
    if url.startswith(("http://", "https://")):
        link = f' · <a href="{e(url)}" target="_blank" rel="noopener noreferrer nofollow">original</a>'
    head = (f'<div class="nd-article-head"><h3>{e(label + " " if label else "")}{e(title or "Article")}</h3>'
            f'<div class="nd-meta">{meta}{link}</div></div>')
    spans = [(start, end, label, True)] + [(s, t, lab, False) for s, t, lab in others if (s, t) != (start, end)]
    spans = sorted((s for s in spans if 0 <= s[0] < s[1] <= len(text)), key=lambda s: s[0])
    parts: list[str] = []
    pos = 0
    for s, t, lab, current in spans:
        if s < pos:
            continue
        cls = "nd-hl nd-current" if current else "nd-hl"
        parts.append(e(text[pos:s]) + f'<mark class="{cls}" title="{e(lab)}">' + e(text[s:t]) + "</mark>")
        pos = t
    parts.append(e(text[pos:]))
    return head + '<div class="nd-article">' + "".join(parts) + "</div>"
