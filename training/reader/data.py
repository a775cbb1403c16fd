"""Training, calibration and test examples for the reader, read from ../shared/data and split exactly as
`training/splits.json` says (grouped by article/title; calibration and test parts are never trained on;
CLAPNQ is never trained on).

* `answer_examples("train")`: SQuAD 2.0 (question, previous sentence, sentence) pairs. Positive = the sentence
  holding the answer span (with the span's character offsets inside it); negatives = the other sentences of
  the paragraph most similar in words to the question, and for unanswerable questions the sentence holding
  the `plausible_answers` span (a very hard negative) plus the most similar others.
* `judge_examples("train"|"test")`: (claim, premise, label) with label 0 yes/supported/entailment,
  1 no/refuted/contradiction, 2 not said (SNLI neutral, or a question paired with an unrelated passage).
* `question_groups(split)`: per question, every sentence of its passage with gold marks, to score
  accuracy@1, answerability AUC and spans (SQuAD calibration/test articles; CLAPNQ calibration/test records).

Everything is deterministic: files are read in order and every sample uses `random.Random(seed)`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from index.chunking import sentence_spans

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
SPLITS = json.loads((ROOT / "training" / "splits.json").read_text(encoding="utf-8"))
Split = Literal["train", "calibration", "test"]
_WORD = re.compile(r"[a-z0-9]+")
# Words too common to tell sentences apart when picking hard negatives.
_STOP = frozenset((
    "the", "a", "an", "of", "in", "on", "at", "to", "for", "and", "or", "is", "was", "were", "are",
    "be", "by", "with", "as", "from", "that", "this", "which", "who", "what", "when", "where",
    "why", "how", "did", "does", "do", "its", "it", "his", "her", "their", "he", "she", "they",
))


@dataclass(frozen=True)
class AnswerExample:
    question: str
    previous: str
    sentence: str
    label: int  # 1 = the sentence contains the answer
    span: tuple[int, int] | None  # character offsets of the answer inside `sentence` (positives only)


@dataclass(frozen=True)
class JudgeExample:
    claim: str
    premise: str
    label: int  # 0 yes/supported, 1 no/refuted, 2 not said


@dataclass(frozen=True)
class QuestionGroup:
    """One held-out question with every sentence of its passage as (previous, sentence)."""

    source: str  # "squad" or "clapnq"
    question: str
    items: tuple[tuple[str, str], ...]
    gold: frozenset[int]  # indices of sentences holding (part of) the answer; empty when unanswerable
    answers: tuple[str, ...]  # reference short answers (SQuAD), empty otherwise
    answerable: bool


def _read_jsonl(rel: str) -> list[dict[str, Any]]:
    with gzip.open(DATA / rel, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def _squad_split(title: str) -> Split:
    cfg = SPLITS["squad2"]
    if title in cfg["calibration_articles"]:
        return "calibration"
    if title in cfg["test_articles"]:
        return "test"
    return "train"


def _hex_split(key: str, train: str, calibration: str) -> Split:
    digit = hashlib.sha1(key.encode("utf-8")).hexdigest()[0]
    if digit in train:
        return "train"
    return "calibration" if digit in calibration else "test"


def _squad_paragraphs(split: Split) -> Iterator[tuple[str, list[tuple[int, int]], list[dict[str, Any]]]]:
    """(context, sentence spans, qas) of every SQuAD paragraph in `split`."""
    for rel in SPLITS["squad2"]["files"]:
        with gzip.open(DATA / rel, "rt", encoding="utf-8") as f:
            doc = json.load(f)
        for article in doc["data"]:
            if _squad_split(article["title"]) != split:
                continue
            for para in article["paragraphs"]:
                ctx = para["context"]
                spans = [(s.start, s.end) for s in sentence_spans(ctx)]
                if spans:
                    yield ctx, spans, para["qas"]


def _sentence_of(spans: list[tuple[int, int]], offset: int) -> int:
    for i, (s, e) in enumerate(spans):
        if offset < e:
            return i if offset >= s else max(i - 1, 0)
    return len(spans) - 1


def _items(ctx: str, spans: list[tuple[int, int]]) -> list[tuple[str, str]]:
    return [(ctx[spans[i - 1][0] : spans[i - 1][1]] if i else "", ctx[s:e]) for i, (s, e) in enumerate(spans)]


def answer_examples(negatives: int = 2, seed: int = 13) -> list[AnswerExample]:
    """SQuAD 2.0 training pairs (train articles only), `negatives` hard negatives per question."""
    rng = random.Random(seed)
    out: list[AnswerExample] = []
    for ctx, spans, qas in _squad_paragraphs("train"):
        items = _items(ctx, spans)
        for qa in qas:
            q = qa["question"].strip()
            qw = _words(q)
            ranked = sorted(range(len(spans)), key=lambda i: (-len(qw & _words(items[i][1])), i))
            if qa.get("is_impossible"):
                plaus = qa.get("plausible_answers") or []
                hard = _sentence_of(spans, plaus[0]["answer_start"]) if plaus else None
                chosen = ([hard] if hard is not None else []) + [i for i in ranked if i != hard][:negatives]
                out += [AnswerExample(q, items[i][0], items[i][1], 0, None) for i in chosen]
                continue
            ans = qa["answers"][0]
            start = ans["answer_start"]
            end = start + len(ans["text"])
            pos = _sentence_of(spans, start)
            s0, s1 = spans[pos]
            span = (start - s0, end - s0) if s0 <= start and end <= s1 else None
            out.append(AnswerExample(q, items[pos][0], items[pos][1], 1, span))
            others = [i for i in ranked if i != pos]
            # mostly the lexically closest sentences, sometimes a random one, so both kinds are seen
            picks = others[: max(negatives - 1, 1)]
            rest = [i for i in others if i not in picks]
            if rest and len(picks) < negatives:
                picks.append(rng.choice(rest))
            out += [AnswerExample(q, items[i][0], items[i][1], 0, None) for i in picks]
    return out


def boolq(split: Split) -> list[dict[str, Any]]:
    rule = "0123456789ab", "cd"
    return [r for r in _read_jsonl(SPLITS["boolq"]["files"][0]) if _hex_split(r["title"], *rule) == split]


def judge_examples(split: Literal["train", "test"], snli_limit: int | None = None, seed: int = 13
                   ) -> dict[str, list[JudgeExample]]:
    """Judge examples by source: "boolq", "fever", "esnli", "not_said" (train only)."""
    rng = random.Random(seed)
    bq = boolq(split)
    out: dict[str, list[JudgeExample]] = {
        "boolq": [JudgeExample(r["question"], r["passage"], 0 if r["answer"] else 1) for r in bq]}
    fever = _read_jsonl(SPLITS["fever_symmetric"][split])
    out["fever"] = [JudgeExample(r["claim"], r["evidence"], 0 if r["label"] == "SUPPORTS" else 1) for r in fever]
    labels = {"entailment": 0, "contradiction": 1, "neutral": 2}
    snli = [JudgeExample(r["hypothesis"], r["premise"], labels[r["label"]]) for r in _read_jsonl(SPLITS["esnli"][split])]
    if snli_limit is not None and len(snli) > snli_limit:
        snli = rng.sample(snli, snli_limit)
    out["esnli"] = snli
    if split == "train":
        # A question or claim with a passage about something else: the premise does not say.
        # Premises: BoolQ passages, FEVER evidence and SQuAD sentences of other questions.
        pool = [r["passage"] for r in bq] + [r["evidence"] for r in fever]
        claims = [r["question"] for r in bq] + [r["claim"] for r in fever]
        not_said = []
        for c in rng.sample(claims, min(len(claims), 1500)):
            p = rng.choice(pool)
            if not (_words(c) & _words(p)) or rng.random() < 0.5:
                not_said.append(JudgeExample(c, p, 2))
        out["not_said"] = not_said
    return out


def question_groups(split: Literal["calibration", "test"]) -> list[QuestionGroup]:
    """Held-out questions with their passages' sentences (SQuAD articles and CLAPNQ records of `split`)."""
    groups: list[QuestionGroup] = []
    for ctx, spans, qas in _squad_paragraphs(split):
        items = tuple(_items(ctx, spans))
        for qa in qas:
            answers = tuple(a["text"] for a in qa["answers"])
            gold = frozenset(_sentence_of(spans, a["answer_start"]) for a in qa["answers"])
            groups.append(QuestionGroup("squad", qa["question"].strip(), items, gold, answers,
                                        not qa.get("is_impossible")))
    for rel in SPLITS["clapnq"]["files"]:
        for r in _read_jsonl(rel):
            part = "calibration" if hashlib.sha1(r["id"].encode("utf-8")).hexdigest()[0] in "01234567" else "test"
            if part != split:
                continue
            sents = [s.strip() for s in r["passages"][0]["sentences"] if s.strip()]
            if not sents:
                continue
            items = tuple((sents[i - 1] if i else "", s) for i, s in enumerate(sents))
            selected = {s.strip() for o in r["output"] for s in o.get("selected_sentences", [])}
            gold = frozenset(i for i, s in enumerate(sents) if s in selected)
            answerable = any(o.get("answer") and o["answer"] != "NA" for o in r["output"])
            groups.append(QuestionGroup("clapnq", r["input"].strip(), items, gold, (), answerable))
    return groups
