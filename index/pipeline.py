"""ingest(paths) → IngestReport: load, chunk, embed, store. Idempotent; all-or-nothing per document.

* Same content again → skipped (`unchanged`); same content under a new name → the name is added to
  the stored document (`aliased`), nothing re-embedded.
* A changed file → its new version is written completely, then the old version's chunks removed
  (`replaced`).
* `prune=True` → documents whose files under the given folders are gone are removed.
* New documents are embedded in groups (one model call per group, for throughput) and written as
  `pending` → chunks → `complete`, so a crash leaves only `pending` records, which a later run's
  `repair()` clears (see `index.store` for how writers sharing one Chroma server stay apart).
  After marking a group complete the writer checks it and writes again any document another
  process removed meanwhile (at most `WRITE_ATTEMPTS` times).
* One bad file never costs another: any exception while loading or chunking one file skips that
  file with its reason; the rest of the batch is indexed.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from index.chunking import Chunker
from index.embeddings import Embedder
from index.loaders import Document, Skipped, load_bytes, load_paths, safe_file_name
from index.store import ChromaStore, ChunkBatch, DocRecord, date_ord, new_write_id

log = logging.getLogger(__name__)

WRITE_ATTEMPTS = 3


class WriteConflictError(RuntimeError):
    """Documents kept disappearing while they were written (another process deleting them)."""


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    aliased: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    chunks_written: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.skipped

    def summary(self) -> str:
        lines = [
            f"added {len(self.added)}, replaced {len(self.replaced)}, unchanged {len(self.unchanged)}, "
            f"aliased {len(self.aliased)}, pruned {len(self.pruned)}, skipped {len(self.skipped)}; "
            f"{self.chunks_written} chunks written in {self.seconds:.1f}s"
        ]
        if self.repaired:
            lines.append(f"completed {len(self.repaired)} document(s) left half-written by an earlier run")
        lines += [f"skipped {s}" for s in self.skipped]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {
            "added": self.added, "replaced": self.replaced, "unchanged": self.unchanged,
            "aliased": self.aliased, "pruned": self.pruned, "repaired": self.repaired,
            "skipped": [{"file": s.file, "line": s.line, "reason": s.reason} for s in self.skipped],
            "doc_ids": self.doc_ids, "chunks_written": self.chunks_written, "seconds": round(self.seconds, 3),
        }


_RECORD_SUFFIX = re.compile(r"#L?\d+$")


def _origin_path(origin: str) -> Path | None:
    """The file an origin names (without a JSON record's `#L<n>`/`#<n>`); None for uploads."""
    if origin.startswith("upload:"):
        return None
    return Path(_RECORD_SUFFIX.sub("", origin))


class Ingestor:
    def __init__(self, store: ChromaStore, embedder: Embedder, chunker: Chunker | None = None,
                 batch_size: int = 64, group_chunks: int = 512, progress: bool | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.chunker = chunker or Chunker(window_counter=embedder.count_window_tokens, window=embedder.window)
        self.batch_size = batch_size
        self.group_chunks = group_chunks
        self.progress = sys.stderr.isatty() if progress is None else progress
        # Documents whose last origin is gone; deleted once the current run's new versions are complete.
        self._pending_drops: set[str] = set()

    # -- public ------------------------------------------------------------------------------
    def ingest_paths(self, paths: Iterable[Path], prune: bool = False, max_bytes: int = 5_000_000) -> IngestReport:
        started = time.perf_counter()
        paths = list(paths)
        report = IngestReport()
        for p in paths:
            if not p.exists():
                report.skipped.append(Skipped(str(p), "no such file or folder"))
        loaded = load_paths([p for p in paths if p.exists()], max_bytes=max_bytes)
        report.skipped.extend(loaded.skipped)
        self._ingest(loaded.documents, report)
        if prune:
            self._prune([p.resolve() for p in paths if p.is_dir()], report)
        report.seconds = time.perf_counter() - started
        return report

    def ingest_upload(self, name: str, raw: bytes, max_bytes: int = 5_000_000) -> IngestReport:
        """One uploaded file (UI / API). `name` is only used for the format and display, never as a path."""
        started = time.perf_counter()
        report = IngestReport()
        safe = safe_file_name(name)
        if len(raw) > max_bytes:
            report.skipped.append(Skipped(safe, f"file is {len(raw):,} bytes, over the limit of {max_bytes:,}"))
        else:
            loaded = load_bytes(raw, safe, f"upload:{safe}")
            report.skipped.extend(loaded.skipped)
            self._ingest(loaded.documents, report)
        report.seconds = time.perf_counter() - started
        return report

    def ingest_documents(self, docs: list[Document]) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        self._ingest(docs, report)
        report.seconds = time.perf_counter() - started
        return report

    # -- internals ---------------------------------------------------------------------------
    def _ingest(self, docs: list[Document], report: IngestReport) -> None:
        report.repaired = self.store.repair()
        known = {d.doc_id: d for d in self.store.list_documents()}
        by_origin: dict[str, str] = {o: d.doc_id for d in known.values() for o in d.origins}
        # New documents in this batch; identical texts under several names become one document
        # with all their origins and names.
        seen_new: dict[str, tuple[Document, list[str], list[str]]] = {}
        changed: set[str] = set()
        for doc in docs:
            report.doc_ids.append(doc.doc_id)
            old_id = by_origin.get(doc.origin)
            if doc.doc_id in known:
                rec = known[doc.doc_id]
                if doc.origin in rec.origins:
                    report.unchanged.append(doc.file_name)
                    continue
                known[doc.doc_id] = replace(
                    rec, origins=(*rec.origins, doc.origin),
                    file_names=tuple(dict.fromkeys((*rec.file_names, doc.file_name))),
                )
                changed.add(doc.doc_id)  # written once, after the loop
                report.aliased.append(doc.file_name)
            elif doc.doc_id in seen_new:
                _, origins, names = seen_new[doc.doc_id]
                origins.append(doc.origin)
                if doc.file_name not in names:
                    names.append(doc.file_name)
                report.aliased.append(doc.file_name)
            else:
                seen_new[doc.doc_id] = (doc, [doc.origin], [doc.file_name])
                (report.replaced if old_id and old_id != doc.doc_id else report.added).append(doc.file_name)
            if old_id and old_id != doc.doc_id:
                self._drop_origin(known, old_id, doc.origin, report, record=False)
                changed.add(old_id)
            by_origin[doc.origin] = doc.doc_id
        self.store.update_documents([known[d] for d in sorted(changed) if d in known])
        self._write_new(list(seen_new.values()), report)
        # The replaced versions are removed only after their successors are complete.
        self._flush_drops()

    def _flush_drops(self) -> None:
        for doc_id in sorted(self._pending_drops):
            self.store.delete_document(doc_id)
        self._pending_drops.clear()

    def _drop_origin(self, known: dict[str, DocRecord], doc_id: str, origin: str,
                     report: IngestReport, record: bool) -> None:
        rec = known.get(doc_id)
        if rec is None:
            return
        origins = tuple(o for o in rec.origins if o != origin)
        if origins:
            known[doc_id] = replace(rec, origins=origins)
            if record:  # pruning writes at once; ingest batches its updates
                self.store.update_documents([known[doc_id]])
        else:
            self._pending_drops.add(doc_id)
            known.pop(doc_id)
            if record:
                report.pruned.append(rec.file_name)

    def _prune(self, roots: list[Path], report: IngestReport) -> None:
        known = {d.doc_id: d for d in self.store.list_documents()}
        for rec in list(known.values()):
            for origin in rec.origins:
                path = _origin_path(origin)
                if path is None or path.exists() or not any(path.is_relative_to(r) for r in roots):
                    continue
                self._drop_origin(known, rec.doc_id, origin, report, record=True)
        self._flush_drops()

    def _write_new(self, docs: list[tuple[Document, list[str], list[str]]], report: IngestReport) -> None:
        total = 0
        planned: list[_Planned] = []
        for doc, origins, names in docs:
            try:
                pieces = [(c.start, c.end, c.text) for c in self.chunker.chunk(doc.text)]
            except Exception as e:  # RecursionError, MemoryError included: one bad text never costs the batch
                log.warning("chunking %s failed", doc.file_name, exc_info=True)
                report.skipped.append(Skipped(doc.file_name, f"could not be split into passages ({_reason(e)})"))
                _unreport(report, doc.doc_id, names)
                continue
            if not pieces:
                report.skipped.append(Skipped(doc.file_name, "no sentences to index"))
                _unreport(report, doc.doc_id, names)
                continue
            planned.append(_Planned(doc, tuple(origins), tuple(names), pieces))
            total += len(pieces)
        bar = tqdm(total=total, unit="chunk", desc="embedding", disable=not self.progress or total == 0)
        groups: list[list[_Planned]] = [[]]
        size = 0
        for item in planned:
            if size >= self.group_chunks:
                groups.append([])
                size = 0
            groups[-1].append(item)
            size += len(item.pieces)
        # The model embeds group k+1 while one writer thread stores group k (registry `pending`,
        # chunks, `complete`, in that order, one group at a time), so Chroma's writes (network
        # round trips with a Chroma server) overlap the model instead of adding to it. On 2 local
        # cores both compete for CPU and the gain is within noise (bench/ingest.py). A failed
        # write surfaces here before the next one is queued.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chroma-writer") as writer:
            pending: Future[None] | None = None
            for group in groups:
                if not group:
                    continue
                records, batch, texts = self._prepare_group(group)
                vectors = self.embedder.embed(batch.texts, batch_size=self.batch_size)
                bar.update(len(batch.ids))
                if pending is not None:
                    pending.result()
                pending = writer.submit(self._store_group, records, texts, batch, vectors, report)
            if pending is not None:
                pending.result()
        bar.close()

    def _store_group(self, records: list[DocRecord], texts: list[str], batch: ChunkBatch,
                     vectors: NDArray[np.float32], report: IngestReport) -> None:
        """Write one group (`pending` → chunks → `complete`), then check it and write again the
        documents that another process's repair or delete removed meanwhile."""
        written = len(batch.ids)
        for _attempt in range(WRITE_ATTEMPTS):
            records = self.store.put_documents(records, texts)
            self.store.upsert_chunks(batch, vectors)
            self.store.set_states(records, "complete")
            damaged = {r.doc_id for r in self.store.damaged(records)}
            if not damaged:
                report.chunks_written += written
                return
            log.warning("%d document(s) changed by another writer while being written; writing them again",
                        len(damaged))
            keep = [i for i, r in enumerate(records) if r.doc_id in damaged]
            records = [replace(records[i], state="pending") for i in keep]
            texts = [texts[i] for i in keep]
            rows = [j for j, m in enumerate(batch.metadatas) if m["doc_id"] in damaged]
            batch = ChunkBatch([batch.ids[j] for j in rows], [batch.texts[j] for j in rows],
                               [batch.metadatas[j] for j in rows])
            vectors = vectors[rows]
        raise WriteConflictError(
            f"{len(records)} document(s) were removed by another process each time they were written "
            f"({WRITE_ATTEMPTS} attempts), e.g. {records[0].file_name!r}; is someone deleting them?")

    def _prepare_group(self, group: list[_Planned]) -> tuple[list[DocRecord], ChunkBatch, list[str]]:
        batch = ChunkBatch()
        records: list[DocRecord] = []
        for item in group:
            doc, names = item.doc, item.names
            write_id = new_write_id()
            rec = DocRecord(doc_id=doc.doc_id, file_name=names[0], title=doc.title, date=doc.date,
                            source=doc.source, url=doc.url, file_names=names, origins=item.origins,
                            n_chunks=len(item.pieces), state="pending", write_id=write_id)
            records.append(rec)
            for i, (start, end, text) in enumerate(item.pieces):
                batch.ids.append(f"{doc.doc_id}:{i}")
                batch.texts.append(text)
                batch.metadatas.append({
                    "doc_id": doc.doc_id, "file_name": names[0], "title": doc.title, "date": doc.date,
                    "date_ord": date_ord(doc.date), "source": doc.source, "url": doc.url,
                    "start": start, "end": end, "chunk_index": i, "write_id": write_id,
                })
        return records, batch, [item.doc.text for item in group]


@dataclass(frozen=True)
class _Planned:
    """A new document with all its origins and names, and its chunks (start, end, text)."""

    doc: Document
    origins: tuple[str, ...]
    names: tuple[str, ...]
    pieces: list[tuple[int, int, str]]


def _reason(e: BaseException) -> str:
    """A short, internals-free reason for a per-file failure."""
    if isinstance(e, RecursionError):
        return "nested too deeply"
    if isinstance(e, MemoryError):
        return "too large to process"
    return "unexpected content"


def _unreport(report: IngestReport, doc_id: str, names: list[str]) -> None:
    """Take back the entries of a document that turned out unusable."""
    if doc_id in report.doc_ids:
        report.doc_ids.remove(doc_id)
    for lst in (report.added, report.replaced, report.aliased):
        for n in names:
            if n in lst:
                lst.remove(n)
