"""question → ranked passages: dense (Chroma) + lexical (BM25, bm25s) fused by reciprocal rank,
with metadata filters and date-aware ranking.

BM25 index: built from the store's chunks (streamed page by page), saved under `cache_dir/<version>/`
(bm25s' own format, loaded memory-mapped), and rebuilt only when the set of documents changes
(`invalidate()` after writes; another process's writes are noticed within `recheck_seconds`).
Only a compact per-chunk table (id, doc, date, source) stays in memory; chunk texts are fetched
from Chroma for the few hits returned. The table and the document facts (complete documents,
publication dates, title/publisher words) are saved with the BM25 files, so a saved version loads
without reading the store.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from assistant.dates import DATE_SLACK_DAYS, DateWindow, resolve_window
from assistant.types import Filters, Passage
from index.embeddings import Embedder
from index.store import ChromaStore, ChunkHit, date_ord

log = logging.getLogger(__name__)

RRF_K = 60
TABLE_FORMAT = 2  # of the saved chunk table (cache_dir/<version>/table.json)


_stemmers = threading.local()


def english_stemmer() -> Any:
    """The Snowball English stemmer (PyStemmer) used by retrieval and answer checking: one per
    thread, since a PyStemmer instance "must not be called concurrently" (its documentation) and
    request threads tokenize at the same time."""
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        import Stemmer

        stemmer = _stemmers.english = Stemmer.Stemmer("english")
    return stemmer


class Lexicon:
    """Tokenizer shared by BM25 and the answerer: lower-case, English stop words removed, stemmed."""

    def tokens(self, text: str) -> list[str]:
        import bm25s

        out = bm25s.tokenize([text], stopwords="en", stemmer=english_stemmer(), return_ids=False,
                             show_progress=False)
        return list(out[0]) if out else []

    def tokenize_many(self, texts: list[str]) -> list[list[str]]:
        import bm25s

        return [list(t) for t in bm25s.tokenize(texts, stopwords="en", stemmer=english_stemmer(),
                                                 return_ids=False, show_progress=False)]


@dataclass
class _Index:
    version: str
    bm25: Any  # bm25s.BM25 or None for an empty store
    ids: list[str]
    doc_ids: np.ndarray
    dates: np.ndarray  # date_ord per chunk
    sources: np.ndarray
    complete_docs: set[str]
    article_dates: list[str]
    n_docs_per_token: dict[str, int]
    built_at: float
    # words of titles and publishers: a question may name them though the article text does not
    meta_vocab: frozenset[str] = frozenset()
    writes_seen: int = 0  # the retriever's write count when this index was built or checked
    vocabulary: list[str] | None = None  # the tokens of n_docs_per_token, listed on first use


class Retriever:
    def __init__(self, store: ChromaStore, embedder: Embedder, cache_dir: Path | None = None,
                 candidates: int = 40, recheck_seconds: float = 30.0) -> None:
        self.store = store
        self.embedder = embedder
        self.cache_dir = cache_dir
        self.candidates = candidates
        self.recheck_seconds = recheck_seconds
        self.lexicon = Lexicon()
        self._index: _Index | None = None
        self._lock = threading.Lock()
        self._refresh_queued = threading.Event()
        self._writes = itertools.count(1)
        self._writes_now = 0  # bumped by invalidate(), without waiting for a build in progress

    # -- index lifecycle ---------------------------------------------------------------------
    def warm(self) -> None:
        """Build or load the BM25 index now (e.g. in a background thread at start-up), so the first
        question does not pay for it."""
        self._current()

    def refresh_in_background(self) -> None:
        """After a write: mark the index stale and rebuild it in a background thread, so the next
        question finds it ready, or waits only for the rest of the rebuild (~23 s at 100k chunks
        in total). Writes in quick succession queue at most one more rebuild."""
        self.invalidate()
        if self._refresh_queued.is_set():
            return
        self._refresh_queued.set()

        def run() -> None:
            self._refresh_queued.clear()  # a write from now on needs another rebuild
            try:
                self._current()
            except Exception as e:  # the store went away: the next question reports it
                log.warning("background rebuild of the BM25 index failed: %s", e)

        threading.Thread(target=run, name="bm25-refresh", daemon=True).start()

    @property
    def loaded(self) -> bool:
        """The BM25 index is in memory and no write happened since (the next question will not
        build or load it)."""
        return self._index is not None and self._index.writes_seen == self._writes_now

    def invalidate(self) -> None:
        """A write happened: the next question checks the store's version (and rebuilds if it
        changed), also when a build that started before the write is still running."""
        self._writes_now = next(self._writes)

    def _fresh(self, idx: _Index) -> bool:
        """No write since `idx` was checked against the store, and checked recently."""
        return idx.writes_seen == self._writes_now and time.monotonic() - idx.built_at < self.recheck_seconds

    def _current(self) -> _Index:
        idx = self._index
        if idx is not None and self._fresh(idx):
            return idx
        with self._lock:
            idx = self._index
            if idx is not None and self._fresh(idx):
                return idx
            writes = self._writes_now  # read before the version: a later write forces another check
            version = self.store.version()
            if idx is None or idx.version != version:
                idx = self._build(version)
                self._index = idx
            idx.built_at = time.monotonic()
            idx.writes_seen = writes
            return idx

    def _build(self, version: str) -> _Index:
        cached = self._cache_path(version)
        if cached is not None and (cached / "table.json").is_file():
            with contextlib.suppress(OSError, ValueError, KeyError):
                return self._load(version, cached)
        import bm25s

        docs = self.store.list_documents()
        complete = {d.doc_id for d in docs}
        ids: list[str] = []
        doc_ids: list[str] = []
        dates: list[int] = []
        sources: list[str] = []
        texts: list[str] = []
        for hit in self.store.iter_chunks():
            if hit.metadata.get("doc_id") not in complete:
                continue
            ids.append(hit.chunk_id)
            doc_ids.append(str(hit.metadata.get("doc_id")))
            dates.append(int(hit.metadata.get("date_ord", 0) or 0))
            sources.append(str(hit.metadata.get("source", "")))
            texts.append(hit.text)
        bm25: Any = None
        if ids:
            bm25 = bm25s.BM25()
            bm25.index(self.lexicon.tokenize_many(texts), show_progress=False)
        meta_vocab = sorted({t for toks in self.lexicon.tokenize_many([f"{d.title} {d.source}" for d in docs])
                             for t in toks}) if docs else []
        table = {"format": TABLE_FORMAT, "ids": ids, "doc_ids": doc_ids, "dates": dates, "sources": sources,
                 "complete": sorted(complete), "article_dates": sorted({d.date for d in docs}),
                 "meta_vocab": meta_vocab}
        if cached is not None and bm25 is not None:
            self._save(bm25, table, cached)
        return self._index_from(version, bm25, table)

    def _load(self, version: str, cached: Path) -> _Index:
        """The saved index of this store version: BM25 memory-mapped and the chunk table, without
        reading anything from Chroma (at 100k chunks: under a second instead of ~15 s)."""
        import bm25s

        table = json.loads((cached / "table.json").read_text(encoding="utf-8"))
        if not isinstance(table, dict) or table.get("format") != TABLE_FORMAT:
            raise ValueError(f"{cached}: saved by another version of Newsdesk")
        return self._index_from(version, bm25s.BM25.load(str(cached), mmap=True), table)

    def _index_from(self, version: str, bm25: Any, table: dict[str, Any]) -> _Index:
        df: dict[str, int] = {}
        if bm25 is not None:
            indptr = np.asarray(bm25.scores["indptr"])
            for token, tid in bm25.vocab_dict.items():
                if token:
                    df[token] = int(indptr[tid + 1] - indptr[tid])
        return _Index(version, bm25, list(table["ids"]), np.array(table["doc_ids"], dtype=object),
                      np.array(table["dates"], dtype=np.int64), np.array(table["sources"], dtype=object),
                      set(table["complete"]), list(table["article_dates"]), df, time.monotonic(),
                      frozenset(table["meta_vocab"]))

    def _cache_path(self, version: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / version

    def _save(self, bm25: Any, table: dict[str, Any], path: Path) -> None:
        """Write the index for `path`'s version next to the store, replacing older versions; the
        directory appears complete or not at all (written under a temporary name, then renamed)."""
        assert self.cache_dir is not None
        tmp = path.with_name(path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True, exist_ok=True)
        bm25.save(str(tmp))
        (tmp / "table.json").write_text(json.dumps(table), encoding="utf-8")
        for old in self.cache_dir.iterdir():  # keep only the current version
            if old != tmp:
                shutil.rmtree(old, ignore_errors=True)
        tmp.rename(path)

    # -- corpus statistics (for the answerer) ------------------------------------------------
    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency over chunks; high for tokens absent from the corpus."""
        idx = self._current()
        n = max(len(idx.ids), 1)
        df = idx.n_docs_per_token.get(token, 0)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def document_frequency(self, token: str) -> int:
        """How many chunks contain `token` (a `Lexicon` token)."""
        return self._current().n_docs_per_token.get(token, 0)

    def nearest_token(self, token: str) -> str | None:
        """The collection's token spelled most like `token` (a misspelt question word: "brokerd" →
        "broker"), within one edit (a transposed pair counts as one) for tokens of up to six letters and two for longer ones; None
        when there is none. rapidfuzz does the search (~10 ms over 200k tokens)."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        if len(token) < 4:
            return None
        idx = self._current()
        if idx.vocabulary is None:
            idx.vocabulary = sorted(idx.n_docs_per_token, key=lambda t: -idx.n_docs_per_token[t])
        limit = 1 if len(token) <= 6 else 2
        found = process.extractOne(token, idx.vocabulary, scorer=OSA.distance, score_cutoff=limit)
        return str(found[0]) if found is not None else None

    def in_corpus(self, token: str) -> bool:
        """Whether any article's text, title or publisher contains `token` (a `Lexicon` token)."""
        idx = self._current()
        return token in idx.n_docs_per_token or token in idx.meta_vocab

    def article_dates(self) -> list[str]:
        """The distinct publication dates (ISO) of the complete documents, sorted."""
        return list(self._current().article_dates)

    def window(self, query: str) -> DateWindow | None:
        """The publication-date window a time expression in `query` points at (see assistant.dates)."""
        return resolve_window(query, self._current().article_dates)

    # -- retrieval ---------------------------------------------------------------------------
    def retrieve(self, query: str, filters: Filters | None = None, k: int = 5) -> list[Passage]:
        idx = self._current()
        if not idx.ids:
            return []
        filters = filters or Filters()
        window = resolve_window(query, idx.article_dates)
        n = max(self.candidates, 4 * k)
        qvec = self.embedder.embed([query])[0]
        where = _where(filters)
        dense = [h for h in self.store.query(qvec, n, where) if h.metadata.get("doc_id") in idx.complete_docs]
        sparse = self._bm25(idx, query, filters, n)
        if window is not None:
            # Make sure passages from the named period are candidates. A date-filtered Chroma query
            # costs a scan (290 ms at 100k chunks); the in-memory BM25 table masks dates for free.
            in_window = filters.model_copy(update={
                "date_from": max(filter(None, [filters.date_from, window.start])),
                "date_to": min(filter(None, [filters.date_to, window.end + timedelta(days=DATE_SLACK_DAYS)])),
            })
            seen = {cid for cid, _ in sparse}
            sparse += [hit for hit in self._bm25(idx, query, in_window, n // 2) if hit[0] not in seen]
        fused: dict[str, float] = {}
        for rank, h in enumerate(dense):
            fused[h.chunk_id] = fused.get(h.chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
        for rank, (cid, _) in enumerate(sparse):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
        hits: dict[str, ChunkHit] = {h.chunk_id: h for h in dense}
        missing = [cid for cid in fused if cid not in hits]
        for h in self.store.get_chunks(missing):
            hits[h.chunk_id] = h
        ranked = sorted(fused, key=lambda c: (-self._date_rank(hits.get(c), window), -fused[c]))
        out: list[Passage] = []
        for cid in ranked:
            hit = hits.get(cid)
            if hit is None:
                continue
            m = hit.metadata
            out.append(Passage(
                chunk_id=cid, doc_id=str(m.get("doc_id")), file_name=str(m.get("file_name", "")),
                title=str(m.get("title", "")), date=str(m.get("date", "")), source=str(m.get("source", "")),
                url=str(m.get("url", "")), start=int(m.get("start", 0)), end=int(m.get("end", 0)),
                text=hit.text, score=round(fused[cid], 6),
            ))
            if len(out) >= k:
                break
        return out

    @staticmethod
    def _date_rank(hit: ChunkHit | None, window: DateWindow | None) -> int:
        if hit is None or window is None:
            return 0
        return 1 if window.contains(str(hit.metadata.get("date", "")), DATE_SLACK_DAYS) else 0

    def _bm25(self, idx: _Index, query: str, filters: Filters, n: int) -> list[tuple[str, float]]:
        if idx.bm25 is None:
            return []
        tokens = self.lexicon.tokens(query)
        if not tokens:
            return []
        scores = np.asarray(idx.bm25.get_scores(tokens), dtype=np.float64)
        mask = np.ones(len(idx.ids), dtype=bool)
        if filters.sources:
            mask &= np.isin(idx.sources, filters.sources)
        if filters.doc_ids:
            mask &= np.isin(idx.doc_ids, filters.doc_ids)
        if filters.date_from:
            mask &= idx.dates >= date_ord(filters.date_from.isoformat())
        if filters.date_to:
            mask &= idx.dates <= date_ord(filters.date_to.isoformat())
        scores = np.where(mask, scores, 0.0)
        top = np.argpartition(-scores, min(n, len(scores) - 1))[:n] if len(scores) > n else np.arange(len(scores))
        top = top[np.argsort(-scores[top])]
        return [(idx.ids[i], float(scores[i])) for i in top if scores[i] > 0]


def _and(*clauses: dict[str, Any] | None) -> dict[str, Any] | None:
    parts = [c for c in clauses if c]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _where(filters: Filters) -> dict[str, Any] | None:
    clauses: list[dict[str, Any] | None] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(filters.sources)}})
    if filters.doc_ids:
        clauses.append({"doc_id": {"$in": list(filters.doc_ids)}})
    if filters.date_from:
        clauses.append({"date_ord": {"$gte": date_ord(filters.date_from.isoformat())}})
    if filters.date_to:
        clauses.append({"date_ord": {"$lte": date_ord(filters.date_to.isoformat())}})
    return _and(*clauses)
