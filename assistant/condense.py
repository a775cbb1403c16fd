"""A follow-up question + the chat's earlier turns → a standalone retrieval query (extractive mode).

"Where were those prisoners handed over?" after "Which country facilitated the exchange of 146
prisoners of war?" becomes the follow-up plus the salient terms of the earlier turn: its question's
words and the names/numbers its answer led with. The most recent turn counts most; at most two
earlier turns are used so an old topic does not drown a new one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_LEAD = re.compile(r"\*\*(.+?)\*\*")
_QUESTION_WORDS = re.compile(
    r"\b(who|whom|whose|what|which|when|where|why|how|many|much|did|does|do|is|are|was|were|the|a|an|of|in|on|to)\b",
    re.IGNORECASE,
)


def salient_terms(question: str, answer: str) -> str:
    """The earlier turn's question minus question words, plus the answer's lead span (if any)."""
    terms = " ".join(_QUESTION_WORDS.sub(" ", question).split()).strip(" ?")
    lead = _LEAD.search(answer or "")
    return f"{terms} {lead.group(1)}".strip() if lead else terms


def condense_extractive(question: str, turns: Sequence[tuple[str, str]], max_turns: int = 2) -> str:
    context = [salient_terms(q, a) for q, a in list(turns)[-max_turns:]]
    context = [c for c in reversed(context) if c]
    return " ".join([question.strip(), *context]).strip()
