"""`app.py eval`: score the pipeline on a question set, the same way the chat answers.

Flow: check the inputs (question set, corpus, output folder) → ingest the corpus into a temporary
store (never the user's) → warm up once → ask every question through `Assistant.ask` with a
`Conversation` (a question's `history` is asked first in the same conversation) → score with
`assistant.scoring` → publish `results.jsonl`, `metrics.json`, `report.md` and `chart.png` into
`--out` → (optional) the LLM judge and the `--baseline` run → publish again with them → print the
summary → exit code.

Each system's finished results are kept: the Newsdesk outputs are published as soon as its run is
scored, before the baseline starts (`metrics.json` then says `"baseline": {"status": "pending"}`).
A baseline that fails (it cannot be built, or crashes) leaves them in place: the final outputs
carry `"baseline": {"status": "failed", "error": ...}`, report.md a "Baseline failed" section with
the traceback, and stderr a warning. Every publication writes into a temporary folder first and
replaces each file in one rename, so `--out` never holds a half-written file.

Exit codes: 0 every floor met; 1 a floor not met (each one is named); 2 bad input (question set,
corpus, options), in which case nothing is written to `--out`. Floors apply to the Newsdesk run
only: a failed `--baseline` run or LLM judge is reported (report.md, metrics.json, stderr) but does
not change the exit code.

Question sets: JSON Lines as described in `../shared/eval/README.md`, or a llama-index
`LabelledRagDataset` JSON file (`{"examples": [{"query", "reference_answer", "reference_contexts"}]}`),
where the reference answer is one alias group, the contexts are the evidence, and the sources are
the corpus files containing a context.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.jsonlines import json_lines
from assistant.scoring import (
    METRIC_NAMES,
    EvalQuestion,
    Metrics,
    QuestionScore,
    aggregate,
    by_type,
    normalize,
    score_question,
)
from assistant.types import Answer
from index.loaders import Document, load_paths

OUTPUT_FILES = ("results.jsonl", "metrics.json", "report.md", "chart.png", "baseline_results.jsonl")
FLOORS = {  # option dest -> metric
    "min_accuracy": "accuracy",
    "min_short_answer": "short_answer_accuracy",
    "min_citation_precision": "citation_precision",
    "min_citation_validity": "citation_validity",
    "min_abstention": "abstention",
    "min_evidence_recall": "evidence_recall",
    "min_hit_at_k": "hit_at_k",
}
_JSONL_FIELDS = {"id", "question", "history", "answerable", "answers", "sources", "evidence", "type"}
_LRD_FIELDS = {"query", "query_by", "reference_answer", "reference_answer_by", "reference_contexts"}
_MAX_K = 50


class EvalInputError(ValueError):
    """Bad evaluation input; the message names the file (and line) and what is wrong."""


# -- options -----------------------------------------------------------------------------------
def _share_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def _k_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= _MAX_K:
        raise argparse.ArgumentTypeError(f"k must be between 1 and {_MAX_K}, got {value}")
    return value


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    """The `eval` subcommand's options (floors are shares between 0 and 1)."""
    parser.add_argument("--questions", required=True, metavar="FILE",
                        help="question set: JSON Lines (see ../shared/eval/README.md) or a LabelledRagDataset JSON")
    parser.add_argument("--corpus", required=True, metavar="DIR", help="folder (or file) of articles to index")
    parser.add_argument("--out", default="eval-out", metavar="DIR",
                        help="where results.jsonl, metrics.json, report.md and chart.png go (default eval-out)")
    parser.add_argument("--mode", choices=["extractive", "llm"], help="answer mode (default: NEWSDESK_MODE)")
    parser.add_argument("--k", type=_k_arg, default=5, help="passages retrieved per question, and k of hit@k")
    for dest, metric in FLOORS.items():
        parser.add_argument("--" + dest.replace("_", "-"), dest=dest, type=_share_arg, metavar="SHARE",
                            help=f"fail (exit 1) when {metric.replace('_', ' ')} is below SHARE")
    parser.add_argument("--baseline", action="store_true",
                        help="also score a plain llama-index dense-retrieval pipeline, side by side")


# -- inputs ------------------------------------------------------------------------------------
def load_corpus(corpus: Path, max_bytes: int = 5_000_000) -> tuple[list[Document], list[str]]:
    """Documents of the corpus as the pipeline loads them, and warnings for skipped files."""
    if not corpus.exists():
        raise EvalInputError(f"{corpus}: corpus folder not found")
    loaded = load_paths([corpus], max_bytes=max_bytes)
    if not loaded.documents:
        detail = f" ({len(loaded.skipped)} file(s) skipped: {loaded.skipped[0]})" if loaded.skipped else ""
        raise EvalInputError(f"{corpus}: no articles could be loaded from the corpus{detail}")
    return loaded.documents, [str(s) for s in loaded.skipped]


def _strings(value: Any, where: str, name: str, allow_empty_list: bool = True) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
        raise EvalInputError(f"{where}: {name!r} must be a list of non-empty strings")
    if not value and not allow_empty_list:
        raise EvalInputError(f"{where}: {name!r} must not be empty")
    return tuple(value)


def _check_fields(rec: dict[str, Any], allowed: frozenset[str] | set[str], where: str) -> None:
    unknown = sorted(set(rec) - allowed)
    if unknown:
        raise EvalInputError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; "
                             f"allowed: {', '.join(sorted(allowed))}")


def _question_from_record(rec: Any, where: str, line: int) -> EvalQuestion:
    if not isinstance(rec, dict):
        raise EvalInputError(f"{where}: expected a JSON object, got {type(rec).__name__}")
    _check_fields(rec, _JSONL_FIELDS, where)
    qid = rec.get("id")
    if isinstance(qid, bool) or not isinstance(qid, str | int) or not str(qid).strip():
        raise EvalInputError(f"{where}: 'id' is required (a non-empty string)")
    question = rec.get("question")
    if not isinstance(question, str) or not question.strip():
        raise EvalInputError(f"{where}: 'question' is required (a non-empty string)")
    answerable = rec.get("answerable", True)
    if not isinstance(answerable, bool):
        raise EvalInputError(f"{where}: 'answerable' must be true or false")
    raw_answers = rec.get("answers", [])
    if not isinstance(raw_answers, list) or not all(isinstance(g, list) for g in raw_answers):
        raise EvalInputError(f"{where}: 'answers' must be a list of alias groups, e.g. [[\"UAE\", \"United Arab Emirates\"]]")
    answers = tuple(_strings(g, where, "answers", allow_empty_list=False) for g in raw_answers)
    if any(not any(normalize(a) for a in g) for g in answers):
        raise EvalInputError(f"{where}: an alias group in 'answers' has no letters or digits")
    if answerable and not answers:
        raise EvalInputError(f"{where}: an answerable question needs 'answers' (alias groups)")
    if not answerable and answers:
        raise EvalInputError(f"{where}: an unanswerable question cannot have 'answers'")
    qtype = rec.get("type", "unanswerable" if not answerable else "untyped")
    if not isinstance(qtype, str) or not qtype.strip():
        raise EvalInputError(f"{where}: 'type' must be a non-empty string")
    return EvalQuestion(
        id=str(qid), question=question, answerable=answerable, answers=answers,
        sources=_strings(rec.get("sources", []), where, "sources"),
        evidence=_strings(rec.get("evidence", []), where, "evidence"),
        history=_strings(rec.get("history", []), where, "history"), type=qtype.strip(), line=line,
    )


def _sources_for(contexts: Sequence[str], documents: Sequence[Document]) -> tuple[str, ...]:
    """File names of the documents containing any of `contexts` (verbatim, else normalized)."""
    norm_docs = [(d.file_name, d.text, f" {normalize(d.text)} ") for d in documents]
    names: list[str] = []
    for ctx in contexts:
        n_ctx = normalize(ctx)
        for name, text, norm in norm_docs:
            if (ctx in text or (n_ctx and f" {n_ctx} " in norm)) and name not in names:
                names.append(name)
    return tuple(names)


def _load_labelled_rag(data: dict[str, Any], path: Path, documents: Sequence[Document]) -> list[EvalQuestion]:
    extra = sorted(set(data) - {"examples"})
    if extra:
        raise EvalInputError(f"{path}: unknown top-level field(s) {', '.join(map(repr, extra))}; expected only 'examples'")
    examples = data["examples"]
    if not isinstance(examples, list):
        raise EvalInputError(f"{path}: 'examples' must be a list")
    out: list[EvalQuestion] = []
    for i, ex in enumerate(examples):
        where = f"{path}: examples[{i}]"
        if not isinstance(ex, dict):
            raise EvalInputError(f"{where}: expected a JSON object")
        _check_fields(ex, _LRD_FIELDS, where)
        query, ref = ex.get("query"), ex.get("reference_answer")
        if not isinstance(query, str) or not query.strip():
            raise EvalInputError(f"{where}: 'query' is required (a non-empty string)")
        if not isinstance(ref, str) or not normalize(ref):
            raise EvalInputError(f"{where}: 'reference_answer' is required (a string with letters or digits)")
        contexts = _strings(ex.get("reference_contexts") or [], where, "reference_contexts")
        out.append(EvalQuestion(id=f"example-{i + 1:03d}", question=query, answerable=True, answers=((ref,),),
                                sources=_sources_for(contexts, documents), evidence=contexts,
                                type="labelled-rag", line=i + 1))
    return out


def load_questions(path: Path, documents: Sequence[Document] = ()) -> list[EvalQuestion]:
    """Parse and check a question set. Raises `EvalInputError` naming the file and line."""
    if not path.is_file():
        raise EvalInputError(f"{path}: question file not found")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise EvalInputError(f"{path}: not valid UTF-8 (byte {e.start})") from None
    except OSError as e:
        raise EvalInputError(f"{path}: unreadable: {e.strerror or e}") from None
    questions: list[EvalQuestion] = []
    whole: Any = None
    with contextlib.suppress(json.JSONDecodeError):
        whole = json.loads(text)
    if isinstance(whole, dict) and "examples" in whole:
        questions = _load_labelled_rag(whole, path, documents)
    else:
        for where, no, rec in json_lines(text, str(path), EvalInputError):
            questions.append(_question_from_record(rec, where, no))
    if not questions:
        raise EvalInputError(f"{path}: the question set is empty")
    seen: dict[str, int] = {}
    for q in questions:
        if q.id in seen:
            raise EvalInputError(f"{path}:{q.line}: duplicate id {q.id!r} (first on line {seen[q.id]})")
        seen[q.id] = q.line
    return questions


def unknown_sources(questions: Sequence[EvalQuestion], documents: Sequence[Document]) -> list[str]:
    """Warnings for `sources` naming files that are not in the corpus."""
    names = {d.file_name for d in documents}
    return [f"question {q.id} (line {q.line}): source {s!r} is not in the corpus"
            for q in questions for s in q.sources if s not in names]


# -- running -----------------------------------------------------------------------------------
@dataclass
class RunResult:
    """Answers and scores of one pipeline over the question set."""

    name: str
    answers: list[Answer] = field(default_factory=list)
    scores: list[QuestionScore] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    types: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class BaselineOutcome:
    """The `--baseline` comparison: `status` is "pending" (not finished yet), "ok" (`run` holds its
    results) or "failed" (`error` one line, `trace` the traceback)."""

    status: str
    run: RunResult | None = None
    error: str = ""
    trace: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.run is not None:
            out.update(metrics=self.run.metrics.as_dict(), by_type=self.run.types, seconds=round(self.run.seconds, 2))
        if self.error:
            out["error"] = self.error
        return out


def run_baseline(make: Callable[[], Any], questions: Sequence[EvalQuestion], texts: dict[str, list[str]],
                 k: int, progress: bool = True) -> BaselineOutcome:
    """Build the baseline with `make()` (an object with `ask(question, top_k)`), warm it up and run it.
    Any exception while building or running it is returned as a "failed" outcome, never raised (a
    single question's error is scored as that question's failure, as for Newsdesk)."""
    try:
        pipeline = make()
        with contextlib.suppress(Exception):  # warm-up; a failing question is scored below
            pipeline.ask(questions[0].question, top_k=k)
        run = run_pipeline("baseline", lambda q: pipeline.ask(q.question, top_k=k), questions, texts, k, progress)
    except Exception as e:  # reported beside the kept Newsdesk results
        return BaselineOutcome("failed", error=f"{type(e).__name__}: {e}", trace=traceback.format_exc())
    return BaselineOutcome("ok", run=run)


def _failed_answer(question: str, error: str) -> Answer:
    return Answer(question=question, answer="", abstained=False, notice=f"error: {error}")


def run_pipeline(name: str, ask: Callable[[EvalQuestion], Answer], questions: Sequence[EvalQuestion],
                 texts: dict[str, list[str]], k: int, progress: bool = True) -> RunResult:
    """Ask every question with `ask` (which handles history), time it, and score it."""
    from tqdm import tqdm

    result = RunResult(name)
    started = time.perf_counter()
    for q in tqdm(questions, desc=name, unit="q", file=sys.stderr, disable=not progress, dynamic_ncols=True):
        t0 = time.perf_counter()
        error = ""
        try:
            answer = ask(q)
        except Exception as e:  # recorded and scored as a failure; the run goes on
            error = f"{type(e).__name__}: {e}"
            answer = _failed_answer(q.question, error)
        wall = round((time.perf_counter() - t0) * 1000, 1)
        result.answers.append(answer)
        result.scores.append(score_question(q, answer, texts, k=k, latency_ms=wall, error=error))
    result.seconds = time.perf_counter() - started
    result.metrics = aggregate(questions, result.scores, k=k)
    result.types = by_type(questions, result.scores)
    return result


def check_floors(metrics: Metrics, args: argparse.Namespace) -> list[str]:
    """One message per floor that is not met (an undefined metric does not meet a floor)."""
    failed: list[str] = []
    for dest, metric in FLOORS.items():
        floor = getattr(args, dest, None)
        if floor is None:
            continue
        value = getattr(metrics, metric)
        if value is None:
            failed.append(f"{metric} is undefined for this question set (no questions it applies to), floor {floor}")
        elif value < floor:
            failed.append(f"{metric} {value:.3f} is below the floor {floor}")
    return failed


# -- optional LLM-judged faithfulness ------------------------------------------------------------
JUDGE_PROMPT = """You check whether an answer is supported by the quotes it cites.

Quotes from news articles:
{quotes}

Answer:
{answer}

Is every statement of the answer supported by the quotes above? Reply with exactly one word:
SUPPORTED or UNSUPPORTED."""
_VERDICT = re.compile(r"\b(UNSUPPORTED|SUPPORTED)\b", re.I)
_THINK_BLOCK = re.compile(r"<think>.*?(?:</think>|$)", re.S)


@dataclass
class Faithfulness:
    """LLM verdicts per question (None: not judged — abstained, no citations, or the call failed)."""

    verdicts: list[bool | None] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        judged = [v for v in self.verdicts if v is not None]
        return {"faithfulness": round(sum(judged) / len(judged), 4) if judged else None,
                "judged": len(judged), "errors": len(self.errors),
                "first_error": self.errors[0] if self.errors else ""}


def judge_faithfulness(llm: Any, answers: Sequence[Answer], progress: bool = True,
                       max_consecutive_errors: int = 3) -> Faithfulness:
    """Ask `llm` (a llama-index LLM) whether each answered, cited answer is supported by its quotes.
    Gives up after `max_consecutive_errors` failed calls in a row (the rest stay unjudged)."""
    from llama_index.core.llms import ChatMessage, MessageRole
    from tqdm import tqdm

    result = Faithfulness()
    streak = 0
    for a in tqdm(answers, desc="judge", unit="q", file=sys.stderr, disable=not progress, dynamic_ncols=True):
        if a.abstained or not a.citations or streak >= max_consecutive_errors:
            result.verdicts.append(None)
            continue
        quotes = "\n".join(f"[{c.n}] {c.quote}" for c in a.citations)
        prompt = JUDGE_PROMPT.format(quotes=quotes, answer=a.answer)
        try:
            reply = llm.chat([ChatMessage(role=MessageRole.USER, content=prompt)])
            text = _THINK_BLOCK.sub("", str(reply.message.content or ""))
            m = _VERDICT.search(text)
            if m is None:
                raise ValueError(f"no verdict in the reply {text[:80]!r}")
            result.verdicts.append(m.group(1).upper() == "SUPPORTED")
            streak = 0
        except Exception as e:  # the judge is optional: record and go on
            result.verdicts.append(None)
            result.errors.append(f"{type(e).__name__}: {str(e)[:200]}")
            streak += 1
    return result


# -- outputs -----------------------------------------------------------------------------------
def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1f}" if metric.endswith("_ms") else f"{value:.3f}"


def summary_table(ours: Metrics, baseline: Metrics | None, floors: dict[str, float]) -> list[list[str]]:
    rows = [["metric", "newsdesk", *(["baseline"] if baseline else []), "floor"]]
    for m in METRIC_NAMES:
        label = m.replace("_at_k", f"@{ours.k}")
        floor = floors.get(m)
        rows.append([label, _fmt(m, getattr(ours, m)),
                     *([_fmt(m, getattr(baseline, m))] if baseline else []),
                     "" if floor is None else f"{floor:g}"])
    return rows


def _markdown_table(rows: list[list[str]]) -> str:
    head, *body = rows
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |" for r in body]
    return "\n".join(lines)


def _plain_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _expected(q: EvalQuestion) -> str:
    if not q.answerable:
        return "abstain (the articles do not say)"
    return " AND ".join("(" + " or ".join(f"“{a}”" for a in g) + ")" for g in q.answers)


def render_report(meta: dict[str, Any], questions: Sequence[EvalQuestion], ours: RunResult,
                  comparison: BaselineOutcome | None, floors: dict[str, float], failed_floors: list[str],
                  judged: Faithfulness | None = None) -> str:
    """`report.md`: summary, baseline status, per-type breakdown (correct, short answer right), every
    failed question, short-answer misses, citation problems."""
    baseline = comparison.run if comparison else None
    out = [
        "# Newsdesk evaluation",
        "",
        f"- questions: `{meta['questions']}` ({len(questions)}), corpus: `{meta['corpus']}` ({meta['documents']} articles)",
        f"- mode: {meta['mode']}, k = {meta['k']}, embedder: {meta['embedder']}, run at {meta['started']}",
        "- scoring rules: `../shared/eval/README.md`; latency is wall time per question after one warm-up",
        "",
        "## Summary",
        "",
        _markdown_table(summary_table(ours.metrics, baseline.metrics if baseline else None, floors)),
        "",
    ]
    out += ["Short answer right: the answer's `short_answer` field alone matches every alias group "
            "(answerable questions); short-answer rate: share of answered questions that have one.", ""]
    if baseline:
        out += ["Baseline: plain llama-index `VectorStoreIndex` (Chroma, same embedding model), top-k dense "
                "retrieval on the question alone; the answer is the top passage, cited with the node's offsets "
                "(it never gives a short answer).", ""]
    elif comparison is not None and comparison.status == "pending":
        out += ["**Baseline: still running** (these Newsdesk results were published before it started).", ""]
    elif comparison is not None:
        out += ["**Baseline failed**: " + _one_line(comparison.error) + " (see “Baseline failure” below; "
                "the Newsdesk results above are complete).", ""]
    if judged is not None:
        j = judged.as_dict()
        value = "n/a" if j["faithfulness"] is None else f"{j['faithfulness']:.3f}"
        out += [f"LLM-judged faithfulness (answer supported by its quotes; not part of the deterministic "
                f"scores): {value} over {j['judged']} answer(s), {j['errors']} judge error(s).", ""]
    out += ["**Floors: all met.**" if not failed_floors else "**Floors not met:** " + "; ".join(failed_floors), ""]
    out += ["## By question type", ""]
    head = ["type", "n", "newsdesk correct", "short answer right", f"hit@{meta['k']}", "citation validity",
            "latency p50 ms"]
    if baseline:
        head.insert(3, "baseline correct")
    rows = [head]
    for t, row in ours.types.items():
        cells = [t, str(row["n"]), _fmt("x", row["correct"]), _fmt("x", row["short_answer_right"]),
                 _fmt("x", row["hit_at_k"]), _fmt("x", row["citation_validity"]), _fmt("_ms", row["latency_p50_ms"])]
        if baseline:
            cells.insert(3, _fmt("x", baseline.types[t]["correct"]))
        rows.append(cells)
    out += [_markdown_table(rows), "",
            "“correct” means: answerable → not abstained and every alias group matched; unanswerable → abstained. "
            "“short answer right” is over the type's answerable questions (n/a when it has none).",
            "", "![per-type accuracy and latency](chart.png)", ""]
    if comparison is not None and comparison.status == "failed":
        out += ["## Baseline failure", "", "The `--baseline` run did not finish; no baseline figures are reported.",
                "", "```", comparison.trace.rstrip() or comparison.error, "```", ""]
    failed = [(q, a, s) for q, a, s in zip(questions, ours.answers, ours.scores, strict=True) if not s.correct]
    out += [f"## Failed questions ({len(failed)} of {len(questions)})", ""]
    if not failed:
        out += ["None.", ""]
    for q, a, s in failed:
        out += [f"### {q.id} ({q.type})", ""]
        if q.history:
            out.append(f"- history: {' → '.join(_one_line(h, 120) for h in q.history)}")
        out += [f"- question: {_one_line(q.question)}", f"- expected: {_expected(q)}"]
        if s.error:
            out.append(f"- **error**: {_one_line(s.error)}")
        returned = "(abstained) " if s.abstained else ""
        out.append(f"- returned: {returned}{_one_line(a.answer) or '(empty)'}")
        if s.short_answer:
            out.append(f"- short answer: {_one_line(s.short_answer, 120)}")
        if q.answerable and s.groups_matched:
            out.append("- groups matched: " + ", ".join("yes" if g else "no" for g in s.groups_matched))
        if a.retrieval_query and a.retrieval_query != q.question:
            out.append(f"- retrieval query: {_one_line(a.retrieval_query)}")
        for c, chk in zip(a.citations, s.citations, strict=True):
            flags = [x for x in ("" if chk.in_sources or not q.sources else "not a source",
                                 "" if chk.valid else f"INVALID: {chk.reason}") if x]
            out.append(f"  - [{c.n}] `{c.file_name}` {c.start}-{c.end}: “{_one_line(c.quote, 200)}”"
                       + (f" ({'; '.join(flags)})" if flags else ""))
        if q.sources:
            rank = str(s.rank) if s.rank else f"> {meta['k']}"
            out.append(f"- sources: {', '.join(q.sources)}; first source passage at rank {rank}")
        out.append(f"- passages: {', '.join(p.file_name for p in a.passages) or '(none)'}")
        out.append("")
    misses = [(q, s) for q, s in zip(questions, ours.scores, strict=True) if s.correct and s.short_right is False]
    out += [f"## Correct answers without a right short answer ({len(misses)})", ""]
    out += [f"- {q.id} ({q.type}): short answer {('“' + _one_line(s.short_answer, 120) + '”') if s.short_answer else '(none)'}"
            f"; expected {_expected(q)}" for q, s in misses] or ["None."]
    out.append("")
    bad = [(q.id, c, chk) for q, a, s in zip(questions, ours.answers, ours.scores, strict=True)
           for c, chk in zip(a.citations, s.citations, strict=True) if not chk.valid]
    out += [f"## Invalid citations ({len(bad)})", ""]
    out += [f"- {qid} [{c.n}] `{c.file_name}` {c.start}-{c.end}: {chk.reason}" for qid, c, chk in bad] or ["None."]
    out.append("")
    return "\n".join(out)


def render_chart(path: Path, ours: RunResult, baseline: RunResult | None) -> None:
    """PNG: share correct per question type (beside the baseline) and the latency distribution."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    types = list(ours.types)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.4 if baseline else 0.6
    xs = list(range(len(types)))
    ax1.bar([x - (width / 2 if baseline else 0) for x in xs], [ours.types[t]["correct"] or 0 for t in types],
            width=width, label="newsdesk", color="#2b6cb0")
    if baseline:
        ax1.bar([x + width / 2 for x in xs], [baseline.types[t]["correct"] or 0 for t in types],
                width=width, label="baseline", color="#a0aec0")
        ax1.legend(loc="upper center", ncol=2, fontsize=8)
    ax1.set_xticks(xs, [f"{t}\n(n={ours.types[t]['n']})" for t in types], fontsize=8)
    ax1.set_ylim(0, 1.15)
    ax1.set_ylabel("share correct")
    ax1.set_title("Accuracy by question type")
    lat = [s.latency_ms for s in ours.scores]
    data = [lat] + ([[s.latency_ms for s in baseline.scores]] if baseline else [])
    ax2.hist(data, bins=min(20, max(5, len(lat) // 2)), label=["newsdesk", "baseline"][: len(data)],
             color=["#2b6cb0", "#a0aec0"][: len(data)])
    for value, style in ((ours.metrics.latency_p50_ms, "--"), (ours.metrics.latency_p95_ms, ":")):
        if value is not None:
            ax2.axvline(value, color="black", linestyle=style, linewidth=1)
    ax2.set_xlabel("latency per question (ms); dashed p50, dotted p95")
    ax2.set_ylabel("questions")
    ax2.set_title("Latency distribution")
    if baseline:
        ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _write_results(path: Path, questions: Sequence[EvalQuestion], run: RunResult,
                   verdicts: Sequence[bool | None] | None = None) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i, (q, a, s) in enumerate(zip(questions, run.answers, run.scores, strict=True)):
            rec: dict[str, Any] = {"id": q.id, "type": q.type, "answer": a.model_dump(mode="json"),
                                   "score": s.as_dict()}
            if verdicts is not None:
                rec["llm_judged_faithful"] = verdicts[i]
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def publish(staging: Path, out: Path) -> None:
    """Move the finished files from `staging` into `out` (created if needed), each file replaced in
    one rename; output files of an earlier run that this run did not produce are removed."""
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_FILES:
        src, dst = staging / name, out / name
        if src.exists():
            os.replace(src, dst)
        elif dst.exists():
            dst.unlink()


def _judge(settings: Any, answers: Sequence[Answer], progress: bool) -> Faithfulness | None:
    from assistant.llm import make_llm

    try:
        llm = make_llm(settings)
    except ValueError as e:
        print(f"warning: LLM-judged faithfulness skipped: {e}", file=sys.stderr)
        return None
    result = judge_faithfulness(llm, answers, progress)
    if result.errors:
        print(f"warning: the LLM judge failed {len(result.errors)} time(s): {result.errors[0]}", file=sys.stderr)
    return result


# -- CLI ---------------------------------------------------------------------------------------
def run_eval_cli(args: argparse.Namespace, settings: Any, build_assistant: Callable[[Any], Any]) -> int:
    """Entry point of `app.py eval`; returns the exit code (0 ok, 1 floor not met, 2 bad input)."""
    try:
        return _run(args, settings, build_assistant)
    except EvalInputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Any, build_assistant: Callable[[Any], Any]) -> int:
    from assistant.chat import Conversation

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise EvalInputError(f"{out}: --out must be a folder, but a file is there")
    k = int(args.k)
    if not 1 <= k <= _MAX_K:
        raise EvalInputError(f"--k must be between 1 and {_MAX_K}, got {k}")
    corpus = Path(args.corpus)
    documents, skipped = load_corpus(corpus, settings.max_file_bytes)
    questions = load_questions(Path(args.questions), documents)
    for w in skipped + unknown_sources(questions, documents):
        print(f"warning: {w}", file=sys.stderr)
    texts: dict[str, list[str]] = {}
    for d in documents:
        texts.setdefault(d.file_name, []).append(d.text)
    mode = args.mode or settings.mode
    progress = True
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")

    with tempfile.TemporaryDirectory(prefix="newsdesk-eval-", ignore_cleanup_errors=True) as tmp:
        tmp_path = Path(tmp)
        eval_settings = settings.model_copy(update={"store": tmp_path / "store", "chroma_host": None})
        assistant = build_assistant(eval_settings)
        report = assistant.ingestor.ingest_documents(documents)
        assistant.retriever.invalidate()
        print(f"indexed {len(documents)} article(s) from {corpus} into a temporary store "
              f"({report.chunks_written} chunks, {report.seconds:.1f}s)", file=sys.stderr)
        if mode == "llm" and not assistant.llm_available:
            print("warning: no LLM is configured; llm mode falls back to extractive answers", file=sys.stderr)

        def ask(q: EvalQuestion) -> Answer:
            conv = Conversation()
            for h in q.history:
                assistant.ask(h, conversation=conv, top_k=k, mode=mode)
            t0 = time.perf_counter()
            answer = assistant.ask(q.question, conversation=conv, top_k=k, mode=mode)
            return answer.model_copy(update={"latency_ms": round((time.perf_counter() - t0) * 1000, 1)})

        with contextlib.suppress(Exception):  # warm-up, untimed; a failing question is scored below
            assistant.ask(questions[0].question, top_k=k, mode=mode)
        ours = run_pipeline("newsdesk", ask, questions, texts, k, progress)

        floors = {FLOORS[d]: getattr(args, d) for d in FLOORS if getattr(args, d, None) is not None}
        failed_floors = check_floors(ours.metrics, args)
        meta = {
            "questions": str(args.questions), "corpus": str(corpus), "documents": len(documents),
            "mode": mode, "k": k, "embedder": assistant.embedder.name, "started": started,
        }
        outputs = _Outputs(out, questions, meta, ours, floors, failed_floors)
        comparison = BaselineOutcome("pending") if args.baseline else None
        # Published now, so a later failure (judge, baseline, even an interrupt) cannot lose them.
        outputs.publish(comparison, None)

        judged: Faithfulness | None = None
        if settings.llm_configured:
            judged = _judge(settings, ours.answers, progress)

        if args.baseline:
            from assistant.baseline import BaselinePipeline

            comparison = run_baseline(
                lambda: BaselinePipeline(assistant.store.client, documents, assistant.embedder,
                                         chunk_tokens=settings.chunk_tokens),
                questions, texts, k, progress)
            if comparison.status == "failed":
                print(f"warning: the baseline failed ({comparison.error}); the Newsdesk results are kept in {out}/ "
                      "and report.md shows the traceback", file=sys.stderr)
            elif comparison.run is not None and comparison.run.metrics.counts.get("errors"):
                print(f"warning: the baseline raised an error on {comparison.run.metrics.counts['errors']} "
                      "question(s), scored as failures (see baseline_results.jsonl)", file=sys.stderr)
        if comparison is not None or judged is not None:
            outputs.publish(comparison, judged)

    base = comparison.run if comparison else None
    print(_plain_table(summary_table(ours.metrics, base.metrics if base else None, floors)))
    if comparison is not None and comparison.status == "failed":
        print(f"baseline: FAILED ({comparison.error})")
    if judged is not None:
        print(f"llm-judged faithfulness: {judged.as_dict()['faithfulness']} ({judged.as_dict()['judged']} judged)")
    print(f"\n{len(questions)} questions; outputs in {out}/ (report.md, metrics.json, results.jsonl, chart.png)")
    for msg in failed_floors:
        print(f"FLOOR NOT MET: {msg}", file=sys.stderr)
    return 1 if failed_floors else 0


@dataclass
class _Outputs:
    """Everything `--out` is made from; `publish` (re)writes all of it from the current state."""

    out: Path
    questions: Sequence[EvalQuestion]
    meta: dict[str, Any]
    ours: RunResult
    floors: dict[str, float]
    failed_floors: list[str]

    def publish(self, comparison: BaselineOutcome | None, judged: Faithfulness | None) -> None:
        ours, base = self.ours, comparison.run if comparison else None
        doc: dict[str, Any] = {
            **self.meta, "metrics": ours.metrics.as_dict(), "by_type": ours.types,
            "floors": self.floors, "floors_failed": self.failed_floors, "seconds": round(ours.seconds, 2),
        }
        if judged is not None:
            doc["llm_judged"] = judged.as_dict()
        if comparison is not None:
            doc["baseline"] = comparison.as_dict()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{self.out.name or 'eval'}-", dir=self.out.parent))
        try:
            _write_results(staging / "results.jsonl", self.questions, ours, judged.verdicts if judged else None)
            if base is not None:
                _write_results(staging / "baseline_results.jsonl", self.questions, base)
            (staging / "metrics.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n",
                                                  encoding="utf-8")
            (staging / "report.md").write_text(
                render_report(self.meta, self.questions, ours, comparison, self.floors, self.failed_floors, judged),
                encoding="utf-8")
            render_chart(staging / "chart.png", ours, base)
            publish(staging, self.out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
