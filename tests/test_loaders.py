"""Loaders: each format, front matter, manifest, and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.loaders import load_bytes, load_paths, make_doc_id, normalize_date
from tests.conftest import SAMPLES


def test_samples_load_with_metadata():
    result = load_paths([SAMPLES])
    assert result.skipped == []
    by_name = {d.file_name: d for d in result.documents}
    bridge = by_name["harbour-bridge-reopens.txt"]
    assert bridge.date == "2026-03-02" and bridge.source == "Sample Courier"
    assert bridge.title == "Port Alder harbour bridge reopens after repairs"
    assert bridge.text == (SAMPLES / "harbour-bridge-reopens.txt").read_text(encoding="utf-8")
    orchard = by_name["orchard-cooperative.md"]  # YAML front matter
    assert orchard.date == "2025-10-03" and orchard.source == "Sample Gazette"
    assert orchard.url.endswith("/orchard") and "---" not in orchard.text
    robot = by_name["library-robot.html"]  # article text only, no nav/script/footer
    assert "Pim reads picture books" in robot.text
    assert "tracking" not in robot.text and "Home" not in robot.text.split("\n")[0]
    assert robot.title.startswith("City library lends")
    assert robot.date == "2026-01-14"
    wire = [d for d in result.documents if d.origin.endswith(("#L1", "#L2"))]
    assert len(wire) == 2 and all(d.source == "Sample Wire" for d in wire)


def test_txt_keeps_text_exactly_with_universal_newlines(tmp_path: Path):
    f = tmp_path / "a.txt"
    f.write_bytes("First line.\r\nSecond — line.\rThird.\n".encode())
    doc = load_paths([f]).documents[0]
    assert doc.text == "First line.\nSecond — line.\nThird.\n"
    assert doc.title == "First line."


def test_title_skips_share_lines(tmp_path: Path):
    f = tmp_path / "a.txt"
    f.write_text("Share this @example.invalid\nFerry strike ends after pay deal\nBody text here.", encoding="utf-8")
    assert load_paths([f]).documents[0].title == "Ferry strike ends after pay deal"


def test_doc_id_is_content_hash_of_normalized_text():
    assert make_doc_id("a  b\n c") == make_doc_id("a b c")
    assert make_doc_id("a b c") != make_doc_id("a b d")


def test_normalize_date_variants():
    assert normalize_date("2026-02-05") == "2026-02-05"
    assert normalize_date("5 February 2026") == "2026-02-05"
    assert normalize_date("") == "" and normalize_date(None) == ""
    assert normalize_date("not a date at all") == ""


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\n ", "empty file"),
        ("bin.txt", b"abc\x00\x01\x02", "binary file"),
        ("latin.txt", "caf\u00e9".encode("latin-1"), "not valid UTF-8"),
        ("notes.pdf", b"%PDF-1.4", "unsupported extension .pdf"),
        ("bad.md", b"---\ntitle: [unclosed\n---\nbody", "invalid YAML front matter"),
        ("nothing.html", b"<html><script>x()</script></html>", "no article text"),
    ],
)
def test_bad_input_is_skipped_with_reason(tmp_path: Path, name: str, content: bytes, reason: str):
    f = tmp_path / name
    f.write_bytes(content)
    good = tmp_path / "good.txt"
    good.write_text("A sample sentence about a bridge.", encoding="utf-8")
    result = load_paths([tmp_path])
    assert [d.file_name for d in result.documents] == ["good.txt"]
    assert len(result.skipped) == 1
    assert reason in result.skipped[0].reason and name in result.skipped[0].file


def test_size_limit_names_the_limit(tmp_path: Path):
    f = tmp_path / "big.txt"
    f.write_text("word " * 100, encoding="utf-8")
    result = load_paths([f], max_bytes=50)
    assert result.documents == []
    assert "over the limit of 50" in result.skipped[0].reason


def test_unreadable_file(tmp_path: Path, monkeypatch):
    f = tmp_path / "secret.txt"
    f.write_text("hidden", encoding="utf-8")
    real = Path.read_bytes

    def deny(self: Path) -> bytes:  # chmod 0 does not stop root (CI), so refuse the read here
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    skipped = load_paths([f]).skipped[0]
    assert "unreadable: Permission denied" in skipped.reason and skipped.file == str(f)


def test_jsonl_malformed_line_names_line_and_keeps_the_rest(tmp_path: Path):
    f = tmp_path / "recs.jsonl"
    f.write_text(
        json.dumps({"text": "One sample record.", "title": "T1", "date": "2025-01-02"}) + "\n"
        + "{not json\n"
        + json.dumps({"title": "no text"}) + "\n"
        + json.dumps({"text": "Two sample record.", "source": "S"}) + "\n",
        encoding="utf-8",
    )
    result = load_paths([f])
    assert [d.title for d in result.documents] == ["T1", "Two sample record."]
    assert [(s.line, s.reason.split(":")[0]) for s in result.skipped] == [
        (2, "malformed JSON"), (3, 'record needs a string "text" field')]
    assert str(result.skipped[0]).startswith(f"{f}:2: ")


def test_json_array_of_records():
    raw = json.dumps([{"text": "Alpha sample.", "url": "https://example.invalid/a"}, {"text": "Beta sample."}])
    result = load_bytes(raw.encode(), "set.json", "upload:set.json")
    assert [d.text for d in result.documents] == ["Alpha sample.", "Beta sample."]
    assert result.documents[0].url == "https://example.invalid/a"


def test_malformed_manifest_line_is_reported(tmp_path: Path):
    (tmp_path / "a.txt").write_text("Sample text here.", encoding="utf-8")
    (tmp_path / "manifest.jsonl").write_text('{"file": "a.txt", "date": "2024-03-01"}\nnope\n', encoding="utf-8")
    result = load_paths([tmp_path])
    assert result.documents[0].date == "2024-03-01"
    assert result.skipped[0].line == 2 and "manifest" in result.skipped[0].reason


# -- one bad file never costs another ---------------------------------------------------------

DEEP = b"[" * 200_000 + b"]" * 200_000  # json.loads raises RecursionError, not JSONDecodeError


def test_deeply_nested_json_is_skipped_and_the_rest_loads(tmp_path: Path):
    (tmp_path / "a-deep.json").write_bytes(DEEP)
    (tmp_path / "b-good.txt").write_text("A sample article about a quiet harbour on Monday.", encoding="utf-8")
    lines = [json.dumps({"text": "Sample record one about ferries."}).encode(), b'{"text": ' + DEEP + b"}",
             json.dumps({"text": "Sample record three about bridges."}).encode()]
    (tmp_path / "c-mixed.jsonl").write_bytes(b"\n".join(lines))
    result = load_paths([tmp_path])
    reasons = {(Path(s.file).name, s.line): s.reason for s in result.skipped}
    assert reasons == {("a-deep.json", None): "could not be read: nested too deeply",
                       ("c-mixed.jsonl", 2): "could not be read: nested too deeply"}
    assert sorted(d.file_name for d in result.documents) == ["b-good.txt", "c-mixed.jsonl#1", "c-mixed.jsonl#3"]


def test_any_loader_exception_skips_only_that_file(tmp_path: Path, monkeypatch):
    import index.loaders as loaders

    def broken(html: str):
        raise MemoryError

    monkeypatch.setattr(loaders, "_html_text", broken)
    (tmp_path / "a.html").write_text("<html><body><p>Sample page.</p></body></html>", encoding="utf-8")
    (tmp_path / "b.txt").write_text("A sample article on Monday.", encoding="utf-8")
    result = load_paths([tmp_path])
    assert [d.file_name for d in result.documents] == ["b.txt"]
    assert [(Path(s.file).name, s.reason) for s in result.skipped] == [("a.html", "could not be read: too large to process")]


@pytest.mark.parametrize(("raw", "safe"), [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\evil.md", "evil.md"),
    ("two\nlines.txt", "two lines.txt"),
    ("tab\tand\x00nul\x1b[31m.txt", "tab and nul [31m.txt"),
    ("rtl\u202eexe.txt", "rtl exe.txt"),
    ("lone\ud800surrogate.txt", "lone?surrogate.txt"),
    ("   ", "upload"),
    ("..", "upload"),
    ("dir/", "upload"),
    ("a" * 500 + ".jsonl", "a" * 194 + ".jsonl"),
])
def test_safe_file_name(raw: str, safe: str):
    from index.loaders import safe_file_name

    assert safe_file_name(raw) == safe


def test_record_names_are_sanitised():
    rec = {"text": "Sample record about a market.", "file_name": "x/../y\nz.txt"}
    doc = load_bytes(json.dumps(rec).encode(), "recs.jsonl", "upload:recs.jsonl").documents[0]
    assert doc.file_name == "y z.txt"
