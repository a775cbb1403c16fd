from __future__ import annotations

from datetime import date

from assistant.dates import resolve_window

DATES = ["2025-05-23", "2025-08-24", "2026-02-05", "2026-02-05"]


def test_month_without_year_picks_the_latest_month_with_articles():
    w = resolve_window("Who mediated the February swap?", DATES)
    assert w is not None and (w.start, w.end) == (date(2026, 2, 1), date(2026, 2, 28))
    w = resolve_window("Which country brokered the August exchange?", DATES)
    assert w is not None and w.start == date(2025, 8, 1)


def test_explicit_month_and_year():
    w = resolve_window("What happened in May 2025?", DATES)
    assert w is not None and w.start == date(2025, 5, 1) and w.end == date(2025, 5, 31)
    assert resolve_window("What happened in May 2024?", DATES) is None  # no articles then


def test_relative_to_newest_article():
    w = resolve_window("What happened last year?", DATES)
    assert w is not None and w.start == date(2025, 1, 1)
    w = resolve_window("Any news this year?", DATES)
    assert w is not None and w.start == date(2026, 1, 1)


def test_modal_may_and_verb_march_are_not_months():
    assert resolve_window("Who may mediate the talks?", DATES) is None
    assert resolve_window("Will they march on the capital?", DATES) is None
    assert resolve_window("What did Italy say in May?", DATES) is not None


def test_no_time_expression():
    assert resolve_window("Who is Ukraine's lead negotiator?", DATES) is None
    assert resolve_window("Who mediated the swap?", []) is None
