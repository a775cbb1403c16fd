"""Fit the answer combiner (assistant/combine.py) and its abstention threshold on CALIBRATION data.

    .venv/bin/python training/combiner/fit.py [--work data/combiner-fit] [--limit N] [--seed 13]

1. Converts the calibration splits of training/splits.json (SQuAD 2.0 calibration articles, CLAPNQ
   calibration records) with `app.py convert`, and indexes each into its own temporary store.
2. Runs every question through the real read path up to the reader (retrieval, candidates, first-stage
   scoring, the learned reader on the best READER_POOL sentences) and records each candidate's
   features (assistant.combine.FEATURES) with its label: the sentence is (part of) the evidence.
3. Fits a logistic regression; out-of-fold probabilities (5 folds grouped by article, so no article is
   scored by weights fitted on it) choose the abstention threshold: the highest cut on the best
   candidate's probability that keeps false abstention on answerable questions ≤ 5 %.
4. Prints accuracy@1 of the best candidate and the abstention figures for the first stage alone, the
   reader alone and the combination, and writes models/combiner/{combiner.json, manifest.json}.
Seeded and deterministic for the same data, model and code. The reader never saw these articles.
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

from calibration import arguments, calibration_rows, threshold_for, write_model  # noqa: E402


def collect(set_dir: Path, store: Path) -> list[dict[str, Any]]:
    """Per question: its id, answerability, article group and every pool candidate's features/label."""
    from app import build_assistant
    from assistant.answer import READER_POOL
    from assistant.candidates import candidates
    from assistant.combine import features
    from assistant.settings import Settings

    assistant = build_assistant(Settings(store=store, reader="learned", combiner=False), progress=False)
    if assistant.store.is_empty():
        report = assistant.ingestor.ingest_paths([set_dir / "corpus"])
        print(f"{set_dir.name}: {report.summary().splitlines()[0]}", flush=True)
    assistant.retriever.invalidate()
    answerer = assistant.extractive
    rows = []
    questions = [json.loads(line) for line in (set_dir / "questions.jsonl").open(encoding="utf-8")]
    for i, q in enumerate(questions):
        passages = assistant.retriever.retrieve(q["question"], k=assistant.answer_pool)
        tokenize = assistant.retriever.lexicon.tokens
        sents = candidates(passages, tokenize)
        if not sents:
            rows.append({"id": q["id"], "answerable": q["answerable"], "group": "", "x": [], "y": []})
            continue
        ranked = answerer.scorer.rank(q["question"], None, sents, assistant.retriever.idf, tokenize)
        pool = answerer.read(q["question"], ranked[:READER_POOL], None)
        evidence = [e.strip() for e in q.get("evidence", []) if e.strip()]
        sources = set(q.get("sources", []))
        labels = [int(any(c.passage.file_name in sources and (c.text.strip() in e or e in c.text) for e in evidence))
                  for c in pool]
        # folds group by article ("squad2-Normans-012.txt" → "squad2-Normans"); an unanswerable
        # question has no source, so the article it retrieved first stands in
        group = (sorted(sources) or [passages[0].file_name])[0].rsplit("-", 1)[0]
        rows.append({"id": q["id"], "answerable": q["answerable"], "group": group,
                     "x": [features(c) for c in pool], "y": labels, "first": [c.first for c in pool], "p_answer": [c.p_answer for c in pool]})
        if i % 100 == 0:
            print(f"{set_dir.name}: {i}/{len(questions)} questions", flush=True)
    return rows


def summarize(name: str, rows: list[dict[str, Any]], scores: list[np.ndarray], cut: float) -> dict[str, float]:
    """accuracy@1 (the best-scored candidate is evidence, over answerable questions whose evidence was
    retrieved), false abstention (answerable) and abstention (unanswerable) at `cut`."""
    hits, reach, false_abs, n_ans, abst, n_un = 0, 0, 0, 0, 0, 0
    for r, s in zip(rows, scores, strict=True):
        best = float(s.max()) if len(s) else 0.0
        if r["answerable"]:
            n_ans += 1
            false_abs += best < cut
            if any(r["y"]):
                reach += 1
                hits += r["y"][int(np.argmax(s))]
        else:
            n_un += 1
            abst += best < cut
    out = {"accuracy_at_1": round(hits / max(1, reach), 4), "evidence_retrieved": reach,
           "false_abstention": round(false_abs / max(1, n_ans), 4),
           "abstention_on_unanswerable": round(abst / max(1, n_un), 4), "threshold": round(cut, 4)}
    print(f"  {name:<12} " + "  ".join(f"{k} {v}" for k, v in out.items()), flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    from assistant.combine import FEATURES

    args = arguments(__doc__ or "", "combiner", argv)
    rows = calibration_rows(args, collect)

    groups = sorted({r["group"] for r in rows if r["x"]})
    gidx = {g: i for i, g in enumerate(groups)}
    X = np.array([x for r in rows for x in r["x"]], dtype=np.float64)
    y = np.array([v for r in rows for v in r["y"]], dtype=np.int64)
    g = np.array([gidx[r["group"]] for r in rows for _ in r["x"]])
    oof = np.zeros(len(y))
    folds = GroupKFold(n_splits=min(5, len(groups)))
    for train, test in folds.split(X, y, g):
        model = LogisticRegression(C=1.0, max_iter=1000, random_state=args.seed).fit(X[train], y[train])
        oof[test] = model.predict_proba(X[test])[:, 1]
    final = LogisticRegression(C=1.0, max_iter=1000, random_state=args.seed).fit(X, y)

    def per_question(values: np.ndarray) -> list[np.ndarray]:
        out, pos = [], 0
        for r in rows:
            out.append(values[pos: pos + len(r["x"])])
            pos += len(r["x"])
        return out

    combined = per_question(oof)
    reader = per_question(1 / (1 + np.exp(-X[:, FEATURES.index("reader_logit")])))
    first = [np.array(r.get("first", [])) for r in rows]
    def answerable_best(scores: list[np.ndarray]) -> np.ndarray:
        return np.array([s.max() if len(s) else 0.0 for r, s in zip(rows, scores, strict=True) if r["answerable"]])

    figures: dict[str, Any] = {"questions": len(rows), "candidates": len(y), "positives": int(y.sum())}
    print(f"calibration: {len(rows)} questions, {len(y)} candidates, {int(y.sum())} evidence sentences")
    for name, scores in (("first-stage", first), ("reader", reader), ("combined", combined)):
        figures[name] = summarize(name, rows, scores, threshold_for(answerable_best(scores)))
    cut = figures["combined"]["threshold"]

    write_model(args.out, "combiner.json", FEATURES, final, cut, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
