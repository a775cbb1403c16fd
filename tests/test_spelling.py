"""Misspelt question words are replaced by the collection's nearest word; names and numbers never."""

from __future__ import annotations

import re

from assistant.spelling import correct


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


VOCAB = {"swap", "mediat", "broker", "prison", "the", "who"}


def _nearest(token: str) -> str | None:
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    found = process.extractOne(token, sorted(VOCAB), scorer=OSA.distance, score_cutoff=1 if len(token) <= 6 else 2)
    return found[0] if found else None


def test_rare_unknown_words_are_corrected():
    assert correct("who brokerd the swpa", _tokens, VOCAB.__contains__, _nearest) == "who broker the swap"


def test_known_common_names_and_numbers_are_left_alone():
    q = "Who mediated the swap in Geneva with 157 prisoners, and the Swpa talks?"
    assert correct(q, _tokens, VOCAB.__contains__, _nearest) == q  # capitalised "Swpa" is a name
    assert correct("what was the weather", _tokens, VOCAB.__contains__, _nearest) == "what was the weather"


def test_the_retriever_finds_the_nearest_collection_token(sample_assistant):
    r = sample_assistant.retriever
    assert r.nearest_token(r.lexicon.tokens("bridge")[0] + "x") == r.lexicon.tokens("bridge")[0]
    assert r.nearest_token("zzzzzzzz") is None
