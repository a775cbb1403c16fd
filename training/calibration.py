"""Shared plumbing of the scripts that fit on the CALIBRATION splits of training/splits.json
(`training/combiner/fit.py`, `training/answerability/fit.py`): converting the SQuAD 2.0 and CLAPNQ
calibration sets with `app.py convert`, caching each set's collected rows, the ≤ 5 % false-abstention
cut, the command line, and writing a fitted logistic model with its sha256 manifest."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# offline, without telemetry, for every fitting script that imports this module
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
MAX_FALSE_ABSTENTION = 0.05
FITTED_ON = "training/splits.json calibration: squad2 calibration_articles + clapnq calibration"


def convert(dataset: str, out: Path, limit: int | None, seed: int) -> Path:
    """The calibration split of `dataset` as an eval set in `out` (converted once)."""
    if not (out / "questions.jsonl").exists():
        cmd = [sys.executable, str(ROOT / "app.py"), "convert", dataset, "--split", "calibration", "--out", str(out)]
        if limit:
            cmd += ["--limit", str(limit), "--seed", str(seed)]
        subprocess.run(cmd, check=True, cwd=ROOT)
    return out


def calibration_rows(args: argparse.Namespace,
                     collect: Callable[[Path, Path], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """`collect(set_dir, store_dir)` over both calibration sets; each set's rows are cached in
    `<work>/<dataset>-rows.json` (delete it after changing the read path)."""
    rows: list[dict[str, Any]] = []
    for dataset in ("squad2", "clapnq"):
        set_dir = convert(dataset, args.work / dataset, args.limit, args.seed)
        cache = args.work / f"{dataset}-rows.json"
        if cache.exists():
            part = json.loads(cache.read_text())
        else:
            part = collect(set_dir, args.work / f"{dataset}-store")
            cache.write_text(json.dumps(part))
        rows += part
    return rows


def threshold_for(best_answerable: np.ndarray, share: float = MAX_FALSE_ABSTENTION) -> float:
    """The highest cut that abstains on at most `share` of the answerable questions."""
    return float(np.quantile(best_answerable, max(0.0, share))) if len(best_answerable) else 0.5


def arguments(description: str, name: str, argv: list[str] | None) -> argparse.Namespace:
    """--work (default data/<name>-fit), --limit, --seed, --out (default models/<name>)."""
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / "data" / f"{name}-fit")
    ap.add_argument("--limit", type=int, default=None, help="questions per set (seeded sample)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", type=Path, default=ROOT / "models" / name)
    return ap.parse_args(argv)


def write_model(out: Path, file_name: str, features: tuple[str, ...], model: Any, cut: float,
                figures: dict[str, Any]) -> Path:
    """Write the fitted logistic `model` (its weights named by `features`), the abstention `cut` and
    the out-of-fold `figures` as `out/file_name`, and its sha256 as `out/manifest.json`; print them."""
    from index.embeddings import sha256_of

    payload = {"features": list(features), "weights": [round(float(w), 6) for w in model.coef_[0]],
               "bias": round(float(model.intercept_[0]), 6), "threshold": round(cut, 4), "fitted_on": FITTED_ON,
               "figures_out_of_fold": figures}
    out.mkdir(parents=True, exist_ok=True)
    path = out / file_name
    path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps({"file": path.name, "sha256": sha256_of(path)}, indent=1) + "\n")
    print(f"weights {dict(zip(features, payload['weights'], strict=True))} bias {payload['bias']} "
          f"threshold {payload['threshold']}")
    print(f"wrote {path}")
    return path
