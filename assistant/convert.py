"""`app.py convert`: public QA data (../shared/data) → an evaluation set scored by `app.py eval`.

    app.py convert squad2|clapnq --split calibration|test --out DIR [--limit N --seed S]
    app.py eval --questions DIR/questions.jsonl --corpus DIR/corpus

Which examples belong to which split is read from `training/splits.json` (the file every learned
part reads too): SQuAD 2.0 splits by article title (`calibration_articles` / `test_articles`, from
the files it lists); CLAPNQ by the first hex digit of sha1(id) (0-7 calibration, 8-f test). There
is no `train` choice on purpose: a converted set is for measuring, and training data is never scored.

Output (the format of `../shared/eval/README.md`):

* `DIR/corpus/<name>.txt`: one file per distinct paragraph (SQuAD) or passage (CLAPNQ) of the split,
  its text exactly as given. The whole split's pool is written even with `--limit`, so retrieval
  has the same distractors however many questions are asked.
* `DIR/corpus/manifest.jsonl`: per file the article title, a fixed date (`DATES`; the sets are not
  news and have no publication date) and the source ("Wikipedia (SQuAD 2.0)", "Wikipedia (CLAPNQ)").
* `DIR/questions.jsonl`: answerable questions with one alias group holding all distinct reference
  answers (SQuAD spans; CLAPNQ's annotator-written answers, placeholders "NA" / skipped dropped),
  `sources` = the passage's file, `evidence` = the sentence(s) around the SQuAD answer span (punkt,
  as the chunker splits) or CLAPNQ's selected sentences found verbatim in the passage; unanswerable
  questions with `answerable: false`. Types: `factoid` (SQuAD), `long-form` (CLAPNQ), `unanswerable`.
* `DIR/convert.json`: what was converted (dataset, split, input files with sha256, limit, seed, counts).

CLAPNQ's reference answers are whole sentences written by annotators, so its alias rule (the full
answer must occur in the system's answer) is much stricter than for SQuAD spans; its telling figures
are abstention, false abstention, evidence recall and hit@k.

`--limit N` keeps a seeded random sample of N questions (`random.Random(seed).sample`, listed in
file order), the same for the same data, split, N and seed.

Bad input (missing or unreadable file, bad gzip, malformed JSON, a record of the wrong shape, an
answer span that does not match its paragraph) raises `ConvertInputError` naming the file and the
line (JSON Lines) or line:column / record path (JSON); the CLI prints it and exits 2, writing nothing.
An existing `--out` is replaced only when it is empty or holds an earlier conversion.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.jsonlines import json_lines
from assistant.scoring import normalize

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_SPLITS = ROOT / "training" / "splits.json"
DATASETS = ("squad2", "clapnq", "boolq")
SPLITS = ("calibration", "test")
SOURCES = {"squad2": "Wikipedia (SQuAD 2.0)", "clapnq": "Wikipedia (CLAPNQ)", "boolq": "Wikipedia (BoolQ)"}
# Fixed article dates: roughly when each set's Wikipedia text was taken (SQuAD: a 2016 snapshot;
# Natural Questions/CLAPNQ: 2018). Only there because every eval article needs a date.
DATES = {"squad2": "2016-01-01", "clapnq": "2018-01-01", "boolq": "2018-01-01"}
# The rule text this module implements; a different text in splits.json means the rule changed.
CLAPNQ_RULE = "never trained on; calibration = records whose sha1(id) first hex digit is 0-7, test = 8-f"
_CLAPNQ_SPLIT_DIGITS = {"calibration": "01234567", "test": "89abcdef"}
BOOLQ_RULE = "group by title: sha1(title) first hex digit 0-b = train, c-d = calibration, e-f = test"
_BOOLQ_SPLIT_DIGITS = {"calibration": "cd", "test": "ef"}
_CLAPNQ_PLACEHOLDERS = frozenset({"na"})  # CLAPNQ's "NA" answers (empty ones normalize to nothing)
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class ConvertInputError(ValueError):
    """Bad converter input; the message names the file (and line or record) and what is wrong."""


@dataclass(frozen=True)
class Passage:
    """One corpus file to write."""

    file: str
    text: str
    title: str


@dataclass(frozen=True)
class Question:
    """One question in the eval format (`../shared/eval/README.md`)."""

    id: str
    question: str
    answerable: bool
    answers: tuple[str, ...] = ()  # one alias group
    source: str = ""
    evidence: tuple[str, ...] = ()
    type: str = "factoid"

    def as_record(self) -> dict[str, Any]:
        rec: dict[str, Any] = {"id": self.id, "question": self.question, "answerable": self.answerable}
        if self.answerable:
            rec["answers"] = [list(self.answers)]
            rec["sources"] = [self.source]
            if self.evidence:
                rec["evidence"] = list(self.evidence)
        rec["type"] = self.type if self.answerable else "unanswerable"
        return rec


@dataclass
class Converted:
    """A whole split: its passage pool, its questions, the input files read and what was dropped."""

    dataset: str
    split: str
    passages: list[Passage] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    inputs: list[Path] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


# -- reading -----------------------------------------------------------------------------------
def _read_text(path: Path) -> str:
    """UTF-8 text of `path`, gunzipped when it ends in .gz."""
    if not path.is_file():
        raise ConvertInputError(f"{path}: file not found")
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        return raw.decode("utf-8-sig")
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise ConvertInputError(f"{path}: cannot read it as {'gzip' if path.suffix == '.gz' else 'a file'}: {e}") from None
    except UnicodeDecodeError as e:
        raise ConvertInputError(f"{path}: not valid UTF-8 (byte {e.start})") from None


def load_splits(path: Path, dataset: str) -> dict[str, Any]:
    """The `dataset` entry of splits.json, checked for what this module needs."""
    try:
        doc = json.loads(_read_text(path))
    except json.JSONDecodeError as e:
        raise ConvertInputError(f"{path}:{e.lineno}:{e.colno}: malformed JSON ({e.msg})") from None
    entry = doc.get(dataset) if isinstance(doc, dict) else None
    if not isinstance(entry, dict):
        raise ConvertInputError(f"{path}: no {dataset!r} entry")
    files = entry.get("files")
    if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
        raise ConvertInputError(f"{path}: {dataset}.files must be a list of file names")
    if dataset == "squad2":
        for key in ("calibration_articles", "test_articles"):
            value = entry.get(key)
            if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                raise ConvertInputError(f"{path}: {dataset}.{key} must be a list of article titles")
    else:
        rule = CLAPNQ_RULE if dataset == "clapnq" else BOOLQ_RULE
        if entry.get("rule") != rule:
            raise ConvertInputError(f"{path}: {dataset}.rule is {entry.get('rule')!r}; this converter implements "
                                    f"{rule!r} (update assistant/convert.py with the new rule)")
    return entry


def _json_lines(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """("file:line", object) for each non-blank line of a JSON Lines file; a malformed line or one
    that is not an object stops the conversion with its place named."""
    for where, _, rec in json_lines(_read_text(path), str(path), ConvertInputError):
        if not isinstance(rec, dict):
            raise ConvertInputError(f"{where}: expected a JSON object")
        yield where, rec


def _split_records(data: Path, files: Sequence[str], out: Converted, key: str,
                   digits: str) -> Iterator[tuple[str, dict[str, Any], str]]:
    """("file:line", object, its `key` field) for the records of `files` (under `data`, each noted in
    `out.inputs`) whose sha1(key) starts with one of `digits`: the split rule of training/splits.json."""
    for name in files:
        path = data / name
        out.inputs.append(path)
        for where, rec in _json_lines(path):
            value = _str_field(rec, key, where)
            if hashlib.sha1(value.encode("utf-8")).hexdigest()[0] in digits:
                yield where, rec, value


def _slug(text: str, limit: int = 60) -> str:
    return _UNSAFE.sub("_", text).strip("_")[:limit] or "untitled"


def _aliases(texts: Sequence[str], placeholders: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Distinct answers (by normalized form, first spelling kept) that have letters or digits and
    are not one of `placeholders` (normalized)."""
    seen: set[str] = set()
    out: list[str] = []
    for t in texts:
        key = normalize(t)
        if key and key not in placeholders and key not in seen:
            seen.add(key)
            out.append(t.strip())
    return tuple(out)


def _str_field(rec: dict[str, Any], name: str, where: str) -> str:
    value = rec.get(name)
    if not isinstance(value, str):
        raise ConvertInputError(f"{where}: {name!r} must be a string")
    return value


def _list_field(rec: dict[str, Any], name: str, where: str) -> list[Any]:
    value = rec.get(name)
    if not isinstance(value, list):
        raise ConvertInputError(f"{where}: {name!r} must be a list")
    return value


def _answer_sentences(context: str, spans: Sequence[tuple[int, int]]) -> tuple[str, ...]:
    """The sentence(s) of `context` covering each answer span (punkt, as the chunker splits)."""
    from index.chunking import sentence_spans

    sentences = sentence_spans(context)
    out: list[str] = []
    for start, end in spans:
        covering = [s for s in sentences if s.start < end and start < s.end]
        if covering:
            text = context[covering[0].start:covering[-1].end]
            if text not in out:
                out.append(text)
    return tuple(out)


class _Pool:
    """Distinct passage texts → file names (an identical text is written, and cited, once)."""

    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        self.by_text: dict[str, Passage] = {}
        self.names: set[str] = set()

    def add(self, text: str, title: str, stem: str) -> Passage:
        if text in self.by_text:
            return self.by_text[text]
        name = f"{self.dataset}-{stem}.txt"
        if name in self.names:  # same stem twice (e.g. two passages of one title): tell them apart
            name = f"{self.dataset}-{stem}-{hashlib.sha1(text.encode()).hexdigest()[:8]}.txt"
        p = Passage(file=name, text=text, title=title)
        self.by_text[text] = p
        self.names.add(name)
        return p


def convert_squad2(data: Path, splits: dict[str, Any], split: str) -> Converted:
    """SQuAD 2.0 JSON files of `splits["files"]` → the articles of `<split>_articles`."""
    wanted = list(splits[f"{split}_articles"])
    out = Converted("squad2", split)
    pool = _Pool("squad2")
    found: set[str] = set()
    for name in splits["files"]:
        path = data / name
        out.inputs.append(path)
        try:
            doc = json.loads(_read_text(path))
        except json.JSONDecodeError as e:
            raise ConvertInputError(f"{path}:{e.lineno}:{e.colno}: malformed JSON ({e.msg})") from None
        articles = doc.get("data") if isinstance(doc, dict) else None
        if not isinstance(articles, list):
            raise ConvertInputError(f"{path}: expected SQuAD JSON, an object with a 'data' list of articles")
        for ai, art in enumerate(articles):
            where = f"{path}: data[{ai}]"
            if not isinstance(art, dict):
                raise ConvertInputError(f"{where}: an article must be a JSON object")
            title = _str_field(art, "title", where)
            if title not in wanted:
                continue
            found.add(title)
            for pi, para in enumerate(_list_field(art, "paragraphs", where)):
                pwhere = f"{where}.paragraphs[{pi}] ({title})"
                if not isinstance(para, dict):
                    raise ConvertInputError(f"{pwhere}: a paragraph must be a JSON object")
                context = _str_field(para, "context", pwhere)
                if not context.strip():
                    out.dropped.append(f"{pwhere}: empty context (and its questions)")
                    continue
                passage = pool.add(context, title.replace("_", " "), f"{_slug(title)}-{pi:03d}")
                for qi, qa in enumerate(_list_field(para, "qas", pwhere)):
                    q = _squad_question(qa, f"{pwhere}.qas[{qi}]", context, passage)
                    if q is None:
                        out.dropped.append(f"{pwhere}.qas[{qi}]: no answer with letters or digits")
                    else:
                        out.questions.append(q)
    missing = [t for t in wanted if t not in found]
    if missing:
        raise ConvertInputError(f"training/splits.json names squad2 {split} article(s) {', '.join(missing)} "
                                f"that none of {', '.join(map(str, out.inputs))} contains")
    out.passages = list(pool.by_text.values())
    return out


def _squad_question(qa: Any, where: str, context: str, passage: Passage) -> Question | None:
    if not isinstance(qa, dict):
        raise ConvertInputError(f"{where}: a question must be a JSON object")
    qid, text = _str_field(qa, "id", where), _str_field(qa, "question", where)
    if not text.strip():
        raise ConvertInputError(f"{where}: empty 'question'")
    impossible = qa.get("is_impossible", False)
    if not isinstance(impossible, bool):
        raise ConvertInputError(f"{where}: 'is_impossible' must be true or false")
    if impossible:
        return Question(id=f"squad2-{qid}", question=text, answerable=False)
    answers = _list_field(qa, "answers", where)
    spans: list[tuple[int, int]] = []
    texts: list[str] = []
    for i, a in enumerate(answers):
        if not isinstance(a, dict) or not isinstance(a.get("text"), str) or type(a.get("answer_start")) is not int:
            raise ConvertInputError(f"{where}.answers[{i}]: expected {{\"text\": str, \"answer_start\": int}}")
        start, value = a["answer_start"], a["text"]
        if context[start:start + len(value)] != value:
            raise ConvertInputError(f"{where}.answers[{i}]: answer_start {start} does not point at {value!r} "
                                    f"in its paragraph")
        spans.append((start, start + len(value)))
        texts.append(value)
    if not answers:
        raise ConvertInputError(f"{where}: an answerable question (is_impossible false) needs 'answers'")
    group = _aliases(texts)
    if not group:
        return None
    return Question(id=f"squad2-{qid}", question=text, answerable=True, answers=group, source=passage.file,
                    evidence=_answer_sentences(context, spans[:1]), type="factoid")


def convert_clapnq(data: Path, splits: dict[str, Any], split: str) -> Converted:
    """CLAPNQ JSON Lines files of `splits["files"]` → records of `split` by sha1(id)."""
    out = Converted("clapnq", split)
    pool = _Pool("clapnq")
    digits = _CLAPNQ_SPLIT_DIGITS[split]
    for where, rec, qid in _split_records(data, splits["files"], out, "id", digits):
        q = _clapnq_question(rec, qid, where, pool)
        if q is None:
            out.dropped.append(f"{where}: empty passage")
        else:
            out.questions.append(q)
    out.passages = list(pool.by_text.values())
    return out


def _clapnq_question(rec: dict[str, Any], qid: str, where: str, pool: _Pool) -> Question | None:
    text = _str_field(rec, "input", where)
    if not text.strip():
        raise ConvertInputError(f"{where}: empty 'input' (the question)")
    passages = _list_field(rec, "passages", where)
    if len(passages) != 1 or not isinstance(passages[0], dict):
        raise ConvertInputError(f"{where}: 'passages' must hold exactly one passage object")
    body = _str_field(passages[0], "text", where + " passages[0]")
    title = _str_field(passages[0], "title", where + " passages[0]")
    if not body.strip():
        return None
    passage = pool.add(body, title, f"{_slug(title)}-{hashlib.sha1(body.encode()).hexdigest()[:8]}")
    answers: list[str] = []
    evidence: list[str] = []
    for i, o in enumerate(_list_field(rec, "output", where)):
        owhere = f"{where} output[{i}]"
        if not isinstance(o, dict):
            raise ConvertInputError(f"{owhere}: expected a JSON object")
        meta = o.get("meta")
        if isinstance(meta, dict) and meta.get("skip") is True:
            continue
        answers.append(_str_field(o, "answer", owhere))
        for s in o.get("selected_sentences") or []:
            if not isinstance(s, str):
                raise ConvertInputError(f"{owhere}: 'selected_sentences' must be strings")
            if s.strip() and s in body and s not in evidence:
                evidence.append(s)
    group = _aliases(answers, _CLAPNQ_PLACEHOLDERS)
    if not group:  # the unanswerable file's records: one empty answer
        return Question(id=f"clapnq-{qid}", question=text, answerable=False)
    return Question(id=f"clapnq-{qid}", question=text, answerable=True, answers=group, source=passage.file,
                    evidence=tuple(evidence), type="long-form")


def convert_boolq(data: Path, splits: dict[str, Any], split: str) -> Converted:
    """BoolQ JSON Lines (question, title, passage, answer true/false) → the records of `split`,
    grouped by sha1(title) as the reader's training split was; answers "yes"/"no", type "yes-no"."""
    out = Converted("boolq", split)
    pool = _Pool("boolq")
    digits = _BOOLQ_SPLIT_DIGITS[split]
    for where, rec, title in _split_records(data, splits["files"], out, "title", digits):
        question, body = _str_field(rec, "question", where), _str_field(rec, "passage", where)
        if not isinstance(rec.get("answer"), bool):
            raise ConvertInputError(f"{where}: 'answer' must be true or false")
        if not body.strip() or not question.strip():
            out.dropped.append(f"{where}: empty question or passage")
            continue
        passage = pool.add(body, title, f"{_slug(title)}-{hashlib.sha1(body.encode()).hexdigest()[:8]}")
        qid = hashlib.sha1(f"{title}\n{question}".encode()).hexdigest()[:16]
        # BoolQ's questions are lower case without a question mark, as typed into a search box
        out.questions.append(Question(id=f"boolq-{qid}", question=question.strip() + "?", answerable=True,
                                      answers=("yes",) if rec["answer"] else ("no",), source=passage.file,
                                      type="yes-no"))
    out.passages = list(pool.by_text.values())
    return out


def sample(questions: Sequence[Question], limit: int | None, seed: int) -> list[Question]:
    """`limit` questions drawn with `random.Random(seed)`, kept in their original order."""
    if limit is None or limit >= len(questions):
        return list(questions)
    keep = sorted(random.Random(seed).sample(range(len(questions)), limit))
    return [questions[i] for i in keep]


# -- writing -----------------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _is_replaceable(out: Path) -> bool:
    """`out` may be replaced: missing, empty, or an earlier conversion and nothing else."""
    if not out.exists():
        return True
    if not out.is_dir():
        return False
    entries = {p.name for p in out.iterdir()}
    if not entries:
        return True
    if "convert.json" not in entries or not entries <= {"convert.json", "questions.jsonl", "corpus"}:
        return False
    corpus = out / "corpus"
    return not corpus.exists() or all(p.is_file() and (p.suffix == ".txt" or p.name == "manifest.jsonl")
                                      for p in corpus.iterdir())


def write(conv: Converted, questions: Sequence[Question], out: Path, limit: int | None, seed: int) -> None:
    """Write the corpus, manifest, questions and convert.json into a staging folder, then put it at `out`."""
    if not _is_replaceable(out):
        raise ConvertInputError(f"{out}: --out exists and is not an earlier conversion; choose an empty or new folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        corpus = staging / "corpus"
        corpus.mkdir()
        with (corpus / "manifest.jsonl").open("w", encoding="utf-8") as manifest:
            for p in conv.passages:
                (corpus / p.file).write_text(p.text, encoding="utf-8", newline="")
                manifest.write(json.dumps({"file": p.file, "title": p.title, "date": DATES[conv.dataset],
                                           "source": SOURCES[conv.dataset]}, ensure_ascii=False) + "\n")
        with (staging / "questions.jsonl").open("w", encoding="utf-8") as f:
            for q in questions:
                f.write(json.dumps(q.as_record(), ensure_ascii=False) + "\n")
        answerable = sum(q.answerable for q in questions)
        info = {
            "dataset": conv.dataset, "split": conv.split, "rules": "training/splits.json",
            "inputs": [{"file": str(p), "sha256": _sha256(p)} for p in conv.inputs],
            "limit": limit, "seed": seed, "questions_in_split": len(conv.questions),
            "questions": len(questions), "answerable": answerable, "unanswerable": len(questions) - answerable,
            "passages": len(conv.passages), "date": DATES[conv.dataset], "source": SOURCES[conv.dataset],
            "dropped": conv.dropped,
        }
        (staging / "convert.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# -- CLI ---------------------------------------------------------------------------------------
def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_convert_arguments(parser: argparse.ArgumentParser) -> None:
    """The `convert` subcommand's options."""
    parser.add_argument("dataset", choices=DATASETS, help="which public data set to convert")
    parser.add_argument("--split", required=True, choices=SPLITS, help="held-out part (training/splits.json)")
    parser.add_argument("--out", required=True, metavar="DIR", help="writes DIR/corpus/, DIR/questions.jsonl")
    parser.add_argument("--limit", type=_positive, metavar="N", help="keep a seeded random sample of N questions")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --limit sample (default 0)")
    parser.add_argument("--data", default=str(DEFAULT_DATA), metavar="DIR",
                        help="folder of the public data (default ../shared/data beside the repository)")
    parser.add_argument("--splits", default=str(DEFAULT_SPLITS), metavar="FILE",
                        help="split rules (default training/splits.json)")


def convert(dataset: str, split: str, data: Path, splits_file: Path) -> Converted:
    """Read and convert one held-out split (all of it; `sample` applies `--limit`)."""
    if dataset not in DATASETS or split not in SPLITS:
        raise ConvertInputError(f"unknown dataset/split {dataset}/{split}")
    rules = load_splits(splits_file, dataset)
    converters = {"squad2": convert_squad2, "clapnq": convert_clapnq, "boolq": convert_boolq}
    conv = converters[dataset](data, rules, split)
    if not conv.questions:
        raise ConvertInputError(f"{dataset} {split}: no questions in {', '.join(map(str, conv.inputs))}")
    return conv


def run_convert_cli(args: argparse.Namespace) -> int:
    """Entry point of `app.py convert`; 0 written, 2 bad input (nothing written)."""
    out = Path(args.out)
    try:
        conv = convert(args.dataset, args.split, Path(args.data), Path(args.splits))
        questions = sample(conv.questions, args.limit, args.seed)
        write(conv, questions, out, args.limit, args.seed)
    except ConvertInputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    answerable = sum(q.answerable for q in questions)
    print(f"{args.dataset} {args.split}: {len(questions)} of {len(conv.questions)} question(s) "
          f"({answerable} answerable, {len(questions) - answerable} unanswerable), {len(conv.passages)} passage(s) "
          f"→ {out}/")
    for d in conv.dropped[:5]:
        print(f"dropped: {d}", file=sys.stderr)
    if len(conv.dropped) > 5:
        print(f"dropped: … {len(conv.dropped) - 5} more (listed in {out}/convert.json)", file=sys.stderr)
    print(f"score it with: app.py eval --questions {out}/questions.jsonl --corpus {out}/corpus")
    return 0
