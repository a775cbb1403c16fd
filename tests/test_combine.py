"""The answer combiner: shipped weights load sha256-checked; the probability is deterministic and
rises with the reader's evidence."""

from __future__ import annotations

import json
import shutil

import pytest

from assistant.candidates import Candidate
from assistant.combine import DEFAULT_COMBINER_DIR, FEATURES, Combiner, CombinerModelError, features
from assistant.types import Passage

PASSAGE = Passage(doc_id="d", file_name="sample.txt", chunk_id="d:0", start=0, end=10, text="x" * 10, score=1.0)


def _candidate(p_answer: float, first: float = 0.4) -> Candidate:
    c = Candidate(PASSAGE, 0, 0, 10, "A sample sentence.")
    c.p_answer, c.first = p_answer, first
    return c


def test_shipped_weights_load_and_match_the_features_computed():
    model = Combiner.load()
    assert len(model.weights) == len(FEATURES) == len(features(_candidate(0.5)))
    assert 0.0 < model.threshold < 1.0


def test_probability_is_deterministic_and_follows_both_kinds_of_evidence():
    model = Combiner.load()
    low, high = _candidate(0.05), _candidate(0.95)
    assert model.probability(high) == model.probability(_candidate(0.95))
    assert model.probability(high) > model.probability(low)
    assert model.probability(_candidate(0.5, first=0.7)) > model.probability(_candidate(0.5, first=0.3))
    assert 0.0 < model.probability(low) < 1.0


def test_a_damaged_weights_file_is_refused(tmp_path):
    copy = tmp_path / "combiner"
    shutil.copytree(DEFAULT_COMBINER_DIR, copy)
    path = copy / "combiner.json"
    data = json.loads(path.read_text())
    data["bias"] += 1.0
    path.write_text(json.dumps(data))
    with pytest.raises(CombinerModelError, match="damaged or replaced"):
        Combiner.load(copy)


def test_a_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(CombinerModelError, match="cannot read the combiner model"):
        Combiner.load(tmp_path)
