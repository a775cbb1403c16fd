"""Time expressions in a question → windows of publication dates, resolved against the articles.

"the February swap" means the most recent February that has articles; "in May 2025" is explicit;
"last year" / "this year" / "last month" / "this week" are relative to the newest article, not to
today (a news archive is read after the fact); "before February 2026" / "since May" are open on one
side and bounded by the collection's oldest/newest article on the other. Casual forms count where
they are unambiguous: "feb", "aug", "sept" and lower-case month names ("in august"); "may" and
"march" only capitalized or after a preposition/article, because they are also a modal and a verb.

A question may name several periods ("How did the May 2025 exchange differ from the February 2026
one?"): `resolve_windows` returns each, in order of mention; `resolve_window` the first.

Hand-written on purpose: dateparser's `search_dates` resolves against the clock, not against the
collection, and reads modal "may" and verbs like "march" as months; here only unambiguous forms count.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH_PAT = re.compile(rf"\b(?P<month>{_MONTH_RE})\b\.?(?:,?\s+(?:of\s+)?(?P<year>(?:19|20)\d\d)\b)?", re.IGNORECASE)
_YEAR_PAT = re.compile(r"\b(?P<year>(?:19|20)\d\d)\b")
_RELATIVE = re.compile(r"\b(?P<which>last|this|past|previous)\s+(?P<unit>year|month|week)\b", re.IGNORECASE)
_ISO = re.compile(r"\b(?P<iso>(?:19|20)\d\d-\d\d-\d\d)\b")
_BEFORE = re.compile(r"\b(?:before|prior\s+to|until|till|up\s+to|earlier\s+than)\s+(?:the\s+)?(?:end\s+of\s+)?$",
                     re.IGNORECASE)
# "the May swap", "the February 2026 talks": a period naming an event
EVENT_AFTER = re.compile(r"\s+(?:exchanges?|swaps?|talks|deals?|releases?|trades?|meetings?|rounds?|agreements?|"
                          r"negotiations?|summits?|visits?|ceasefires?|elections?|votes?|strikes?|attacks?)\b",
                          re.IGNORECASE)
# "the last exchange before…", "the previous swap…": the question asks for an earlier event
_EARLIER_ONE = re.compile(r"\b(?:last|previous|prior|earlier|latest|most\s+recent|preceding|next|following|first|"
                          r"later|subsequent)\b", re.IGNORECASE)
_AFTER = re.compile(r"\b(?:after|since|following|later\s+than)\s+(?:the\s+)?$", re.IGNORECASE)
# Words before a month that make a lower-case "may"/"march"/"mar" a month ("in may", "the march talks").
_MONTH_CONTEXT = (" in", " the", " of", " since", " during", " early", " late", " mid", " before", " after",
                  " until", " from", " by", " last", " this", " that")
_AMBIGUOUS = {"may", "march", "mar"}
# A bare year names a period only after one of these ("in 2025", "the 2025 exchange").
_YEAR_CONTEXT = re.compile(r"\b(?:in|of|during|the|since|before|after|until|from|by|early|late|mid)\s*$", re.IGNORECASE)

# Reports on an event can appear a few days after the period named ("the February swap").
DATE_SLACK_DAYS = 10


@dataclass(frozen=True)
class DateWindow:
    """A period of publication dates. `phrase` is the question's words for it; `relation` is "in"
    for a named period, "before"/"after" for an open one (bounded by the collection's oldest/newest
    article); `label` is a phrase that `resolve_window` reads back as the same window (used to carry
    a conversation's period into a follow-up's retrieval query)."""

    start: date
    end: date
    phrase: str
    relation: str = "in"
    label: str = ""

    def contains(self, iso: str, slack_days: int = 0) -> bool:
        if len(iso) < 10:
            return False
        try:
            d = date.fromisoformat(iso[:10])
        except ValueError:
            return False
        return self.start <= d <= self.end + timedelta(days=slack_days)

    @property
    def query_phrase(self) -> str:
        return self.label or self.phrase


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _is_month_word(m: re.Match[str], text: str) -> bool:
    word = m.group("month")
    low = word.lower()
    if m.group("year"):
        return True
    before = " " + text[: m.start()].rstrip().lower()
    if low in _AMBIGUOUS:
        if low == "march" and word[0].isupper() and m.start() > 0:
            return True
        return before.endswith(_MONTH_CONTEXT)
    if len(low) <= 4 and low not in ("june", "july"):
        # "jan", "feb", "aug", "sept", "oct", … : months in any case, but not inside other words
        # (the \b pattern already ensures that) and not "Jun"/"Jan" as the start of a name.
        nxt = text[m.end() : m.end() + 2]
        return not (word[0].isupper() and nxt[:1] == " " and nxt[1:2].isupper())
    return True


def _label_month(year: int, month: int) -> str:
    return f"{calendar.month_name[month]} {year}"


def resolve_windows(question: str, article_dates: Iterable[str]) -> list[DateWindow]:
    """Every publication-date window the question points at, in order of mention.

    Only windows that contain at least one article date are returned, so a time expression that
    matches nothing never empties the results.
    """
    dates = sorted({d[:10] for d in article_dates if len(d) >= 10})
    known: list[date] = []
    for d in dates:
        try:
            known.append(date.fromisoformat(d))
        except ValueError:
            continue
    if not known:
        return []
    oldest, newest = known[0], known[-1]

    def has_articles(start: date, end: date) -> bool:
        return any(start <= d <= end for d in known)

    found: list[tuple[int, int, DateWindow]] = []  # (start offset, end offset, window)

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e, _ in found)

    def add(a: int, b: int, w: DateWindow | None) -> None:
        if w is not None and free(a, b) and has_articles(w.start, w.end):
            found.append((a, b, w))

    def open_window(a: int, start: date, end: date, phrase: str, anchor_label: str,
                    b: int | None = None) -> DateWindow | None:
        """"before X" / "after X" when the words before offset `a` say so; None otherwise. With `b`
        (the end of the phrase), "before the May swap" names an event of that period — what led up to
        it is reported with it — so it is the period itself (None), unless the question asks for an
        earlier one of its kind ("the last exchange before the February swap")."""
        head = question[:a]
        if b is not None and EVENT_AFTER.match(question[b:]) and not _EARLIER_ONE.search(head):
            return None
        if _BEFORE.search(head):
            return DateWindow(oldest, start - timedelta(days=1), phrase, "before", f"before {anchor_label}")
        if _AFTER.search(head):
            since = re.search(r"\b(?:since)\s+(?:the\s+)?$", head, re.IGNORECASE)
            first = start if since else end + timedelta(days=1)
            return DateWindow(first, newest, phrase, "after", f"{'since' if since else 'after'} {anchor_label}")
        return None

    for m in _ISO.finditer(question):
        try:
            day = date.fromisoformat(m.group("iso"))
        except ValueError:
            continue
        label = day.isoformat()
        w = open_window(m.start(), day, day, m.group(0), label) or \
            DateWindow(day - timedelta(days=3), day + timedelta(days=3), m.group(0), "in", label)
        add(m.start(), m.end(), w)
    for m2 in _RELATIVE.finditer(question):
        which, unit = m2.group("which").lower(), m2.group("unit").lower()
        if unit == "year":
            year = newest.year if which == "this" else newest.year - 1
            start, end, label = date(year, 1, 1), date(year, 12, 31), f"in {year}"
        elif unit == "month":
            first = newest.replace(day=1)
            if which == "this":
                start, end = first, newest
            else:
                prev = first - timedelta(days=1)
                start, end = prev.replace(day=1), prev
            label = _label_month(start.year, start.month)
        else:  # a week: the seven days ending with the newest article, or the seven before them
            end = newest if which in ("this", "past") else newest - timedelta(days=7)
            start = end - timedelta(days=6)
            label = (end - timedelta(days=3)).isoformat()
        add(m2.start(), m2.end(), DateWindow(start, end, m2.group(0), "in", label))
    for m3 in _MONTH_PAT.finditer(question):
        if not _is_month_word(m3, question):
            continue
        month = _MONTHS[m3.group("month").lower()]
        phrase = m3.group(0)
        if m3.group("year"):
            year = int(m3.group("year"))
        else:
            # The most recent such month that has articles; for "before"/"after", the most recent
            # such month up to the newest article.
            with_articles = [y for y in sorted({d.year for d in known}, reverse=True)
                             if has_articles(date(y, month, 1), _month_end(y, month))]
            if _BEFORE.search(question[: m3.start()]) or _AFTER.search(question[: m3.start()]) or not with_articles:
                year = newest.year if month <= newest.month else newest.year - 1
            else:
                year = with_articles[0]
        start, end = date(year, month, 1), _month_end(year, month)
        label = _label_month(year, month)
        w = open_window(m3.start(), start, end, phrase, label, m3.end()) or DateWindow(start, end, phrase, "in", label)
        add(m3.start(), m3.end(), w)
    for m4 in _YEAR_PAT.finditer(question):
        head = question[: m4.start()]
        if not _YEAR_CONTEXT.search(head) or question[m4.end() : m4.end() + 1] == "-":
            continue
        year = int(m4.group("year"))
        start, end = date(year, 1, 1), date(year, 12, 31)
        w = open_window(m4.start(), start, end, m4.group(0), str(year)) or \
            DateWindow(start, end, m4.group(0), "in", f"in {year}")
        add(m4.start(), m4.end(), w)
    found.sort(key=lambda f: f[0])
    out: list[DateWindow] = []
    for _, _, w in found:
        if all((w.start, w.end) != (o.start, o.end) for o in out):
            out.append(w)
    return out


def resolve_window(question: str, article_dates: Iterable[str]) -> DateWindow | None:
    """The first publication-date window the question points at, or None (see `resolve_windows`)."""
    windows = resolve_windows(question, article_dates)
    return windows[0] if windows else None


def month_window(iso: str) -> DateWindow | None:
    """The calendar month of a publication date ("2025-08-24" → August 2025), or None."""
    try:
        d = date.fromisoformat(iso[:10])
    except ValueError:
        return None
    label = _label_month(d.year, d.month)
    return DateWindow(date(d.year, d.month, 1), _month_end(d.year, d.month), label, "in", label)
