"""Scorer unit tests on hand-made answers (rules of ../shared/eval/README.md)."""

from __future__ import annotations

import pytest

from assistant.scoring import (
    EvalQuestion,
    aggregate,
    alias_matches,
    answer_matches,
    by_type,
    check_citation,
    first_source_rank,
    normalize,
    percentile,
    score_question,
    shares_run,
)
from assistant.types import Answer, Citation, Passage

ART = ("The Port Alder harbour bridge reopened on Monday. Engineers replaced 48 steel cables, "
       "the U.S.-mediated talks aside, and more than 20 crews worked through two winters.")
OTHER = "A different article about apples: 12,500 tonnes were picked in Brenna Valley."
TEXTS = {"bridge.txt": [ART], "apples.txt": [OTHER]}


def cite(n: int, quote: str, file_name: str = "bridge.txt", text: str = ART, start: int | None = None,
         end: int | None = None) -> Citation:
    s = text.index(quote) if start is None else start
    e = s + len(quote) if end is None else end
    return Citation(n=n, doc_id="d", file_name=file_name, quote=quote, start=s, end=e, score=1.0)


def passage(file_name: str) -> Passage:
    return Passage(chunk_id=f"{file_name}:0", doc_id="d", file_name=file_name, start=0, end=1, text="x", score=0.5)


Q = EvalQuestion(id="q1", question="How many cables were replaced?", answers=(("48", "forty-eight"),),
                 sources=("bridge.txt",), evidence=("Engineers replaced 48 steel cables",), type="factoid")
UNANSWERABLE = EvalQuestion(id="q2", question="What is the capital of France?", answerable=False, type="unanswerable")


# -- normalization and whole-word matching -----------------------------------------------------
def test_normalize_nfkc_lower_and_punctuation_runs() -> None:
    assert normalize("  U.S.-mediated  TALKS!! ") == "u s mediated talks"
    assert normalize("ｆｕｌｌ\u00a0width") == "full width"  # NFKC folds full-width letters and nbsp
    assert normalize("Ukraine’s 1,000") == "ukraine s 1 000"
    assert normalize("---") == ""


@pytest.mark.parametrize(("alias", "text", "expected"), [
    ("20", "more than 20 residents", True),
    ("20", "in 2025 they met", False),
    ("20", "20", True),
    ("U.S.", "the U.S.-mediated talks", True),
    ("US", "a US-brokered deal", True),
    ("US", "it was used by us", True),  # case-folded: the alias list decides which spellings count
    ("United States", "the united  states, and", True),
    ("Belarus", "Belarusian border", False),
    ("Oct 2", "on Oct. 2, 2025", True),
    ("...", "anything ...", False),
])
def test_alias_whole_word_rules(alias: str, text: str, expected: bool) -> None:
    assert alias_matches(alias, text) is expected


def test_every_group_must_match_any_alias() -> None:
    groups = (("United States", "U.S.", "US"), ("United Arab Emirates", "UAE"))
    assert answer_matches(groups, "The U.S. and the UAE mediated.") == (True, True)
    assert answer_matches(groups, "The UAE mediated.") == (False, True)


def test_shares_run_needs_twenty_characters_or_the_whole_short_snippet() -> None:
    ev = "Engineers replaced 48 steel cables"
    assert shares_run("replaced 48 steel cables, and", ev)  # 24 shared characters
    assert not shares_run("replaced 48 steel", ev)  # 17 characters only
    assert shares_run("they freed seven civilians today", "seven civilians")  # short snippet, whole
    assert not shares_run("seven civilian", "seven civilians")


def test_percentile_interpolates() -> None:
    assert percentile([], 50) is None
    assert percentile([10.0], 95) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([float(x) for x in range(1, 101)], 95) == pytest.approx(95.05)


# -- citations ---------------------------------------------------------------------------------
def test_citation_checks() -> None:
    good = check_citation(cite(1, "replaced 48 steel cables"), TEXTS, ("bridge.txt",))
    assert good.valid and good.in_sources
    shifted = check_citation(cite(1, "replaced 48 steel cables", start=ART.index("replaced") + 1,
                                  end=ART.index("replaced") + 25), TEXTS, ("bridge.txt",))
    assert not shifted.valid and "differs" in shifted.reason
    past = check_citation(cite(1, "cables", start=len(ART) + 5, end=len(ART) + 11), TEXTS, ("bridge.txt",))
    assert not past.valid and "past the end" in past.reason
    unknown = check_citation(cite(1, "replaced 48 steel cables", file_name="nope.txt"), TEXTS, ("bridge.txt",))
    assert not unknown.valid and "not in the corpus" in unknown.reason
    wrong_file = check_citation(cite(1, "12,500 tonnes", file_name="apples.txt", text=OTHER), TEXTS, ("bridge.txt",))
    assert wrong_file.valid and not wrong_file.in_sources
    empty = check_citation(cite(1, "", start=3, end=3), TEXTS, ("bridge.txt",))
    assert not empty.valid


def test_first_source_rank_within_k() -> None:
    assert first_source_rank(["a", "b", "bridge.txt"], ("bridge.txt",), 5) == 3
    assert first_source_rank(["a", "b", "bridge.txt"], ("bridge.txt",), 2) is None


# -- whole answers -----------------------------------------------------------------------------
def test_perfect_answer() -> None:
    a = Answer(question=Q.question, answer="Engineers replaced 48 steel cables [1].", abstained=False,
               citations=[cite(1, "Engineers replaced 48 steel cables")],
               passages=[passage("bridge.txt"), passage("apples.txt")], latency_ms=12.0)
    s = score_question(Q, a, TEXTS, k=5)
    assert s.correct and s.accurate and s.evidence_hit and s.rank == 1
    m = aggregate([Q], [s])
    assert (m.accuracy, m.citation_precision, m.citation_validity, m.evidence_recall) == (1.0, 1.0, 1.0, 1.0)
    assert (m.hit_at_k, m.mrr_at_k, m.false_abstention, m.abstention) == (1.0, 1.0, 0.0, None)
    assert m.latency_p50_ms == 12.0


def test_wrong_answer_wrong_file_and_bad_offset() -> None:
    a = Answer(question=Q.question, answer="About 2048 tonnes [1] [2].", abstained=False,
               citations=[cite(1, "12,500 tonnes", file_name="apples.txt", text=OTHER),
                          cite(2, "steel cables", start=0, end=12)],
               passages=[passage("apples.txt"), passage("apples.txt"), passage("bridge.txt")])
    s = score_question(Q, a, TEXTS, k=5, latency_ms=30.0)
    assert not s.correct and s.accurate is False and s.groups_matched == (False,)
    assert [c.valid for c in s.citations] == [True, False]
    assert [c.in_sources for c in s.citations] == [False, True]
    assert s.evidence_hit is False and s.rank == 3
    m = aggregate([Q], [s])
    assert m.accuracy == 0.0 and m.citation_precision == 0.5 and m.citation_validity == 0.5
    assert m.evidence_recall == 0.0 and m.hit_at_k == 1.0 and m.mrr_at_k == pytest.approx(1 / 3)
    assert m.latency_p50_ms == 30.0


def test_abstentions_right_and_wrong() -> None:
    abstain = Answer(question="x", answer="I could not find the answer.", abstained=True)
    on_unanswerable = score_question(UNANSWERABLE, abstain, TEXTS)
    on_answerable = score_question(Q, abstain.model_copy(update={"answer": "not 48 here"}), TEXTS)
    assert on_unanswerable.correct and on_unanswerable.accurate is None
    assert not on_answerable.correct and on_answerable.accurate is False  # abstained even though 48 appears
    answered = score_question(UNANSWERABLE, Answer(question="x", answer="Paris", abstained=False), TEXTS)
    assert not answered.correct
    m = aggregate([UNANSWERABLE, Q, UNANSWERABLE], [on_unanswerable, on_answerable, answered])
    assert m.abstention == 0.5 and m.false_abstention == 1.0 and m.accuracy == 0.0
    assert m.citation_precision is None and m.citation_validity is None  # no citations at all
    assert m.counts["answerable"] == 1 and m.counts["unanswerable"] == 2


def test_citations_of_abstained_answers_are_left_out_of_precision_only() -> None:
    a = Answer(question="x", answer="", abstained=True, citations=[cite(1, "12,500 tonnes", "apples.txt", OTHER)])
    s = score_question(Q, a, TEXTS)
    m = aggregate([Q], [s])
    assert m.citation_precision is None and m.citation_validity == 1.0


def test_error_counts_as_failure_even_for_unanswerable() -> None:
    a = Answer(question="x", answer="", abstained=True)
    s = score_question(UNANSWERABLE, a, TEXTS, error="RuntimeError: boom")
    assert not s.correct and s.error
    assert aggregate([UNANSWERABLE], [s]).counts["errors"] == 1


def test_by_type_breakdown() -> None:
    good = Answer(question="q", answer="48 [1]", abstained=False, citations=[cite(1, "48 steel")],
                  passages=[passage("bridge.txt")], latency_ms=5.0)
    abstain = Answer(question="q", answer="", abstained=True, latency_ms=7.0)
    qs = [Q, UNANSWERABLE]
    table = by_type(qs, [score_question(q, a, TEXTS) for q, a in zip(qs, [good, abstain], strict=True)])
    assert table["factoid"] == {"n": 1, "correct": 1.0, "short_answer_right": 0.0, "hit_at_k": 1.0,
                                "citation_validity": 1.0, "latency_p50_ms": 5.0}
    assert table["unanswerable"]["correct"] == 1.0 and table["unanswerable"]["hit_at_k"] is None
    assert table["unanswerable"]["short_answer_right"] is None  # no answerable question of that type


# -- short answers -------------------------------------------------------------------------------
TWO_GROUPS = EvalQuestion(id="q3", question="Who mediated?", answers=(("United States", "U.S."), ("UAE",)),
                          sources=("bridge.txt",), type="list")


def short(answer: str, short_answer: str | None, abstained: bool = False) -> Answer:
    return Answer(question="q", answer=answer, abstained=abstained, short_answer=short_answer)


@pytest.mark.parametrize(("answer", "short_answer", "abstained", "accurate", "short_right"), [
    # The whole answer matches, but only the short answer field counts for "short answer right".
    ("**48** — Engineers replaced 48 steel cables [1].", "48", False, True, True),
    ("**Monday** — Engineers replaced 48 steel cables [1].", "Monday", False, True, False),
    ("Engineers replaced 48 steel cables [1].", None, False, True, False),
    ("Engineers replaced 48 steel cables [1].", "   ", False, True, False),  # blank counts as none
    ("forty-eight cables", "forty-eight", False, True, True),  # any alias of the group
    ("I could not find it; 48 maybe.", "48", True, False, False),  # abstained: never right
    ("2048 tonnes", "2048", False, False, False),  # whole-word rule applies to the short answer too
])
def test_short_answer_right_uses_the_field_alone(answer, short_answer, abstained, accurate, short_right) -> None:
    s = score_question(Q, short(answer, short_answer, abstained), TEXTS)
    assert s.accurate is accurate and s.short_right is short_right
    assert s.as_dict()["short_right"] is short_right


def test_short_answer_must_match_every_group() -> None:
    both = score_question(TWO_GROUPS, short("The U.S. and the UAE [1].", "U.S. and UAE"), TEXTS)
    one = score_question(TWO_GROUPS, short("The U.S. and the UAE [1].", "U.S."), TEXTS)
    assert both.accurate and both.short_right
    assert one.accurate and one.short_right is False


def test_short_answer_metrics_and_denominators() -> None:
    qs = [Q, Q, TWO_GROUPS, UNANSWERABLE, UNANSWERABLE]
    answers = [
        short("48 [1]", "48"),  # right
        short("48 [1]", None),  # accurate, no short answer
        short("", None, abstained=True),  # abstained: wrong, and not "answered"
        short("Paris [1]", "Paris"),  # unanswerable answered with a short answer
        short("", None, abstained=True),
    ]
    scores = [score_question(q, a, TEXTS) for q, a in zip(qs, answers, strict=True)]
    assert [s.short_right for s in scores] == [True, False, False, None, None]
    m = aggregate(qs, scores)
    assert m.short_answer_accuracy == pytest.approx(1 / 3)  # over the 3 answerable questions
    assert m.short_answer_rate == pytest.approx(2 / 3)  # 3 answered, 2 of them with a short answer
    assert m.counts["answered"] == 3
    d = m.as_dict()
    assert d["short_answer_accuracy"] == 0.3333 and d["short_answer_rate"] == 0.6667
    table = by_type(qs, scores)
    assert table["factoid"]["short_answer_right"] == 0.5 and table["list"]["short_answer_right"] == 0.0


def test_short_answer_metrics_undefined_without_denominators() -> None:
    m = aggregate([UNANSWERABLE], [score_question(UNANSWERABLE, short("", None, abstained=True), TEXTS)])
    assert m.short_answer_accuracy is None and m.short_answer_rate is None
