"""Constraints from the question → whether a candidate sentence can answer it at all.

"Who won the 2019 final?" is not answered by a sentence about the 2022 final, nor by an article
published in 2022 that names no year. A year the question names must agree with a year the sentence
itself gives (explicitly, or as "last year"/"this year"/"next year" read against the article's
publication date), or — when the sentence gives none — with the article's publication year.

A month with its year ("the May 2025 exchange", "on Oct. 2, 2025") must agree in the same way, at
month grain: a sentence dated October 2025 does not answer for May 2025, and an article published
in February 2026 whose sentence names no date is (weak) evidence against a question about August
2024. Months without a year ("the February swap", "this week") are resolved against the collection
by `assistant.dates` and applied as a publication-window preference. Hand-written: a handful of
unambiguous patterns; a general date parser reads too much ("may", "march") in news prose.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_YEAR = re.compile(r"(?<![\d$€£.,])\b(1[89]\d\d|20\d\d)\b(?![\d%])")
_RELATIVE_YEAR = re.compile(r"\b(last|this|next|previous|past)\s+year\b", re.IGNORECASE)
_SHIFT = {"last": -1, "previous": -1, "past": -1, "this": 0, "next": 1}
# "in 2019 and 2020", "the 2019–2020 season": a range names every year in it.
_RANGE = re.compile(r"\b(1[89]\d\d|20\d\d)\s*(?:-|–|—|to|until|through)\s*(1[89]\d\d|20\d\d)\b")


@dataclass(frozen=True)
class Agreement:
    """`factor` multiplies a sentence's score: 1.0 agrees or cannot tell, `CONFLICT` contradicts."""

    factor: float
    reason: str = ""


AGREES = Agreement(1.0)
# A sentence that explicitly names other years than the question's is about something else.
CONFLICT = 0.0
# No year in the sentence, but the article was published in another year: weak evidence against.
ARTICLE_YEAR_MISMATCH = 0.5
# An article published outside the period the question asks about ("this week", "the August
# swap"), whose sentence names no month of it: as strong evidence against as a later article.
OUTSIDE_PERIOD = 0.5
# The sentence names another period, but its article is of the period asked: the other date is
# probably a reference point ("the first direct talks since March 2022").
CONTEXT_DATE = 0.8


def question_years(question: str) -> frozenset[int]:
    """The years the question names explicitly ("the 2019 final", "between 2018 and 2020")."""
    years = {int(y) for y in _YEAR.findall(question)}
    for a, b in _RANGE.findall(question):
        lo, hi = sorted((int(a), int(b)))
        if hi - lo <= 20:
            years.update(range(lo, hi + 1))
    return frozenset(years)


def sentence_years(sentence: str, article_date: str = "") -> frozenset[int]:
    """Years a sentence speaks of: explicit ones, and relative ones read against `article_date`."""
    years = {int(y) for y in _YEAR.findall(sentence)}
    for a, b in _RANGE.findall(sentence):
        lo, hi = sorted((int(a), int(b)))
        if hi - lo <= 20:
            years.update(range(lo, hi + 1))
    published = _year_of(article_date)
    if published is not None:
        years.update(published + _SHIFT[m.group(1).lower()] for m in _RELATIVE_YEAR.finditer(sentence))
    return frozenset(years)


def year_agreement(years: frozenset[int], sentence: str, article_date: str = "") -> Agreement:
    """How well `sentence` (from an article published on `article_date`, ISO) fits the question's
    `years`. No years asked → always agrees."""
    if not years:
        return AGREES
    said = sentence_years(sentence, article_date)
    if said & years:
        return AGREES
    published = _year_of(article_date)
    if said:
        if published in years:  # "the first talks since 2022" in an article of the year asked
            return Agreement(CONTEXT_DATE, f"the sentence also names {', '.join(map(str, sorted(said)))}")
        return Agreement(CONFLICT, f"the sentence is about {', '.join(map(str, sorted(said)))}")
    # An article may report an earlier year's event ("the 2019 final" recalled in 2020), so only
    # a publication before the year asked is impossible; a later one is merely less likely.
    if published is None or published in years:
        return AGREES
    if published < min(years):
        return Agreement(CONFLICT, f"the article was published in {published}")
    return Agreement(ARTICLE_YEAR_MISMATCH, f"the article was published in {published}")


_MONTH_NUMBERS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTH_NUMBERS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH_NUMBERS["sept"] = 9
_MONTH_ALT = "|".join(sorted((m.capitalize() for m in _MONTH_NUMBERS), key=len, reverse=True))
# "May 2025", "Oct. 2, 2025", "August of 2024", "2 October 2025": capitalised month names only
# ("may" is a verb), with a year.
_MONTH_YEAR = re.compile(
    rf"\b(?:(?P<m1>{_MONTH_ALT})\.?(?:\s+\d{{1,2}}(?:st|nd|rd|th)?,?)?(?:\s+of)?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MONTH_ALT})\.?,?)\s+(?P<year>1[89]\d\d|20\d\d)\b")
# A month without a year in a sentence: "in August", "on Sunday, Aug. 24", "since March" (not "May" alone).
_BARE_MONTH = re.compile(
    rf"\b(?:(?:in|on|since|until|by|from|early|late|mid|last|this|of)\s+(?P<m1>{_MONTH_ALT})\b"
    rf"|(?P<m2>{_MONTH_ALT})\.?\s+\d{{1,2}}\b(?!,?\s+\d{{4}})|(?P<m3>(?!May\b){_MONTH_ALT})\b(?!\.?,?\s+(?:\d|of\s+\d)))")
# A question about a month, asked of an article published this many days after its end: the report
# of the month's events may come late.
MONTH_SLACK_DAYS = 31
# The sentence names no date and its article was published well after the month asked: weak
# evidence against (the sentence is probably about the article's own news).
ARTICLE_MONTH_MISMATCH = 0.5


def _month(name: str) -> int:
    return _MONTH_NUMBERS[name.lower().rstrip(".")]


def question_months(question: str) -> frozenset[tuple[int, int]]:
    """(year, month) pairs the question names with their year: "the May 2025 exchange",
    "on Oct. 2, 2025". A month without a year is a publication window (`assistant.dates`)."""
    return frozenset((int(m.group("year")), _month(m.group("m1") or m.group("m2"))) for m in _MONTH_YEAR.finditer(question))


def sentence_months(sentence: str, article_date: str = "") -> frozenset[tuple[int, int]]:
    """(year, month) pairs a sentence speaks of: explicit ones ("Oct. 2, 2025"), and months without a
    year ("in August") read as the latest such month up to the article's publication date."""
    found = {(int(m.group("year")), _month(m.group("m1") or m.group("m2"))) for m in _MONTH_YEAR.finditer(sentence)}
    rest = _MONTH_YEAR.sub(" ", sentence)
    published = _date_of(article_date)
    if published is not None:
        for m in _BARE_MONTH.finditer(rest):
            month = _month(m.group("m1") or m.group("m2") or m.group("m3"))
            found.add((published.year if month <= published.month else published.year - 1, month))
    return frozenset(found)


def month_agreement(months: frozenset[tuple[int, int]], sentence: str, article_date: str = "") -> Agreement:
    """How well `sentence` fits the months (with years) the question names; none asked → agrees.
    The sentence's own months decide when it names any (another month conflicts, unless the article
    is of the month asked: then it is a reference date, CONTEXT_DATE); a sentence about another year
    conflicts, likewise unless the article is of the month asked;
    otherwise (the year asked without a month, or no date) the article's publication date: in the month (or up to MONTH_SLACK_DAYS after) agrees, before it
    conflicts, later is ARTICLE_MONTH_MISMATCH."""
    if not months:
        return AGREES
    said = sentence_months(sentence, article_date)
    if said:
        if said & months:
            return AGREES
        labels = ", ".join(_label(m) for m in sorted(said))
        if _published_in(months, _date_of(article_date)):  # a reference date in an article of the month asked
            return Agreement(CONTEXT_DATE, f"the sentence also names {labels}")
        return Agreement(CONFLICT, f"the sentence is about {labels}")
    years = sentence_years(sentence, article_date)
    if years and not years & {y for y, _ in months}:
        named = ", ".join(map(str, sorted(years)))
        if _published_in(months, _date_of(article_date)):  # "held captive since 2022" in an article of the month
            return Agreement(CONTEXT_DATE, f"the sentence also names {named}")
        return Agreement(CONFLICT, f"the sentence is about {named}")
    # no month said (the year asked, or no date at all): the publication date tells the month
    published = _date_of(article_date)
    if published is None:
        return AGREES
    if _published_in(months, published):
        return AGREES
    if published < min(date(y, m, 1) for y, m in months):
        return Agreement(CONFLICT, f"the article was published on {published.isoformat()}")
    return Agreement(ARTICLE_MONTH_MISMATCH, f"the article was published on {published.isoformat()}")


def names_month_of(start: date, end: date, sentence: str, article_date: str = "") -> bool:
    """Whether the sentence names a month (with its year, or read against its article's date) that
    overlaps the period `start`..`end`."""
    return any(date(y, m, 1) <= end and start <= date(y, m, calendar.monthrange(y, m)[1])
               for y, m in sentence_months(sentence, article_date))


def _published_in(months: frozenset[tuple[int, int]], published: date | None) -> bool:
    """Published in one of `months` or up to MONTH_SLACK_DAYS after its end."""
    if published is None:
        return False
    for y, m in months:
        start, end = date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
        if start <= published and (published - end).days <= MONTH_SLACK_DAYS:
            return True
    return False


@dataclass(frozen=True)
class Periods:
    """The periods a question names: months with their years, and years."""

    months: frozenset[tuple[int, int]]
    years: frozenset[int]

    @classmethod
    def of(cls, question: str) -> Periods:
        return cls(question_months(question), question_years(question))

    def __bool__(self) -> bool:
        return bool(self.months or self.years)

    def agreement(self, sentence: str, article_date: str = "") -> Agreement:
        """These periods against one sentence: the stricter of the month and the year agreement."""
        by_month = month_agreement(self.months, sentence, article_date)
        by_year = year_agreement(self.years, sentence, article_date)
        return by_month if by_month.factor < by_year.factor else by_year


def agreement(question: str, sentence: str, article_date: str = "") -> Agreement:
    """The question's constraints (months with years, then years) against one sentence: the
    stricter of the two."""
    return Periods.of(question).agreement(sentence, article_date)


def _label(month: tuple[int, int]) -> str:
    return f"{calendar.month_name[month[1]]} {month[0]}"


def _date_of(iso: str) -> date | None:
    try:
        return date.fromisoformat(iso[:10])
    except ValueError:
        return None


def _year_of(iso: str) -> int | None:
    return int(iso[:4]) if len(iso) >= 4 and iso[:4].isdigit() else None
