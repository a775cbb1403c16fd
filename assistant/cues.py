"""Answer types and typed cues: what kind of value a question asks for (a count, a date, a name, a
place) and whether — and where — a sentence offers one ("lead": the short span, "cue": how well).

Hand-written regexes and a gazetteer (GeoNames via `assistant.places`); no library tags these
question types.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable

from assistant import places

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    "seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|hundreds|"
    "thousand|thousands|million|millions|dozen|dozens"
)
_NUMBER = re.compile(rf"\b(?:\d[\d,.]*\d|\d|(?:{_NUMBER_WORDS}))\b", re.IGNORECASE)
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:,\s*\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?|{_MONTH}\s+\d{{4}}|"
    r"(?:19|20)\d\d|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|"
    r"(?:last|next|this)\s+(?:week|month|year)|\d+\s+(?:days?|weeks?|months?|years?)\s+ago)\b"
)
# A capitalized run (names, organisations, countries, places), allowing inner "of"/"the"/"and"-less joins.
_NAME = re.compile(r"\b(?:[A-Z][\w'’.-]*[A-Za-z]|U\.S\.|UAE|US)(?:\s+(?:of\s+|the\s+)?(?:[A-Z][\w'’.-]*[A-Za-z]|U\.S\.))*")
_NAME_STOP = {"The", "A", "An", "In", "On", "At", "It", "He", "She", "They", "This", "That", "These", "Those",
              "But", "And", "However", "Despite", "As", "For", "With", "While", "Although", "After", "Before",
              "Meanwhile", "His", "Her", "Their", "Its", "We", "I", "If", "When", "Two", "Three", "Today"}


def answer_type(question: str) -> str:
    q = question.lower()
    if re.search(r"\bhow (many|much)\b|\bwhat (number|percentage|share)\b|\bhow (long|old|far)\b", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (date|day|year|month|time)\b|\bsince when\b", q):
        return "date"
    # "which city", "which Russian region": one optional adjective may stand between
    if re.search(r"\b(which|what) (\w+ )?(city|cities|town|capital)\b", q):
        return "city"
    if re.search(r"\b(which|what) (\w+ )?(country|countries|nation|nations|state)\b", q):
        return "country"
    if re.search(r"\bwhere\b|\b(which|what) (\w+ )?(region|regions|province|place|places|area|areas|territory)\b", q):
        return "place"
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich (country|countries|organi[sz]ation|official|officials|"
                 r"negotiator|person|people|leader|minister|group|nation)\b", q):
        return "name"
    return "other"

def known_names(texts: Iterable[str]) -> set[str]:
    """Capitalized words seen inside sentences: these are names, not sentence-initial words."""
    names: set[str] = set()
    for text in texts:
        for m in re.finditer(r"(?<=[\w,;:] )([A-Z][\w-]*)", text):
            names.add(m.group(1))
    return names

_WORD = re.compile(r"[a-z0-9]+")


def _stem_words(text: str) -> set[str]:
    return {w[:5] for w in _WORD.findall(_APOSTROPHE.sub("", text.lower()))}


# Nouns that count people: "how many people" is answered by "390 individuals" or "157 soldiers".
_PEOPLE = {w[:5] for w in ["people", "persons", "individuals", "prisoners", "soldiers", "civilians", "servicemen", "troops", "residents", "citizens", "captives", "detainees", "hostages", "workers", "children", "families", "victims", "refugees", "members", "officials", "personnel", "men", "women", "patients", "students", "voters", "fighters", "ukrainians", "russians"]}
_APOSTROPHE = re.compile(r"['’]s\b")
_NOT_NAMES = (_NAME_STOP | {m for m in calendar.month_name if m} | {m for m in calendar.month_abbr if m}
              | {d for d in calendar.day_name} | {"Sept"})


def _near_key(sentence: str, start: int, end: int, key_words: set[str], span: int = 8) -> bool:
    before = _WORD.findall(sentence[:start].lower())[-span:]
    inside = _WORD.findall(sentence[start:end].lower())
    after = _WORD.findall(sentence[end:].lower())[:span]
    return any(w[:5] in key_words for w in before + inside + after)

def lead(sentence: str, question: str, qtype: str, mid_names: set[str],
          key_words: frozenset[str] | set[str] = frozenset()) -> tuple[str, float]:
    """A short answer span of the expected type that the question does not already contain, and a
    cue in [0, 1] for how well the sentence offers that type (1 for questions of no particular type).
    `mid_names`: words seen capitalised inside sentences (`known_names`), so a name at a sentence's
    start is told from an ordinary capitalised first word."""
    qlow = question.lower()
    if qtype == "number":
        qwords = set(_WORD.findall(qlow)) - {"the", "a", "an", "of", "in", "to", "and", "did", "were", "was"}
        qstems = _stem_words(question)
        best, best_overlap, best_key = "", -1, -1.0
        for m in _NUMBER.finditer(sentence):
            value = m.group(0)
            if value.lower() in qwords or re.fullmatch(r"(19|20)\d\d", value):
                continue
            if re.search(rf"{_MONTH}\s*$", sentence[max(0, m.start() - 12) : m.start()]):
                continue  # the day of a date
            following = sentence[m.end() :].split()
            if value.isalpha() and following[:1] == ["of"]:
                continue  # "one of the…" is not a count
            # The words around a count say what it counts: "157 prisoners from each country".
            unit = " ".join(following[:3])
            ustems = _stem_words(unit)
            direct = len(ustems & qstems)
            overlap = direct + (1 if ustems & _PEOPLE and qstems & _PEOPLE else 0)
            overlap += len(set(_WORD.findall(" ".join(following[3:6]).lower())) & qwords) if overlap else 0
            # the counted noun itself ("120 civilians") beats a related one ("390 individuals")
            key = overlap + 0.5 * direct
            if key > best_key:
                best, best_overlap, best_key = value, overlap, key
        if not best:
            return "", 0.0
        return best, min(1.0, 0.5 + 0.25 * best_overlap)
    if qtype == "date":
        for m in _DATE.finditer(sentence):
            if m.group(0).lower() not in qlow:
                return m.group(0), 1.0
        return "", 0.0
    if qtype in ("name", "place", "city", "country"):
        qstems = _stem_words(question)
        names: list[tuple[int, int, int, str]] = []
        for m in _NAME.finditer(sentence):
            # "US-mediated" → "US": a lower-case part after a hyphen is not part of the name
            raw = re.sub(r"-[a-z][\w-]*$", "", m.group(0).strip(" ."))
            words = [_APOSTROPHE.sub("", w) for w in raw.split()]
            while words and words[0] in _NOT_NAMES:
                words = words[1:]
            while words and words[-1] in _NOT_NAMES:
                words = words[:-1]
            if not words:
                continue
            if len(words) == 1 and m.start() == 0 and words[0] not in mid_names:
                continue  # a capitalized first word, not a name
            if all(w.lower()[:5] in qstems for w in words):
                continue
            if qtype == "name" and len(words) == 1 and re.fullmatch(r"[A-Z][a-z]+(?:ian|ean|ese|ish|ic)", words[0]) \
                    and not places.is_country(words[0]):
                continue  # a demonym or adjective ("Ukrainian"), not an actor
            name = " ".join(words)
            if qtype == "city" and not places.is_city(name):
                continue
            if qtype == "country" and not places.is_country(name):
                continue
            if qtype == "place" and not (places.is_place(name) or re.search(
                    rf"\b(in|at|to|from|near|across|with)\s+(the\s+)?{re.escape(words[0])}", sentence)):
                continue
            near = _near_key(sentence, m.start(), m.end(), set(key_words)) \
                if key_words and qtype in ("name", "country") else True
            by_agent = sentence[max(0, m.start() - 8) : m.start()].rstrip().endswith(("by", "by the"))
            names.append((0 if near else 1, 0 if by_agent else 1, len(names), name))
        if not names:
            return "", 0.0
        ordered = list(dict.fromkeys(n for *_, n in sorted(names)))
        cue = 1.0 if min(n[0] for n in names) == 0 or qtype != "name" else 0.6
        return " and ".join(ordered[:2]), cue
    return "", 1.0
