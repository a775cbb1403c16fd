"""question → `QuestionAnalysis`: what kind of answer is wanted, about what, when, and whether the
question stands on its own. The first step of the read path (before retrieval and answering).

* kind: factoid (who/what/when/where/how many), yesno, definition ("Who is Steve Witkoff?"),
  summary ("Summarize the August exchange"), comparison ("How did the May 2025 exchange differ from
  the February 2026 one?"), list ("Which countries mediated the February swap?").
* answer_type (factoids and lists): person | organization | name | country | city | place | date |
  number | money | percent | other — the vocabulary of the typed-span extractor (`assistant.spans`).
* target: the entity or topic phrase the question is about ("Steve Witkoff", "the August exchange").
* windows: the publication periods named (`assistant.dates`), one per side of a comparison.
* self_contained: False when the question needs the conversation (pronouns, "And in August?");
  anchored: whether it names something of its own (a period, a name, a number, a superlative) —
  an unanchored question ("How many prisoners were exchanged?") keeps the conversation's topic.

Rules, not a model, because the grammar they read is regular and the rules are honest about it:
yes/no questions start with an auxiliary verb, comparisons say "compare"/"differ"/"vs", summaries
"summarize"/"what happened"/"tell me about", definitions "who is <a name>". Casual forms ("feb",
"whos", lower-case names, a misspelt trigger word) are normalized first. Hand-written because no
library classifies questions into these kinds offline; spelling uses wordfreq's word list and
difflib's close matches.
"""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

from wordfreq import zipf_frequency

from assistant.dates import DateWindow, resolve_windows

Kind = Literal["factoid", "yesno", "definition", "summary", "comparison", "list"]
AnswerType = Literal["person", "organization", "name", "country", "city", "place", "date", "number", "money",
                     "percent", "other"]
KINDS: tuple[Kind, ...] = ("factoid", "yesno", "definition", "summary", "comparison", "list")
ANSWER_TYPES: tuple[AnswerType, ...] = ("person", "organization", "name", "country", "city", "place", "date",
                                        "number", "money", "percent", "other")
# What a comparison is aligned on.
Attribute = Literal["size", "place", "mediator", "date"]
ATTRIBUTES: tuple[Attribute, ...] = ("size", "place", "mediator", "date")

WindowResolver = Callable[[str], list[DateWindow]]


@dataclass(frozen=True)
class Side:
    """One side of a comparison: its own words, period and entity (`text` reads as a topic, e.g.
    "the May 2025 exchange")."""

    text: str
    window: DateWindow | None
    entity: str = ""
    # The side's own question when the comparison asks one ("Who mediated the August swap, and who
    # mediated the February one?", "Where did they meet before A compared with B?"): answered like a
    # factoid of `answer_type`. "" when the comparison names no attribute of its own ("How did A
    # differ from B?"): the sides are then aligned on `QuestionAnalysis.attributes`.
    question: str = ""
    answer_type: AnswerType = "other"
    attribute: Attribute | None = None  # the attribute the side's question names in words, if one


@dataclass(frozen=True)
class QuestionAnalysis:
    """The question as understood. `normalized` is the question with casual forms spelled out
    ("feb" → "February", "whos" → "who is"): what retrieval and the answerer read."""

    question: str
    normalized: str
    kind: Kind
    answer_type: AnswerType
    target: str = ""
    entities: tuple[str, ...] = ()
    windows: tuple[DateWindow, ...] = ()
    sides: tuple[Side, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    self_contained: bool = True
    anchored: bool = False
    terms: tuple[str, ...] = field(default_factory=tuple)

    @property
    def window(self) -> DateWindow | None:
        """The (first) period the question names, or None."""
        return self.windows[0] if self.windows else None

    @property
    def entity(self) -> str:
        return self.entities[0] if self.entities else ""


def windows_from(article_dates: Iterable[str]) -> WindowResolver:
    """A resolver of time expressions against these publication dates."""
    dates = list(article_dates)
    return lambda text: resolve_windows(text, dates)


# -- normalization -----------------------------------------------------------------------------

_CONTRACTIONS = [
    (r"\bwho'?s\b", "who is"), (r"\bwhat'?s\b", "what is"), (r"\bwhere'?s\b", "where is"),
    (r"\bwhen'?s\b", "when is"), (r"\bhow'?s\b", "how is"), (r"\bwhats\b", "what is"), (r"\bwhos\b", "who is"),
    (r"\bwat\b", "what"), (r"\bwht\b", "what"), (r"\bhw\b", "how"), (r"\bu\b", "you"), (r"\bur\b", "your"),
    (r"\bpls\b|\bplz\b", "please"), (r"\bthx\b", "thanks"), (r"\bppl\b", "people"), (r"\bgovt\b", "government"),
    (r"\bw/", "with "), (r"\bb/w\b", "between"), (r"\bvs\.?(?=\s)", "versus"), (r"\bu\.s\b\.?", "U.S."),
    (r"\buae\b", "UAE"), (r"\busa\b", "USA"), (r"\bdidnt\b", "didn't"), (r"\bwasnt\b", "wasn't"),
    (r"\bwerent\b", "weren't"), (r"\bisnt\b", "isn't"), (r"\barent\b", "aren't"), (r"\bdoesnt\b", "doesn't"),
    # chat shorthand: "when r the talks", "y did they", "temps in kyiv", "how many yrs"
    (r"(?-i:(?<![&\w])r(?=\s+[a-z]))", "are"), (r"(?-i:(?<=[a-z] )n(?= [a-z]))", "and"), (r"^y\b(?!['’])", "why"), (r"\babt\b", "about"), (r"\b(?:bc|cuz|coz)\b", "because"),
    (r"\btemps\b", "temperatures"), (r"\btemp\b", "temperature"), (r"\binfo\b", "information"),
    (r"\bpics\b", "pictures"), (r"\bpic\b", "picture"), (r"\byrs\b", "years"), (r"\byr\b", "year"),
    (r"\bmins\b", "minutes"), (r"\bhrs\b", "hours"), (r"\bapprox\b\.?", "approximately"),
    (r"\bintl\b", "international"), (r"\bgov\b", "government"), (r"\bpres\b", "president"),
    (r"\brn\b", "right now"), (r"\bdept\b\.?", "department"), (r"\bmin\b(?=\s+of\b)", "minister"),
]
_MONTH_NAMES = [m for m in calendar.month_name if m]
_MONTH_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
               "oct": 10, "nov": 11, "dec": 12}
# Words the kind rules look for; a misspelling of one ("summerize", "comapre") is corrected.
_TRIGGERS = ["summarize", "summarise", "summary", "overview", "compare", "comparison", "difference", "differ",
             "different", "versus", "happened", "mediated", "mediator", "mediators", "exchange", "exchanged",
             "prisoners", "countries", "brokered", "facilitated", "negotiator", "negotiations", "civilians"]
_MONTH_WORDS = [m.lower() for m in _MONTH_NAMES if m.lower() not in ("may", "march")]


@lru_cache(maxsize=8192)
def _is_word(w: str) -> bool:
    return zipf_frequency(w, "en") >= 2.5


# Chat filler around a question: an opening ("quick q -", "hey so,") and a clarifying tail after
# the question mark ("…? like the exact date"). They carry no words to look for.
_FILLER = r"(?:hey|hi|hello|ok(?:ay)?|so|well|um+|hmm+|btw|anyway|quick\s+q(?:uestion)?|q)"
_OPENING = re.compile(  # "so far, how many…" keeps its "so": a filler ends in punctuation or comes before a question
    rf"^(?:{_FILLER}(?:\s*[-–—:,!.]+\s+|\s+(?=(?:{_FILLER}|who|what|when|where|which|why|how|is|are|was|were|did|"
    rf"does|do|has|have|had|can|could|will|would)\b)))+", re.IGNORECASE)
_CLARIFIER = re.compile(r"\?\s*(?:like|i\s+mean|as\s+in|i\.?e\.?|e\.?g\.?)\b[^?]*\??\s*$", re.IGNORECASE)


def normalize(question: str) -> str:
    """Casual forms spelled out, chat filler around the question dropped (`_OPENING`,
    `_CLARIFIER`); the words, names and order of the question are kept."""
    q = " ".join(question.strip().split())
    q = _CLARIFIER.sub("?", _OPENING.sub("", q)) or q
    for pat, rep in _CONTRACTIONS:
        q = re.sub(pat, rep, q, flags=re.IGNORECASE)

    def month(m: re.Match[str]) -> str:
        word = m.group(0)
        low = word.lower().rstrip(".")
        if low in _MONTH_ABBR:
            prev = q[: m.start()].rstrip().lower().split()[-1:] or [""]
            nxt = q[m.end() : m.end() + 2]
            if word[0].isupper() and nxt[:1] == " " and nxt[1:2].isupper():
                return word  # "Jan Kowalski"
            if low == "mar" and prev[0] not in ("in", "the", "of", "since", "before", "after", "until", "early",
                                               "late", "mid", "during", "last", "this"):
                return word  # the verb "mar"
            return calendar.month_name[_MONTH_ABBR[low]]
        if low in _MONTH_WORDS or (low in ("may", "march") and word[0].isupper()):
            return low.capitalize()
        if low in ("may", "march"):
            prev = q[: m.start()].rstrip().lower().split()[-1:] or [""]
            if prev[0] in ("in", "the", "of", "since", "before", "after", "until", "early", "late", "mid", "during",
                           "last", "this") or re.match(r"\s+(?:19|20)\d\d\b", q[m.end() :]):
                return low.capitalize()
        return word

    q = re.sub(r"\b(?:jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\b\.?|\b[a-z]+\b", month, q, flags=re.IGNORECASE)

    def spell(m: re.Match[str]) -> str:
        word = m.group(0)
        low = word.lower()
        if len(low) < 5 or _is_word(low) or word[0].isupper():
            return word
        close = difflib.get_close_matches(low, _TRIGGERS + _MONTH_WORDS, n=1, cutoff=0.8)
        if not close:
            return word
        fixed = close[0]
        return fixed.capitalize() if fixed in _MONTH_WORDS else fixed

    q = re.sub(r"\b[A-Za-z]+\b", spell, q)
    return _place_names_capitalised(q)


# A place typed in lower case is capitalised when the gazetteer knows it and it is no everyday word:
# a country ("ukraine"), a city of two or three words ("abu dhabi"), or a one-word city uncommon in
# English text ("kyiv", not "nice" or "reading"; wordfreq Zipf). Casual questions name places so,
# and the analysis reads names by their capitals.
CITY_WORD_ZIPF = 4.0
_ACRONYM_COUNTRIES = {"uae": "UAE", "usa": "USA", "uk": "UK"}


def _place_names_capitalised(q: str) -> str:
    from assistant import places

    def place(words: list[str]) -> bool:
        name = " ".join(w.capitalize() for w in words)
        if places.is_country(name):
            return True
        return places.is_city(name) and (len(words) > 1 or zipf_frequency(words[0], "en") < CITY_WORD_ZIPF)

    out: list[str] = []
    words = q.split(" ")  # `normalize` has collapsed the whitespace
    i = 0
    while i < len(words):
        for n in (3, 2, 1):
            run = words[i : i + n]
            core = [w.rstrip("?.!,;:") for w in run]
            if len(run) == n and all(c.isalpha() and c.islower() for c in core) \
                    and all(w == c for w, c in zip(run[:-1], core[:-1], strict=True)):
                if n == 1 and core[0] in _ACRONYM_COUNTRIES:
                    out.append(_ACRONYM_COUNTRIES[core[0]] + run[0][len(core[0]) :])
                    i += 1
                    break
                if place(core):
                    out.append(" ".join(w.capitalize() for w in run))
                    i += n
                    break
        else:
            out.append(words[i])
            i += 1
    return " ".join(out)


# -- kind rules ------------------------------------------------------------------------------

# "…, according to the May 2025 article", "as the SBS report describes it": which article to read, not
# what is asked (the period stays in `normalized`, which the windows are read from)
_ATTRIBUTION = re.compile(r",?\s*\b(?:according\s+to|as\s+(?:reported|described|told)\s+(?:by|in)|as)\s+(?:the\s+)?"
                          r"(?:[\w.-]+\s+){0,3}(?:article|report|story|coverage|piece)s?\b"
                          r"(?:\s+(?:describes|puts|says|tells|reports)(?:\s+it)?)?(?=\s*[?.!,]*$)", re.IGNORECASE)
_POLITE = re.compile(
    r"^(?:(?:hey|hi|hello|ok(?:ay)?|so|well|please|quick question|question)[,:!]?\s+)*"
    r"(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:tell\s+me\s+|let\s+me\s+know\s+)?"
    r"|do\s+you\s+know\s+|does\s+anyone\s+know\s+|i\s+(?:want|would\s+like|'d\s+like)\s+to\s+know\s+"
    r"|i\s+wonder\s+|i'm\s+wondering\s+|tell\s+me\s+(?=who|what|when|where|which|how|why|whether|if)"
    r"|let\s+me\s+know\s+|please\s+)?",
    re.IGNORECASE,
)
_AUX = ("is", "are", "was", "were", "do", "does", "did", "has", "have", "had", "can", "could", "will", "would",
        "should", "shall", "might", "must", "isn't", "aren't", "wasn't", "weren't", "don't", "doesn't", "didn't",
        "hasn't", "haven't", "hadn't", "won't", "wouldn't", "can't", "couldn't", "shouldn't")
_WH = ("who", "whom", "whose", "what", "which", "when", "where", "why", "how")
_COMPARISON = re.compile(
    r"\b(?:compare[ds]?|comparing|comparison|differ(?:s|ed|ent|ence|ences)?|versus|contrast|"
    r"(?:bigger|larger|smaller|greater|fewer|more|less|earlier|later|longer|shorter)\s+than|"
    r"same\s+as|similar(?:ities|ity)?\s+(?:to|between)|"
    r"which(?:\s+\w+)?\s+(?:was|is|were)\s+(?:bigger|larger|smaller|greater|earlier|later|longer|shorter|more))\b",
    re.IGNORECASE,
)
_SUMMARY = re.compile(
    r"^(?:summari[sz]e|sum\s+up|(?:give|write|provide|show)\s+(?:me\s+)?(?:a\s+|an\s+)?(?:short\s+|brief\s+|quick\s+)?"
    r"(?:summary|overview|recap|rundown|run-down)|summary|overview|recap|rundown|brief\s+me|"
    r"tell\s+me\s+(?:more\s+)?about|what\s+(?:is|was)\s+(?:going\s+on|happening)|what\s+(?:happened|happens)|"
    r"what\s+went\s+on|what\s+do\s+(?:the\s+articles|we|you)\s+(?:say|know|have)\s+(?:about|on)|"
    r"what\s+(?:is|was)\s+the\s+(?:story|news|gist)|catch\s+me\s+up|describe|explain\s+what\s+happened|"
    r"key\s+points|main\s+points|highlights|tl;?dr|in\s+short|the\s+gist)\b",
    re.IGNORECASE,
)
_SUMMARY_ANYWHERE = re.compile(r"\b(?:summari[sz]e|summary|overview|recap)\b", re.IGNORECASE)
_DEFINITION = re.compile(
    r"^what\s+(?:is|was)\s+(?P<x4>.+?)['’]s?\s+(?:role|position|job|title)\b.*$|"
    r"^(?:who|what)\s+(?:is|was|are|were)\s+(?P<x>.+?)\s*[?.!]*$|"
    r"^(?:who|what)\s+(?:exactly|actually)\s+(?:is|was)\s+(?P<x2>.+?)\s*[?.!]*$|"
    r"^(?:what|which)\s+(?:role|position|job|title|post)\s+(?:does|did|do|has|had|is|was)\s+(?P<x3>.+?)"
    r"(?:\s+(?:play|have|hold|held|do|fill))?(?:\s+in\s+.+?)?\s*[?.!]*$|"
    r"^what\s+does\s+(?P<x5>.+?)\s+do\s*[?.!]*$|^define\s+(?P<x6>.+?)\s*[?.!]*$|"
    r"^(?:tell\s+me\s+)?who\s+(?P<x7>.+?)\s+is\s*[?.!]*$",
    re.IGNORECASE,
)
_DETERMINER = re.compile(r"^(?:the|a|an|this|that|these|those|his|her|their|its|our|my|your|some|any|which|"
                         r"what|one|two|three|each|every|all)\b", re.IGNORECASE)
_PREPOSITION = re.compile(r"\b(?:of|in|for|at|on|behind|involved|from|with|by|about|during|between|to|who|that|"
                          r"which|when|where)\b", re.IGNORECASE)
_LIST = re.compile(
    r"^(?:list|name|enumerate)\b|\b(?:who\s+all|who\s+(?:are|were)\s+all|what\s+are\s+(?:all\s+)?the\s+names|"
    r"name\s+(?:all|every|each|the)|list\s+(?:all|every|each|the)|which\s+ones|all\s+the\s+\w+s\s+(?:that|who)|"
    r"every\s+\w+\s+that)\b",
    re.IGNORECASE,
)
_WHICH_NOUN = re.compile(r"\b(?:which|what)\s+(?:(?P<adj>[\w.-]+)\s+)?(?P<noun>[a-z]+)\b", re.IGNORECASE)
_WHO_PLURAL = re.compile(r"^who\s+(?:are|were)\s+the\s+(?:\w+\s+)?(?P<noun>[a-z]+s)\b", re.IGNORECASE)
_NOT_PLURAL = {"news", "series", "species", "us", "this", "was", "is", "has", "does", "as", "its", "his", "hers",
               "yes", "less", "politics", "status", "crisis", "basis", "process", "press", "chaos", "thus",
               "economics", "always", "perhaps", "whereas", "across", "various", "previous", "famous", "serious"}
_AUX_WORDS = frozenset({"is", "was", "are", "were", "did", "do", "does", "has", "have", "had", "will", "would", "can",
                        "could", "should"})
_IRREGULAR_PLURAL = {"people", "men", "women", "children", "personnel", "police", "staff", "media"}

# -- answer types ------------------------------------------------------------------------------

_PERSON_NOUNS = ("official|officials|negotiator|negotiators|person|people|persons|leader|leaders|minister|"
                 "ministers|president|presidents|envoy|envoys|spokes(?:man|men|woman|person|people)|commissioner|"
                 "aide|aides|journalist|journalists|general|commander|diplomat|diplomats|politician|politicians|"
                 "individual|individuals|man|woman|men|women|mother|son|daughter|father|prisoner|prisoners|"
                 "soldier|soldiers|lawmaker|adviser|advisor|advisers|advisors|representative|representatives|"
                 "chief|head|ambassador|ambassadors|reporter|reporters")
_ORG_NOUNS = ("organi[sz]ations?|groups?|compan(?:y|ies)|agenc(?:y|ies)|ministr(?:y|ies)|part(?:y|ies)|bod(?:y|ies)|"
              "institutions?|firms?|outlets?|news\\s+outlets?|publishers?|newspapers?|teams?|banks?|unions?|"
              "alliances?|militar(?:y|ies)|delegations?|governments?|departments?|authorit(?:y|ies)")
_MONEY = re.compile(r"\bhow\s+much\b.*\b(?:money|cost|costs|pay|paid|worth|spend|spent|price|fund|funds|funding|"
                    r"dollars?|euros?|pounds?|budget|fine|salary|earn|earned|raise|raised|aid|loan|\$)\b|"
                    r"\bhow\s+much\s+(?:did|does|do|will|would)\b.*\b(?:cost|pay|spend|raise|earn)\b|"
                    r"\bwhat\s+(?:was|is)\s+the\s+(?:cost|price|value|budget)\b", re.IGNORECASE)
_PERCENT = re.compile(r"\b(?:what|which)\s+(?:percent(?:age)?|share|proportion|fraction)\b|"
                      r"\bhow\s+many\s+percent\b|\bby\s+how\s+much\s+percent\b|\bwhat\s+(?:was|is)\s+the\s+"
                      r"(?:\w+\s+)?(?:rate|percentage|share)\b", re.IGNORECASE)


# "What issues…", "the main sticking points", "which demands": a list of points, answered by what the
# sentences say, not by names
_POINT_NOUNS = frozenset({"issues", "points", "problems", "reasons", "demands", "obstacles", "topics", "concerns",
                          "conditions", "terms", "steps", "measures", "changes", "goals", "questions", "challenges",
                          "risks", "factors", "effects", "results", "benefits", "kinds", "types", "ways", "things",
                          "ideas", "proposals", "options", "priorities", "disputes", "differences", "items",
                          "parts", "aspects", "categories", "sorts", "expressions", "emotions", "feelings",
                          "reactions", "moods"})
_POINTS_ASKED = re.compile(r"^(?:what|which|list|name)\b(?:\s+\S+){0,4}?\s+(?P<noun>" + "|".join(sorted(_POINT_NOUNS))
                           + r")\b")


def _asks_for_points(low: str) -> bool:
    """"What issues…", "which groups of people…" (kinds of people, not organisations)."""
    return bool(_POINTS_ASKED.search(low) or _GROUPS_OF.search(low))


_GROUPS_OF = re.compile(r"^(?:what|which|list|name)\b(?:\s+\S+){0,3}?\s+groups\s+of\s+(?:people|persons|prisoners|"
                        r"captives|detainees|civilians|residents|citizens|individuals)\b")


def _answer_type(q: str, kind: Kind) -> AnswerType:
    """The type of value asked for, from the question's wh-phrase (lower-cased `q`)."""
    if kind in ("definition", "summary", "yesno"):
        return "other"
    if kind == "list":  # "name all the countries", "list the cities": the plural noun says it
        q = re.sub(r"^(?:list|name|enumerate)\s+(?:all\s+|every\s+|each\s+)?(?:the\s+|of\s+the\s+)?", "which ", q)
    if _PERCENT.search(q):
        return "percent"
    if _MONEY.search(q):
        return "money"
    if re.search(r"\bhow\s+(?:many|much|long|old|far|often)\b|\bwhat\s+(?:number|amount|total)\b|"
                 r"\bwhat\s+(?:was|is)\s+the\s+(?:number|total|size)\b", q):
        return "number"
    if re.search(r"\bwhen\b|\b(?:what|which)\s+(?:date|day|year|month|time|week)\b|\bsince\s+when\b|"
                 r"\bhow\s+long\s+ago\b", q):
        return "date"
    if re.search(r"\b(?:which|what)\s+(?:\w+\s+)?(?:city|cities|town|towns|capital|capitals)\b", q):
        return "city"
    if re.search(r"\b(?:which|what)\s+(?:\w+\s+)?(?:country|countries|nation|nations|state|states)\b", q):
        return "country"
    if re.search(r"\bwhere\b|\b(?:which|what)\s+(?:\w+\s+)?(?:region|regions|province|provinces|place|places|area|"
                 r"areas|territory|territories|location|locations|border|venue|site|front|oblast)\b", q):
        return "place"
    if re.search(rf"\b(?:which|what)\s+(?:\w+\s+)?(?:{_ORG_NOUNS})\b", q):
        return "organization"
    if re.search(rf"\b(?:which|what)\s+(?:\w+\s+)?(?:{_PERSON_NOUNS})\b|\bwhose\b", q) or \
            re.search(rf"^who\s+(?:is|was|are|were)\s+(?:the|a|an|\w+['’]s)\b.*\b(?:{_PERSON_NOUNS})\b", q):
        return "person"
    if re.search(r"\bwho\b|\bwhom\b|\bwhich\s+(?:\w+\s+)?(?:side|one|ones)\b|\bby\s+whom\b", q):
        return "name"
    if re.search(r"\b(?:what|which)\s+(?:is|was|are|were)\s+(?:the\s+)?name\b|\bwhat\s+(?:\w+\s+)?(?:name|called)\b",
                 q):
        return "name"
    return "other"


def _is_plural(word: str) -> bool:
    w = word.lower()
    if w in _IRREGULAR_PLURAL:
        return True
    if w in _NOT_PLURAL or not w.endswith("s") or w.endswith(("ss", "us", "is")) or len(w) < 4:
        return False
    for stem in (w[:-3] + "y" if w.endswith("ies") else "", w[:-2] if w.endswith("es") else "", w[:-1]):
        if stem and zipf_frequency(stem, "en") >= 2.5:
            return True
    return False


def _kind(q: str, n_windows: int) -> Kind:
    """The question's kind from its grammar (`q`: normalized, politeness stripped, original case)."""
    low = q.lower()
    first = low.split()[0] if low.split() else ""
    # "more than 20 residents" asks a number, not a comparison: a comparison names two sides
    if _COMPARISON.search(low) and (
            re.search(r"\b(?:compare[ds]?|comparing|comparison|differ\w*|versus|contrast|similar\w*|same\s+as)\b", low)
            or n_windows >= 2 or re.search(r"\b(?:or|and)\b", low)):
        return "comparison"
    if _compound(q, n_windows) is not None:
        return "comparison"
    if _SUMMARY.match(low) or (_SUMMARY_ANYWHERE.search(low) and first not in _WH):
        return "summary"
    if _LIST.search(low):
        return "list"
    if first in _AUX or low.startswith(("is it true", "true or false", "may ")):
        # "Was it May or February?" is a choice between two values, answered like a factoid
        if re.search(r"\bor\b(?!\s+not\b)", low) and not low.startswith(("is it true", "true or false")):
            return "factoid"
        return "yesno"
    if re.match(r"^(?:and|so|but)\s+(?:is|are|was|were|did|does|do|has|have|had)\b", low):
        return "yesno"
    m = _DEFINITION.match(q)
    if m:
        x = next(g for g in m.groups() if g)
        if _is_definable(x):
            return "definition"
    wm = _WHO_PLURAL.match(low)
    if wm and _is_plural(wm.group("noun")):
        return "list"
    for m2 in _WHICH_NOUN.finditer(low):
        if m2.start() > 0 and low[: m2.start()].split()[-1:] not in (["in"], ["on"], ["at"], ["from"], ["to"],
                                                                       ["of"], ["by"], ["for"], ["with"]):
            continue
        noun, adj = m2.group("noun"), m2.group("adj") or ""
        if noun in _AUX_WORDS:
            noun = adj
        elif adj in _AUX_WORDS:
            break  # "What did engineers replace?": the plural is the verb's subject, no list is asked
        # "which countries mediated": the optional adjective slot holds the noun
        if _is_plural(noun) or (adj and _is_plural(adj)):
            return "list"
        break
    return "factoid"


def _is_definable(x: str) -> bool:
    """"Steve Witkoff", "witkoff", "the UAE", "a prisoner swap": a name or a term to define — not a
    description of someone to find ("Ukraine's lead negotiator", "the capital of France")."""
    x = x.strip(" ?.!\"'“”")
    words = x.split()
    if not words or len(words) > 5:
        return False
    if re.search(r"['’]s?\b", x) or _PREPOSITION.search(x):
        return False
    if re.match(r"^(?:a|an)\s+\w+", x, re.IGNORECASE):
        return True
    if re.match(r"^the\s+", x, re.IGNORECASE):
        rest = words[1:]
        return bool(rest) and all(w[0].isupper() for w in rest)
    if _DETERMINER.match(x):
        return False
    if any(w[0].isupper() for w in words):
        return True
    # lower-case: a name is a word the dictionary does not know well ("witkoff"), or a short term
    return len(words) <= 3 and not re.search(r"\b(?:going|happening|happened|the|up|next|new)\b", x.lower())


# -- entities, anchors, dependence -----------------------------------------------------------

_QUESTION_WORDS = {"who", "whom", "whose", "what", "which", "when", "where", "why", "how", "is", "are", "was",
                   "were", "do", "does", "did", "has", "have", "had", "can", "could", "will", "would", "should",
                   "the", "a", "an", "and", "or", "of", "in", "on", "at", "to", "for", "by", "with", "from",
                   "about", "summarize", "summarise", "summary", "compare", "tell", "me", "please", "list", "name",
                   "describe", "overview", "i", "you", "it", "true", "define", "give", "between", "versus",
                   "many", "much", "happened", "happen", "there", "that", "this", "also"}
_NOT_NAMES = {m for m in _MONTH_NAMES} | {d for d in calendar.day_name} | {
    "I", "The", "A", "An", "And", "Or", "But", "So", "Is", "Are", "Was", "Were", "Did", "Do", "Does", "Who",
    "What", "When", "Where", "Which", "Why", "How", "Tell", "Summarize", "Summarise", "Compare", "Please", "List",
    "Name", "Give", "Describe", "Define", "Has", "Have", "Had", "Can", "Could", "Will", "Would", "Should", "Also",
    "Then", "Now", "Ok", "Okay", "Hey", "Hi", "In", "On", "At", "Of", "To", "For", "By", "Any", "Some"}
_NAME_RUN = re.compile(r"(?:[A-Z][\w'’.-]*[A-Za-z.]|U\.S\.)(?:\s+(?:of\s+(?:the\s+)?|al-|bin\s+)?(?:[A-Z][\w'’.-]*[A-Za-z]|U\.S\.))*")
_PRONOUN = re.compile(r"\b(?:he|she|him|her|his|hers|they|them|their|theirs|it|its|those|these|there|"
                      r"th(?:at|is|ose|ese)\s+(?:one|ones|exchange|swap|deal|talks?|meeting|trade|agreement|"
                      r"prisoners?|people|country|countries|man|woman|person|official|officials|negotiator|"
                      r"negotiations|city|place|event|release|time|group|side|sides)|the\s+same|the\s+other|"
                      r"back\s+then|at\s+that\s+time)\b", re.IGNORECASE)
_DUMMY = re.compile(r"^(?:is|was)\s+it\s+true\b|^(?:is|are|was|were)\s+there\b|\bit\s+(?:is|was)\s+(?:reported|said|"
                    r"true|clear|unclear|likely)\b|\bhow\s+(?:long|far)\s+(?:is|was)\s+it\b|\bwhat\s+(?:time|day)\s+"
                    r"(?:is|was)\s+it\b|\bthere\s+(?:is|was|are|were)\b|\b(?:is|are|was|were)\s+there\b", re.IGNORECASE)
_ELLIPSIS = re.compile(r"^(?:and|also|but|so|plus|then|what\s+about|how\s+about|what\s+of|same\s+(?:for|question)|"
                       r"and\s+what\s+about|and\s+how\s+about|and\s+for|for)\b", re.IGNORECASE)
_SPECIFIER = re.compile(r"\b(?:largest|biggest|smallest|first|last|latest|earliest|most\s+recent|second|third|"
                        r"previous|next|final|only)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_GENERIC_LOWER = {"swap", "swaps", "exchange", "exchanges", "prisoner", "prisoners", "people", "talks", "deal",
                  "war", "news", "articles", "article", "story", "happened", "countries", "country"}


def _entities(q: str) -> list[str]:
    """Names in the question: capitalized runs (not the first word unless it is a known-looking name,
    not months or question words) and lower-case words the dictionary hardly knows ("witkoff")."""
    out: list[str] = []
    for m in _NAME_RUN.finditer(q):
        words = m.group(0).rstrip(".").split()
        at_start = m.start() == 0
        while words and words[0] in _NOT_NAMES:
            words = words[1:]
            at_start = False
        while words and words[-1] in _NOT_NAMES:
            words = words[:-1]
        if not words:
            continue
        name = " ".join(words)
        name = re.sub(r"['’]s$", "", name)
        if at_start and len(words) == 1 and _is_word(words[0].lower()) and not words[0].isupper():
            continue  # a capitalized first word, not a name
        if name not in out:
            out.append(name)
    for w in re.findall(r"\b[a-z][a-z'’-]{3,}\b", q):
        base = re.sub(r"['’]s$", "", w)
        if base not in _QUESTION_WORDS and zipf_frequency(base, "en") < 2.0 and not any(base in e.lower() for e in out):
            out.append(base)
    return out


def _terms(q: str) -> tuple[str, ...]:
    words = re.findall(r"[A-Za-z][\w'’-]*|\d[\d,.]*", q)
    out = []
    for w in words:
        low = w.lower()
        if low in _QUESTION_WORDS or low in {m.lower() for m in _MONTH_NAMES} or len(low) < 3:
            continue
        if _PRONOUN.fullmatch(low):
            continue
        out.append(w)
    return tuple(dict.fromkeys(out))


def _dependent(q: str) -> bool:
    """The question needs the conversation: a pronoun with nothing to point at in the question
    ("Where were they handed over?"), or an ellipsis ("And in August?", "What about May?")."""
    low = q.lower().strip()
    if _ELLIPSIS.match(low):
        return True
    words = re.findall(r"[a-z']+", low)
    if len(words) <= 3 and not any(w in _AUX or w in ("happened", "happen") for w in words[1:]) \
            and not _SUMMARY.match(low):
        return True  # a fragment: "In August?", "Where?", "How many?"
    stripped = _DUMMY.sub(" ", low)
    return bool(_PRONOUN.search(stripped))


# -- comparison sides ------------------------------------------------------------------------

_SIDE_SPLIT = [
    re.compile(r"^(?:how|in\s+what\s+way)\s+(?:did|does|do|is|was|are|were)\s+(?P<a>.+?)\s+"
               r"(?:differ|compare|contrast)\s+(?:from|to|with|against)\s+(?P<b>.+?)\s*[?.!]*$", re.I),
    re.compile(r"^(?:how|in\s+what\s+way)\s+(?:did|does|do|is|was|are|were)\s+(?P<a>.+?)\s+(?:and|&)\s+(?P<b>.+?)\s+"
               r"(?:differ|compare|contrast)\w*\s*[?.!]*$", re.I),
    re.compile(r"^(?:what\s+(?:is|was|are|were)\s+)?(?:the\s+)?(?:main\s+|key\s+|biggest\s+)?(?:differences?|"
               r"similarit(?:y|ies))\s+between\s+(?P<a>.+?)\s+(?:and|&)\s+(?P<b>.+?)\s*[?.!]*$", re.I),
    re.compile(r"^(?:compare|contrast)\s+(?P<a>.+?)\s+(?:and|with|to|against|versus)\s+(?P<b>.+?)\s*[?.!]*$", re.I),
    re.compile(r"^(?P<a>.+?)\s+(?:versus|compared\s+(?:to|with))\s+(?P<b>.+?)\s*[?.!]*$", re.I),
    re.compile(r"^(?:was|were|is|are|did)\s+(?P<a>.+?)\s+(?:bigger|larger|smaller|greater|more|fewer|less|earlier|later|"
               r"longer|shorter)(?:\s+\w+)?\s+than\s+(?P<b>.+?)\s*[?.!]*$", re.I),
    re.compile(r"^(?:which|what)(?:\s+\w+)?\s+(?:was|is|were)\s+(?:bigger|larger|smaller|greater|earlier|later|"
               r"more\s+\w+)\s*,?\s*(?P<a>.+?)\s+or\s+(?P<b>.+?)\s*[?.!]*$", re.I),
    re.compile(r"^(?P<a>.+?)\s+(?:or|and)\s+(?P<b>.+?)\s*[?.!]*$", re.I),
]
_ATTRIBUTE_WORDS: list[tuple[Attribute, re.Pattern[str]]] = [
    ("size", re.compile(r"\b(?:size|bigger|larger|smaller|greater|fewer|more\s+(?:people|prisoners|soldiers)|"
                        r"how\s+many|number|scale|count|involved)\b", re.I)),
    ("place", re.compile(r"\b(?:where|place|location|city|cities|venue|country\s+hosted|held)\b", re.I)),
    ("mediator", re.compile(r"\b(?:mediat\w*|broker\w*|facilitat\w*|arrang\w*|helped|help|who)\b", re.I)),
    ("date", re.compile(r"\b(?:when|date|earlier|later|timing|first|before|after)\b", re.I)),
]
_HEAD_NOUN = re.compile(r"\b(exchange|exchanges|swap|swaps|talks|deal|release|trade|meeting|round|agreement|"
                        r"negotiations|event|events|news|story|election|vote|match|game|strike|attack|report|"
                        r"closure|reopening|summit|visit|announcement)\b", re.I)


_WH_START = r"(?:who|whom|where|when|what|which|how\s+(?:many|much|long|big|large|old|far|often))\b"
_COMPOUND = re.compile(rf"^(?P<a>{_WH_START}.+?)\s*,?\s+and\s+(?P<b>{_WH_START}.+?)\s*[?.!]*$", re.I)
_AGAINST = re.compile(r"\s*,?\s+(?:compared\s+(?:to|with)|as\s+against|versus|relative\s+to)\s+(?P<b>.+?)\s*[?.!]*$",
                      re.I)
_IN_TERMS = re.compile(r"^(?:in\s+terms\s+of|regarding|with\s+respect\s+to)\s+(?P<attr>[^,]+),\s*(?P<rest>.+)$|"
                       r"^(?P<rest2>.+?)\s*,?\s+(?:in\s+terms\s+of|with\s+respect\s+to)\s+(?P<attr2>[^,?]+?)\s*[?.!]*$",
                       re.I)
_AGENT = re.compile(r"(?:ors|ers|ists|ants|ents|ians)$", re.I)  # "mediators", "negotiators", "officials"
_HOW_AUX = re.compile(r"^how\s+(?:did|does|do|is|was|are|were)\b", re.I)  # "How did A differ…": asks no value
_NUMBER_OF = re.compile(r"^(?:the\s+)?(?:number|count|amount|total)\s+of\s+", re.I)


def _compound(q: str, n_windows: int = 0) -> tuple[str, str] | None:
    """"Who mediated the August swap, and who mediated the February one?": two questions of the
    same wh-word about two topics (or two periods: `n_windows`), or None."""
    m = _COMPOUND.match(q.strip())
    if not m:
        return None
    a, b = m.group("a").strip(" ,"), m.group("b").strip(" ,")
    if a.split()[0].lower() != b.split()[0].lower():
        return None  # "Who mediated it and where did it happen?": two questions, not two sides
    ta = _topic(a)
    if ta is None:
        # "How many soldiers and how many civilians…": two attributes of one topic
        return (a, b) if n_windows >= 2 else None
    b = re.sub(r"\b(?:one|ones)\b", ta.group(1), b)
    tb = _topic(b)
    if tb is None or tb.group(0).lower() == ta.group(0).lower():
        return (a, b) if n_windows >= 2 else None
    return a, b


def _topic(q: str) -> re.Match[str] | None:
    """The last topic phrase of a question ("the May 2025 swap" in "Where did negotiators meet
    before the May 2025 swap"), or None."""
    found = list(re.finditer(rf"\b(?:the|a|an|this|that|last)\s+(?:[\w’'-]+\s+){{0,4}}?{_HEAD_NOUN.pattern}", q, re.I))
    return found[-1] if found else None


def _asked_sides(text: str, resolve: WindowResolver | None) -> tuple[Side, ...]:
    """Sides that carry their own question (`Side.question`): two like wh-questions joined by
    "and"; a wh-question about A "compared with" B (B's question is A's with B's words); "In terms
    of N, how did A compare with B?" and "How did the number of X compare with the number of Y?"
    (how many N in each). () when the comparison asks no attribute of its own."""
    pairs: list[tuple[str, str, str, str]] = []  # (question, topic) per side
    compound = _compound(text, len(resolve(text)) if resolve is not None else 0)
    against = _AGAINST.search(text)
    terms = _IN_TERMS.match(text)
    if compound is not None:
        qa, qb = compound
        ta, tb = _topic(qa), _topic(qb)
        wa, wb = _first(resolve, qa), _first(resolve, qb)
        pairs = [(qa, ta.group(0) if ta else wa.phrase if wa else qa, qb, tb.group(0) if tb else wb.phrase if wb else qb)]
    elif re.match(_WH_START, text, re.I) and not _HOW_AUX.match(text) \
            and against is not None:
        qa = text[: against.start()].strip(" ,")
        ta = _topic(qa)
        b = against.group("b").strip(" ,")
        wa, wb = _first(resolve, qa), _first(resolve, b)
        if wa is not None and wb is not None and wa.phrase in qa:
            # "How many were freed in May 2025 compared with August 2025?", "the August prisoners
            # compared with the May ones": B's question is A's with B's period
            qb = qa.replace(wa.phrase, wb.phrase, 1)
            tb = _topic(qb) if ta is not None else None
            pairs = [(qa, ta.group(0) if ta else wa.phrase, qb, tb.group(0) if tb else wb.phrase)]
        elif ta is not None:
            b = re.sub(r"\b(?:one|ones)\b", ta.group(1), b)
            if not _DETERMINER.match(b) and not _entities(b):
                b = f"the {b}"
            pairs = [(qa, ta.group(0), qa[: ta.start()] + b + qa[ta.end():], b)]
    elif terms is not None:
        attr = (terms.group("attr") or terms.group("attr2") or "").strip()
        rest = terms.group("rest") or terms.group("rest2") or ""
        words = attr.split()
        sides = _sides(rest, [], resolve, asked=False)
        if len(sides) == 2 and words:
            if len(words) == 1 and _AGENT.search(attr) and _is_plural(attr):
                ask = f"Who were the {attr} of"  # "in terms of mediators"
            elif _is_plural(words[0]):
                ask = f"How many {attr} in"  # "in terms of civilians freed"
            else:
                ask = f"What was the {attr} of"  # "in terms of size"
            pairs = [(f"{ask} {sides[0].text}", sides[0].text, f"{ask} {sides[1].text}", sides[1].text)]
    elif _HOW_AUX.match(text):
        sides = _sides(text, [], resolve, asked=False)
        if len(sides) == 2 and all(_NUMBER_OF.match(side.text) for side in sides):
            qa, qb = (f"How many {_NUMBER_OF.sub('', side.text)}" for side in sides)
            pairs = [(qa, sides[0].text, qb, sides[1].text)]
    if not pairs:
        return ()
    qa, ta_text, qb, tb_text = pairs[0]
    out = []
    for q, topic in ((qa, ta_text), (qb, tb_text)):
        q = q[0].upper() + q[1:] + "?"
        # the period of the topic itself: "before the February swap" asks of the talks its article
        # reports, not of an earlier article
        out.append(Side(topic, _first(resolve, topic) or _first(resolve, q), (_entities(q) or [""])[0], question=q,
                        answer_type=_answer_type(q.lower(), "factoid"), attribute=_named_attribute(q)))
    if out[0].question.lower() == out[1].question.lower():
        return ()
    return tuple(out)


def _sides(q: str, windows: list[DateWindow], resolve: WindowResolver | None, asked: bool = True) -> tuple[Side, ...]:
    """Two sides of a comparison with their own words and periods, or () when they cannot be told.
    With `asked`, sides that carry their own question (`_asked_sides`) come first."""
    # "Compare A and B: who mediated each?" — the sides are before the colon
    if asked:
        own = _asked_sides(re.sub(r"[?.!]+$", "", q.strip()).strip(), resolve)
        if own:
            return own
    text = re.sub(r"\b(?:in\s+terms\s+of|with\s+respect\s+to|regarding)\b.*$|\s*[:;—–].*$", "", q.strip(), flags=re.I)
    text = re.sub(r"[?.!]+$", "", text).strip()
    for pat in _SIDE_SPLIT:
        m = pat.match(text)
        if not m:
            continue
        a, b = m.group("a").strip(" ,"), m.group("b").strip(" ,")
        head = _HEAD_NOUN.search(a) or _HEAD_NOUN.search(b) or _HEAD_NOUN.search(text)
        noun = head.group(1) if head else ""
        if re.match(r"the\s", a, re.I) and not _DETERMINER.match(b):
            b = f"the {b}"
        if noun:
            a = re.sub(r"\b(?:one|ones)\b", noun, a)
            b = re.sub(r"\b(?:one|ones)\b", noun, b)
            if not _HEAD_NOUN.search(a):
                a = f"{a} {noun}"
            if not _HEAD_NOUN.search(b):
                b = f"{b} {noun}"
        wa = _first(resolve, a)
        wb = _first(resolve, b)
        if (wa or wb or _entities(a) or _entities(b)) and a.lower() != b.lower():
            return (Side(_with_the(a), wa, (_entities(a) or [""])[0]), Side(_with_the(b), wb, (_entities(b) or [""])[0]))
    if len(windows) >= 2:
        # "the May and February exchanges": one phrase, two periods
        head = _HEAD_NOUN.search(text)
        noun = head.group(1) if head else "exchange"
        return tuple(Side(f"the {w.query_phrase} {noun}", w) for w in windows[:2])
    return ()


def _with_the(text: str) -> str:
    t = re.sub(r"^(?:how|what|which|was|were|is|are|did|does|do)\s+", "", text, flags=re.I).strip()
    return t


def _first(resolve: WindowResolver | None, text: str) -> DateWindow | None:
    if resolve is None:
        return None
    found = resolve(text)
    return found[0] if found else None


def _named_attribute(q: str) -> Attribute | None:
    """The one attribute a side's question names in words ("What was the *size* of…", "the
    *location*", "the *mediators*"), or None: wh-words alone name none."""
    low = re.sub(rf"^{_WH_START}", "", q.strip(), flags=re.I)
    found = [a for a, pat in _ATTRIBUTE_WORDS if pat.search(low)]
    return found[0] if len(found) == 1 else None


def _attributes(q: str) -> tuple[Attribute, ...]:
    found = tuple(a for a, pat in _ATTRIBUTE_WORDS if pat.search(q))
    return found or ("size", "place", "mediator")


# -- targets -----------------------------------------------------------------------------------

def _target(q: str, kind: Kind, entities: list[str]) -> str:
    low = q.strip().rstrip("?.! ")
    if kind == "definition":
        m = _DEFINITION.match(q)
        if m:
            return next(g for g in m.groups() if g).strip(" ?.!\"'“”")
    if kind == "summary":
        rest = low
        for _ in range(3):  # "Summarise what happened in the February 2026 exchange"
            rest = _SUMMARY.sub("", rest, count=1).strip()
            rest = re.sub(r"^(?:of|on|about|for|regarding|with|in|during|at|to|me|us)\s+", "", rest, flags=re.I).strip()
        return rest or (entities[0] if entities else "")
    if entities:
        return entities[0]
    m2 = re.search(r"\b(?:the|a|an)\s+(?:[\w-]+\s+){0,3}?(?:exchange|swap|talks|deal|release|trade|meeting|"
                   r"negotiations|agreement|round|incursion|war|conflict)\b", low, re.I)
    return m2.group(0) if m2 else ""


# -- the analysis -------------------------------------------------------------------------------

def analyze(question: str, resolve: WindowResolver | None = None) -> QuestionAnalysis:
    """Analyze one question on its own (no conversation). `resolve` turns text into the publication
    windows it names (`windows_from(article_dates)` or the retriever's); without it, no windows."""
    normalized = normalize(question)
    core = _POLITE.sub("", normalized, count=1).strip() or normalized
    core = _ATTRIBUTION.sub("", core).strip() or core
    core = core[0].upper() + core[1:] if core else core
    windows = resolve(normalized) if resolve is not None else []
    kind = _kind(core, len(windows))
    low = core.lower()
    entities = _entities(core)
    sides: tuple[Side, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    if kind == "comparison":
        sides = _sides(core, windows, resolve)
        if len(sides) == 2:
            attributes = _attributes(low)
            side_windows = [s.window for s in sides if s.window is not None]
            if side_windows:
                windows = side_windows
        else:
            kind = "factoid"  # "more than 20 residents": nothing to set side by side
    answer_type = _answer_type(low, kind)
    if kind == "list" and answer_type == "other" and not _asks_for_points(low):
        answer_type = "name"
    elif kind == "list" and _GROUPS_OF.search(low):
        answer_type = "other"  # "which groups of people": kinds of people, not organisations
    dependent = _dependent(core)
    anchored = bool(windows) or bool(entities) or bool(_NUMBER.search(core)) or bool(_SPECIFIER.search(core)) \
        or bool(re.search(r"\b(?:all|everything|every|each|articles)\b", low))
    return QuestionAnalysis(
        question=question, normalized=normalized, kind=kind, answer_type=answer_type,
        target=_target(core, kind, entities), entities=tuple(entities), windows=tuple(windows), sides=sides,
        attributes=attributes, self_contained=not dependent, anchored=anchored, terms=_terms(core),
    )


def with_context(analysis: QuestionAnalysis, *, windows: tuple[DateWindow, ...] | None = None,
                 entities: tuple[str, ...] | None = None, normalized: str | None = None,
                 kind: Kind | None = None, answer_type: AnswerType | None = None) -> QuestionAnalysis:
    """The analysis with what the conversation supplied (a period, an entity, a rewritten question)."""
    return replace(
        analysis,
        windows=analysis.windows if windows is None else windows,
        entities=analysis.entities if entities is None else entities,
        normalized=analysis.normalized if normalized is None else normalized,
        kind=analysis.kind if kind is None else kind,
        answer_type=analysis.answer_type if answer_type is None else answer_type,
    )
