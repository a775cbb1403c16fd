"""Newsdesk's one entry point and composition root.

    python app.py [serve]            UI (Gradio, at /) + HTTP API on --host/--port
    python app.py ingest PATH...     index files or folders
    python app.py ask "question"     answer once (--json for the full answer object)
    python app.py eval ...           score the pipeline on a question set

Settings are read once here (`Settings`, env prefix NEWSDESK_); every other module gets plain
constructor arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

from index.offline import enforce_offline

enforce_offline()

from assistant.settings import Settings  # noqa: E402


def build_assistant(settings: Settings, progress: bool | None = None, embedder: Any = None) -> Any:
    """Build store, embedder, retriever, answerers and the `Assistant` once, from `settings`
    (`embedder`: an already loaded one, for benchmarks comparing embedding backends)."""
    from assistant.answer import ExtractiveAnswerer
    from assistant.chat import Assistant
    from assistant.retrieve import Retriever
    from index.chunking import Chunker
    from index.embeddings import make_embedder
    from index.pipeline import Ingestor
    from index.store import ChromaStore, make_client

    embedder = embedder or make_embedder(settings.embedder, settings.model_cache)
    if settings.chroma_host:
        client = make_client(host=settings.chroma_host, port=settings.chroma_port,
                             ssl=settings.chroma_ssl, token=settings.chroma_token)
    else:
        client = make_client(path=settings.store)
    store = ChromaStore(client, settings.collection, embedder.name, embedder.dim)
    chunker = Chunker(max_tokens=settings.chunk_tokens, window_counter=embedder.count_window_tokens,
                      window=embedder.window)
    ingestor = Ingestor(store, embedder, chunker, batch_size=settings.embed_batch_size, progress=progress)
    cache_dir = None if settings.chroma_host else settings.store / "bm25"
    retriever = Retriever(store, embedder, cache_dir=cache_dir)
    llm = None
    if settings.llm_configured:
        from assistant.llm import build_llm_answerer

        llm = build_llm_answerer(settings, embedder)
    reader = spans = combiner = answerability = span_reader = None
    if settings.short_answers == "typed":
        from assistant.spans import SpanExtractor

        spans = SpanExtractor()
    if settings.reader == "learned" or (spans is not None and settings.span_reader):
        from assistant.reader import DEFAULT_MODEL_DIR, Reader

        span_reader = Reader(settings.reader_model or DEFAULT_MODEL_DIR)
    if settings.reader == "learned":
        from assistant.combine import Combiner

        reader = span_reader
        combiner = Combiner.load() if settings.combiner else None
    elif settings.answerability:
        from assistant.abstain import Answerability

        answerability = Answerability.load()
    answerer = ExtractiveAnswerer(embedder, reader=reader, spans=spans, combiner=combiner, answerability=answerability,
                                  span_reader=span_reader if settings.span_reader else None)
    return Assistant(store, embedder, ingestor, retriever, answerer, llm=llm,
                     top_k=settings.top_k, default_mode=settings.mode,
                     max_question_chars=settings.max_question_chars)


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "store", None):
        overrides["store"] = Path(args.store)
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    return Settings(**overrides)


def cmd_ingest(args: argparse.Namespace) -> int:
    settings = _settings(args)
    assistant = build_assistant(settings)
    report = assistant.ingestor.ingest_paths([Path(p) for p in args.paths], prune=args.prune,
                                             max_bytes=settings.max_file_bytes)
    assistant.retriever.invalidate()
    # Build and persist the BM25 index now, so `ask`/`serve` load it instead of the first question.
    assistant.retriever.warm()
    print(json.dumps(report.as_dict(), indent=2) if args.json else report.summary())
    return 0 if report.ok else 1


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.chat import QuestionError
    from assistant.types import Filters

    settings = _settings(args)
    assistant = build_assistant(settings)
    filters = Filters(sources=args.source or [], date_from=args.date_from, date_to=args.date_to,
                      doc_ids=args.doc_id or [])
    try:
        answer = assistant.ask(args.question, history=args.history or [], filters=filters,
                               top_k=args.k, mode=args.mode)
    except QuestionError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(answer.model_dump_json(indent=2))
        return 0
    if answer.notice:
        print(f"note: {answer.notice}")
    print(answer.answer)
    print()
    for c in answer.citations:
        meta = ", ".join(x for x in (c.title, c.date, c.source) if x)
        print(f"[{c.n}] {c.file_name} ({meta}) chars {c.start}-{c.end}: \"{c.quote}\"")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    # Gradio's upload folder (uploads, and the only files a UI event may name): private to this
    # server (mode 0700, removed at exit) unless GRADIO_TEMP_DIR is set, not a shared /tmp/gradio
    # where another local user could plant files or links. Set before gradio is imported.
    if not os.environ.get("GRADIO_TEMP_DIR"):
        import atexit
        import shutil
        import tempfile

        upload_dir = tempfile.mkdtemp(prefix="newsdesk-gradio-")
        os.environ["GRADIO_TEMP_DIR"] = upload_dir
        atexit.register(shutil.rmtree, upload_dir, True)

    from assistant.api import build_api
    from assistant.ui import mount_ui

    settings = _settings(args)
    assistant = build_assistant(settings)
    if assistant.store.is_empty() and settings.samples_dir.is_dir():
        report = assistant.ingestor.ingest_paths([settings.samples_dir])
        assistant.retriever.invalidate()
        print(f"first run: indexed the sample articles ({report.summary().splitlines()[0]})")
    threading.Thread(target=assistant.retriever.warm, name="bm25-warm-up", daemon=True).start()
    app = mount_ui(build_api(assistant, settings), assistant, settings)
    print(f"Newsdesk on http://{settings.host}:{settings.port}/ (API docs at /docs)"
          + ("; log in with the API token" if settings.resolved_api_token() else ""))
    if not settings.trusted_hosts and settings.host in ("0.0.0.0", "::", "[::]"):
        print("note: only Host headers localhost/127.0.0.1/[::1] are answered; set NEWSDESK_TRUSTED_HOSTS "
              "to the names clients use", file=sys.stderr)
    # No access log (it would hold every URL); uvicorn's `server` header off.
    # Open browser tabs hold Gradio's event streams open: without a bound on the graceful shutdown,
    # SIGTERM/Ctrl-C would wait until every tab is closed. After 3 s the streams are cancelled.
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False,
                server_header=False, timeout_graceful_shutdown=3)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.evaluate import run_eval_cli

    return int(run_eval_cli(args, _settings(args), build_assistant))


def cmd_convert(args: argparse.Namespace) -> int:
    from assistant.convert import run_convert_cli

    return run_convert_cli(args)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="app.py", description="Newsdesk: cited answers over news articles")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", help="data folder of the embedded Chroma store (env NEWSDESK_STORE)")
    sub = p.add_subparsers(dest="command")

    s = sub.add_parser("serve", parents=[common], help="run the browser UI and the HTTP API (default)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.set_defaults(func=cmd_serve)

    i = sub.add_parser("ingest", parents=[common], help="index files or folders")
    i.add_argument("paths", nargs="+")
    i.add_argument("--prune", action="store_true", help="remove documents whose files under PATHS are gone")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_ingest)

    a = sub.add_parser("ask", parents=[common], help="answer one question")
    a.add_argument("question")
    a.add_argument("--history", action="append", help="an earlier question of the chat (repeatable)")
    a.add_argument("--source", action="append", help="only this publisher (repeatable)")
    a.add_argument("--date-from")
    a.add_argument("--date-to")
    a.add_argument("--doc-id", action="append")
    a.add_argument("--k", type=int)
    a.add_argument("--mode", choices=["extractive", "llm"])
    a.add_argument("--json", action="store_true", help="print the full answer object")
    a.set_defaults(func=cmd_ask)

    e = sub.add_parser("eval", parents=[common], help="score the pipeline on a question set")
    from assistant.evaluate import add_eval_arguments

    add_eval_arguments(e)
    e.set_defaults(func=cmd_eval)

    c = sub.add_parser("convert", help="public QA data (SQuAD 2.0, CLAPNQ) → an eval question set and corpus")
    from assistant.convert import add_convert_arguments

    add_convert_arguments(c)
    c.set_defaults(func=cmd_convert)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = parser()
    args = p.parse_args(argv or ["serve"])
    if args.command is None:  # only global options given
        args = p.parse_args(["serve", *argv])
    try:
        return int(args.func(args))
    except Exception as e:  # friendly message for known failures, no traceback
        from assistant.combine import CombinerModelError
        from assistant.reader import ReaderModelError
        from assistant.spans import ModelIntegrityError
        from index.embeddings import EmbeddingModelError
        from index.store import StoreMismatchError, StoreUnavailableError

        if isinstance(e, StoreMismatchError | StoreUnavailableError | EmbeddingModelError | ReaderModelError
                      | ModelIntegrityError | CombinerModelError):
            print(f"error: {e}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
