"""reader probability + first-stage features → P(the sentence answers the question), and abstention.

A logistic regression over two features of each candidate sentence: the first stage's score
(`assistant.select`: embedding similarity, lexical coverage, answer-type cue, rank) and the learned
reader's logit. Fitting the first stage's parts separately (6 features) was measured too and
selected worse (out-of-fold accuracy@1 0.749 vs 0.798 on calibration) — see models/combiner/MODEL_CARD.md. Its weights and its abstention threshold are fitted by `training/combiner/fit.py` on
held-out calibration data (never on what the reader was trained on) and shipped in
`models/combiner/combiner.json`, whose sha256 `manifest.json` pins. Why not the reader alone: a small
cross-encoder trained on Wikipedia questions for minutes misjudges some news sentences that the
collection's own statistics (IDF coverage, similarity) get right, and the reverse; the regression
weighs them by measurement instead of by hand.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.candidates import Candidate
from index.embeddings import sha256_of

DEFAULT_COMBINER_DIR = Path(__file__).resolve().parent.parent / "models" / "combiner"
FEATURES = ("first_stage", "reader_logit")


class CombinerModelError(RuntimeError):
    """The combiner's weights are missing, damaged or do not match their manifest."""


def features(c: Candidate) -> list[float]:
    """The feature vector of a scored candidate, in `FEATURES` order (the fit uses the same)."""
    p = min(max(c.p_answer, 1e-6), 1 - 1e-6)
    return [c.first, math.log(p / (1 - p))]


@dataclass(frozen=True)
class Combiner:
    """Fitted weights. `probability` is the logistic model; `threshold` the abstention cut on the
    best candidate's probability."""

    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, c: Candidate) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features(c), strict=True))
        return 1.0 / (1.0 + math.exp(-z))

    @classmethod
    def load(cls, model_dir: Path = DEFAULT_COMBINER_DIR) -> Combiner:
        """Read `combiner.json` after checking its sha256 against `manifest.json`."""
        data = pinned_json(model_dir, FEATURES, CombinerModelError, "combiner")
        return cls(tuple(float(w) for w in data["weights"]), float(data["bias"]), float(data["threshold"]))


def pinned_json(model_dir: Path, features: tuple[str, ...], error: type[Exception], what: str) -> dict[str, Any]:
    """The fitted logistic model (`what`: its name in messages) in `model_dir` (the file
    `manifest.json` names), after checking its sha256 against the manifest and its feature names
    against `features`; `error` on any mismatch."""
    manifest_path = model_dir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        path = model_dir / manifest["file"]
        actual = sha256_of(path)
    except (OSError, ValueError, KeyError) as e:
        raise error(f"cannot read the {what} model in {model_dir}: {e}") from e
    if actual != manifest["sha256"]:
        raise error(f"{path} is damaged or replaced: sha256 {actual}, expected {manifest['sha256']}")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != features:
        raise error(f"{path} was fitted on features {data['features']}, this code computes {features}")
    return data

