"""question → the question with its misspelt words replaced by the collection's nearest word.

"who brokerd the swpa" → "who broker the swap": a rare lower-case word (wordfreq Zipf below
`abstain.RARE_ZIPF`) that no article contains is replaced by the collection token within one or two
edits (`Retriever.nearest_token`, rapidfuzz), so retrieval, scoring and the answerability checks read
a word the articles use instead of refusing an unknown one. Names (capitalised) and numbers are never
changed: "Germany" is not "German", and an unknown name means the articles are about something else.
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
