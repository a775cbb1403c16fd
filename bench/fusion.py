"""Retrieval ablation on a question set: dense alone, BM25 alone, and the fused hybrid ranking.

    .venv/bin/python bench/fusion.py [--questions ../shared/eval/questions.jsonl] [--corpus ../shared/corpus/seeds]

Prints hit@k and MRR@k (k = 5) on the answerable questions with `sources`, each ranking over the
same store and the same real MiniLM model, in one run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.offline import enforce_offline  # noqa: E402

enforce_offline()


def main() -> None:
    from app import build_assistant
    from assistant.settings import Settings
    from assistant.types import Filters

    p = argparse.ArgumentParser()
    p.add_argument("--questions", default=str(ROOT.parent / "shared/eval/questions.jsonl"))
    p.add_argument("--corpus", default=str(ROOT.parent / "shared/corpus/seeds"))
    p.add_argument("--k", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        a = build_assistant(Settings(store=Path(tmp) / "store"), progress=False)
        a.ingestor.ingest_paths([Path(args.corpus)])
        a.retriever.invalidate()
        r = a.retriever
        idx = r._current()
        rows = [json.loads(line) for line in Path(args.questions).read_text().splitlines() if line.strip()]
        rows = [q for q in rows if q.get("answerable", True) and q.get("sources")]
        totals = {"dense": [0.0, 0.0], "bm25": [0.0, 0.0], "fused": [0.0, 0.0]}
        for q in rows:
            question = " ".join([*q.get("history", []), q["question"]])
            qvec = a.embedder.embed([question])[0]
            dense = [h.metadata["file_name"] for h in a.store.query(qvec, args.k)]
            sparse_ids = [cid for cid, _ in r._bm25(idx, question, Filters(), args.k)]
            bm25 = [h.metadata["file_name"] for h in a.store.get_chunks(sparse_ids)]
            fused = [p.file_name for p in r.retrieve(question, k=args.k)]
            for name, ranking in (("dense", dense), ("bm25", bm25), ("fused", fused)):
                rank = next((i + 1 for i, f in enumerate(ranking[: args.k]) if f in q["sources"]), None)
                totals[name][0] += rank is not None
                totals[name][1] += 1.0 / rank if rank else 0.0
        n = len(rows)
        print(f"{n} questions, k={args.k}")
        for name, (hits, rr) in totals.items():
            print(f"{name:6s} hit@{args.k} {hits / n:.3f}  MRR@{args.k} {rr / n:.3f}")


if __name__ == "__main__":
    main()
