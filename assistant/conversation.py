"""One chat's state: the topic of the last answered turn, the turns, and stable citation numbers.

The topic is what the conversation is about — the entity, the time window and the key terms of the
last turn that was answered — not a bag of the words said so far. For each new question
(`Conversation.plan`):

* a question that stands on its own and names something of its own (a period, a name, a number, a
  superlative: "Summarize the August exchange", "Who is Steve Witkoff?") is answered on its own and,
  once answered, replaces the topic;
* a question that depends on the conversation — a pronoun ("Where were they handed over?") or an
  ellipsis ("And in August?", "What about Medinsky?") — inherits what it lacks: the entity and/or
  the window and the topic's terms; an ellipsis is rewritten from the topic's question with the new
  period or name put in ("Who mediated the swap in August 2025?");
* a question that stands on its own but names nothing of its own ("How many prisoners were
  exchanged?" after a summary of the August exchange) keeps the topic's entity and window; if that
  yields no answer, `Assistant` asks it again on its own (`TurnPlan.alone`).

A turn that was not answered (refused, off-topic: "What is the capital of France?") leaves the topic
unchanged (`Conversation.record`). When the window of an answered question was not named, the
month its cited articles were published in becomes the topic's window, and for a who-question the
short answer becomes the topic's entity ("he" after "Who is Ukraine's lead negotiator?").

Surfaces that only send earlier questions (`/api/ask` `history`, `/v1/chat/completions` messages,
`app.py ask --history`) rebuild the state with `Conversation.replay`: each earlier question is planned
in turn, and it counts as answered when the articles know its specific words (every name and number
of it, and most of its other content words, occur in the collection: `Retriever.in_corpus`) — the
same evidence the answerer's abstention starts from, at no retrieval cost. Its cited months and short
answers are unknown there, so only the question's own entity, window and terms carry over.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from assistant.dates import DateWindow, month_window
from assistant.question import (
    QuestionAnalysis,
    WindowResolver,
    analyze,
    with_context,
)
from assistant.select import topical_words
from assistant.types import Answer, Citation

_MARKER = re.compile(r"\[(\d+)\]")
_LEAD = re.compile(r"\*\*(.+?)\*\*")
MAX_TOPIC_TERMS = 10
# Fragments that only swap the period or the name of the previous question.
_FRAGMENT = re.compile(
    r"^(?:and|also|but|so|plus|then|what\s+about|how\s+about|what\s+of|same\s+(?:for|question\s+for)|"
    r"and\s+what\s+about|and\s+how\s+about|and\s+for|for)\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_WH_OR_AUX = re.compile(r"\b(?:who|whom|whose|what|which|when|where|why|how|is|are|was|were|did|does|do|has|have|"
                        r"had)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Topic:
    """What the conversation is about: set by the last answered turn."""

    question: str  # that turn's effective question (an ellipsis already rewritten)
    analysis: QuestionAnalysis
    entities: tuple[str, ...] = ()  # named by the question
    window: DateWindow | None = None
    terms: tuple[str, ...] = ()
    # the short answer of a who-question: what "he"/"they" of the next question point at, but not
    # carried into an ellipsis ("And in August?" asks the same question anew)
    answered: tuple[str, ...] = ()


@dataclass(frozen=True)
class TurnPlan:
    """How one turn is asked: `analysis` is the effective analysis (with what was inherited),
    `question` what the answerer reads, `query` what retrieval reads. `alone` is the same turn
    without the conversation, for a self-contained question that inherited the topic (asked when
    the inherited reading finds no answer); `dependent` says the wording needs the conversation."""

    asked: str
    question: str
    query: str
    analysis: QuestionAnalysis
    inherited: bool = False
    dependent: bool = False
    alone: TurnPlan | None = None
    # the period comes from the topic, not from the question's words
    inherited_window: bool = False


@dataclass
class Conversation:
    """One chat. `turns` holds (question, answer text) pairs; `numbers` keeps citation numbers
    stable; `topic` is the last answered turn's topic (None before any answer)."""

    turns: list[tuple[str, str]] = field(default_factory=list)
    numbers: dict[tuple[str, int, int], int] = field(default_factory=dict)
    topic: Topic | None = None

    # -- planning --------------------------------------------------------------------------
    def plan(self, question: str, resolve: WindowResolver | None = None) -> TurnPlan:
        """The effective question, retrieval query and analysis of `question` in this chat."""
        own = analyze(question, resolve)
        alone = TurnPlan(question, own.normalized, own.normalized, own)
        topic = self.topic
        if topic is None or (own.self_contained and own.anchored):
            return alone
        if not own.self_contained and _is_fragment(own.normalized):
            return self._rewrite(question, own, topic, resolve)
        windows = own.windows or ((topic.window,) if topic.window is not None else ())
        entities = own.entities or (topic.answered + topic.entities if not own.self_contained else topic.entities)
        asked = own.normalized
        if not own.self_contained and not own.entities and entities:
            asked = _named(asked, entities[0])
        # "What's his role?" named ("what is Jared Kushner's role?") is a definition: analysed again
        base = analyze(asked, resolve) if asked != own.normalized else own
        effective = with_context(base, windows=windows, entities=entities)
        extra = [e for e in entities if e not in own.entities and e not in asked]
        extra += [t for t in topic.terms if t.lower() not in asked.lower() and t not in extra]
        if windows and not own.windows:
            extra.append(windows[0].query_phrase)
        query = " ".join([asked, *extra]).strip()
        return TurnPlan(question, asked, query, effective, inherited=True,
                        dependent=not own.self_contained, alone=alone if own.self_contained else None,
                        inherited_window=bool(windows) and not own.windows)

    def _rewrite(self, question: str, own: QuestionAnalysis, topic: Topic,
                 resolve: WindowResolver | None) -> TurnPlan:
        """"And in August?" after "Who mediated the February swap?" → "Who mediated the swap in
        August 2025?"; "What about Medinsky?" after "Who is Witkoff?" → "Who is Medinsky?"."""
        base = topic.question.strip().rstrip("?.! ")
        if own.windows:
            for w in topic.analysis.windows:
                base = re.sub(rf"\s*\b(?:in\s+|during\s+|of\s+)?{re.escape(w.phrase)}\b", "", base, flags=re.IGNORECASE)
            base = f"{base} in {own.windows[0].query_phrase}"
        if own.entities:
            old = [e for e in topic.analysis.entities if e.lower() in base.lower()]
            if old:
                base = re.sub(re.escape(old[0]), own.entities[0], base, count=1, flags=re.IGNORECASE)
            else:
                base = f"{base} about {own.entities[0]}"
        rest = _FRAGMENT.match(own.normalized)
        if not own.windows and not own.entities and rest and rest.group("rest").strip(" ?.!"):
            base = f"{base} {rest.group('rest').strip(' ?.!')}"
        effective_q = " ".join(base.split()) + "?"
        effective = analyze(effective_q, resolve)
        entities = effective.entities or (topic.entities if not own.entities else ())
        windows = effective.windows or ((topic.window,) if topic.window is not None and not own.windows else ())
        effective = with_context(effective, windows=windows, entities=entities)
        extra = [e for e in entities if e.lower() not in effective_q.lower()]
        if windows and not effective.windows and windows[0].query_phrase.lower() not in effective_q.lower():
            extra.append(windows[0].query_phrase)
        query = " ".join([effective_q, *extra])
        return TurnPlan(question, effective_q, query, effective, inherited=True, dependent=True,
                        inherited_window=bool(windows) and not own.windows)

    # -- after the answer ------------------------------------------------------------------
    def record(self, plan: TurnPlan, answer: Answer | None, answered: bool) -> None:
        """Update the topic after a turn: an answered turn sets it (a dependent one extends it),
        an unanswered one leaves it as it was. Does not touch `turns` (see `Assistant.stream`)."""
        if not answered:
            return
        a = plan.analysis
        short = _short_answer(answer)
        answered_entities = (short,) if short and a.answer_type in ("person", "name", "organization") else ()
        window = a.window or _evidence_window(answer.citations if answer else [])
        terms = list(a.terms)
        if plan.inherited and self.topic is not None:
            terms += [t for t in self.topic.terms if t not in terms]
        self.topic = Topic(question=plan.question, analysis=a, entities=a.entities, window=window,
                           terms=tuple(terms[:MAX_TOPIC_TERMS]), answered=answered_entities)

    @classmethod
    def replay(cls, questions: Iterable[str], resolve: WindowResolver | None,
               answered: Callable[[QuestionAnalysis], bool]) -> Conversation:
        """The state after `questions` (oldest first) when only the questions are known: each is
        planned in turn and counts as answered when `answered(analysis)` says so."""
        conv = cls()
        for q in questions:
            q = (q or "").strip()
            if not q:
                continue
            plan = conv.plan(q, resolve)
            conv.record(plan, None, answered(plan.analysis))
            conv.turns.append((q, ""))
        return conv

    # -- citation numbers --------------------------------------------------------------------
    def renumber(self, answer: Answer) -> Answer:
        """Give each quote the number it had earlier in this chat, or the next free one."""
        mapping: dict[int, int] = {}
        cites: list[Citation] = []
        for c in answer.citations:
            key = (c.doc_id, c.start, c.end)
            if key not in self.numbers:
                self.numbers[key] = len(self.numbers) + 1
            mapping[c.n] = self.numbers[key]
        for c in answer.citations:
            dup = mapping.get(c.duplicate_of) if c.duplicate_of is not None else None
            cites.append(c.model_copy(update={"n": mapping[c.n], "duplicate_of": dup}))
        text = _MARKER.sub(lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", answer.answer)
        return answer.model_copy(update={"answer": text, "citations": cites})


# "her" is left alone: object or possessive, the grammar does not say which
_PERSONAL = re.compile(r"\b(?:(?P<subject>he|she)|(?P<object>him)|(?P<possessive>his)|(?P<either>her|hers))\b",
                       re.IGNORECASE)


def _named(question: str, entity: str) -> str:
    """"What did he say on social media?" with the topic's person "Rustem Umerov" → "What did Rustem
    Umerov say on social media?": the answerer reads the name, not a pronoun that a sentence about
    someone else also has. Only for a person's name (two or more capitalised words, not a place) and
    one personal pronoun; otherwise `question` unchanged."""
    from assistant import places

    words = entity.split()
    if len(words) < 2 or not all(w[:1].isupper() for w in words) or places.is_place(entity):
        return question
    found = list(_PERSONAL.finditer(question))
    if len(found) != 1 or found[0].group("either"):
        return question
    m = found[0]
    name = f"{entity}'s" if m.group("possessive") else entity
    return question[: m.start()] + name + question[m.end() :]


def _is_fragment(text: str) -> bool:
    """"And in August?", "What about Medinsky?", "In May?": no question of its own to ask."""
    m = _FRAGMENT.match(text.strip())
    rest = m.group("rest") if m else text
    rest = re.sub(r"^\s*(?:about|of|for)\b", "", rest, flags=re.IGNORECASE)
    return not _WH_OR_AUX.search(rest) and len(rest.split()) <= 6


def _short_answer(answer: Answer | None) -> str:
    if answer is None or answer.abstained:
        return ""
    m = _LEAD.match(answer.answer.strip())
    short = answer.short_answer or (m.group(1) if m else "")
    # one name only: "US and Abu Dhabi" is no single thing a pronoun points at
    return short if short and len(short) <= 60 and " and " not in short and ";" not in short else ""


def _evidence_window(citations: list[Citation]) -> DateWindow | None:
    """The month the cited articles were published in, when they all agree on one."""
    months = {c.date[:7] for c in citations if c.duplicate_of is None and len(c.date) >= 10}
    if len(months) != 1:
        return None
    first = next(c.date for c in citations if c.duplicate_of is None and len(c.date) >= 10)
    return month_window(first)


def known_to_corpus(analysis: QuestionAnalysis, in_corpus: Callable[[str], bool],
                    tokenize: Callable[[str], list[str]]) -> bool:
    """Whether the articles know the question's specific words: every name and number, and at least
    half of the other content words, occur in the collection, and the live answer's off-topic rules
    (`assistant.abstain`: a rare word no article has, most of its less common words missing: "What's
    the population of Kyiv?") would not refuse it. Used to replay history questions."""
    from assistant import abstain

    topical = topical_words(analysis.normalized)
    if abstain.unknown_terms(topical, in_corpus, tokenize) or \
            abstain.missing_share(topical, in_corpus, tokenize) >= abstain.OFF_TOPIC_SHARE:
        return False
    specific = [*analysis.entities, *re.findall(r"\b\d[\d,.]*\b", analysis.normalized)]
    for s in specific:
        toks = tokenize(s)
        if toks and not all(in_corpus(t) for t in toks):
            return False
    words = [t for term in analysis.terms for t in tokenize(term)]
    if not words:
        return True
    known = sum(1 for t in words if in_corpus(t))
    return known >= 0.5 * len(words)


__all__ = ["Conversation", "Topic", "TurnPlan", "known_to_corpus"]
