"""Time expressions in a question → a window of publication dates, resolved against the articles.

"the February swap" means the most recent February that has articles; "in May 2025" is explicit;
"last year" / "this year" / "last month" are relative to the newest article, not to today (a news
archive is read after the fact).

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
# "May" and "March" are also an auxiliary verb and a verb: they count only capitalized, and "May"
# only after a preposition/article or before a year.
_MONTH_PAT = re.compile(rf"\b(?P<month>{_MONTH_RE})\.?(?:\s+(?:of\s+)?(?P<year>(?:19|20)\d\d))?\b", re.IGNORECASE)
_RELATIVE = re.compile(r"\b(?P<which>last|this|past|previous)\s+(?P<unit>year|month)\b", re.IGNORECASE)
_ISO = re.compile(r"\b(?P<iso>(?:19|20)\d\d-\d\d-\d\d)\b")


# Reports on an event can appear a few days after the period named ("the February swap").
DATE_SLACK_DAYS = 10


@dataclass(frozen=True)
class DateWindow:
    start: date
    end: date
    phrase: str

    def contains(self, iso: str, slack_days: int = 0) -> bool:
        if len(iso) < 10:
            return False
        try:
            d = date.fromisoformat(iso[:10])
        except ValueError:
            return False
        return self.start <= d <= self.end + timedelta(days=slack_days)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _is_month_word(m: re.Match[str], text: str) -> bool:
    word = m.group("month")
    low = word.lower()
    if low in ("may", "march"):
        if not word[0].isupper():
            return False
        if low == "may" and not m.group("year"):
            before = text[: m.start()].rstrip().lower()
            return before.endswith((" in", " the", " of", " since", " during", " early", " late", " mid"))
    if low in ("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"):
        return word[0].isupper() or bool(m.group("year"))
    return True


def resolve_window(question: str, article_dates: Iterable[str]) -> DateWindow | None:
    """The publication-date window the question points at, or None.

    Only windows that contain at least one article date are returned, so a time expression that
    matches nothing never empties the results.
    """
    dates = sorted({d[:10] for d in article_dates if len(d) >= 10})
    if not dates:
        return None
    known = [date.fromisoformat(d) for d in dates]
    newest = known[-1]

    def has_articles(start: date, end: date) -> bool:
        return any(start <= d <= end for d in known)

    m = _ISO.search(question)
    if m:
        day = date.fromisoformat(m.group("iso"))
        start, end = day - timedelta(days=3), day + timedelta(days=3)
        return DateWindow(start, end, m.group(0)) if has_articles(start, end) else None
    m2 = _RELATIVE.search(question)
    if m2:
        which, unit = m2.group("which").lower(), m2.group("unit").lower()
        if unit == "year":
            year = newest.year if which == "this" else newest.year - 1
            start, end = date(year, 1, 1), date(year, 12, 31)
        else:
            first = newest.replace(day=1)
            if which == "this":
                start, end = first, newest
            else:
                prev = first - timedelta(days=1)
                start, end = prev.replace(day=1), prev
        return DateWindow(start, end, m2.group(0)) if has_articles(start, end) else None
    for m3 in _MONTH_PAT.finditer(question):
        if not _is_month_word(m3, question):
            continue
        month = _MONTHS[m3.group("month").lower()]
        if m3.group("year"):
            year = int(m3.group("year"))
            start, end = date(year, month, 1), _month_end(year, month)
            return DateWindow(start, end, m3.group(0)) if has_articles(start, end) else None
        # The most recent such month that has articles.
        for year in sorted({d.year for d in known}, reverse=True):
            start, end = date(year, month, 1), _month_end(year, month)
            if has_articles(start, end):
                return DateWindow(start, end, m3.group(0))
    return None
