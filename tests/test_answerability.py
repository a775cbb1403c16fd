"""Abstention: the rules (an unknown term, no value of the asked type, off topic, off period) and the
fitted answerability model (loading, sha256 refusal, determinism); on the seed articles with the
production wiring, questions whose words all occur in the articles but whose answer does not are
refused, and paraphrased or misspelt answerable ones are answered."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from assistant import abstain
from assistant.abstain import DEFAULT_ANSWERABILITY_DIR, FEATURES, Answerability, AnswerabilityModelError
from assistant.candidates import Candidate
from assistant.types import Passage


def _candidate(text: str, score: float = 0.5, offers: bool = True, period: float = 1.0) -> Candidate:
    p = Passage(chunk_id="d:0", doc_id="d", file_name="d.txt", title="", date="2026-02-05", source="", url="",
                start=0, end=len(text), text=text, score=1.0)
    return Candidate(p, 0, 0, len(text), text, score=score, dense=0.6, lex=0.4, offers=offers, period=period)


def _vocab(words: str):
    known = set(words.lower().split())
    return (lambda t: t in known), (lambda text: re.findall(r"[a-z0-9]+", text.lower()))


def test_the_shipped_model_loads_and_is_deterministic():
    model = Answerability.load()
    assert len(model.weights) == len(FEATURES)
    x = [0.5, 0.6, 0.4, 0.1, 0.0]
    assert model.probability(x) == model.probability(x)
    assert model.probability([0.7, 0.8, 0.6, 0.2, 0.0]) > model.probability([0.2, 0.2, 0.0, 0.0, 0.0])


def test_a_damaged_model_is_refused(tmp_path):
    copy = tmp_path / "answerability"
    shutil.copytree(DEFAULT_ANSWERABILITY_DIR, copy)
    path = copy / "answerability.json"
    data = json.loads(path.read_text())
    data["threshold"] = 0.0
    path.write_text(json.dumps(data))
    with pytest.raises(AnswerabilityModelError, match="damaged or replaced"):
        Answerability.load(copy)
    with pytest.raises(AnswerabilityModelError, match="cannot read the answerability model"):
        Answerability.load(tmp_path / "missing")


def test_rules_rule_out():
    in_corpus, tokenize = _vocab("the prisoner swap was mediated by the uae in abu dhabi")
    ranked = [_candidate("The swap was mediated by the UAE."), _candidate("Abu Dhabi hosted it.", 0.3)]
    ok = abstain.evidence("Who mediated the swap?", ranked, tokenize, in_corpus)
    assert not ok.ruled_out and len(ok.features) == len(FEATURES)
    assert abstain.evidence("Who mediated the swap in Geneva?", ranked, tokenize, in_corpus).unknown == ("Geneva",)
    assert abstain.evidence("Who is the mayor?", ranked, tokenize, in_corpus).off_topic
    no_value = [_candidate("The swap was mediated.", offers=False)]
    assert abstain.evidence("How many were swapped?", no_value, tokenize, in_corpus).no_value
    assert not abstain.evidence("How many were swapped?", no_value, tokenize, in_corpus, typed=False).no_value
    other_year = [_candidate("The swap of 2019 was mediated by the UAE.", period=0.0)]
    assert abstain.evidence("Who mediated the swap?", other_year, tokenize, in_corpus).off_period



@pytest.mark.integration
@pytest.mark.parametrize("q", [
    "How much money did the prisoner exchange cost?",  # no amount of money in any article
    "How many prisoners were exchanged on Oct. 2, 2025?",  # the date is named, no count
    "On which day of the week did the May 2025 exchange take place?",  # no weekday given
    "Which country facilitated the August 2024 exchange?",  # no article of that period
    "Who is the mayor of Kyiv?",  # "mayor" in no article
    "What was the weather like that day?",
])
def test_answer_not_in_the_articles_is_refused(seeds_product, q):
    assert seeds_product.ask(q).abstained


@pytest.mark.integration
@pytest.mark.parametrize("q", [
    "Who mediated the February 2026 exchange?",  # 2026 is in no article's text, only in its date
    "who mediatd the feb swpa",  # misspelt
    "Which country brokered the August exchange?",
])
def test_answerable_wordings_are_answered(seeds_product, q):
    answer = seeds_product.ask(q)
    assert not answer.abstained
    for c in answer.citations:
        assert seeds_product.get_document(c.doc_id).text[c.start : c.end] == c.quote
