"""The committed reader model: loads checked, refuses a damaged copy, deterministic, reads as trained.

Examples are written for these tests (not from any corpus or eval set)."""

from __future__ import annotations

import json
import shutil
import threading

import pytest

from assistant.reader import DEFAULT_MODEL_DIR, MANIFEST, Reader, ReaderModelError, ReaderScore, best_span

pytestmark = pytest.mark.integration

RECALL_Q = "Which company recalled 2 million cars?"
ANSWERS = "Vexa Motors said it would recall 2 million cars."
ECHOES = "The company announced the recall on Monday."


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader(DEFAULT_MODEL_DIR)


def test_manifest_thresholds_are_probabilities(reader):
    assert 0.0 < reader.answer_threshold < 1.0
    assert 0.0 <= reader.span_threshold <= 1.0
    assert reader.manifest["bytes"] <= 25_000_000


def test_damaged_copy_is_refused_naming_file_and_hashes(tmp_path):
    manifest = json.loads((DEFAULT_MODEL_DIR / MANIFEST).read_text())
    for name in (MANIFEST, manifest["file"]):
        shutil.copy(DEFAULT_MODEL_DIR / name, tmp_path / name)
    model = tmp_path / manifest["file"]
    raw = bytearray(model.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    model.write_bytes(bytes(raw))
    with pytest.raises(ReaderModelError) as err:
        Reader(tmp_path)
    message = str(err.value)
    assert str(model) in message and manifest["sha256"] in message


def test_missing_manifest_is_refused(tmp_path):
    with pytest.raises(ReaderModelError, match="manifest"):
        Reader(tmp_path)


def test_the_sentence_that_answers_beats_the_one_that_echoes(reader):
    scores = reader.score(RECALL_Q, [("", ECHOES), (ECHOES, ANSWERS)])
    assert all(isinstance(s, ReaderScore) for s in scores)
    assert scores[1].p_answer > scores[0].p_answer
    assert scores[1].p_answer > reader.answer_threshold
    a, b = scores[1].span  # type: ignore[misc]
    assert 0 <= a < b <= len(ANSWERS)
    assert "Vexa" in ANSWERS[a:b]


def test_more_pairs_answer_beats_echo(reader):
    cases = [
        ("How much did the city spend on the new bridge?",
         "The new bridge across the river opened to traffic last week.",
         "The city spent 48 million dollars on the bridge, officials said."),
        ("Who won the regional election in Norland?",
         "The regional election in Norland was held on Sunday under heavy rain.",
         "Maria Eskola of the Green Alliance won with 52 percent of the vote."),
    ]
    for question, echo, answer in cases:  # as in an article: the answer follows the sentence that echoes
        echo_s, answer_s = reader.score(question, [("", echo), (echo, answer)])
        assert answer_s.p_answer > echo_s.p_answer, question


def test_spans_lie_inside_their_sentences(reader):
    items = [("", "The port of Kelmar handled 3.1 million containers in 2023, a record."),
             ("Prices rose.", "Inflation reached 7.4 percent in March, the statistics office said."),
             ("", "Rain."), ("", "")]
    for (_prev, sentence), s in zip(items, reader.score("What was the inflation rate in March?", items),
                                    strict=True):
        assert 0.0 <= s.p_answer <= 1.0 and 0.0 <= s.span_p <= 1.0
        if s.span is None:
            assert not sentence.strip()
        else:
            assert 0 <= s.span[0] < s.span[1] <= len(sentence)
    best = reader.score("What was the inflation rate in March?", items[1:2])[0]
    assert best.span is not None
    assert "7.4" in items[1][1][best.span[0] : best.span[1]]


def test_outputs_are_deterministic_and_batch_independent(reader):
    items = [("", ECHOES), (ECHOES, ANSWERS)] * 20  # more than one internal batch
    first = reader.score(RECALL_Q, items)
    again = reader.score(RECALL_Q, items)
    alone = reader.score(RECALL_Q, items[1:2])
    assert first == again
    assert alone[0].span == first[1].span
    # Dynamic int8 quantization scales activations per batch, so a row's probability moves a little with
    # its batch mates (padding included); the ranking and the span do not.
    assert abs(alone[0].p_answer - first[1].p_answer) < 0.05
    assert reader.score(RECALL_Q, []) == [] and reader.judge(RECALL_Q, []) == []


def test_concurrent_calls_agree(reader):
    expected = reader.score(RECALL_Q, [("", ANSWERS), ("", ECHOES)])
    results: list[list[ReaderScore]] = []

    def work() -> None:
        results.append(reader.score(RECALL_Q, [("", ANSWERS), ("", ECHOES)]))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 4
    for r in results:
        assert [x.span for x in r] == [x.span for x in expected]
        assert all(abs(a.p_answer - b.p_answer) < 1e-4 for a, b in zip(r, expected, strict=True))


def test_judge_yes_no_and_not_said(reader):
    yes, unrelated = reader.judge("is the museum open on sundays",
                                  ["The museum is open every day of the week, including Sundays.",
                                   "The museum sells tickets online."])
    assert all(abs(sum(p) - 1.0) < 1e-5 for p in (yes, unrelated))
    assert yes[0] > yes[1] and yes[0] > yes[2]
    assert unrelated[2] > max(unrelated[0], unrelated[1])
    entailed, contradicted = reader.judge("A man is playing a guitar on stage.",
                                          ["A man performs a song on a guitar in front of an audience.",
                                           "Nobody is playing any instrument; the stage is empty."])
    assert entailed[0] > entailed[1]
    assert contradicted[1] > contradicted[0]


def test_best_span_respects_window_and_order():
    import numpy as np

    start = np.array([0, 5, 0, 0, 0], dtype=np.float32)
    end = np.array([9, 0, 0, 6, 0], dtype=np.float32)  # the end before the start must not win
    a, b, p = best_span(start, end, 1, 5)
    assert (a, b) == (1, 3) and 0 < p <= 1
    assert best_span(start, end, 2, 2) == (-1, -1, 0.0)
