"""`app.py eval` end to end on the project's samples (fast embedder), plus question-set loading."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest

import app
from assistant.evaluate import EvalInputError, load_questions
from assistant.scoring import EvalQuestion, aggregate, score_question
from assistant.types import Answer
from index.loaders import load_paths
from tests.conftest import SAMPLES

QUESTIONS = [
    {"id": "s-1", "question": "How many steel cables did engineers replace on the Port Alder harbour bridge?",
     "answerable": True, "answers": [["48", "forty-eight"]], "sources": ["harbour-bridge-reopens.txt"],
     "evidence": ["Engineers replaced 48 steel cables"], "type": "factoid"},
    {"id": "s-2", "question": "Which librarian said the Kestrel City library began lending a reading robot?",
     "answers": [["Ana Duarte", "Duarte"]], "sources": ["library-robot.html"], "type": "factoid"},
    {"id": "s-3", "question": "Where will the cooperative open a cider press?",
     "history": ["Who chairs the Brenna Valley orchard cooperative?"], "answerable": True,
     "answers": [["Halden"]], "sources": ["orchard-cooperative.md"], "type": "follow-up"},
    {"id": "s-4", "question": "What colour is the submarine of the Arctic navy?", "answerable": False,
     "type": "unanswerable"},
    # No article says this: accuracy can never be 1.0 on this set, so an accuracy floor of 1 must fail.
    {"id": "s-5", "question": "How long is the Grey Fells hiking trail?", "answers": [["zebra unicorn"]],
     "sources": ["wire-briefs.jsonl#1", "wire-briefs.jsonl#2"], "type": "factoid"},
]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def hash_env(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "hash")
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    monkeypatch.delenv("NEWSDESK_CHROMA_HOST", raising=False)
    monkeypatch.setenv("NEWSDESK_LLM_PROVIDER", "none")
    return tmp_path


def run_eval(tmp_path: Path, questions: Path, out: Path, *extra: str) -> int:
    return app.main(["eval", "--questions", str(questions), "--corpus", str(SAMPLES), "--out", str(out),
                     "--store", str(tmp_path / "user-store"), *extra])


def test_eval_end_to_end_outputs_are_consistent(hash_env, capsys):
    tmp_path = hash_env
    qfile = write_jsonl(tmp_path / "q.jsonl", QUESTIONS)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("not ours", encoding="utf-8")

    assert run_eval(tmp_path, qfile, out, "--baseline", "--k", "3") == 0
    captured = capsys.readouterr()
    assert "accuracy" in captured.out and "baseline" in captured.out
    assert "newsdesk" in captured.err  # the progress bar
    assert not (tmp_path / "user-store").exists(), "eval must never touch the user's store"
    assert (out / "keep.txt").read_text(encoding="utf-8") == "not ours"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-")], "staging folder left behind"

    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [q["id"] for q in QUESTIONS]
    answers = [Answer.model_validate(r["answer"]) for r in rows]
    assert all(len(a.passages) <= 3 for a in answers)
    assert answers[2].question == QUESTIONS[2]["question"]
    assert answers[2].retrieval_query  # condensed with the history by the chat's own code path

    # Every citation checked independently against the articles as loaded from disk.
    texts = {d.file_name: d.text for d in load_paths([SAMPLES]).documents}
    for r, a in zip(rows, answers, strict=True):
        for c, chk in zip(a.citations, r["score"]["citations"], strict=True):
            assert chk["valid"] == (texts.get(c.file_name, "")[c.start:c.end] == c.quote != "")

    # metrics.json agrees with a re-scoring of results.jsonl.
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    qs = load_questions(qfile)
    rescored = [score_question(q, a, {k: [v] for k, v in texts.items()}, k=3, latency_ms=r["score"]["latency_ms"])
                for q, a, r in zip(qs, answers, rows, strict=True)]
    assert aggregate(qs, rescored, k=3).as_dict() == metrics["metrics"]
    assert metrics["metrics"]["accuracy"] < 1.0
    assert metrics["metrics"]["counts"]["questions"] == 5 and metrics["k"] == 3
    assert set(metrics["by_type"]) == {"factoid", "follow-up", "unanswerable"}
    assert metrics["baseline"]["metrics"]["counts"]["questions"] == 5
    assert metrics["embedder"] == "hash-bow-384"

    base_rows = [json.loads(x) for x in (out / "baseline_results.jsonl").read_text(encoding="utf-8").splitlines()]
    for r in base_rows:
        a = Answer.model_validate(r["answer"])
        assert a.mode == "baseline" and not a.abstained and len(a.citations) == 1
        c = a.citations[0]
        assert r["score"]["citations"][0]["valid"] == (texts[c.file_name][c.start:c.end] == c.quote)

    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| accuracy |" in report and "baseline" in report and "## By question type" in report
    assert "| short_answer_accuracy |" in report and "| type | n | newsdesk correct | baseline correct | short answer right |" in report
    assert metrics["baseline"]["status"] == "ok" and metrics["baseline"]["metrics"]["short_answer_accuracy"] == 0.0
    assert set(metrics["by_type"]["factoid"]) >= {"correct", "short_answer_right"}
    assert [r["score"]["short_answer"] for r in rows] == [a.short_answer for a in answers]
    for r in rows:
        if not r["score"]["correct"]:
            assert f"### {r['id']} " in report
    assert "### s-5 (factoid)" in report and "zebra unicorn" in report
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # A floor that is not met: exit code 1, named; outputs replaced; the stale baseline file removed.
    assert run_eval(tmp_path, qfile, out, "--min-accuracy", "1", "--min-citation-validity", "0") == 1
    err = capsys.readouterr().err
    assert "FLOOR NOT MET: accuracy" in err and err.count("FLOOR NOT MET") == 1  # validity 0 is always met
    assert not (out / "baseline_results.jsonl").exists()
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert "baseline" not in metrics and metrics["floors"] == {"accuracy": 1.0, "citation_validity": 0.0}
    assert metrics["floors_failed"] and "Floors not met" in (out / "report.md").read_text(encoding="utf-8")


def test_undefined_metric_fails_its_floor(hash_env, capsys):
    tmp_path = hash_env
    qfile = write_jsonl(tmp_path / "q.jsonl", [QUESTIONS[0]])  # no unanswerable question
    assert run_eval(tmp_path, qfile, tmp_path / "out", "--min-abstention", "0.5") == 1
    assert "abstention is undefined" in capsys.readouterr().err


def test_labelled_rag_dataset(hash_env):
    tmp_path = hash_env
    ds = {"examples": [{
        "query": "How many families are on the waiting list for the reading robot?",
        "query_by": {"model_name": "human", "type": "human"},
        "reference_answer": "212",
        "reference_answer_by": {"model_name": "human", "type": "human"},
        "reference_contexts": ["Duarte said the waiting list already has 212 families on it."],
    }]}
    qfile = tmp_path / "rag.json"
    qfile.write_text(json.dumps(ds), encoding="utf-8")
    qs = load_questions(qfile, load_paths([SAMPLES]).documents)
    assert qs == [EvalQuestion(id="example-001", question=ds["examples"][0]["query"], answers=(("212",),),
                               sources=("library-robot.html",), evidence=tuple(ds["examples"][0]["reference_contexts"]),
                               type="labelled-rag", line=1)]
    out = tmp_path / "out"
    assert run_eval(tmp_path, qfile, out) == 0
    row = json.loads((out / "results.jsonl").read_text(encoding="utf-8"))
    assert row["id"] == "example-001"
    assert json.loads((out / "metrics.json").read_text(encoding="utf-8"))["metrics"]["counts"]["with_sources"] == 1


GOOD = {"id": "a", "question": "q?", "answers": [["x"]], "sources": ["harbour-bridge-reopens.txt"]}


@pytest.mark.parametrize(("content", "message"), [
    (json.dumps(GOOD) + "\n{not json\n", "q.jsonl:2: malformed JSON"),
    (json.dumps({**GOOD, "colour": "red"}) + "\n", "q.jsonl:1: unknown field(s) 'colour'"),
    ("\n\n", "the question set is empty"),
    (json.dumps(GOOD) + "\n\n" + json.dumps({**GOOD, "question": "other?"}) + "\n",
     "q.jsonl:3: duplicate id 'a' (first on line 1)"),
    (json.dumps({**GOOD, "answers": ["x", "y"]}) + "\n", "q.jsonl:1: 'answers' must be a list of alias groups"),
    (json.dumps({"id": "b", "question": "q?"}) + "\n", "q.jsonl:1: an answerable question needs 'answers'"),
    (json.dumps({"id": "b", "answers": [["x"]]}) + "\n", "q.jsonl:1: 'question' is required"),
    (json.dumps({"examples": [{"query": "q", "reference_answer": "a", "extra": 1}]}),
     "examples[0]: unknown field(s) 'extra'"),
])
def test_bad_question_sets_exit_2_and_write_nothing(hash_env, capsys, content, message):
    tmp_path = hash_env
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    assert run_eval(tmp_path, qfile, out) == 2
    err = capsys.readouterr().err
    assert message in err and str(qfile) in err and "Traceback" not in err
    assert not out.exists()


def test_missing_corpus_and_missing_questions_exit_2(hash_env, capsys):
    tmp_path = hash_env
    qfile = write_jsonl(tmp_path / "q.jsonl", [GOOD])
    out = tmp_path / "out"
    code = app.main(["eval", "--questions", str(qfile), "--corpus", str(tmp_path / "nope"), "--out", str(out)])
    assert code == 2 and "nope: corpus folder not found" in capsys.readouterr().err
    assert run_eval(tmp_path, tmp_path / "missing.jsonl", out) == 2
    assert "missing.jsonl: question file not found" in capsys.readouterr().err
    assert not out.exists()


def test_floor_outside_zero_one_is_a_usage_error(hash_env, capsys):
    tmp_path = hash_env
    with pytest.raises(SystemExit) as e:
        run_eval(tmp_path, tmp_path / "q.jsonl", tmp_path / "out", "--min-accuracy", "1.5")
    assert e.value.code == 2 and "not between 0 and 1" in capsys.readouterr().err


def test_load_questions_reads_the_dev_set_format(tmp_path):
    qfile = write_jsonl(tmp_path / "q.jsonl", QUESTIONS)
    qs = load_questions(qfile)
    assert [q.line for q in qs] == [1, 2, 3, 4, 5]
    assert qs[2].history == ("Who chairs the Brenna Valley orchard cooperative?",)
    assert qs[3].answerable is False and qs[3].answers == ()
    with pytest.raises(EvalInputError, match="unanswerable question cannot have 'answers'"):
        load_questions(write_jsonl(tmp_path / "bad.jsonl", [{**QUESTIONS[3], "answers": [["x"]]}]))


def test_llm_judged_faithfulness_beside_the_deterministic_scores(hash_env, monkeypatch, capsys):
    from tests.openai_server import OpenAIServer, Reply, prompt_of

    tmp_path = hash_env
    qfile = write_jsonl(tmp_path / "q.jsonl", QUESTIONS)
    out = tmp_path / "out"
    assert run_eval(tmp_path, qfile, out) == 0
    plain = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert "llm_judged" not in plain
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    cited = [r["id"] for r in rows if r["answer"]["citations"] and not r["answer"]["abstained"]]
    assert cited, "the samples should give at least one cited answer"

    def verdict(request: dict) -> str:
        return "SUPPORTED" if "48" in prompt_of(request) else "<think>hmm</think> UNSUPPORTED"

    with OpenAIServer(default=Reply(respond=verdict)) as server:
        monkeypatch.setenv("NEWSDESK_LLM_PROVIDER", "openai")
        monkeypatch.setenv("NEWSDESK_LLM_BASE_URL", server.base_url)
        assert run_eval(tmp_path, qfile, out, "--mode", "extractive") == 0
        assert len(server.requests) == len(cited)  # only answered, cited answers are judged
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    verdicts = {r["id"]: r["llm_judged_faithful"] for r in rows}
    expected = {r["id"]: ("48" in r["answer"]["answer"] or any("48" in c["quote"] for c in r["answer"]["citations"]))
                if r["id"] in cited else None for r in rows}
    assert verdicts == expected
    judged = [v for v in verdicts.values() if v is not None]
    assert metrics["llm_judged"]["judged"] == len(cited) and metrics["llm_judged"]["errors"] == 0
    assert metrics["llm_judged"]["faithfulness"] == round(sum(judged) / len(judged), 4)
    # The deterministic scores do not depend on the judge.
    for key in ("accuracy", "citation_precision", "citation_validity", "evidence_recall", "hit_at_k"):
        assert metrics["metrics"][key] == plain["metrics"][key]
    assert "LLM-judged faithfulness" in (out / "report.md").read_text(encoding="utf-8")


def test_unreachable_judge_is_skipped_not_fatal(hash_env, monkeypatch, capsys):
    from tests.openai_server import OpenAIServer

    tmp_path = hash_env
    with OpenAIServer() as server:
        url = server.base_url  # a free port, closed again below
    monkeypatch.setenv("NEWSDESK_LLM_PROVIDER", "openai")
    monkeypatch.setenv("NEWSDESK_LLM_BASE_URL", url)
    monkeypatch.setenv("NEWSDESK_LLM_TIMEOUT", "2")
    out = tmp_path / "out"
    assert run_eval(tmp_path, write_jsonl(tmp_path / "q.jsonl", QUESTIONS), out) == 0
    judged = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["llm_judged"]
    assert judged["faithfulness"] is None and 1 <= judged["errors"] <= 3
    assert "LLM judge failed" in capsys.readouterr().err


def test_a_question_the_assistant_refuses_is_scored_as_a_failure(hash_env, capsys):
    tmp_path = hash_env
    long_q = {**QUESTIONS[3], "id": "long", "question": "Why? " * 400}  # over max_question_chars
    out = tmp_path / "out"
    assert run_eval(tmp_path, write_jsonl(tmp_path / "q.jsonl", [long_q, QUESTIONS[0]]), out) == 0
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert "QuestionError" in rows[0]["score"]["error"] and rows[0]["score"]["correct"] is False
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["metrics"]
    assert metrics["counts"]["errors"] == 1 and metrics["abstention"] == 0.0
    assert "**error**: QuestionError" in (out / "report.md").read_text(encoding="utf-8")


class _BrokenBaseline:
    """Stands in for `BaselinePipeline`: checks that Newsdesk's results were published before it
    started, then fails the way a llama-index error would."""

    out: Path
    seen: ClassVar[dict] = {}

    def __init__(self, *args, **kwargs) -> None:
        metrics = json.loads((self.out / "metrics.json").read_text(encoding="utf-8"))
        _BrokenBaseline.seen = {"baseline": metrics["baseline"],
                                "rows": len((self.out / "results.jsonl").read_text(encoding="utf-8").splitlines())}
        raise ValueError("Metadata length (170) is longer than chunk size (160)")


def test_a_failing_baseline_keeps_the_newsdesk_results(hash_env, monkeypatch, capsys):
    import assistant.baseline

    tmp_path = hash_env
    out = tmp_path / "out"
    monkeypatch.setattr(_BrokenBaseline, "out", out, raising=False)
    monkeypatch.setattr(assistant.baseline, "BaselinePipeline", _BrokenBaseline)
    qfile = write_jsonl(tmp_path / "q.jsonl", QUESTIONS)
    # An earlier successful comparison leaves a baseline file that must not survive as if it were current.
    out.mkdir()
    (out / "baseline_results.jsonl").write_text("stale\n", encoding="utf-8")

    assert run_eval(tmp_path, qfile, out, "--baseline") == 0  # floors decide the exit code, not the baseline
    captured = capsys.readouterr()
    assert "warning: the baseline failed (ValueError: Metadata length" in captured.err
    assert "baseline: FAILED" in captured.out and "Traceback" not in captured.err

    # Newsdesk's files were in place, marked "pending", before the baseline was even built.
    assert _BrokenBaseline.seen == {"baseline": {"status": "pending"}, "rows": len(QUESTIONS)}
    assert not (out / "baseline_results.jsonl").exists()
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [q["id"] for q in QUESTIONS]
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["baseline"]["status"] == "failed" and "Metadata length" in metrics["baseline"]["error"]
    assert "metrics" not in metrics["baseline"] and metrics["metrics"]["counts"]["questions"] == len(QUESTIONS)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "**Baseline failed**" in report and "## Baseline failure" in report
    assert "Traceback (most recent call last)" in report and "test_evaluate.py" in report
    assert "| accuracy |" in report and "## By question type" in report

    # With a floor that is not met, the exit code is the floor's, the outputs the same.
    assert run_eval(tmp_path, qfile, out, "--baseline", "--min-accuracy", "1") == 1
    assert "FLOOR NOT MET: accuracy" in capsys.readouterr().err


def test_an_interrupted_baseline_leaves_the_newsdesk_results(hash_env, monkeypatch):
    import assistant.baseline

    class Interrupted:
        def __init__(self, *args, **kwargs) -> None:
            raise KeyboardInterrupt

    tmp_path = hash_env
    monkeypatch.setattr(assistant.baseline, "BaselinePipeline", Interrupted)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_eval(tmp_path, write_jsonl(tmp_path / "q.jsonl", QUESTIONS), out, "--baseline")
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["baseline"] == {"status": "pending"} and metrics["metrics"]["counts"]["questions"] == len(QUESTIONS)
    assert len((out / "results.jsonl").read_text(encoding="utf-8").splitlines()) == len(QUESTIONS)
    assert "Baseline: still running" in (out / "report.md").read_text(encoding="utf-8")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-")], "staging folder left behind"


def test_baseline_chunks_count_only_the_title_against_their_size(tmp_path, hash_embedder, capfd):
    """url/date/source/ids are not text: they must not shrink the baseline's chunks (llama-index's
    splitter subtracts the longer of the EMBED and LLM metadata strings from chunk_size)."""
    from llama_index.core.node_parser import SentenceSplitter

    from assistant.baseline import ID_METADATA, TEXT_METADATA, BaselinePipeline
    from index.loaders import Document, make_doc_id
    from index.store import make_client

    sentences = " ".join(f"Sample sentence {i} says the harbour crews counted {i * 7} gulls." for i in range(120))
    doc = Document(doc_id=make_doc_id(sentences), text=sentences, file_name="sample-gulls.txt",
                   title="Sample: gull count", date="2026-01-02", source="Sample Wire",
                   url="https://example.invalid/" + "very-long-path-segment/" * 12)
    pipeline = BaselinePipeline(make_client(path=tmp_path / "store"), [doc], hash_embedder, chunk_tokens=160)
    assert "Metadata length" not in capfd.readouterr().out  # llama-index prints this warning

    answer = pipeline.ask("How many gulls did sentence 7 count?", top_k=50)
    splitter = SentenceSplitter(chunk_size=160, chunk_overlap=20)
    lengths = [len(splitter._tokenizer(p.text)) for p in answer.passages]
    title_tokens = len(splitter._tokenizer(f"title: {doc.title}"))
    assert max(lengths) > 160 - title_tokens - 15  # a full chunk uses (nearly) all of the budget left by the title
    assert all(doc.text[p.start:p.end] == p.text for p in answer.passages)
    assert set(TEXT_METADATA) | set(ID_METADATA) == {"title", "file_name", "doc_id", "date", "source", "url"}


PROBES = Path(__file__).resolve().parent.parent / "eval" / "probes"


@pytest.mark.parametrize("name", ["seeds-dev.jsonl", "seeds-holdout.jsonl"])
def test_probe_sets_load_and_point_into_the_seed_articles(name):
    """The held-out probe sets are valid eval input; every non-yes/no alias group occurs in one of
    its sources (a label check, not a system check); no article text is copied as evidence."""
    from assistant.scoring import alias_matches
    from tests.conftest import SEEDS

    if not SEEDS.is_dir():
        pytest.skip("../shared/corpus/seeds is not present")
    docs = load_paths([SEEDS]).documents
    texts = {d.file_name: d.text for d in docs}
    qs = load_questions(PROBES / name, docs)
    assert len(qs) >= 40 and not any(q.evidence for q in qs)
    unanswerable = [q for q in qs if not q.answerable]
    assert 0.12 <= len(unanswerable) / len(qs) <= 0.2
    assert {q.type for q in qs} >= {"factoid", "casual", "yes-no", "definition", "summary", "comparison", "list",
                                    "follow-up", "topic-switch", "unanswerable"}
    for q in qs:
        assert all(s in texts for s in q.sources), q.id
        for group in q.answers:
            if group not in (("yes",), ("no",)):
                assert any(alias_matches(a, texts[s]) for a in group for s in q.sources), (q.id, group)
        assert not any(len(q.question) > 40 and q.question in t for t in texts.values()), q.id


def test_probe_sets_are_disjoint():
    dev, hold = (load_questions(PROBES / n) for n in ("seeds-dev.jsonl", "seeds-holdout.jsonl"))
    assert not {q.question.lower() for q in dev} & {q.question.lower() for q in hold}
    assert not {q.id for q in dev} & {q.id for q in hold}
