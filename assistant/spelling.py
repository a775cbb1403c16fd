"""question → the question with its misspelt words replaced by the collection's nearest word.

"who brokerd the swpa" → "who broker the swap": a rare lower-case word (wordfreq Zipf below
`abstain.RARE_ZIPF`) that no article contains is replaced by the collection token within one or two
edits (`Retriever.nearest_token`, rapidfuzz), so retrieval, scoring and the answerability checks read
a word the articles use instead of refusing an unknown one. Names (capitalised) and numbers are never
changed: "Germany" is not "German", and an unknown name means the articles are about something else.

An acronym no article uses ("POWs", or "pows" typed in lower case) is spelled out when the retrieved passages hold words with its
initials ("prisoners of war"): `expand_acronyms`. Hand-written (a few lines): the acronym libraries
(scispaCy's Schwartz–Hearst detector) find "long form (SHORT)" definitions, which news text rarely gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from wordfreq import zipf_frequency

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
        return nearest(tokens[0]) or word

    return _LOWER_WORD.sub(fix, question)


_ACRONYM = re.compile(r"(?<![\w'’-])(?:(?P<letters>[A-Z]{2,6})s?|(?P<lower>[a-z]{2,7}))(?![\w'’-])")  # "POWs", "pows"
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
        return word

    return _ACRONYM.sub(expand, question)
