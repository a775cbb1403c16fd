"""`app.py convert` on tiny hand-written SQuAD 2.0 / CLAPNQ-format files (samples written for these
tests, not the public data), then scored by `app.py eval` with the same command as any question set."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

import app
from assistant.convert import CLAPNQ_RULE, sample
from assistant.evaluate import load_corpus, load_questions

# -- sample data (made up for these tests) ----------------------------------------------------------
HARBOUR = ("Sample article. The Port Alder harbour bridge reopened in 2031 after repairs. "
           "Engineers replaced 48 steel cables during the works. The mayor, Ines Kora, cut the ribbon.")
ORCHARD = "Sample article. The Brenna Valley cooperative picked 12,500 tonnes of apples in its best year."
TRAIN_ONLY = "Sample article. This paragraph belongs to a training article and must never be converted."


def squad_file() -> dict:
    def qa(qid: str, question: str, answers: list[str], context: str, impossible: bool = False) -> dict:
        rec = {"id": qid, "question": question, "is_impossible": impossible,
               "answers": [] if impossible else [{"text": a, "answer_start": context.index(a)} for a in answers]}
        if impossible:
            rec["plausible_answers"] = [{"text": "2031", "answer_start": context.index("2031")}]
        return rec

    return {"version": "v2.0", "data": [
        {"title": "Sample_Harbour", "paragraphs": [
            {"context": HARBOUR, "qas": [
                qa("h1", "How many cables were replaced?", ["48", "48 steel cables", "48"], HARBOUR),
                qa("h2", "Who cut the ribbon?", ["Ines Kora"], HARBOUR),
                qa("h3", "When did the tunnel reopen?", [], HARBOUR, impossible=True),
            ]}]},
        {"title": "Sample_Orchard", "paragraphs": [
            {"context": ORCHARD, "qas": [qa("o1", "How many tonnes were picked?", ["12,500 tonnes"], ORCHARD)]}]},
        {"title": "Sample_Training", "paragraphs": [
            {"context": TRAIN_ONLY, "qas": [qa("t1", "Which paragraph is this?", ["training article"], TRAIN_ONLY)]}]},
    ]}


def write_squad(tmp_path: Path, doc: dict | None = None, gz: bool = True) -> tuple[Path, Path]:
    data = tmp_path / "data"
    (data / "squad2").mkdir(parents=True, exist_ok=True)
    raw = json.dumps(doc if doc is not None else squad_file()).encode()
    name = "squad2/sample.json.gz" if gz else "squad2/sample.json"
    (data / name).write_bytes(gzip.compress(raw) if gz else raw)
    splits = tmp_path / "splits.json"
    splits.write_text(json.dumps({"squad2": {"files": [name], "calibration_articles": ["Sample_Orchard"],
                                             "test_articles": ["Sample_Harbour"], "train": "every other article"}}))
    return data, splits


def clapnq_id(split: str, n: int) -> str:
    """The n-th numeric id whose sha1 puts it into `split` (0-7 calibration, 8-f test)."""
    digits = "01234567" if split == "calibration" else "89abcdef"
    found = [str(i) for i in range(1000) if hashlib.sha1(str(i).encode()).hexdigest()[0] in digits]
    return found[n]


CLAP_TEXT = ("The sample lighthouse stands on Gull Point . It was built in 1890 by the harbour board . "
             "Its lamp can be seen from 30 kilometres away . ")


def write_clapnq(tmp_path: Path, extra_line: str = "") -> tuple[Path, Path]:
    data = tmp_path / "data"
    (data / "clapnq").mkdir(parents=True, exist_ok=True)
    answerable = [
        {"id": clapnq_id("test", 0), "input": "when was the sample lighthouse built",
         "passages": [{"title": "Sample lighthouse", "text": CLAP_TEXT, "sentences": []}],
         "output": [{"answer": "It was built in 1890 by the harbour board.",
                     "selected_sentences": ["It was built in 1890 by the harbour board ."], "meta": {"skip": False}},
                    {"answer": "NA", "selected_sentences": [], "meta": {}},
                    {"answer": "", "selected_sentences": [], "meta": {"skip": True}}]},
        {"id": clapnq_id("calibration", 0), "input": "how far can the lamp be seen",
         "passages": [{"title": "Sample lighthouse", "text": CLAP_TEXT, "sentences": []}],
         "output": [{"answer": "30 kilometres", "selected_sentences": ["not in the passage"], "meta": {}}]},
    ]
    unanswerable = [
        {"id": clapnq_id("test", 1), "input": "who painted the sample lighthouse red",
         "passages": [{"title": "Sample lighthouse", "text": CLAP_TEXT + "Extra sample sentence . ", "sentences": []}],
         "output": [{"answer": "", "selected_sentences": [], "meta": {"round": 0}}]},
    ]
    (data / "clapnq" / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in answerable) + extra_line)
    (data / "clapnq" / "u.jsonl.gz").write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in unanswerable).encode()))
    splits = tmp_path / "splits.json"
    splits.write_text(json.dumps({"clapnq": {"files": ["clapnq/a.jsonl", "clapnq/u.jsonl.gz"], "rule": CLAPNQ_RULE}}))
    return data, splits


def convert(data: Path, splits: Path, dataset: str, split: str, out: Path, *extra: str) -> int:
    return app.main(["convert", dataset, "--split", split, "--out", str(out), "--data", str(data),
                     "--splits", str(splits), *extra])


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- SQuAD 2.0 -------------------------------------------------------------------------------------
def test_squad_test_split_is_its_test_articles_only(tmp_path, capsys):
    data, splits = write_squad(tmp_path)
    out = tmp_path / "out"
    assert convert(data, splits, "squad2", "test", out) == 0
    assert "score it with: app.py eval" in capsys.readouterr().out

    files = sorted(p.name for p in (out / "corpus").iterdir())
    assert files == ["manifest.jsonl", "squad2-Sample_Harbour-000.txt"]
    assert (out / "corpus" / "squad2-Sample_Harbour-000.txt").read_text(encoding="utf-8") == HARBOUR
    assert read_jsonl(out / "corpus" / "manifest.jsonl") == [
        {"file": "squad2-Sample_Harbour-000.txt", "title": "Sample Harbour", "date": "2016-01-01",
         "source": "Wikipedia (SQuAD 2.0)"}]

    qs = read_jsonl(out / "questions.jsonl")
    assert [q["id"] for q in qs] == ["squad2-h1", "squad2-h2", "squad2-h3"]
    assert qs[0] == {"id": "squad2-h1", "question": "How many cables were replaced?", "answerable": True,
                     "answers": [["48", "48 steel cables"]],  # all reference answers, one group, distinct
                     "sources": ["squad2-Sample_Harbour-000.txt"],
                     "evidence": ["Engineers replaced 48 steel cables during the works."], "type": "factoid"}
    assert qs[1]["evidence"] == ["The mayor, Ines Kora, cut the ribbon."]
    assert qs[2] == {"id": "squad2-h3", "question": "When did the tunnel reopen?", "answerable": False,
                     "type": "unanswerable"}

    # The eval loader accepts it, and every evidence snippet is in its source as loaded.
    docs, skipped = load_corpus(out / "corpus")
    loaded = load_questions(out / "questions.jsonl", docs)
    assert not skipped and len(loaded) == 3
    texts = {d.file_name: d.text for d in docs}
    assert all(ev in texts[q.sources[0]] for q in loaded for ev in q.evidence)
    info = json.loads((out / "convert.json").read_text(encoding="utf-8"))
    assert (info["dataset"], info["split"], info["questions"], info["answerable"], info["passages"]) == \
        ("squad2", "test", 3, 2, 1)
    assert info["inputs"][0]["sha256"] == hashlib.sha256((data / "squad2/sample.json.gz").read_bytes()).hexdigest()


def test_squad_calibration_split_and_plain_json(tmp_path):
    data, splits = write_squad(tmp_path, gz=False)
    out = tmp_path / "cal"
    assert convert(data, splits, "squad2", "calibration", out) == 0
    qs = read_jsonl(out / "questions.jsonl")
    assert [q["id"] for q in qs] == ["squad2-o1"] and qs[0]["answers"] == [["12,500 tonnes"]]
    assert "training article" not in (out / "questions.jsonl").read_text(encoding="utf-8")


def test_converted_set_is_scored_by_the_eval_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "hash")
    monkeypatch.setenv("NEWSDESK_LLM_PROVIDER", "none")
    data, splits = write_squad(tmp_path)
    out = tmp_path / "set"
    assert convert(data, splits, "squad2", "test", out) == 0
    code = app.main(["eval", "--questions", str(out / "questions.jsonl"), "--corpus", str(out / "corpus"),
                     "--out", str(tmp_path / "eval"), "--store", str(tmp_path / "store")])
    assert code == 0
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["metrics"]["counts"] == {**metrics["metrics"]["counts"], "questions": 3, "answerable": 2,
                                            "unanswerable": 1, "with_evidence": 2, "with_sources": 2}
    assert metrics["metrics"]["citation_validity"] in (None, 1.0)
    assert set(metrics["by_type"]) == {"factoid", "unanswerable"}


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["data"][0]["paragraphs"][0]["qas"][0]["answers"][0].update(answer_start=3),
     "data[0].paragraphs[0] (Sample_Harbour).qas[0].answers[0]: answer_start 3 does not point at '48'"),
    (lambda d: d["data"][0]["paragraphs"][0]["qas"][1].pop("question"),
     "data[0].paragraphs[0] (Sample_Harbour).qas[1]: 'question' must be a string"),
    (lambda d: d["data"][0].update(paragraphs={"context": "x"}), "data[0]: 'paragraphs' must be a list"),
    (lambda d: d.pop("data"), "expected SQuAD JSON"),
    (lambda d: d["data"][0].update(title="Renamed"), "names squad2 test article(s) Sample_Harbour that none of"),
])
def test_bad_squad_input_names_file_and_record(tmp_path, capsys, mutate, message):
    doc = squad_file()
    mutate(doc)
    data, splits = write_squad(tmp_path, doc)
    out = tmp_path / "out"
    assert convert(data, splits, "squad2", "test", out) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out-")]


def test_malformed_squad_json_names_line_and_column(tmp_path, capsys):
    data, splits = write_squad(tmp_path, gz=False)
    (data / "squad2" / "sample.json").write_text('{"data": [\n  {"title": "x",,}\n]}', encoding="utf-8")
    assert convert(data, splits, "squad2", "test", tmp_path / "out") == 2
    assert f"{data / 'squad2' / 'sample.json'}:2:17: malformed JSON" in capsys.readouterr().err


def test_bad_gzip_and_missing_file(tmp_path, capsys):
    data, splits = write_squad(tmp_path)
    (data / "squad2" / "sample.json.gz").write_bytes(b"not gzip at all")
    assert convert(data, splits, "squad2", "test", tmp_path / "out") == 2
    assert "sample.json.gz: cannot read it as gzip" in capsys.readouterr().err
    (data / "squad2" / "sample.json.gz").unlink()
    assert convert(data, splits, "squad2", "test", tmp_path / "out") == 2
    assert "sample.json.gz: file not found" in capsys.readouterr().err


# -- CLAPNQ ----------------------------------------------------------------------------------------
def test_clapnq_split_by_sha1_of_id(tmp_path):
    data, splits = write_clapnq(tmp_path)
    out = tmp_path / "out"
    assert convert(data, splits, "clapnq", "test", out) == 0
    qs = read_jsonl(out / "questions.jsonl")
    assert [q["id"] for q in qs] == [f"clapnq-{clapnq_id('test', 0)}", f"clapnq-{clapnq_id('test', 1)}"]
    first, second = qs
    # "NA" and skipped answers are placeholders; selected sentences are evidence when verbatim in the passage.
    assert first["answers"] == [["It was built in 1890 by the harbour board."]]
    assert first["evidence"] == ["It was built in 1890 by the harbour board ."]
    assert first["type"] == "long-form" and first["sources"][0].startswith("clapnq-Sample_lighthouse-")
    assert second == {"id": f"clapnq-{clapnq_id('test', 1)}", "question": "who painted the sample lighthouse red",
                      "answerable": False, "type": "unanswerable"}
    files = sorted(p.name for p in (out / "corpus").glob("*.txt"))
    assert len(files) == 2  # both passages of the split, written as given
    assert {(out / "corpus" / f).read_text(encoding="utf-8") for f in files} == \
        {CLAP_TEXT, CLAP_TEXT + "Extra sample sentence . "}

    cal = tmp_path / "cal"
    assert convert(data, splits, "clapnq", "calibration", cal) == 0
    only = read_jsonl(cal / "questions.jsonl")
    assert [q["id"] for q in only] == [f"clapnq-{clapnq_id('calibration', 0)}"] and "evidence" not in only[0]


def test_bad_clapnq_line_is_named(tmp_path, capsys):
    data, splits = write_clapnq(tmp_path, extra_line="\n{oops\n")
    assert convert(data, splits, "clapnq", "test", tmp_path / "out") == 2
    assert f"{data / 'clapnq' / 'a.jsonl'}:4: malformed JSON" in capsys.readouterr().err
    data, splits = write_clapnq(tmp_path, extra_line=json.dumps({"id": clapnq_id("test", 2), "input": "q",
                                                                 "passages": [], "output": []}) + "\n")
    assert convert(data, splits, "clapnq", "test", tmp_path / "out") == 2
    assert "a.jsonl:3: 'passages' must hold exactly one passage object" in capsys.readouterr().err


def test_changed_clapnq_rule_is_refused(tmp_path, capsys):
    data, splits = write_clapnq(tmp_path)
    splits.write_text(json.dumps({"clapnq": {"files": ["clapnq/a.jsonl"], "rule": "sha1(id) digit 0-3 test"}}))
    assert convert(data, splits, "clapnq", "test", tmp_path / "out") == 2
    assert "clapnq.rule is 'sha1(id) digit 0-3 test'" in capsys.readouterr().err


# -- sampling and the output folder -----------------------------------------------------------------
def test_limit_is_a_seeded_sample_in_file_order(tmp_path):
    data, splits = write_squad(tmp_path)
    out = tmp_path / "out"
    assert convert(data, splits, "squad2", "test", out, "--limit", "2", "--seed", "7") == 0
    first = read_jsonl(out / "questions.jsonl")
    assert convert(data, splits, "squad2", "test", out, "--limit", "2", "--seed", "7") == 0  # replaces itself
    assert read_jsonl(out / "questions.jsonl") == first and len(first) == 2
    order = ["squad2-h1", "squad2-h2", "squad2-h3"]
    assert [order.index(q["id"]) for q in first] == sorted(order.index(q["id"]) for q in first)
    assert (out / "corpus" / "squad2-Sample_Harbour-000.txt").exists()  # the pool is kept whole
    info = json.loads((out / "convert.json").read_text(encoding="utf-8"))
    assert (info["limit"], info["seed"], info["questions_in_split"], info["questions"]) == (2, 7, 3, 2)
    picks = {tuple(q.id for q in sample(list(_questions(10)), 3, s)) for s in range(20)}
    assert len(picks) > 1  # the seed matters


def _questions(n: int):
    from assistant.convert import Question

    return (Question(id=str(i), question="q", answerable=False) for i in range(n))


def test_an_unrelated_out_folder_is_never_replaced(tmp_path, capsys):
    data, splits = write_squad(tmp_path)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    assert convert(data, splits, "squad2", "test", out) == 2
    assert "is not an earlier conversion" in capsys.readouterr().err
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"


# -- BoolQ -------------------------------------------------------------------------------------------
def _title_in(split: str, stem: str) -> str:
    """A sample title whose sha1 falls in `split` ("calibration": c-d, "test": e-f, "train": 0-b)."""
    digits = {"calibration": "cd", "test": "ef", "train": "0123456789ab"}[split]
    return next(t for t in (f"{stem} {i}" for i in range(1000))
                if hashlib.sha1(t.encode()).hexdigest()[0] in digits)


def test_boolq_split_by_sha1_of_title(tmp_path, capsys):
    from assistant.convert import BOOLQ_RULE

    data = tmp_path / "data"
    (data / "boolq").mkdir(parents=True)
    test_title, train_title = _title_in("test", "Sample ferry"), _title_in("train", "Sample ferry")
    text = "SAMPLE TEXT (written for tests). The sample ferry runs twice a day in summer."
    records = [{"question": "does the sample ferry run in summer", "title": test_title, "answer": True, "passage": text},
               {"question": "does the sample ferry run at night", "title": test_title, "answer": False, "passage": text},
               {"question": "is the sample ferry red", "title": train_title, "answer": False, "passage": text}]
    (data / "boolq" / "dev.jsonl.gz").write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode()))
    splits = tmp_path / "splits.json"
    splits.write_text(json.dumps({"boolq": {"files": ["boolq/dev.jsonl.gz"], "rule": BOOLQ_RULE}}))
    out = tmp_path / "out"
    assert convert(data, splits, "boolq", "test", out) == 0
    qs = read_jsonl(out / "questions.jsonl")
    assert [(q["question"], q["answers"], q["type"]) for q in qs] == [
        ("does the sample ferry run in summer?", [["yes"]], "yes-no"),
        ("does the sample ferry run at night?", [["no"]], "yes-no")]
    assert len(list((out / "corpus").glob("*.txt"))) == 1  # one passage, written once
    # a train title never appears; a bad answer is named with its line
    records[1]["answer"] = "nope"
    (data / "boolq" / "dev.jsonl.gz").write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode()))
    assert convert(data, splits, "boolq", "test", tmp_path / "bad") == 2
    assert "dev.jsonl.gz:2: 'answer' must be true or false" in capsys.readouterr().err
