"""Answerability: whether the best sentence found answers the question, or the system should abstain.

Rules first (`Evidence`): a specific term of the question (a name, a number, a rare word) that no
article contains means the articles are about something else; so do most of its less common words
missing from every article; a best sentence that offers no value of the type asked (a count, an
amount, a date) or is about another period than the one asked does not answer. The term checks are
hand-written corpus statistics (wordfreq's Zipf scale). Then `Answerability`, a logistic regression
over how well the best sentence matches (first-stage score, embedding similarity, word coverage, its
lead over the runner-up, missing words), fitted on held-out calibration questions
(`training/answerability/fit.py`: SQuAD 2.0 and CLAPNQ, with unanswerable ones); its threshold keeps
false abstention on the answerable calibration questions at 5 %, the rules' included.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from wordfreq import zipf_frequency

from assistant import places
from assistant.candidates import GENERIC as _GENERIC
from assistant.candidates import Candidate
from assistant.combine import pinned_json

DEFAULT_ANSWERABILITY_DIR = Path(__file__).resolve().parent.parent / "models" / "answerability"
FEATURES = ("top_score", "top_dense", "top_lex", "margin", "missing_share")

ABSTAIN_TEXT = "I could not find the answer to this in the articles. The closest passages are listed below."
MIN_CONFIDENCE = 0.36
# Words rarer than this (wordfreq Zipf scale) are specific: absent from every article → abstain.
RARE_ZIPF = 3.0
# Less common words than this count for the missing-word penalty.
COMMON_ZIPF = 5.5
MISSING_WORD_PENALTY = 0.6
# A best sentence whose period agreement (`assistant.constraints`) is this low or lower is about
# another period: a conflict, or an article published well after the period asked.
OFF_PERIOD = 0.5
# At least this share of the question's less common content words in no article: off topic.
OFF_TOPIC_SHARE = 0.67


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


# A title or proper name of common words joined by a small word ("War and Peace", "Lord of the Rings"):
# every word may occur in the articles while the name does not. Not at the question's start.
_TITLE = re.compile(r"(?<=\s)[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*(?:\s+(?:and|of|the|for|&)(?:\s+the)?\s+[A-Z][a-z]+"
                    r"(?:\s+[A-Z][a-z]+)*)+")
# offices and institutions ("the President of Ukraine" is "the Ukrainian President")
_INSTITUTION = re.compile(r"\b(?:Ministry|Minister|Department|Secretary|President|Prime|Mayor|Governor|Chancellor|King|"
                          r"Queen|Head|Chief|Director|Bank|University|Office|Council|Court|Committee|Union|Republic|"
                          r"Kingdom|States|Emirates|Gulf|Sea|Bay|Isle|Islands?|Province|Region)\b")


def missing_titles(question: str, texts: Sequence[str]) -> list[str]:
    """The titles in `question` ("Who wrote War and Peace?") that none of `texts` (the retrieved
    passages: a passage holding the title would be retrieved by its words) contains, case and spacing
    aside. Institutions and places are left out: their names are written many ways ("the Ministry of
    Defence", "the defence ministry"); so is a question in title case."""
    words = question.split()
    if sum(w[:1].isupper() for w in words) > 0.6 * len(words):
        return []
    haystack = " ".join(" ".join(texts).lower().split())
    found = []
    for m in _TITLE.finditer(question):
        title = m.group(0)
        if _INSTITUTION.search(title) or any(places.is_place(w) for w in title.split()):
            continue
        if not re.search(r"\s(?:of|the|for)\s", title) and not _WORK_CUE.search(question[: m.start()]):
            continue  # "Steve Witkoff and Jared Kushner", "Trump and Putin": names listed, not a title
        if " ".join(title.lower().split()) not in haystack:
            found.append(title)
    return found


# "the novel War and Peace", "who wrote Pride and Prejudice": the words before a title joined by "and"
_WORK_CUE = re.compile(r"\b(?:novel|book|film|movie|song|album|play|poem|series|show|painting|opera|game|wrote|"
                       r"write|written|directed|sang|sung|painted|composed|published)\s+(?:the\s+)?$", re.IGNORECASE)


def demonym_of_known_place(word: str, in_corpus: Callable[[str], bool],
                            tokenize: Callable[[str], list[str]]) -> bool:
    """"Italian" when the articles say "Italy", "Russian" for "Russia", "Chinese" for "China",
    "American" for "the United States" (a country's other name, `spans.canonical`)."""
    from assistant.spans import canonical

    m = re.fullmatch(r"([A-Z][a-z]+?)(ian|ean|an|ese|ish|i|n)", word)
    if not m:
        return False
    stem = m.group(1)
    names = [stem + end for end in ("", "y", "e", "a", "ia")]
    names += [canonical(n) for n in names if canonical(n) != n.lower()]
    return any(all(in_corpus(t) for t in tokenize(n)) and tokenize(n) for n in names)


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


class AnswerabilityModelError(RuntimeError):
    """The answerability weights are missing, damaged or do not match their manifest."""


@dataclass(frozen=True)
class Evidence:
    """What the abstention decision reads of a question and its ranked candidates. The rules: a
    specific term of the question (name, number, rare word — after spelling correction,
    `assistant.spelling`) that no article contains (`unknown`), a best sentence offering no value of
    the type asked (`no_value`), most of the question's less common words in no article
    (`off_topic`: "Who is the mayor?" of a collection that never says "mayor"), a best sentence about
    another period than the one the question names (`off_period`); the regression reads `features`
    (`FEATURES` order)."""

    features: tuple[float, ...]
    unknown: tuple[str, ...] = ()
    no_value: bool = False
    off_topic: bool = False
    off_period: bool = False

    @property
    def ruled_out(self) -> bool:
        return bool(self.unknown) or self.no_value or self.off_topic or self.off_period


def evidence(question: str, ranked: Sequence[Candidate], tokenize: Callable[[str], list[str]],
             in_corpus: Callable[[str], bool] | None, typed: bool = True) -> Evidence:
    """The `Evidence` of `question` (time expressions removed) and its `ranked` candidates (best
    first, constraints applied). `in_corpus` None: no term checks; `typed` False: no value check
    (no span extractor ran)."""
    unknown = tuple(unknown_terms(question, in_corpus, tokenize)) if in_corpus else ()
    missing = missing_share(question, in_corpus, tokenize) if in_corpus else 0.0
    top = ranked[0]
    second = ranked[1].score if len(ranked) > 1 else 0.0
    x = (top.score, top.dense, top.lex, top.score - second, missing)
    return Evidence(x, unknown, typed and no_value(ranked), off_topic=missing >= OFF_TOPIC_SHARE,
                    off_period=top.period <= OFF_PERIOD)


def no_value(ranked: Sequence[Candidate]) -> bool:
    """The best sentence — already demoted for it (`ExtractiveAnswerer.demand_value`) and still best —
    offers no value of the type asked ("How many…?" and no count, "How much…?" and no amount): the
    sentences that do are poor matches, the articles do not give it. A rule, not a feature
    of the regression: SQuAD's unanswerable questions are written against a paragraph that holds
    values of the asked type, so calibration data cannot weigh it (see training/answerability/fit.py
    for how often it fires on answerable and unanswerable calibration questions)."""
    return not ranked[0].offers


@dataclass(frozen=True)
class Answerability:
    """Fitted logistic regression: P(the best sentence answers the question) from `features`;
    answer when it reaches `threshold`."""

    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, x: Sequence[float]) -> float:
        z = self.bias + sum(w * v for w, v in zip(self.weights, x, strict=True))
        return 1.0 / (1.0 + math.exp(-z))

    def answers(self, x: Sequence[float]) -> bool:
        return self.probability(x) >= self.threshold

    @classmethod
    def load(cls, model_dir: Path = DEFAULT_ANSWERABILITY_DIR) -> Answerability:
        """Read the fitted weights after checking their sha256 against `manifest.json`."""
        data = pinned_json(model_dir, FEATURES, AnswerabilityModelError, "answerability")
        return cls(tuple(float(w) for w in data["weights"]), float(data["bias"]), float(data["threshold"]))
