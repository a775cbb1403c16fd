"""A plain llama-index pipeline to compare against: the reference point of `app.py eval --baseline`.

`VectorStoreIndex` over its own Chroma collection (`ChromaVectorStore`), the same embedding model
(through `index.embeddings.as_llama_index`), llama-index's default `SentenceSplitter` at the
project's chunk size, top-k dense retrieval on the question alone (no history, no dates, no BM25).

Only the title is metadata meant as text. Everything else (file name, doc_id, date, source, url)
is listed in both `excluded_embed_metadata_keys` and `excluded_llm_metadata_keys`: the splitter's
metadata-aware size (`MetadataAwareTextSplitter._get_metadata_str` in llama-index-core 0.14 counts
the longer of the EMBED and LLM metadata strings against `chunk_size`) then only subtracts the
title, so the chunks keep their text budget instead of being filled by identifiers and URLs.
The answer is the top passage's text; its citation is that passage with the node's own
`start_char_idx`/`end_char_idx` (checked by the scorer like any other citation). It abstains only
when nothing is retrieved. No LLM is involved: the embedding model is passed explicitly and no
query engine is built, so llama-index never reaches for its OpenAI defaults.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from assistant.types import Answer, Citation, Passage
from index.embeddings import Embedder, as_llama_index
from index.loaders import Document

TEXT_METADATA = ("title",)
ID_METADATA = ("file_name", "doc_id", "date", "source", "url")


class BaselinePipeline:
    def __init__(self, client: Any, documents: Sequence[Document], embedder: Embedder, chunk_tokens: int = 160,
                 collection: str = "baseline_llama_index") -> None:
        from llama_index.core import Document as LIDocument
        from llama_index.core import StorageContext, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.vector_stores.chroma import ChromaVectorStore

        coll = client.get_or_create_collection(collection, configuration={"hnsw": {"space": "cosine"}},
                                               embedding_function=None)
        store = ChromaVectorStore(chroma_collection=coll)
        docs = [
            LIDocument(text=d.text, metadata={"file_name": d.file_name, "doc_id": d.doc_id, "title": d.title,
                                              "date": d.date, "source": d.source, "url": d.url},
                       excluded_embed_metadata_keys=list(ID_METADATA), excluded_llm_metadata_keys=list(ID_METADATA))
            for d in documents
        ]
        self._index = VectorStoreIndex.from_documents(
            docs,
            storage_context=StorageContext.from_defaults(vector_store=store),
            embed_model=as_llama_index(embedder),
            transformations=[SentenceSplitter(chunk_size=chunk_tokens, chunk_overlap=min(20, chunk_tokens // 4))],
        )

    def ask(self, question: str, top_k: int = 5) -> Answer:
        started = time.perf_counter()
        nodes = self._index.as_retriever(similarity_top_k=top_k).retrieve(question)
        passages: list[Passage] = []
        for hit in nodes:
            node: Any = hit.node
            meta = node.metadata or {}
            start = node.start_char_idx if node.start_char_idx is not None else -1
            end = node.end_char_idx if node.end_char_idx is not None else -1
            passages.append(Passage(
                chunk_id=str(node.node_id), doc_id=str(meta.get("doc_id", "")),
                file_name=str(meta.get("file_name", "")), title=str(meta.get("title", "")),
                date=str(meta.get("date", "")), source=str(meta.get("source", "")), url=str(meta.get("url", "")),
                start=int(start), end=int(end), text=node.get_content(), score=float(hit.score or 0.0),
            ))
        citations: list[Citation] = []
        text = ""
        if passages:
            top = passages[0]
            text = f"{top.text} [1]"
            citations.append(Citation(
                n=1, doc_id=top.doc_id, file_name=top.file_name, title=top.title, date=top.date,
                source=top.source, url=top.url, quote=top.text, start=top.start, end=top.end, score=top.score,
            ))
        return Answer(question=question, answer=text, abstained=not passages, citations=citations,
                      passages=passages, mode="baseline",
                      latency_ms=round((time.perf_counter() - started) * 1000, 1))
