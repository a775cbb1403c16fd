"""Answerability: whether the question is about something the articles contain at all.

A specific term of the question (a name, a number, a rare word) that no article contains means the
articles are about something else; common content words missing from every article weaken the
evidence. Hand-written: these are corpus statistics (wordfreq's Zipf scale), not a model.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from wordfreq import zipf_frequency

from assistant.candidates import GENERIC as _GENERIC

ABSTAIN_TEXT = "I could not find the answer to this in the articles. The closest passages are listed below."
MIN_CONFIDENCE = 0.36
# Words rarer than this (wordfreq Zipf scale) are specific: absent from every article → abstain.
RARE_ZIPF = 3.0
# Less common words than this count for the missing-word penalty.
COMMON_ZIPF = 5.5
MISSING_WORD_PENALTY = 0.6


def unknown_terms(question: str, in_corpus: Callable[[str], bool],
                  tokenize: Callable[[str], list[str]], rare_words: bool = True) -> list[str]:
    """Specific terms of the question that no article contains: names (capitalized inside the
    question), numbers, and (with `rare_words`) rare words (wordfreq Zipf < RARE_ZIPF). Any such
    term means the articles are about something else. The learned reader judges words itself, so it
    asks for names and numbers only: a rare word may be a typo ("mediatd") or a synonym ("go-betweens").
    """
    unknown: list[str] = []
    words = re.findall(r"[A-Za-z_][\w'’-]*|\d[\d,.]*", question)
    for i, word in enumerate(words):
        toks = [t for t in tokenize(word) if t not in _GENERIC]
        if not toks or all(in_corpus(t) for t in toks):
            continue
        named = word[0].isupper() and i > 0 and not demonym_of_known_place(word, in_corpus, tokenize)
        number = word[0].isdigit()
        rare = rare_words and word[0].isalpha() and zipf_frequency(word.lower(), "en") < RARE_ZIPF
        if named or number or rare:
            unknown.append(word)
    return unknown


def demonym_of_known_place(word: str, in_corpus: Callable[[str], bool],
                            tokenize: Callable[[str], list[str]]) -> bool:
    """"Italian" when the articles say "Italy", "Russian" for "Russia", "Chinese" for "China"."""
    m = re.fullmatch(r"([A-Z][a-z]+?)(ian|ean|an|ese|ish|i|n)", word)
    if not m:
        return False
    stem = m.group(1)
    return any(all(in_corpus(t) for t in tokenize(stem + end)) and tokenize(stem + end)
               for end in ("", "y", "e", "a", "ia"))


def missing_share(question: str, in_corpus: Callable[[str], bool], tokenize: Callable[[str], list[str]]) -> float:
    """Share of the question's less common content words ("population", "cost") that no article
    contains; very common words ("take", "next") say nothing about the topic and are not counted."""
    # lower-case words only: names are judged by `unknown_terms`
    words = [w for w in re.findall(r"\b[a-z][a-z'’-]+", question) if zipf_frequency(w, "en") < COMMON_ZIPF]
    content = [w for w in words if [t for t in tokenize(w) if t not in _GENERIC]]
    if not content:
        return 0.0
    missing = [w for w in content if not all(in_corpus(t) for t in tokenize(w) if t not in _GENERIC)]
    return len(missing) / len(content)
