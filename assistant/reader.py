"""The learned reader: one int8 ONNX cross-encoder (fine-tuned from all-MiniLM-L6-v2) with three heads.

* answer head: (question, candidate sentence with its previous sentence) → P(the sentence contains the answer)
* span head: start/end logits over the candidate sentence's tokens → the short answer span
* judge head: (question or claim, premise) → P(yes / supported), P(no / refuted), P(not said)

Input layout (the training script encodes with the same `encode_rows`, so train and serve agree):
`[CLS] question [SEP] sentence [SEP] previous-sentence [SEP]`, token types 0 for the question part and 1
for the rest. The candidate sentence comes first in the second segment, so it is never cut to make room
for its neighbour; the previous sentence is cut from its start. The judge uses `[CLS] claim [SEP] premise [SEP]`.

`Reader(model_dir)` reads `manifest.json` there, checks the ONNX file's sha256 against it (a damaged or
replaced file is refused with `ReaderModelError`) and runs it with onnxruntime on the CPU. The tokenizer
is the shipped MiniLM's `tokenizer.json` (same vocabulary as the fine-tuned model). Nothing is downloaded.
A `Reader` is safe to share between threads: onnxruntime sessions allow concurrent `run`, and the
tokenizer is configured once and never again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from index.embeddings import minilm_dir, sha256_of

MANIFEST = "manifest.json"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "reader"
OUTPUTS = ("answer_logit", "start_logits", "end_logits", "judge_logits")
MAX_SPAN_TOKENS = 16  # longest short answer considered, in word pieces


class ReaderModelError(RuntimeError):
    """The reader model is missing, damaged or does not match its manifest."""


@dataclass(frozen=True)
class ReaderScore:
    """The reader's view of one candidate sentence.

    `p_answer`: probability that the sentence contains the answer to the question.
    `span`: (start, end) character offsets of the most likely short answer inside the sentence
    (`sentence[start:end]`), None when the sentence was empty after tokenization.
    `span_p`: the span's probability (product of its start and end probabilities, 0–1)."""

    p_answer: float
    span: tuple[int, int] | None
    span_p: float


@dataclass(frozen=True)
class EncodedRows:
    """A padded batch of encoded rows, plus for each row where the sentence's word pieces sit
    (`sent_start`..`sent_end`, exclusive) and their character offsets inside the sentence."""

    input_ids: NDArray[np.int64]
    attention_mask: NDArray[np.int64]
    token_type_ids: NDArray[np.int64]
    sent_start: tuple[int, ...]
    sent_end: tuple[int, ...]
    offsets: tuple[tuple[tuple[int, int], ...], ...]

    def inputs(self) -> dict[str, NDArray[np.int64]]:
        return {"input_ids": self.input_ids, "attention_mask": self.attention_mask,
                "token_type_ids": self.token_type_ids}


def load_tokenizer(model_dir: Path | None = None) -> Any:
    """The MiniLM word-piece tokenizer, without special tokens, truncation or padding (`encode_rows` does those)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str((model_dir or minilm_dir()) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def encode_rows(tok: Any, questions: Sequence[str], sentences: Sequence[str], previous: Sequence[str],
                max_len: int, max_question: int) -> EncodedRows:
    """Encode rows (question, sentence, previous sentence — "" for none) in the reader's layout.

    The question keeps its first `max_question` word pieces, the sentence what fits after it, the
    previous sentence its last pieces in the room left (dropped when fewer than 4 would fit)."""
    cls_id, sep_id, pad_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]"), tok.token_to_id("[PAD]")
    q_enc = tok.encode_batch(list(questions), add_special_tokens=False)
    s_enc = tok.encode_batch(list(sentences), add_special_tokens=False)
    p_enc = tok.encode_batch(list(previous), add_special_tokens=False)
    rows: list[list[int]] = []
    types: list[list[int]] = []
    starts: list[int] = []
    ends: list[int] = []
    offs: list[tuple[tuple[int, int], ...]] = []
    for q, s, p in zip(q_enc, s_enc, p_enc, strict=True):
        q_ids = q.ids[:max_question]
        room = max_len - len(q_ids) - 3
        s_ids = s.ids[:room]
        room -= len(s_ids) + 1  # the separator after the previous sentence
        p_ids = p.ids[-room:] if room >= 4 and p.ids else []
        ids = [cls_id, *q_ids, sep_id, *s_ids, sep_id]
        first = len(q_ids) + 2
        if p_ids:
            ids += [*p_ids, sep_id]
        rows.append(ids)
        types.append([0] * first + [1] * (len(ids) - first))
        starts.append(first)
        ends.append(first + len(s_ids))
        offs.append(tuple((int(a), int(b)) for a, b in s.offsets[: len(s_ids)]))
    width = max(len(r) for r in rows)
    ids_arr = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    type_arr = np.zeros((len(rows), width), dtype=np.int64)
    for i, (r, t) in enumerate(zip(rows, types, strict=True)):
        ids_arr[i, : len(r)] = r
        mask[i, : len(r)] = 1
        type_arr[i, : len(t)] = t
    return EncodedRows(ids_arr, mask, type_arr, tuple(starts), tuple(ends), tuple(offs))


def best_span(start_logits: NDArray[np.float32], end_logits: NDArray[np.float32], lo: int, hi: int,
              max_tokens: int = MAX_SPAN_TOKENS) -> tuple[int, int, float]:
    """(first, last, probability) of the best word-piece span within [lo, hi) of one row: start and end
    probabilities are softmaxes over the sentence's pieces; the span maximizes their product with
    first ≤ last < first + max_tokens. Returns (-1, -1, 0.0) for an empty sentence."""
    if hi <= lo:
        return -1, -1, 0.0
    ps = _softmax(start_logits[lo:hi].astype(np.float64))
    pe = _softmax(end_logits[lo:hi].astype(np.float64))
    joint = np.triu(np.outer(ps, pe)) - np.triu(np.outer(ps, pe), k=max_tokens)
    flat = int(np.argmax(joint))
    a, b = divmod(flat, joint.shape[1])
    return lo + a, lo + b, float(joint[a, b])


def _softmax(x: NDArray[np.float64]) -> NDArray[np.float64]:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return np.asarray(e / e.sum(axis=-1, keepdims=True))


def _sigmoid(x: NDArray[np.float32]) -> NDArray[np.float64]:
    return np.asarray(1.0 / (1.0 + np.exp(-x.astype(np.float64))))


class Reader:
    """The learned reader (see the module docstring). Construct once and share; methods batch internally."""

    def __init__(self, model_dir: Path = DEFAULT_MODEL_DIR, threads: int = 2, batch_size: int = 32) -> None:
        manifest_path = model_dir / MANIFEST
        if not manifest_path.is_file():
            raise ReaderModelError(f"Reader manifest {manifest_path} is missing.")
        self.manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
        path = model_dir / self.manifest["file"]
        if not path.is_file():
            raise ReaderModelError(f"Reader model {path} is missing.")
        expected = self.manifest["sha256"]
        actual = sha256_of(path)
        if actual != expected:
            raise ReaderModelError(
                f"Reader model {path} is damaged or was replaced: sha256 {actual}, expected {expected} "
                f"(from {manifest_path}). Restore it from git."
            )
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self._tok = load_tokenizer()
        self._max_len = int(self.manifest["max_len"])
        self._max_question = int(self.manifest["max_question_tokens"])
        self._batch = batch_size

    @property
    def answer_threshold(self) -> float:
        """Abstain when the best `p_answer` over all candidates is below this (chosen on the calibration split)."""
        return float(self.manifest["thresholds"]["answer"])

    @property
    def span_threshold(self) -> float:
        """Below this `span_p` the span is a guess: lead with no short answer (chosen on the calibration split)."""
        return float(self.manifest["thresholds"]["span"])

    def _run(self, questions: Sequence[str], sentences: Sequence[str], previous: Sequence[str]
             ) -> list[tuple[EncodedRows, list[NDArray[np.float32]]]]:
        out = []
        for i in range(0, len(sentences), self._batch):
            enc = encode_rows(self._tok, questions[i : i + self._batch], sentences[i : i + self._batch],
                              previous[i : i + self._batch], self._max_len, self._max_question)
            out.append((enc, self._session.run(list(OUTPUTS), enc.inputs())))
        return out

    def score(self, question: str, items: Sequence[tuple[str, str]]) -> list[ReaderScore]:
        """One `ReaderScore` per (previous_sentence, sentence) item, in order."""
        if not items:
            return []
        results: list[ReaderScore] = []
        for enc, (ans, start, end, _judge) in self._run([question] * len(items), [s for _, s in items],
                                                         [p for p, _ in items]):
            probs = _sigmoid(ans.reshape(-1))
            for row in range(len(probs)):
                a, b, p = best_span(start[row], end[row], enc.sent_start[row], enc.sent_end[row])
                span = None
                if a >= 0:
                    offs = enc.offsets[row]
                    span = (offs[a - enc.sent_start[row]][0], offs[b - enc.sent_start[row]][1])
                results.append(ReaderScore(float(probs[row]), span, p))
        return results

    def judge(self, question_or_claim: str, premises: Sequence[str]) -> list[tuple[float, float, float]]:
        """(yes/supported, no/refuted, not-said) probabilities of the question or claim given each premise."""
        if not premises:
            return []
        results: list[tuple[float, float, float]] = []
        for _enc, (_ans, _s, _e, judge) in self._run([question_or_claim] * len(premises), list(premises),
                                                     [""] * len(premises)):
            for row in _softmax(judge.astype(np.float64)):
                results.append((float(row[0]), float(row[1]), float(row[2])))
        return results
