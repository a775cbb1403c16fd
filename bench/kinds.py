"""Answer latency per question kind on the seed articles (issue 13: summaries and comparisons
p95 ≤ 500 ms, the rest as the reader issue's 150/300 ms): builds the assistant over a corpus in a
temporary store, warms it up, then asks each question once (first ask of that question: the
sentence-embedding cache holds only what earlier questions brought) and once more (second pass,
cache warm), and prints p50/p95 per kind for both passes.

    .venv/bin/python bench/kinds.py [--corpus ../shared/corpus/seeds] [--out bench/results/kinds.json]

The questions are written for this benchmark (about the seed articles' topics, not taken from any
question set).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

QUESTIONS: dict[str, list[str]] = {
    "factoid": ["Who mediated the February swap?", "How many prisoners were freed in May 2025?",
                "Where were the August 2025 prisoners handed over?", "When did the last exchange before 2026 happen?",
                "Which region did Ukrainian forces enter in 2024?", "how many civilians were in the feb swap",
                "Who is Ukraine's lead negotiator?", "What did Medinsky post on Telegram?"],
    "yesno": ["Did the UAE help with the August swap?", "Were the May 2025 prisoners handed over in Poland?",
              "Did the February 2026 swap involve 500 people?", "Was a journalist released in August 2025?",
              "Has Kyiv agreed to pull back its forces?", "Did the talks in Abu Dhabi last two days?",
              "Were civilians freed in May 2025?", "Is Belarus an ally of Russia?"],
    "definition": ["Who is Steve Witkoff?", "Who is Vladimir Medinsky?", "Who is Dmytro Lubinets?",
                   "Who is Sergei Lavrov?", "whos kushner", "Who is Kyrylo Budanov?", "Who is Georgiy Tykhyi?",
                   "Who is Rustem Umerov?"],
    "summary": ["Summarize the August exchange", "Summarize the May 2025 prisoner swap",
                "Give me a rundown of the February 2026 exchange", "What happened in the August 2025 swap?",
                "sum up the abu dhabi talks", "Brief me on the May 2025 exchange",
                "Summarise the February swap", "Tell me about the August 2025 prisoner exchange"],
    "comparison": ["How did the May 2025 exchange differ from the February 2026 one?",
                   "Compare the August 2025 and February 2026 swaps",
                   "Which was bigger, the May 2025 or the August 2025 swap?",
                   "Compare where the May 2025 and February 2026 exchanges took place",
                   "May 2025 vs February 2026 swap: how many people?",
                   "How did the mediators of the August 2025 and February 2026 swaps differ?",
                   "Compare the May and August exchanges", "Was the February exchange bigger than the August one?"],
    "list": ["Which countries mediated the February swap?", "Which US officials are leading the talks?",
             "Where had the May 2025 prisoners been captured?", "List the mediators of the February 2026 swap",
             "Which countries border Belarus according to the articles?", "Which countries mediated the prisoner swaps?",
             "What issues are holding up a peace deal?", "Which Russian regions are mentioned?"],
}


def _pcts(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1), "n": len(ordered)}


def main(argv: list[str] | None = None) -> int:
    from app import build_assistant
    from assistant.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared/corpus/seeds")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        assistant = build_assistant(Settings(store=Path(tmp) / "store"), progress=False)
        assistant.ingestor.ingest_paths([args.corpus])
        assistant.retriever.invalidate()
        assistant.ask("What happened to the prisoners?")  # warm-up: models loaded, indexes built
        results: dict[str, dict[str, dict[str, float]]] = {}
        for kind, questions in QUESTIONS.items():
            passes = []
            for _ in range(2):
                ms = []
                for q in questions:
                    t = time.perf_counter()
                    assistant.ask(q)
                    ms.append(1000 * (time.perf_counter() - t))
                passes.append(_pcts(ms))
            results[kind] = {"first_ask": passes[0], "second_ask": passes[1]}
            print(f"{kind:11s} first ask p50/p95 {passes[0]['p50_ms']:7.1f}/{passes[0]['p95_ms']:7.1f} ms"
                  f" | second ask {passes[1]['p50_ms']:7.1f}/{passes[1]['p95_ms']:7.1f} ms (n={passes[0]['n']})")
    report = {"corpus": str(args.corpus), "load_avg_1m": os.getloadavg()[0], "kinds": results}
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
