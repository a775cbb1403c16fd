"""Misspelt question words are replaced by the collection's nearest word; names and numbers never."""

from __future__ import annotations

import re

import pytest

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


def test_an_unknown_acronym_is_spelled_out_from_the_passages():
    from assistant.spelling import expand_acronyms

    known = {"prison", "war", "free", "bus", "video", "unit", "arab", "emir"}
    def tokens(text):
        return [w.lower()[:5] for w in text.split()]
    def in_corpus(t):
        return t in known
    texts = ["A video showed freed prisoners of war boarding a bus.", "It was seen in many forms."]
    assert expand_acronyms("Where did the POWs board a bus?", texts, tokens, in_corpus) == \
        "Where did the prisoners of war board a bus?"
    # no run of words with those initials (and none of stop words: "in many forms" is not IMF)
    assert expand_acronyms("What did the IMF say?", texts, tokens, in_corpus) == "What did the IMF say?"
    # typed in lower case, with or without its plural "s"; a common word is never read as initials
    assert expand_acronyms("where did the pows board a bus", texts, tokens, in_corpus) == \
        "where did the prisoners of war board a bus"
    assert expand_acronyms("did the pow board a bus", texts, tokens, in_corpus) == \
        "did the prisoners of war board a bus"
    odd = ["Tired troops ate xylophones."]
    assert expand_acronyms("did the tax rise", odd, tokens, in_corpus) == "did the tax rise"
    assert expand_acronyms("did the TAX rise", odd, tokens, in_corpus) == "did the troops ate xylophones rise"
    # an acronym the collection knows stays
    assert expand_acronyms("Did the UNIT help?", texts, tokens, lambda t: True) == "Did the UNIT help?"


def test_a_clipped_name_is_the_passages_name_that_starts_with_it():
    from assistant.spelling import expand_acronyms

    def tokens(text):
        return [w.lower()[:5] for w in re.findall(r"[A-Za-z]+", text)]
    texts = ["Norvaland and the Norvalish envoy met.", "Norvaland said the talks went on."]
    known = {t for text in texts for t in tokens(text)}
    assert expand_acronyms("who led norv's team", texts, tokens, known.__contains__) == "who led Norvaland's team"
    # nothing starts with it: unchanged; too short to be a clipping: unchanged
    assert expand_acronyms("who led zorv's team", texts, tokens, known.__contains__) == "who led zorv's team"
    assert expand_acronyms("did no one go", texts, tokens, known.__contains__) == "did no one go"


def test_a_misspelling_of_an_english_word_the_collection_uses():
    # the collection's tokens are stems ("meet"): the typo is two edits from the stem, one from the word
    vocab = {"meet", "the", "when", "was"}
    def stems(text):
        return ["meet" if w in ("meet", "meeting", "meets") else w for w in _tokens(text)]
    assert correct("when was the meetng", stems, vocab.__contains__, lambda t: None) == "when was the meeting"
    # an English word the collection does not use is no correction: the question stays unknown
    assert correct("when was the kemistry exam", stems, vocab.__contains__, lambda t: None) == \
        "when was the kemistry exam"


@pytest.mark.integration
def test_seeds_an_acronym_is_read_as_the_articles_spell_it(seeds_product):
    # no article says "POWs"; they say "prisoners of war"
    answer = seeds_product.ask("How many POWs did Russia release in August 2025?")
    assert not answer.abstained
    assert "146" in (answer.short_answer or "")
