"""Fit the answerability model (assistant/abstain.py `Answerability`) on CALIBRATION data.

    .venv/bin/python training/answerability/fit.py [--work data/answerability-fit] [--limit N] [--seed 13]

1. Converts the calibration splits of training/splits.json (SQuAD 2.0 calibration articles, CLAPNQ
   calibration records; about half of the questions unanswerable) with `app.py convert`, and indexes
   each into its own store under --work (kept: a second run only re-reads).
2. Runs every question through the default read path up to the abstention decision — question
   analysis, retrieval, first stage, the question's date constraints, the typed-value check — and
   records the answerability features (assistant.abstain.FEATURES). Label: the question is
   answerable and the best sentence is (part of) its evidence. Every answerable question is also
   asked once more with its own passage withheld from retrieval ("removed" rows, label 0): the
   collection still covers the topic (the article's other paragraphs) but no longer holds the
   answer — the unanswerable a news reader meets most (SQuAD's own unanswerables are written to
   match a paragraph that lacks the answer; off-topic questions are the easy case).
3. Fits a logistic regression; out-of-fold probabilities (5 folds grouped by article) choose the
   threshold: the highest cut on the probability that keeps false abstention on answerable questions
   ≤ 5 %. Prints, for the hand-set rule it replaces and for the model, abstention on unanswerable
   questions, false abstention, and the share of answerable questions answered from their evidence.
4. Writes models/answerability/{answerability.json, manifest.json}.
Seeded and deterministic for the same data, model and code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from calibration import (  # noqa: E402
    MAX_FALSE_ABSTENTION,
    arguments,
    calibration_rows,
    threshold_for,
    write_model,
)


def collect(set_dir: Path, store: Path) -> list[dict[str, Any]]:
    """Per question: id, answerability, article group, features, label, and the hand-set rule's confidence."""
    from app import build_assistant
    from assistant import abstain
    from assistant.question import analyze
    from assistant.select import topical_words
    from assistant.settings import Settings

    assistant = build_assistant(Settings(store=store, answerability=False), progress=False)
    if assistant.store.is_empty():
        report = assistant.ingestor.ingest_paths([set_dir / "corpus"])
        print(f"{set_dir.name}: {report.summary().splitlines()[0]}", flush=True)
    assistant.retriever.invalidate()
    answerer = assistant.extractive
    tokenize = assistant.retriever.lexicon.tokens
    in_corpus = assistant.in_corpus()
    rows = []
    questions = [json.loads(line) for line in (set_dir / "questions.jsonl").open(encoding="utf-8")]
    for i, q in enumerate(questions):
        analysis = analyze(q["question"], assistant.windows)
        query = analysis.normalized
        passages = assistant.retriever.retrieve(query, k=assistant.answer_pool)
        window = analysis.window or assistant.retriever.window(query)
        ranked = answerer.rank(query, passages, query, assistant.retriever.idf, tokenize, window, analysis.answer_type)
        if not ranked:
            continue
        e = abstain.evidence(topical_words(query), ranked, tokenize, in_corpus)
        evidence = [e.strip() for e in q.get("evidence", []) if e.strip()]
        sources = set(q.get("sources", []))
        top = ranked[0]
        label = int(bool(q["answerable"]) and top.passage.file_name in sources
                    and any(top.text.strip() in e or e in top.text for e in evidence))
        rule = hand_set(e)
        group = (sorted(sources) or [passages[0].file_name])[0].rsplit("-", 1)[0]
        rows.append({"id": q["id"], "answerable": bool(q["answerable"]), "group": group, "x": e.features,
                     "y": label, "rule": rule, "kind": "native", "ruled_out": e.ruled_out})
        if q["answerable"]:
            others = [p for p in assistant.retriever.retrieve(query, k=assistant.answer_pool + 10)
                      if p.file_name not in sources][: assistant.answer_pool]
            ranked = answerer.rank(query, others, query, assistant.retriever.idf, tokenize, window, analysis.answer_type)
            if ranked:
                # the withheld paragraph's words no longer count as known to the collection
                own = set(tokenize((set_dir / "corpus" / sorted(sources)[0]).read_text(encoding="utf-8")))

                def known_without(t: str, own: set[str] = own) -> bool:
                    df = assistant.retriever.document_frequency(t)
                    return in_corpus(t) and (df == 0 or df - (t in own) > 0)

                e = abstain.evidence(topical_words(query), ranked, tokenize, known_without)
                rows.append({"id": q["id"] + "-removed", "answerable": False, "group": group, "x": e.features,
                             "y": 0, "rule": hand_set(e), "kind": "removed", "ruled_out": e.ruled_out})
        if i % 200 == 0:
            print(f"{set_dir.name}: {i}/{len(questions)} questions", flush=True)
    return rows


def hand_set(e: Any) -> float:
    """The confidence the hand-set rule compared with MIN_CONFIDENCE (0 when a term is unknown)."""
    from assistant import abstain

    return 0.0 if e.unknown else e.features[0] * (1 - abstain.MISSING_WORD_PENALTY * e.features[-1])


def summarize(name: str, rows: list[dict[str, Any]], p: np.ndarray, cut: float, rules: bool = True) -> dict[str, float]:
    """Abstention on unanswerable, false abstention on answerable, and answered-from-evidence share."""
    ans = np.array([r["answerable"] for r in rows])
    y = np.array([r["y"] for r in rows])
    answered = (p >= cut) & ~np.array([rules and r["ruled_out"] for r in rows])
    removed = np.array([r.get("kind") == "removed" for r in rows])
    out = {"abstention_on_unanswerable": round(float((~answered[~ans & ~removed]).mean()), 4),
           "abstention_evidence_removed": round(float((~answered[removed]).mean()), 4),
           "false_abstention": round(float((~answered[ans]).mean()), 4),
           "answered_from_evidence": round(float((answered[ans] & (y[ans] == 1)).mean()), 4),
           "threshold": round(cut, 4)}
    print(f"  {name:<14} " + "  ".join(f"{k} {v}" for k, v in out.items()), flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    from assistant.abstain import FEATURES, MIN_CONFIDENCE

    args = arguments(__doc__ or "", "answerability", argv)
    rows = calibration_rows(args, collect)

    groups = sorted({r["group"] for r in rows})
    gidx = {g: i for i, g in enumerate(groups)}
    X = np.array([r["x"] for r in rows], dtype=np.float64)
    y = np.array([r["y"] for r in rows], dtype=np.int64)
    g = np.array([gidx[r["group"]] for r in rows])
    ans = np.array([r["answerable"] for r in rows])
    oof = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=min(5, len(groups))).split(X, y, g):
        model = LogisticRegression(C=1.0, max_iter=1000, random_state=args.seed).fit(X[train], y[train])
        oof[test] = model.predict_proba(X[test])[:, 1]
    final = LogisticRegression(C=1.0, max_iter=1000, random_state=args.seed).fit(X, y)

    print(f"calibration: {len(rows)} questions ({int(ans.sum())} answerable, {int(y.sum())} answered from evidence "
          f"by the best sentence)")
    figures: dict[str, Any] = {"questions": len(rows), "answerable": int(ans.sum())}
    rule = np.array([r["rule"] for r in rows])
    ruled = np.array([r["ruled_out"] for r in rows])
    print(f"  ruled out by rule (unknown term, no value of the asked type, off topic, off period): {ruled[ans].mean():.4f} of "
          f"answerable, {ruled[~ans].mean():.4f} of unanswerable questions")
    figures["hand-set rule"] = summarize("hand-set rule", rows, rule, MIN_CONFIDENCE, rules=False)
    # the cut keeps the false abstention of model and rule together at 5 %
    n_ans, n_ruled = int(ans.sum()), int((ans & ruled).sum())
    cut = threshold_for(oof[ans & ~ruled], (MAX_FALSE_ABSTENTION * n_ans - n_ruled) / max(1, n_ans - n_ruled))
    figures["model"] = summarize("model", rows, oof, cut)

    write_model(args.out, "answerability.json", FEATURES, final, cut, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
