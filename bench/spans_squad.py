"""Short answers from typed spans on held-out SQuAD 2.0 questions, given the sentence that holds the
gold answer: how often a short answer is given (coverage) and how often the given one contains the
gold answer (precision, "short answer right" as the evaluation scores it), per answer type, beside
the capitalised-run guesser `assistant.cues.lead` it replaces.

    .venv/bin/python bench/spans_squad.py [--split calibration|test] [--oracle-hint] [--show N]

Reads ../shared/data/squad2 at run time; the split's articles come from training/splits.json
(Wikipedia, not news: a check of the span logic, not of the whole reader).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.cues import answer_type, known_names, lead  # noqa: E402
from assistant.spans import SpanExtractor, short_answer  # noqa: E402
from index.chunking import sentence_spans  # noqa: E402


def examples(split: str) -> list[tuple[str, str, str, list[str], tuple[int, int]]]:
    """(question, answer type, gold sentence, gold answers, first answer's offsets in the sentence) for
    answerable questions of the split whose answer lies inside one sentence and whose type is not
    "other"."""
    splits = json.loads((ROOT / "training" / "splits.json").read_text(encoding="utf-8"))["squad2"]
    titles = set(splits["calibration_articles" if split == "calibration" else "test_articles"])
    out = []
    for name in splits["files"]:
        with gzip.open(ROOT.parent / "shared" / "data" / name, "rt", encoding="utf-8") as f:
            data = json.load(f)
        for article in data["data"]:
            if article["title"] not in titles:
                continue
            for para in article["paragraphs"]:
                ctx = para["context"]
                sents = sentence_spans(ctx)
                for qa in para["qas"]:
                    if qa.get("is_impossible") or not qa["answers"]:
                        continue
                    atype = answer_type(qa["question"])
                    if atype == "other":
                        continue
                    a0 = qa["answers"][0]
                    start, end = a0["answer_start"], a0["answer_start"] + len(a0["text"])
                    sent = next((s for s in sents if s.start <= start and end <= s.end), None)
                    if sent is None:
                        continue
                    out.append((qa["question"], atype, ctx[sent.start : sent.end],
                                sorted({a["text"] for a in qa["answers"]}), (start - sent.start, end - sent.start)))
    return out


def right(pred: str | None, golds: list[str]) -> bool:
    return pred is not None and any(g.lower().strip(" .") in pred.lower() for g in golds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=["calibration", "test"], default="calibration")
    ap.add_argument("--show", type=int, default=0, help="print this many wrong short answers")
    ap.add_argument("--oracle-hint", action="store_true",
                    help="pass the gold answer's offsets as `hint` (a perfect span reader): measures the typing")
    args = ap.parse_args()
    exs = examples(args.split)
    extractor = SpanExtractor()
    tagged = extractor.spans([e[2] for e in exs])
    names = known_names(e[2] for e in exs)
    stats: dict[str, Counter[str]] = defaultdict(Counter)
    shown = 0
    for (q, atype, sent, golds, gold_span), sp in zip(exs, tagged, strict=True):
        got = short_answer(atype, q, sent, sp, hint=gold_span if args.oracle_hint else None)
        old = lead(sent, q, atype, names)[0] or None
        for key in (atype, "all"):
            c = stats[key]
            c["n"] += 1
            c["given"] += got is not None
            c["right"] += right(got.text if got else None, golds)
            c["old_given"] += old is not None
            c["old_right"] += right(old, golds)
        if got is not None and not right(got.text, golds) and shown < args.show:
            shown += 1
            print(f"  [{atype}] {q}\n     gold {golds} got {got.text!r} ({got.label})\n     {sent}")
    hint = ", gold span as hint" if args.oracle_hint else ""
    print(f"SQuAD 2.0 {args.split} articles, gold sentence given{hint}; typed spans vs capitalised runs (cues.lead)")
    print(f"{'type':8} {'n':>4} | {'coverage':>8} {'precision':>9} {'right/n':>7} | "
          f"{'old cov':>7} {'old prec':>8} {'old r/n':>7}")
    for key in sorted(stats, key=lambda k: (k == "all", k)):
        c = stats[key]
        n = c["n"]
        print(f"{key:8} {n:4d} | {c['given'] / n:8.2f} {c['right'] / max(1, c['given']):9.2f} "
              f"{c['right'] / n:7.2f} | {c['old_given'] / n:7.2f} {c['old_right'] / max(1, c['old_given']):8.2f} "
              f"{c['old_right'] / n:7.2f}")


if __name__ == "__main__":
    main()
