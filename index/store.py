"""Chroma: the chunk collection (vectors + text + metadata) and a document registry.

Two collections per store:
* `<name>`: one record per chunk, id `<doc_id>:<index>`, cosine space, metadata with the article's
  metadata plus `start`/`end` offsets. The collection metadata records the embedding model and
  dimension; opening it with another model raises `StoreMismatchError`.
* `<name>_docs`: one record per document (full text as the document, a 1-d placeholder vector),
  with `state` = `pending` while its chunks are written, `complete` after, and `deleting` while
  it is removed. Readers only trust complete documents, so a crash mid-write never exposes half a
  document.

Several processes may write to one Chroma server at once (Chroma has no transactions), so every
`pending`/`deleting` marker carries its writer (`owner`, one per `ChromaStore`), a lease
(`lease_until`, epoch seconds) and the `write_id` that its chunks carry too. `repair()` clears only
markers that are this store's own or whose lease expired, and deletes only the chunks of that
write (chunks first, then the registry entry, so a crash in between leaves a marker that the next
repair finds, never orphan chunks). A writer checks its documents after marking them complete
(`damaged()`) and writes again what another process removed meanwhile.

Every write is split into batches of at most the server's maximum batch size.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

T = TypeVar("T")
READ_PAGE = 20_000
# How long another process leaves a `pending`/`deleting` marker alone. One group of chunks takes
# seconds to write; the lease only has to outlast that by a wide margin (and clock skew between hosts).
LEASE_SECONDS = 900.0
MARKER_STATES = ("pending", "deleting")


class StoreMismatchError(RuntimeError):
    """The collection holds vectors from a different embedding model."""


class StoreUnavailableError(RuntimeError):
    """The Chroma server cannot be reached."""


@dataclass(frozen=True)
class DocRecord:
    doc_id: str
    file_name: str
    title: str = ""
    date: str = ""
    source: str = ""
    url: str = ""
    file_names: tuple[str, ...] = ()
    origins: tuple[str, ...] = ()
    n_chunks: int = 0
    state: str = "complete"
    text: str | None = None
    write_id: str = ""  # the write that stored this version's chunks (they carry it too)
    owner: str = ""  # the writer holding a pending/deleting marker
    lease_until: float = 0.0  # epoch seconds; others may clear the marker after this

    def metadata(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "title": self.title,
            "date": self.date,
            "date_ord": date_ord(self.date),
            "source": self.source,
            "url": self.url,
            "file_names": json.dumps(list(self.file_names)),
            "origins": json.dumps(list(self.origins)),
            "n_chunks": self.n_chunks,
            "state": self.state,
            "write_id": self.write_id,
            "owner": self.owner,
            "lease_until": float(self.lease_until),
        }

    @classmethod
    def from_chroma(cls, doc_id: str, meta: dict[str, Any], text: str | None = None) -> DocRecord:
        return cls(
            doc_id=doc_id,
            file_name=str(meta.get("file_name", "")),
            title=str(meta.get("title", "")),
            date=str(meta.get("date", "")),
            source=str(meta.get("source", "")),
            url=str(meta.get("url", "")),
            file_names=tuple(json.loads(str(meta.get("file_names") or "[]"))),
            origins=tuple(json.loads(str(meta.get("origins") or "[]"))),
            n_chunks=int(meta.get("n_chunks", 0) or 0),
            state=str(meta.get("state", "complete")),
            text=text,
            write_id=str(meta.get("write_id") or ""),
            owner=str(meta.get("owner") or ""),
            lease_until=float(meta.get("lease_until") or 0.0),
        )


@dataclass(frozen=True)
class ChunkHit:
    chunk_id: str
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity for dense hits


@dataclass
class ChunkBatch:
    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    metadatas: list[dict[str, Any]] = field(default_factory=list)


def _unreachable(e: Exception) -> bool:
    """A transport failure (server down, refused, TLS), as opposed to a bad request."""
    import httpx

    return isinstance(e, httpx.TransportError | ConnectionError) or "connect" in type(e).__name__.lower()


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Turn a lost connection to a Chroma server into `StoreUnavailableError` with a clear message."""

    @functools.wraps(method)
    def wrapper(self: ChromaStore, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except StoreUnavailableError:
            raise
        except Exception as e:
            if _unreachable(e):
                raise StoreUnavailableError(
                    f"The Chroma store is unreachable ({type(e).__name__}: {e}). Check that the server is "
                    "running (CHROMA_HOST/CHROMA_PORT) and try again."
                ) from e
            raise

    return wrapper


def date_ord(iso: str) -> int:
    """`2026-02-05` → 20260205 (0 when unknown), for numeric range filters in Chroma."""
    return int(iso.replace("-", "")[:8]) if len(iso) >= 10 else 0


def make_client(path: Path | None = None, host: str | None = None, port: int = 8000,
                ssl: bool = False, token: str | None = None) -> Any:
    """Persistent client on `path`, or an HTTP client when `host` is given. Telemetry is off."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    cfg = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if host:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        try:
            return chromadb.HttpClient(host=host, port=port, ssl=ssl, headers=headers, settings=cfg)
        except Exception as e:
            raise StoreUnavailableError(f"Cannot reach the Chroma server at {host}:{port}: {e}") from e
    if path is None:
        raise ValueError("either a store path or a Chroma host is needed")
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=cfg)


def new_write_id() -> str:
    """A fresh id for one write of one document's chunks."""
    return secrets.token_hex(8)


def _write_filter(doc_id: str, write_id: str) -> dict[str, Any]:
    """Chunks of `doc_id` stored by `write_id` (all of its chunks for records written before write ids)."""
    if not write_id:
        return {"doc_id": doc_id}
    return {"$and": [{"doc_id": doc_id}, {"write_id": write_id}]}


class ChromaStore:
    def __init__(self, client: Any, name: str, embed_model: str, embed_dim: int,
                 lease_seconds: float = LEASE_SECONDS) -> None:
        self.client = client
        self.name = name
        self.embed_model = embed_model
        self.embed_dim = embed_dim
        self.lease_seconds = lease_seconds
        # This writer, as named in its markers: unique per store object, also across hosts.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        try:
            self.chunks = client.get_or_create_collection(
                name,
                metadata={"embed_model": embed_model, "embed_dim": embed_dim},
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
            self.docs = client.get_or_create_collection(f"{name}_docs", embedding_function=None)
        except Exception as e:
            if "connect" in str(e).lower():
                raise StoreUnavailableError(f"Cannot reach the Chroma store: {e}") from e
            raise
        meta = self.chunks.metadata or {}
        if meta.get("embed_model") != embed_model or int(meta.get("embed_dim", embed_dim)) != embed_dim:
            raise StoreMismatchError(
                f"The store's collection '{name}' was built with embedding model "
                f"{meta.get('embed_model')!r} (dim {meta.get('embed_dim')}), but this run uses "
                f"{embed_model!r} (dim {embed_dim}). Re-index into a new store (--store NEWDIR) "
                "or delete the old one; vectors from different models cannot be mixed."
            )
        self._max_batch = int(client.get_max_batch_size()) if hasattr(client, "get_max_batch_size") else 5000
        # Reads page by READ_PAGE records: larger pages list 100k chunks 1.5x faster than write-sized
        # ones (each page re-scans up to its offset); SQLite allows at most 32,766 variables a query.
        self._read_page = READ_PAGE

    # -- health ------------------------------------------------------------------------------
    def heartbeat(self) -> bool:
        try:
            self.client.heartbeat()
            return True
        except Exception:
            return False

    # -- documents ---------------------------------------------------------------------------
    def lease(self) -> float:
        """The `lease_until` of a marker written now."""
        return time.time() + self.lease_seconds

    @_guarded
    def put_documents(self, recs: Sequence[DocRecord], texts: Sequence[str]) -> list[DocRecord]:
        """Register documents (full text, metadata), in as few writes as the batch limit allows.
        `pending` records are stamped with this writer and a fresh lease; returns what was written."""
        until = self.lease()
        stamped = [replace(r, owner=self.owner, lease_until=until) if r.state in MARKER_STATES else r
                   for r in recs]
        step = self._max_batch
        for i in range(0, len(stamped), step):
            part = stamped[i : i + step]
            self.docs.upsert(ids=[r.doc_id for r in part], embeddings=[[1.0]] * len(part),
                             documents=list(texts[i : i + step]),
                             metadatas=[replace(r, text=None).metadata() for r in part])
        return stamped

    @_guarded
    def set_states(self, recs: Sequence[DocRecord], state: str) -> list[DocRecord]:
        """Move documents to `state` (`pending` → `complete`), in batches."""
        new = [replace(r, state=state, text=None) for r in recs]
        step = self._max_batch
        for i in range(0, len(new), step):
            part = new[i : i + step]
            self.docs.update(ids=[r.doc_id for r in part], metadatas=[r.metadata() for r in part])
        self._bump()
        return new

    @_guarded
    def update_documents(self, recs: Sequence[DocRecord]) -> None:
        """Metadata of existing documents (names, origins), in batches."""
        for i in range(0, len(recs), self._max_batch):
            part = recs[i : i + self._max_batch]
            self.docs.update(ids=[r.doc_id for r in part], metadatas=[replace(r, text=None).metadata() for r in part])
        if recs:
            self._bump()

    @_guarded
    def get_document(self, doc_id: str, with_text: bool = True) -> DocRecord | None:
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        got = self.docs.get(ids=[doc_id], include=include)
        if not got["ids"]:
            return None
        text = got["documents"][0] if with_text and got.get("documents") else None
        return DocRecord.from_chroma(got["ids"][0], got["metadatas"][0], text)

    @_guarded
    def list_documents(self, states: Sequence[str] = ("complete",)) -> list[DocRecord]:
        out: list[DocRecord] = []
        offset = 0
        while True:
            got = self.docs.get(include=["metadatas"], limit=self._read_page, offset=offset)
            for i, m in zip(got["ids"], got["metadatas"], strict=True):
                rec = DocRecord.from_chroma(i, m)
                if rec.state in states:
                    out.append(rec)
            if len(got["ids"]) < self._read_page:
                return out
            offset += self._read_page

    @_guarded
    def delete_document(self, doc_id: str) -> bool:
        """Hide the document (marker `deleting`, owned by this writer), remove all its chunks, then
        its registry entry. A crash in between leaves the marker, which `repair()` finishes.
        (Deleting a text while another process adds the same text again is last-come-wins.)"""
        got = self.docs.get(ids=[doc_id], include=["metadatas"])
        if not got["ids"]:
            return False
        rec = DocRecord.from_chroma(doc_id, got["metadatas"][0])
        marker = replace(rec, state="deleting", owner=self.owner, lease_until=self.lease())
        self.docs.update(ids=[doc_id], metadatas=[marker.metadata()])
        self._bump()
        self.chunks.delete(where={"doc_id": doc_id})
        self._delete_marker(marker)
        self._bump()
        return rec.state == "complete"

    def _delete_marker(self, rec: DocRecord) -> None:
        """The registry entry of `rec`, unless another write replaced it meanwhile."""
        if rec.write_id:
            self.docs.delete(ids=[rec.doc_id], where={"write_id": rec.write_id})
        else:
            self.docs.delete(ids=[rec.doc_id])

    def _stale(self, rec: DocRecord, now: float) -> bool:
        return rec.owner == self.owner or rec.lease_until < now

    @_guarded
    def repair(self) -> list[str]:
        """Finish what a crashed (or timed-out) writer left: for `pending`/`deleting` markers that
        are this writer's own or whose lease expired, delete that write's chunks, then the marker.
        Markers of live writers are left alone. Returns the repaired document ids."""
        got = self.docs.get(where={"state": {"$in": list(MARKER_STATES)}}, include=["metadatas"])
        now = time.time()
        stale = [r for r in (DocRecord.from_chroma(i, m) for i, m in zip(got["ids"], got["metadatas"], strict=True))
                 if self._stale(r, now)]
        for rec in stale:
            self.chunks.delete(where={"doc_id": rec.doc_id} if rec.state == "deleting"
                               else _write_filter(rec.doc_id, rec.write_id))
            self._delete_marker(rec)
        if stale:
            self._bump()
        return [r.doc_id for r in stale]

    @_guarded
    def damaged(self, recs: Sequence[DocRecord]) -> list[DocRecord]:
        """Those of `recs` (just marked complete) that are not complete with all their chunks now,
        because another process's repair or delete removed part of them meanwhile."""
        if not recs:
            return []
        ids = [r.doc_id for r in recs]
        state: dict[str, str] = {}
        counts: dict[str, int] = {}
        step = max(1, min(self._max_batch, 500))
        for i in range(0, len(ids), step):
            part = ids[i : i + step]
            got = self.docs.get(ids=part, include=["metadatas"])
            state.update({d: str(m.get("state")) for d, m in zip(got["ids"], got["metadatas"], strict=True)})
            chunks = self.chunks.get(where={"doc_id": {"$in": part}}, include=["metadatas"])
            for m in chunks["metadatas"]:
                counts[str(m["doc_id"])] = counts.get(str(m["doc_id"]), 0) + 1
        return [r for r in recs if state.get(r.doc_id) != "complete" or counts.get(r.doc_id, 0) != r.n_chunks]

    # -- chunks ------------------------------------------------------------------------------
    @_guarded
    def upsert_chunks(self, batch: ChunkBatch, embeddings: NDArray[np.float32]) -> None:
        step = self._max_batch
        for i in range(0, len(batch.ids), step):
            self.chunks.upsert(
                ids=batch.ids[i : i + step],
                embeddings=embeddings[i : i + step],
                documents=batch.texts[i : i + step],
                metadatas=batch.metadatas[i : i + step],
            )

    @_guarded
    def count_chunks(self) -> int:
        return int(self.chunks.count())

    @_guarded
    def is_empty(self) -> bool:
        """No document at all (complete or pending), without listing them."""
        return int(self.docs.count()) == 0

    @_guarded
    def query(self, embedding: NDArray[np.float32], n: int, where: dict[str, Any] | None = None) -> list[ChunkHit]:
        if n <= 0:
            return []
        got = self.chunks.query(
            query_embeddings=[embedding], n_results=n, where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            ChunkHit(cid, text, dict(meta), 1.0 - float(dist))
            for cid, text, meta, dist in zip(
                got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0], strict=True
            )
        ]

    @_guarded
    def get_chunks(self, ids: Sequence[str]) -> list[ChunkHit]:
        if not ids:
            return []
        got = self.chunks.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {
            cid: ChunkHit(cid, text, dict(meta), 0.0)
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        }
        return [by_id[i] for i in ids if i in by_id]

    def iter_chunks(self, batch_size: int | None = None) -> Iterator[ChunkHit]:
        """Every chunk (text and metadata), page by page; memory stays bounded by one page."""
        step = batch_size or self._read_page
        offset = 0
        while True:
            got = self.chunks.get(include=["documents", "metadatas"], limit=step, offset=offset)
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                yield ChunkHit(cid, text, dict(meta), 0.0)
            if len(got["ids"]) < step:
                return
            offset += step

    @_guarded
    def version(self) -> str:
        """Changes whenever documents are added or removed (for caches such as BM25): a generation
        that every write sets to a new random value, read from the registry's collection metadata
        (one small request, whatever the collection's size), plus the chunk count."""
        meta = self.client.get_collection(f"{self.name}_docs").metadata or {}
        return f"g{meta.get('generation', 0)}-{self.count_chunks()}"

    def _bump(self) -> None:
        """Mark a change for readers' caches (see `version`). A new random value rather than a
        counter: two processes bumping at once may overwrite each other, but the value still changes."""
        meta = dict(self.client.get_collection(f"{self.name}_docs").metadata or {})
        meta["generation"] = secrets.token_hex(6)
        self.docs.modify(metadata=meta)

