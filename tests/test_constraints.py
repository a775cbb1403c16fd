"""Years named in a question must agree with the sentence's own years or its article's date."""

from __future__ import annotations

from assistant.constraints import (
    ARTICLE_YEAR_MISMATCH,
    CONFLICT,
    question_years,
    sentence_years,
    year_agreement,
)


def test_question_years_explicit_and_ranges():
    assert question_years("Who won the 2019 final?") == {2019}
    assert question_years("What happened between 2018 and 2020?") == {2018, 2020}
    assert question_years("Prices in the 2017-2019 period?") == {2017, 2018, 2019}
    assert question_years("Who mediated the February swap?") == frozenset()


def test_money_and_counts_are_not_years():
    assert sentence_years("The fund paid $2019 to each of 2,019 members, up 2020%.") == frozenset()


def test_relative_years_read_against_the_publication_date():
    assert sentence_years("Last year the club won the cup.", "2020-05-01") == {2019}
    assert sentence_years("This year's final was held in Porto.", "2021-06-01") == {2021}
    assert sentence_years("Last year the club won the cup.") == frozenset()


def test_a_sentence_about_another_year_is_not_an_answer():
    years = question_years("Who won the 2019 final?")
    assert year_agreement(years, "Rovers won the 2022 final 3-1.", "2022-05-30").factor == CONFLICT
    assert year_agreement(years, "Rovers won the 2019 final 3-1.", "2022-05-30").factor == 1.0
    # "last year" in an article of 2020 is 2019
    assert year_agreement(years, "Rovers won last year's final.", "2020-03-01").factor == 1.0


def test_no_year_in_the_sentence_falls_back_to_the_publication_year():
    years = question_years("Who won the 2019 final?")
    assert year_agreement(years, "Rovers won the final 3-1.", "2019-05-30").factor == 1.0
    assert year_agreement(years, "Rovers won the final 3-1.", "2023-05-30").factor == ARTICLE_YEAR_MISMATCH
    assert year_agreement(years, "Rovers won the final 3-1.", "2017-05-30").factor == CONFLICT
    assert year_agreement(years, "Rovers won the final 3-1.", "").factor == 1.0


def test_no_year_asked_always_agrees():
    assert year_agreement(frozenset(), "Rovers won the 2022 final.", "2022-05-30").factor == 1.0


def test_months_with_years_in_the_question():
    from assistant.constraints import ARTICLE_MONTH_MISMATCH, agreement, question_months, sentence_months

    assert question_months("How many were freed on Oct. 2, 2025?") == {(2025, 10)}
    assert question_months("Who hosted the May 2025 talks, and the 3 March 2026 ones?") == {(2025, 5), (2026, 3)}
    assert question_months("Who mediated the February swap?") == frozenset()
    # a month without a year is read against the publication date; "may" the verb is no month
    assert sentence_months("Talks may resume, officials said in August.", "2026-02-05") == {(2025, 8)}
    q = "What day did the May 2025 exchange take place?"
    assert agreement(q, "The last swap took place on Oct. 2, 2025.", "2026-02-05").factor == CONFLICT
    assert agreement(q, "The swap took place on Friday, May 23, 2025.", "2025-05-24").factor == 1.0
    assert agreement(q, "The two sides swapped 390 people on Friday.", "2025-05-24").factor == 1.0
    # no date in the sentence: the article's date decides (before the month: impossible)
    assert agreement(q, "The two sides swapped 390 people.", "2026-02-05").factor == ARTICLE_MONTH_MISMATCH
    assert agreement(q, "The two sides swapped 390 people.", "2025-01-05").factor == CONFLICT
    # the year asked without its month is not the month asked
    assert agreement("Who helped in August 2024?", "A raid on Kursk began in 2024.", "2026-02-05").factor \
        == ARTICLE_MONTH_MISMATCH


def test_a_reference_date_in_an_article_of_the_period_asked():
    from assistant.constraints import CONTEXT_DATE, agreement

    q = "How long was the meeting before the May 2025 swap?"
    s = "It followed a two-hour meeting, the first direct talks since March 2022."
    assert agreement(q, s, "2025-05-24").factor == CONTEXT_DATE
    assert agreement(q, s, "2026-02-05").factor == CONFLICT
    assert agreement("Who won the 2019 final?", "It was their first title since 2004.", "2019-05-30").factor == CONTEXT_DATE
    # a bare year in an article of the month asked is a reference date too ("held since 2022")
    q2 = "Since when had the soldiers returned in August 2025 been held?"
    s2 = "Most of them had been held since 2022, when the war began."
    assert agreement(q2, s2, "2025-08-24").factor == CONTEXT_DATE
    assert agreement(q2, s2, "2026-02-05").factor == CONFLICT
