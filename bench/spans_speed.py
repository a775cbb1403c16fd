"""Cost of typed spans: time to tag 5 and 24 news sentences with `assistant.spans.SpanExtractor`
(p50/p95 after warm-up, the per-sentence cache off) plus the short-answer choice, and the RSS
added by importing spaCy and loading the entity recognizer.

    .venv/bin/python bench/spans_speed.py [--repeat 50]

The sentences are samples written for this benchmark (fictional, typical news shapes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Samples written for this benchmark: fictional news sentences of typical length and shape.
SAMPLE_SENTENCES = [
    "The regional council approved a budget of $4.2 billion on Tuesday, up 3.5% from last year.",
    "Mayor Elena Ruiz said the new tram line would carry 40,000 passengers a day once it opens in 2027.",
    "Talks between the two governments were hosted by Norway and Qatar in Oslo last week.",
    "A spokesman for Harlow Motors said the company would recall 120,000 vehicles in Europe.",
    "Firefighters rescued 14 people from the flooded village of Brenton late on Sunday night.",
    "The central bank kept its main interest rate at 4.25 per cent for the third month in a row.",
    "Shares in the retailer fell 12% after it warned that profits would halve this year.",
    "The exhibition, which opened on 3 March, has drawn more than 85,000 visitors so far.",
    "Officials in Nairobi said the vaccination campaign had reached 2 million children.",
    "The United Nations and the African Union called for an immediate ceasefire.",
    "Researchers at the University of Lund published the findings in the journal Nature on Friday.",
    "The striker, 24, signed a five-year contract worth €60m with the club on Monday.",
    "About 300 workers walked out at the plant in Gdansk over a pay dispute.",
    "The storm knocked out power to 250,000 homes across three states, the utility said.",
    "Prime Minister Jonas Berg announced his resignation at a press conference in Stockholm.",
    "The airline will cut 1,200 jobs and close two maintenance bases by the end of 2026.",
    "Police arrested 17 people after clashes outside the stadium in Marseille.",
    "The bill passed the Senate by 62 votes to 38 late on Wednesday evening.",
    "Sales of electric cars rose to 18% of the market in the first quarter, the association said.",
    "The company paid a fine of £3.5m to the regulator, which had investigated it since 2021.",
    "Rescue teams searched for 9 missing climbers on the slopes of Mount Elbrus.",
    "The festival in Edinburgh attracted 2.6 million visitors over four weeks in August.",
    "A court in Lisbon sentenced the former minister to six years in prison for fraud.",
    "The World Health Organization said 42 countries had reported cases by the end of May.",
]
QUESTIONS = [
    ("money", "How big was the budget the council approved?"),
    ("number", "How many passengers will the tram line carry?"),
    ("name", "Who hosted the talks?"),
    ("number", "How many vehicles will be recalled?"),
    ("number", "How many people were rescued?"),
]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()

    import numpy  # noqa: F401  (already loaded by the app before spaCy: not counted)

    from assistant import places, spans

    places.is_city("Oslo")  # the gazetteer is loaded by the answerer anyway: not counted
    base = rss_mb()
    t0 = time.perf_counter()
    spans.import_spacy()
    t1 = time.perf_counter()
    after_import = rss_mb()
    extractor = spans.SpanExtractor(cache_size=0)
    t2 = time.perf_counter()
    after_load = rss_mb()
    print(f"import spacy: {t1 - t0:.2f} s, +{after_import - base:.0f} MB RSS; load + sha256 check: "
          f"{t2 - t1:.2f} s, +{after_load - after_import:.0f} MB RSS; torch loaded: {'torch' in sys.modules}")

    for n in (5, 24):
        batch = SAMPLE_SENTENCES[:n]
        for _ in range(5):
            extractor.spans(batch)
        times = []
        for _ in range(args.repeat):
            s = time.perf_counter()
            extractor.spans(batch)
            times.append((time.perf_counter() - s) * 1000)
        print(f"tag {n:2d} sentences: p50 {statistics.median(times):6.1f} ms  p95 {pct(times, 0.95):6.1f} ms  "
              f"({statistics.median(times) / n:.2f} ms/sentence)")

    tagged = extractor.spans(SAMPLE_SENTENCES)
    times = []
    for _ in range(args.repeat):
        s = time.perf_counter()
        for (atype, q) in QUESTIONS:
            for sent, sp in zip(SAMPLE_SENTENCES, tagged, strict=True):
                spans.short_answer(atype, q, sent, sp)
        times.append((time.perf_counter() - s) * 1000 / len(QUESTIONS))
    print(f"short_answer over 24 tagged sentences: p50 {statistics.median(times):.1f} ms  "
          f"p95 {pct(times, 0.95):.1f} ms per question")
    print(f"RSS after tagging: +{rss_mb() - base:.0f} MB over the process before spaCy")


if __name__ == "__main__":
    main()
