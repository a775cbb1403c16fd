"""Files → documents with normalized metadata.

Contract:
* `Document.text` is the article text exactly as kept for citations (for `.txt`: the file's text,
  UTF-8, universal newlines); citation offsets index into it.
* `doc_id` is a content hash of the normalized text (NFC, white space collapsed), so identical
  articles under two names share one id.
* Bad input never raises: each bad file (or JSON line) becomes a `Skipped` with the file, the line
  where it applies, and the reason; the rest of the batch loads. That holds for any exception while
  loading one file (a `RecursionError` from deeply nested JSON, a `MemoryError` on a huge line, a
  parser's own error): the file (or JSON line) is skipped with a short reason, the details logged.
* File names that become metadata (`file_name`) are display names, sanitised by
  `safe_file_name`: no path, no control characters or line breaks, no lone surrogates, bounded length.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl")
MAX_NAME_CHARS = 200
MANIFEST = "manifest.jsonl"
_META_FIELDS = ("title", "date", "source", "url")


@dataclass(frozen=True)
class Document:
    doc_id: str
    text: str
    file_name: str
    title: str = ""
    date: str = ""
    source: str = ""
    url: str = ""
    # Where it came from: an absolute path (with `#L<n>` for a JSON Lines record), or `upload:<name>`.
    origin: str = ""


@dataclass(frozen=True)
class Skipped:
    file: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.reason}"


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def safe_file_name(name: str, fallback: str = "upload") -> str:
    """A display name from an untrusted file name: its last path component (either slash), without
    control/format characters (newlines, NUL, bidi overrides), lone surrogates or surrounding white
    space, at most MAX_NAME_CHARS characters (the extension kept); `fallback` when nothing is left."""
    text = str(name).encode("utf-8", "replace").decode("utf-8")  # lone surrogates become '?'
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = " ".join(text.split())
    if text in ("", ".", ".."):
        return fallback
    if len(text) > MAX_NAME_CHARS:
        _, dot, ext = text.rpartition(".")
        ext = dot + ext if dot and len(ext) <= 10 else ""
        text = text[: MAX_NAME_CHARS - len(ext)].rstrip() + ext
    return text


def _failure(e: BaseException) -> str:
    """The reason given for a file that raised while loading: short, without internals."""
    if isinstance(e, RecursionError):
        return "could not be read: nested too deeply"
    if isinstance(e, MemoryError):
        return "could not be read: too large to process"
    return "could not be read: unexpected content"


def normalize_for_id(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def make_doc_id(text: str) -> str:
    return hashlib.sha256(normalize_for_id(text).encode("utf-8")).hexdigest()[:20]


def normalize_date(value: Any) -> str:
    """Any reasonable date spelling → ISO `YYYY-MM-DD`; '' when absent or unparseable."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        pass
    import dateparser

    parsed = dateparser.parse(text, settings={"PREFER_DAY_OF_MONTH": "first", "RETURN_AS_TIMEZONE_AWARE": False})
    return parsed.date().isoformat() if parsed else ""


_BOILERPLATE = re.compile(r"^(share|subscribe|advertisement|sign up|follow us)\b|@|https?://|www\.", re.IGNORECASE)


def title_from_text(text: str) -> str:
    """The first line that reads like a headline: not a share/subscribe line, handle or link."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line and not _BOILERPLATE.search(line) and len(line.split()) >= 2:
            return line[:120] + ("…" if len(line) > 120 else "")
    return ""


def _make(text: str, file_name: str, origin: str, meta: dict[str, Any]) -> Document:
    return Document(
        doc_id=make_doc_id(text),
        text=text,
        file_name=file_name,
        title=str(meta.get("title") or "").strip() or title_from_text(text),
        date=normalize_date(meta.get("date") or meta.get("published") or meta.get("published_at")),
        source=str(meta.get("source") or meta.get("publisher") or "").strip(),
        url=str(meta.get("url") or meta.get("link") or "").strip(),
        origin=origin,
    )


def read_manifest(folder: Path) -> tuple[dict[str, dict[str, Any]], list[Skipped]]:
    path = folder / MANIFEST
    entries: dict[str, dict[str, Any]] = {}
    problems: list[Skipped] = []
    if not path.is_file():
        return entries, problems
    for no, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(Skipped(str(path), f"malformed JSON in manifest: {e.msg}", no))
            continue
        except Exception as e:  # RecursionError on deep nesting: this line only
            problems.append(Skipped(str(path), _failure(e), no))
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("file"), str):
            problems.append(Skipped(str(path), 'manifest line needs an object with a "file" name', no))
            continue
        entries[rec["file"]] = rec
    return entries, problems


def _decode(raw: bytes, name: str) -> str:
    """UTF-8 (a BOM is dropped) with universal newlines; raises ValueError for binary or bad UTF-8."""
    if b"\x00" in raw[:8192]:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(f"not valid UTF-8 (byte {e.start}: {raw[e.start:e.start + 1]!r})") from e
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _html_text(html: str) -> tuple[str, dict[str, Any]]:
    """Article text and metadata from HTML: trafilatura drops navigation, scripts and styles."""
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_recall=True) or ""
    meta: dict[str, Any] = {}
    md = trafilatura.extract_metadata(html)
    if md is not None:
        meta = {"title": md.title or "", "date": md.date or "", "source": md.sitename or "", "url": md.url or ""}
    return text.strip(), meta


def load_bytes(raw: bytes, name: str, origin: str, meta: dict[str, Any] | None = None) -> LoadResult:
    """Load one file's content (also used for uploads). `name` decides the format by extension.
    Never raises: any failure skips the file with its reason."""
    try:
        return _load_bytes(raw, name, origin, meta)
    except Exception as e:  # RecursionError and MemoryError included
        log.warning("loading %s failed", safe_file_name(name), exc_info=True)
        return LoadResult(skipped=[Skipped(name, _failure(e))])


def _load_bytes(raw: bytes, name: str, origin: str, meta: dict[str, Any] | None) -> LoadResult:
    result = LoadResult()
    meta = dict(meta or {})
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        result.skipped.append(Skipped(name, f"unsupported extension {suffix or '(none)'}; supported: {', '.join(SUPPORTED)}"))
        return result
    try:
        text = _decode(raw, name)
    except ValueError as e:
        result.skipped.append(Skipped(name, str(e)))
        return result
    if not text.strip():
        result.skipped.append(Skipped(name, "empty file"))
        return result
    if suffix in (".json", ".jsonl"):
        return _load_records(text, name, origin, meta, jsonl=suffix == ".jsonl")
    if suffix in (".md", ".markdown"):
        import frontmatter

        try:
            post = frontmatter.loads(text)
        except Exception as e:  # yaml errors come in several types
            result.skipped.append(Skipped(name, f"invalid YAML front matter: {e}"))
            return result
        front = {k: v for k, v in post.metadata.items() if k in _META_FIELDS}
        meta = {**front, **{k: v for k, v in meta.items() if v}}
        text = post.content
    elif suffix in (".html", ".htm"):
        text, html_meta = _html_text(text)
        meta = {**{k: v for k, v in html_meta.items() if v}, **{k: v for k, v in meta.items() if v}}
    if not text.strip():
        result.skipped.append(Skipped(name, "no article text found"))
        return result
    result.documents.append(_make(text, safe_file_name(name, "document"), origin, meta))
    return result


def _load_records(text: str, name: str, origin: str, meta: dict[str, Any], jsonl: bool) -> LoadResult:
    result = LoadResult()
    records: list[tuple[int, Any]] = []
    if jsonl:
        for no, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                records.append((no, json.loads(line)))
            except json.JSONDecodeError as e:
                result.skipped.append(Skipped(name, f"malformed JSON: {e.msg}", no))
            except Exception as e:  # RecursionError (deep nesting), MemoryError: this line only
                result.skipped.append(Skipped(name, _failure(e), no))
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            result.skipped.append(Skipped(name, f"malformed JSON: {e.msg}", e.lineno))
            return result
        items = data if isinstance(data, list) else [data]
        records = [(0, item) for item in items]
    for no, rec in records:
        line_no = no or None
        try:
            doc = _record(rec, name, origin, meta, no, len(result.documents))
        except Exception as e:  # a record that defeats the loader costs only itself
            result.skipped.append(Skipped(name, _failure(e), line_no))
            continue
        if isinstance(doc, str):
            result.skipped.append(Skipped(name, doc, line_no))
        else:
            result.documents.append(doc)
    return result


def _record(rec: Any, name: str, origin: str, meta: dict[str, Any], no: int, index: int) -> Document | str:
    """One JSON record (line `no`, or the `index`-th record of a .json file when `no` is 0) as a
    Document, or the reason it is skipped."""
    if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
        return 'record needs a string "text" field'
    body = rec["text"].replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip():
        return "record has empty text"
    fallback = f"{safe_file_name(name, 'records')}#{no or index + 1}"
    rec_name = safe_file_name(str(rec.get("file_name") or rec.get("id") or fallback), fallback)
    rec_meta = {**meta, **{k: rec.get(k) for k in (*_META_FIELDS, "published", "publisher", "link") if rec.get(k)}}
    suffix = f"#L{no}" if no else f"#{index}"
    return _make(body, rec_name, origin + suffix, rec_meta)


def iter_files(paths: Iterable[Path]) -> Iterable[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file() and f.name != MANIFEST and not f.name.startswith("."))
        else:
            yield p


def load_paths(paths: Iterable[Path], max_bytes: int = 5_000_000) -> LoadResult:
    """Load files and folders (recursively). Manifests beside files supply their metadata."""
    result = LoadResult()
    manifests: dict[Path, dict[str, dict[str, Any]]] = {}
    for path in iter_files(paths):
        folder = path.parent.resolve()
        if folder not in manifests:
            manifests[folder], problems = read_manifest(folder)
            result.skipped.extend(problems)
        if not path.exists():
            result.skipped.append(Skipped(str(path), "no such file or folder"))
            continue
        try:
            size = path.stat().st_size
            if size > max_bytes:
                result.skipped.append(Skipped(str(path), f"file is {size:,} bytes, over the limit of {max_bytes:,} (NEWSDESK_MAX_FILE_BYTES)"))
                continue
            raw = path.read_bytes()
        except OSError as e:
            result.skipped.append(Skipped(str(path), f"unreadable: {e.strerror or e}"))
            continue
        loaded = load_bytes(raw, str(path), str(path.resolve()), manifests[folder].get(path.name))
        result.documents.extend(loaded.documents)
        result.skipped.extend(loaded.skipped)
    return result
