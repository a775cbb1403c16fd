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


def test_casual_month_forms():
    from assistant.dates import resolve_windows

    for q in ("who mediated the feb swap", "what happened in august", "the Aug. exchange", "sept 2025?"):
        found = resolve_windows(q, [*DATES, "2025-09-10"])
        assert found, q
    assert resolve_window("who mediated the feb swap", DATES).start == date(2026, 2, 1)
    assert resolve_window("what happened in may", DATES).start == date(2025, 5, 1)
    assert resolve_window("Jan Kowalski said so", [*DATES, "2026-01-10"]) is None  # a name, not January


def test_open_windows_before_and_since():
    w = resolve_window("When did the last exchange before February 2026 happen?", DATES)
    assert w is not None and w.relation == "before"
    assert (w.start, w.end) == (date(2025, 5, 23), date(2026, 1, 31))
    s = resolve_window("Which swaps happened since May 2025?", DATES)
    assert s is not None and s.relation == "after" and (s.start, s.end) == (date(2025, 5, 1), date(2026, 2, 5))
    a = resolve_window("anything after May 2025?", DATES)
    assert a is not None and a.start == date(2025, 6, 1)
    # "differ from" is not "since"
    assert resolve_window("How did it differ from the February 2026 one?", DATES).relation == "in"


def test_weeks_are_relative_to_the_newest_article():
    w = resolve_window("What happened this week?", DATES)
    assert w is not None and (w.start, w.end) == (date(2026, 1, 30), date(2026, 2, 5))
    assert resolve_window("What happened last week?", DATES) is None  # no articles then


def test_several_periods_in_order_of_mention():
    from assistant.dates import resolve_windows

    found = resolve_windows("How did the May 2025 exchange differ from the February 2026 one?", DATES)
    assert [(w.start.month, w.start.year) for w in found] == [(5, 2025), (2, 2026)]
    assert len(resolve_windows("Compare the May and August swaps", DATES)) == 2


def test_labels_read_back_as_the_same_window():
    from assistant.dates import resolve_windows

    for q in ("the feb swap", "this week", "last year", "before February 2026", "in August", "in 2025"):
        for w in resolve_windows(q, DATES):
            again = resolve_window(w.query_phrase, DATES)
            assert again is not None and (again.start, again.end, again.relation) == (w.start, w.end, w.relation), q


def test_month_window_of_a_publication_date():
    from assistant.dates import month_window

    w = month_window("2025-08-24")
    assert w is not None and (w.start, w.end, w.label) == (date(2025, 8, 1), date(2025, 8, 31), "August 2025")
    assert month_window("unknown") is None


def test_before_an_event_of_a_period_is_that_period():
    # what led up to "the May swap" is reported with it
    w = resolve_window("Which city hosted negotiators before the May swap?", DATES)
    assert w is not None and w.relation == "in" and w.start == date(2025, 5, 1)
    # …but an earlier event of the kind is asked before it
    e = resolve_window("When did the last exchange before the February 2026 swap happen?", DATES)
    assert e is not None and e.relation == "before"
