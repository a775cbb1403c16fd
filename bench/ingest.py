"""Ingest throughput of the real pipeline next to the raw throughput of the model on the same texts.

For each repeat (medians are reported):
* pipeline: `Ingestor(ChromaStore(PersistentClient(tmp)), MiniLMEmbedder).ingest_paths([corpus])`,
  chunks written / wall seconds (load + chunk + embed + Chroma writes + registry);
* raw: the same corpus chunked with the same `Chunker` first (not timed), then
  `embedder.embed(texts)` on exactly those texts, chunks / seconds;
* overhead = pipeline seconds / raw seconds - 1 (target < 15 %), in wall time and in this process's
  CPU time (the latter is less disturbed by other processes on shared cores);
* decomposed overhead: the same ingest with the model replaced by a lookup of the vectors computed
  for those texts, divided by the model's time (robust when other processes share the cores);
* re-ingest of the unchanged corpus, documents / second (target >= 2000), on the MiniLM store and on
  a larger store (`--reingest-docs`, filled with the hash embedder: the unchanged path never embeds).

    .venv/bin/python bench/ingest.py [--chunks 400] [--repeats 3] [--corpus DIR] [--json OUT]

The corpus is `bench/synth.py`'s generated articles (one .txt per article + manifest) unless
`--corpus` names a folder (e.g. ../shared/corpus/seeds).
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from index.offline import enforce_offline  # noqa: E402

enforce_offline()


def _store(path: Path, embedder: Any) -> Any:
    from index.store import ChromaStore, make_client

    return ChromaStore(make_client(path=path), "newsdesk", embedder.name, embedder.dim)


def _chunk_texts(corpus: Path, chunker: Any) -> tuple[list[str], int]:
    from index.loaders import load_paths

    docs = load_paths([corpus]).documents
    return [c.text for d in docs for c in chunker.chunk(d.text)], len(docs)


class Precomputed:
    """`Embedder` that returns vectors computed earlier for the same texts (no model call)."""

    def __init__(self, real: Any, vectors: dict[str, Any]) -> None:
        self.name, self.dim, self.window = real.name, real.dim, real.window
        self._real, self._vectors = real, vectors

    def count_window_tokens(self, text: str) -> int:
        return int(self._real.count_window_tokens(text))

    def embed(self, texts: Any, batch_size: int = 64) -> Any:
        import numpy as np

        return np.stack([self._vectors[t] for t in texts]).astype(np.float32)


def measure(corpus: Path, repeats: int, embedder: Any, batch_size: int = 64) -> dict[str, Any]:
    from index.chunking import Chunker
    from index.pipeline import Ingestor

    chunker = Chunker(window_counter=embedder.count_window_tokens, window=embedder.window)
    texts, n_docs = _chunk_texts(corpus, chunker)
    embedder.embed(texts[:32], batch_size=batch_size)  # warm-up
    runs: list[dict[str, float]] = []
    for r in range(repeats):
        with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp:
            ingestor = Ingestor(_store(Path(tmp) / "store", embedder), embedder, chunker,
                                batch_size=batch_size, progress=False)

            def pipeline(ing: Any = ingestor) -> tuple[float, float, int]:
                t0, c0 = time.perf_counter(), time.process_time()
                rep = ing.ingest_paths([corpus])
                return time.perf_counter() - t0, time.process_time() - c0, rep.chunks_written

            def raw() -> tuple[float, float]:
                t0, c0 = time.perf_counter(), time.process_time()
                embedder.embed(texts, batch_size=batch_size)
                return time.perf_counter() - t0, time.process_time() - c0

            # alternate the order so neither side always runs on a warmer machine
            if r % 2 == 0:
                (p_s, p_cpu, written), (raw_s, raw_cpu) = pipeline(), raw()
            else:
                raw_s, raw_cpu = raw()
                p_s, p_cpu, written = pipeline()
            # the same ingest with the model replaced by a lookup of vectors computed above:
            # what the pipeline costs on its own (chunking, loading, Chroma writes, registry)
            vecs = embedder.embed(texts, batch_size=batch_size)
            known = Precomputed(embedder, dict(zip(texts, vecs, strict=True)))
            alone = Ingestor(_store(Path(tmp) / "store2", embedder), known, chunker, progress=False)
            t0 = time.perf_counter()
            alone.ingest_paths([corpus])
            alone_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = ingestor.ingest_paths([corpus])
            re_s = time.perf_counter() - t0
            assert again.chunks_written == 0 and len(again.unchanged) == n_docs, again.summary()
        runs.append({"pipeline_s": p_s, "raw_s": raw_s, "pipeline_cpu_s": p_cpu, "raw_cpu_s": raw_cpu,
                     "pipeline_without_model_s": alone_s,
                     "chunks": float(written), "reingest_s": re_s})
        print(f"  repeat {r + 1}: pipeline {written / p_s:.1f} chunks/s, raw {len(texts) / raw_s:.1f} chunks/s, "
              f"pipeline without model {alone_s:.2f}s vs model {raw_s:.2f}s, "
              f"re-ingest {n_docs / re_s:.0f} docs/s", flush=True)
    med = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
    return {
        "docs": n_docs, "chunks": len(texts), "chunks_written": int(med["chunks"]),
        "pipeline_chunks_per_s": round(len(texts) / med["pipeline_s"], 2),
        "raw_embed_chunks_per_s": round(len(texts) / med["raw_s"], 2),
        "overhead_pct": round(100 * (med["pipeline_s"] / med["raw_s"] - 1), 1),
        # CPU seconds of this process: less sensitive to other processes sharing the cores
        "overhead_cpu_pct": round(100 * (med["pipeline_cpu_s"] / med["raw_cpu_s"] - 1), 1),
        # pipeline without the model / model alone, both measured in the same repeat
        "overhead_decomposed_pct": round(100 * statistics.median(
            run["pipeline_without_model_s"] / run["raw_s"] for run in runs), 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "reingest_docs_per_s": round(n_docs / med["reingest_s"], 1),
        "runs": runs,
    }


def measure_reingest(n_docs: int, repeats: int) -> dict[str, Any]:
    """Unchanged re-ingest rate on a store of `n_docs` synthetic articles (hash vectors)."""
    import synth

    from index.embeddings import HashEmbedder
    from index.pipeline import Ingestor

    emb = HashEmbedder()
    arts = [synth.article(11, i) for i in range(n_docs)]
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp:
        corpus = Path(tmp) / "corpus"
        synth.write_corpus(corpus, arts, fmt="txt")
        ingestor = Ingestor(_store(Path(tmp) / "store", emb), emb, progress=False)
        first = ingestor.ingest_paths([corpus])
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            rep = ingestor.ingest_paths([corpus])
            times.append(time.perf_counter() - t0)
            assert len(rep.unchanged) == n_docs and rep.chunks_written == 0
    med = statistics.median(times)
    return {"docs": n_docs, "chunks": first.chunks_written, "reingest_s": round(med, 3),
            "reingest_docs_per_s": round(n_docs / med, 1)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chunks", type=int, default=400, help="size of the synthetic corpus (default 400)")
    p.add_argument("--corpus", type=Path, help="ingest this folder instead of the synthetic corpus")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--reingest-docs", type=int, default=5000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)

    import synth

    from index.embeddings import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    with tempfile.TemporaryDirectory(prefix="newsdesk-corpus-") as tmp:
        corpus = args.corpus
        if corpus is None:
            corpus = Path(tmp) / "synth"
            synth.write_corpus(corpus, synth.generate(args.chunks), fmt="txt")
        print(f"ingest benchmark: {corpus} (MiniLM, batch {args.batch_size}, {args.repeats} repeats)", flush=True)
        result = measure(corpus, args.repeats, embedder, args.batch_size)
    result["corpus"] = str(args.corpus) if args.corpus else f"synthetic, {args.chunks} chunks"
    print(f"pipeline : {result['pipeline_chunks_per_s']:8.1f} chunks/s  ({result['chunks']} chunks, {result['docs']} docs)")
    print(f"raw model: {result['raw_embed_chunks_per_s']:8.1f} chunks/s  (same texts)")
    print(f"overhead : {result['overhead_pct']:8.1f} % wall, {result['overhead_cpu_pct']:.1f} % CPU time "
          f"(target < 15 %; load average {result['load_avg_1m']})")
    print(f"overhead : {result['overhead_decomposed_pct']:8.1f} % = pipeline without the model / model alone")
    print(f"re-ingest: {result['reingest_docs_per_s']:8.1f} docs/s unchanged ({result['docs']} docs)")
    if args.reingest_docs:
        big = measure_reingest(args.reingest_docs, args.repeats)
        result["reingest_large"] = big
        print(f"re-ingest: {big['reingest_docs_per_s']:8.1f} docs/s unchanged ({big['docs']} docs, "
              f"{big['chunks']} chunks; target >= 2000)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
