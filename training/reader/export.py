"""Export a reader checkpoint to int8 ONNX, choose its thresholds on the calibration split, report the test split.

    PYTHONPATH=. .venv/bin/python training/reader/export.py --checkpoint data/reader-train/checkpoint.pt

Writes `models/reader/reader-int8.onnx` and `models/reader/manifest.json` (sha256, thresholds, figures) and
prints the validation figures, with the untrained baseline (the shipped MiniLM's question–sentence cosine
similarity) beside them. Runs `train.py` at its end; can be run alone on any checkpoint.

Thresholds (calibration split only: SQuAD calibration articles + CLAPNQ calibration records):
* answer: the highest value that keeps false abstention on answerable questions ≤ 5 % — per question the
  best `p_answer` over its passage's sentences; a question is abstained on when that is below the threshold.
* span: the lowest `span_p` above which the top sentence's span matches a reference answer (token F1 ≥ 0.5)
  at least 85 % of the time on answerable SQuAD questions; below it the answer leads with no short answer.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import string
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from assistant.reader import MANIFEST, OUTPUTS, Reader, ReaderScore  # noqa: E402
from index.embeddings import MINILM_NAME, MINILM_SHA256, sha256_of  # noqa: E402
from training.reader import data  # noqa: E402

log = logging.getLogger("export")
MODEL_FILE = "reader-int8.onnx"
MAX_FALSE_ABSTENTION = 0.05
SPAN_PRECISION = 0.85


def export_onnx(checkpoint: Path, out: Path, tmp: Path) -> dict[str, Any]:
    """fp32 ONNX of the checkpoint, then onnxruntime dynamic int8 quantization (per-channel) into `out`."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from assistant.reader import encode_rows, load_tokenizer
    from training.reader.train import MAX_LEN, MAX_QUESTION, build_model

    model = build_model()
    state = torch.load(checkpoint, weights_only=False)
    model.load_state_dict(state["model"])
    model.eval()
    enc = encode_rows(load_tokenizer(), ["Who won?"], ["The home team won the final."], ["It rained."],
                      MAX_LEN, MAX_QUESTION)
    sample = tuple(torch.from_numpy(v) for v in enc.inputs().values())
    fp32 = tmp / "reader-fp32.onnx"
    axes = {0: "batch", 1: "seq"}
    names = list(enc.inputs())
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, sample, str(fp32), input_names=names, output_names=list(OUTPUTS),
                          dynamic_axes={**{k: axes for k in names}, "answer_logit": {0: "batch"},
                                        "start_logits": axes, "end_logits": axes, "judge_logits": {0: "batch"}},
                          opset_version=17, dynamo=False)
    logging.disable(logging.WARNING)
    try:
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        logging.disable(logging.NOTSET)
    return {"step": int(state["step"]), "total_steps": int(state["total"]), "fp32": fp32}


def write_manifest(model_dir: Path, extra: dict[str, Any]) -> None:
    from training.reader.train import MAX_LEN, MAX_QUESTION

    path = model_dir / MODEL_FILE
    manifest = {"file": MODEL_FILE, "sha256": sha256_of(path), "bytes": path.stat().st_size,
                "base_model": {"name": MINILM_NAME, "safetensors_sha256": MINILM_SHA256},
                "max_len": MAX_LEN, "max_question_tokens": MAX_QUESTION,
                "thresholds": {"answer": 0.5, "span": 0.0}, **extra}
    (model_dir / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


# --- figures -----------------------------------------------------------------------------------------

def _norm(s: str) -> list[str]:
    s = "".join(ch for ch in s.lower() if ch not in set(string.punctuation))
    return re.sub(r"\b(a|an|the)\b", " ", s).split()


def span_f1(pred: str, refs: Sequence[str]) -> tuple[float, float]:
    """(exact match, token F1) of `pred` against the best reference, SQuAD's normalization."""
    best_em, best_f1 = 0.0, 0.0
    p = _norm(pred)
    for ref in refs:
        r = _norm(ref)
        best_em = max(best_em, float(p == r))
        common = sum((Counter(p) & Counter(r)).values())
        if common:
            prec, rec = common / len(p), common / len(r)
            best_f1 = max(best_f1, 2 * prec * rec / (prec + rec))
    return best_em, best_f1


def auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    if not pos or not neg:
        return float("nan")
    allv = np.array(list(pos) + list(neg))
    order = allv.argsort(kind="mergesort")
    ranks = np.empty(len(allv))
    sorted_v = allv[order]
    i = 0
    while i < len(sorted_v):  # average ranks of ties
        j = i
        while j + 1 < len(sorted_v) and sorted_v[j + 1] == sorted_v[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n_pos = len(pos)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * len(neg)))


Scorer = Callable[[str, Sequence[tuple[str, str]]], list[float]]


def group_scores(groups: list[data.QuestionGroup], scorer: Scorer) -> list[list[float]]:
    return [scorer(g.question, g.items) for g in groups]


def answer_figures(groups: list[data.QuestionGroup], scores: list[list[float]], threshold: float | None
                   ) -> dict[str, Any]:
    """accuracy@1, AUC answerable-vs-unanswerable and (given a threshold) abstention rates, per source."""
    out: dict[str, Any] = {}
    for source in ("squad", "clapnq", "all"):
        idx = [i for i, g in enumerate(groups) if source in ("all", g.source)]
        ans = [i for i in idx if groups[i].answerable and groups[i].gold]
        top1 = [int(np.argmax(scores[i])) in groups[i].gold for i in ans]
        best_a = [max(scores[i]) for i in idx if groups[i].answerable]
        best_u = [max(scores[i]) for i in idx if not groups[i].answerable]
        fig: dict[str, Any] = {"answerable": len(best_a), "unanswerable": len(best_u),
                               "accuracy_at_1": round(float(np.mean(top1)), 4) if top1 else None,
                               "auc": round(auc(best_a, best_u), 4)}
        if threshold is not None:
            fig["false_abstention"] = round(float(np.mean([b < threshold for b in best_a])), 4)
            fig["abstention_on_unanswerable"] = round(float(np.mean([b < threshold for b in best_u])), 4)
        out[source] = fig
    return out


def choose_answer_threshold(groups: list[data.QuestionGroup], scores: list[list[float]]) -> float:
    best = sorted(max(s) for g, s in zip(groups, scores, strict=True) if g.answerable)
    k = int(np.floor(MAX_FALSE_ABSTENTION * len(best)))
    return float(best[k])  # fewer than k answerable questions fall strictly below it


def span_rows(groups: list[data.QuestionGroup], results: list[list[ReaderScore]]
              ) -> list[tuple[float, float, float, float, float]]:
    """Per answerable SQuAD question: (span_p, EM, F1) of the top sentence's span, then EM, F1 of the gold
    sentence's span (reading given the right sentence)."""
    rows = []
    for g, res in zip(groups, results, strict=True):
        if g.source != "squad" or not g.answerable:
            continue
        top = int(np.argmax([r.p_answer for r in res]))
        gold = min(g.gold)
        figs = []
        for i in (top, gold):
            r = res[i]
            text = g.items[i][1][r.span[0] : r.span[1]] if r.span else ""
            figs.append((r.span_p, *span_f1(text, g.answers)))
        rows.append((figs[0][0], figs[0][1], figs[0][2], figs[1][1], figs[1][2]))
    return rows


def choose_span_threshold(rows: list[tuple[float, float, float, float, float]]) -> float:
    ordered = sorted(rows, key=lambda r: -r[0])
    hits = 0
    best = 1.0
    for n, r in enumerate(ordered, 1):
        hits += r[2] >= 0.5
        if n >= 20 and hits / n >= SPAN_PRECISION:
            best = r[0]
    return float(best)


def judge_figures(reader: Reader, snli_limit: int = 2000) -> dict[str, Any]:
    """Test accuracy per source (e-SNLI: a fixed random sample of `snli_limit`), with the majority-class baseline."""
    sets = data.judge_examples("test", snli_limit=snli_limit)
    out: dict[str, Any] = {}
    for name, rows in sets.items():
        by_claim: dict[str, list[data.JudgeExample]] = {}
        for r in rows:
            by_claim.setdefault(r.claim, []).append(r)
        preds: list[tuple[float, float, float]] = []
        labels: list[int] = []
        for claim, rs in by_claim.items():
            preds += reader.judge(claim, [r.premise for r in rs])
            labels += [r.label for r in rs]
        p = np.array(preds)
        y = np.array(labels)
        if name in ("boolq", "fever"):  # two-way: yes/supported vs no/refuted
            acc = float(np.mean(np.argmax(p[:, :2], axis=1) == y))
            majority = float(max(np.mean(y == 0), np.mean(y == 1)))
        else:
            acc = float(np.mean(np.argmax(p, axis=1) == y))
            majority = float(max(np.mean(y == k) for k in range(3)))
        out[name] = {"n": len(y), "accuracy": round(acc, 4), "majority_baseline": round(majority, 4)}
    return out


def cosine_scorer() -> Scorer:
    """The untrained baseline: the shipped MiniLM's cosine between the question and each sentence."""
    from index.embeddings import MiniLMEmbedder

    emb = MiniLMEmbedder()

    def score(question: str, items: Sequence[tuple[str, str]]) -> list[float]:
        vecs = emb.embed([question, *[s for _, s in items]])
        return [float(v) for v in vecs[1:] @ vecs[0]]

    return score


def baseline_figures(groups: list[data.QuestionGroup], cache: Path) -> dict[str, Any]:
    if cache.is_file():
        return dict(json.loads(cache.read_text()))
    figs = answer_figures(groups, group_scores(groups, cosine_scorer()), None)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(figs, indent=1))
    return figs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, default=ROOT / "data" / "reader-train" / "checkpoint.pt")
    ap.add_argument("--model-dir", type=Path, default=ROOT / "models" / "reader")
    ap.add_argument("--train-record", type=Path, default=None)
    ap.add_argument("--baseline-cache", type=Path, default=ROOT / "data" / "reader-train" / "baseline.json",
                    help="the baseline's figures are computed once and kept here (they do not depend on the reader)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the untrained cosine baseline")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="thresholds only: skip the test-split figures")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    t0 = time.time()
    args.model_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        staged = tmp / MODEL_FILE
        info = export_onnx(args.checkpoint, staged, tmp)
        staged.replace(args.model_dir / MODEL_FILE)
    training = json.loads(args.train_record.read_text()) if args.train_record and args.train_record.is_file() else {}
    write_manifest(args.model_dir, {"checkpoint_step": info["step"], "total_steps": info["total_steps"],
                                    "training": training})
    log.info("exported step %d/%d: %s (%.1f MB)", info["step"], info["total_steps"], args.model_dir / MODEL_FILE,
             (args.model_dir / MODEL_FILE).stat().st_size / 1e6)
    reader = Reader(args.model_dir, threads=args.threads)

    calib = data.question_groups("calibration")
    test = data.question_groups("test")
    c_results = [reader.score(g.question, g.items) for g in calib]
    c_scores = [[r.p_answer for r in res] for res in c_results]
    threshold = choose_answer_threshold(calib, c_scores)
    c_spans = span_rows(calib, c_results)
    span_threshold = choose_span_threshold(c_spans)
    if args.quick:
        figures_q = {"calibration": answer_figures(calib, c_scores, threshold)}
        _finish(args.model_dir, info, training, figures_q, threshold, span_threshold)
        return 0
    t_results = [reader.score(g.question, g.items) for g in test]
    t_scores = [[r.p_answer for r in res] for res in t_results]
    t_spans = span_rows(test, t_results)
    covered = [r for r in t_spans if r[0] >= span_threshold]
    figures: dict[str, Any] = {
        "calibration": answer_figures(calib, c_scores, threshold),
        "test": answer_figures(test, t_scores, threshold),
        "test_spans_squad": {
            "questions": len(t_spans),
            "top_sentence_em": round(float(np.mean([r[1] for r in t_spans])), 4),
            "top_sentence_f1": round(float(np.mean([r[2] for r in t_spans])), 4),
            "gold_sentence_em": round(float(np.mean([r[3] for r in t_spans])), 4),
            "gold_sentence_f1": round(float(np.mean([r[4] for r in t_spans])), 4),
            "above_span_threshold": round(len(covered) / max(1, len(t_spans)), 4),
            "f1_ge_0.5_above_threshold": round(float(np.mean([r[2] >= 0.5 for r in covered])), 4) if covered else None,
        },
        "test_judge": judge_figures(reader),
    }
    if not args.no_baseline:
        figures["baseline_cosine_test"] = baseline_figures(test, args.baseline_cache)
    _finish(args.model_dir, info, training, figures, threshold, span_threshold)
    log.info("export + evaluation took %.1f min", (time.time() - t0) / 60)
    return 0


def _finish(model_dir: Path, info: dict[str, Any], training: dict[str, Any], figures: dict[str, Any],
            threshold: float, span_threshold: float) -> None:
    write_manifest(model_dir, {"checkpoint_step": info["step"], "total_steps": info["total_steps"],
                               "training": training, "figures": figures})
    manifest = json.loads((model_dir / MANIFEST).read_text())
    manifest["thresholds"] = {"answer": round(threshold, 6), "span": round(span_threshold, 6)}
    (model_dir / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({"thresholds": manifest["thresholds"], "sha256": manifest["sha256"],
                      "bytes": manifest["bytes"], **figures}, indent=1))


if __name__ == "__main__":
    raise SystemExit(main())
