"""Latency of `Reader.score` for 24 candidate sentences (the answer path's usual batch), after warm-up.

    .venv/bin/python bench/reader_speed.py [--repeats 50] [--threads 2]

Prints p50/p95 in milliseconds over repeated calls with fixed, made-up sentences of news length.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.reader import DEFAULT_MODEL_DIR, Reader

QUESTION = "Which company said it would recall two million cars after a brake fault was found?"
# Sample sentences written for this benchmark (not from any corpus).
SENTENCES = [
    "Vexa Motors said on Tuesday it would recall about two million cars in Europe and Asia.",
    "The company announced the recall on Monday after regulators asked for a review of its brakes.",
    "Shares of the carmaker fell 4.2 percent in early trading in Frankfurt, their lowest since March.",
    "A spokesperson said no injuries had been reported and that owners would be contacted by letter.",
    "Analysts at a local bank estimated the cost of the repairs at between 300 and 450 million euros.",
    "The fault affects a valve in the braking system of models built between 2019 and 2022.",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--items", type=int, default=24)
    args = ap.parse_args()
    reader = Reader(DEFAULT_MODEL_DIR, threads=args.threads)
    items = [(SENTENCES[(i - 1) % len(SENTENCES)] if i else "", SENTENCES[i % len(SENTENCES)])
             for i in range(args.items)]
    for _ in range(3):
        reader.score(QUESTION, items)
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        reader.score(QUESTION, items)
        times.append((time.perf_counter() - t) * 1000)
    print(f"Reader.score, {args.items} items, {args.threads} threads, {args.repeats} calls: "
          f"p50 {np.percentile(times, 50):.1f} ms, p95 {np.percentile(times, 95):.1f} ms, "
          f"min {min(times):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
