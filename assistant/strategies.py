"""A strategy per question kind: analysed question + passages → `Answer` with exact-offset citations.

`answer_for(analysis, question, passages, tools)` dispatches on `analysis.kind`:

* yesno — the sentence that settles it. "Yes"/"No" leads only when a quoted sentence supports it:
  the learned reader's judgement (`Reader.judge`) when the reader is loaded; without it, "Yes" when
  one sentence (with the one before it) names everything the question names and says the rest, and
  "No" when it gives a different value for an exclusive slot the question fills ("handed over in
  Poland?" — the articles say Belarus; "200 prisoners?" — they say 146). Otherwise: the articles do
  not say, and the closest sentence is quoted.
* definition — the role or description the articles attach to the entity: "U.S. special envoy Steve
  Witkoff", "Dmytro Lubinets, the Ukrainian parliament commissioner…", "X, who is Y", "X is Y".
* summary — 3–5 central sentences of the article(s) in the period or about the entity: central =
  similar to the other sentences of those articles, covering who/what/when/where/how many, early in
  the article; a sentence opening with a pronoun brings the sentence before it (which introduces
  the subject); ordered as written; syndicated copies cited once each, as duplicates.
* comparison — each side retrieved and answered on its own (its own period/entity) for each
  attribute asked (size, place, mediator, date), presented side by side, each cited to its article.
* list — every distinct typed value (`assistant.spans`) found in the sentences that answer, across
  articles, each cited once.
* factoid — None: the extractive answerer (`assistant.answer`) handles it.

Hand-written because these are compositions of the project's own steps (candidates, scoring,
reader, typed spans, citations); the patterns for roles are the appositive grammar of news English.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from assistant import abstain
from assistant import places as gazetteer
from assistant.abstain import ABSTAIN_TEXT
from assistant.candidates import Candidate, candidates
from assistant.compose import cite, similar
from assistant.dates import DATE_SLACK_DAYS, EVENT_AFTER, DateWindow
from assistant.question import Attribute, QuestionAnalysis, Side
from assistant.select import topical_words
from assistant.spans import (
    OFFICES,
    TypedSpan,
    canonical,
    coordinated,
    short_answer,
    stop_words,
    value_key,
    values,
)
from assistant.types import Answer, Citation, Passage

# Yes/no: the reader's judgement must reach this probability and beat "not said".
JUDGE_MIN = 0.5
# Yes/no without the reader: a sentence "says the rest" when it covers this share of the question's
# content stems beyond its names and numbers (all of them when there are one or two).
YES_COVERAGE = 0.6
YES_COVERAGE_SIMILAR = 0.5
YESNO_POOL = 8
# Summary length and the weights of centrality, coverage of who/what/when/where/how many, position.
SUMMARY_MIN, SUMMARY_MAX = 3, 5
SUMMARY_ARTICLES = 3
W_CENTRAL, W_COVER, W_POSITION, W_TOPIC = 0.25, 0.35, 0.2, 0.2
# Two summary sentences this similar (cosine) say the same thing; below it, similarity to the chosen
# ones counts against a sentence with this weight.
SAME_POINT = 0.8
MMR_REDUNDANCY = 0.6
W_NEW_FACET = 0.5
SUMMARY_TARGET = 4
# A summary of one aspect: the weight of closeness to it (embedding and its words said), and the
# largest share of the articles' sentences a word may appear in and still name an aspect.
W_FOCUS = 0.6
ASPECT_SHARE = 0.3
# News puts the facts of an event first: a sentence in the article's first characters gets this bonus
# when a comparison looks for one of its attributes.
EARLY_CHARS, EARLY_BONUS = 600, 0.15
# A list takes values from sentences scoring at least this share of the best one.
LIST_RATIO = 0.75
LIST_POOL = 8
LIST_NEAR = 6  # words between a listed value and the question's word it answers
TOPIC_SHARE = 0.2
NOT_SAID = "The articles do not say this directly."


class AnswererLike(Protocol):
    """What the strategies use of `assistant.answer.ExtractiveAnswerer`."""

    scorer: Any
    reader: Any
    spans: Any

    def answer(self, question: str, passages: list[Passage], query: str | None = None,
               idf: Callable[[str], float] | None = None, tokens: Callable[[str], list[str]] | None = None,
               in_corpus: Callable[[str], bool] | None = None, window: DateWindow | None = None,
               answer_type: str | None = None) -> Answer: ...

    def rank(self, question: str, passages: list[Passage], query: str | None = None,
             idf: Callable[[str], float] | None = None, tokens: Callable[[str], list[str]] | None = None,
             window: DateWindow | None = None, qtype: str | None = None) -> list[Candidate]: ...


@dataclass(frozen=True)
class Tools:
    """The collection's services a strategy may use: the extractive answerer (scorer, reader,
    span extractor), retrieval of a query (filters and k bound), the whole text of an article as
    one passage, and the collection's statistics."""

    answerer: AnswererLike
    retrieve: Callable[[str], list[Passage]]
    document: Callable[[str], Passage | None]
    idf: Callable[[str], float]
    tokens: Callable[[str], list[str]]
    in_corpus: Callable[[str], bool]


def answer_for(analysis: QuestionAnalysis, question: str, passages: list[Passage], tools: Tools) -> Answer | None:
    """The answer of the strategy for `analysis.kind`, or None when the extractive answerer should
    answer (factoids, or a strategy that has nothing to add). `question` is the effective question
    (normalized, follow-ups resolved); `passages` the retrieved pool, best first."""
    if analysis.kind == "summary":
        return summary(analysis, question, passages, tools)
    if analysis.kind == "comparison":
        return comparison(analysis, question, tools)
    if analysis.kind == "definition":
        return definition(analysis, question, passages, tools)
    if analysis.kind == "yesno" or (analysis.kind == "factoid" and _known_alternative(question, tools)):
        return yes_no(analysis, question, passages, tools)
    if analysis.kind == "list":
        return listing(analysis, question, passages, tools)
    return None


def passages_for(analysis: QuestionAnalysis, passages: list[Passage], tools: Tools) -> list[Passage]:
    """The passages a generated (LLM) answer should read for this question: for a comparison, each
    side's own passages taken in turn (so both sides fit the prompt); otherwise the passages of the
    period the question names first, then the rest."""
    if analysis.kind == "comparison" and len(analysis.sides) == 2:
        pools = [_side_pool(side, tools) for side in analysis.sides]
        merged: list[Passage] = []
        seen: set[str] = set()
        for i in range(max(len(p) for p in pools)):
            for pool in pools:
                if i < len(pool) and pool[i].chunk_id not in seen:
                    seen.add(pool[i].chunk_id)
                    merged.append(pool[i])
        return merged or passages
    inside = _in_window(passages, analysis.window)
    return inside + [p for p in passages if p not in inside]


# -- shared pieces ------------------------------------------------------------------------------

def _abstention(question: str) -> Answer:
    return Answer(question=question, answer=ABSTAIN_TEXT, abstained=True)


def _in_window(passages: list[Passage], window: DateWindow | None) -> list[Passage]:
    if window is None or window.relation != "in":
        return passages
    return [p for p in passages if window.contains(p.date, DATE_SLACK_DAYS)]


def _ranked(question: str, passages: list[Passage], tools: Tools) -> list[Candidate]:
    sentences = candidates(passages, tools.tokens)
    if not sentences:
        return []
    ranked: list[Candidate] = tools.answerer.scorer.rank(question, None, sentences, tools.idf, tools.tokens)
    return ranked


def _unknown(question: str, tools: Tools, analysis: QuestionAnalysis | None = None) -> bool:
    """The question names something (a name, a number, a rare word) no article contains. The
    periods it names select articles by date ("the February 2026 exchange") and are left out."""
    text = question
    if analysis is not None:
        if analysis.kind in ("summary", "definition") and analysis.target:
            text = analysis.target  # not "Summarise", "overview", …
        elif analysis.kind == "comparison" and analysis.sides:
            text = " ".join(s.text for s in analysis.sides)
        for w in [*analysis.windows, *(s.window for s in analysis.sides if s.window is not None)]:
            text = text.replace(w.phrase, " ")
    return bool(abstain.unknown_terms(topical_words(text), tools.in_corpus, tools.tokens))


class _Citer:
    """Numbers citations in order of first use; a sentence's syndicated copies (near-identical
    sentences of other articles in `pool`) are cited beside it as duplicates."""

    def __init__(self, pool: Sequence[Candidate] = ()) -> None:
        self.citations: list[Citation] = []
        self.pool = list(pool)
        self._numbers: dict[tuple[str, int], int] = {}

    def markers(self, s: Candidate) -> str:
        key = (s.passage.doc_id, s.start)
        if key in self._numbers:
            return f"[{self._numbers[key]}]"
        n = len(self.citations) + 1
        self._numbers[key] = n
        self.citations.append(cite(n, s))
        out = [n]
        seen_docs = {s.passage.doc_id}
        for other in self.pool:
            if other.passage.doc_id in seen_docs or not similar(other.text, s.text):
                continue
            seen_docs.add(other.passage.doc_id)
            okey = (other.passage.doc_id, other.start)
            if okey in self._numbers:
                continue
            m = len(self.citations) + 1
            self._numbers[okey] = m
            self.citations.append(cite(m, other, duplicate_of=n))
            out.append(m)
        return "".join(f"[{m}]" for m in out)

    def add(self, citations: Sequence[Citation], text: str) -> str:
        """Take over another answer's citations; returns its text with markers renumbered."""
        mapping: dict[int, int] = {}
        for c in citations:
            key = (c.doc_id, c.start)
            if key not in self._numbers:
                self._numbers[key] = len(self.citations) + 1
                self.citations.append(c.model_copy(update={"n": self._numbers[key]}))
            mapping[c.n] = self._numbers[key]
        fixed: list[Citation] = []
        for c in self.citations:
            if c.duplicate_of is not None and c.n in mapping.values() and c.duplicate_of in mapping:
                c = c.model_copy(update={"duplicate_of": mapping[c.duplicate_of]})
            fixed.append(c)
        self.citations = fixed
        return re.sub(r"\[(\d+)\]", lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", text)


def _used(citer: _Citer, text: str) -> list[Citation]:
    """The citations whose markers occur in `text` (every marker has exactly one)."""
    used = {int(m) for m in re.findall(r"\[(\d+)\]", text)}
    return [c for c in citer.citations if c.n in used]


# -- entity matching -------------------------------------------------------------------------------

_ALIASES = {"uae": ["united arab emirates", "emirates"], "us": ["united states", "u.s."],
            "u.s.": ["united states", "us"], "usa": ["united states", "u.s.", "us"],
            "united states": ["u.s.", "us"], "united arab emirates": ["uae"], "uk": ["united kingdom", "britain"]}


def _entity_pattern(entity: str) -> re.Pattern[str]:
    """The entity, its surname alone ("Witkoff" for "Steve Witkoff") and its common short forms."""
    low = entity.lower().strip()
    forms = {low, *_ALIASES.get(low, [])}
    words = low.split()
    if len(words) >= 2 and words[0] not in ("the", "a", "an"):
        forms.add(words[-1])
    if words and words[0] == "the":
        forms.add(" ".join(words[1:]))
    alts = "|".join(sorted((re.escape(f) for f in forms if f), key=len, reverse=True))
    return re.compile(rf"(?<![\w.])(?:{alts})(?![\w])", re.IGNORECASE)


# -- definition ----------------------------------------------------------------------------------

_ROLE_WORD = r"(?:[A-Z][\w.’'-]*|[a-z][\w’'-]*)"
_ROLE_STOP = {"the", "a", "an", "and", "or", "of", "including", "said", "says", "told", "that", "with", "by", "as",
              "to", "in", "on", "at", "for", "from", "while", "but", "when", "after", "before", "officials",
              "meanwhile", "however", "also", "then", "he", "she", "they", "it", "his", "her", "their",
              "which", "who", "whom", "these", "those", "this", "was", "is", "were", "are", "has", "have", "had"}
_VERBISH = re.compile(r"(?:ed|ing)$")
# Nouns that head a title or role: a capitalised run ending in one ("Russian Foreign Minister") is a
# role, not a name; a role set off by a comma before a name must end in one or be possessive
# ("Ukraine's lead negotiator, Rustem Umerov"; not "…interest in mediating talks, Lavrov cast doubt").
_TITLE_NOUNS = OFFICES | {"general", "senator", "negotiator", "mediator", "aide", "adviser", "advisor", "official",
                          "leader", "prince", "judge", "prosecutor", "lawyer", "journalist", "reporter", "editor",
                          "analyst", "professor", "founder", "commander", "officer", "son-in-law", "daughter-in-law",
                          "deputy", "representative", "coach", "captain", "manager", "executive", "economist",
                          "scientist", "emissary"}


def _title_noun(word: str) -> bool:
    return word.strip().lower().strip(".,") in _TITLE_NOUNS


def _role_before(sentence: str, start: int) -> str:
    """"U.S. special envoy Steve Witkoff" → "U.S. special envoy"; "Zelenskyy’s aide Kyrylo Budanov" →
    "Zelenskyy’s aide"; "Ukraine’s lead negotiator, Rustem Umerov" → "Ukraine’s lead negotiator"."""
    head = sentence[:start]
    comma = bool(re.search(r",\s*$", head))
    head = re.sub(r"[,\s]+$", "", head)
    words = re.findall(r"\S+", head)
    role: list[str] = []
    for w in reversed(words[-5:]):
        clean = w.strip("“”\"()")
        if not re.search(r"\w", clean) or clean.lower() in _ROLE_STOP or re.search(r"[,;:]$", w):
            break
        role.insert(0, clean)
    # keep only a run that ends with a noun-like word and is not a verb phrase
    while role and (role[-1].lower() in _ROLE_STOP or _VERBISH.search(role[-1].lower())):
        role = []
    if not role:
        return ""
    possessive = any(re.search(r"['’]s$", w) for w in role)
    if comma and not possessive and not _title_noun(role[-1]):
        return ""
    text = " ".join(role)
    if all(w[0].isupper() for w in role) and not possessive and not _title_noun(role[-1]):
        return ""  # a name run ("Volodymyr"), not a role
    return text


def _role_after(sentence: str, end: int) -> str:
    """"Dmytro Lubinets, the Ukrainian parliament commissioner for human rights, …" → "the Ukrainian
    parliament commissioner for human rights"; "X, who is Y" and "X is Y" likewise."""
    tail = sentence[end:]
    m = re.match(r"\s*,\s*(?:who\s+(?:is|was)\s+)?(?P<role>(?:the|a|an|one\s+of)\s+[^,;.—–]+?)\s*(?:,|;|—|–|\.|$)", tail)
    if not m:
        m = re.match(r"\s+(?:is|was)\s+(?P<role>(?:the|a|an|one\s+of)\s+[^,;.—–]+?)\s*(?:,|;|—|–|\.|$)", tail)
    if not m:
        return ""
    role = m.group("role").strip()
    return role if 1 <= len(role.split()) <= 12 else ""


def _merge_roles(found: list[tuple[str, Candidate]]) -> list[tuple[str, Candidate]]:
    """One entry per role: "special envoy" and "U.S. special envoy" are one (the longer kept, quoted
    from a sentence that says it), the roles said most often first, then in rank order."""
    merged: list[tuple[str, list[Candidate]]] = []
    for role, s in sorted(found, key=lambda f: -len(f[0])):
        low = role.lower()
        for i, (kept, sents) in enumerate(merged):
            if kept.lower().endswith(low) or low.endswith(kept.lower()):
                merged[i] = (kept, [*sents, s])
                break
        else:
            merged.append((role, [s]))
    merged.sort(key=lambda m: (-len({(c.passage.doc_id, c.start) for c in m[1]}), min(c.rank for c in m[1])))
    # quote a sentence that says the role kept, in full
    return [(role, min(sents, key=lambda c: (role not in c.text, c.rank, c.start))) for role, sents in merged]


def definition(analysis: QuestionAnalysis, question: str, passages: list[Passage], tools: Tools) -> Answer | None:
    """The roles the articles give the entity, each quoted; the first leads in bold."""
    entity = analysis.target or analysis.entity
    if not entity:
        return None
    pat = _entity_pattern(entity)
    ranked = _ranked(question, passages, tools)
    mentions = [s for s in ranked if pat.search(s.text)]
    if not mentions:
        return _abstention(question) if _unknown(question, tools) or ranked else None
    found: list[tuple[str, Candidate]] = []
    for s in sorted(mentions, key=lambda s: (s.rank, s.start)):
        for m in pat.finditer(s.text):
            # the full name when the articles give it ("Steve Witkoff" for "witkoff")
            start, end = m.start(), m.end()
            full = re.search(r"(?<![\w’'-])[A-Z][\w’'-]+\s+$", s.text[max(0, start - 40) : start])
            if full and _title_noun(full.group(0)):
                full = None  # "President Trump": a title, not a first name
            if full:
                start -= len(full.group(0))
            for role in (_role_before(s.text, start), _role_after(s.text, end)):
                if role and all(role.lower() != r.lower() for r, _ in found):
                    found.append((role, s))
    found = _merge_roles(found)
    citer = _Citer(ranked)
    if not found:
        best = mentions[0]
        body = f"{NOT_SAID} The closest passage: {best.text} {citer.markers(best)}"
        return Answer(question=question, answer=body, abstained=False, citations=citer.citations,
                      mode="extractive")
    parts = []
    for _role, s in found[:3]:
        parts.append(f"{s.text} {citer.markers(s)}")
    roles = [r for r, _ in found[:3]]
    head = f"**{roles[0]}**" + (f" (also: {'; '.join(roles[1:])})" if len(roles) > 1 else "")
    body = head + " — " + "\n\n".join(dict.fromkeys(parts))
    return Answer(question=question, answer=body, abstained=False, short_answer=roles[0],
                  citations=_used(citer, body), mode="extractive")


# -- yes / no ----------------------------------------------------------------------------------------

_SLOT_PLACE = re.compile(r"\b(?:in|at|to|into|from|near)\s+(?P<value>(?:the\s+)?[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)")
_NUMBER = re.compile(r"\b\d[\d,]*\b")
_AUX_START = re.compile(r"^\s*(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|isn't|aren't|"
                        r"wasn't|weren't|don't|doesn't|didn't|hasn't|haven't|hadn't)\s+(?:it\s+true\s+that\s+)?",
                        re.IGNORECASE)


_NAME_RUN = re.compile(r"\b(?:[A-Z][\w’'.-]*[A-Za-z])(?:\s+[A-Z][\w’'.-]*[A-Za-z])*")


def _names(text: str) -> list[str]:
    return [m.group(0) for m in _NAME_RUN.finditer(text)]


def _stems(text: str, tools: Tools) -> set[str]:
    return {t for t in tools.tokens(text) if len(t) > 1}


def yes_no(analysis: QuestionAnalysis, question: str, passages: list[Passage], tools: Tools) -> Answer:
    """Yes / No with the sentence that settles it, or "the articles do not say" with the closest.
    "Did the UAE or Turkey…?" where the collection never names Turkey is asked of the UAE, and a
    "Yes" leads with it."""
    alternative = _known_alternative(question, tools)
    if alternative is not None:
        question, chosen = alternative
    pool = _in_window(passages, analysis.window) or passages
    ranked = _ranked(question, pool, tools)
    if not ranked:
        return _abstention(question)
    top = ranked[:YESNO_POOL]
    citer = _Citer(ranked)
    # The value the question puts in its slot ("Did *Italy* mediate…") against the value the
    # articles give for it; then the grammar of the sentence (it names and says it, or gives another
    # value for the slot); otherwise the learned judgement, when the reader is loaded.
    verdict = _slot_verdict(analysis, question, pool, top, tools) or _rule_verdict(analysis, question, top, tools, pool)
    if verdict is None and tools.answerer.reader is not None:
        verdict = _judge(analysis, question, top, tools)
    if verdict is not None:
        word, s = verdict
        if alternative is not None and word == "Yes":
            word = chosen
        body = f"**{word}** — {s.text} {citer.markers(s)}"
        return Answer(question=question, answer=body, abstained=False, short_answer=word,
                      citations=_used(citer, body), mode="extractive")
    if _unknown(question, tools, analysis) and not _contrast_slot(_without_periods(question, analysis)):
        return _abstention(question)
    best = top[0]
    body = f"{NOT_SAID} The closest passage: {best.text} {citer.markers(best)}"
    return Answer(question=question, answer=body, abstained=False, citations=_used(citer, body), mode="extractive")


_ALTERNATIVES = re.compile(r"\b(?P<a>(?:the\s+)?[\w’'.-]+)\s+or\s+(?P<b>(?:the\s+)?[\w’'.-]+)(?=[\s?.!,]|$)",
                           re.IGNORECASE)


def _known_alternative(question: str, tools: Tools) -> tuple[str, str] | None:
    """For "Did the UAE or Turkey set up the swap?" when no article knows Turkey: the question asked
    of the alternative the collection knows ("Did the UAE set up the swap?") and that alternative."""
    m = _ALTERNATIVES.search(question)
    if m is None:
        return None
    a, b = m.group("a"), m.group("b")
    known = [bool(tokens) and all(tools.in_corpus(t) for t in tokens)
             for tokens in (tools.tokens(re.sub(r"^the\s+", "", x, flags=re.IGNORECASE)) for x in (a, b))]
    if known[0] == known[1]:
        return None
    kept = a if known[0] else b
    return f"{question[: m.start()]}{kept}{question[m.end() :]}", re.sub(r"^the\s+", "", kept, flags=re.IGNORECASE)


# Span labels that fill a yes/no question's slot, and the answer type that asks for them.
_SLOT_TYPES = {"person": "person", "organization": "name", "country": "name", "nationality": "name",
               "city": "place", "place": "place", "number": "number", "quantity": "number", "money": "money",
               "percent": "percent"}
# The sentence that names the question's value must be at least this similar (MiniLM cosine) to the
# question to say "Yes" when no clear short answer decides: clearly on the same subject.
YES_SIMILARITY = 0.5
# Share of the question's other content stems a sentence must cover to say "No" with another value.
NO_COVERAGE = 0.5
# The probe's leading sentences searched for a value of the slot's type.
SLOT_POOL = 3


def _slot_verdict(analysis: QuestionAnalysis, question: str, pool: list[Passage], top: list[Candidate],
                  tools: Tools) -> tuple[str, Candidate] | None:
    """A question with one typed value in it ("Did *Italy* mediate the February exchange?", "…handed
    over in *Poland*?", "…release *500* prisoners?") is asked as the factoid without it ("Did mediate
    the February exchange?", typed: a name) and the articles' answer is compared: "Yes" when the
    value is the short answer (or, without a clear one, the sentence most like the question names
    it), "No" when a sentence about the rest of the question gives another value. None: undecided."""
    extractor = tools.answerer.spans
    if extractor is None:
        return None
    body = _AUX_START.sub("", _without_periods(question, analysis))
    # "the Abu Dhabi talks": a name before the event's noun names the event, it fills no slot
    slots = [sp for sp in extractor.spans([body])[0]
             if sp.label in _SLOT_TYPES and not EVENT_AFTER.match(body[sp.end :])]
    if len(slots) != 1:
        return None
    value = slots[0]
    if value.label in ("number", "quantity") and not _COUNTED.match(value.unit):
        return None  # "season 5", "number 10": a number naming a thing, not a count of things
    answer_type = _SLOT_TYPES[value.label]
    if answer_type == "name" and _SLOT_PLACE.search(body[max(0, value.start - 8) : value.end]):
        answer_type = "place"  # "held in Turkey"
    probe = " ".join((body[: value.start].removesuffix("the ") + body[value.end :]).split())
    ranked = tools.answerer.rank(probe, pool, None, tools.idf, tools.tokens, analysis.window, answer_type)
    if not ranked or not ranked[0].offers:
        return None
    # the probe asks for a value of the slot's type: the first of its leaders that gives one answers it
    # ("the exchange mediated by" ranks an echo of "the exchange" above "thanked the UAE for arranging")
    best, found = ranked[0], None
    # a place slot is asked as "where": a place the sentence puts the event in, not its subject
    asked = f"where {probe}" if answer_type == "place" else probe
    for s in ranked[:SLOT_POOL]:
        found = short_answer(answer_type, asked, s.text, extractor.spans([s.text])[0],
                             article_date=s.passage.date or None)
        if found is not None:
            best = s
            break
    keys = {value_key(value), _as_country(value)}
    if found is not None:
        inside = extractor.spans([found.text])[0] or [found]
        named = answer_type not in ("number", "money", "percent") and bool(_entity_pattern(value.text).search(found.text))
        if keys & ({value_key(sp) for sp in inside} | {_as_country(sp) for sp in inside}) or named:
            polarity = _polarity(body, best)
            return (polarity or "Yes", best) if polarity is not None else None
        rest = _stems(probe, tools)
        said = rest & (best.tokens | best.prev_tokens)
        # another value of the same kind ("Belarus" for "Poland"; not "the Americas" for "the US"); a
        # rival for the subject ("Did *Zelensky* call the talks easy?") must do what the question asks
        # ("easy"), not only share its setting ("Witkoff announced … talks in Abu Dhabi")
        rival = any(_same_kind(_kind(sp), _kind(value)) for sp in inside)
        key = _key_word(_NAME_RUN.sub(" ", probe), tools)
        subject = not body[: value.start].strip(" ,").lower().removeprefix("the").strip()
        if value.label == "nationality":
            # "Were *Russian* soldiers returned?": "157 Ukrainians … and 157 Russian soldiers" is no rival
            return ("No", best) if _other_nation(body, best.text, tools) else None
        if rival and rest and len(said) >= NO_COVERAGE * len(rest) and (not key or key in said or not subject):
            return "No", best
        return None
    if answer_type in ("number", "money", "percent"):
        return None
    naming = [s for s in top if _entity_pattern(value.text).search(s.text)]
    if naming and naming[0] is top[0] and top[0].dense >= YES_SIMILARITY:
        polarity = _polarity(body, top[0])
        return (polarity or "Yes", top[0]) if polarity is not None else None
    return None


def _key_word(text: str, tools: Tools) -> str:
    """The stem of the most specific content word of `text` ("end" in "Did the talks end the war?"),
    what a yes/no question asks about; "" when it has none."""
    stop = stop_words()
    # stop words are words, not stems: "anyone" is one, its stem "anyon" is not; a partitive noun
    # ("the *group* of 157 Ukrainians") counts what follows it and asks nothing
    content = sorted({t for w in re.findall(r"[\w'’-]+", text) if w.lower() not in stop | _PARTITIVE
                      for t in tools.tokens(w) if len(t) > 1})
    return max(content, key=tools.idf) if content else ""


_PARTITIVE = frozenset({"group", "groups", "number", "total", "set", "batch", "kind", "type", "part", "lot", "amount",
                        "couple", "pair", "handful", "dozen", "dozens", "bunch"})
_NATION_NOUN = re.compile(r"\b([A-Z][\w’'.]*)\s+([a-z][a-z-]+)\b")


def _other_nation(question: str, sentence: str, tools: Tools) -> bool:
    """The sentence gives the question's thing to another nation: "*Russian* troops launched…" asked,
    "*Ukrainian* troops launched…" said, and the sentence never says "Russian"."""
    stop = stop_words()
    # the question's word itself absent ("Russian servicemen" may say "Russian soldiers" in other words)
    asked = {(n, stem) for a, noun in _NATION_NOUN.findall(question) if noun not in stop and (n := _nation(a))
             and not re.search(rf"\b{re.escape(a)}\b", sentence) for stem in tools.tokens(noun)}
    if not asked:
        return False
    said = {(n, stem) for a, noun in _NATION_NOUN.findall(sentence) if (n := _nation(a))
            for stem in tools.tokens(noun)}
    return any((n, stem) not in said and any(m != n and t == stem for m, t in said) for n, stem in asked)


def _same_kind(a: str, b: str) -> bool:
    """Two span labels that can compete for one slot (the tagger confuses persons and organisations)."""
    group = {"person": "agent", "organization": "agent", "country": "country", "city": "city", "place": "place",
             "number": "count", "quantity": "count", "money": "money", "percent": "percent"}
    return group.get(a, a) == group.get(b, b)


# A sentence that states it only as a condition, aim, effort or possibility ("…to end the war if an
# agreement is reached", "efforts to end the war") does not support a "Yes".
_HEDGE = re.compile(r"\b(?:if|unless|whether|could|would|might|may|aims?\s+to|hopes?\s+to|plans?\s+to|"
                    r"expected\s+to|seeks?\s+to|intends?\s+to|efforts?\s+to|attempts?\s+to|bid\s+to|"
                    r"tries\s+to|trying\s+to|eventual(?:ly)?|potential(?:ly)?|possible|possibly|proposed|"
                    r"future)\b", re.IGNORECASE)


HEDGE_REACH = 6  # words between a hedge and the word it hedges


def _hedged(sentence: str, key: str, tools: Tools) -> bool:
    """The sentence says the question's key word (stem `key`; any word when "") only under a hedge
    that stands at most HEDGE_REACH words before it ("advancing efforts to *end* the war"); a hedge
    elsewhere in the sentence ("two days of talks…, efforts to end the war") does not touch it."""
    if not key:
        return bool(_HEDGE.search(sentence))
    for m in _HEDGE.finditer(sentence):
        following = re.findall(r"[\w'’-]+", sentence[m.end() :])[:HEDGE_REACH]
        if any(key in _stems(w, tools) for w in following):
            return True
    return False


# "…contains no salt water, but does contain both salt and water": a negation with a contrast
# settles nothing
_CONTRAST = re.compile(r"\b(?:but|however|although|though|despite|yet|while|whereas)\b", re.IGNORECASE)
# the counted noun after a number ("500 prisoners", "2 million cars", "500 people"): a plural
_PLURAL = r"(?:[a-z-]+s|people|children|men|women|personnel|staff|police|troops|cattle)\b"
_COUNTED = re.compile(rf"^{_PLURAL}")
_NUMBER_COUNTING = re.compile(rf"\b(\d[\d,]*)\s+(?:million\s+|billion\s+|thousand\s+)?(?={_PLURAL})")


NEGATION_REACH = 3  # words between a negation and the key word it negates ("not easy", "did not end")


def _polarity(question: str, s: Candidate, key: str = "", tools: Tools | None = None) -> str | None:
    """"No" when the sentence negates what the question does not ("…said the talks were *not*
    easy" for "Did he say they were easy?"), "" when both agree, None when the sentence both
    negates and contrasts (mixed: it settles nothing). With the question's key word (stem `key`):
    every mention of it negated right before ("It is certainly *not easy*, but…") is a "No" whatever
    else the sentence says."""
    if key and tools is not None and not _NEGATION.search(question):
        words = re.findall(r"[\w'’-]+", s.text)
        hits = [i for i, w in enumerate(words) if key in _stems(w, tools)]
        if hits and all(_NEGATION.search(" ".join(words[max(0, i - NEGATION_REACH) : i])) for i in hits):
            return "No"
    if bool(_NEGATION.search(s.text)) == bool(_NEGATION.search(question)):
        return ""
    return None if _CONTRAST.search(s.text) else "No"


def _kind(span: Any) -> str:
    """A span's label, "country" for a name the gazetteer knows as one (the tagger reads "UAE" as an
    organisation)."""
    if span.label in ("organization", "place", "person") and gazetteer.is_country(span.text.removeprefix("the ")):
        return "country"
    return str(span.label)


def _as_country(span: Any) -> str:
    """The key a name has read as a country ("UAE" tagged as an organisation is the United Arab Emirates)."""
    return value_key(TypedSpan(span.text, 0, len(span.text), "country"))


def _judge(analysis: QuestionAnalysis, question: str, top: list[Candidate],
           tools: Tools) -> tuple[str, Candidate] | None:
    """The learned reader's (yes, no, not-said) over the leading sentences (with the sentence before).
    A "Yes" needs the names of the question in the sentence's passage: no sentence supports "Italy
    mediated" without naming Italy."""
    claims = tools.answerer.reader.judge(question, [f"{s.prev_text} {s.text}".strip() for s in top])
    names = _names(_AUX_START.sub("", _without_periods(question, analysis)))
    best: tuple[float, str, Candidate] | None = None
    for s, (yes, no, not_said) in zip(top, claims, strict=True):
        named = all(_entity_pattern(v).search(s.passage.text) for v in names)
        for p, word in ((yes if named else 0.0, "Yes"), (no, "No")):
            if p >= JUDGE_MIN and p > not_said and (best is None or p > best[0]):
                best = (p, word, s)
    return (best[1], best[2]) if best else None


_YEAR = re.compile(r"^(?:1[89]|20)\d\d$")
# negation, including verbs that refuse what they name ("has rejected a pull-back")
_NEGATION = re.compile(r"\b(?:no|not|never|nor|without|neither|none|n't|cannot|failed\s+to|refus(?:e|es|ed|ing)|"
                       r"reject(?:s|ed|ing)?|den(?:y|ies|ied)|ruled\s+out)\b", re.IGNORECASE)


def _contrast_slot(question: str) -> list[str]:
    """Values the question puts in an exclusive slot: a place after in/at/to, a count of things (not a
    year; "500 prisoners", not "season 5")."""
    body = _AUX_START.sub("", question)
    places = [re.sub(r"^the\s+", "", m.group("value")) for m in _SLOT_PLACE.finditer(body)]
    places = [p for p in places if not _DAY.fullmatch(p.split()[0])]
    counts = [m.group(1) for m in _NUMBER_COUNTING.finditer(body) if not _YEAR.match(m.group(1))]
    return places + counts


def _without_periods(question: str, analysis: QuestionAnalysis) -> str:
    for w in analysis.windows:
        question = question.replace(w.phrase, " ")
    return " ".join(topical_words(question).split())


def _rule_verdict(analysis: QuestionAnalysis, question: str, top: list[Candidate],
                  tools: Tools, pool: Sequence[Passage] = ()) -> tuple[str, Candidate] | None:
    """Without the reader: "Yes" when a sentence (with the one before) names every name and number
    of the question and covers most of its other content words; "No" when a sentence about the same
    thing gives another value for the question's place or count."""
    plain = _without_periods(question, analysis)
    body = _AUX_START.sub("", plain)
    specific = [n for n in _names(body) if n.lower() not in ("i",)] + \
        [n for n in _NUMBER.findall(body) if not _YEAR.match(n)]
    slot_values = _contrast_slot(plain)
    rest_words = body
    for v in specific:
        rest_words = rest_words.replace(v, " ")
    rest = _stems(rest_words, tools)
    key = _key_word(rest_words, tools)
    # the names may stand anywhere in the article's retrieved passages (the article is about them);
    # the sentence (with the one before it) must say the rest
    articles: dict[str, str] = {}
    for p in [*pool, *(s.passage for s in top)]:
        articles[p.doc_id] = articles.get(p.doc_id, "") + "\n" + p.text
    # a place the question asks about last ("…swapped in Istanbul?") must be said with the event, in
    # the sentence or the one before: the article may name it for something else ("the negotiations
    # in Abu Dhabi" early in a question only says which event)
    located = {v for v in slot_values if not v[0].isdigit() and body.rstrip(" ?.!").endswith(v)}
    for s in top:
        names_ok = all(_entity_pattern(v).search(f"{s.prev_text} {s.text}" if v in located
                                                 else articles[s.passage.doc_id]) for v in specific)
        said = rest & (_stems(s.text, tools) | s.prev_tokens)
        # a sentence clearly on the question's subject (embedding similarity) may say it in fewer of its words
        share = YES_COVERAGE_SIMILAR if s.dense >= YES_SIMILARITY else YES_COVERAGE
        needed = len(rest) if len(rest) <= 2 else int(np.ceil(share * len(rest)))
        if names_ok and len(said) >= needed and (not key or key in said):
            polarity = _polarity(body, s, key, tools)
            hedged = _hedged(f"{s.prev_text} {s.text}", key, tools)  # the key word may be said in the sentence before
            verdict = polarity or ("" if polarity is None or hedged else "Yes")
            if verdict == "Yes" and _other_nation(body, s.text, tools):
                verdict = "No"
            if verdict:
                return verdict, s
    for value in slot_values:
        if _entity_pattern(value).search(" ".join(s.text for s in top)):
            continue  # the articles name it: not contradicted by another value
        is_number = value[0].isdigit()
        others = [w for w in rest if len(w) > 3]
        for s in top:
            shared = sum(1 for w in others if w in s.tokens or w in s.prev_tokens)
            if others and shared < max(1, len(others) // 2):
                continue
            if is_number:
                if _NUMBER.search(s.text):
                    return "No", s
            elif any(gazetteer.is_place(m.group("value").removeprefix("the ")) for m in _SLOT_PLACE.finditer(s.text)):
                return "No", s
    return None


# -- list ------------------------------------------------------------------------------------------

def listing(analysis: QuestionAnalysis, question: str, passages: list[Passage], tools: Tools) -> Answer | None:
    """Every distinct typed value across the answering sentences, each cited once."""
    pool = _in_window(passages, analysis.window) or passages
    ranked = _ranked(question, pool, tools)
    if not ranked or _unknown(question, tools, analysis):
        return None
    best = ranked[0].score
    # the topic's words ("prisoner exchange"), in a good share (TOPIC_SHARE) of the sentences
    # retrieved, say nothing about which value does what the question asks ("mediated", "hosted")
    topic = {t for t in _key_stems(question, tools)
             if sum(t in s.tokens for s in ranked) >= TOPIC_SHARE * len(ranked)}
    key_stems = _key_stems(question, tools) - topic
    # the question's most specific word ("mediators" rather than "swap") decides, when the articles
    # name values beside it; otherwise any of its key words
    key = {max(key_stems, key=tools.idf)} if key_stems else set()
    nation = _nation_asked(question)
    if nation:  # the nation as a key word is said in any of its names: "US officials" for "American officials"
        names = _stems(" ".join({w for s in ranked for w in s.text.split() if _nation(w) == nation}), tools)
        for stems in (key, key_stems):
            if stems & _stems(_list_words(question)[0], tools):
                stems |= names
    # the best sentences, and every other retrieved one that says the specific word: a list gathers
    # all that say the relation, not only those most like the question ("…prisoner swap" echoes)
    chosen = [s for s in ranked[:LIST_POOL] if s.score >= LIST_RATIO * best]
    chosen += [s for s in ranked[LIST_POOL:] if key & s.tokens][: LIST_POOL]
    # "Which Russian officials…": the names said with that nation, wherever they stand
    if nation:
        chosen += [s for s in ranked if s not in chosen and _NAME_PAIR.search(s.text)
                   and any(_nation(w) == nation for w in s.text.split())][:LIST_POOL]
    typed = _typed_values(analysis.answer_type, question, chosen, tools)
    found = _listed(chosen, typed, key, tools) if key else {}
    if not found:
        found = _listed(chosen, typed, key_stems, tools)
    if nation:
        found = {k: v for k, v in found.items() if _of_nation(v[0], nation, ranked)}
    if not found:
        return None
    citer = _Citer(ranked)
    heads: list[str] = []
    parts: list[str] = []
    for text, s in found.values():
        marker = citer.markers(s)
        heads.append(f"**{text}** {marker.split(']')[0]}]")
        part = f"{s.text} {marker}"
        if part not in parts:
            parts.append(part)
    body = ", ".join(heads) + "\n\n" + "\n\n".join(parts)
    return Answer(question=question, answer=body, abstained=False,
                  short_answer="; ".join(t for t, _ in found.values()), citations=_used(citer, body),
                  mode="extractive")



def _listed(sentences: list[Candidate], typed: list[list[tuple[str, int, int, str]]], key_stems: set[str],
            tools: Tools) -> dict[str, tuple[str, Candidate]]:
    """The distinct values (key → text and sentence) that stand in a clause with one of `key_stems`
    (all of them when there are none); the values of one coordination ("Kyiv, Chernihiv, and
    Donetsk") stand or fall together."""
    found: dict[str, tuple[str, Candidate]] = {}
    for s, spans in zip(sentences, typed, strict=True):
        keys = {(start, end): key for _, start, end, key in spans}
        for chain in coordinated(s.text, [TypedSpan(text, start, end, "other") for text, start, end, _ in spans]):
            if key_stems and not any(_same_clause(s.text, v.start, v.end, key_stems, tools) for v in chain):
                continue
            for v in chain:
                found.setdefault(keys[(v.start, v.end)], (v.text, s))
    return found


def _typed_values(answer_type: str, question: str, sentences: list[Candidate],
                  tools: Tools) -> list[list[tuple[str, int, int, str]]]:
    """Per sentence, the distinct values of `answer_type` it offers that the question does not name:
    (text, start, end, identity key). From the typed-span extractor when loaded; otherwise from
    capitalized runs checked against the gazetteer (countries, cities, places) — names of any kind
    for person/organization/name questions."""
    extractor = tools.answerer.spans
    if extractor is not None:
        return [[(v.text, v.start, v.end, value_key(v))
                 for v in values(answer_type, question, s.text, spans, every_mention=True)]
                for s, spans in zip(sentences, extractor.spans([s.text for s in sentences]), strict=True)]
    qlow = question.lower()
    out: list[list[tuple[str, int, int, str]]] = []
    for s in sentences:
        row: list[tuple[str, int, int, str]] = []
        for m in re.finditer(r"\b(?:U\.S\.|[A-Z][\w’'-]*[A-Za-z])(?:\s+(?:of\s+)?[A-Z][\w’'-]*[A-Za-z])*", s.text):
            text = re.sub(r"^(?:The|A|An|In|On|At|But|And)\s+", "", m.group(0))
            text = re.sub(r"-[a-z][\w-]*$", "", text)
            if not text or text.lower() in qlow or (m.start() == 0 and " " not in text) or _DAY.fullmatch(text):
                continue
            text = re.sub(r"['’]s$", "", text)
            checks: dict[str, Callable[[str], bool]] = {
                "country": gazetteer.is_country, "city": gazetteer.is_city, "place": gazetteer.is_place,
                # a person is named with a first and a last name at least once
                "person": lambda t: " " in t and not gazetteer.is_place(t),
            }
            ok = checks.get(answer_type, lambda t: not gazetteer.is_city(t))(text)
            if ok:
                start = m.end() - len(m.group(0)) + m.group(0).find(text)
                row.append((text, start, start + len(text), canonical(text)))
        out.append(row)
    return out


# Nouns that name the kind of value a list asks for ("Which *countries*…"), not what the values do
# ("List the *mediators*…" names the relation and stays a key word).
_TYPE_NOUNS = {"countries", "country", "cities", "city", "towns", "places", "regions", "areas", "people", "persons",
               "officials", "leaders", "names", "organisations", "organizations", "companies", "groups", "nations",
               "states", "individuals", "members", "teams", "things", "years", "dates", "days", "months", "numbers",
               "figures", "ones", "men", "women", "players", "firms", "parties", "agencies"}


# Words about the articles rather than the values ("…are named in the articles", "mentioned in the reports")
_META = re.compile(r"\b(?:(?:are|is|were|was|get|gets|got|been|being)\s+)?(?:named|mentioned|cited|quoted|listed|"
                   r"referred\s+to|featured)\b|\b(?:in|across|by|from|according\s+to)\s+(?:the\s+|these\s+|"
                   r"all\s+(?:the\s+)?)?(?:articles?|reports?|stories|story|coverage|texts?)\b", re.IGNORECASE)


def _list_words(question: str) -> list[str]:
    """The question's words after the wh-word or imperative ("Which", "Name the"), without words about
    the articles themselves."""
    words = re.sub(r"^\s*(?:which|what|who(?:\s+(?:are|were))?|name|list)\s+(?:(?:all\s+)?the\s+)?", "",
                   topical_words(question), flags=re.I)
    return _META.sub(" ", words).split()


def _key_stems(question: str, tools: Tools) -> set[str]:
    """The question's verbs and nouns that say what the values do ("mediated"), without the wh-words,
    the type noun ("countries"), stop words and words about the articles ("named in the articles")."""
    words = _list_words(question)
    for i, w in enumerate(words[:2]):  # "Which Russian officials…": an adjective may come first
        if w.lower() in _TYPE_NOUNS:
            del words[i]
            break
    stop = stop_words()
    kept = " ".join(w for w in words if w.lower() not in stop or w[:1].isupper())  # "US" is no "us"
    return {t for t in _stems(kept, tools) if t not in stop or t.upper() in kept}  # "would-be" → no "would"


_NAME_PAIR = re.compile(r"(?<!^)\b[A-Z][a-z]+\s+[A-Z][a-z]+")  # "… Sergei Lavrov", not the opening word


def _nation_asked(question: str) -> str:
    """The nation a list's type noun is narrowed to ("Which *Russian* officials…", "Name the *US*
    negotiators") as a `_nation` key, or ""."""
    words = _list_words(question)
    if len(words) >= 2 and words[1].lower().strip("?.!,;:") in _NATION_NOUNS:
        return _nation(words[0])
    return ""


# Plural nouns a nation may narrow: the type nouns and people of a role ("Russian negotiators")
_NATION_NOUNS = _TYPE_NOUNS | {"negotiators", "mediators", "ministers", "diplomats", "envoys", "soldiers", "troops",
                               "prisoners"}


@lru_cache(maxsize=8192)
def _nation(word: str) -> str:
    """A country or its people as one key: "Russia", "Russian", "Russia's", "Russians" → "russi";
    "US", "U.S.", "American" → "united states"; "" for a word that names no country or people.
    Hand-written: the gazetteer knows countries, not their demonyms."""
    w = re.sub(r"['’]s?$", "", word)
    if not w[:1].isupper():
        return ""
    if w.lower() in ("american", "americans", "america"):
        return "united states"
    key = canonical(w)
    if gazetteer.is_country(w) or gazetteer.is_country(key.title()):
        return key if " " in key else re.sub(r"(?:a|e|y)$", "", key)
    country = gazetteer.country_of_demonym(w)
    return _nation(country) if country else ""


def _of_nation(value: str, nation: str, sentences: Sequence[Candidate]) -> bool:
    """Some sentence ties the named value to `nation`: a country or demonym word among the few words
    before the name in its clause ("Russian Foreign Minister Sergei Lavrov", "Ukraine's lead negotiator
    Rustem Umerov") or in the appositive after it ("Vladimir Medinsky, one of Russia's top negotiators")."""
    last = value.split()[-1]
    for s in sentences:
        for m in re.finditer(rf"\b{re.escape(last)}\b", s.text):
            start = m.start()
            a = max(s.text.rfind(",", 0, start), s.text.rfind(";", 0, start), s.text.rfind("—", 0, start)) + 1
            near = re.findall(r"[\w.'’-]+", s.text[a:start])[-LIST_NEAR:]
            if _EXAMPLES.match(s.text[a:start]):  # "US officials, including … Steve Witkoff"
                near += re.findall(r"[\w.'’-]+", s.text[: max(0, a - 1)])[-LIST_NEAR:]
            rest = s.text[m.end() :]
            if rest.startswith(","):
                near += re.findall(r"[\w.'’-]+", rest[1:].split(",")[0])[:LIST_NEAR]
            if any(_nation(w) == nation for w in near):
                return True
    return False


_EXAMPLES = re.compile(r"^\s*(?:including|such\s+as|like|among\s+them|notably)\b", re.IGNORECASE)


def _same_clause(sentence: str, start: int, end: int, key_stems: set[str], tools: Tools) -> bool:
    """The value stands within a few words of one of the question's words, in the same clause
    ("the United States and United Arab Emirates acted as mediators"; "US-mediated"). A clause of
    examples ("US officials, including Steve Witkoff and Jared Kushner, have been spearheading…")
    belongs to the noun before it and the verb after it."""
    a = max(sentence.rfind(",", 0, start), sentence.rfind(";", 0, start), sentence.rfind("—", 0, start)) + 1
    cut = [i for i in (sentence.find(",", end), sentence.find(";", end), sentence.find("—", end)) if i >= 0]
    b = min(cut) if cut else len(sentence)
    before = re.findall(r"[\w.'’-]+", sentence[a:start])[-LIST_NEAR:]
    after = re.findall(r"[\w.'’-]+", sentence[end:b])[:LIST_NEAR]
    inside = re.findall(r"[\w.'’-]+", sentence[start:end + 12])[:2]  # "US-mediated"
    if _EXAMPLES.match(sentence[a:start]):
        before += re.findall(r"[\w.'’-]+", sentence[:max(0, a - 1)])[-LIST_NEAR:]
        after += re.findall(r"[\w.'’-]+", sentence[b + 1 :])[:LIST_NEAR]
    return any(_stems(w.replace("-", " "), tools) & key_stems for w in before + after + inside)


# -- summary ------------------------------------------------------------------------------------------

_BOILERPLATE = re.compile(r"download our app|subscribe|newsletter|also read|share this|click here|sign up|"
                          r"follow us|all rights reserved|@\w", re.IGNORECASE)
_PRONOUN_START = re.compile(r"^(?:He|She|They|It|His|Her|Their|Its|This|These|Those|That|The\s+(?:move|deal|exchange|"
                            r"swap|group|two))\b")
_DAY = re.compile(r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|"
                  r"June|July|August|September|October|November|December|\d{4}|yesterday|today|last\s+week)\b")
# a count of things in figures ("157 prisoners", "hundreds of"), not a duration ("two days"), a
# year, a day of a month ("Oct. 2") nor "the two nations"
_COUNT = re.compile(r"(?<![A-Z][a-z]\.\s)(?<![A-Z][a-z][a-z]\s)(?<![A-Z][a-z][a-z]\.\s)"
                    r"\b(?:\d[\d,.]*|dozens|hundreds|thousands|millions)\b"
                    r"(?!\s+(?:of\s+)?(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)\b)"
                    r"(?<!\b(?:19|20)\d\d)")
_PLACE_PREP = re.compile(r"\b(?:in|at|to|from|near|with)\s+(?:the\s+)?([A-Z]\w+(?:\s+[A-Z]\w+)?)")


def _articles_for(analysis: QuestionAnalysis, passages: list[Passage], tools: Tools) -> list[Passage]:
    """The whole articles to summarize: those of the period (or mentioning the entity), in rank order."""
    pool = passages
    if analysis.window is not None:
        pool = _in_window(passages, analysis.window)
    entity = analysis.entity
    if entity and not analysis.window:
        pat = _entity_pattern(entity)
        pool = [p for p in pool if pat.search(p.text)] or []
    docs: list[Passage] = []
    for p in pool:
        if p.doc_id in {d.doc_id for d in docs}:
            continue
        doc = tools.document(p.doc_id)
        if doc is not None:
            docs.append(doc)
        if len(docs) >= SUMMARY_ARTICLES:
            break
    return docs


def summary(analysis: QuestionAnalysis, question: str, passages: list[Passage], tools: Tools) -> Answer:
    """The most central sentences of the article(s) in the period or about the entity."""
    if _unknown(question, tools, analysis):
        return _abstention(question)
    docs = _articles_for(analysis, passages, tools)
    if not docs:
        return _abstention(question)
    every = candidates(docs, tools.tokens)
    sentences = [s for s in every if _summary_worthy(s)]
    if not sentences:
        return _abstention(question)
    chosen = _central(analysis, question, sentences, every, tools)
    # one copy per syndicated sentence: the others are cited as its duplicates
    citer = _Citer(sentences)
    order = {d.doc_id: i for i, d in enumerate(docs)}
    chosen.sort(key=lambda s: (order[s.passage.doc_id], s.start))
    paragraphs: list[str] = []
    current = ""
    for s in chosen:
        if s.passage.doc_id != current:
            paragraphs.append("")
            current = s.passage.doc_id
        paragraphs[-1] = f"{paragraphs[-1]} {s.text} {citer.markers(s)}".strip()
    body = "\n\n".join(paragraphs)
    return Answer(question=question, answer=body, abstained=False, citations=_used(citer, body), mode="extractive")


def _summary_worthy(s: Candidate) -> bool:
    text = s.text.strip()
    return (len(text.split()) >= 8 and text[-1] in ".!?”\"’'" and not _BOILERPLATE.search(text))


def _central(analysis: QuestionAnalysis, question: str, sentences: list[Candidate], every: list[Candidate],
             tools: Tools) -> list[Candidate]:
    """3–5 sentences of `sentences` by centrality, coverage, position and topic, without repeats;
    a pronoun-initial one preceded by the sentence before it (from `every`, all the articles' sentences)."""
    # the topic: what the question names, and the lead sentence of the first article (news states
    # the event in its first sentence), so sentences about the event rank above side stories — unless
    # the question asks about one aspect of it ("the row over Kursk civilians"): then that aspect
    focus = _focus(analysis, question, sentences, tools)
    vecs = _embed(tools, [*(s.text for s in sentences), analysis.target or question, sentences[0].text])
    sv, qv = vecs[:-2], vecs[-2] if focus else vecs[-2] + vecs[-1]
    sims = sv @ sv.T
    n = len(sentences)
    central = (sims.sum(axis=1) - 1.0) / max(1, n - 1)
    central = (central - central.min()) / (np.ptp(central) or 1.0)
    topic = sv @ qv
    topic = (topic - topic.min()) / (np.ptp(topic) or 1.0)
    by_doc: dict[str, int] = {}
    position = np.zeros(n)
    for i, s in enumerate(sentences):
        k = by_doc.get(s.passage.doc_id, 0)
        by_doc[s.passage.doc_id] = k + 1
        position[i] = 1.0 / (1 + k)
    facets = [_facets(s.text) for s in sentences]  # who / when / where / how many
    cover = np.array([len(f) / 4 for f in facets])
    score = W_CENTRAL * central + W_COVER * cover + W_POSITION * position + W_TOPIC * topic
    if focus:
        said = np.array([len(focus & (s.tokens | s.prev_tokens)) / len(focus) for s in sentences])
        score += W_FOCUS * (topic + said)
    # Maximal marginal relevance: each next sentence is central and says something the chosen ones
    # do not (an article often restates its lead further down).
    chosen: list[int] = []
    covered: set[str] = set()
    while len(chosen) < min(SUMMARY_TARGET, n):
        best_i, best_v = -1, -np.inf
        for i in range(n):
            if i in chosen:
                continue
            redundancy = max((sims[i, j] for j in chosen), default=0.0)
            # a sentence telling a who/when/where/how many not told yet adds to the summary
            value = score[i] - MMR_REDUNDANCY * redundancy + W_NEW_FACET * len(facets[i] - covered) / 4
            if redundancy > SAME_POINT:
                continue
            if value > best_v:
                best_i, best_v = i, value
        if best_i < 0:
            break
        chosen.append(best_i)
        covered |= facets[best_i]
    picked = [sentences[i] for i in chosen]
    # A sentence opening with a pronoun brings the one before it, which introduces its subject.
    out: list[Candidate] = []
    index = {(s.passage.doc_id, s.start): s for s in sentences}
    all_by_doc: dict[str, list[Candidate]] = {}
    for s in every:
        all_by_doc.setdefault(s.passage.doc_id, []).append(s)
    for s in picked:
        if _PRONOUN_START.match(s.text):
            siblings = all_by_doc.get(s.passage.doc_id, [])
            before = [c for c in siblings if c.end <= s.start]
            if before:
                prev = index.get((before[-1].passage.doc_id, before[-1].start), before[-1])
                if all(prev.start != o.start or prev.passage.doc_id != o.passage.doc_id for o in out):
                    out.append(prev)
        if all(s.start != o.start or s.passage.doc_id != o.passage.doc_id for o in out):
            out.append(s)
    return out[: SUMMARY_MAX + 1]


# Words of a summary request that name no aspect: the event itself, the articles, the asking.
_NO_ASPECT = frozenset({"exchange", "exchanges", "swap", "swaps", "talks", "negotiations", "deal", "war", "news",
                        "article", "articles", "report", "reports", "story", "stories", "coverage", "events",
                        "event", "situation", "things", "latest", "happened", "happening", "describes", "describe",
                        "says", "said", "according", "short", "brief", "briefly", "overview", "summary", "main",
                        "key", "points", "prisoner", "prisoners"})


def _focus(analysis: QuestionAnalysis, question: str, sentences: list[Candidate], tools: Tools) -> set[str]:
    """The stems of the aspect a summary asks about ("the *row* over *Kursk civilians*", "the *human
    toll*"), empty when it asks about the event as a whole ("the August exchange"): the target's
    content words without the period, words that name no aspect, and words most of the articles'
    sentences share."""
    text = analysis.target or question
    for w in analysis.windows:
        text = text.replace(w.phrase, " ")
    stop = stop_words()
    words = [w for w in re.findall(r"[\w'’-]+", text) if w.lower() not in stop and w.lower() not in _NO_ASPECT
             and not _DAY.fullmatch(w)]
    stems = _stems(" ".join(words), tools)
    return {t for t in stems if sum(t in s.tokens for s in sentences) <= ASPECT_SHARE * len(sentences)}


def _embed(tools: Tools, texts: list[str]) -> np.ndarray:
    """Unit vectors of `texts` through the scorer's LRU (sentences recur across questions)."""
    return np.asarray(tools.answerer.scorer.embed(texts))


def _facets(text: str) -> set[str]:
    """Which of who / when / where / how many a sentence tells."""
    out = set()
    if re.search(r"(?<![.!?]\s)(?<!^)\b[A-Z][A-Za-z]+", text):
        out.add("who")
    if _DAY.search(text):
        out.add("when")
    if any(gazetteer.is_place(m.group(1)) for m in _PLACE_PREP.finditer(text)):
        out.add("where")
    if _COUNT.search(text):
        out.add("count")
    return out


# -- comparison ----------------------------------------------------------------------------------------

_TEMPLATES: dict[Attribute, tuple[str, str, str]] = {
    # attribute: (sub-question, answer type, label)
    "size": ("How many people were involved in {side}?", "number", "How many"),
    "place": ("Where did {side} take place?", "place", "Where"),
    "mediator": ("Who mediated {side}?", "name", "Mediator"),
    "date": ("When did {side} take place?", "date", "When"),
}


def comparison(analysis: QuestionAnalysis, question: str, tools: Tools) -> Answer | None:
    """Each side answered on its own for each attribute, then set side by side. Within a side's own
    passages (its period or entity), the best sentence offering a value of the attribute's type
    answers it; none among the leading sentences → "not stated" for that side."""
    if len(analysis.sides) != 2:
        return None
    side_pools = [_side_pool(side, tools) for side in analysis.sides]
    if not any(side_pools) or _unknown(question, tools, analysis):
        return _abstention(question)
    all_sentences = [c for pool in side_pools for c in candidates(pool, tools.tokens)]
    citer = _Citer(all_sentences)
    participants = _participants(all_sentences)
    if all(side.question for side in analysis.sides):
        return _asked_comparison(analysis, question, side_pools, tools, citer, participants)
    lines: list[str] = []
    answered = 0
    for attribute in analysis.attributes:
        template, answer_type, label = _TEMPLATES[attribute]
        cells: list[str] = []
        for side, pool in zip(analysis.sides, side_pools, strict=True):
            name = _side_label(side)
            if not pool:
                cells.append(f"{name}: the articles have nothing from then")
                continue
            found = _attribute_value(template.format(side=side.text), answer_type, pool, tools, participants)
            if found is None:
                cells.append(f"{name}: not stated")
                continue
            answered += 1
            value, s = found
            cells.append(f"{name}: **{value}** — {s.text} {citer.markers(s)}")
        lines.append(f"{label}:\n" + "\n".join(f"- {c}" for c in cells))
    if not answered:
        return _abstention(question)
    body = "\n\n".join(lines)
    return Answer(question=question, answer=body, abstained=False, citations=_used(citer, body), mode="extractive")


# The side question's answer type → the attribute whose typed value answers it. A named value must
# stand in the clause of the side question's own words ("Where did negotiators *meet* ahead of A?"
# is not answered by "reporters in Kyiv"); the answerer ranks sentences by the whole question and
# has no such check, so it answers only the other types (counts, durations, open questions).
_TYPED_SIDE: dict[str, Attribute] = {"place": "place", "city": "place", "date": "date", "name": "mediator",
                                     "person": "mediator", "organization": "mediator", "country": "mediator"}


def _asked_comparison(analysis: QuestionAnalysis, question: str, side_pools: list[list[Passage]], tools: Tools,
                      citer: _Citer, participants: set[str]) -> Answer:
    """Sides with questions of their own (`Side.question`), each answered over the side's own
    passages and period: a typed value standing by the question's own words (`_TYPED_SIDE`; a
    place not found so falls back to where the side's event took place), else the extractive
    answerer's short answer and first quoted sentence. A side with neither is "not stated"; both →
    abstention."""
    cells: list[str] = []
    answered = 0
    for side, pool in zip(analysis.sides, side_pools, strict=True):
        name = _side_label(side)
        if not pool:
            cells.append(f"{name}: the articles have nothing from then")
            continue
        attribute = _TYPED_SIDE.get(side.answer_type) or side.attribute
        found: tuple[str, Candidate] | None = None
        if attribute is not None:
            template, answer_type, _ = _TEMPLATES[attribute]
            event = template.format(side=side.text)
            near = _key_stems(side.question, tools) - _stems(side.text, tools)
            mediating = _stems(_MEDIATION, tools)
            if near & mediating:  # "brokered", "facilitated", "mediated": one act
                near |= mediating
        if attribute is not None and side.answer_type == "other":
            # "What was the size of A?": the attribute's own question
            found = _attribute_value(event, answer_type, pool, tools, participants)
        elif attribute is not None:
            if attribute in ("place", "date") and not near - _stems(_TAKING_PLACE, tools):
                # "Where was A held?": where (when) the side's event itself took place
                found = _attribute_value(event, answer_type, pool, tools, participants)
            else:
                found = _attribute_value(side.question, answer_type, pool, tools, participants, near)
                if found is None and attribute == "place":
                    # "Where were the talks held before A?" when no sentence says "talks" by a place
                    found = _attribute_value(side.question, answer_type, pool, tools, participants) or \
                        _attribute_value(event, answer_type, pool, tools, participants)
        if found is not None:
            value, s = found
            cells.append(f"{name}: **{value}** — {s.text} {citer.markers(s)}")
            answered += 1
            continue
        sub = tools.answerer.answer(side.question, pool, idf=tools.idf, tokens=tools.tokens,
                                    in_corpus=tools.in_corpus, window=side.window, answer_type=side.answer_type)
        if sub.abstained or not sub.citations:
            cells.append(f"{name}: not stated")
            continue
        answered += 1
        first = next((c for c in sub.citations if sub.short_answer and sub.short_answer in c.quote), sub.citations[0])
        marker = citer.add([first], f"[{first.n}]")
        lead = f"**{sub.short_answer}** — " if sub.short_answer else ""
        cells.append(f"{name}: {lead}{first.quote} {marker}")
    if not answered:
        return _abstention(question)
    body = "\n".join(f"- {c}" for c in cells)
    return Answer(question=question, answer=body, abstained=False, citations=_used(citer, body), mode="extractive")


COMPARE_TOP = 5
PARTICIPANT_SHARE = 0.25


def _participants(sentences: list[Candidate]) -> set[str]:
    """Names in at least PARTICIPANT_SHARE of the sentences of both sides ("Ukraine", "Russia"): the
    parties of every side, so no attribute (a place, a mediator) that tells the sides apart."""
    counts: dict[str, int] = {}
    for s in sentences:
        for name in {n.lower() for n in _names(s.text)}:
            counts[name] = counts.get(name, 0) + 1
    return {n for n, c in counts.items() if c >= PARTICIPANT_SHARE * len(sentences)}


def _attribute_value(sub: str, answer_type: str, pool: list[Passage], tools: Tools, participants: set[str],
                     near: frozenset[str] | set[str] = frozenset()) -> tuple[str, Candidate] | None:
    """The best of the leading sentences for `sub` that offers a value of `answer_type` other than
    the sides' common participants; with `near` (stems), a named value must stand in the clause of
    one of them."""
    ranked = [s for s in _ranked(sub, pool, tools) if _summary_worthy(s)]
    for s in ranked:
        if s.start < EARLY_CHARS:
            s.score += EARLY_BONUS
    ranked = sorted(ranked, key=lambda s: -s.score)[:COMPARE_TOP]
    extractor = tools.answerer.spans
    if extractor is not None:
        for s, spans in zip(ranked, extractor.spans([s.text for s in ranked]), strict=True):
            if answer_type in ("number", "date"):
                span = short_answer(answer_type, sub, s.text, spans, article_date=s.passage.date or None)
                if span is not None:
                    return span.text, s
                continue
            named = [v for v in values(answer_type, sub, s.text, spans)
                     if v.text.lower() not in participants and _fills_slot(answer_type, s.text, v.start, v.end, tools,
                                                                            near)]
            if named:
                return named[0].text, s
        return None
    from assistant.cues import known_names, lead

    if answer_type in ("number", "date"):
        names = known_names(s.text for s in ranked)
        for s in ranked:
            value, cue = lead(s.text, sub, answer_type, names)
            if value and cue >= 0.75:
                return value, s
        return None
    for s, row in zip(ranked, _typed_values(answer_type, sub, ranked, tools), strict=True):
        for text, start, end, _key in row:
            if text.lower() not in participants and _fills_slot(answer_type, s.text, start, end, tools):
                return text, s
    return None


_TAKING_PLACE = "held hold take took taken place happen happened occur occurred carried out"
_LOCATIVE = re.compile(r"\b(?:in|at|near|to|from|inside|outside|border\s+with)\s+(?:the\s+)?$", re.IGNORECASE)
_MEDIATION = "mediated mediator mediation brokered facilitated arranged hosted helped"


def _fills_slot(answer_type: str, sentence: str, start: int, end: int, tools: Tools,
                near: frozenset[str] | set[str] = frozenset()) -> bool:
    """A place stands after a locative preposition ("handed over to Belarus", "talks in Abu Dhabi");
    a name next to a word of the question (`near`, stems), without one next to a word of mediating
    ("facilitated by the UAE", "US-mediated"); a place also next to a word of `near` when given.
    Counts and dates fill their slot by their type."""
    if answer_type == "place":
        return bool(_LOCATIVE.search(sentence[:start])) and (
            not near or _same_clause(sentence, start, end, set(near), tools))
    if answer_type == "name":
        return _same_clause(sentence, start, end, set(near) or _stems(_MEDIATION, tools), tools)
    return True


def _side_pool(side: Side, tools: Tools) -> list[Passage]:
    """The side's own passages: retrieved for its question (or its words), kept to its period when
    it names one."""
    found = tools.retrieve(side.question or side.text)
    if side.window is None and not side.entity:
        return found
    if side.window is not None:
        return _in_window(found, side.window)
    pat = _entity_pattern(side.entity)
    return [p for p in found if pat.search(p.text)]


def _side_label(side: Side) -> str:
    return side.text[0].upper() + side.text[1:] if side.text else "?"


__all__ = ["Tools", "answer_for", "comparison", "definition", "listing", "passages_for", "summary", "yes_no"]
