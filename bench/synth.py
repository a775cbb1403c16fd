"""Deterministic synthetic news-like corpus for benchmarks (all text is generated here, nothing copied).

Contract:
* `article(seed, i)` depends only on `(seed, i)`: a corpus of N articles is the prefix of any larger
  one with the same seed, so vectors computed for a small corpus can be reused for a larger one.
* `generate(n_chunks, seed)` returns the shortest prefix of articles whose estimated chunk count
  (the project's `Chunker` packing with `max_tokens` tiktoken tokens and one-sentence overlap,
  replayed on per-sentence token counts) reaches `n_chunks`.
* `write_corpus(...)` writes JSON Lines shards (`synth-NNNN.jsonl`, fields id/title/date/source/url/text)
  or one `.txt` per article plus `manifest.jsonl`; both load with `index.loaders.load_paths`.

    python bench/synth.py --chunks 10000 --out data/bench/synth-10k [--format txt] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}

SOURCES = (
    "Harbor Ledger", "Northfield Courier", "Meridian Wire", "Valley Sentinel", "Coastline Times",
    "Granite Post", "Lakeshore Dispatch", "Summit Herald",
)
CITIES = (
    "Port Calder", "Eastvale", "Marrow Bay", "Lindholm", "Orrin Falls", "Sable Point", "Tessaly",
    "Brightwater", "Kestrel Ridge", "New Arden", "Halvorsen", "Quillon",
)
COUNTRIES = ("Norvania", "Estrel", "Kaldoria", "Vessmark", "Orlandia", "Tamsin", "Brevik", "Sorrel")
FIRST = (
    "Amara", "Jonas", "Leila", "Tomasz", "Ingrid", "Rafael", "Mei", "Oskar", "Priya", "Dmitri",
    "Helena", "Kofi", "Sofia", "Anders", "Yusuf", "Clara", "Mateo", "Nadia",
)
LAST = (
    "Varga", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Petrov", "Haddad", "Castellano", "Brandt",
    "Nakamura", "Osei", "Kowalski", "Ferreira", "Sorensen", "Aziz", "Delacroix",
)
ROLES = (
    "finance minister", "mayor", "central bank governor", "union leader", "health commissioner",
    "port authority chief", "energy regulator", "foreign minister", "chief economist", "police commissioner",
)
ORGS = (
    "the Regional Water Board", "the National Rail Company", "the Harbor Workers Union",
    "the Ministry of Energy", "the Federal Statistics Office", "the Coastal Research Institute",
    "the Chamber of Commerce", "the Public Health Agency", "the Grain Exporters Council",
)
TOPICS = (
    ("water prices", "the drought"), ("rail fares", "the new timetable"), ("grain exports", "the harvest"),
    ("wind farms", "the grid upgrade"), ("housing permits", "the zoning reform"),
    ("hospital wait times", "the staffing plan"), ("port tariffs", "the shipping dispute"),
    ("interest rates", "inflation"), ("bus routes", "the transit strike"), ("fishing quotas", "the treaty"),
)
VERBS = ("said", "told reporters", "wrote in a statement", "argued", "warned", "confirmed", "insisted")
UNITS = ("percent", "million crowns", "thousand households", "kilometres", "megawatts", "tonnes")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_TEMPLATES = (
    "{person}, the {role} of {country}, {verb} on {day} that {topic} would rise by {num} {unit} before the end of the year.",
    "Officials in {city} {verb} that {org} had not yet published its review of {cause}.",
    "According to figures released by {org}, {topic} in {city} fell by {num} {unit} compared with the previous quarter.",
    "The agreement between {country} and {country2} was reached after {num} days of talks in {city}, mediated by {org}.",
    "{person} {verb} that the dispute over {topic} was a direct consequence of {cause}.",
    "Residents of {city} gathered outside the town hall on {day} to protest against {topic}.",
    "Critics, including {person}, {verb} that {org} had underestimated the effect of {cause} on {topic}.",
    "The plan, first announced in {city}, would cost roughly {num} {unit} over five years.",
    "In a separate development, {org} {verb} that it would review {topic} in {country2} next month.",
    "{person} {verb} that talks with {country2} would resume in {city} once {cause} had eased.",
    "Analysts at {org} expect {topic} to stabilise if {cause} does not worsen over the winter.",
    "The vote in the {country} parliament passed by {num} votes, ending months of debate about {topic}.",
)
_TITLES = (
    "{country} and {country2} agree on {topic} after talks in {city}",
    "{city} braces for changes to {topic}",
    "{person} defends {topic} amid criticism over {cause}",
    "{org_title} reviews {topic} as {cause} bites",
    "Protests in {city} over {topic}",
)


@dataclass(frozen=True)
class SynthArticle:
    id: str
    title: str
    date: str
    source: str
    url: str
    text: str
    sentences: tuple[str, ...]

    def record(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "date": self.date, "source": self.source,
                "url": self.url, "text": self.text}


def _fill(rng: random.Random, template: str) -> str:
    topic, cause = rng.choice(TOPICS)
    country, country2 = rng.sample(COUNTRIES, 2)
    org = rng.choice(ORGS)
    values = {
        "person": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "role": rng.choice(ROLES),
        "country": country, "country2": country2, "city": rng.choice(CITIES), "org": org,
        "org_title": org.removeprefix("the "), "topic": topic, "cause": cause,
        "verb": rng.choice(VERBS), "day": rng.choice(DAYS), "num": rng.randint(2, 950),
        "unit": rng.choice(UNITS),
    }
    text = template.format(**values)
    return text[0].upper() + text[1:]


def article(seed: int, i: int) -> SynthArticle:
    """The i-th article of the corpus `seed` (pure function of both)."""
    rng = random.Random(seed * 1_000_003 + i)
    n_sent = rng.randint(6, 28)
    sentences = tuple(_fill(rng, rng.choice(_TEMPLATES)) for _ in range(n_sent))
    paragraphs: list[str] = []
    k = 0
    while k < n_sent:
        step = rng.randint(2, 4)
        paragraphs.append(" ".join(sentences[k : k + step]))
        k += step
    title = _fill(rng, rng.choice(_TITLES))
    day = date(2024, 1, 1) + timedelta(days=rng.randrange(900))
    source = rng.choice(SOURCES)
    art_id = f"synth-{seed}-{i:06d}"
    slug = source.lower().replace(" ", "")
    return SynthArticle(
        id=art_id, title=title, date=day.isoformat(), source=source,
        url=f"https://{slug}.example/{day.year}/{art_id}", text=title + "\n\n" + "\n\n".join(paragraphs),
        sentences=(title, *sentences),
    )


def estimate_chunks(sentence_tokens: list[int], max_tokens: int = 160) -> int:
    """Chunks the project's Chunker makes from sentences of these token counts (greedy packing,
    one-sentence overlap unless a chunk is a single sentence)."""
    n = len(sentence_tokens)
    chunks, i = 0, 0
    while i < n:
        j, total = i + 1, sentence_tokens[i]
        while j < n and total + sentence_tokens[j] <= max_tokens:
            total += sentence_tokens[j]
            j += 1
        chunks += 1
        if j >= n:
            break
        i = j - 1 if j - 1 > i else j
    return chunks


def article_chunks(a: SynthArticle, max_tokens: int = 160) -> int:
    from index.chunking import count_tokens

    return estimate_chunks([count_tokens(s) for s in a.sentences], max_tokens)


def iter_articles(seed: int = 7) -> Iterator[SynthArticle]:
    i = 0
    while True:
        yield article(seed, i)
        i += 1


def generate(n_chunks: int, seed: int = 7, max_tokens: int = 160) -> list[SynthArticle]:
    """Shortest article prefix with at least `n_chunks` estimated chunks."""
    out: list[SynthArticle] = []
    total = 0
    for a in iter_articles(seed):
        if total >= n_chunks:
            break
        out.append(a)
        total += article_chunks(a, max_tokens)
    return out


def write_corpus(out: Path, articles: list[SynthArticle], fmt: str = "jsonl", shard: int = 1000) -> list[Path]:
    """Write the articles under `out` (created); returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    if fmt == "jsonl":
        for k in range(0, len(articles), shard):
            path = out / f"synth-{k // shard:04d}.jsonl"
            path.write_text("".join(json.dumps(a.record()) + "\n" for a in articles[k : k + shard]),
                            encoding="utf-8")
            files.append(path)
    elif fmt == "txt":
        manifest = []
        for a in articles:
            path = out / f"{a.id}.txt"
            path.write_text(a.text, encoding="utf-8")
            files.append(path)
            manifest.append(json.dumps({"file": path.name, "title": a.title, "date": a.date,
                                        "source": a.source, "url": a.url}))
        (out / "manifest.jsonl").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    else:
        raise ValueError(f"unknown format {fmt!r} (expected 'jsonl' or 'txt')")
    return files


def main(argv: list[str] | None = None) -> int:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from index.offline import enforce_offline

    enforce_offline()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chunks", type=int, default=1000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--format", choices=["jsonl", "txt"], default="jsonl")
    args = p.parse_args(argv)
    arts = generate(args.chunks, args.seed)
    files = write_corpus(args.out, arts, args.format)
    print(f"{len(arts)} articles (~{args.chunks} chunks) in {len(files)} file(s) under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
