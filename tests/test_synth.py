"""bench/synth.py: deterministic, prefix-stable, sized in chunks as the real Chunker counts them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import synth

from index.chunking import Chunker
from index.loaders import load_paths


def test_same_seed_same_corpus_other_seed_differs():
    a = synth.generate(300, seed=3)
    b = synth.generate(300, seed=3)
    c = synth.generate(300, seed=4)
    assert [x.record() for x in a] == [x.record() for x in b]
    assert [x.text for x in a] != [x.text for x in c]


def test_smaller_corpus_is_prefix_of_larger():
    small = synth.generate(200, seed=7)
    large = synth.generate(1000, seed=7)
    assert [x.id for x in large[: len(small)]] == [x.id for x in small]
    assert large[len(small) - 1].text == small[-1].text


@pytest.mark.parametrize("target", [1_000, 3_000])
def test_size_matches_real_chunker(target):
    arts = synth.generate(target, seed=7)
    chunker = Chunker(max_tokens=160)
    real = sum(len(chunker.chunk(a.text)) for a in arts)
    assert abs(real - target) <= 0.03 * target, real
    # the shortest prefix: one article fewer would be under the target (by the estimate)
    assert sum(synth.article_chunks(a) for a in arts[:-1]) < target


def test_articles_have_metadata_and_generated_text():
    arts = synth.generate(500, seed=7)
    assert len({a.id for a in arts}) == len(arts)
    assert len({a.text for a in arts}) == len(arts)
    for a in arts[:50]:
        assert a.title and a.source in synth.SOURCES and len(a.date) == 10 and a.url.startswith("https://")
        assert a.text.startswith(a.title) and a.sentences[1] in a.text


@pytest.mark.parametrize("fmt", ["jsonl", "txt"])
def test_written_corpus_loads_with_metadata(tmp_path, fmt):
    arts = synth.generate(150, seed=7)
    synth.write_corpus(tmp_path / "c", arts, fmt=fmt, shard=10)
    loaded = load_paths([tmp_path / "c"])
    assert not loaded.skipped
    assert len(loaded.documents) == len(arts)
    by_url = {d.url: d for d in loaded.documents}
    first = by_url[arts[0].url]
    assert (first.date, first.source, first.url) == (arts[0].date, arts[0].source, arts[0].url)
    assert first.text == arts[0].text


def test_estimate_chunks_packing():
    assert synth.estimate_chunks([]) == 0
    assert synth.estimate_chunks([50]) == 1
    assert synth.estimate_chunks([50, 50, 50]) == 1
    # 4 x 60 with overlap: [0,1] then [1,2] then [2,3]
    assert synth.estimate_chunks([60, 60, 60, 60]) == 3
    # an over-long single sentence makes progress without overlap
    assert synth.estimate_chunks([200, 200]) == 2
