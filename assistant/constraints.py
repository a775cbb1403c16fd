"""Constraints from the question → whether a candidate sentence can answer it at all.

"Who won the 2019 final?" is not answered by a sentence about the 2022 final, nor by an article
published in 2022 that names no year. A year the question names must agree with a year the sentence
itself gives (explicitly, or as "last year"/"this year"/"next year" read against the article's
publication date), or — when the sentence gives none — with the article's publication year.

Month windows ("the February swap", "this week") are resolved against the collection by
`assistant.dates` and applied as a publication-window preference; this module handles the years
that a sentence can contradict by itself. Hand-written: a handful of unambiguous patterns; a
general date parser reads too much ("may", "march") in news prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    if said:
        return Agreement(CONFLICT, f"the sentence is about {', '.join(map(str, sorted(said)))}")
    published = _year_of(article_date)
    # An article may report an earlier year's event ("the 2019 final" recalled in 2020), so only
    # a publication before the year asked is impossible; a later one is merely less likely.
    if published is None or published in years:
        return AGREES
    if published < min(years):
        return Agreement(CONFLICT, f"the article was published in {published}")
    return Agreement(ARTICLE_YEAR_MISMATCH, f"the article was published in {published}")


def _year_of(iso: str) -> int | None:
    return int(iso[:4]) if len(iso) >= 4 and iso[:4].isdigit() else None
