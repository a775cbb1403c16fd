"""Scale benchmark: ours vs the plain llama-index pipeline at ~1k / 10k / 100k chunks.

Per size, each step runs in its own subprocess so peak RSS figures do not mix:
* build: write the synthetic corpus (`bench/synth.py`), chunk it with the app's `Chunker`, ingest it
  with our `Ingestor` into `<work>/<size>/ours` (collection `newsdesk`, what `app.py` opens) and with
  `assistant.baseline.BaselinePipeline` (`VectorStoreIndex` + `ChromaVectorStore`, llama-index's
  `SentenceSplitter`) into `<work>/<size>/theirs`;
* query-ours: `app.build_assistant(Settings(store=...))` with the real MiniLM model; latency of
  `assistant.retriever.retrieve` and of a full extractive `assistant.ask`, p50/p95 after one warm-up
  query (whose time, which includes loading BM25, is reported as `first_query_ms`); then the same
  questions again with every vector remembered (`*_no_model_*`): the corpus-dependent part, and the
  figure that stays meaningful when other processes crowd the 2 cores (the model's own latency is
  then dominated by CPU contention);
* query-theirs: `VectorStoreIndex.from_vector_store(...)`, `as_retriever(similarity_top_k=k).retrieve`,
  also twice (second pass `*_no_model_*`);
* cold start: `python app.py serve --store <ours> --port FREE` until `/readyz` answers 200.

Vectors: embedding 100k chunks with MiniLM on 2 shared cores takes most of an hour, so the stores are
filled by `VectorBank`: the real MiniLM vector for the first `--real-vectors` chunk texts (computed
once, cached in `<work>/real-vectors.npz`), and for any other text a deterministic perturbed copy of
one of them (normalized, noise sigma `NOISE`). Ingest figures are therefore "pipeline without the
model" (chunk + Chroma writes + registry); the raw model throughput is measured on real texts of the
same corpus, and the end-to-end estimate is 1 / (1/pipeline + 1/model). Query embeddings are real.
Latency and memory are what these figures are for, not answer quality.

    .venv/bin/python bench/scale.py --sizes 1k,10k [--queries 40] [--work data/bench]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from index.offline import enforce_offline  # noqa: E402

enforce_offline()

import synth  # noqa: E402

SEED = 7
NOISE = 0.35
RESULTS = ROOT / "bench" / "results"


def _size(label: str) -> int:
    label = label.strip().lower()
    return synth.SIZES.get(label) or int(label.replace("k", "000"))


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def _du_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def _pct(xs: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(xs), q)), 2) if xs else float("nan")


class VectorBank:
    """Real MiniLM vectors for a pool of texts; deterministic perturbed copies for all others.
    Exposes the `Embedder` protocol under the MiniLM name, so the stores open with the real model."""

    def __init__(self, real: Any, pool_texts: list[str], cache: Path) -> None:
        self.name, self.dim, self.window = real.name, real.dim, real.window
        self._real = real
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in pool_texts]
        vecs: NDArray[np.float32] | None = None
        if cache.is_file():
            got = np.load(cache, allow_pickle=False)
            if list(got["keys"][: len(keys)]) == keys:
                vecs = got["vecs"][: len(keys)]
        self.embed_seconds = 0.0
        if vecs is None:
            t0 = time.perf_counter()
            vecs = real.embed(pool_texts)
            self.embed_seconds = time.perf_counter() - t0
            np.savez(cache, keys=np.asarray(keys), vecs=vecs)
        self._pool = np.asarray(vecs, dtype=np.float32)
        self._index = {k: i for i, k in enumerate(keys)}
        self.misses = 0

    def count_window_tokens(self, text: str) -> int:
        return int(self._real.count_window_tokens(text))

    def embed(self, texts: Any, batch_size: int = 64) -> NDArray[np.float32]:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for n, t in enumerate(texts):
            key = hashlib.sha1(t.encode()).hexdigest()
            i = self._index.get(key)
            if i is not None:
                out[n] = self._pool[i]
                continue
            self.misses += 1
            h = int(key[:15], 16)
            rng = np.random.default_rng(h)
            v = self._pool[h % len(self._pool)] + rng.normal(0, NOISE / np.sqrt(self.dim), self.dim)
            out[n] = v / np.linalg.norm(v)
        return out


def queries(n: int, seed: int = SEED) -> list[str]:
    import random

    rng = random.Random(seed)
    months = ("January", "March", "May", "July", "September", "November")
    forms = (
        lambda: f"What did {rng.choice(synth.FIRST)} {rng.choice(synth.LAST)} say about {rng.choice(synth.TOPICS)[0]}?",
        lambda: f"Why are {rng.choice(synth.TOPICS)[0]} rising in {rng.choice(synth.CITIES)}?",
        lambda: f"What agreement did {rng.choice(synth.COUNTRIES)} reach with {rng.choice(synth.COUNTRIES)}?",
        lambda: f"What happened with {rng.choice(synth.TOPICS)[0]} in {rng.choice(months)} 2025?",
        lambda: f"Who protested in {rng.choice(synth.CITIES)} and why?",
        lambda: f"How much will the plan announced by {rng.choice(synth.ORGS)} cost?",
    )
    return [forms[i % len(forms)]() for i in range(n)]


class Memo:
    """Embedder wrapper remembering every vector it computed (second pass = no model time)."""

    def __init__(self, inner: Any) -> None:
        self.name, self.dim, self.window = inner.name, inner.dim, inner.window
        self._inner = inner
        self._seen: dict[str, NDArray[np.float32]] = {}

    def count_window_tokens(self, text: str) -> int:
        return int(self._inner.count_window_tokens(text))

    def embed(self, texts: Any, batch_size: int = 64) -> NDArray[np.float32]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._seen]
        if missing:
            for t, v in zip(missing, self._inner.embed(missing, batch_size=batch_size), strict=True):
                self._seen[t] = v
        return np.stack([self._seen[t] for t in texts]) if len(texts) else np.zeros((0, self.dim), np.float32)


# -- workers (one subprocess each) ------------------------------------------------------------
def worker_build(work: Path, n_chunks: int, real_vectors: int, raw_sample: int,
                 baseline: bool = True) -> dict[str, Any]:
    from assistant.baseline import BaselinePipeline
    from index.chunking import Chunker
    from index.embeddings import MiniLMEmbedder
    from index.loaders import load_paths
    from index.pipeline import Ingestor
    from index.store import ChromaStore, make_client

    out: dict[str, Any] = {}
    real = MiniLMEmbedder()
    chunker = Chunker(window_counter=real.count_window_tokens, window=real.window)
    corpus = work / "corpus"
    if not corpus.is_dir():
        synth.write_corpus(corpus, synth.generate(n_chunks, SEED), fmt="jsonl")
    docs = load_paths([corpus]).documents
    out["docs"] = len(docs)

    # raw model throughput on real chunk texts of this corpus (chunks of a spread sample of documents)
    step = max(1, len(docs) // max(1, raw_sample // 3))
    sample = [c.text for d in docs[::step] for c in chunker.chunk(d.text)][:raw_sample]
    real.embed(sample[:16])
    t0 = time.perf_counter()
    real.embed(sample)
    out["raw_embed_chunks_per_s"] = round(len(sample) / (time.perf_counter() - t0), 2)
    out["raw_embed_sample"] = len(sample)

    # the pool: the first `real_vectors` chunk texts of the (prefix-stable) corpus
    pool_texts: list[str] = []
    for a in synth.iter_articles(SEED):
        if len(pool_texts) >= real_vectors:
            break
        pool_texts += [c.text for c in chunker.chunk(a.text)]
    pool_texts = pool_texts[:real_vectors]
    bank = VectorBank(real, pool_texts, work.parent / f"real-vectors-{real_vectors}.npz")
    out["real_vectors"] = len(pool_texts)

    ingestor = Ingestor(ChromaStore(make_client(path=work / "ours"), "newsdesk", real.name, real.dim),
                        bank, chunker, progress=False)
    t0 = time.perf_counter()
    rep = ingestor.ingest_paths([corpus])
    ours_s = time.perf_counter() - t0
    out["ours_ingest_chunks_per_s_no_model"] = round(rep.chunks_written / ours_s, 1)
    out["ours_chunks"] = out["chunks"] = rep.chunks_written
    out["ours_vectors_real"] = rep.chunks_written - bank.misses
    out["peak_rss_mb_after_ours"] = _peak_rss_mb()

    if not baseline:
        out["peak_rss_mb"] = _peak_rss_mb()
        return out
    bank.misses = 0
    t0 = time.perf_counter()
    client = make_client(path=work / "theirs")
    BaselinePipeline(client, docs, bank, chunk_tokens=160)
    theirs_s = time.perf_counter() - t0
    n_theirs = int(client.get_collection("baseline_llama_index").count())
    out["theirs_ingest_chunks_per_s_no_model"] = round(n_theirs / theirs_s, 1)
    out["theirs_chunks"] = n_theirs
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def worker_query_ours(store: Path, n_queries: int, k: int) -> dict[str, Any]:
    from app import build_assistant
    from assistant.settings import Settings

    t0 = time.perf_counter()
    assistant = build_assistant(Settings(store=store, embedder="minilm"), progress=False)
    build_s = time.perf_counter() - t0
    assistant.retriever.embedder = Memo(assistant.retriever.embedder)
    qs = queries(n_queries)
    t0 = time.perf_counter()
    assistant.retriever.retrieve(qs[0], k=k)
    first_ms = (time.perf_counter() - t0) * 1000
    rss_after_first = _peak_rss_mb()
    retr: list[float] = []
    ask: list[float] = []
    retr2: list[float] = []
    ask2: list[float] = []
    # pass 1: as a user sees it; pass 2: the same questions, query and sentence vectors remembered
    # (Memo / the answerer's own cache), i.e. the part of the latency that depends on the corpus
    for r_list, a_list in ((retr, ask), (retr2, ask2)):
        for q in qs:
            t0 = time.perf_counter()
            assistant.retriever.retrieve(q, k=k)
            r_list.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            answer = assistant.ask(q, top_k=k, mode="extractive")
            a_list.append((time.perf_counter() - t0) * 1000)
            assert answer.passages, q
    # what every query pays once per `recheck_seconds` (Retriever._current -> ChromaStore.version)
    t0 = time.perf_counter()
    assistant.store.version()
    version_ms = (time.perf_counter() - t0) * 1000
    return {
        "build_assistant_s": round(build_s, 2), "first_query_ms": round(first_ms, 1),
        "store_version_ms": round(version_ms, 1),
        "retrieve_p50_ms": _pct(retr, 50), "retrieve_p95_ms": _pct(retr, 95),
        "ask_p50_ms": _pct(ask, 50), "ask_p95_ms": _pct(ask, 95), "queries": len(qs),
        "retrieve_no_model_p50_ms": _pct(retr2, 50), "retrieve_no_model_p95_ms": _pct(retr2, 95),
        "ask_no_model_p50_ms": _pct(ask2, 50), "ask_no_model_p95_ms": _pct(ask2, 95),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "peak_rss_mb_after_first_query": rss_after_first, "peak_rss_mb": _peak_rss_mb(),
    }


def worker_query_theirs(store: Path, n_queries: int, k: int) -> dict[str, Any]:
    from llama_index.core import VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from index.embeddings import MiniLMEmbedder, as_llama_index
    from index.store import make_client

    t0 = time.perf_counter()
    emb = MiniLMEmbedder()
    coll = make_client(path=store).get_collection("baseline_llama_index")
    index = VectorStoreIndex.from_vector_store(ChromaVectorStore(chroma_collection=coll),
                                               embed_model=as_llama_index(Memo(emb)))
    retriever = index.as_retriever(similarity_top_k=k)
    build_s = time.perf_counter() - t0
    qs = queries(n_queries)
    t0 = time.perf_counter()
    retriever.retrieve(qs[0])
    first_ms = (time.perf_counter() - t0) * 1000
    retr: list[float] = []
    retr2: list[float] = []
    for r_list in (retr, retr2):  # pass 2: query vectors remembered
        for q in qs:
            t0 = time.perf_counter()
            nodes = retriever.retrieve(q)
            r_list.append((time.perf_counter() - t0) * 1000)
            assert nodes, q
    return {"build_s": round(build_s, 2), "first_query_ms": round(first_ms, 1),
            "retrieve_p50_ms": _pct(retr, 50), "retrieve_p95_ms": _pct(retr, 95), "queries": len(qs),
            "retrieve_no_model_p50_ms": _pct(retr2, 50), "retrieve_no_model_p95_ms": _pct(retr2, 95),
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "peak_rss_mb": _peak_rss_mb()}


# -- parent -----------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cold_start(store: Path, timeout: float = 240.0) -> dict[str, Any]:
    """Seconds from spawning `python app.py serve` until /readyz answers 200 (bounded)."""
    port = _free_port()
    env = {**os.environ, "NEWSDESK_EMBEDDER": "minilm"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "serve", "--store", str(store),
                             "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while time.perf_counter() - t0 < timeout:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace")[-500:] if proc.stderr else ""
                return {"ready_s": None, "error": f"exited with {proc.returncode}: {err}"}
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return {"ready_s": round(time.perf_counter() - t0, 2)}
            except OSError:
                pass
            time.sleep(0.1)
        return {"ready_s": None, "error": f"not ready within {timeout:.0f}s"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _run_worker(args: list[str], timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", *args]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"worker {args[0]} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_size(label: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    n = _size(label)
    d = work / label
    d.mkdir(parents=True, exist_ok=True)
    print(f"[{label}] build ...", flush=True)
    res: dict[str, Any] = {"size": label, "target_chunks": n}
    if (d / "build.json").is_file() and not args.rebuild:
        res["build"] = json.loads((d / "build.json").read_text())
    else:
        import shutil

        for sub in ("ours", "theirs"):
            shutil.rmtree(d / sub, ignore_errors=True)
        baseline = "1" if n <= args.baseline_max else "0"
        res["build"] = _run_worker(["build", str(d), str(n), str(args.real_vectors), str(args.raw_sample),
                                    baseline], timeout=args.timeout)
        (d / "build.json").write_text(json.dumps(res["build"]))
    b = res["build"]
    model = b["raw_embed_chunks_per_s"]
    for side in ("ours", "theirs"):
        if f"{side}_ingest_chunks_per_s_no_model" in b:
            pipe = b[f"{side}_ingest_chunks_per_s_no_model"]
            b[f"{side}_ingest_chunks_per_s_est"] = round(1 / (1 / pipe + 1 / model), 2)
    print(f"[{label}] {json.dumps(b)}", flush=True)
    res["ours"] = _run_worker(["query-ours", str(d / "ours"), str(args.queries), str(args.k)], args.timeout)
    print(f"[{label}] ours {json.dumps(res['ours'])}", flush=True)
    has_theirs = (d / "theirs").is_dir() and "theirs_chunks" in b
    res["theirs"] = (_run_worker(["query-theirs", str(d / "theirs"), str(args.queries), str(args.k)], args.timeout)
                     if has_theirs else None)
    print(f"[{label}] theirs {json.dumps(res['theirs'])}", flush=True)
    res["disk_mb"] = {"ours": _du_mb(d / "ours"), "ours_bm25": _du_mb(d / "ours" / "bm25")
                      if (d / "ours" / "bm25").is_dir() else 0.0,
                      "theirs": _du_mb(d / "theirs") if has_theirs else None}
    res["cold_start"] = cold_start(d / "ours")
    print(f"[{label}] disk {res['disk_mb']} cold start {res['cold_start']}", flush=True)
    o, t = res["ours"], res["theirs"]
    if t is not None:
        res["ratio_ours_over_theirs"] = {
            "retrieve_p50": round(o["retrieve_p50_ms"] / t["retrieve_p50_ms"], 2),
            "retrieve_p95": round(o["retrieve_p95_ms"] / t["retrieve_p95_ms"], 2),
            "retrieve_no_model_p50": round(o["retrieve_no_model_p50_ms"] / t["retrieve_no_model_p50_ms"], 2),
            "retrieve_no_model_p95": round(o["retrieve_no_model_p95_ms"] / t["retrieve_no_model_p95_ms"], 2),
            "peak_rss_query": round(o["peak_rss_mb"] / t["peak_rss_mb"], 2),
            "disk": round(res["disk_mb"]["ours"] / max(res["disk_mb"]["theirs"], 0.1), 2),
            "ingest_no_model": round(b["ours_ingest_chunks_per_s_no_model"]
                                     / b["theirs_ingest_chunks_per_s_no_model"], 2),
        }
    return res


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [r["build"]["chunks"] for r in results]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    a1.plot(xs, [r["ours"]["retrieve_p95_ms"] for r in results], "o-", label="ours retrieve p95")
    a1.plot(xs, [r["ours"]["ask_p95_ms"] for r in results], "s-", label="ours full answer p95")
    li = [(r["build"]["chunks"], r) for r in results if r["theirs"] is not None]
    a1.plot([x for x, _ in li], [r["theirs"]["retrieve_p95_ms"] for _, r in li], "^--",
            label="llama-index retrieve p95")
    a1.plot(xs, [r["ours"].get("retrieve_no_model_p95_ms") for r in results], "o:", label="ours retrieve p95, no model")
    a1.plot(xs, [r["ours"].get("ask_no_model_p95_ms") for r in results], "s:", label="ours answer p95, no model")
    a1.plot([x for x, _ in li], [r["theirs"].get("retrieve_no_model_p95_ms") for _, r in li], "^:",
            label="llama-index retrieve p95, no model")
    a1.axhline(300, color="grey", lw=0.8, ls=":")
    a1.axhline(60, color="grey", lw=0.8, ls=":")
    a1.set(xscale="log", yscale="log", xlabel="chunks", ylabel="ms (log)", title="query latency")
    a1.legend(fontsize=8)
    a2.plot(xs, [r["ours"]["peak_rss_mb"] for r in results], "o-", label="ours serving peak RSS")
    a2.plot([x for x, _ in li], [r["theirs"]["peak_rss_mb"] for _, r in li], "^--",
            label="llama-index serving peak RSS")
    a2.plot(xs, [r["build"]["peak_rss_mb"] for r in results], "x:", label="build (ingests) peak RSS")
    a2.plot(xs, [r["disk_mb"]["ours"] for r in results], "d-", label="ours on disk")
    a2.plot([x for x, _ in li], [r["disk_mb"]["theirs"] for _, r in li], "d--", label="llama-index on disk")
    a2.axhline(2048, color="grey", lw=0.8, ls=":")
    a2.set(xscale="log", xlabel="chunks", ylabel="MB", title="memory and disk")
    a2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        kind, rest = argv[1], argv[2:]
        if kind == "build":
            res = worker_build(Path(rest[0]), int(rest[1]), int(rest[2]), int(rest[3]), rest[4] == "1")
        elif kind == "query-ours":
            res = worker_query_ours(Path(rest[0]), int(rest[1]), int(rest[2]))
        else:
            res = worker_query_theirs(Path(rest[0]), int(rest[1]), int(rest[2]))
        print(json.dumps(res))
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1k,10k,100k", help="comma-separated: 1k,10k,100k or a number")
    p.add_argument("--work", type=Path, default=ROOT / "data" / "bench")
    p.add_argument("--queries", type=int, default=40)
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--real-vectors", type=int, default=2000)
    p.add_argument("--raw-sample", type=int, default=256)
    p.add_argument("--baseline-max", type=int, default=100_000,
                   help="build the llama-index baseline only up to this many chunks")
    p.add_argument("--rebuild", action="store_true", help="rebuild stores even if a build.json exists")
    p.add_argument("--timeout", type=float, default=5400)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--combine", type=Path, nargs="+",
                   help="merge these result files (sorted by size) into --out and plot them; no run")
    args = p.parse_args(argv)
    if args.combine:
        parts = [json.loads(f.read_text()) for f in args.combine]
        merged = sorted((r for part in parts for r in part["results"]), key=lambda r: r["build"]["chunks"])
        target = args.out or RESULTS / f"scale-{date.today().isoformat()}.json"
        meta = {**parts[0]["meta"], "combined_from": [str(f) for f in args.combine],
                "commands": [part["meta"].get("command") for part in parts]}
        target.write_text(json.dumps({"meta": meta, "results": merged}, indent=2) + "\n", encoding="utf-8")
        plot(merged, target.with_suffix(".png"))
        print(f"wrote {target} and {target.with_suffix('.png')}")
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    stamp = date.today().isoformat()
    out = args.out or RESULTS / f"scale-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": stamp, "machine": f"{os.cpu_count()} cores, shared", "python": sys.version.split()[0],
        "vectors": (f"real MiniLM for the first {args.real_vectors} chunk texts, deterministic perturbed copies "
                    f"(noise {NOISE}) for the rest, shared by both pipelines; query vectors real"),
        "ingest_note": "ingest chunks/s exclude the model; *_est = 1/(1/pipeline + 1/raw model)",
        "baseline": ("assistant.baseline.BaselinePipeline (VectorStoreIndex + ChromaVectorStore, SentenceSplitter 160),"
                     f" built up to {args.baseline_max} chunks"),
        "embedder": "all-MiniLM-L6-v2 run by onnxruntime (MiniLMEmbedder default backend), batches of 64 at ingest, "
                    "16 in the answerer",
        "queries": args.queries, "k": args.k, "command": "python bench/scale.py " + " ".join(argv),
    }
    results: list[dict[str, Any]] = []
    for label in [x for x in args.sizes.split(",") if x.strip()]:
        results.append(run_size(label, args.work.resolve(), args))
        meta["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
        out.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n", encoding="utf-8")
        plot(results, out.with_suffix(".png"))
        print(f"wrote {out} and {out.with_suffix('.png')}", flush=True)
    for r in results:
        b, o, t = r["build"], r["ours"], r["theirs"]
        t = t or {}
        print(f"{r['size']:>5}: {b['chunks']} chunks | retrieve p50/p95 {o['retrieve_p50_ms']}/{o['retrieve_p95_ms']} ms "
              f"(llama-index {t.get('retrieve_p50_ms')}/{t.get('retrieve_p95_ms')}) | ask p50/p95 {o['ask_p50_ms']}/"
              f"{o['ask_p95_ms']} ms | RSS {o['peak_rss_mb']} MB (li {t.get('peak_rss_mb')}) | disk "
              f"{r['disk_mb']['ours']} MB (li {r['disk_mb']['theirs']}) | ready {r['cold_start'].get('ready_s')} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
