"""question → the question with its misspelt words replaced by the collection's nearest word.

"who brokerd the swpa" → "who broker the swap": a rare lower-case word (wordfreq Zipf below
`abstain.RARE_ZIPF`) that no article contains is replaced by the collection token within one or two
edits (`Retriever.nearest_token`, rapidfuzz), so retrieval, scoring and the answerability checks read
a word the articles use instead of refusing an unknown one. Names (capitalised) and numbers are never
changed: "Germany" is not "German", and an unknown name means the articles are about something else.

An acronym no article uses ("POWs", or "pows" typed in lower case) is spelled out when the retrieved passages hold words with its
initials ("prisoners of war"), and a clipped name ("ukr") by the passages' name that starts with it: `expand_acronyms`. Hand-written (a few lines): the acronym libraries
(scispaCy's Schwartz–Hearst detector) find "long form (SHORT)" definitions, which news text rarely gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from wordfreq import top_n_list, zipf_frequency

from assistant.abstain import RARE_ZIPF

_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z][a-z'’]{3,}(?![\w'’-])")


def correct(question: str, tokenize: Callable[[str], list[str]], in_corpus: Callable[[str], bool],
            nearest: Callable[[str], str | None]) -> str:
    """`question` with each rare, unknown lower-case word replaced by `nearest(its token)`, when
    there is one; otherwise unchanged."""
    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        if zipf_frequency(word, "en") >= RARE_ZIPF:
            return word
        tokens = tokenize(word)
        if len(tokens) != 1 or in_corpus(tokens[0]):
            return word
        found = nearest(tokens[0])
        if found is not None:
            return found
        # the collection's tokens are stems: "meetng" is two edits from "meet" but one from "meeting"
        english = _nearest_english(word)
        return english if english is not None and all(in_corpus(t) for t in tokenize(english)) else word

    return _LOWER_WORD.sub(fix, question)


ENGLISH_WORDS = 30000  # the commonest English words (wordfreq) a misspelling is corrected to


@lru_cache(maxsize=1)
def _english() -> list[str]:
    return [w for w in top_n_list("en", ENGLISH_WORDS) if w.isalpha()]


def _nearest_english(word: str) -> str | None:
    """The commonest English word within one edit of `word` (two for words over six letters), or None."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    limit = 1 if len(word) <= 6 else 2
    found = process.extract(word, _english(), scorer=OSA.distance, score_cutoff=limit, limit=8)
    if not found:
        return None
    # fewest edits, then the commoner word (the list is in order of frequency)
    return str(min(found, key=lambda f: (f[1], f[2]))[0])


# "POWs", "pows", "ukr's"
_ACRONYM = re.compile(r"(?<![\w'’-])(?:(?P<letters>[A-Z]{2,6})s?|(?P<lower>[a-z]{2,7}))(?![\w-]|['’](?!s\b))")
# typed in lower case ("pows", "imf"), an acronym is an uncommon string (wordfreq Zipf): "die" or "tax"
# missing from the collection is a word, not initials
LOWER_ACRONYM_ZIPF = 4.0
_WORDS = re.compile(r"[A-Za-z][\w'’-]*")
# an expansion starts and ends with a content word ("prisoners of war", not "in many forms")
_SMALL = {"the", "and", "for", "but", "not", "you", "was", "are", "has", "had", "his", "her", "its", "who",
          "that", "this", "with", "from", "were", "been", "they", "their", "have", "into", "than", "then"}


def expand_acronyms(question: str, texts: list[str], tokenize: Callable[[str], list[str]],
                    in_corpus: Callable[[str], bool]) -> str:
    """`question` with each acronym the collection does not know ("POWs") replaced by the first run
    of words in `texts` (the retrieved passages) whose initials spell it ("prisoners of war");
    unchanged when there is none."""
    def expand(m: re.Match[str]) -> str:
        word = m.group(0)
        if all(in_corpus(t) for t in tokenize(word)):
            return word
        if m.group("letters"):
            spellings = [m.group("letters").lower()]
        elif zipf_frequency(word, "en") < LOWER_ACRONYM_ZIPF:
            spellings = [word] + ([word[:-1]] if word.endswith("s") and len(word) > 2 else [])
        else:
            return word
        for letters in spellings:
            n = len(letters)
            for text in texts:
                words = _WORDS.findall(text)
                for i in range(len(words) - n + 1):
                    run = words[i : i + n]
                    if "".join(w[0].lower() for w in run) == letters and len({w.lower() for w in run}) == n \
                            and all(len(w) > 2 and w.lower() not in _SMALL for w in (run[0], run[-1])):
                        return " ".join(run)
        return _unclipped(word, texts) if m.group("lower") else word

    return _ACRONYM.sub(expand, question)


# a clipped name is at least this long ("ukr", "russ"), and the name at least two letters longer
MIN_CLIPPED = 3


def _unclipped(word: str, texts: list[str]) -> str:
    """A lower-case clipping of a name the passages use ("ukr" → "Ukraine", "Ukrainian"): the most
    frequent capitalised word of `texts` that starts with it; `word` when there is none."""
    if len(word) < MIN_CLIPPED or zipf_frequency(word, "en") >= LOWER_ACRONYM_ZIPF:
        return word
    counts: dict[str, int] = {}
    for text in texts:
        for w in re.findall(rf"\b{word[0].upper()}{re.escape(word[1:])}[a-z]{{2,}}\b", text):
            counts[w] = counts.get(w, 0) + 1
    return max(counts, key=lambda w: (counts[w], -len(w))) if counts else word
