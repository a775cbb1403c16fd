"""Deterministic scoring of answers against a question set (rules of `../shared/eval/README.md`).

Pure functions, no model and no I/O:

* `normalize`: Unicode NFKC, lower-case, every run of characters that is not a letter or digit
  becomes one space, trimmed.
* `alias_matches`: the normalized alias occurs in the normalized text as a whole-word sequence.
* `score_question`: one question's outcome (`QuestionScore`); `aggregate`: the metrics over a set.
* short answer right: the answer's `short_answer` field alone (not the whole answer text) matches
  every alias group, and the system did not abstain.

Denominators (a metric with an empty denominator is `None`, never 0):

* accuracy, short-answer accuracy, false abstention: answerable questions.
* short-answer rate: questions the system answered (did not abstain), answerable or not: the share
  whose answer has a `short_answer`.
* citation precision: citations of answerable questions that were answered (not abstained) and
  list `sources`.
* citation validity: every citation of every question.
* evidence recall: answerable questions with `evidence`.
* hit@k / MRR@k: answerable questions with `sources`; only the first k passages count.
* abstention: unanswerable questions.
* latency: every question, p50/p95 with linear interpolation.

A question whose run raised an error counts as answered with an empty text and no citations,
so it fails whichever way it was meant to go.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.types import Answer, Citation

EVIDENCE_RUN = 20

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class EvalQuestion:
    """One question. `answers` are alias groups; `sources` file names; `evidence` verbatim snippets.
    `line` is where it was defined in its file (for messages)."""

    id: str
    question: str
    answerable: bool = True
    answers: tuple[tuple[str, ...], ...] = ()
    sources: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    type: str = "untyped"
    line: int = 0


@dataclass(frozen=True)
class CitationCheck:
    n: int
    file_name: str
    in_sources: bool
    valid: bool
    reason: str = ""  # why it is invalid


@dataclass(frozen=True)
class QuestionScore:
    id: str
    type: str
    answerable: bool
    abstained: bool
    correct: bool  # answerable: accurate; unanswerable: abstained
    accurate: bool | None  # None for unanswerable questions
    groups_matched: tuple[bool, ...]
    citations: tuple[CitationCheck, ...]
    evidence_hit: bool | None  # None when the question has no evidence (or is unanswerable)
    rank: int | None  # 1-based rank of the first passage from a source, within k
    latency_ms: float
    error: str = ""
    short_answer: str | None = None  # the answer's own short answer, as returned
    short_right: bool | None = None  # None for unanswerable questions

    def as_dict(self) -> dict[str, Any]:
        return {
            "correct": self.correct, "accurate": self.accurate, "abstained": self.abstained,
            "short_answer": self.short_answer, "short_right": self.short_right,
            "groups_matched": list(self.groups_matched), "evidence_hit": self.evidence_hit,
            "rank": self.rank, "latency_ms": self.latency_ms, "error": self.error,
            "citations": [
                {"n": c.n, "file_name": c.file_name, "in_sources": c.in_sources, "valid": c.valid,
                 "reason": c.reason} for c in self.citations
            ],
        }


@dataclass
class Metrics:
    """Aggregate figures; `counts` holds each metric's denominator."""

    accuracy: float | None = None
    short_answer_accuracy: float | None = None
    short_answer_rate: float | None = None
    citation_precision: float | None = None
    citation_validity: float | None = None
    evidence_recall: float | None = None
    hit_at_k: float | None = None
    mrr_at_k: float | None = None
    abstention: float | None = None
    false_abstention: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    k: int = 5
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: _round(getattr(self, name)) for name in METRIC_NAMES}
        out["k"] = self.k
        out["counts"] = dict(self.counts)
        return out


METRIC_NAMES = (
    "accuracy", "short_answer_accuracy", "short_answer_rate", "citation_precision", "citation_validity", "evidence_recall", "hit_at_k", "mrr_at_k",
    "abstention", "false_abstention", "latency_p50_ms", "latency_p95_ms",
)


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)


# -- matching ----------------------------------------------------------------------------------
def normalize(text: str) -> str:
    """NFKC, lower-case, each run of non-letters/non-digits → one space, trimmed."""
    text = unicodedata.normalize("NFKC", text).lower()
    kept = "".join(ch if ch.isalnum() else " " for ch in text)
    return _SPACES.sub(" ", kept).strip()


def alias_matches(alias: str, text: str) -> bool:
    """True when normalized `alias` is a whole-word sequence of normalized `text`. An alias that
    normalizes to nothing matches nothing."""
    a = normalize(alias)
    return bool(a) and f" {a} " in f" {normalize(text)} "


def group_matches(group: Sequence[str], text: str) -> bool:
    return any(alias_matches(a, text) for a in group)


def answer_matches(groups: Sequence[Sequence[str]], text: str) -> tuple[bool, ...]:
    """Per alias group: does `text` match it."""
    return tuple(group_matches(g, text) for g in groups)


def shares_run(a: str, b: str, run: int = EVIDENCE_RUN) -> bool:
    """`a` and `b` share a run of at least `run` characters (exact characters). When `b` (the
    evidence) is shorter than `run`, all of `b` must occur in `a`."""
    need = min(run, len(b))
    if need == 0 or len(a) < need:
        return False
    grams = {b[i:i + need] for i in range(len(b) - need + 1)}
    return any(a[i:i + need] in grams for i in range(len(a) - need + 1))


def check_citation(c: Citation, texts: Mapping[str, Sequence[str]], sources: Sequence[str]) -> CitationCheck:
    """`texts` maps file name → the article text(s) loaded under that name."""
    candidates = texts.get(c.file_name)
    reason = ""
    if not candidates:
        reason = f"file {c.file_name!r} is not in the corpus"
    elif not c.quote:
        reason = "empty quote"
    elif c.start < 0 or c.end <= c.start:
        reason = f"bad offsets {c.start}-{c.end}"
    elif not any(c.end <= len(t) and t[c.start:c.end] == c.quote for t in candidates):
        if all(c.end > len(t) for t in candidates):
            reason = f"offsets {c.start}-{c.end} past the end of the article"
        else:
            reason = f"quote differs from the article text at {c.start}-{c.end}"
    return CitationCheck(n=c.n, file_name=c.file_name, in_sources=c.file_name in sources,
                         valid=not reason, reason=reason)


def first_source_rank(passage_files: Sequence[str], sources: Sequence[str], k: int) -> int | None:
    for i, name in enumerate(passage_files[:k], 1):
        if name in sources:
            return i
    return None


# -- per question and aggregate ----------------------------------------------------------------
def score_question(q: EvalQuestion, answer: Answer, texts: Mapping[str, Sequence[str]], k: int = 5,
                   latency_ms: float | None = None, error: str = "") -> QuestionScore:
    """Score one answer. `latency_ms` defaults to `answer.latency_ms`."""
    abstained = bool(answer.abstained) and not error
    groups = answer_matches(q.answers, answer.answer) if q.answerable else ()
    accurate: bool | None = None
    short = answer.short_answer if answer.short_answer and answer.short_answer.strip() else None
    short_right: bool | None = None
    if q.answerable:
        accurate = not abstained and all(groups)
        short_right = not abstained and short is not None and all(answer_matches(q.answers, short))
    correct = bool(accurate) if q.answerable else abstained
    checks = tuple(check_citation(c, texts, q.sources) for c in answer.citations)
    evidence_hit: bool | None = None
    if q.answerable and q.evidence:
        evidence_hit = any(shares_run(c.quote, ev) for c in answer.citations for ev in q.evidence)
    rank = first_source_rank([p.file_name for p in answer.passages], q.sources, k) if q.sources else None
    return QuestionScore(
        id=q.id, type=q.type, answerable=q.answerable, abstained=abstained, correct=correct,
        accurate=accurate, groups_matched=groups, citations=checks, evidence_hit=evidence_hit,
        rank=rank, latency_ms=float(answer.latency_ms if latency_ms is None else latency_ms), error=error,
        short_answer=short, short_right=short_right,
    )


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * p / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _share(hits: Sequence[bool]) -> float | None:
    return sum(hits) / len(hits) if hits else None


def aggregate(questions: Sequence[EvalQuestion], scores: Sequence[QuestionScore], k: int = 5) -> Metrics:
    """Metrics over `scores` (aligned with `questions`)."""
    if len(questions) != len(scores):
        raise ValueError("questions and scores differ in length")
    answerable = [(q, s) for q, s in zip(questions, scores, strict=True) if q.answerable]
    unanswerable = [s for q, s in zip(questions, scores, strict=True) if not q.answerable]
    precision = [c.in_sources for q, s in answerable if not s.abstained and q.sources for c in s.citations]
    validity = [c.valid for s in scores for c in s.citations]
    evidence = [bool(s.evidence_hit) for q, s in answerable if q.evidence]
    ranked = [s.rank for q, s in answerable if q.sources]
    latencies = [s.latency_ms for s in scores]
    answered = [s for s in scores if not s.abstained]
    return Metrics(
        accuracy=_share([bool(s.accurate) for _, s in answerable]),
        short_answer_accuracy=_share([bool(s.short_right) for _, s in answerable]),
        short_answer_rate=_share([s.short_answer is not None for s in answered]),
        citation_precision=_share(precision),
        citation_validity=_share(validity),
        evidence_recall=_share(evidence),
        hit_at_k=_share([r is not None for r in ranked]),
        mrr_at_k=(sum(1.0 / r for r in ranked if r is not None) / len(ranked)) if ranked else None,
        abstention=_share([s.abstained for s in unanswerable]),
        false_abstention=_share([s.abstained for _, s in answerable]),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        k=k,
        counts={
            "questions": len(scores), "answerable": len(answerable), "unanswerable": len(unanswerable),
            "citations_scored_for_precision": len(precision), "citations": len(validity),
            "with_evidence": len(evidence), "with_sources": len(ranked), "answered": len(answered),
            "errors": sum(1 for s in scores if s.error),
        },
    )


def by_type(questions: Sequence[EvalQuestion], scores: Sequence[QuestionScore]) -> dict[str, dict[str, Any]]:
    """Per question type: n, share correct (answerable: accurate; unanswerable: abstained), share of
    its answerable questions whose short answer is right (None when it has none), hit@k, citation
    validity and median latency."""
    out: dict[str, dict[str, Any]] = {}
    for t in sorted({q.type for q in questions}):
        pairs = [(q, s) for q, s in zip(questions, scores, strict=True) if q.type == t]
        ranked = [s.rank is not None for q, s in pairs if q.answerable and q.sources]
        cites = [c.valid for _, s in pairs for c in s.citations]
        out[t] = {
            "n": len(pairs),
            "correct": _round(_share([s.correct for _, s in pairs])),
            "short_answer_right": _round(_share([bool(s.short_right) for q, s in pairs if q.answerable])),
            "hit_at_k": _round(_share(ranked)),
            "citation_validity": _round(_share(cites)),
            "latency_p50_ms": _round(percentile([s.latency_ms for _, s in pairs], 50)),
        }
    return out
