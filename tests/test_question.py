"""Question analysis: kind, answer type, target, periods and dependence, on phrasings written for
these tests (formal, casual, lower-case, misspelt). No model, no store."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.question import analyze, normalize, windows_from

DATES = ["2025-05-23", "2025-08-24", "2026-02-05", "2026-02-05"]
RESOLVE = windows_from(DATES)


def kind(q: str) -> str:
    return analyze(q, RESOLVE).kind


@pytest.mark.parametrize("q", [
    "Did the UAE help with the August swap?",
    "Were they handed over in Poland?",
    "Is Steve Witkoff a US envoy?",
    "was the exchange mediated by turkey",
    "Has Russia returned any civilians?",
    "Does the article mention Istanbul?",
    "did ukraine get its soldiers back",
    "Were civilians among the freed Ukrainians?",
    "Is it true that the talks were held in Abu Dhabi?",
    "Can the talks continue next week?",
    "didnt the uae arrange the logistics",
    "Are the talks over?",
])
def test_yes_no_questions_start_with_an_auxiliary(q):
    assert kind(q) == "yesno"


def test_a_choice_between_values_is_not_yes_no():
    assert kind("Was the swap in May or in February?") != "yesno"


@pytest.mark.parametrize("q,target", [
    ("Who is Steve Witkoff?", "Steve Witkoff"),
    ("who is witkoff", "witkoff"),
    ("Who's Rustem Umerov?", "Rustem Umerov"),
    ("whos medinsky", "medinsky"),
    ("What is the UAE?", "the UAE"),
    ("Who was Kyrylo Budanov?", "Kyrylo Budanov"),
    ("What role does Jared Kushner play?", "Jared Kushner"),
    ("What is Dmytro Lubinets's job", "Dmytro Lubinets"),
    ("who exactly is Lubinets?", "Lubinets"),
    ("What does Witkoff do?", "Witkoff"),
    ("define exchange fund", "exchange fund"),
])
def test_definitions_ask_for_a_name_or_term(q, target):
    a = analyze(q, RESOLVE)
    assert a.kind == "definition"
    assert a.target == target


@pytest.mark.parametrize("q", [
    "Who is Ukraine's lead negotiator?",
    "Who is the US special envoy involved in the peace talks?",
    "What is the capital of France?",
    "What is the main sticking point in the negotiations?",
    "who is the president of ukraine",
])
def test_a_description_to_find_is_a_factoid_not_a_definition(q):
    assert kind(q) == "factoid"


@pytest.mark.parametrize("q", [
    "Summarize the August exchange",
    "summarise the may swap please",
    "summerize the agust exchange",
    "Give me a summary of the February talks",
    "Tell me about the prisoner exchange in May 2025",
    "What happened in August?",
    "what happened with the feb swap",
    "Can you give me an overview of the Abu Dhabi talks?",
    "Overview of the exchanges, please",
    "Sum up the February 2026 swap.",
    "Catch me up on the prisoner swaps",
    "What do the articles say about Kursk?",
])
def test_summaries(q):
    assert kind(q) == "summary"


@pytest.mark.parametrize("q,windows", [
    ("How did the May 2025 exchange differ from the February 2026 one?", ["May 2025", "February 2026"]),
    ("Compare the May and February exchanges", ["May 2025", "February 2026"]),
    ("compare the aug swap with the feb swap", ["August 2025", "February 2026"]),
    ("What is the difference between the August exchange and the February exchange?",
     ["August 2025", "February 2026"]),
    ("May 2025 exchange vs February 2026 exchange", ["May 2025", "February 2026"]),
    ("Was the May exchange bigger than the February one?", ["May 2025", "February 2026"]),
    ("how do the august and february swaps compare", ["August 2025", "February 2026"]),
    ("Which was larger, the May swap or the August swap?", ["May 2025", "August 2025"]),
    ("In what way did the February exchange differ from the one in May?", ["February 2026", "May 2025"]),
])
def test_comparisons_have_two_sides_each_with_its_period(q, windows):
    a = analyze(q, RESOLVE)
    assert a.kind == "comparison"
    assert len(a.sides) == 2
    assert [s.window.label if s.window else None for s in a.sides] == windows
    assert a.attributes


def test_comparison_attributes_follow_the_question():
    assert analyze("Was the May exchange bigger than the February one?", RESOLVE).attributes == ("size",)
    a = analyze("Compare where the May and February exchanges took place", RESOLVE)
    assert "place" in a.attributes
    assert "mediator" in analyze("How did the mediators of the May and August swaps differ?", RESOLVE).attributes


@pytest.mark.parametrize("q,questions,windows", [
    ("Who mediated the August 2025 swap, and who mediated the February 2026 one?",
     ["Who mediated the August 2025 swap?", "Who mediated the February 2026 swap?"], ["August 2025", "February 2026"]),
    ("Where did negotiators meet ahead of the May 2025 swap compared with the February 2026 swap?",
     ["Where did negotiators meet ahead of the May 2025 swap?",
      "Where did negotiators meet ahead of the February 2026 swap?"], ["May 2025", "February 2026"]),
    ("How many prisoners were freed in May 2025 compared with August 2025?",
     ["How many prisoners were freed in May 2025?", "How many prisoners were freed in August 2025?"],
     ["May 2025", "August 2025"]),
    ("In terms of civilians freed, how did the May 2025 swap compare with the February 2026 one?",
     ["How many civilians freed in the May 2025 swap?", "How many civilians freed in the February 2026 swap?"],
     ["May 2025", "February 2026"]),
    ("How did the number of civilians freed in May 2025 compare with the number of soldiers freed in August 2025?",
     ["How many civilians freed in May 2025?", "How many soldiers freed in August 2025?"], ["May 2025", "August 2025"]),
])
def test_a_comparison_that_asks_something_gives_each_side_that_question(q, questions, windows):
    a = analyze(q, RESOLVE)
    assert a.kind == "comparison"
    assert [s.question for s in a.sides] == questions
    assert [s.window.label if s.window else None for s in a.sides] == windows


def test_two_questions_of_one_topic_are_not_a_comparison():
    assert kind("How many soldiers and how many civilians did each side hand over in the May swap?") != "comparison"
    assert kind("Who mediated the swap and where did it happen?") != "comparison"
    # a comparison without a question of its own is aligned on the attributes
    assert not any(s.question for s in analyze("How did the May exchange differ from the February one?", RESOLVE).sides)
    assert analyze("In terms of mediators, how did the May swap compare with the February one?",
                   RESOLVE).sides[0].question.startswith("Who were the mediators of")


def test_more_than_a_number_is_not_a_comparison():
    assert kind("How many residents were still held, more than 20?") != "comparison"


@pytest.mark.parametrize("q,answer_type", [
    ("Which countries mediated the February swap?", "country"),
    ("which countries helped with the feb exchange", "country"),
    ("Which US officials have been spearheading the peace discussions?", "person"),
    ("In which areas had the released individuals been captured?", "place"),
    ("List the mediators of the exchanges", "name"),
    ("Name all the countries involved", "country"),
    ("Who all took part in the talks?", "name"),
    ("Who were the negotiators in Istanbul?", "person"),
    ("What cities hosted talks?", "city"),
    ("which organisations were involved", "organization"),
    # points, not names: answered by what the sentences say
    ("What issues are holding up a deal?", "other"),
    ("Which demands did the union make?", "other"),
    ("List the main obstacles to a ceasefire", "other"),
    # kinds of people, not organisations
    ("Which groups of people were freed in the swap?", "other"),
    ("What emotions did the families show?", "other"),
])
def test_lists_ask_for_several_values(q, answer_type):
    a = analyze(q, RESOLVE)
    assert a.kind == "list"
    assert a.answer_type == answer_type


@pytest.mark.parametrize("q,answer_type", [
    ("Who mediated the February swap?", "name"),
    ("who mediated the feb swap", "name"),
    ("Who helped arrange the February 2026 exchange?", "name"),
    ("When did the last exchange before February 2026 happen?", "date"),
    ("How many prisoners were exchanged?", "number"),
    ("how many ppl were freed in may", "number"),
    ("Where were the prisoners handed over?", "place"),
    ("In which city did negotiators meet?", "city"),
    ("Which country brokered the August exchange?", "country"),
    ("Who is Ukraine's lead negotiator?", "person"),
    ("How much did the deal cost?", "money"),
    ("What percentage of the prisoners were civilians?", "percent"),
    ("What year did the invasion begin?", "date"),
    ("Which ministry released the video?", "organization"),
    # a plural after "what did" is the verb's subject: no list, no type
    ("What did engineers replace on the bridge?", "other"),
    ("What will the negotiators discuss next?", "other"),
])
def test_factoid_answer_types(q, answer_type):
    a = analyze(q, RESOLVE)
    assert a.kind == "factoid"
    assert a.answer_type == answer_type


def test_casual_forms_are_spelled_out():
    assert normalize("who mediated the feb swap") == "who mediated the February swap"
    assert "September" in normalize("what happened in sept")
    assert "August" in normalize("summarize the aug exchange")
    assert normalize("whos witkoff") == "who is witkoff"
    assert normalize("Who may mediate?") == "Who may mediate?"  # the modal stays a modal
    assert "May" in normalize("what happened in may")
    assert normalize("summerize the agust exchange") == "summarize the August exchange"
    # places typed in lower case are read as names; everyday words that name towns are not
    assert normalize("sum up the abu dhabi talks") == "sum up the Abu Dhabi talks"
    assert normalize("did the uae help?") == "did the UAE help?"
    assert analyze("did norway and peru meet in oslo?", RESOLVE).entities == ("Norway", "Peru", "Oslo")
    assert normalize("is it nice in reading") == "is it nice in reading"
    # chat shorthand; "R&D" and a lone "r" are no "are"
    assert normalize("when r the talks supposed to continue") == "when are the talks supposed to continue"
    assert normalize("temps in kyiv?") == "temperatures in Kyiv?"
    assert normalize("y did they stall, how many yrs") == "why did they stall, how many years"
    assert normalize("R&D spending") == "R&D spending" and normalize("what is r?") == "what is r?"
    assert normalize("did ukr n russia meet") == "did ukr and Russia meet"
    assert normalize("what is plan N?") == "what is plan N?" and normalize("n korea") == "n korea"


def test_periods_one_two_and_open():
    a = analyze("Who mediated the February swap?", RESOLVE)
    assert a.window is not None and a.window.start == date(2026, 2, 1)
    before = analyze("When did the last exchange before February 2026 happen?", RESOLVE).window
    assert before is not None and before.relation == "before" and before.end == date(2026, 1, 31)
    assert len(analyze("How did the May 2025 exchange differ from the February 2026 one?", RESOLVE).windows) == 2
    assert analyze("what happened this week", RESOLVE).window is not None
    assert analyze("Who mediated the swap?", RESOLVE).windows == ()
    assert analyze("Who mediated the February swap?").windows == ()  # no resolver, no periods


@pytest.mark.parametrize("q", [
    "And in August?",
    "Where were they handed over?",
    "What did he say about the next steps?",
    "How many of them were civilians?",
    "what about may?",
    "And the mediators?",
    "Were they handed over in Poland?",
    "Who arranged that swap?",
    "In May?",
    "and who paid for it",
])
def test_questions_that_need_the_conversation(q):
    assert analyze(q, RESOLVE).self_contained is False


@pytest.mark.parametrize("q,anchored", [
    ("Summarize the August exchange", True),
    ("Who is Steve Witkoff?", True),
    ("Which country facilitated the exchange of 146 prisoners of war?", True),
    ("How many people were involved in the largest prisoner exchange?", True),
    ("What is the capital of France?", True),
    ("How many prisoners were exchanged?", False),
    ("Where did the exchange take place?", False),
    ("Who mediated the swap?", False),
])
def test_self_contained_questions_with_and_without_an_anchor(q, anchored):
    a = analyze(q, RESOLVE)
    assert a.self_contained is True
    assert a.anchored is anchored


def test_targets_and_entities():
    assert analyze("Summarize the August exchange", RESOLVE).target == "the August exchange"
    a = analyze("How many Kursk residents did Medinsky say were yet to be released?", RESOLVE)
    assert set(a.entities) == {"Kursk", "Medinsky"}
    assert analyze("who mediated the feb swap", RESOLVE).target == "the February swap"
    assert "witkoff" in analyze("what did witkoff announce", RESOLVE).entities


def test_analysis_is_frozen():
    a = analyze("Who is Steve Witkoff?")
    with pytest.raises(AttributeError):
        a.kind = "summary"  # type: ignore[misc]


def test_which_article_to_read_is_not_what_is_asked():
    """"…, according to the May 2025 article" keeps the question's kind and target; the period stays."""
    a = analyze("Who is Donald Trump, according to the May 2025 article?", RESOLVE)
    assert a.kind == "definition" and a.target == "Donald Trump"
    assert a.window is not None and a.window.start == date(2025, 5, 1)
    s = analyze("Give me an overview of the toll of the war as the SBS article describes it", RESOLVE)
    assert s.kind == "summary" and s.target == "the toll of the war"
    assert analyze("Who mediated, according to reports?", RESOLVE).kind == "factoid"


@pytest.mark.parametrize("q,expected", [
    ("quick q - when was the last swap before the feb one? like the exact date",
     "when was the last swap before the February one?"),
    ("OK, so who mediated the swap?", "who mediated the swap?"),
    ("Hmm OK. Where did the exchange happen?", "Where did the exchange happen?"),
    ("Q: who is Steve Witkoff?", "who is Steve Witkoff?"),
    ("So far, how many prisoners were exchanged?", "So far, how many prisoners were exchanged?"),  # "so far" is no filler
    ("Well-known mediators: who were they?", "Well-known mediators: who were they?"),
])
def test_chat_filler_around_a_question_is_dropped(q, expected):
    assert normalize(q) == expected
