"""chosen sentences → `Answer`: verbatim quotes with exact-offset citations, the short answer in bold,
syndicated copies cited per article, and differing values reported as a disagreement.

Contract: every citation's quote is `article[start:end]`; every `[n]` marker has one citation `n`.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from assistant.candidates import Candidate
from assistant.spans import names_in
from assistant.types import Answer, Citation

DUPLICATE_RATIO = 0.85


def compose(question: str, chosen: list[Candidate], pool: list[Candidate], qtype: str,
            multi: bool = False) -> Answer:
    """`chosen` (best first) quoted in order; `pool` is searched for syndicated copies of each.
    `multi`: the question asks across articles, so several leads are listed, no disagreement."""
    citations: list[Citation] = []
    parts: list[str] = []
    for s in chosen:
        n = len(citations) + 1
        citations.append(cite(n, s))
        markers = [n]
        for other in pool:  # syndicated copies in other articles
            if other.passage.doc_id != s.passage.doc_id and other not in chosen and similar(other.text, s.text) \
                    and all(c.doc_id != other.passage.doc_id for c in citations[n - 1 :]):
                m = len(citations) + 1
                citations.append(cite(m, other, duplicate_of=n))
                markers.append(m)
        parts.append(f"{s.text} {''.join(f'[{m}]' for m in markers)}")
    leads = list(dict.fromkeys(s.lead for s in chosen if s.lead))
    short: str | None = None
    if _disagree(chosen, qtype) and not multi:
        a, b = chosen[0], chosen[1]
        head = (f"The articles disagree: {a.passage.source or a.passage.file_name} gives **{a.lead}** [1], "
                f"{b.passage.source or b.passage.file_name} gives **{b.lead}** [{_first_marker(b, citations)}].\n\n")
    elif leads:
        short = _fullest(leads) if len(chosen) == 1 or not multi else "; ".join(leads)
        head = f"**{short}** — "
    else:
        head = ""
    body = "\n\n".join(parts)
    return Answer(question=question, answer=(head + body).strip(), abstained=False, short_answer=short,
                  citations=citations, mode="extractive")


def _fullest(leads: list[str]) -> str:
    """The first lead, or a later one that names it and more: "US" from one sentence and "the United
    States and United Arab Emirates" from the next → the latter."""
    best = leads[0]
    for other in leads[1:]:
        mine, theirs = names_in(best), names_in(other)
        if mine < theirs:
            best = other
    return best


def _disagree(chosen: list[Candidate], qtype: str) -> bool:
    """Two articles give different values for the same thing: both sentences offer a value of the
    asked type, come from different articles and say largely the same (shared words)."""
    if qtype not in ("number", "date") or len(chosen) < 2:
        return False
    a, b = chosen[0], chosen[1]
    if a.passage.doc_id == b.passage.doc_id or a.cue < 0.75 or b.cue < 0.75 or not a.lead or not b.lead:
        return False
    if a.lead.lower() == b.lead.lower():
        return False
    shared = len(a.tokens & b.tokens) / max(1, len(a.tokens | b.tokens))
    return shared >= 0.35


def _first_marker(s: Candidate, citations: list[Citation]) -> int:
    return next(c.n for c in citations if c.doc_id == s.passage.doc_id and c.start == s.start)


def cite(n: int, s: Candidate, duplicate_of: int | None = None) -> Citation:
    p = s.passage
    return Citation(n=n, doc_id=p.doc_id, file_name=p.file_name, title=p.title, date=p.date, source=p.source,
                    url=p.url, quote=s.text, start=s.start, end=s.end, score=round(s.score, 4),
                    duplicate_of=duplicate_of)


def similar(a: str, b: str) -> bool:
    """Near-identical sentences (a syndicated copy, a light edit): normalized Indel similarity
    (rapidfuzz, C++; `difflib` cost ~25 ms a question at 100k chunks) at least DUPLICATE_RATIO."""
    if abs(len(a) - len(b)) > 0.3 * max(len(a), len(b)):
        return False
    return fuzz.ratio(a.lower(), b.lower(), score_cutoff=100 * DUPLICATE_RATIO) > 0
